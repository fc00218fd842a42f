// The correction form of a bank line: show only the fields the chosen "Zuordnen als" needs.
// Without JavaScript every field stays visible and the form works the same.
(function () {
  "use strict";
  var form = document.querySelector("form[action*='/zuordnen']");
  if (!form) return;
  var radios = form.querySelectorAll("input[name='target']");
  var parts = form.querySelectorAll("[data-for]");
  function update() {
    var chosen = form.querySelector("input[name='target']:checked");
    var value = chosen ? chosen.value : "";
    parts.forEach(function (part) {
      var kinds = part.getAttribute("data-for").split(" ");
      part.hidden = value !== "" && kinds.indexOf(value) === -1;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
