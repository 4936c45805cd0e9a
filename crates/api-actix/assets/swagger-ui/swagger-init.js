// boxoffice's Swagger UI initializer (hand-written, not from swagger-ui-dist).
// The document is always the server's own /openapi.json: no `url`/`urls`/`configUrl` is taken
// from the query string (queryConfigEnabled: false), there is no URL box (BaseLayout, no
// standalone preset), and no third-party validator is contacted (validatorUrl: null).
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    queryConfigEnabled: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
};
