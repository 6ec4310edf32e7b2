// Library pages: "load more" preview pages, upload progress, conversion status.
(function () {
  "use strict";
  var zh = document.documentElement.lang !== "en";

  // 查看更多: append the next pages in place, up to what the reader may see.
  var pages = document.getElementById("pages");
  var more = document.getElementById("load-more");
  if (pages && more) {
    more.addEventListener("click", function (ev) {
      ev.preventDefault();
      var doc = pages.dataset.doc;
      var shown = parseInt(pages.dataset.shown, 10);
      var allowed = parseInt(pages.dataset.allowed, 10);
      var until = Math.min(shown + 5, allowed);
      for (var n = shown + 1; n <= until; n++) {
        var fig = document.createElement("figure");
        fig.className = "page";
        fig.id = "page-" + n;
        var img = document.createElement("img");
        img.src = "/api/v1/documents/" + doc + "/pages/" + n;
        img.alt = zh ? "第" + n + "页" : "Page " + n;
        var cap = document.createElement("figcaption");
        cap.textContent = "— " + n + " —";
        fig.appendChild(img);
        fig.appendChild(cap);
        pages.appendChild(fig);
      }
      pages.dataset.shown = String(until);
      var left = allowed - until;
      var count = document.getElementById("more-count");
      if (left <= 0) {
        more.parentNode.removeChild(more);
        if (count) count.parentNode.removeChild(count);
      } else if (count) {
        count.textContent = zh ? "还可预览 " + left + " 页" : "Pages left to preview: " + left;
        more.href = "?show=" + (until + 5) + "#pages";
      }
    });
  }

  // Upload with a progress bar; the plain form still works without JavaScript.
  var form = document.getElementById("upload-form");
  if (form && window.XMLHttpRequest && window.FormData) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var bar = document.getElementById("upload-bar");
      var pct = document.getElementById("upload-pct");
      var err = document.getElementById("upload-error");
      var data = new FormData(form);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/documents");
      xhr.setRequestHeader("X-CSRF-Token", document.body.dataset.csrf);
      document.getElementById("upload-progress").hidden = false;
      err.hidden = true;
      form.querySelector("button[type=submit]").disabled = true;
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          var p = Math.round((e.loaded / e.total) * 100);
          bar.value = p;
          pct.textContent = p + "%";
        }
      };
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status === 200 || xhr.status === 201) {
          window.location = "/documents/" + body.id;
        } else {
          err.textContent = (body.error && body.error.message) || (zh ? "上传失败" : "Upload failed");
          err.hidden = false;
          form.querySelector("button[type=submit]").disabled = false;
        }
      };
      xhr.onerror = function () {
        err.textContent = zh ? "网络错误，请重试。" : "Network error; please try again.";
        err.hidden = false;
        form.querySelector("button[type=submit]").disabled = false;
      };
      xhr.send(data);
    });
  }

  // While a document converts, poll its status and reload when it changes.
  var status = document.getElementById("status");
  if (status && status.dataset.status === "processing") {
    var bar2 = document.getElementById("convert-progress");
    var count2 = document.getElementById("convert-count");
    var poll = function () {
      fetch("/api/v1/documents/" + status.dataset.doc, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          if (d.status !== "processing") { window.location.reload(); return; }
          if (d.progress && d.progress.total > 0) {
            bar2.max = d.progress.total;
            bar2.value = d.progress.done;
            count2.textContent = d.progress.done + " / " + d.progress.total;
          }
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 800);
  }
})();
