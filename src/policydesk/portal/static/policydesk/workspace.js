// The ticket page's machinery (console and portal): drafts saved as people type, and, in the
// console, who else is on the ticket (short polling). No inline script: CSP allows only ours.
// The page marks what it wants: [data-draft-url] on the ticket, [data-draft-kind] on each form
// whose text box is kept, [data-presence-url] for presence.
(function () {
  "use strict";
  var POLL_MS = 10000;
  var SAVE_MS = 700;
  var TYPING_MS = 12000;

  function csrf(form) {
    var field = (form || document).querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function post(url, fields, token, beacon) {
    var body = new FormData();
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    body.append("csrfmiddlewaretoken", token);
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon(url, body);
      return Promise.resolve(null);
    }
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": token, "X-Requested-With": "fetch" },
    }).catch(function () { return null; });
  }

  function start(page) {
    var draftUrl = page.getAttribute("data-draft-url");
    var presenceUrl = page.getAttribute("data-presence-url");
    var lastTyped = 0;

    if (draftUrl) {
      page.querySelectorAll("form[data-draft-kind]").forEach(function (form) {
        var box = form.querySelector('textarea[name="text"]');
        if (!box) return;
        var kind = form.getAttribute("data-draft-kind");
        var timer = null;
        var saved = box.value;
        var save = function (beacon) {
          timer = null;
          if (box.value === saved) return;
          saved = box.value;
          post(draftUrl, { kind: kind, text: box.value }, csrf(form), beacon);
          form.setAttribute("data-draft-saved", String(Date.now()));
        };
        box.addEventListener("input", function () {
          if (kind === "reply") lastTyped = Date.now();
          if (timer) clearTimeout(timer);
          timer = setTimeout(function () { save(false); }, SAVE_MS);
        });
        box.addEventListener("blur", function () { save(false); });
        form.addEventListener("submit", function () { if (timer) clearTimeout(timer); saved = box.value; });
        window.addEventListener("pagehide", function () { if (timer) save(true); });
      });
    }

    if (presenceUrl) {
      var line = page.querySelector("[data-testid=presence]");
      var token = csrf(page);
      var poll = function () {
        var state = Date.now() - lastTyped < TYPING_MS ? "typing" : "viewing";
        post(presenceUrl, { state: state }, token, false).then(function (response) {
          if (!response || !response.ok) return null;
          return response.json();
        }).then(function (answer) {
          if (!answer) return;
          if (line) line.textContent = answer.line;
          var changed = page.querySelector("[data-testid=presence-changed]");
          if (changed && String(answer.version) !== page.getAttribute("data-version")) changed.hidden = false;
        });
      };
      poll();
      setInterval(poll, POLL_MS);
      window.addEventListener("pagehide", function () { post(presenceUrl, { state: "gone" }, token, true); });
    }
  }

  function ready() {
    document.querySelectorAll("[data-draft-url], [data-presence-url]").forEach(start);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
