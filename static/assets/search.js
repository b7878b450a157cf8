// bitext search, step one: show the search button and wait. Nothing else of the search (its
// dialog script, its styles, Pagefind and the index) is fetched until the reader opens it with
// the button or the "/" key. The site's base URL is read from this script's own address, so
// it works under any sub-path.
(function () {
  "use strict";
  var button = document.getElementById("search-open");
  var script = document.currentScript;
  if (!button || !script || typeof HTMLDialogElement !== "function") return;
  var base = new URL("../", script.src);
  var loading = null;

  function open() {
    if (!loading) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = new URL("assets/search.css", base).href;
      document.head.appendChild(css);
      loading = import(new URL("assets/search-ui.js", base).href);
    }
    loading.then(function (ui) { ui.open(base.pathname); },
      function (error) { loading = null; console.error("search:", error); });
  }

  function keysOff() {  // the reader's "keyboard shortcuts" switch, here or as last stored
    var keys = document.getElementById("keys");
    if (keys) return !keys.checked;
    try { return JSON.parse(localStorage.getItem("bitext")).prefs.keys === false; } catch (e) { return false; }
  }

  button.hidden = false;
  document.querySelectorAll(".search-key").forEach(function (el) { el.hidden = false; });
  button.addEventListener("click", open);
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || keysOff()) return;
    var el = e.target, tag = (el.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable) return;
    e.preventDefault();
    open();
  });
})();
