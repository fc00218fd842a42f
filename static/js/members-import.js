// Member import: switch the sheet as soon as another one is picked; no double import.
(function () {
  "use strict";
  var sheet = document.querySelector("#import-mapping select[name=sheet]");
  var sheetButton = document.querySelector("[data-sheet-button]");
  if (sheet && sheetButton) {
    sheet.addEventListener("change", function () {
      sheetButton.click();
    });
  }
  var run = document.getElementById("import-run");
  if (run) {
    run.addEventListener("submit", function () {
      var button = run.querySelector("[data-busy-text]");
      if (button) {
        // disable after the browser has taken the button's value into the form data
        window.setTimeout(function () {
          button.disabled = true;
          button.value = button.getAttribute("data-busy-text");
        }, 0);
      }
    });
  }
})();
