// The console's keyboard shortcuts, listed on `?` (the dialog in console/base.html).
// j / k: next / previous ticket (on the ticket page: the links of the workspace; in a queue: the
// chosen row, Enter opens it); r / n: write a reply / a note; m: pick a macro; a: assign to me;
// s: the status;
// /: search; g o: the overview; Ctrl+Enter sends the composer; Esc leaves a text box.
// Nothing fires while the person types in a field, except Ctrl+Enter and Esc.
(function () {
  "use strict";
  var pendingG = 0;

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function workspace() { return document.getElementById("workspace"); }

  function composeAs(kind) {
    var form = document.getElementById("composer");
    if (!form) return false;
    var radio = form.querySelector('input[name="kind"][value="' + kind + '"]');
    if (radio && !radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var box = form.querySelector('textarea[name="text"]');
    if (box) { box.focus(); box.scrollIntoView({ block: "center" }); }
    return true;
  }

  function pickMacro() {
    var picker = document.getElementById("macro-picker");
    if (!picker) return false;
    picker.open = true;
    var search = picker.querySelector("[data-testid=macro-search]");
    var first = picker.querySelector("[data-testid=macro-apply]");
    var target = search && !search.closest("[hidden]") ? search : first;
    if (target) { target.focus(); target.scrollIntoView({ block: "center" }); }
    return true;
  }

  function click(selector) {
    var element = document.querySelector(selector);
    if (!element) return false;
    element.click();
    return true;
  }

  function focus(selector) {
    var element = document.querySelector(selector);
    if (!element) return false;
    element.focus();
    element.scrollIntoView({ block: "center" });
    return true;
  }

  // The queue page: a chosen row, moved with j / k, opened with Enter.
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-testid=queue-row]")); }
  function moveRow(step) {
    var all = rows();
    if (!all.length) return false;
    var at = all.findIndex(function (row) { return row.classList.contains("row-chosen"); });
    var next = Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + step));
    all.forEach(function (row) { row.classList.remove("row-chosen"); row.removeAttribute("aria-current"); });
    var row = all[next];
    row.classList.add("row-chosen");
    row.setAttribute("aria-current", "true");
    var link = row.querySelector("a");
    if (link) link.focus();
    return true;
  }

  function step(direction) {
    var page = workspace();
    if (page) {
      var url = page.getAttribute(direction === "next" ? "data-next-url" : "data-previous-url");
      var from = new URLSearchParams(window.location.search).get("queue");
      if (url) { window.location.assign(url + (from ? "?queue=" + encodeURIComponent(from) : "")); return true; }
    }
    return moveRow(direction === "next" ? 1 : -1);
  }

  function help() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog || dialog.open) return false;
    dialog.showModal();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;  // an IME is composing Japanese
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.closest && target.closest("#composer")) {
      event.preventDefault();
      var send = document.querySelector("[data-testid=composer-send]");
      if (send) send.click();
      return;
    }
    if (event.key === "Escape" && typing(target)) { target.blur(); return; }
    if (typing(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    var done = false;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (event.key === "o") done = click("[data-testid=nav-overview]");
      if (done) event.preventDefault();
      return;
    }
    switch (event.key) {
      case "?": done = help(); break;
      case "j": done = step("next"); break;
      case "k": done = step("previous"); break;
      case "r": done = composeAs("reply"); break;
      case "n": done = composeAs("note"); break;
      case "m": done = pickMacro(); break;
      case "a": done = click("[data-testid=assign-self]"); break;
      case "s": done = focus("#status select"); break;
      case "/": done = focus("#console-search") || focus(".queue-filters input[name=text]"); break;
      case "g": pendingG = Date.now(); done = true; break;
      case "Enter": {
        var chosen = document.querySelector("tr.row-chosen a, .row-chosen a");
        if (chosen && document.activeElement === document.body) { chosen.click(); done = true; }
        break;
      }
      default: break;
    }
    if (done) event.preventDefault();
  });

  function ready() {
    var open = document.querySelector("[data-testid=shortcuts-open]");
    if (open) open.addEventListener("click", help);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
