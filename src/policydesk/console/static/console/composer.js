// The workspace's composer (console/_workspace.html): the Reply / Internal note toggle, files
// picked or dropped, the macro picker's search box, and what happens when an htmx request of the workspace fails.
// Without this file the composer still works: the radio buttons choose, the file field picks.
(function () {
  "use strict";

  function setKind(form) {
    var chosen = form.querySelector('input[name="kind"]:checked');
    var kind = chosen ? chosen.value : "reply";
    form.classList.toggle("composer-reply", kind === "reply");
    form.classList.toggle("composer-note", kind === "note");
    if (form.getAttribute("data-draft-kind") !== kind) {
      form.setAttribute("data-draft-kind", kind);
      form.dispatchEvent(new Event("draft-kind"));
    }
    var send = form.querySelector("[data-testid=composer-send]");
    if (send) send.textContent = send.getAttribute(kind === "note" ? "data-note-label" : "data-reply-label");
    form.querySelectorAll(".composer-reply-only").forEach(function (button) { button.hidden = kind === "note"; });
  }

  function listFiles(form) {
    var input = form.querySelector('input[type="file"]');
    var list = form.querySelector("[data-testid=composer-files]");
    if (!input || !list) return;
    list.textContent = "";
    Array.prototype.forEach.call(input.files || [], function (file) {
      var item = document.createElement("li");
      item.textContent = file.name;
      list.appendChild(item);
    });
  }

  function bind(root) {
    var form = root.querySelector ? root.querySelector("#composer") : null;
    if (root.id === "composer") form = root;
    if (!form || form.dataset.composerBound) return;
    form.dataset.composerBound = "yes";
    form.classList.add("composer-js");
    form.querySelectorAll('input[name="kind"]').forEach(function (radio) {
      radio.addEventListener("change", function () { setKind(form); });
    });
    setKind(form);
    // The macro picker's search (console/_macro_picker.html) asks as you type; Enter in it must not
    // submit the composer (its first button would apply a macro, or send).
    var search = form.querySelector("[data-testid=macro-search]");
    if (search) {
      search.closest(".macro-search").hidden = false;
      search.addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
    }
    var input = form.querySelector('input[type="file"]');
    var zone = form.querySelector("[data-testid=composer-drop]");
    if (input) input.addEventListener("change", function () { listFiles(form); });
    if (zone && input && window.DataTransfer) {
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dropzone-over"); });
      });
      zone.addEventListener("dragleave", function () { zone.classList.remove("dropzone-over"); });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        zone.classList.remove("dropzone-over");
        var files = new DataTransfer();
        Array.prototype.forEach.call(input.files || [], function (file) { files.items.add(file); });
        Array.prototype.forEach.call(event.dataTransfer.files || [], function (file) { files.items.add(file); });
        input.files = files.files;
        var reply = form.querySelector('input[name="kind"][value="reply"]');
        if (reply && !reply.checked) { reply.checked = true; setKind(form); }
        listFiles(form);
      });
    }
  }

  // A failed htmx request: the pages the desk answers errors with (signed out, forbidden, not
  // found, too large, server error) keep what was typed and say what to do, so the page shows
  // them whole; a request that never reached the server frees the form and says so.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 401 && status !== 409 && status < 600) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      event.detail.target = document.body;
      event.detail.swapOverride = "innerHTML";
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (!form) return;
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
    var alert = form.querySelector(".send-failed");
    if (!alert) {
      alert = document.createElement("p");
      alert.className = "send-failed errors";
      alert.setAttribute("role", "alert");
      alert.setAttribute("data-testid", "send-failed");
      form.appendChild(alert);
    }
    // The sentence comes from the page, in its language (`_workspace.html`: data-send-failed).
    var holder = form.closest("[data-send-failed]");
    alert.textContent = holder ? holder.getAttribute("data-send-failed")
      : "Not sent: the desk could not be reached. What you wrote is kept; try again.";
  });

  function ready() { bind(document); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  document.addEventListener("htmx:load", function (event) { bind(event.target); });
})();
