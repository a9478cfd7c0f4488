// The ticket page's machinery (console and portal): drafts saved as people type, and, in the
// console, who else is on the ticket (short polling). No inline script: CSP allows only ours.
// The page marks what it wants: [data-draft-url] on the ticket, [data-draft-kind] on each form
// whose text box is kept, [data-presence-url] for presence. In the console the workspace
// replaces itself after each action (htmx): the new one is bound again ("htmx:load"), and the
// presence poll always reads the workspace that is on the page now.
(function () {
  "use strict";
  var POLL_MS = 10000;
  var SAVE_MS = 700;
  var TYPING_MS = 12000;
  var lastTyped = 0;

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

  // Drafts: the form's [data-draft-kind] may change while the person types (the console's
  // composer: reply or note); the text then moves to the new kind's draft.
  function bindDrafts(page) {
    var draftUrl = page.getAttribute("data-draft-url");
    if (!draftUrl) return;
    page.querySelectorAll("form[data-draft-kind]").forEach(function (form) {
      var box = form.querySelector('textarea[name="text"]');
      if (!box || box.dataset.draftBound) return;
      box.dataset.draftBound = "yes";
      var timer = null;
      var saved = box.value;
      var savedKind = form.getAttribute("data-draft-kind");
      var save = function (beacon) {
        timer = null;
        var kind = form.getAttribute("data-draft-kind");
        if (box.value === saved && kind === savedKind) return;
        if (kind !== savedKind && saved) post(draftUrl, { kind: savedKind, text: "" }, csrf(form), beacon);
        saved = box.value;
        savedKind = kind;
        var sent = post(draftUrl, { kind: kind, text: box.value }, csrf(form), beacon);
        Promise.resolve(sent).then(function () { form.setAttribute("data-draft-saved", String(Date.now())); });
      };
      box.addEventListener("input", function () {
        if (form.getAttribute("data-draft-kind") === "reply") lastTyped = Date.now();
        if (timer) clearTimeout(timer);
        timer = setTimeout(function () { save(false); }, SAVE_MS);
      });
      form.addEventListener("draft-kind", function () { save(false); });
      // Leaving the box (often: to click Send) saves a little later, so the save does not race
      // the form it belongs to; a sent form cancels it.
      box.addEventListener("blur", function () {
        if (timer) clearTimeout(timer);
        timer = setTimeout(function () { save(false); }, SAVE_MS);
      });
      form.addEventListener("submit", function () { if (timer) clearTimeout(timer); saved = box.value; });
      window.addEventListener("pagehide", function () { if (timer && document.contains(box)) save(true); });
    });
  }

  var polling = false;
  function startPresence() {
    if (polling) return;
    polling = true;
    var current = function () { return document.querySelector("[data-presence-url]"); };
    var poll = function () {
      var page = current();
      if (!page) return;
      var state = Date.now() - lastTyped < TYPING_MS ? "typing" : "viewing";
      post(page.getAttribute("data-presence-url"), { state: state }, csrf(page), false).then(function (response) {
        if (!response || !response.ok) return null;
        return response.json();
      }).then(function (answer) {
        if (!answer) return;
        var now = current();
        if (!now) return;
        var line = now.querySelector("[data-testid=presence]");
        if (line) line.textContent = answer.line;
        var changed = now.querySelector("[data-testid=presence-changed]");
        if (changed && String(answer.version) !== now.getAttribute("data-version")) changed.hidden = false;
      });
    };
    poll();
    setInterval(poll, POLL_MS);
    window.addEventListener("pagehide", function () {
      var page = current();
      if (page) post(page.getAttribute("data-presence-url"), { state: "gone" }, csrf(page), true);
    });
  }

  function bind(root) {
    var pages = [];
    if (root.matches && root.matches("[data-draft-url], [data-presence-url]")) pages.push(root);
    (root.querySelectorAll ? root.querySelectorAll("[data-draft-url], [data-presence-url]") : []).forEach(function (p) { pages.push(p); });
    pages.forEach(function (page) {
      bindDrafts(page);
      if (page.hasAttribute("data-presence-url")) startPresence();
    });
  }

  function ready() { bind(document); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  document.addEventListener("htmx:load", function (event) { bind(event.target); });
})();
