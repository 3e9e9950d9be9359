// Sadakat's rewards launcher: a floating button on every page of a store that opens a small panel with the
// customer's points (read through the store's own rewards proxy, on Shopify) or what the programme offers,
// and a link to the full rewards page. No framework, no cookies, no requests to anyone but the store.
// Configured by the data-* attributes of its script tag (the Shopify app embed), or by a call to
// sadakatLauncher({...}) (the script Sadakat serves for any other site).
(function () {
  "use strict";
  var FOCUS = "3px solid #b45309";

  function make(tag, style, text) {
    var node = document.createElement(tag);
    if (style) Object.assign(node.style, style);
    if (text) node.textContent = text;
    return node;
  }

  function outline(node) {
    node.addEventListener("focus", function () { node.style.outline = FOCUS; node.style.outlineOffset = "2px"; });
    node.addEventListener("blur", function () { node.style.outline = ""; });
  }

  function launch(config) {
    if (!config || !config.page || document.getElementById("sadakat-launcher")) return;
    var colour = /^#[0-9a-fA-F]{6}$/.test(config.colour || "") ? config.colour : "#0f766e";
    var side = config.position === "left" ? "left" : "right";
    var text = function (name, fallback) { return config[name] || fallback; };
    var summary = Array.isArray(config.summary) ? config.summary : String(config.summary || "").split("\n");

    var root = make("div", { position: "fixed", bottom: "16px", zIndex: "2147483000",
      font: "16px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" });
    root.id = "sadakat-launcher";
    root.style[side] = "16px";

    var button = make("button", { minHeight: "48px", padding: "12px 20px", border: "0", borderRadius: "999px",
      background: colour, color: "#fff", font: "inherit", fontWeight: "700", cursor: "pointer",
      boxShadow: "0 4px 14px rgba(0,0,0,.25)" }, text("label", "Rewards"));
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "sadakat-panel");

    var panel = make("div", { position: "absolute", bottom: "60px", width: "min(320px, calc(100vw - 32px))",
      boxSizing: "border-box", padding: "16px", borderRadius: "12px", background: "#fff", color: "#1c1917",
      boxShadow: "0 8px 30px rgba(0,0,0,.25)", borderTop: "4px solid " + colour });
    panel.style[side] = "0";
    panel.id = "sadakat-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", "sadakat-panel-title");

    var title = make("h2", { margin: "0 0 8px", fontSize: "1.15rem", paddingRight: "64px" }, text("title", "Rewards"));
    title.id = "sadakat-panel-title";
    var body = make("div", { margin: "0 0 12px" });
    body.id = "sadakat-panel-body";
    summary.filter(Boolean).forEach(function (line) { body.appendChild(make("p", { margin: "0 0 6px" }, line)); });
    var link = make("a", { display: "inline-block", padding: "10px 16px", borderRadius: "6px", background: colour,
      color: "#fff", fontWeight: "700", textDecoration: "none" }, text("see", "See my rewards"));
    link.href = config.page;
    var close = make("button", { position: "absolute", top: "10px", right: "10px", minHeight: "36px",
      padding: "4px 10px", border: "1px solid #57534e", borderRadius: "6px", background: "#fff", color: "#1c1917",
      font: "inherit", cursor: "pointer" }, text("close", "Close"));
    close.type = "button";
    [button, link, close].forEach(outline);
    panel.append(title, body, link, close);
    root.append(panel, button);

    var loaded = false;
    function load() {
      if (loaded || !config.balance) return;
      loaded = true;
      fetch(config.balance, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) {
          if (answer.status === 401 && config.login) {
            var line = make("p", { margin: "0 0 6px" });
            var login = make("a", { color: "#1c1917", fontWeight: "700" }, text("signin", "Log in to see your points"));
            login.href = config.login;
            outline(login);
            line.appendChild(login);
            body.prepend(line);
            return;
          }
          return answer.ok ? answer.json().then(show) : undefined;
        })
        .catch(function () { loaded = false; });
    }
    function show(view) {
      if (typeof view.points !== "number") return;
      var words = text("points", "You have {points} points").replace("{points}", view.points.toLocaleString(config.lang || undefined));
      var line = make("p", { margin: "0 0 6px", fontSize: "1.3rem", fontWeight: "800", color: colour }, words);
      line.id = "sadakat-panel-points";
      body.prepend(line);
    }
    function open() {
      panel.hidden = false;
      button.setAttribute("aria-expanded", "true");
      load();
      link.focus();
    }
    function shut() {
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
    button.addEventListener("click", function () { (panel.hidden ? open : shut)(); });
    close.addEventListener("click", shut);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden) shut();
    });
    document.body.appendChild(root);
  }

  window.sadakatLauncher = function (config) {
    if (document.body) launch(config);
    else document.addEventListener("DOMContentLoaded", function () { launch(config); });
  };
  var script = document.currentScript;
  if (script && script.dataset && script.dataset.page) window.sadakatLauncher(Object.assign({}, script.dataset));
})();
