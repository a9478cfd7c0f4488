// The notification counter in the console header (inbox, issue 11): refreshed every 30 seconds
// from a small JSON endpoint, without reloading the page. Polling pauses while the tab is hidden.
(function () {
  "use strict";
  var PERIOD = 30000;
  function start() {
    var link = document.querySelector("[data-count-url]");
    var badge = link && link.querySelector("[data-testid=notification-count]");
    if (!badge) {
      return;
    }
    function show(count) {
      badge.textContent = String(count);
      badge.dataset.count = String(count);
      badge.hidden = count === 0;
    }
    function refresh() {
      if (document.hidden) {
        return;
      }
      fetch(link.dataset.countUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) { if (body && typeof body.unread === "number") { show(body.unread); } })
        .catch(function () { /* offline for a moment: the next poll tries again */ });
    }
    window.setInterval(refresh, PERIOD);
    document.addEventListener("visibilitychange", refresh);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
