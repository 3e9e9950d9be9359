// Sadakat's rewards launcher: a floating button on every page of a store that opens a small panel with the
// customer's points (read through the store's own rewards proxy, on Shopify), the member's own panel (on any
// other site that signs the customer on the script tag: data-customer, data-ts, data-sig), or what the
// programme offers and how to join; and a link to the full rewards page. No framework, no cookies, no
// requests to anyone but the store and Sadakat. Configured by the data-* attributes of its script tag (the
// Shopify app embed), or by a call to sadakatLauncher({...}) (the script Sadakat serves for any other site).
(function () {
  "use strict";
  var FOCUS = "3px solid #b45309";
  var tag = document.currentScript;
  var signedBy = tag && tag.dataset && tag.dataset.sig
    ? { customer: tag.dataset.customer || "", ts: tag.dataset.ts || "", sig: tag.dataset.sig } : null;

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
    var dir = config.dir || (/^(ar|fa|he|ur)\b/i.test(config.lang || "") ? "rtl" : "ltr");
    var summary = Array.isArray(config.summary) ? config.summary : String(config.summary || "").split("\n");

    var root = make("div", { position: "fixed", bottom: "16px", zIndex: "2147483000",
      font: "16px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" });
    root.id = "sadakat-launcher";
    if (config.lang) root.lang = config.lang;
    root.style[side] = "16px";

    var button = make("button", { minHeight: "48px", padding: "12px 20px", border: "0", borderRadius: "999px",
      background: colour, color: "#fff", font: "inherit", fontWeight: "700", cursor: "pointer",
      boxShadow: "0 4px 14px rgba(0,0,0,.25)" }, text("label", "Rewards"));
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "sadakat-panel");

    var panel = make("div", { position: "absolute", bottom: "60px", width: "min(340px, calc(100vw - 32px))",
      boxSizing: "border-box", padding: "16px", borderRadius: "12px", background: "#fff", color: "#1c1917",
      boxShadow: "0 8px 30px rgba(0,0,0,.25)", borderTop: "4px solid " + colour,
      maxHeight: "min(75vh, 640px)", overflowY: "auto" });
    panel.style[side] = "0";
    panel.id = "sadakat-panel";
    panel.dir = dir;
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", "sadakat-panel-title");

    var title = make("h2", { margin: "0 0 8px", fontSize: "1.15rem", paddingInlineEnd: "64px" }, text("title", "Rewards"));
    title.id = "sadakat-panel-title";
    var body = make("div", { margin: "0 0 12px" });
    body.id = "sadakat-panel-body";
    var words = config.words || {};
    function num(n) {  // as the server writes numbers: CLDR's digits for the language, thousands always grouped
      var options = config.digits ? { numberingSystem: config.digits, useGrouping: "always" } : {};
      try { return n.toLocaleString(config.lang || undefined, options); } catch (e) { return String(n); }
    }
    function say(name, values, count) {  // a message with plural forms comes by category: one, few, other...
      var line = words[name] || "";
      if (line && typeof line === "object") {
        var category = "other";
        try { category = new Intl.PluralRules(config.lang || undefined).select(count === undefined ? 2 : count); }
        catch (e) { /* an unknown language: "other" */ }
        line = line[category] || line.other || "";
      }
      Object.keys(values || {}).forEach(function (key) { line = line.split("{" + key + "}").join(values[key]); });
      return line;
    }
    function visitor() {
      body.textContent = "";
      summary.filter(Boolean).forEach(function (line) { body.appendChild(make("p", { margin: "0 0 6px" }, line)); });
      if (config.signup && config.words && !signedBy) {
        body.appendChild(make("p", { margin: "8px 0 4px", fontWeight: "700" }, say("join_title")));
        var join = make("a", { color: "#1c1917", fontWeight: "700" }, say("launcher_join"));
        join.href = config.signup;
        join.id = "sadakat-panel-join";
        outline(join);
        var line = make("p", { margin: "0 0 6px" });
        line.appendChild(join);
        body.appendChild(line);
      }
    }
    visitor();
    var link = make("a", { display: "inline-block", padding: "10px 16px", borderRadius: "6px", background: colour,
      color: "#fff", fontWeight: "700", textDecoration: "none" }, text("see", "See my rewards"));
    link.href = config.page;
    var close = make("button", { position: "absolute", top: "10px", insetInlineEnd: "10px", minHeight: "36px",
      padding: "4px 10px", border: "1px solid #57534e", borderRadius: "6px", background: "#fff", color: "#1c1917",
      font: "inherit", cursor: "pointer" }, text("close", "Close"));
    close.type = "button";
    [button, link, close].forEach(outline);
    panel.append(title, body, link, close);
    root.append(panel, button);

    var token = null;
    var exchanged = null;
    if (signedBy && config.session) {
      // Traded at once (the signature lasts 5 minutes); the token lives in this page's memory only.
      exchanged = fetch(config.session, { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(signedBy) })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (answer) { token = answer && answer.token; return answer; })
        .catch(function () { return null; });
    }

    var loaded = false;
    function load() {
      if (loaded) return;
      loaded = true;
      if (exchanged) {
        exchanged.then(function (answer) {
          if (token) return member();
          if (answer) body.prepend(make("p", { margin: "0 0 6px", fontWeight: "700" }, say("new_member")));
        });
        return;
      }
      if (!config.panel && !config.balance) return;
      fetch(panelUrl() || config.balance, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) {
          if (answer.status === 401 && config.login) {
            var line = make("p", { margin: "0 0 6px" });
            var login = make("a", { color: "#1c1917", fontWeight: "700" }, text("signin", "Log in to see your points"));
            login.href = config.login;
            outline(login);
            line.appendChild(login);
            if (config.signup) {  // or open an account, and every order earns points
              var join = make("a", { color: "#1c1917", fontWeight: "700", marginInlineStart: "12px" }, text("join", "Join now"));
              join.href = config.signup;
              join.id = "sadakat-panel-join";
              outline(join);
              line.appendChild(join);
            }
            body.prepend(line);
            return;
          }
          if (!answer.ok) return undefined;
          return answer.json().then(function (view) {
            if (!config.panel) return show(view);
            words = view.words || words;  // the panel's words come with it, in the visitor's language
            config.share = view.share || [];
            render(view);
          });
        })
        .catch(function () { loaded = false; });
    }
    function show(view) {
      if (typeof view.points !== "number") return;
      var words = text("points", "You have {points} points").replace("{points}", num(view.points));
      var line = make("p", { margin: "0 0 6px", fontSize: "1.3rem", fontWeight: "800", color: colour }, words);
      line.id = "sadakat-panel-points";
      body.prepend(line);
    }

    // The member's own panel, for the token the signature was traded for.
    function panelUrl() {  // the theme's language, which Shopify passes through its proxy
      return config.panel && config.panel + (config.lang ? "?lang=" + encodeURIComponent(config.lang) : "");
    }
    function asked(extra) {  // the launcher's token on other sites; Shopify's own signed, same-origin request
      var headers = Object.assign({ Accept: "application/json" }, extra || {});
      if (token) headers.Authorization = "Bearer " + token;
      return { headers: headers, credentials: "same-origin" };
    }
    function member(notice) {
      return fetch(panelUrl() || config.me, asked())
        .then(function (answer) {
          if (answer.status === 401 && !config.panel) { token = null; visitor(); return null; }
          return answer.ok ? answer.json() : Promise.reject(answer.status);
        })
        .then(function (view) { if (view) render(view, notice); })
        .catch(function () { body.prepend(make("p", { margin: "0 0 6px", color: "#b91c1c" }, say("busy"))); });
    }
    function heading(words) { return make("h3", { margin: "14px 0 6px", fontSize: "1rem" }, words); }
    function small(words) { return make("p", { margin: "0 0 6px", fontSize: ".9rem", color: "#44403c" }, words); }
    function action(words, filled) {
      var node = make("button", { minHeight: "44px", padding: "8px 14px", margin: "0", marginInlineEnd: "6px",
        marginBottom: "6px", borderRadius: "6px",
        border: "1px solid " + (filled ? colour : "#57534e"), background: filled ? colour : "#fff",
        color: filled ? "#fff" : "#1c1917", font: "inherit", fontWeight: "700", cursor: "pointer" }, words);
      node.type = "button";
      outline(node);
      return node;
    }
    function copier(value) {
      var node = action(say("copy_button"));
      node.addEventListener("click", function () {
        var done = function () { node.textContent = say("copied"); };
        var byHand = function () {  // a site on plain http has no clipboard API
          var area = make("textarea", { position: "fixed", top: "0", opacity: "0" });
          area.value = value;
          document.body.appendChild(area);
          area.select();
          try { if (document.execCommand("copy")) done(); } catch (e) { /* the visitor can select it */ }
          area.remove();
          node.focus();
        };
        if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(value).then(done, byHand);
        else byHand();
      });
      return node;
    }
    function render(view, notice) {
      var m = view.member;
      body.textContent = "";
      if (notice) {
        var said = make("p", { margin: "0 0 8px", padding: "8px", borderRadius: "6px", background: "#ecfdf5" }, notice);
        said.setAttribute("role", "status");
        body.appendChild(said);
      }
      if (!m) { body.appendChild(small(say("new_member"))); return; }
      body.appendChild(small(m.first_name ? say("hello", { name: m.first_name }) : say("hello_nameless")));
      var points = make("p", { margin: "0 0 6px", fontSize: "1.3rem", fontWeight: "800", color: colour },
        say("launcher_points", { points: num(m.points) }, m.points));
      points.id = "sadakat-panel-points";
      body.appendChild(points);
      if (m.tier) body.appendChild(small(say("tier", { tier: m.tier })));
      if (typeof m.progress_percent === "number") {
        var bar = make("div", { height: "10px", borderRadius: "5px", background: "#e7e5e4", overflow: "hidden",
          margin: "4px 0" });
        bar.setAttribute("role", "progressbar");
        bar.setAttribute("aria-label", say("progress_label"));
        bar.setAttribute("aria-valuemin", "0");
        bar.setAttribute("aria-valuemax", "100");
        bar.setAttribute("aria-valuenow", String(m.progress_percent));
        bar.id = "sadakat-panel-progress";
        bar.appendChild(make("div", { width: m.progress_percent + "%", height: "100%", background: colour }));
        body.appendChild(bar);
      }
      if (m.progress) body.appendChild(small(m.progress));

      body.appendChild(heading(say("redeem_title")));
      var choices = make("div");
      choices.id = "sadakat-panel-redeem";
      if (m.options.length) {
        m.options.forEach(function (option) {
          var choice = action(num(option.points) + " " + say("points_unit")
            + (dir === "rtl" ? " ← " : " → ") + option.value);
          choice.addEventListener("click", function () { confirmFor(option, choices); });
          choices.appendChild(choice);
        });
      } else {
        choices.appendChild(small(view.programme.redeem));
      }
      body.appendChild(choices);

      var open = m.codes.filter(function (code) { return !code.used && !code.expired; });
      if (open.length) {
        body.appendChild(heading(say("codes_title")));
        var list = make("ul", { listStyle: "none", padding: "0", margin: "0" });
        list.id = "sadakat-panel-codes";
        open.forEach(function (code) {
          var item = make("li", { margin: "0 0 8px" });
          item.appendChild(make("strong", { fontFamily: "ui-monospace, monospace", marginInlineEnd: "6px" }, code.code));
          item.appendChild(copier(code.code));
          item.appendChild(small(code.worth + (code.ends ? " · " + say("code_until", { day: code.ends }) : "")));
          list.appendChild(item);
        });
        body.appendChild(list);
      }

      if (view.referral_url) {
        body.appendChild(heading(say("referral_title")));
        body.appendChild(small(say("referral_help")));
        var field = make("input", { width: "100%", boxSizing: "border-box", padding: "8px", font: "inherit",
          border: "1px solid #57534e", borderRadius: "6px", margin: "0 0 6px" });
        field.readOnly = true;
        field.value = view.referral_url;
        field.id = "sadakat-panel-referral";
        field.setAttribute("aria-label", say("referral_title"));
        body.appendChild(field);
        body.appendChild(copier(view.referral_url));
        var share = make("p", { margin: "6px 0 0", display: "flex", flexWrap: "wrap", gap: "8px",
          alignItems: "center" }, say("share") + ":");
        var message = say("share_text", { shop: view.programme.shop });
        (config.share || []).forEach(function (place) {
          var out = make("a", { color: "#1c1917", fontWeight: "700", padding: "8px 4px" }, place.name);
          out.href = place.url.split("{text}").join(encodeURIComponent(message))
            .split("{url}").join(encodeURIComponent(view.referral_url));
          out.target = "_blank";
          out.rel = "noopener noreferrer";
          outline(out);
          share.appendChild(out);
        });
        body.appendChild(share);
      }
      if (signedBy && Date.now() / 1000 - Number(signedBy.ts) < 270) {
        // Straight into the full page while the site's signature is fresh (that use of it is once only).
        link.href = config.page + "&customer=" + encodeURIComponent(signedBy.customer) + "&ts="
          + encodeURIComponent(signedBy.ts) + "&sig=" + encodeURIComponent(signedBy.sig);
      } else {
        link.href = config.page;
      }
    }
    function confirmFor(option, choices) {
      choices.textContent = "";
      var question = make("p", { margin: "0 0 8px", fontWeight: "700" },
        say("confirm", { points: num(option.points), value: option.value }, option.points));
      question.id = "sadakat-panel-confirm";
      var yes = action(say("confirm_yes"), true);
      var no = action(say("confirm_no"));
      choices.append(question, yes, no);
      yes.focus();
      no.addEventListener("click", function () { member(); });
      yes.addEventListener("click", function () {
        yes.disabled = no.disabled = true;
        var key = "launcher-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
        fetch(config.redeem, Object.assign(asked({ "Content-Type": "application/json" }),
          { method: "POST", body: JSON.stringify({ points: option.points, key: key }) }))
          .then(function (answer) { return answer.json().then(function (done) { return [answer.ok, done]; }); })
          .then(function (result) {
            var done = result[1];
            if (!result[0]) return member(say("redeem_failed"));
            if (done.reward === "store_credit") return member(say("credit_added", { amount: option.value }));
            return member(say("code_made") + " " + done.code);
          })
          .catch(function () { member(say("busy")); });
      });
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
