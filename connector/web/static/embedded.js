// Inside Shopify's admin (connector/web/embedded.py): no cookie reaches us from an iframe, so every page and
// form of ours is fetched here with a fresh session token from App Bridge, and its <main> replaces ours.
(() => {
  const root = document.documentElement;
  if (root.dataset.install) {  // the install isn't finished: OAuth, at the top level
    window.open(root.dataset.install, "_top");
    return;
  }
  if (!root.dataset.embedded || !window.shopify) return;
  const signed = async (init = {}) => {
    const token = await window.shopify.idToken();
    return {...init, headers: {...(init.headers || {}), Authorization: `Bearer ${token}`}};
  };
  window.sadakatFetch = async (url, init) => fetch(url, await signed(init));
  const show = async (url, init) => {
    const answer = await window.sadakatFetch(url, init);
    const next = new DOMParser().parseFromString(await answer.text(), "text/html");
    const main = next.querySelector("main") || next.body;
    main.id = "embedded";
    document.getElementById("embedded").replaceWith(main);
    document.title = next.title || document.title;
    main.querySelectorAll("details.section").forEach((section) => { section.open = true; });
    window.scrollTo(0, 0);
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.origin !== location.origin || link.target || event.defaultPrevented) return;
    event.preventDefault();
    show(link.href);
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || !form.action || new URL(form.action).origin !== location.origin) return;
    event.preventDefault();
    const method = (form.getAttribute("method") || "get").toUpperCase();
    if (method === "GET") show(form.action + "?" + new URLSearchParams(new FormData(form)));
    else show(form.action, {method, body: new FormData(form)});
  });
  show(root.dataset.embedded);
})();
