// Helpline call form: keyboard shortcuts; the form works without this file.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) { return; }
    var form = document.getElementById("call-form");
    if (!form) { return; }
    var key = event.key.toLowerCase();
    if (key === "r") {  // Alt+R: one more request
      var add = form.querySelector("button[name=add_request]");
      if (add) { event.preventDefault(); add.click(); }
    } else if (key === "s") {  // Alt+S: save the call
      event.preventDefault();
      form.requestSubmit(form.querySelector("button[name=save]"));
    }
  });
  // After a new request row arrives, put the cursor in its category.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "request-rows") {
      var rows = target.querySelectorAll(".request-row");
      var last = rows[rows.length - 1];
      var input = last && last.querySelector("input[type=text]");
      if (input) { input.focus(); }
    }
  });
})();
