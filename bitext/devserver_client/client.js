/* bitext dev server client: live reload and the build-error overlay.
   Served from the same origin as the site, so the pages' CSP (script-src 'self') allows it.
   livereload.js reloads the page after every build that changed the site; after a build that
   failed (or one that only cleared the errors) the server names /__bitext__/status instead,
   which the plugin below takes: the overlay is refreshed and the page stays as it is. */
(function () {
  "use strict";
  var STATUS = "/__bitext__/status";
  var box = null;
  var hidden = -1;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function show(status) {
    if (status.ok || hidden === status.build) {
      if (box) box.remove();
      box = null;
      return;
    }
    if (!box) {
      box = element("section", "bitext-overlay");
      box.id = "bitext-overlay";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = "";
    var close = element("button", "bitext-overlay-close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Hide until the next build");
    close.addEventListener("click", function () { hidden = status.build; show(status); });
    box.appendChild(close);
    box.appendChild(element("h2", "bitext-overlay-title",
      "Build failed: the preview shows the last good version"));
    box.appendChild(element("pre", "bitext-overlay-errors", status.errors.join("\n")));
    box.appendChild(element("p", "bitext-overlay-hint",
      "Fix the file and save: this message goes away with the next good build."));
  }

  function refresh() {
    fetch(STATUS, {cache: "no-store"})
      .then(function (response) { return response.json(); })
      .then(show)
      .catch(function () {});  // the server is gone: livereload.js reconnects and reloads
  }

  // livereload.js adds every window.LiveReloadPlugin* when it loads.
  function Plugin() {}
  Plugin.identifier = "bitext";
  Plugin.version = "1.0";
  Plugin.prototype.reload = function (path) {
    if (path !== STATUS) return false;
    refresh();
    return true;
  };
  window.LiveReloadPluginBitext = Plugin;

  var port = location.port || (location.protocol === "https:" ? "443" : "80");
  var reload = document.createElement("script");
  // livereload.js reads its host and port from its own absolute URL.
  reload.src = location.protocol + "//" + location.host + "/livereload.js?port=" + port;
  document.head.appendChild(reload);
  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = "/__bitext__/overlay.css";
  document.head.appendChild(style);

  if (document.body) refresh();
  else document.addEventListener("DOMContentLoaded", refresh);
})();
