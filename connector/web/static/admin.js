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
