// Before the first paint: theme, and the reading controls checked from the URL or the stored choice as the parser adds them (see reader.js).
// URL: ?mode=…&lang=… or &pair=…; ?pair=a,b alone keeps a two-column mode; ?lang=x alone shows x in the reader's own mode (a search hit's link).
(function () {
  var d = document.documentElement, s = {}, q = new URLSearchParams(location.search);
  d.classList.add("js");
  try { s = JSON.parse(localStorage.getItem("bitext")) || {}; } catch (e) {}
  if (s.theme === "light" || s.theme === "dark") d.dataset.theme = s.theme;
  if (/^-?[1-3]$/.test(s.size)) d.dataset.size = s.size;
  var qm = /^(single|side-by-side|interleaved)$/.test(q.get("mode")) ? q.get("mode") : "";
  function fix() {
    var r = document.querySelector(".reader[data-langs]"), prefs = s.prefs || {}, on = {}, id, el;
    on["theme-" + (s.theme || "auto")] = true;
    if (r) {
      var langs = r.dataset.langs.split(" "), low = r.dataset.langs.toLowerCase().split(" "), own = r.dataset.pair.split(",");
      var known = function (l) { return langs[low.indexOf(String(l).toLowerCase())]; };  // a language of this page, or undefined
      var pair = function (l) { l = (l || []).map(known); return l[0] && l[1] && l[0] !== l[1] ? l : null; };
      var ql = known(q.get("lang")), qp = pair((q.get("pair") || "").split(","));  // what the URL names that this page has
      var mode = qm || (qp ? (s.mode === "interleaved" ? s.mode : "side-by-side") : s.mode || r.dataset.mode);
      var p = qp || pair(s.pair) || own, lang = ql || known(s.lang) || p[0];
      if (ql && mode !== "single" && p[0] !== ql) p = [ql, p[0]];  // the language asked for comes first
      var i = langs.indexOf(p[0]), j = langs.indexOf(p[1]), k = langs.indexOf(lang);
      if (i >= 0 && j >= 0 && i !== j) on["a-" + i] = on["b-" + j] = true;
      on.swap = false;  // with the script, the pickers say which side is which
      if (mode === "single" && k >= 0) on["m-only-" + k] = true;
      if (mode === "side-by-side" || mode === "interleaved") on[mode === "interleaved" ? "m-inter" : "m-side"] = true;
    }
    for (id in on) if ((el = document.getElementById(id))) el.checked = on[id];
    document.querySelectorAll("[data-pref]").forEach(function (el) {
      if (typeof prefs[el.dataset.pref] === "boolean") el.checked = prefs[el.dataset.pref];
    });
  }
  var watch = new MutationObserver(fix);
  watch.observe(d, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () { fix(); watch.disconnect(); });
})();
