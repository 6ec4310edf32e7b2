// Shared page behaviour. Pages work without it; it only adds conveniences.
(function () {
  "use strict";
  // Confirm destructive form buttons that ask for it.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });

  // A folded menu in the bar closes on a click outside it or on Escape.
  document.addEventListener("click", function (ev) {
    Array.prototype.forEach.call(document.querySelectorAll("details.nav-group[open]"), function (d) {
      if (!d.contains(ev.target)) d.open = false;
    });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    Array.prototype.forEach.call(document.querySelectorAll("details.nav-group[open]"), function (d) {
      d.open = false;
      d.querySelector("summary").focus();
    });
  });

  // Title suggestions under any search box marked data-suggest.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), function (input) {
    var list = document.createElement("ul");
    list.className = "suggest";
    list.hidden = true;
    list.setAttribute("role", "listbox");
    input.parentNode.appendChild(list);
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { list.hidden = true; return; }
      timer = setTimeout(function () {
        fetch("/api/v1/search/suggest?q=" + encodeURIComponent(q))
          .then(function (r) { return r.json(); })
          .then(function (d) {
            list.textContent = "";
            (d.items || []).forEach(function (it) {
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = "/documents/" + it.id;
              a.textContent = it.title;
              li.appendChild(a);
              list.appendChild(li);
            });
            list.hidden = !(d.items && d.items.length);
          })
          .catch(function () { list.hidden = true; });
      }, 150);
    });
    input.addEventListener("blur", function () { setTimeout(function () { list.hidden = true; }, 200); });
  });

  // Unit pickers (select[data-unit-picker]) get a filter box: typing keeps the units whose
  // name, or whose street's name, contains the text. The select works without it.
  Array.prototype.forEach.call(document.querySelectorAll("select[data-unit-picker]"), function (select) {
    var box = select.nextElementSibling;
    if (!box || !box.classList.contains("unit-filter")) return;
    box.hidden = false;
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (g) {
        var groupHit = q !== "" && g.label.toLowerCase().indexOf(q) >= 0;
        var any = false;
        Array.prototype.forEach.call(g.querySelectorAll("option"), function (o) {
          o.hidden = !(groupHit || o.textContent.toLowerCase().indexOf(q) >= 0);
          any = any || !o.hidden;
        });
        g.hidden = !any;
      });
      Array.prototype.forEach.call(select.querySelectorAll(":scope > option"), function (o) {
        if (o.value !== "") o.hidden = o.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
    // Enter in the box must not submit the form.
    box.addEventListener("keydown", function (ev) { if (ev.key === "Enter") ev.preventDefault(); });
  });
})();
