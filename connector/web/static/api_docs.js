// The API's description for people: Swagger UI over /openapi.json. A static file: the admin's CSP forbids
// inline script.
(function () {
  "use strict";
  var tag = document.currentScript;
  window.addEventListener("load", function () {
    window.SwaggerUIBundle({ url: tag.dataset.document, dom_id: "#api-docs", deepLinking: true });
  });
})();
