"""Robustness: random sites, front matter and Markdown never crash the build, and hostile input
(pathological Markdown, YAML bombs, a 5 MB article) finishes in bounded time.

The random builds run in-process without search index or cache (`--no-search --no-cache`), so
the only folder a build may write is the output folder.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_injection import Audit
from test_invalid import new_project, tree

from bitext import frontmatter
from bitext.cli import main
from bitext.errors import Diagnostics
from bitext.markup import make_markdown, to_document
from bitext.sanitize import sanitize_html

LOCATED = re.compile(r"^\S[^\n]*?(:\d+(:\d+)?)?: (error|warning): \S")
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- strategies ---------------------------------------------------------------------------------

KEYS = [*frontmatter.KNOWN_FIELDS, "tittle", "<<", "x y", "", "- list", "? a"]
VALUES = ["Plain text", '"Quoted: text"', "'single'", "1.10", "yes", "no", "~", "", "[a, b]",
          "[en, zh]", "{a: 1}", "2026-05-07", "2026-02-30", "2026-5-7 10:00", "true", "false",
          "https://example.com/x", "javascript:alert(1)", "&anchor [x]", "*anchor", "*missing",
          '"unterminated', "[unclosed", "!!binary aGk=", "!custom tag", "|\n  block text",
          "\t- tab", "side-by-side", "en/zh", "- item", "%", "@reserved", "`tick`", "a: b: c"]
MARKDOWN = ["# Heading", "## Heading", "Paragraph text.", "- item\n- item", "1. one\n2. two",
            "> quote\n>> deeper", "```python\nprint(1)\n```", "    code",
            "| a | b |\n|:-|-:|\n| 1 | 2 |",
            "[link](other.md)", "![img](missing.png)", "[out](../../../etc/passwd)", "[abs](/x)",
            "Note[^1].\n\n[^1]: The note.", "<div>raw <b>html</b></div>", "<script>x</script>",
            "<!-- seg -->", "<!-- seg: name -->", "***", "~~strike~~", "[[[[[[[[", "*a **b* c**",
            "<img src=x onerror=alert(1)>", "[ref]\n\n[ref]: javascript:x", "\\",
            "&amp; &#0; &#x110000;",
            "\x00", "\u202e", "\ufeff", "\r", "---", "..."]
SLUG_CHARS = "abcz09-_. AÉéçñ日本\u0301"
FILE_NAMES = ["en.md", "zh.md", "zh-Hant.md", "ja.md", "EN.md", "english.md", "en_US.md",
              "de.markdown", "x.md", "notes.txt", "image.png", ".hidden.md", "en.md~"]


@st.composite
def front_matter(draw) -> str:
    lines = [f"{draw(st.sampled_from(KEYS))}: {draw(st.sampled_from(VALUES))}"
             for _ in range(draw(st.integers(0, 6)))]
    if draw(st.booleans()):
        lines.insert(0, f"title: {draw(st.sampled_from(['Title', '1.10', 'yes', '']))}")
    lines += draw(st.lists(st.text(max_size=20), max_size=2))
    opening = draw(st.sampled_from(["---", "---", "---", "", "--- ", "+++"]))
    closing = draw(st.sampled_from(["---", "---", "...", "", "--"]))
    return "\n".join([opening, *lines, closing])


@st.composite
def markdown(draw) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(MARKDOWN), st.text(max_size=40)),
                          max_size=8))
    return "\n\n".join(parts)


@st.composite
def encoded(draw, text: str, clean: bool = False) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    styles = ["plain", "plain", "bom", "crlf", "cr"] + ([] if clean else ["latin1", "truncated"])
    style = draw(st.sampled_from(styles))
    if style == "bom":
        return b"\xef\xbb\xbf" + data
    if style == "crlf":
        return data.replace(b"\n", b"\r\n")
    if style == "cr":
        return data.replace(b"\n", b"\r")
    if style == "latin1":
        return data + "é".encode("latin-1")
    if style == "truncated":
        return "日本".encode()[:-1] + data
    return data


VALID_FIELDS = ["date: 2026-05-07", "author: Jane", "tags: [ai, 人工智能]", "draft: false",
                "summary: 'A: summary'", "mode: interleaved", "source: https://example.com",
                "translator: [A, B]", "edition: '1.10'"]
VALID_MARKDOWN = [m for m in MARKDOWN if "../" not in m and "(/x)" not in m and m != "\x00"]
# What a text file may hold: control characters other than tab and newline are errors.
TEXT_CHARS = st.one_of(st.characters(blacklist_categories=["Cs", "Cc"],
                                     blacklist_characters="\ufffe\uffff"),
                       st.sampled_from("\t\n"))


@st.composite
def valid_entry(draw) -> str:
    fields = draw(st.lists(st.sampled_from(VALID_FIELDS), max_size=4, unique=True))
    title = draw(st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1,
                         max_size=20).filter(str.strip))
    body = "\n\n".join(draw(st.lists(st.one_of(st.sampled_from(VALID_MARKDOWN),
                                                st.text(TEXT_CHARS, max_size=40)), max_size=6)))
    quoted = title.replace("'", "''")
    return "\n".join(["---", f"title: '{quoted}'", *fields, "---", "", body, ""])


@st.composite
def sites(draw) -> tuple[dict[str, bytes], bool]:
    """Half clean sites (which must build), half anything at all; (files, clean)."""
    files: dict[str, bytes] = {}
    valid = draw(st.booleans())
    slugs = draw(st.lists(st.sampled_from(["post", "a-b", "z9", "long-" + "x" * 60]) if valid
                          else st.one_of(st.sampled_from(["post", "a-b", "tags", "Post"]),
                                         st.text(SLUG_CHARS, min_size=1, max_size=10)),
                          min_size=1, max_size=3, unique=True))
    for slug in slugs:
        if slug.strip() in (".", "..") or slug != slug.strip() or slug.endswith("."):
            continue
        names = draw(st.lists(st.sampled_from(["en.md", "zh.md", "zh-Hant.md", "ja.md"] if valid
                                              else FILE_NAMES), min_size=1, max_size=3,
                              unique=True))
        for name in names:
            text = draw(valid_entry()) if valid else f"{draw(front_matter())}\n{draw(markdown())}\n"
            files[f"content/{slug}/{name}"] = draw(encoded(text, clean=valid))
    if not valid and draw(st.booleans()):
        files["site.yaml"] = draw(front_matter()).strip("-\n").encode()
    return files, valid


# -- properties ---------------------------------------------------------------------------------

def build_in_process(root: Path, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    old = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(["build", "--no-search", "--no-cache", *args], root=root)
    finally:
        os.chdir(old)
    return status, err.getvalue()


@FAST
@given(sites(), st.booleans())
def test_random_sites_build_or_fail_with_located_errors_and_write_only_the_output(site,
                                                                                   strict):
    files, clean = site
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        try:
            new_project(root, files)
        except (OSError, UnicodeEncodeError):  # a name this file system cannot hold
            return
        before = tree(root)
        status, err = build_in_process(root, *(["--strict"] if strict else []))
        assert "Traceback" not in err
        assert status in (0, 1), err
        assert status == 0 or not clean or strict, err
        problems = [line for line in err.splitlines() if ": error: " in line
                    or ": warning: " in line]
        assert all(LOCATED.match(line) for line in problems), err
        if status == 1:
            assert any(": error: " in line for line in problems), err
            assert not (root / "site").exists()
        else:
            assert (root / "site/index.html").is_file()
        after = {path: data for path, data in tree(root).items() if not path.startswith("site/")}
        assert after == before
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["project"]
        assert sorted(p.name for p in root.iterdir() if p.name not in before_top(before)) in (
            [], ["site"])


def before_top(before: dict[str, bytes]) -> set[str]:
    return {path.split("/")[0] for path in before} | {"content"}


@FAST
@given(st.text(max_size=300), st.integers(1, 5))
def test_front_matter_never_raises_and_every_line_is_in_the_file(text, first_line):
    diags = Diagnostics()
    path = Path("en.md")
    split = frontmatter.split(text, path, diags)
    if split is not None:
        fields = frontmatter.load(split, path, diags)
        if fields is not None:
            frontmatter.check(fields, path, diags)
    lines = text.count("\n") + 1
    for diag in diags.items:
        assert diag.location.line is None or 1 <= diag.location.line <= lines, diag


@FAST
@given(st.lists(st.sampled_from(VALUES + ["key: value", "title: x", "  indented", "- a"]),
                max_size=12))
def test_yaml_like_front_matter_is_checked_without_raising(lines):
    text = "---\n" + "\n".join(f"k{i}: {line}" if i % 2 else line
                               for i, line in enumerate(lines)) + "\n---\n"
    diags = Diagnostics()
    split = frontmatter.split(text, Path("en.md"), diags)
    fields = frontmatter.load(split, Path("en.md"), diags) if split else None
    if fields is not None:
        frontmatter.check(fields, Path("en.md"), diags)
    for diag in diags.items:
        assert diag.location.line is None or 1 <= diag.location.line <= text.count("\n") + 1


@FAST
@given(markdown(), st.integers(1, 50))
def test_markdown_blocks_never_raise_and_stay_within_the_body(body, body_line):
    body = body.replace("\r\n", "\n").replace("\r", "\n")  # as content.decode gives it
    doc = to_document(make_markdown("en"), body, body_line, "en")
    last = body_line + body.count("\n") + 1
    for block in doc.blocks:
        assert body_line <= block.line <= block.end_line <= last
        for link in block.links:
            assert body_line <= link.line <= last


@FAST
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' abcdefghijklmnoprstvxyz:&#;(){}")),
               max_size=200))
def test_sanitizer_output_is_inert_for_any_input(html):
    audit = Audit()
    audit.feed(sanitize_html(html))
    assert audit.problems == [] and audit.inline_scripts == []


# -- bounded time -------------------------------------------------------------------------------

N = 20_000
PATHOLOGICAL = {
    "open brackets": "[" * N,
    "nested brackets": "[" * N + "a" + "]" * N,
    "link openers": "[a](" * N,
    "image openers": "![" * N,
    "nested quotes": ">" * N + " deep",
    "quote ladder": "\n".join(">" * i + " x" for i in range(1, 2000)),
    "deep list": "\n".join("  " * i + "- item" for i in range(3000)),
    "list markers": "- " * N + "x",
    "emphasis": "*a" * N,
    "emphasis runs": "*" * N + "a" + "*" * N,
    "underscores": "_a" * N,
    "backticks": "`" * N + "a",
    "references": "[a]" * N + "\n\n[a]: /x",
    "raw html nesting": "<div>" * N + "deep",
    "raw html left open": "<div>\n\ntext\n\n" * N,
    "inline html": "a <b>" * N,
    "entities": "&amp;" * N,
    "angle brackets": "<" * N,
    "table rows": "|a|b|\n|-|-|\n" + "|x|y|\n" * N,
    "footnotes": "".join(f"x[^{i}]\n\n[^{i}]: y\n\n" for i in range(3000)),
}


@pytest.mark.parametrize("body", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_markdown_finishes_in_bounded_time(body):
    md = make_markdown("en")
    assert md.options["maxNesting"] <= 100  # markdown-it's guard against deep recursion
    started = time.perf_counter()
    doc = to_document(md, body, 5, "en")
    assert time.perf_counter() - started < 15
    assert doc.blocks


def test_yaml_alias_bomb_is_refused_quickly():
    levels = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    text = "---\ntitle: Bomb\n" + "\n".join(levels) + "\n---\n"
    diags = Diagnostics()
    started = time.perf_counter()
    split = frontmatter.split(text, Path("en.md"), diags)
    assert frontmatter.load(split, Path("en.md"), diags) is None
    assert time.perf_counter() - started < 2
    assert "front matter too large" in diags.items[0].message


def test_deeply_nested_yaml_is_refused_not_a_recursion_error():
    text = "---\ntitle: Deep\ntags: " + "[" * 5000 + "]" * 5000 + "\n---\n"
    diags = Diagnostics()
    split = frontmatter.split(text, Path("en.md"), diags)
    assert frontmatter.load(split, Path("en.md"), diags) is None
    assert diags.items[0].location.line == 3


def test_a_five_megabyte_article_builds(tmp_path):
    paragraph = ("Word " * 60).strip() + " [link](https://example.com) *emphasis* `code`."
    body = "\n\n".join(f"## Section {i}\n\n{paragraph}\n\n{paragraph}" for i in range(8000))
    assert len(body.encode()) > 5_000_000
    root = new_project(tmp_path / "project", {
        "content/big/en.md": f"---\ntitle: Big\noriginal: true\n---\n\n{body}\n",
        "content/big/zh.md": f"---\ntitle: 大\n---\n\n{body}\n"})
    started = time.perf_counter()
    status, err = build_in_process(root)
    assert status == 0, err
    assert time.perf_counter() - started < 300
    assert (root / "site/big/index.html").stat().st_size > 10_000_000
