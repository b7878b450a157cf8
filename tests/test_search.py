"""Search: a Pagefind bundle per language, queried with Pagefind's own JS in a real Chromium.

Every site here is served under the sub-path /repo/, as GitHub project pages are. Browser tests
skip (with the reason in the summary) when Chromium is missing, and fail instead under CI.
"""
from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from conftest import REPO, entry
from test_build import parse_rows

BUNDLED = "notes-from-inside-chinas-ai-labs"

# A fable in three languages. Each query word sits inside a longer run of its script, in the
# second paragraph only: on a page indexed as English, `移山` inside `愚公移山` is never found.
FABLE = {
    "content/fable/en.md": entry("A Fable from Liezi", """
        Two mountains, Taihang and Wangwu, stood seven hundred li square.

        The old man of North Mountain carried basketfuls of stones to the sea.

        The wise man of River Bend laughed at him.
        """, date="2026-03-01", author="Liezi", original="true"),
    "content/fable/zh.md": entry("寓言一则", """
        太行、王屋二山，方七百里，高万仞。

        北山愚公者，年且九十，聚室而谋，于是愚公移山，叩石垦壤，箕畚运于渤海之尾。

        河曲智叟笑而止之。
        """, translator="某人"),
    "content/fable/ja.md": entry("列子の寓話", """
        太行山と王屋山は、七百里四方、高さ一万仞であった。

        北山の愚公は九十歳近く、家族と相談して山を移すことに決め、石を砕いて渤海の果てまで運んだ。

        河曲の智叟はこれを笑った。
        """),
    "content/other/en.md": entry("Another text", "Nothing about stones here.",
                                 date="2026-01-01"),
}
QUERIES = [("en", "basketfuls"), ("zh", "移山"), ("ja", "山を移す")]


# -- building and serving --------------------------------------------------------------------

def build_site(root: Path, files: dict[str, str], *args: str) -> Path:
    """A project with the repo's theme and the given files, built under /repo/."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "content").mkdir(exist_ok=True)
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--root", str(root),
                             "--base-url", "/repo/", *args], cwd=root, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return root / "site"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve `site` at http://127.0.0.1:PORT/repo/ (a GitHub project page's sub-path)."""
    www = site.parent / "www"
    www.mkdir(exist_ok=True)
    if not (www / "repo").exists():
        (www / "repo").symlink_to(site, target_is_directory=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(QuietHandler, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/repo/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def fable(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("fable"), FABLE)


@pytest.fixture(scope="module")
def fable_url(fable) -> Iterator[str]:
    with serve(fable) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, never a download; skips or fails as browser.py says."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, errors


# Pagefind's own JS, as search-ui.js drives it: the page's language first, the others merged.
QUERY_JS = """async ([base, queries, noWorker]) => {
  const langs = (await (await fetch(base + 'pagefind/languages.json')).json()).languages;
  const own = document.documentElement.lang.toLowerCase();
  const primary = langs.includes(own) ? own : langs[0];
  const pagefind = await import(base + 'pagefind/' + primary + '/pagefind.js');
  await pagefind.options({baseUrl: base, noWorker});
  for (const lang of langs) if (lang !== primary)
    await pagefind.mergeIndex(base + 'pagefind/' + lang + '/', {language: lang, baseUrl: base});
  const out = {};
  for (const q of queries) {
    const found = await pagefind.search(q);
    const data = await Promise.all(found.results.map((r) => r.data()));
    out[q] = data.map((d) => ({lang: d.meta.lang, urls: d.sub_results.map((s) => s.url)}));
  }
  return out;
}"""


def query(page, url: str, words: list[str], *, no_worker: bool = False) -> dict:
    """Open `url` (a page of the site served under /repo/) and run each query there."""
    page.goto(url)
    return page.evaluate(QUERY_JS, ["/repo/", words, no_worker])


def segment_text(site: Path, url: str, lang: str) -> str:
    """The text of `lang`'s cell in the segment a result URL points to (it must exist)."""
    parts = urlsplit(url)
    assert parts.path.startswith("/repo/")
    html = site / parts.path.removeprefix("/repo/") / "index.html"
    assert html.is_file(), url
    rows = parse_rows(html.read_text(encoding="utf-8"))
    assert parts.fragment in rows, url
    return " ".join(cell["text"] for cell in rows[parts.fragment] if cell["lang"] == lang)


# -- the index -------------------------------------------------------------------------------

def test_each_language_gets_its_own_bundle(fable):
    manifest = json.loads((fable / "pagefind/languages.json").read_text())
    assert manifest["languages"] == ["en", "ja", "zh"]
    for lang in manifest["languages"]:
        bundle = json.loads((fable / f"pagefind/{lang}/pagefind-entry.json").read_text())
        assert list(bundle["languages"]) == [lang]
        assert (fable / f"pagefind/{lang}/pagefind.js").is_file()
    assert not list(fable.glob("pagefind/**/pagefind-ui*"))  # only what search-ui.js loads


def test_search_pages_mark_each_segment_for_its_own_language(fable):
    from bitext.assemble import assemble
    from bitext.config import load_config
    from bitext.errors import Diagnostics
    from bitext.pipeline import load_entries
    from bitext.search import search_pages

    diags = Diagnostics()
    root = fable.parent
    config = load_config(root, root / "content", fable, diags)
    pages = search_pages(assemble(config, load_entries(config, diags), diags))
    zh = next(p for p in pages if p.bundle == "zh" and str(p.path) == "fable/index.html")
    assert '<html lang="zh">' in zh.html
    assert '<h6 id="s2">§</h6><p>北山愚公者' in zh.html and "basketfuls" not in zh.html
    # Pagefind would end the title with a Latin ". " in excerpts: Chinese gets its own stop,
    # and the result's title comes from the meta tag, as written.
    assert "<h1>寓言一则。</h1>" in zh.html
    assert '<meta data-pagefind-meta="title[content]" content="寓言一则">' in zh.html
    en = next(p for p in pages if p.bundle == "en" and str(p.path) == "fable/index.html")
    assert "<h1>A Fable from Liezi</h1>" in en.html


def test_unchanged_text_reuses_the_index_and_changed_text_rebuilds_it(tmp_path):
    site = build_site(tmp_path, FABLE)
    before = {p: p.read_bytes() for p in site.glob("pagefind/**/*") if p.is_file()}
    inode = (site / "pagefind/zh/pagefind-entry.json").stat().st_ino
    rebuild = [sys.executable, str(REPO / "build.py"), "build", "--root", str(tmp_path),
               "--base-url", "/repo/"]
    subprocess.run(rebuild, cwd=tmp_path, capture_output=True, timeout=600, check=True)
    assert {p: p.read_bytes() for p in site.glob("pagefind/**/*") if p.is_file()} == before
    assert (site / "pagefind/zh/pagefind-entry.json").stat().st_ino == inode  # carried over
    zh = tmp_path / "content/fable/zh.md"
    zh.write_text(zh.read_text().replace("河曲智叟笑而止之。", "河曲智叟笑之。"))  # same rows
    subprocess.run(rebuild, cwd=tmp_path, capture_output=True, timeout=600, check=True)
    after = {p: p.read_bytes() for p in site.glob("pagefind/**/*") if p.is_file()}
    assert after[site / "pagefind/languages.json"] != before[site / "pagefind/languages.json"]
    # Only the edited language is indexed again; the others keep their bundles as they were.
    changed = {p.relative_to(site).parts[1] for p in after if after[p] != before.get(p)}
    assert changed == {"zh", "languages.json"}
    assert {p for p in after if "/en/" in str(p)} == {p for p in before if "/en/" in str(p)}


def test_pages_offer_search_only_when_the_build_made_an_index(fable, tmp_path):
    pages = [fable / "index.html", fable / "fable/index.html", fable / "404.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert 'id="search-open"' in text and "assets/search.js" in text, page
    assert 'class="search-key"' in pages[1].read_text(encoding="utf-8")
    bare = build_site(tmp_path, FABLE, "--no-search")
    assert not (bare / "pagefind").exists()
    for page in [bare / "index.html", bare / "fable/index.html", bare / "404.html"]:
        text = page.read_text(encoding="utf-8")
        # No button that would open a search with no index behind it, and no key for it.
        assert "search-open" not in text and "search.js" not in text and "search-key" not in text


def test_csp_allows_webassembly_but_not_eval(fable):
    html = (fable / "fable/index.html").read_text()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    script_src = re.search(r"script-src ([^;]+)", csp.replace("&#39;", "'")).group(1).split()
    assert "'wasm-unsafe-eval'" in script_src and "'unsafe-eval'" not in script_src


# -- Pagefind's JS in Chromium ---------------------------------------------------------------

@pytest.mark.browser
def test_queries_in_three_languages_find_their_segment_from_any_page(page, fable, fable_url):
    for start in ("", "fable/", "other/"):  # pages in English: the other languages are merged
        found = query(page, fable_url + start, [word for _, word in QUERIES])
        for lang, word in QUERIES:
            urls = [url for h in found[word] if h["lang"] == lang for url in h["urls"]]
            assert "/repo/fable/#s2" in urls, (start, word, found[word])
            for url in urls:  # every result resolves to a page and a segment
                if urlsplit(url).fragment:
                    segment_text(fable, url, lang)
            assert word in segment_text(fable, "/repo/fable/#s2", lang)


@pytest.mark.browser
def test_english_stems_still_match_from_a_chinese_page(page, fable, fable_url):
    found = query(page, fable_url + "fable/?lang=zh", ["mountain", "laughed"])
    assert [h["lang"] for h in found["mountain"]] == ["en"]
    assert found["laughed"] and all(h["lang"] == "en" for h in found["laughed"])


@pytest.mark.browser
def test_search_works_on_the_main_thread_under_the_sites_csp(page, fable_url):
    # Pagefind falls back to the page when its worker fails or is slow: this needs the
    # CSP's 'wasm-unsafe-eval'.
    found = query(page, fable_url + "fable/", ["移山"], no_worker=True)
    assert "/repo/fable/#s2" in [url for h in found["移山"] if h["lang"] == "zh"
                                 for url in h["urls"]]


# -- the search box --------------------------------------------------------------------------

@pytest.mark.browser
def test_nothing_of_the_search_loads_until_it_is_opened(page, fable_url):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(fable_url + "fable/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#search-open").is_visible()
    assert not [u for u in requests if re.search(r"pagefind|search-ui|search\.css", u)]
    page.keyboard.press("/")
    page.wait_for_selector("dialog.search[open]")
    page.locator("#search-status").wait_for(state="hidden")  # the index has loaded
    assert [u for u in requests if "/repo/pagefind/en/pagefind.js" in u]
    assert [u for u in requests if u.endswith("/repo/assets/search.css")]


@pytest.mark.browser
def test_typing_a_chinese_query_and_following_the_first_result_reaches_the_segment(
        page, fable, fable_url):
    page.goto(fable_url)  # the home page, in English
    page.click("#search-open")
    page.locator("#search-q").press_sequentially("移山", delay=50)
    first = page.locator(".search-results a").first
    first.wait_for()
    assert page.locator(".search-hit").first.get_attribute("lang") == "zh"
    assert "移山" in page.locator(".search-hit mark").first.inner_text()
    first.click()  # the hit's language is shown, whatever the reader had chosen
    page.wait_for_url(re.compile(r"/repo/fable/\?.*lang=zh.*#s2$|/repo/fable/\?.*pair=zh.*#s2$"))
    cell = page.locator("#s2 .cell[lang=zh]")
    assert "移山" in cell.inner_text() and cell.is_visible()
    assert page.evaluate("location.hash") == "#s2"


@pytest.mark.browser
def test_search_box_links_each_language_to_the_segment_holding_the_query(page, fable_url):
    page.goto(fable_url + "other/")
    page.click("#search-open")
    for lang, word in QUERIES:
        page.locator("#search-q").fill("")  # clears the results: none are left from before
        page.locator(".search-hit").first.wait_for(state="detached")
        page.locator("#search-q").fill(word)
        title = page.locator(f".search-hit[lang={lang}] a.search-title")
        title.wait_for()
        assert title.get_attribute("href") == f"/repo/fable/?lang={lang}#s2", word
        assert page.locator(".search-hit").first.get_attribute("lang") == lang, word


@pytest.mark.browser
def test_keys_typed_in_the_search_box_do_not_trigger_reader_shortcuts(page, fable_url):
    page.goto(fable_url + "fable/")
    page.click("#search-open")
    page.locator("#search-q").press_sequentially("dims", delay=20)  # d would toggle the theme
    assert page.locator("html").get_attribute("data-theme") in (None, "light")
    assert page.locator("#search-q").input_value() == "dims"
    page.keyboard.press("Escape")
    page.locator("dialog.search[open]").wait_for(state="detached")


def luminance(css_color: str) -> float:
    r, g, b = (int(x) for x in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_search_dialog_follows_the_colour_scheme(browser, fable_url, scheme):
    context = browser.new_context(color_scheme=scheme)
    tab = context.new_page()
    tab.goto(fable_url + "fable/")
    tab.click("#search-open")
    tab.locator("#search-q").fill("basketfuls")
    tab.locator(".search-results a").first.wait_for()
    colours = tab.evaluate("""() => {
      const dialog = document.querySelector('dialog.search');
      return [getComputedStyle(dialog).backgroundColor, getComputedStyle(dialog).color];
    }""")
    context.close()
    background, text = (luminance(c) for c in colours)
    assert (background < 0.3 < 0.7 < text) if scheme == "dark" else (text < 0.3 < 0.7 < background)


# -- the bundled article ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    if not (REPO / "content" / BUNDLED).is_dir():
        pytest.skip(f"the bundled article content/{BUNDLED}/ is not in this checkout")
    root = tmp_path_factory.mktemp("bundled")
    shutil.copytree(REPO / "content", root / "content")
    if (REPO / "site.yaml").is_file():
        shutil.copy(REPO / "site.yaml", root / "site.yaml")
    return build_site(root, {})


@pytest.mark.browser
def test_bundled_article_is_found_in_english_chinese_and_japanese(page, bundled):
    words = [("en", "turbines"), ("zh", "高铁"), ("ja", "高速列車")]
    with serve(bundled) as url:
        found = query(page, url + BUNDLED + "/", [word for _, word in words])
    for lang, word in words:
        urls = [u for h in found[word] if h["lang"] == lang for u in h["urls"]
                if urlsplit(u).path == f"/repo/{BUNDLED}/" and urlsplit(u).fragment]
        assert urls, (word, found[word])
        assert word in segment_text(bundled, urls[0], lang)
