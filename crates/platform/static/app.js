// Shared page behaviour. Pages work without it; it only adds conveniences.
(function () {
  "use strict";
  // Confirm destructive form buttons that ask for it.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();
