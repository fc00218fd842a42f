// The return pages of an online payment: poll its status until the webhook has settled it,
// then reload so the server shows the final state. No inline script: the page names the JSON
// in data-status-url on #payment-status.
(function () {
  "use strict";
  var box = document.getElementById("payment-status");
  if (!box || box.getAttribute("data-final") === "true") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var status = box.getAttribute("data-status");
  var INTERVAL = 2000; // every 2 s while a card payment is usually confirmed
  var SLOW = 30000; // after five minutes (a SEPA debit takes days): every 30 s
  var FAST_POLLS = 150;
  var polls = 0;

  function next(delay) {
    window.setTimeout(poll, delay);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        polls += 1;
        if (data.status !== status) {
          window.location.reload(); // the server renders the new state with its details
          return;
        }
        next(polls < FAST_POLLS ? INTERVAL : SLOW);
      })
      .catch(function () {
        next(SLOW);
      });
  }

  next(INTERVAL);
})();
