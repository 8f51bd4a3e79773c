// Starts Swagger UI or ReDoc on /docs and /redoc from a file, not an inline script, so the
// pages work under the app's Content-Security-Policy (script-src 'self').
"use strict";
(function () {
  var swagger = document.getElementById("swagger-ui");
  if (swagger && window.SwaggerUIBundle) {
    window.SwaggerUIBundle({
      url: swagger.dataset.openapi,
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
    });
  }
  var redoc = document.getElementById("redoc");
  if (redoc && window.Redoc) {
    // No search: it runs in a blob: worker, which script-src 'self' does not allow.
    window.Redoc.init(redoc.dataset.openapi, { disableSearch: true }, redoc);
  }
})();
