// Helpline call form: keyboard shortcuts (listed on the page and in its help panel); the form works without this file.
(function () {
  "use strict";
  function click(form, selector) {
    var button = form.querySelector(selector);
    if (!button) { return false; }
    // A real click: htmx sends the name of the button last clicked, so Alt+R then Alt+S saves (not a row).
    button.focus();
    button.click();
    return true;
  }
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key.toLowerCase();
    if (key === "k") {  // Alt+K: the shortcuts help panel
      var help = document.getElementById("shortcut-help");
      if (help) {
        event.preventDefault();
        help.open = !help.open;
        if (help.open) { help.querySelector("summary").focus(); }
      }
      return;
    }
    var form = document.getElementById("call-form");
    if (!form) { return; }
    var done = false;
    if (key === "s") { done = click(form, "button[name=save]"); }  // Alt+S: save the call, from any field
    else if (key === "r") { done = click(form, "button[name=add_request]"); }  // Alt+R: one more request
    else if (key === "p") { done = click(form, "button[name=propose]"); }  // Alt+P: refresh the services
    else if (key === "g") { done = click(form, "#call-reference button"); }  // Alt+G: give a reference
    else if (key === "q") {  // Alt+Q: to the requests (the first one without a category, else the last one)
      var categories = form.querySelectorAll(".request-row input[name$='-category']");
      var target = null;
      for (var i = 0; i < categories.length && !target; i++) { if (!categories[i].value) { target = categories[i]; } }
      target = target || categories[categories.length - 1];
      if (target) { target.focus(); done = true; }
    }
    if (done) { event.preventDefault(); }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) { return; }
    if (target.id === "request-rows") {  // a new request row: the cursor in its category
      var rows = target.querySelectorAll(".request-row");
      var last = rows[rows.length - 1];
      var input = last && last.querySelector("input[type=text]");
      if (input) { input.focus(); }
    } else if (target.id === "call-form" || (target.querySelector && target.querySelector("#call-form"))) {
      var form = document.getElementById("call-form");
      var invalid = form && form.querySelector("[aria-invalid=true]");
      var first = invalid || (form && form.querySelector("#id_duration_minutes"));
      if (first) { first.focus(); }
    }
  });
})();
