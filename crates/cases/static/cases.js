// The report form: only the chosen category's questions show (and are sent). Without
// this script every category's fieldset shows, and the server keeps only the chosen one's.
(function () {
  var select = document.getElementById("category");
  var sets = document.querySelectorAll("fieldset.questions[data-category]");
  if (!select || !sets.length) return;
  function show() {
    sets.forEach(function (set) {
      var mine = set.getAttribute("data-category") === select.value;
      set.hidden = !mine;
      set.disabled = !mine;
    });
  }
  select.addEventListener("change", show);
  show();
})();
