// Every form submits once (policydesk/web/once.py): a form that is being sent is not sent
// again, and its buttons are disabled until the next page. The server checks the form's
// one-time key as well; this only spares the person a second request.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") {
      return;
    }
    if (form.dataset.sending === "yes") {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "yes";
    form.setAttribute("aria-busy", "true");
    // After this event: a button disabled now would leave the form's data without its value.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });
  // Back to a page from the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button, input[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    });
  });
})();

// A form sent back with errors: focus goes to the first field in error (Django marks it
// aria-invalid), else to the first error message, so the keyboard and the screen reader start
// where the fix is. A field the page focuses itself (autofocus) keeps its focus.
(function () {
  "use strict";
  function focusFirstError() {
    if (document.activeElement && document.activeElement !== document.body) {
      return;
    }
    var field = document.querySelector("main [aria-invalid=true]");
    if (field) {
      field.focus();
      return;
    }
    var message = document.querySelector("main .errorlist, main .errors");
    if (message) {
      message.setAttribute("tabindex", "-1");
      message.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusFirstError);
  } else {
    focusFirstError();
  }
})();
