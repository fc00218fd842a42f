// Fills the <datalist> of a person field with matches from the server as the user types.
(function () {
  "use strict";
  document.querySelectorAll("input[data-person-search]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-person-search");
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last || /#\d+$/.test(q)) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        last = q;
        fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            list.textContent = "";
            items.forEach(function (item) {
              var opt = document.createElement("option");
              opt.value = item.label;
              list.appendChild(opt);
            });
          })
          .catch(function () { /* the field still accepts a typed name */ });
      }, 200);
    });
  });
})();
