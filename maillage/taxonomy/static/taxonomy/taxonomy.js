// taxonomy — after an upload with bad rows, move focus to the list of problems so it is read first.
(function () {
  "use strict";
  var errors = document.getElementById("upload-errors");
  if (errors) {
    errors.focus();
  }
})();
