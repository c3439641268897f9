/*
 * Thước Đo page glue, loaded in <head> on every page (no inline scripts: the CSP forbids them).
 * 1. Mark that scripts run, before the body is painted, so the phone menu starts collapsed
 *    (without scripts it stays open: see .no-js in thuocdo.css).
 * 2. Send the CSRF token with every htmx request. The cookie is HttpOnly, so the token comes
 *    from <meta name="csrf-token"> in web/base.html.
 */
(function () {
  "use strict";

  document.documentElement.classList.remove("no-js");
  document.documentElement.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });
})();
