"""End-to-end behaviour of `build`, `check` and `new` on small inline sites."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, entry


def two_language_site() -> dict[str, str]:
    return {
        "content/first-post/en.md": entry("First post", """
            # Opening

            Paragraph one has 12 GPUs.

            Paragraph two.

            - a list
            - of two
            """, date="2026-05-07", author="Jane Doe", tags="[ai, China]", original="true",
            summary="'The summary.'"),
        "content/first-post/zh.md": entry("第一篇", """
            # 开篇

            第一段有 12 个 GPU。

            第二段。
            """, translator="李四"),
        "content/older/en.md": entry("Older post", "Just one paragraph.", date="2025-01-02",
                                     tags="[ai]"),
        "content/draft-one/en.md": entry("Secret", "Not yet.", draft="true", date="2027-01-01"),
    }


class Segments(HTMLParser):
    """Collects each `.seg` row's id and the (lang, classes, text) of its cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[dict]] = {}
        self._row: str | None = None
        self._cell: dict | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if self._cell is not None:
            self._depth += 1
        elif "seg" in classes and re.fullmatch(r"s\d+", a.get("id") or ""):
            self._row = a["id"]
            self.rows[self._row] = []
        elif self._row and "cell" in classes:
            self._cell = {"lang": a.get("lang"), "classes": classes, "text": "", "attrs": a}
            self._depth = 1

    def handle_endtag(self, tag):
        if self._cell is not None:
            self._depth -= 1
            if self._depth == 0:
                self.rows[self._row].append(self._cell)
                self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def parse_rows(html: str) -> dict[str, list[dict]]:
    parser = Segments()
    parser.feed(html)
    return parser.rows


def test_build_writes_reading_page_with_segment_ids_and_lang_cells(project, run):
    root = project(two_language_site())
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    html = (root / "site/first-post/index.html").read_text()
    rows = parse_rows(html)
    assert list(rows) == ["s1", "s2", "s3", "s4"]
    assert [c["lang"] for c in rows["s1"]] == ["en", "zh"]
    assert "Paragraph one" in rows["s2"][0]["text"] and "第一段" in rows["s2"][1]["text"]


def test_missing_block_gives_an_empty_cell_marked_untranslated(project, run):
    root = project(two_language_site())
    run(root, "build")
    rows = parse_rows((root / "site/first-post/index.html").read_text())
    zh_cell = rows["s4"][1]
    assert "untranslated" in zh_cell["classes"]
    assert zh_cell["attrs"].get("data-note") == "untranslated"
    assert "a list" in rows["s4"][0]["text"]


def test_index_lists_published_entries_newest_first_without_drafts(project, run):
    root = project(two_language_site())
    run(root, "build")
    index = (root / "site/index.html").read_text()
    assert index.index("First post") < index.index("Older post")
    assert "第一篇" in index and "Secret" not in index
    assert not (root / "site/draft-one").exists()


def test_drafts_flag_publishes_drafts(project, run):
    root = project(two_language_site())
    assert run(root, "build", "--drafts").returncode == 0
    assert (root / "site/draft-one/index.html").exists()


def test_site_has_tags_404_nojekyll_and_favicon(project, run):
    root = project(two_language_site())
    run(root, "build")
    site = root / "site"
    for path in ("tags/ai/index.html", "tags/china/index.html", "404.html", ".nojekyll",
                 "favicon.svg", "assets/site.css", "assets/reader.js"):
        assert (site / path).exists(), path
    tag_page = (site / "tags/ai/index.html").read_text()
    assert "First post" in tag_page and "Older post" in tag_page
    every_tag = (site / "tags/index.html").read_text()  # where the site bar's "Tags" leads
    assert 'href="/tags/ai/"' in every_tag and 'href="/tags/china/"' in every_tag
    assert '<a href="/tags/" data-i18n="tags">' in (site / "index.html").read_text()


def test_base_url_prefixes_every_internal_link(project, run):
    root = project(two_language_site())
    assert run(root, "build", "--base-url", "/repo/").returncode == 0
    for page in (root / "site").rglob("*.html"):
        html = page.read_text()
        for url in re.findall(r'(?:href|src)="([^"]+)"', html):
            if url.startswith(("http", "#", "mailto:")):
                continue
            assert url.startswith("/repo/"), (page, url)


@pytest.mark.parametrize("base", ["//evil.example/", "/a/../b/", "ftp://host/", "javascript:x",
                                  "https:///nohost", "/repo/?q=1", "/my repo/"])
def test_base_url_that_is_no_url_or_path_is_a_usage_error(project, run, base):
    root = project(two_language_site())
    result = run(root, "build", f"--base-url={base}")
    assert result.returncode == 2
    assert f"error: --base-url {base!r} is not a URL or a path such as /repo/" in result.stderr
    assert not (root / "site").exists()


def test_two_builds_are_byte_identical(project, run, tmp_path):
    root = project(two_language_site())
    digests = []
    for out in ("one", "two"):
        assert run(root, "build", "--out", out).returncode == 0
        digests.append({str(p.relative_to(root / out)): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted((root / out).rglob("*")) if p.is_file()})
    assert digests[0] == digests[1]


def test_check_reports_different_block_counts_with_both_counts(project, run):
    root = project(two_language_site())
    result = run(root, "check")
    assert result.returncode == 0
    assert re.search(r"content/first-post/en\.md: warning: .*en\.md: 4, zh\.md: 3", result.stderr)


def test_check_json_lists_segments_with_blocks_and_confidence(project, run):
    root = project(two_language_site())
    result = run(root, "check", "--format", "json")
    data = json.loads(result.stdout)
    post = next(e for e in data["entries"] if e["slug"] == "first-post")
    assert post["languages"] == ["en", "zh"]
    assert post["segments"][0] == {"id": "s1", "blocks": {"en": [0], "zh": [0]},
                                   "confidence": post["segments"][0]["confidence"]}
    assert all(0 <= s["confidence"] <= 1 for s in post["segments"])


def test_check_still_reports_the_entries_that_read_well_beside_a_broken_one(project, run):
    root = project({**two_language_site(),
                    "content/broken/en.md": "---\ntitle: [unclosed\n---\n\nText.\n"})
    result = run(root, "check", "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["errors"] == 1 and data["diagnostics"][0]["path"].endswith("broken/en.md")
    assert "first-post" in [e["slug"] for e in data["entries"]]
    text = run(root, "check")
    assert "4 entries checked: 1 error" in text.stderr, text.stderr  # the broken one counts


def test_a_reader_that_stops_early_gets_no_traceback(project, tmp_path):
    """`check --format json | head -1`: the pipe closes while the report is written."""
    paragraphs = "\n\n".join(f"Paragraph {i}." for i in range(3000))
    root = project({"content/long/en.md": entry("Long", paragraphs),
                    "content/long/zh.md": entry("长", paragraphs.replace("Paragraph", "段落"))})
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "check", "--format", "json",
                             "--root", str(root)], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout.read(1) == b"{"
    proc.stdout.close()  # the report is far larger than a pipe holds: the next write fails
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141  # as a shell reports a command its pipe stopped
    assert "Traceback" not in stderr and "Error" not in stderr


def test_a_terminal_that_cannot_show_chinese_gets_escapes_not_a_traceback(project, run):
    """A Latin-1 or ASCII locale: `check`'s notes (`en.md:3 ↔ zh.md:3`) and its JSON report."""
    import os

    root = project(two_language_site())
    ascii_env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = run(root, "check", env=ascii_env)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "\\u2194" in result.stdout  # ↔
    (root / "content/first-post/中文.md").write_text(entry("文章", "正文。"), encoding="utf-8")
    result = run(root, "check", "--format", "json", env=ascii_env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    messages = [d["message"] for d in json.loads(result.stdout)["diagnostics"]]
    assert "`中文.md` is not named after a language" in messages


def test_reading_page_header_shows_titles_author_translator_and_reading_time(project, run):
    root = project(two_language_site())
    run(root, "build")
    html = (root / "site/first-post/index.html").read_text()
    assert "By Jane Doe" in html and "Translated by 李四" in html
    assert "May 7, 2026" in html and "min read" in html
    assert '<html lang="en"' in html


def test_entry_default_mode_and_pair_preselect_controls(project, run):
    site = two_language_site()
    site["content/first-post/zh.md"] = entry("第一篇", "第一段。", mode="interleaved",
                                             pair="[zh, en]")
    root = project(site)
    assert run(root, "build").returncode == 0, run(root, "build").stderr
    html = (root / "site/first-post/index.html").read_text()
    assert re.search(r'id="m-inter" value="interleaved" checked', html)
    assert re.search(r'id="a-1" value="zh" checked', html)


def test_entry_assets_are_published_beside_the_page(project, run):
    site = two_language_site()
    site["content/first-post/en.md"] = entry("First post", "![A chart](chart.png)",
                                             original="true")
    site["content/first-post/chart.png"] = b"\x89PNG\r\n\x1a\nfake"
    root = project(site)
    assert run(root, "build").returncode == 0
    assert (root / "site/first-post/chart.png").read_bytes().startswith(b"\x89PNG")
    assert 'src="chart.png"' in (root / "site/first-post/index.html").read_text()


def test_new_scaffolds_an_entry_that_builds(project, run):
    root = project({})
    result = run(root, "new", "my-essay", "--langs", "en,ja")
    assert result.returncode == 0, result.stderr
    assert (root / "content/my-essay/en.md").exists() and (root / "content/my-essay/ja.md").exists()
    assert run(root, "check").returncode == 0, run(root, "check").stderr


@pytest.mark.parametrize("args, message", [
    (["My Essay"], "invalid slug"), (["tags"], "reserved for the site's own pages"),
    (["essay", "--langs", "en,zh,EN"], "--langs names `en` twice"),
    (["essay", "--langs", "en,iw"], "`iw` is an old or long code; use `he`"),
    (["essay", "--langs", ",".join(["en", "zh", "ja", "fr", "de", "es", "it", "ko", "pt", "ru",
                                     "nl", "sv", "fi"])], "a page shows at most 12")])
def test_new_refuses_what_the_build_would_refuse_with_usage_status(project, run, args, message):
    root = project({})
    result = run(root, "new", *args)
    assert result.returncode == 2 and message in result.stderr
    assert not any((root / "content").iterdir())


def test_failed_build_keeps_previous_site(project, run):
    root = project(two_language_site())
    assert run(root, "build").returncode == 0
    before = (root / "site/first-post/index.html").read_bytes()
    (root / "content/first-post/zh.md").write_text("---\ntitle: [unclosed\n---\n")
    result = run(root, "build")
    assert result.returncode == 1
    assert re.search(r"content/first-post/zh\.md:2(:\d+)?: error: ", result.stderr)
    assert (root / "site/first-post/index.html").read_bytes() == before
    assert not list(root.glob(".site.tmp-*"))


def test_front_matter_errors_name_file_and_line(project, run):
    root = project({"content/post/en.md":
                    "---\ntitle: Post\ntittle: typo\ndate: 2026-02-30\n---\n"})
    result = run(root, "check")
    assert result.returncode == 1
    assert ("content/post/en.md:3: error: unknown front-matter key `tittle` "
            "(did you mean `title`?)") in result.stderr
    assert re.search(r"content/post/en\.md:4: error: `date` is not a real date", result.stderr)
    assert "Traceback" not in result.stderr


def test_badly_named_language_file_is_an_error(project, run):
    root = project({"content/post/english.md": entry("Post", "Text"),
                    "content/post/en_US.md": entry("Post", "Text")})
    result = run(root, "check")
    assert result.returncode == 1
    assert "english.md` is not named after a language" in result.stderr
    assert "en_US.md` is not named after a language" in result.stderr


def test_editor_temp_files_are_ignored(project, run):
    root = project({"content/post/en.md": entry("Post", "Text"),
                    "content/post/.en.md.swp": "junk", "content/post/en.md~": "junk",
                    "content/post/4913": "", "content/.DS_Store": "x"})
    assert run(root, "check").returncode == 0
    run(root, "build")
    assert sorted(p.name for p in (root / "site/post").iterdir()) == ["index.html"]


def test_conflicting_entry_wide_fields_are_an_error(project, run):
    root = project({"content/post/en.md": entry("Post", "Text", date="2026-01-01"),
                    "content/post/zh.md": entry("帖子", "文字", date="2026-01-02")})
    result = run(root, "check")
    assert result.returncode == 1
    assert re.search(r"zh\.md:3: error: `date` differs from en\.md:3", result.stderr)


def test_interface_strings_ship_for_every_site_language(project, run):
    root = project(two_language_site())
    run(root, "build")
    table = {}
    for path in sorted((root / "site/assets/i18n").glob("*.js")):
        match = re.fullmatch(r'\(window\.BITEXT_I18N=window\.BITEXT_I18N\|\|\{\}\)\["([\w-]+)"\]'
                             r"=(\{.*\});\n", path.read_text(encoding="utf-8"))
        assert match and match.group(1) == path.stem, path
        table[path.stem] = json.loads(match.group(2))
    assert set(table) == {"en", "zh"}
    assert table["zh"]["side_by_side"] == "左右对照"
    assert set(table["zh"]) == set(table["en"])
    # Fetched only when the reader's language is not the page's: no page loads them up front.
    assert "i18n" not in (root / "site/first-post/index.html").read_text().split("<body")[0]


def test_reading_page_assets_stay_under_30_kb(project, run):
    root = project(two_language_site())
    run(root, "build")
    html = (root / "site/first-post/index.html").read_text()
    assets = re.findall(r'(?:href|src)="/(assets/[^"]+\.(?:css|js))"', html)
    inline = sum(len(s) for s in re.findall(r"<script>(.*?)</script>", html, re.S))
    total = inline + sum((root / "site" / a).stat().st_size for a in assets)
    assert 0 < total < 30 * 1024, (assets, total)


def test_no_request_leaves_the_site(project, run):
    root = project(two_language_site())
    run(root, "build")
    for page in (root / "site").rglob("*.html"):
        for url in re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', page.read_text()):
            assert not url.startswith(("http:", "https:", "//")), (page, url)


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_right_to_left_languages_get_dir_rtl_from_their_script(project, run):
    root = project({
        "content/three/en.md": entry("Three", "One.\n\nTwo.", original="true"),
        "content/three/fa.md": entry("سه", "یک.\n\nدو."),
        "content/three/az-Arab.md": entry("Üç", "بیر.\n\nایکی."),
        "content/three/az.md": entry("Üç", "Bir.\n\nİki."),
    })
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    html = (root / "site/three/index.html").read_text()
    dirs = {c["lang"]: c["attrs"].get("dir") for c in parse_rows(html)["s1"]}
    assert dirs == {"en": None, "fa": "rtl", "az-Arab": "rtl", "az": None}
    titles = re.findall(r'<span class="cell" lang="([^"]+)"( dir="rtl")?', html)
    assert dict(titles) == {"en": "", "fa": ' dir="rtl"', "az-Arab": ' dir="rtl"', "az": ""}
    bylines = re.findall(r'<p class="cell" lang="([^"]+)"( dir="rtl")?', html)
    assert dict(bylines) == dict(titles)


def test_heading_levels_are_ranked_from_h2_under_the_page_title(project, run):
    root = project({
        "content/ranked/en.md": entry("Ranked", "### Part one\n\nText.\n\n##### Detail\n\nMore."),
        "content/ranked/zh.md": entry("排名", "# 第一部分\n\n正文。\n\n## 细节\n\n更多。"),
    })
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    html = (root / "site/ranked/index.html").read_text()
    body = html[html.index('class="doc"'):]
    assert re.findall(r"<(h\d)[ >][^<]*(?:Part one|Detail|第一部分|细节)", body) == [
        "h2", "h2", "h3", "h3"]
    assert html.count("<h1") == 1
    check = run(root, "check", "--format", "json")
    segments = json.loads(check.stdout)["entries"][0]["segments"]
    assert all(len(blocks) == 1 for s in segments for blocks in s["blocks"].values())


def test_text_against_the_direction_around_it_carries_its_own(project, run):
    """Right-to-left titles in left-to-right lists, and the English interface's words inside a
    Hebrew column, each run in their own direction (else `1 min read` shows as `min read 1`)."""
    root = project({
        "content/post/en.md": entry("Post", "First.\n\nAdded in English.", original="true",
                                    date="2026-01-02", author="A", related="[other]"),
        "content/post/he.md": entry("עברית ו-English", "ראשון.", translator="מתרגם"),
        "content/other/en.md": entry("Other", "Text.", date="2026-01-01"),
    })
    assert run(root, "build", "--no-search").returncode == 0
    page = (root / "site/post/index.html").read_text()
    hebrew = re.findall(r'<(?:p|div) class="cell[^"]*" lang="he" dir="rtl".*?</(?:p|div)>', page,
                        re.S)
    assert hebrew and all(
        len(re.findall(r'<span[^>]* lang="en"', cell))
        == len(re.findall(r'<span[^>]* lang="en" dir="ltr"', cell)) for cell in hebrew)
    assert any('data-i18n="reading_time"' in cell for cell in hebrew)
    english = re.findall(r'<(?:p|div) class="cell[^"]*" lang="en".*?</(?:p|div)>', page, re.S)
    assert english and not any(' dir="' in cell for cell in english)
    index = (root / "site/index.html").read_text()
    assert '<span lang="he" dir="rtl">עברית ו-English</span>' in index
    assert '<span lang="en">Post</span>' in index
    other = (root / "site/other/index.html").read_text()
    assert '<span class="t" lang="he" dir="rtl">עברית ו-English</span>' in other  # previous


def test_root_brings_its_own_content_and_site_unless_told_otherwise(project, tmp_path):
    """`--root` is a whole project: its content/ and site/, whatever the working directory;
    folders named on the command line are taken from the working directory."""
    root = project({"content/post/en.md": entry("Theirs", "Text.")})
    here = tmp_path / "here"
    (here / "content/mine").mkdir(parents=True)
    (here / "content/mine/en.md").write_text(entry("Mine", "Other text."))

    def build(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--no-search",
                               "--root", str(root), *args], cwd=here, capture_output=True,
                              text=True, timeout=120)

    assert build().returncode == 0
    assert (root / "site/post/index.html").is_file() and not (here / "site").exists()
    assert build("--content", "content", "--out", "out").returncode == 0
    assert (here / "out/mine/index.html").is_file() and not (here / "out/post").exists()


def test_tags_keep_their_signs_and_a_repeated_tag_counts_once(project, run):
    root = project({
        "content/cpp/en.md": entry("Templates", "Text.", tags='[C++, "?"]', date="2026-01-03"),
        "content/cs/en.md": entry("Delegates", "Text.", tags='[C#, "%"]', date="2026-01-02"),
        "content/c/en.md": entry("Pointers", "Text.", tags="[c, C, AI, ai]", date="2026-01-01"),
    })
    result = run(root, "build", "--no-search")
    assert result.returncode == 0, result.stderr
    tags = root / "site/tags"
    assert sorted(p.name for p in tags.iterdir()) == [
        "ai", "c", "c-plus-plus", "c-sharp", "index.html", "tag"]
    assert "Templates" in (tags / "c-plus-plus/index.html").read_text()
    assert "Templates" not in (tags / "c-sharp/index.html").read_text()
    assert (tags / "c/index.html").read_text().count('class="card"') == 1
    assert (root / "site/c/index.html").read_text().count('href="/tags/c/"') == 1
    # Different spellings that still share a page are the writer's to know about.
    assert "content/cs/en.md:3: warning: tags `?` and `%` share the page tags/tag/" in result.stderr


def test_related_links_name_other_entries_once(project, run):
    root = project({
        "content/a/en.md": entry("Alpha", "Text.", related="[a, b, b, gone]", date="2026-01-02"),
        "content/b/en.md": entry("Beta", "Text.", date="2026-01-01"),
    })
    result = run(root, "build", "--no-search")
    assert result.returncode == 0, result.stderr
    assert "content/a/en.md:3: warning: related entry `a` is this entry itself" in result.stderr
    assert "content/a/en.md:3: warning: related entry `gone` does not exist" in result.stderr
    related = re.search(r'class="related".*?</ul>', (root / "site/a/index.html").read_text(),
                        re.S)[0]
    assert related.count('href="/b/"') == 1 and 'href="/a/"' not in related


def test_markdown_in_a_subfolder_is_an_asset_and_the_writer_is_told(project, run):
    root = project({"content/post/en.md": entry("Post", "Text."),
                    "content/post/notes/en.md": "# Draft notes\n"})
    result = run(root, "build", "--no-search")
    assert result.returncode == 0
    assert "content/post/notes/en.md: warning: Markdown in a subfolder is published as a file" \
        in result.stderr
    assert (root / "site/post/notes/en.md").read_text() == "# Draft notes\n"


def test_a_theme_missing_a_page_template_is_one_located_error(project, run):
    root = project({f"content/p{k}/en.md": entry(f"P{k}", "Text.") for k in range(3)})
    (root / "templates/article.html").unlink()
    result = run(root, "build", "--no-search")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [f"templates{os.sep}article.html: error: missing template (every theme has "
                      "article.html, list.html, 404.html)"], result.stderr


def test_a_project_without_a_theme_is_built_with_the_one_that_comes_with_the_generator(
        project, run):
    root = project({"content/p/en.md": entry("P", "Text."),
                    "content/p/zh.md": entry("甲", "正文。"), "site.yaml": "title: Mine\n"},
                   theme=False)
    result = run(root, "build", "--no-search")
    assert result.returncode == 0, result.stderr
    page = (root / "site/p/index.html").read_text(encoding="utf-8")
    assert 'class="seg"' in page and ">P · Mine</title>" in page
    assert b".seg" in (root / "site/assets/site.css").read_bytes()  # the theme's stylesheet
    assert not (root / "templates").exists() and not (root / "static").exists()
    # A project with a theme folder of its own uses its own, even half made: it says what lacks.
    (root / "templates").mkdir()
    result = run(root, "build", "--no-search")
    assert result.returncode == 1 and "article.html: error: missing template" in result.stderr
    (root / "templates").rmdir()
    shutil.copytree(REPO / "templates", root / "templates")  # its own templates, no static/
    result = run(root, "build", "--no-search")
    assert result.returncode == 0 and "static: warning: static folder not found: the theme's " \
        "stylesheet and scripts are not published" in result.stderr, result.stderr
    shutil.rmtree(root / "templates")
    (root / "static").mkdir()  # for a logo, say: then templates/ is the project's to give
    result = run(root, "build", "--no-search")
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert result.returncode == 1 and len(errors) == 1, result.stderr
    assert errors[0].startswith("templates: error: templates folder not found (")
    assert "copy both from" in result.stderr and "remove static/" in result.stderr


def test_a_cache_folder_that_is_a_file_is_a_usage_error(project, run, tmp_path):
    root = project({"content/p/en.md": entry("P", "Text.")})
    (tmp_path / "afile").write_text("mine")
    result = run(root, "build", "--cache-dir", str(tmp_path / "afile"))
    assert result.returncode == 2 and "is a file, not a folder" in result.stderr
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_missing_included_template_is_one_error_where_it_is_used(project, run):
    root = project({f"content/p{k}/en.md": entry(f"P{k}", "Text.") for k in range(3)})
    (root / "templates/_macros.html").unlink()
    result = run(root, "build", "--no-search")
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "list.html:2: error: template `_macros.html` not found" in \
        errors[0], result.stderr
    assert "build failed: 1 error," in result.stderr


def test_a_failed_build_says_whether_a_previous_site_is_kept(project, run):
    root = project({"content/p/en.md": entry("P", "Text.")})
    broken = root / "content/q/en.md"
    broken.parent.mkdir()
    broken.write_text("---\ntitle: [open\n---\nText.\n", encoding="utf-8")
    first = run(root, "build", "--no-search")
    assert first.returncode == 1 and not (root / "site").exists()
    assert first.stderr.rstrip().endswith(f"; nothing was written to {root / 'site'}")
    broken.parent.rename(root / "q")  # out of the content folder
    assert run(root, "build", "--no-search").returncode == 0
    (root / "q").rename(broken.parent)
    broken.write_text("---\ntitle: [open\n---\nText.\n", encoding="utf-8")
    again = run(root, "build", "--no-search")
    assert again.returncode == 1 and (root / "site/p/index.html").is_file()
    assert again.stderr.rstrip().endswith("; the previous site was left as it was")
    check = run(root, "check")
    assert "check failed" not in check.stderr and "left as it was" not in check.stderr


def test_a_very_long_tag_gets_a_short_distinct_folder():
    from bitext.assemble import MAX_TAG_BYTES, tag_slug

    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    cjk = "人工智能" * 60  # 720 bytes in UTF-8
    slugs = [tag_slug(t) for t in (long_a, long_b, cjk)]
    assert all(len(s.encode()) <= MAX_TAG_BYTES for s in slugs)
    assert len(set(slugs)) == 3 and slugs[2].startswith("人工智能")
    assert tag_slug("x" * 100) == "x" * 100  # short enough: as written


def test_a_site_with_a_300_character_tag_builds(project, run):
    root = project({"content/p/en.md": entry("P", "Text.", tags=f"[ok, {'y' * 300}]")})
    result = run(root, "build", "--no-search")
    assert result.returncode == 0, result.stderr
    assert len(list((root / "site/tags").iterdir())) == 3  # ok/, the long one, index.html


def test_the_theme_scripts_and_stylesheets_ship_minified(project, run):
    root = project(two_language_site())
    css = root / "static/assets/site.css"
    css.write_text("/* a note for the theme's authors */\n" + css.read_text(encoding="utf-8"),
                   encoding="utf-8")
    assert run(root, "build", "--no-search").returncode == 0
    for name in ("assets/site.css", "assets/reader.js", "assets/search-ui.js"):
        source = (root / "static" / name).read_text(encoding="utf-8")
        shipped = (root / "site" / name).read_text(encoding="utf-8")
        assert len(shipped) < 0.95 * len(source), name
    assert "a note for the theme" not in (root / "site/assets/site.css").read_text()
    assert (root / "site/favicon.svg").read_bytes() == (root / "static/favicon.svg").read_bytes()
    # An edit of one stylesheet ships it again, minified, and nothing else is written.
    css.write_text(css.read_text(encoding="utf-8") + "\n.added-rule { color: red }\n",
                   encoding="utf-8")
    again = run(root, "build", "--no-search")
    assert ".added-rule{color:red}" in (root / "site/assets/site.css").read_text()
    assert "(1 file written" in again.stdout, again.stdout


def test_the_author_is_credited_in_every_language(project, run):
    root = project(two_language_site())
    assert run(root, "build", "--no-search").returncode == 0
    html = (root / "site/first-post/index.html").read_text()
    byline = html[html.index('class="seg byline"'):html.index('class="doc"')]
    for lang in ("en", "zh"):
        cell = byline[byline.index(f'lang="{lang}" data-l'):]
        cell = cell[:cell.index("</p>")]
        assert 'data-name="Jane Doe"' in cell, lang
    assert 'data-name="李四"' in byline  # and the translator beside the author in Chinese


def test_a_loop_of_links_in_the_content_is_a_located_error(project, run):
    root = project({"content/post/en.md": entry("Post", "Text.")})
    (root / "content/post/zh.md").symlink_to("zh.md")
    (root / "content/loop").symlink_to("loop")
    for command in (["build", "--no-search"], ["check"]):
        result = run(root, *command)
        assert result.returncode == 1 and "Traceback" not in result.stderr, command
        assert "content/post/zh.md: error: cannot follow this link" in result.stderr, command
    report = json.loads(run(root, "check", "--format", "json").stdout)
    assert any("loop" in str(d) for d in report["diagnostics"])


def test_an_output_path_through_dot_dot_is_the_folder_it_names(project, run):
    root = project({"content/post/en.md": entry("Post", "Text.")})
    assert run(root, "build", "--no-search").returncode == 0
    before = (root / "site/post/index.html").read_bytes()
    for out in ("site/../site", str(root / "site/../site"), "elsewhere/../site"):
        result = run(root, "build", "--no-search", "--out", out)
        assert result.returncode == 0, (out, result.stderr)
        assert (root / "site/post/index.html").read_bytes() == before
    assert sorted(p.name for p in root.iterdir() if p.name.startswith((".site", "elsewhere"))) == []


def test_check_reports_a_row_only_one_translation_has(project, run):
    root = project({
        "content/p/ja.md": entry("P", "<!-- seg: a -->\nJa para.", original="true"),
        "content/p/en.md": entry("P", "<!-- seg -->\nExtra para.\n\n<!-- seg: a -->\nEn para."),
        "content/p/de.md": entry("P", "De para."),
    })
    for args in ([], ["--format", "json"]):
        result = run(root, "check", *args)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "s1 is 0-1 (ja-en)" in run(root, "check").stdout


def test_an_entry_that_fails_to_read_brings_no_warnings_from_entries_relating_to_it(project, run):
    root = project({
        "content/a/en.md": entry("A", "Text.", related="[b]"),
        "content/c/en.md": entry("C", "Text.", related="[b]"),
        "content/b/en.md": "---\ntitle: B\ntags: [ai, open\n---\n\nText.\n",
    })
    result = run(root, "build", "--no-search")
    assert result.returncode == 1
    assert "content/b/en.md:3" in result.stderr and "related entry" not in result.stderr
    (root / "content/b/en.md").write_text(entry("B", "Text.", draft="true"))
    result = run(root, "build", "--no-search")  # a draft is not published: that is said
    assert result.returncode == 0 and "related entry `b` does not exist or is not published" \
        in result.stderr


def test_pair_matches_language_tags_whatever_their_case(project, run):
    root = project({
        "content/p/en.md": entry("P", "One.", original="true", pair="[ZH-hant, EN]"),
        "content/p/zh-Hant.md": entry("P", "一。"),
    })
    result = run(root, "build", "--no-search")
    assert result.returncode == 0, result.stderr
    assert 'data-pair="zh-Hant,en"' in (root / "site/p/index.html").read_text()


def test_check_json_gives_the_column_the_text_gives(project, run):
    root = project({"content/p/en.md": "---\ntitle: [P\n---\n\nText.\n"})
    text = run(root, "check").stderr
    report = json.loads(run(root, "check", "--format", "json").stdout)
    [diag] = report["diagnostics"]
    assert f"en.md:{diag['line']}:{diag['column']}: error:" in text


def test_two_spellings_of_one_tag_page_in_one_entry_are_told(project, run):
    root = project({"content/p/en.md": entry("P", "Text.", tags='["C#", "c-sharp", AI, ai]')})
    result = run(root, "build", "--no-search")
    assert result.returncode == 0
    assert "tags `C#` and `c-sharp` share the page tags/c-sharp/, so only `C#` is shown" \
        in result.stderr
    assert "`AI` and `ai`" not in result.stderr  # one tag in two cases: nothing to say


def test_relative_links_that_lead_nowhere_or_to_markdown_files_are_told(project, run):
    root = project({
        "content/a/en.md": entry("A", "[B](../b/en.md), [page](../b/), [gone](../nope/), "
                                      "[file](report.pdf), [here](#s1), [home](../), "
                                      "[asset](data.csv), [zh](zh.md), [tags](../tags/), "
                                      "[theme](../docs/), [feed](../feed.xml), "
                                      "[gone too](../nope-2/index.html)"),
        "content/a/zh.md": entry("甲", "正文。"),
        "content/a/data.csv": "x,y\n",
        "content/b/en.md": entry("B", "Text."),
        "static/docs/index.html": "<!doctype html><title>Docs</title>",
    })
    result = run(root, "build", "--no-search")
    assert result.returncode == 0
    told = [line for line in result.stderr.splitlines() if ": warning: " in line]
    # The site's own folders (tags/) and files (feed.xml), and theme files, are not told.
    assert len(told) == 5, told
    assert "link `../b/en.md` is to a language file, which is not published: link to the " \
        "entry's page, `../b/`" in told[0]
    assert "link `../nope/` leads nowhere: there is no entry `nope`" in result.stderr
    assert "link `../nope-2/index.html` leads nowhere: there is no entry `nope-2`" in \
        result.stderr
    assert "link `report.pdf` leads nowhere: no such file in a/" in result.stderr
    assert "link `zh.md` is to a language file" in result.stderr and "page, `./`" in \
        result.stderr
    assert run(root, "build", "--no-search", "--strict").returncode == 1


def test_links_to_drafts_wrong_case_missing_entries_and_in_footnotes_are_told(project, run):
    root = project({
        "content/a/en.md": entry("A", """
            [draft](../drafty/), [its picture](../drafty/p.png), [case](../Beta/),
            [inside](../nope/doc.pdf), [search](../search/), [feeds](../feeds/en.xml),
            [beta](../beta/).[^1] [^2]

            [^1]: See [gone](../gone/) and [out](../../../etc/passwd).
            [^2]: ![missing](nothere.png)
            """),
        "content/beta/en.md": entry("B", "Text."),
        "content/drafty/en.md": entry("D", "Text.", draft="true"),
        "content/drafty/p.png": b"\x89PNG",
    })
    result = run(root, "build", "--no-search")
    assert result.returncode == 1, result.stderr  # the footnote's link outside is an error
    told = {line.split(": ", 1)[1] for line in result.stderr.splitlines() if "a/en.md:" in line}
    assert told == {
        "warning: link `../drafty/` leads to `drafty`, a draft this build leaves out",
        "warning: link `../drafty/p.png` leads to `drafty`, a draft this build leaves out",
        "warning: link `../Beta/` leads nowhere: entry folders are lowercase, `beta`",
        "warning: link `../nope/doc.pdf` leads nowhere: there is no entry `nope`",
        "warning: link `../search/` leads nowhere: there is no entry `search`",
        "warning: link `../gone/` leads nowhere: there is no entry `gone`",
        "error: link `../../../etc/passwd` points outside the content folder",
        "warning: image `nothere.png` not found in a/",
    }, result.stderr
    # With the drafts published, their links lead somewhere.
    (root / "content/a/en.md").write_text(entry("A", "[draft](../drafty/)"), encoding="utf-8")
    assert "drafty" in run(root, "build", "--no-search").stderr
    assert "drafty" not in run(root, "build", "--no-search", "--drafts").stderr


def test_settings_and_environment_that_once_raised_are_located_errors(project, run):
    root = project({"content/p/en.md": entry("P", "Text.")})
    (root / "site.yaml").write_text("code_style: {light: [monokai], dark: monokai}\n")
    for command in (["build", "--no-search"], ["check"]):
        result = run(root, *command)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "site.yaml:1: error: `code_style` must be {light: STYLE, dark: STYLE}" in \
            result.stderr
    # `check --format json` still prints its report when the settings are wrong.
    result = run(root, "check", "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["errors"] == 1 and report["entries"] == []
    (root / "site.yaml").unlink()
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1778112000000"}  # milliseconds, by mistake
    for value in ("1778112000000", "abc", "-5"):
        result = run(root, "build", "--no-search", env={**env, "SOURCE_DATE_EPOCH": value})
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert f"error: SOURCE_DATE_EPOCH={value!r} is not a time in whole seconds" in \
            result.stderr
    result = run(root, "build", "--no-search", env={**env, "SOURCE_DATE_EPOCH": "1778112000"})
    assert result.returncode == 0, result.stderr


def test_controls_are_in_the_first_site_language_the_strings_table_has(project, run):
    root = project({"site.yaml": "languages: [de, en]\n",
                    "content/p/de.md": entry("Hallo", "Text auf Deutsch.", original="true"),
                    "content/p/en.md": entry("Hello", "Text in English.")})
    assert run(root, "build", "--no-search").returncode == 0
    page = (root / "site/p/index.html").read_text(encoding="utf-8")
    assert '<html lang="de" data-ui="en">' in page  # German text, English controls, said so
    assert 'lang="en" data-chrome data-i18n="skip"' in page
    assert '<html lang="en"' in (root / "site/index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (root / "site/assets/i18n").iterdir()) == ["en.js"]


def test_an_asset_that_runs_script_when_opened_is_warned_about(project, run):
    root = project({"content/p/en.md": entry("P", "[a](a.svg) [b](b.html) ![c](c.svg)"),
                    "content/p/a.svg": '<svg xmlns="http://www.w3.org/2000/svg">'
                                       '<script>alert(1)</script></svg>',
                    "content/p/b.html": '<p ONCLICK = "x()">hi</p>',
                    "content/p/c.svg": '<svg xmlns="http://www.w3.org/2000/svg"><circle r="3"/>'
                                       '</svg>'})
    result = run(root, "build", "--no-search")
    told = sorted(line.split(": warning: ")[0] for line in result.stderr.splitlines()
                  if "holds script" in line)
    assert result.returncode == 0 and told == ["content/p/a.svg", "content/p/b.html"], \
        result.stderr
    assert (root / "site/p/a.svg").exists()  # still the writer's file to publish


def test_a_pair_naming_one_language_twice_in_two_cases_is_an_error(project, run):
    root = project({"content/p/en.md": entry("P", "Text.", pair="[en, EN]"),
                    "content/p/zh.md": entry("甲", "正文。")})
    result = run(root, "build", "--no-search")
    assert result.returncode == 1
    assert "`pair` must name two different languages" in result.stderr, result.stderr


def test_drafts_left_out_may_link_to_each_other_without_a_warning(project, run):
    root = project({"content/d1/en.md": entry("D1", "See [d2](../d2/).", draft="true"),
                    "content/d2/en.md": entry("D2", "See [d1](../d1/).", draft="true"),
                    "content/p/en.md": entry("P", "See [d1](../d1/).")})
    result = run(root, "build", "--no-search")
    told = [line for line in result.stderr.splitlines() if ": warning: " in line
            or ": error: " in line]
    assert len(told) == 1 and "p/en.md:" in told[0] and "a draft this build leaves out" in \
        told[0], result.stderr
    (root / "content/p/en.md").write_text(entry("P", '<a href="..\\..\\x">out</a>'))
    result = run(root, "build", "--no-search")
    assert result.returncode == 1 and "link `..\\..\\x` points outside the content folder" \
        in result.stderr, result.stderr  # a browser reads `\` as `/`


def test_a_language_only_a_draft_has_gets_no_feed_strings_or_option(project, run):
    root = project({
        "content/p/en.md": entry("P", "Text.", original="true"),
        "content/d/en.md": entry("D", "Text.", draft="true", original="true"),
        "content/d/fr.md": entry("D", "Texte."),
    })
    assert run(root, "build", "--no-search").returncode == 0
    site = root / "site"
    assert not (site / "feeds/fr.xml").exists() and not (site / "assets/i18n/fr.js").exists()
    assert 'value="fr"' not in (site / "index.html").read_text()
    assert run(root, "build", "--no-search", "--drafts").returncode == 0
    assert (site / "feeds/fr.xml").exists()


def test_links_to_the_sites_own_pages_and_to_published_subfolder_files_are_not_warned(
        project, run):
    root = project({
        "content/post/en.md": entry("Post", "[t](../tags/ai/) [h](../index.html) [all](../tags/) "
                                    "[f](../feed.xml) [css](../assets/site.css) "
                                    "[o](../other/index.html) [q](../other/?lang=en#s1) "
                                    "[m](mailto:a@b.c)", tags="[ai]"),
        "content/other/en.md": entry("Other", "Text. [n](notes/readme.md)"),
        "content/other/notes/readme.md": "# Notes\n",  # published as a file (and warned)
    })
    result = run(root, "build", "--no-search")
    assert result.returncode == 0, result.stderr
    assert "link" not in result.stderr and (root / "site/other/notes/readme.md").is_file()


def test_an_empty_element_with_an_id_stays_a_link_target(project, run):
    root = project({"content/p/en.md": entry("P", '<a id="top"></a>\n\nText [up](#top).\n\n'
                                             '<div id="end"></div>')})
    result = run(root, "build", "--no-search")
    assert result.returncode == 0 and "shows nothing" not in result.stderr, result.stderr
    html = (root / "site/p/index.html").read_text()
    assert 'id="top"' in html and 'id="end"' in html


def test_link_warnings_come_back_when_the_cache_index_is_lost(project, run):
    root = project({"content/p/en.md": entry("P", "![gone](missing.png) [f](nothing.pdf)"),
                    "content/q/en.md": entry("Q", "Text.")})
    assert "missing.png" in run(root, "build", "--no-search").stderr
    (root / ".cache/index.bin").unlink()
    result = run(root, "build", "--no-search", "--strict")
    assert result.returncode == 1 and "missing.png" in result.stderr \
        and "nothing.pdf" in result.stderr, result.stderr
    assert "missing.png" in run(root, "build", "--no-search").stderr  # and on the next build


def test_a_related_draft_is_told_even_when_another_entry_fails(project, run):
    root = project({
        "content/a/en.md": entry("A", "Text.", related="[b]"),
        "content/b/en.md": entry("B", "Text.", draft="true"),
        "content/c/en.md": "---\nauthor: Nobody\n---\n\nNo title.\n",
    })
    result = run(root, "check")
    assert "related entry `b` does not exist or is not published" in result.stderr


def test_a_cache_folder_and_no_cache_together_are_a_usage_error(project, run, tmp_path):
    root = project({"content/p/en.md": entry("P", "Text.")})
    result = run(root, "build", "--no-cache", "--cache-dir", str(tmp_path / "c"))
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


def test_a_default_pair_no_entry_can_show_is_told(project, run):
    root = project({"site.yaml": "default_pair: [en, fr]\n",
                    "content/p/en.md": entry("P", "Text.", original="true"),
                    "content/p/zh.md": entry("P", "文。")})
    result = run(root, "build", "--no-search")
    assert result.returncode == 0
    assert "site.yaml: warning: `default_pair` names `fr`, which no published entry has" \
        in result.stderr
