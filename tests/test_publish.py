"""Feeds, sitemap, robots.txt, per-page metadata, and the build's terminal output."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, entry

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ORIGIN = "https://example.org"
BASE = ORIGIN + "/notes/"
HOSTILE = "</script><script>alert(\"x\")</script> & 'quotes' <b>"


def site_files() -> dict[str, str]:
    return {
        "site.yaml": "title: {en: Parallel Notes, zh: 平行笔记}\nauthor: Site Owner\n"
                     "languages: [en, zh]\n",
        "content/first-post/en.md": entry("First post", """
            Paragraph one has 12 GPUs.

            ![A chart](chart.png)
            """, date="2026-05-07", author="Jane Doe", tags="[ai]", original="true",
            summary="'The summary.'"),
        "content/first-post/chart.png": "not really a png",
        "content/first-post/zh.md": entry("第一篇", "第一段有 12 个 GPU。\n\n图。",
                                          translator="李四", summary="摘要。"),
        "content/older/en.md": entry("Older post", "Just one paragraph.", date="2025-01-02"),
        "content/undated/zh.md": entry("无日期", "没有日期的文章。"),
        "content/draft-one/en.md": entry("Secret", "Not yet.", draft="true", date="2027-01-01"),
    }


def build(root: Path, files: dict[str, str], *args: str,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "templates").exists():
        shutil.copytree(REPO / "templates", root / "templates")
        shutil.copytree(REPO / "static", root / "static")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"} | (env or {})
    return subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--root", str(root),
                           *args], cwd=root, capture_output=True, text=True, env=environ,
                          timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The sample site built for https://example.org/notes/."""
    root = tmp_path_factory.mktemp("publish")
    result = build(root, site_files(), "--base-url", BASE, env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert result.returncode == 0, result.stderr
    return root / "site"


class Head(HTMLParser):
    """The head's <title>, <meta>, <link> and JSON-LD of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.json_ld: list[str] = []
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta.setdefault(a.get("property") or a["name"], []).append(a.get("content", ""))
        elif tag == "link":
            self.links.append(a)
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in = "ld"
            self.json_ld.append("")
        elif tag == "title":
            self._in = "title"

    def handle_endtag(self, tag):
        if tag in ("script", "title"):
            self._in = None

    def handle_data(self, data):
        if self._in == "ld":
            self.json_ld[-1] += data
        elif self._in == "title":
            self.title += data


def head(path: Path) -> Head:
    parser = Head()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def atom(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


# -- feeds -----------------------------------------------------------------------------------

def test_site_feed_is_atom_with_every_required_element(site):
    feed = atom(site / "feed.xml")
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == BASE + "feed.xml"
    assert feed.findtext(f"{ATOM}title") == "Parallel Notes"
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Site Owner"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"self": BASE + "feed.xml", "alternate": BASE}
    for item in feed.findall(f"{ATOM}entry"):
        for child in ("id", "title", "updated", "published"):
            assert item.findtext(f"{ATOM}{child}"), child
        assert item.find(f"{ATOM}content").get("type") == "html"
        assert item.get(XML_LANG)
        assert item.find(f"{ATOM}link").get("href").startswith(BASE)


def test_site_feed_holds_published_entries_in_their_original_language(site):
    entries = atom(site / "feed.xml").findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["First post", "Older post", "无日期"]
    assert [e.get(XML_LANG) for e in entries] == ["en", "en", "zh"]
    assert "Secret" not in (site / "feed.xml").read_text()


def test_language_feed_has_title_summary_and_content_in_that_language(site):
    feed = atom(site / "feeds/zh.xml")
    assert feed.get(XML_LANG) == "zh" and feed.findtext(f"{ATOM}title") == "平行笔记"
    first = feed.find(f"{ATOM}entry")
    assert first.get(XML_LANG) == "zh"
    assert first.findtext(f"{ATOM}title") == "第一篇"
    assert first.findtext(f"{ATOM}summary") == "摘要。"
    content = first.find(f"{ATOM}content")
    assert "第一段有 12 个 GPU" in content.text and "Paragraph one" not in content.text
    assert content.get("{http://www.w3.org/XML/1998/namespace}base") == BASE + "first-post/"
    assert first.findtext(f"{ATOM}contributor/{ATOM}name") == "李四"
    assert [e.findtext(f"{ATOM}title") for e in atom(site / "feeds/en.xml").findall(
        f"{ATOM}entry")] == ["First post", "Older post"]


def test_feed_dates_come_from_content_and_source_date_epoch(site):
    feed = atom(site / "feed.xml")
    assert feed.findtext(f"{ATOM}updated") == "2026-05-07T00:00:00Z"
    updated = {e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}updated")
               for e in feed.findall(f"{ATOM}entry")}
    assert updated == {"First post": "2026-05-07T00:00:00Z", "Older post": "2025-01-02T00:00:00Z",
                       "无日期": "2026-01-01T00:00:00Z"}  # SOURCE_DATE_EPOCH=1767225600


def test_every_page_links_the_site_feed_and_each_language_feed(site):
    for page in ("index.html", "first-post/index.html", "tags/ai/index.html", "404.html"):
        feeds = [link for link in head(site / page).links
                 if link.get("type") == "application/atom+xml"]
        assert [f["href"] for f in feeds] == [
            "/notes/feed.xml", "/notes/feeds/en.xml", "/notes/feeds/zh.xml"], page
        # Not hreflang: that would declare each feed a translation of the page.
        assert not any("hreflang" in f for f in feeds), page
        assert feeds[2]["title"].endswith("(中文)"), page


# -- sitemap and robots ----------------------------------------------------------------------

def test_sitemap_lists_every_page_with_hreflang_alternates(site):
    urls = {u.findtext(f"{SM}loc"): u for u in atom(site / "sitemap.xml").findall(f"{SM}url")}
    assert set(urls) == {BASE, BASE + "tags/", BASE + "tags/ai/", BASE + "first-post/",
                         BASE + "older/", BASE + "undated/"}
    post = urls[BASE + "first-post/"]
    assert post.findtext(f"{SM}lastmod") == "2026-05-07"
    alternates = {(a.get("hreflang"), a.get("href")) for a in post.findall(f"{XHTML}link")}
    assert alternates == {("en", BASE + "first-post/"), ("zh", BASE + "first-post/"),
                          ("x-default", BASE + "first-post/")}
    assert {a.get("hreflang") for a in urls[BASE].findall(f"{XHTML}link")} == {
        "en", "zh", "x-default"}


def test_robots_points_to_the_sitemap_and_keeps_crawlers_out_of_the_index(site):
    robots = (site / "robots.txt").read_text()
    assert f"Sitemap: {BASE}sitemap.xml" in robots.splitlines()
    assert "Disallow: /notes/pagefind/" in robots.splitlines()


def test_a_path_only_base_url_gives_relative_feeds_and_no_sitemap(tmp_path):
    assert build(tmp_path, site_files(), "--base-url", "/notes/").returncode == 0
    out = tmp_path / "site"
    feed = atom(out / "feed.xml")
    assert feed.findtext(f"{ATOM}id").startswith("urn:uuid:")
    assert feed.find(f"{ATOM}link").get("href") == "/notes/feed.xml"
    assert all(e.findtext(f"{ATOM}id").startswith("urn:uuid:")
               for e in feed.findall(f"{ATOM}entry"))
    assert not (out / "sitemap.xml").exists()
    assert "Sitemap" not in (out / "robots.txt").read_text()
    page = head(out / "first-post/index.html")
    assert not [link for link in page.links if link.get("rel") == "canonical"]
    assert "og:url" not in page.meta


def test_dates_of_the_first_centuries_keep_four_digits_in_the_feed(tmp_path):
    files = {"content/old/en.md": entry("Old", "Text.", date="0001-01-01")}
    assert build(tmp_path, files, "--base-url", BASE).returncode == 0
    feed = atom(tmp_path / "site/feed.xml")
    assert feed.find(f"{ATOM}entry").findtext(f"{ATOM}published") == "0001-01-01T00:00:00Z"
    assert feed.findtext(f"{ATOM}updated") == "0001-01-01T00:00:00Z"


# -- per-page metadata -----------------------------------------------------------------------

def test_article_head_has_canonical_open_graph_and_twitter_card(site):
    page = head(site / "first-post/index.html")
    assert page.title.startswith("First post")
    assert {"rel": "canonical", "href": BASE + "first-post/"} in page.links
    assert page.meta["description"] == ["The summary."]
    assert page.meta["og:title"] == ["First post"] and page.meta["twitter:title"] == ["First post"]
    assert page.meta["og:url"] == [BASE + "first-post/"]
    assert page.meta["og:type"] == ["article"]
    assert page.meta["og:locale"] == ["en_US"] and page.meta["og:locale:alternate"] == ["zh_CN"]
    assert page.meta["og:image"] == [BASE + "first-post/chart.png"]
    assert page.meta["twitter:card"] == ["summary_large_image"]
    assert page.meta["article:published_time"] == ["2026-05-07"]


def test_article_head_is_in_the_pages_own_language(site):
    page = head(site / "undated/index.html")
    assert '<html lang="zh"' in (site / "undated/index.html").read_text()
    assert page.title.startswith("无日期") and page.meta["og:title"] == ["无日期"]
    assert page.meta["og:locale"] == ["zh_CN"] and page.meta["og:site_name"] == ["平行笔记"]


def test_json_ld_article_names_author_translator_and_the_work_translated(site):
    [data] = [json.loads(text) for text in head(site / "first-post/index.html").json_ld]
    en, zh = data["@graph"]
    assert data["@context"] == "https://schema.org"
    assert en["@type"] == "Article" and en["inLanguage"] == "en"
    assert en["author"] == [{"@type": "Person", "name": "Jane Doe"}]
    assert en["datePublished"] == "2026-05-07" and en["url"] == BASE + "first-post/"
    assert "translationOfWork" not in en
    assert zh["headline"] == "第一篇" and zh["inLanguage"] == "zh"
    assert zh["translator"] == [{"@type": "Person", "name": "李四"}]
    assert zh["translationOfWork"] == {"@id": en["@id"]}


def test_home_page_describes_the_website_and_404_is_not_indexed(site):
    [data] = [json.loads(text) for text in head(site / "index.html").json_ld]
    assert data["@type"] == "WebSite" and data["url"] == BASE
    page = head(site / "404.html")
    assert page.meta["robots"] == ["noindex"] and not page.json_ld
    assert not [link for link in page.links if link.get("rel") == "canonical"]


def test_a_hostile_title_is_escaped_in_every_metadata_field(tmp_path):
    files = {"content/evil/en.md": "---\ntitle: " + json.dumps(HOSTILE) +
             "\ndate: 2026-02-01\nsummary: " + json.dumps(HOSTILE) + "\n---\n\nBody.\n"}
    assert build(tmp_path, files, "--base-url", BASE).returncode == 0
    html = (tmp_path / "site/evil/index.html").read_text()
    assert "<script>alert" not in html and "<b>" not in html
    page = head(tmp_path / "site/evil/index.html")
    assert page.meta["og:title"] == [HOSTILE] and page.meta["description"] == [HOSTILE]
    [data] = [json.loads(text) for text in page.json_ld]  # not cut short by `</script>`
    assert data["@graph"][0]["headline"] == HOSTILE
    assert re.search(r"\\u003c/script\\u003e", page.json_ld[0])
    feed = atom(tmp_path / "site/feed.xml")
    assert feed.find(f"{ATOM}entry").findtext(f"{ATOM}title") == HOSTILE


def test_feeds_and_sitemap_are_byte_identical_across_builds(tmp_path):
    outputs = []
    for out in ("one", "two"):
        assert build(tmp_path, site_files(), "--base-url", BASE, "--out", out).returncode == 0
        outputs.append([(tmp_path / out / name).read_bytes() for name in (
            "feed.xml", "feeds/en.xml", "feeds/zh.xml", "sitemap.xml", "robots.txt")])
    assert outputs[0] == outputs[1]


# -- terminal output -------------------------------------------------------------------------

SUMMARY = re.compile(r"^built \d+ entr(y|ies), \d+ pages?, \d+ languages?, \d+ warnings? in "
                     r"[\d.]+ s")


def test_build_ends_with_one_summary_line_and_no_progress_when_piped(tmp_path):
    result = build(tmp_path, site_files())
    assert SUMMARY.match(result.stdout.splitlines()[-1])
    assert "\r" not in result.stderr and "pages ·" not in result.stderr


def test_quiet_hides_warnings_and_keeps_the_summary(tmp_path):
    files = site_files() | {"content/older/en.md": entry("Older post", "![x](missing.png)",
                                                         date="2025-01-02")}
    loud = build(tmp_path / "loud", files)
    assert "warning: image `missing.png` not found" in loud.stderr
    quiet = build(tmp_path / "quiet", files, "--quiet")
    assert quiet.returncode == 0 and "warning" not in quiet.stderr
    assert SUMMARY.match(quiet.stdout.splitlines()[-1]) and "1 warning in" in quiet.stdout


def test_verbose_says_where_the_feeds_sitemap_and_search_index_went(tmp_path):
    result = build(tmp_path, site_files(), "--verbose")
    assert "feeds: feed.xml, feeds/en.xml, feeds/zh.xml" in result.stdout
    assert "sitemap: none (it needs an absolute base_url" in result.stdout
    assert "search: pagefind/en/, pagefind/zh/" in result.stdout
    assert SUMMARY.match(result.stdout.splitlines()[-1])


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal_and_stays_quiet_in_ci(monkeypatch):
    from bitext.cli import Progress

    monkeypatch.delenv("CI", raising=False)
    terminal = FakeTerminal()
    progress = Progress.on_terminal(terminal)
    progress.started -= 1  # a build that has already run for a second
    progress(3, 10)
    progress(10, 10)
    progress.clear()
    assert re.search(r"\r3/10 pages · 1\.\d s", terminal.getvalue())
    assert terminal.getvalue().endswith("\r\x1b[K")
    assert Progress.on_terminal(io.StringIO()) is None
    monkeypatch.setenv("CI", "true")
    assert Progress.on_terminal(FakeTerminal()) is None


def test_every_page_has_a_description_even_without_one_in_the_settings(site):
    for page in sorted(site.rglob("*.html")):
        [description] = head(page).meta["description"]
        assert description.strip(), page
    assert head(site / "tags/ai/index.html").meta["description"][0].startswith("ai · ")
