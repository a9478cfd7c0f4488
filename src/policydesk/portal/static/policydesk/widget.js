/* policydesk in-product help (C13 channel 1). See docs/in-product-widget.md.
 *
 * <script src="https://support.example.com/widget.js" data-token="TOKEN" async></script>
 * or, to mint the token when the customer opens help:
 * <script src="https://support.example.com/widget.js" async></script>
 * <script>window.policydeskWidget = {tokenProvider: () => fetch("/support-token").then(r => r.text())};</script>
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/widget.js", window.location.href).origin;
  var config = window.policydeskWidget || {};
  var state = { frame: null, panel: null, open: false, token: script ? script.getAttribute("data-token") : null };
  var label = (script && script.getAttribute("data-label")) || config.label || "Help";

  function getToken() {
    if (typeof config.tokenProvider === "function") {
      return Promise.resolve(config.tokenProvider());
    }
    return Promise.resolve(state.token);
  }

  function build(token) {
    var panel = document.createElement("div");
    panel.setAttribute("data-testid", "policydesk-widget-panel");
    panel.style.cssText = "position:fixed;right:20px;bottom:84px;width:420px;max-width:calc(100vw - 40px);" +
      "height:640px;max-height:calc(100vh - 110px);box-shadow:0 8px 32px rgba(0,0,0,.25);border-radius:10px;" +
      "overflow:hidden;background:#fff;z-index:2147483000;display:none";
    var frame = document.createElement("iframe");
    frame.title = label;
    frame.setAttribute("data-testid", "policydesk-widget-frame");
    frame.style.cssText = "border:0;width:100%;height:100%";
    frame.referrerPolicy = "no-referrer";
    // The token is used once; the frame is kept for the rest of the page's life.
    frame.src = base + "/widget/?token=" + encodeURIComponent(token || "");
    panel.appendChild(frame);
    document.body.appendChild(panel);
    state.panel = panel;
    state.frame = frame;
  }

  function toggle() {
    if (state.panel) {
      state.open = !state.open;
      state.panel.style.display = state.open ? "block" : "none";
      return;
    }
    getToken().then(function (token) {
      build(token);
      toggle();
    });
  }

  function button() {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.setAttribute("aria-label", label);
    b.setAttribute("data-testid", "policydesk-widget-button");
    b.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483001;border:0;border-radius:24px;" +
      "padding:12px 20px;background:#1f5fbf;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;" +
      "box-shadow:0 4px 14px rgba(0,0,0,.2)";
    b.addEventListener("click", toggle);
    document.body.appendChild(b);
  }

  window.policydeskWidget = Object.assign(config, {
    open: function (token) {
      if (token) { state.token = token; }
      if (!state.open) { toggle(); }
    },
    close: function () { if (state.open) { toggle(); } }
  });

  if (document.body) { button(); } else { document.addEventListener("DOMContentLoaded", button); }
})();
