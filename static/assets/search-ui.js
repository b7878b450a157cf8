// bitext search, step two: the search dialog over Pagefind, loaded the first time it opens.
//
// The index has one Pagefind bundle per language (pagefind/<lang>/, listed in
// pagefind/languages.json), so each language is searched with its own word segmentation. The
// bundle of the page's language is the primary one and the others are merged into it with
// mergeIndex(…, {language}); a query is run against all of them and the results come back
// ranked together. Each result links to the segment (#sN) that matched.

const TEXT = {
  en: { search: "Search", search_placeholder: "Search in every language", search_close: "Close",
        search_loading: "Loading the search index…", search_none: "Nothing found for “{q}”.",
        search_count: "{n} results", search_error: "Search is not available on this copy of the site." },
  zh: { search: "搜索", search_placeholder: "搜索所有语言", search_close: "关闭",
        search_loading: "正在加载搜索索引…", search_none: "没有找到“{q}”。",
        search_count: "{n} 个结果", search_error: "本站点的这个副本没有搜索索引。" },
  ja: { search: "検索", search_placeholder: "すべての言語で検索", search_close: "閉じる",
        search_loading: "検索インデックスを読み込んでいます…", search_none: "「{q}」は見つかりませんでした。",
        search_count: "{n} 件", search_error: "このサイトでは検索を利用できません。" },
  fr: { search: "Rechercher", search_placeholder: "Rechercher dans toutes les langues",
        search_close: "Fermer", search_loading: "Chargement de l’index…",
        search_none: "Aucun résultat pour « {q} ».", search_count: "{n} résultats",
        search_error: "La recherche n’est pas disponible sur cette copie du site." },
};
const MAX_RESULTS = 12;
const MAX_SEGMENTS = 3;
const EXCERPT_WORDS = 20;

let dialog, input, status, list, engine;

/** Open the search dialog (building it, and starting to load the index, the first time). */
export async function open(base) {
  await siteStrings(base);
  if (!dialog) build(base);
  label();
  if (!dialog.open) dialog.showModal();
  input.focus();
  input.select();
}

/** The site's own strings for the interface language, fetched if the page has not yet. */
function siteStrings(base) {
  const ui = document.documentElement.dataset.ui || "en";
  if ((window.BITEXT_I18N || {})[ui]) return Promise.resolve();
  return new Promise((done) => {
    const script = el("script", { src: `${base}assets/i18n/${encodeURIComponent(ui)}.js` });
    script.onload = script.onerror = done;
    document.head.append(script);
  });
}

function strings() {
  const ui = document.documentElement.dataset.ui || document.documentElement.lang || "en";
  const own = TEXT[ui] || TEXT[ui.split("-")[0]] || TEXT.en;
  const site = (window.BITEXT_I18N || {})[ui] || {};
  const out = {};
  for (const key of Object.keys(TEXT.en)) out[key] = site[key] || own[key] || TEXT.en[key];
  return out;
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

function build(base) {
  dialog = el("dialog", { class: "search", id: "search" });
  const form = el("form", { class: "search-bar", role: "search" });
  input = el("input", { type: "search", id: "search-q", name: "q", autocomplete: "off",
    spellcheck: "false", enterkeyhint: "go", "aria-controls": "search-results",
    "aria-describedby": "search-status" });
  const close = el("button", { type: "button", class: "search-close" });
  status = el("p", { id: "search-status", class: "search-status", role: "status" });
  list = el("ol", { id: "search-results", class: "search-results" });
  form.append(input, close);
  dialog.append(form, status, list);
  document.body.append(dialog);

  close.addEventListener("click", () => dialog.close());
  // A click on the backdrop lands on the dialog itself: close, as a light-dismiss popup does.
  dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const first = list.querySelector("a");
    if (first) first.click();
  });
  input.addEventListener("input", () => search(input.value));
  dialog.addEventListener("keydown", keys);
  list.addEventListener("click", (e) => { if (e.target.closest("a")) dialog.close(); });
  engine = load(base);
  engine.catch(() => say("search_error"));
}

function label() {
  const s = strings();
  dialog.setAttribute("aria-label", s.search);
  input.setAttribute("aria-label", s.search);
  input.placeholder = s.search_placeholder;
  dialog.querySelector(".search-close").textContent = s.search_close;
}

function say(key, values) {
  let text = strings()[key];
  for (const [name, value] of Object.entries(values || {})) text = text.replace(`{${name}}`, value);
  status.textContent = text;
}

async function load(base) {
  say("search_loading");
  const response = await fetch(`${base}pagefind/languages.json`);
  if (!response.ok) throw new Error(`no search index (${response.status})`);
  const langs = (await response.json()).languages;
  const own = (document.documentElement.lang || "").toLowerCase();
  const primary = langs.includes(own) ? own
    : langs.find((l) => l.split("-")[0] === own.split("-")[0]) || langs[0];
  const pagefind = await import(`${base}pagefind/${primary}/pagefind.js`);
  await pagefind.options({ baseUrl: base, excerptLength: EXCERPT_WORDS });
  for (const lang of langs) {
    if (lang !== primary) {
      await pagefind.mergeIndex(`${base}pagefind/${lang}/`,
        { language: lang, baseUrl: base, excerptLength: EXCERPT_WORDS });
    }
  }
  if (!input.value.trim()) status.textContent = "";
  return pagefind;
}

let latest = 0;

async function search(query) {
  const ticket = ++latest;
  const q = query.trim();
  if (!q) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  let pagefind;
  try { pagefind = await engine; } catch (e) { return; }
  const found = await pagefind.debouncedSearch(q, {}, 150);
  if (found === null || ticket !== latest) return;
  const pages = await Promise.all(found.results.slice(0, MAX_RESULTS).map((r) => r.data()));
  if (ticket !== latest) return;
  list.replaceChildren(...rank(pages, q).map(hit));
  if (pages.length) say("search_count", { n: found.results.length });
  else say("search_none", { q });
}

// Pagefind ranks each language's index on its own scale, and lists a page's matching segments
// in page order. Put first the segments, then the pages, whose text holds the query as typed
// (`移山` inside `愚公移山` before a lone `山`), then those matching more of its words; otherwise
// keep Pagefind's order.
function rank(pages, q) {
  const query = normal(q);
  const ranked = pages.map((data, order) => {
    const parts = (data.sub_results && data.sub_results.length ? data.sub_results : [data])
      .map((part, at) => ({ part, at, ...measure(part, query, data.meta.lang) }))
      .sort((a, b) => b.phrase - a.phrase || b.words - a.words || b.hits - a.hits || a.at - b.at);
    return { data, order, parts, best: parts[0] };
  });
  ranked.sort((a, b) => b.best.phrase - a.best.phrase || b.best.words - a.best.words
    || a.order - b.order);
  return ranked;
}

function normal(text) {
  return text.replace(/\u200b/g, "").replace(/\s+/g, " ").trim().toLocaleLowerCase();
}

function measure(part, query, lang) {
  const excerpt = part.excerpt || "";
  const text = normal(decode(excerpt.replace(/<\/?mark>/g, "")));
  const marks = [...excerpt.matchAll(/<mark>(.*?)<\/mark>/g)]
    .map((m) => normal(decode(m[1])).replace(/[\p{P}\s]+/gu, ""));
  const words = typeof Intl.Segmenter === "function"
    ? [...new Intl.Segmenter(lang || undefined, { granularity: "word" }).segment(query)]
      .filter((s) => s.isWordLike).map((s) => s.segment)
    : query.split(" ");
  return {
    phrase: text.includes(query) ? 1 : 0,
    words: new Set(words.filter((w) => marks.some((m) => m.includes(w) || w.startsWith(m)))).size,
    hits: (part.locations || []).length,
  };
}

function decode(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"")
    .replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

/** A hit's link opens its article with the hit's language shown, in the reader's own mode. */
function showing(url, lang) {
  if (!lang) return url;
  const at = url.indexOf("#"), path = at < 0 ? url : url.slice(0, at);
  return `${path}${path.includes("?") ? "&" : "?"}lang=${encodeURIComponent(lang)}` +
    (at < 0 ? "" : url.slice(at));
}

function hit({ data, parts }) {
  const lang = data.meta.lang || "";
  const item = el("li", { class: "search-hit", lang });
  const shown = parts.slice(0, MAX_SEGMENTS).map((p) => p.part);
  const title = el("a", { class: "search-title", href: showing(shown[0].url, lang) });
  title.append(el("span", {}, data.meta.title || data.url));
  if (data.meta.label) title.append(" ", el("span", { class: "search-lang" }, data.meta.label));
  item.append(title);
  const excerpts = el("ul", { class: "search-segments" });
  for (const part of shown) {
    const link = el("a", { href: showing(part.url, lang) });
    link.append(excerpt(part.excerpt || ""));
    const li = el("li");
    li.append(link);
    excerpts.append(li);
  }
  item.append(excerpts);
  return item;
}

// Pagefind's excerpt is text with `<` and `>` escaped and <mark> around matches: rebuild it as
// text nodes and <mark> elements, never as HTML.
function excerpt(raw) {
  const out = el("p", { class: "search-excerpt" });
  let marked = false;
  const text = raw.replace(/\u200b/g, "").replace(/^\s*§\s*/, "");
  for (const piece of text.split(/(<mark>|<\/mark>)/)) {
    if (piece === "<mark>" || piece === "</mark>") { marked = piece === "<mark>"; continue; }
    if (!piece) continue;
    const plain = decode(piece);
    out.append(marked ? el("mark", {}, plain) : document.createTextNode(plain));
  }
  return out;
}

// Arrows move between the input and the results; every key stays inside the dialog, so the
// reader's single-key shortcuts (s, i, j, k, d…) do not fire while typing a query.
function keys(e) {
  e.stopPropagation();
  if (e.key === "Escape") {  // close at once, rather than first clearing the search field
    e.preventDefault();
    dialog.close();
    return;
  }
  if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
  const stops = [input, ...list.querySelectorAll("a")];
  const at = stops.indexOf(document.activeElement);
  if (at < 0) return;
  const next = stops[Math.min(Math.max(at + (e.key === "ArrowDown" ? 1 : -1), 0), stops.length - 1)];
  next.focus();
  e.preventDefault();
}
