// The copy buttons of the customer pages: copy the text of the element a button names, and say so.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const text = document.querySelector(button.dataset.copy)?.textContent?.trim() || "";
  navigator.clipboard?.writeText(text).then(() => {
    button.textContent = button.dataset.copied;
  });
});
