// Fast encoding: Ctrl+Enter saves the follow-up; a newly added request row gets the focus.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var form = event.target.closest && event.target.closest("form.casework-encoding");
      if (form) {
        event.preventDefault();
        form.requestSubmit(form.querySelector("button[name=save]"));
      }
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "request-rows") {
      var inputs = event.detail.target.querySelectorAll("input.category-input");
      var last = inputs[inputs.length - 3];
      if (last) { last.focus(); }
    }
  });
})();
