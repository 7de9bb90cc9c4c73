/* permit-service: progressive enhancement only; every page works without this file.
   - follow-up questions: hide a question while its condition does not hold
   - status page: poll the status while a payment is pending, reload when it changes */
(function () {
  "use strict";
  function revealFollowUps() {
    var followUps = document.querySelectorAll("[data-reveal-name]");
    Array.prototype.forEach.call(followUps, function (box) {
      var name = box.getAttribute("data-reveal-name");
      var value = box.getAttribute("data-reveal-value");
      var negate = box.getAttribute("data-reveal-negate") === "true";
      var inputs = document.querySelectorAll('input[name="' + name + '"]');
      function update() {
        var chosen = document.querySelector('input[name="' + name + '"]:checked');
        var holds = chosen !== null && (negate ? chosen.value !== value : chosen.value === value);
        box.hidden = !holds;
      }
      Array.prototype.forEach.call(inputs, function (input) {
        input.addEventListener("change", update);
      });
      update();
    });
  }
  function pollStatus() {
    var status = document.getElementById("status");
    if (!status || !status.getAttribute("data-poll")) { return; }
    var url = status.getAttribute("data-poll");
    var current = status.getAttribute("data-status");
    var started = Date.now();
    function tick() {
      if (Date.now() - started > 120000) { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (body && body.status && body.status !== current) { window.location.reload(); return; }
          window.setTimeout(tick, 2000);
        })
        .catch(function () { window.setTimeout(tick, 4000); });
    }
    window.setTimeout(tick, 1500);
  }
  revealFollowUps();
  pollStatus();
})();
