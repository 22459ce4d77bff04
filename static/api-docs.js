// The API page (/api-docs): Swagger UI, vendored under static/vendor/swagger-ui/, on
// reloop's own OpenAPI document. "Authorize" takes a personal API token (Account → API tokens).
window.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("swagger-ui");
  if (!el || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: el.getAttribute("data-spec"),
    domNode: el,
    deepLinking: true,
    defaultModelsExpandDepth: 0,
  });
});
