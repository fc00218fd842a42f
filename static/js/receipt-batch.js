// The year's receipt batch: poll its counters while it runs; show the summary when it ends.
(function () {
  "use strict";
  var box = document.getElementById("receipt-batch");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var status = box.getAttribute("data-status");
  var bar = document.getElementById("batch-progress");
  var refresh = box.querySelector("[data-testid=refresh]");
  var FINISHED = { done: true, failed: true };
  var INTERVAL = 2000;

  if (FINISHED[status]) {
    return;
  }
  if (refresh) {
    refresh.hidden = true; // the page refreshes itself; the link is for browsers without script
  }

  function show(name, value) {
    var field = box.querySelector('[data-field="' + name + '"]');
    if (field) {
      field.textContent = String(value);
    }
  }

  function update(data) {
    ["done", "total", "issued", "emailed", "to_print", "skipped"].forEach(function (name) {
      show(name, data[name]);
    });
    if (bar) {
      bar.max = Math.max(data.total, 1);
      bar.value = data.done;
      bar.textContent = data.done + " / " + data.total;
    }
    if (data.status !== status) {
      if (FINISHED[data.status]) {
        window.location.reload(); // the summary is rendered by the server
        return false;
      }
      status = data.status;
      box.setAttribute("data-status", status);
      show("status-text", box.getAttribute("data-text-" + status) || status);
    }
    return true;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (update(data)) {
          window.setTimeout(poll, INTERVAL);
        }
      })
      .catch(function () {
        if (refresh) {
          refresh.hidden = false; // fall back to the link
        }
        window.setTimeout(poll, INTERVAL * 5);
      });
  }

  window.setTimeout(poll, INTERVAL);
})();
