// bitext reader: memory, URL, theme, interface language, deep links, keys. Without it the CSS
// still drives the layout from the toolbar's inputs. State, localStorage "bitext": {mode, lang,
// pair: [first, second], prefs: {every [data-pref] checkbox}, theme, size, ui}. A new toggle
// (learning mode, ruby, …) is a [data-pref] checkbox plus CSS: no code here.
(function () {
  "use strict";
  var root = document.documentElement, reader = document.querySelector(".reader[data-langs]");
  var form = document.getElementById("tools");

  function load() {
    try { return JSON.parse(localStorage.getItem("bitext")) || {}; } catch (e) { return {}; }
  }
  function save(patch) {
    var state = load();
    for (var k in patch) state[k] = patch[k];
    try { localStorage.setItem("bitext", JSON.stringify(state)); } catch (e) { /* storage off */ }
  }
  function byId(id) { return document.getElementById(id); }
  function value(name) { return form.querySelector('input[name="' + name + '"]:checked').value; }

  // ---- reading state
  function reading() {
    var mode = form.querySelector('input[name="mode"]:checked'), pair = [value("a"), value("b")];
    var prefs = load().prefs || {};
    if (byId("swap").checked) pair.reverse();
    form.querySelectorAll("[data-pref]").forEach(function (el) { prefs[el.dataset.pref] = el.checked; });
    if (fitted && mode.id === "m-inter") mode = byId("m-side");
    return { mode: mode.value, lang: mode.dataset.lang || pair[0], pair: pair, prefs: prefs };
  }
  // A phone draws side by side as interleaved: its radio is checked to say so, while the choice
  // kept (and shared in the URL) stays side by side, for wider screens.
  var fitted = false, phone = matchMedia("(max-width:720px)");
  function fit() {
    var side = byId("m-side"), inter = byId("m-inter");
    if (!side || !inter) return;  // a theme without both modes
    if (phone.matches && side.checked) fitted = inter.checked = true;
    else if (!phone.matches && fitted && inter.checked) { side.checked = true; fitted = false; }
  }
  // The row at the top of the view, kept as the reader scrolls: a change of mode or languages
  // (which moves every row) brings it back under the toolbar.
  // Noted on each scroll event (one a frame at most), searched from where it last was: a
  // scroll moves it by a few rows.
  var rows = document.querySelectorAll(".doc > .seg"), at = 0, anchor = null;
  function gone(i) { return rows[i].offsetParent === null; }  // a row left out of this view
  function findAnchor() {
    var edge = form.getBoundingClientRect().bottom, i = at;
    anchor = null;
    if (!rows.length || rows[0].getBoundingClientRect().top >= edge) return;  // above the text
    while (i > 0 && (gone(i) || rows[i].getBoundingClientRect().top > edge)) i--;
    while (i < rows.length && (gone(i) || rows[i].getBoundingClientRect().bottom <= edge)) i++;
    at = Math.min(i, rows.length - 1);
    anchor = rows[i] || null;
  }
  function keepPlace() {
    var row = anchor;
    while (row && row.offsetParent === null) row = row.nextElementSibling;  // left out: the next
    if (row) { measureToolbar(); row.scrollIntoView(); }  // the toolbar may have changed rows
  }
  function showInUrl(state) {  // a shared link opens the page as the reader sees it
    var url = new URL(location.href), q = url.searchParams, single = state.mode === "single";
    q.set("mode", state.mode);
    q.delete(single ? "pair" : "lang");
    q.set(single ? "lang" : "pair", single ? state.lang : state.pair.join());
    url.search = q.toString().replace(/%2C/g, ",");
    history.replaceState(history.state, "", url);
  }
  function scrollers() {  // code and tables that scroll sideways must take keyboard focus
    document.querySelectorAll(".cell pre, .cell table").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) el.tabIndex = 0; else el.removeAttribute("tabindex");
    });
  }
  function measureToolbar() { root.style.setProperty("--bar", form.offsetHeight + "px"); }
  function blanks(state) {  // rows with no text in the languages shown are left out
    var shown = state.mode === "single" ? [state.lang] : state.pair;
    document.querySelectorAll(".doc > .seg").forEach(function (seg) {
      seg.classList.toggle("blank", shown.every(function (lang) {
        var cell = seg.querySelector(':scope > .cell[lang="' + lang + '"]');
        return !cell || cell.classList.contains("untranslated");
      }));
    });
  }

  if (form) {
    var last = { a: value("a"), b: value("b") }, now = reading(), pair = reader.dataset.pair;
    fit();
    document.addEventListener("DOMContentLoaded", fit);  // after inline.js checks the stored mode
    if (phone.addEventListener) phone.addEventListener("change", fit);
    addEventListener("scroll", findAnchor, { passive: true });
    var changed = now.mode !== reader.dataset.mode ||
      (now.mode === "single" ? now.lang !== pair.split(",")[0] : now.pair.join() !== pair);
    if (changed || /[?&](mode|lang|pair)=/.test(location.search)) showInUrl(now);
    blanks(now);
    form.addEventListener("change", function (event) {
      var input = event.target, other = input.name === "a" ? "b" : "a";
      var langs = reader.dataset.langs.split(" ");
      if (input.id === "more") return;
      if (input.name === "mode") fitted = false;
      if (input.id === "swap") {  // with the script, a swap trades the pickers: they say what is shown
        var a = value("a"), b = value("b"), first = byId("a-" + langs.indexOf(b)), second = byId("b-" + langs.indexOf(a));
        input.checked = false;  // so a screen reader hears the languages now first and second, each in its language
        first.checked = second.checked = true;
        if (byId("swapped")) byId("swapped").replaceChildren(first.nextElementSibling.cloneNode(true), " · ", second.nextElementSibling.cloneNode(true));
      } else if ((input.name === "a" || input.name === "b") && value(other) === input.value) {
        byId(other + "-" + langs.indexOf(last[input.name])).checked = true;
      }  // first and second never show one language: they trade places
      last = { a: value("a"), b: value("b") };
      var state = reading();
      save(state);
      showInUrl(state);
      blanks(state);
      scrollers();
      keepPlace();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    var menu = form.querySelector(".more");  // on phones: Tab out of "More" closes it
    if (menu && byId("more")) menu.addEventListener("focusout", function (e) {
      var to = e.relatedTarget;
      if (to && !menu.contains(to) && to !== byId("more")) byId("more").checked = false;
    });
    measureToolbar();
    if (window.ResizeObserver) new ResizeObserver(measureToolbar).observe(form);
  }
  scrollers();
  document.querySelectorAll(".seg[data-items]").forEach(function (seg) {  // lists that line up
    seg.style.setProperty("--items", seg.dataset.items);
  });
  try {  // scroll to the fragment again, now that the toolbar's height is known
    var target = byId(decodeURIComponent(location.hash.slice(1)));
    while (target && target.offsetParent === null && target.classList.contains("seg")) {
      target = target.nextElementSibling;  // a row left out here: the next one shown
    }
    target.scrollIntoView();
  } catch (e) { /* no fragment, or not an element */ }

  // ---- theme
  function setTheme(theme) {
    if (theme === "auto") root.removeAttribute("data-theme"); else root.dataset.theme = theme;
    byId("theme-" + theme).checked = true;
    save({ theme: theme });
  }
  function isDark() {
    var theme = root.dataset.theme;
    return theme ? theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  }
  document.querySelectorAll('input[name="theme"]').forEach(function (input) {
    input.addEventListener("change", function () { setTheme(input.value); });
  });

  // ---- text size: a step of the reading text (CSS: [data-size]), remembered like the theme
  function size() { return Number(root.dataset.size) || 0; }
  function setSize(step) {
    step = Math.max(-1, Math.min(3, step));
    if (step) root.dataset.size = step; else root.removeAttribute("data-size");
    save({ size: step });
    limits();
    return true;
  }
  function limits() {  // a button that can go no further says so
    if (!byId("size-down")) return;
    byId("size-down").disabled = size() <= -1;
    byId("size-up").disabled = size() >= 3;
  }
  if (byId("size-tools")) {
    byId("size-down").addEventListener("click", function () { setSize(size() - 1); });
    byId("size-up").addEventListener("click", function () { setSize(size() + 1); });
    limits();
  }

  // ---- interface language: the stored choice, else the browser's first site language
  // Each language's strings are a script of their own (assets/i18n/<ui>.js), fetched when needed.
  var select = byId("ui-lang"), asked = null;
  var here = (document.currentScript || document.querySelector('script[src*="reader.js"]')).src;
  var codes = select ? Array.prototype.map.call(select.options, function (o) { return o.value; }) : [];
  function pickUi() {
    var wanted = [load().ui].concat(navigator.languages || [navigator.language]), i, j;
    for (i = 0; i < wanted.length; i++) {
      var w = String(wanted[i]).toLowerCase();
      for (j = 0; j < codes.length; j++) if (codes[j].toLowerCase() === w) return codes[j];
      for (j = 0; j < codes.length; j++) if (codes[j].toLowerCase().split("-")[0] === w.split("-")[0]) return codes[j];
    }
    return root.dataset.ui;
  }
  function translate(ui) {
    var table = (window.BITEXT_I18N || {})[ui], script;
    asked = ui;  // a slow fetch must not undo a later choice
    if (!table) {
      script = document.createElement("script");
      script.src = new URL("i18n/" + ui + ".js", here).href;
      script.onload = function () { if (asked === ui && (window.BITEXT_I18N || {})[ui]) translate(ui); };
      document.head.appendChild(script);
      return;
    }
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      var text = table[el.dataset.i18n], data = el.dataset;
      if (text) el.textContent = text.replace("{n}", data.n).replace("{name}", data.name).replace("{tag}", data.tag);
    });
    document.querySelectorAll("[data-i18n-aria]").forEach(function (el) {
      el.setAttribute("aria-label", table[el.dataset.i18nAria]);
    });
    document.querySelectorAll("[data-chrome], [data-i18n][lang]").forEach(function (el) { el.lang = ui; });
    if (!reader) root.lang = ui;  // lists and the 404 page are all chrome
    var title = document.querySelector("title"), part = title && (title.dataset.key ? table[title.dataset.key] : title.dataset.prefix);
    if (table.site_title) document.title = part ? part + " · " + table.site_title : table.site_title;
    var format = new Intl.DateTimeFormat(ui, { dateStyle: "long", timeZone: "UTC" });
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      el.textContent = format.format(new Date(el.getAttribute("datetime") + "T12:00Z"));
    });
    root.dataset.ui = ui;
  }
  var ui = pickUi();
  if (ui !== root.dataset.ui) translate(ui);
  if (select) {
    select.value = ui;
    select.addEventListener("change", function () { save({ ui: select.value }); translate(select.value); });
  }

  // ---- keyboard shortcuts, listed in the toolbar's help; the reader can turn them off
  function move(step) {
    var list = Array.prototype.filter.call(document.querySelectorAll(".doc > .seg[id]"),
      function (seg) { return seg.offsetParent !== null; });  // rows left out are skipped
    var i = list.indexOf(document.activeElement) + step, edge = form ? form.getBoundingClientRect().bottom : 0;
    if (i === step - 1) {  // no segment has focus: start from the first one below the toolbar
      for (i = 0; i < list.length && list[i].getBoundingClientRect().top < edge; i++);
      if (step < 0) i--;
    }
    var seg = list[Math.min(Math.max(i, 0), list.length - 1)];
    if (!seg) return false;
    seg.tabIndex = -1;
    seg.focus({ preventScroll: true });
    seg.scrollIntoView();
    history.replaceState(history.state, "", "#" + seg.id);
    return true;
  }
  function toggleHelp() {
    var help = document.querySelector(".help");
    if (!help) return false;
    help.open = !help.open;
    if (byId("more")) byId("more").checked = help.open;  // on phones the help is under "More"
    if (help.open) help.querySelector("summary").focus();
    return true;
  }
  function closeHelp() {
    var help = document.querySelector(".help[open]");
    if (help) { help.open = false; help.querySelector("summary").focus(); }
    return !!help;
  }
  document.addEventListener("click", function (e) {  // a click elsewhere closes the help
    var help = document.querySelector(".help[open]");
    if (help && !help.contains(e.target)) help.open = false;
  });
  var KEYS = { s: "m-side", i: "m-inter", x: "swap", m: "marks" };
  document.addEventListener("keydown", function (e) {
    var el = e.target, tag = el.tagName, key = e.key, keys = byId("keys"), more = byId("more");
    if (key === "Escape") {  // closes the help, then (on phones) the "More" menu holding it
      if (closeHelp()) return;
      if (more && more.checked) { more.checked = false; more.focus(); return; }
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || (keys && !keys.checked) ||
        tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
        (tag === "INPUT" && !/^(radio|checkbox)$/.test(el.type))) return;
    var input = byId(/^[1-9]$/.test(key) ? "m-only-" + (key - 1) : KEYS[key] || "-");
    if (key === "x" && form && value("mode") === "single") input = null;  // one column: no sides
    var done = input ? (input.click(), true)
      : key === "d" ? (setTheme(isDark() ? "light" : "dark"), true)
      : key === "+" || key === "=" || key === "-" ? setSize(size() + (key === "-" ? -1 : 1))
      : key === "j" || key === "k" ? move(key === "j" ? 1 : -1)
      : key === "?" && toggleHelp();
    if (done) e.preventDefault();
  });
})();
