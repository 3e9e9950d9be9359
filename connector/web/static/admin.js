// Ask before a form marked data-confirm is sent (e.g. Discard). A static file: the admin's CSP forbids inline script.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
