// Ask before a form marked data-confirm is sent (e.g. Discard). A static file: the admin's CSP forbids inline script.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// The programme editor: a gift row shows only the fields its rule uses, as soon as the rule is chosen
// (without script the page shows them once saved).
const GIFT_RULE = "select[id^=gift-][id$=-rule]";
const showGiftFields = (select) => {
  const row = select.closest(".row-card");
  for (const part of row.querySelectorAll("[data-gift-rules]")) {
    part.hidden = !part.dataset.giftRules.split(" ").includes(select.value);
  }
};
document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches(GIFT_RULE)) showGiftFields(event.target);
});
// A rule chosen before this script ran (a slow load, or a form the browser restored) shows its fields too.
document.querySelectorAll(GIFT_RULE).forEach(showGiftFields);

// The programme editor's live preview: as the merchant types, the form so far is sent for a preview (nothing
// is saved) and the preview is replaced. Without script, it follows each add, remove or save.
(() => {
  const form = document.querySelector("form[data-preview]");
  if (!form) return;
  let timer = null;
  const refresh = async () => {
    const body = new FormData(form);
    const send = window.sadakatFetch || fetch;  // inside Shopify's admin, with a session token (embedded.js)
    const answer = await send(form.dataset.preview, {method: "POST", body, credentials: "same-origin"});
    if (!answer.ok) return;
    const shown = document.getElementById("preview");
    if (shown) shown.outerHTML = await answer.text();
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  form.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 100);
  });
})();

// The programme editor on a phone: its sections start folded (the form is several screens tall), except the
// first, one holding an error, the one just added to and those the merchant opened before adding or removing
// a row; a tap on a section's title opens it. Without script, or on a wider screen, every section is open.
(() => {
  const sections = document.querySelectorAll("form.programme details.section");
  if (!sections.length || !window.matchMedia("(max-width: 640px)").matches) return;
  const key = "sadakat-open-sections:" + location.pathname;
  let remembered = [];
  try { remembered = JSON.parse(sessionStorage.getItem(key) || "[]"); } catch (e) { remembered = []; }
  const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  sections.forEach((section, index) => {
    const wanted = index === 0 || remembered.includes(section.id) || section.querySelector("[aria-invalid=true]")
      || (target && section.contains(target));
    if (!wanted) section.open = false;
    section.addEventListener("toggle", () => {
      const open = [...sections].filter((s) => s.open).map((s) => s.id);
      try { sessionStorage.setItem(key, JSON.stringify(open)); } catch (e) { /* private mode: forget */ }
    });
  });
  if (target) target.scrollIntoView();
})();

// A page of something still under way (an import being checked) reloads itself every two seconds until done.
(() => {
  const waiting = document.querySelector("[data-reload-seconds]");
  if (waiting) setTimeout(() => window.location.reload(), Number(waiting.dataset.reloadSeconds) * 1000);
})();
