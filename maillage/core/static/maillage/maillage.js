// maillage — small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Forms marked data-confirm ask before doing something that cannot be undone.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
