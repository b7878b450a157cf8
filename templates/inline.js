// Before the first paint: theme, and the reading controls checked from the URL or the stored choice as the parser adds them (see reader.js).
(function () {
  var d = document.documentElement, s = {}, q = new URLSearchParams(location.search);
  d.classList.add("js");
  try { s = JSON.parse(localStorage.getItem("bitext")) || {}; } catch (e) {}
  if (s.theme === "light" || s.theme === "dark") d.dataset.theme = s.theme;
  if (/^-?[1-3]$/.test(s.size)) d.dataset.size = s.size;
  var want = q.get("mode") ? { mode: q.get("mode"), lang: q.get("lang"), pair: (q.get("pair") || "").split(",") } : s;
  function fix() {
    var r = document.querySelector(".reader[data-langs]"), prefs = s.prefs || {}, on = {}, id, el;
    on["theme-" + (s.theme || "auto")] = true;
    if (r) {
      var langs = r.dataset.langs.split(" "), p = want.pair || [], i = langs.indexOf(p[0]), j = langs.indexOf(p[1]), k = langs.indexOf(want.lang || p[0]);
      if (i >= 0 && j >= 0 && i !== j) {
        var back = p[1] + "," + p[0] === r.dataset.pair;  // the default pair reversed is "swap"
        on["a-" + (back ? j : i)] = on["b-" + (back ? i : j)] = true;
        on.swap = back;
      }
      if (want.mode === "single" && k >= 0) on["m-only-" + k] = true;
      if (want.mode === "side-by-side" || want.mode === "interleaved") on[want.mode === "interleaved" ? "m-inter" : "m-side"] = true;
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
