// Ask before a form marked data-confirm is sent (e.g. Discard). A static file: the admin's CSP forbids inline script.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// The programme editor: a gift row shows only the fields its rule uses, as soon as the rule is chosen
// (without script the page shows them once saved).
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!select.matches || !select.matches("select[id^=gift-][id$=-rule]")) return;
  const row = select.closest(".row-card");
  for (const part of row.querySelectorAll("[data-gift-rules]")) {
    part.hidden = !part.dataset.giftRules.split(" ").includes(select.value);
  }
});

// The programme editor's live preview: as the merchant types, the form so far is sent for a preview (nothing
// is saved) and the preview is replaced. Without script, it follows each add, remove or save.
(() => {
  const form = document.querySelector("form[data-preview]");
  if (!form) return;
  let timer = null;
  const refresh = async () => {
    const body = new FormData(form);
    const answer = await fetch(form.dataset.preview, {method: "POST", body, credentials: "same-origin"});
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
