"""Injection: hostile Markdown, raw HTML and front matter go through the whole pipeline, and the
output, parsed as HTML, holds no script from content, no event handler, no script URL, no style.
"""
from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_invalid import new_project

from bitext.cli import main
from bitext.markup import make_markdown, to_document
from bitext.sanitize import sanitize_html

PAYLOADS = [
    "<script>alert('raw')</script>",
    "<img src=x onerror=alert(1)> <a href=javascript:alert(1)>unquoted</a>",
    "<img src=x onerror=\"alert(img)\">",
    "<svg onload=\"alert(svg)\"><circle/></svg>",
    "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "<a href=\"javascript:alert('a')\">a</a>",
    "<a href=\"jav&#x61;script:alert('entity')\">entity</a>",
    "<a href=\"java&#9;script:alert('tab')\">tab</a>",
    "<a href=\" JaVaScRiPt:alert('case')\">case</a>",
    "<a href=\"vbscript:msgbox('vb')\">vb</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "<a href=\"da&#x09;ta:text/html,<script>alert('data-tab')</script>\">data tab</a>",
    "<a href=\"&#x01; data:text/html,<script>alert('data-ctl')</script>\">data control</a>",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<form action=\"javascript:alert('form')\">"
    "<button formaction=\"javascript:x\">b</button></form>",
    "<object data=\"javascript:alert('object')\"></object><embed src=\"javascript:x\">",
    "<base href=\"javascript:alert('base')//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('meta')\">",
    "<style>body{background:url(javascript:alert('style'))}</style>",
    "<p style=\"background:url(javascript:alert('attr'))\" onclick=\"alert('click')\">p</p>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"alert(mxss)\">",
    "<noscript><p title=\"</noscript><img src=x onerror=\"alert(noscript)\">\">",
    "<div id=\"s1\">claims a segment id</div>",
    "<details open ontoggle=\"alert(toggle)\"><summary>s</summary></details>",
    "<!-- comment --><scr<script>ipt>alert('split')</script>",
]
MARKDOWN = [
    "[md link](javascript:alert('md'))",
    "[entity link](jav&#x61;script:alert('md-entity'))",
    "[colon entity](javascript&colon;alert('colon'))",
    "[vb](vbscript:msgbox('md'))",
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![data svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![img](javascript:alert('img-md'))",
    "[reference][evil] and ![ref image][evil]\n\n[evil]: javascript:alert('ref')",
    "<javascript:alert('autolink')> <vbscript:x> <data:text/html,x>",
    "[angle](<javascript:alert('angle')>)",
    "`<script>alert('code')</script>`",
    "```html\n<script>alert('fence')</script>\n```",
    "Footnote[^x].\n\n[^x]: <img src=x onerror=\"alert(footnote)\"> [f](javascript:alert('fn'))",
    "Inline note^[<b onmouseover=\"alert(inline-note)\">n</b>].",
    "| <img src=x onerror=\"alert(cell)\"> | b |\n|:--|--:|\n| [c](javascript:x) | d |",
    "# Heading <img src=x onerror=\"alert(heading)\">",
]
HOSTILE = "<script>alert('meta')</script>\"'><img src=x onerror=alert(1)>"
HARMLESS = ("<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby> x<sup>2</sup> "
            "<abbr title=\"HyperText\">HTML</abbr> <kbd>Ctrl</kbd> "
            "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\">")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href",
                  "background", "cite", "longdesc", "usemap", "ping", "manifest"}
BAD_SCHEME = re.compile(r"^\s*(javascript|vbscript|data|file):", re.IGNORECASE)
GOOD_DATA = re.compile(r"^data:image/(png|jpe?g|gif|webp|avif);", re.IGNORECASE)


def hostile_site() -> dict[str, str]:
    body = "\n\n".join(["Before the payloads.", *PAYLOADS, *MARKDOWN, HARMLESS, "The end."])
    quoted = HOSTILE.replace("'", "''")
    meta = (f"title: '{quoted}'\nsummary: '{quoted}'\nauthor: '{quoted}'\n"
            f"translator: '{quoted}'\npublisher: '{quoted}'\nedition: '{quoted}'\n"
            f"tags: ['{quoted}', '\" onmouseover=\"alert(1)']\n")
    return {
        "content/evil/en.md": f"---\n{meta}date: 2026-01-01\noriginal: true\n---\n\n{body}\n",
        "content/evil/zh.md": f"---\ntitle: '{quoted}'\n---\n\n{body}\n",
        "site.yaml": f"title: '{quoted}'\ndescription: '{quoted}'\nauthor: '{quoted}'\n",
    }


class Audit(HTMLParser):
    """Everything in a page that could run script, or that the CSP would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.inline_scripts: list[str] = []
        self.ids: list[str] = []
        self.csp: str | None = None
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        for name, value in a.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name == "style":
                self.problems.append(f"<{tag} style=…> (blocked by the CSP)")
            # As a browser reads a URL: tabs and line breaks dropped, leading controls too.
            url = re.sub(r"[\t\n\r]", "", value).lstrip("".join(map(chr, range(33))))
            if name in URL_ATTRIBUTES and BAD_SCHEME.match(url) and not (
                    tag == "img" and name == "src" and GOOD_DATA.match(url)):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>")
        if tag in ("iframe", "object", "embed", "base", "style", "frame", "applet"):
            self.problems.append(f"<{tag}>")
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta refresh>")
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = a.get("content")
        if tag == "script":
            if a.get("type") == "application/ld+json":
                self._script = None
            elif "src" in a:
                if not a["src"].startswith("/assets/"):
                    self.problems.append(f"<script src={a['src']!r}>")
            else:
                self._script = []
        if "id" in a:
            self.ids.append(a["id"])

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.inline_scripts.append("".join(self._script))
            self._script = None


def audit(path: Path) -> Audit:
    parser = Audit()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> Path:
    root = new_project(tmp_path_factory.mktemp("evil"), hostile_site())
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        assert main(["build", "--quiet"], root=root) == 0
    return root / "site"


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_no_script_handler_or_script_url_from_content_reaches_any_page(hostile_build):
    assert len(pages(hostile_build)) >= 3
    for page in pages(hostile_build):
        assert audit(page).problems == [], page


def test_the_only_inline_script_is_the_one_the_csp_hashes(hostile_build):
    for page in pages(hostile_build):
        found = audit(page)
        assert found.csp and "'unsafe-inline'" not in found.csp, page
        assert re.search(r"script-src 'self'[^;]*'sha256-", found.csp)
        assert "style-src 'self'" in found.csp and "object-src 'none'" in found.csp
        for script in found.inline_scripts:
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in found.csp, page
            assert "alert" not in script


def test_front_matter_text_is_escaped_in_text_and_attributes(hostile_build):
    html = (hostile_build / "evil/index.html").read_text(encoding="utf-8")
    assert "<script>alert('meta')" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html
    assert '" onmouseover="' not in html


def test_harmless_markup_survives_sanitising(hostile_build):
    html = (hostile_build / "evil/index.html").read_text(encoding="utf-8")
    for markup in ("<ruby>漢<rp>(</rp><rt>kan</rt>", "<sup>2</sup>",
                   '<abbr title="HyperText">HTML</abbr>', "<kbd>Ctrl</kbd>",
                   'src="data:image/png;base64,iVBORw0KGgo="'):
        assert markup in html


def test_ids_are_unique_and_content_cannot_claim_the_pages_own(hostile_build):
    for page in pages(hostile_build):
        ids = audit(page).ids
        assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    html = (hostile_build / "evil/index.html").read_text(encoding="utf-8")
    assert html.count('id="s1"') == 1  # the segment's, not the one written in content


def test_heading_and_footnote_ids_carry_the_language():
    for lang in ("en", "zh-Hant"):
        md = make_markdown(lang)
        doc = to_document(md, "# Intro\n\n# Intro\n\nA note[^1].\n\n[^1]: The note.", 1, lang)
        html = "".join(b.html for b in doc.blocks) + doc.footnotes_html
        ids = re.findall(r'id="([^"]+)"', html)
        prefix = lang.lower() + "-"
        assert ids and all(i.startswith(prefix) or i.startswith(("fn-" + prefix, "fnref-" + prefix))
                           for i in ids), ids
        assert len(ids) == len(set(ids))


def test_table_alignment_is_classes_not_styles():
    doc = to_document(make_markdown("en"), "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |", 1, "en")
    html = doc.blocks[0].html
    assert "style=" not in html
    assert '<th class="align-left">' in html and '<td class="align-center">' in html
    assert '<td class="align-right">' in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitizer_drops_each_payloads_active_parts(payload):
    parser = Audit()
    parser.feed(sanitize_html(payload))
    assert parser.problems == [] and parser.inline_scripts == []


# ---- raw HTML as blocks -----------------------------------------------------------------------

def blocks(body: str, lang: str = "en"):
    return to_document(make_markdown(lang), body, 1, lang).blocks


def test_a_wrapper_opened_in_one_block_and_closed_later_is_one_block():
    found = blocks("Before.\n\n<details>\n<summary>Spoiler</summary>\n\nHidden *text*.\n\n"
                   "<div>\n\nInner.\n\n</div>\n\n</details>\n\nAfter.")
    assert [b.text for b in found] == ["Before.", "Spoiler Hidden text. Inner.", "After."]
    details = found[1]
    assert (details.kind, details.line, details.end_line) == ("html", 3, 14)
    assert re.sub(r"\s+", "", details.html) == (
        "<details><summary>Spoiler</summary><p>Hidden<em>text</em>.</p>"
        "<div><p>Inner.</p></div></details>")


def test_a_wrapper_never_closed_joins_nothing():
    found = blocks("<div>\n\nOne.\n\nTwo.")
    assert [b.text for b in found] == ["One.", "Two."]  # the lone `<div>` shows nothing


def test_raw_html_the_sanitizer_empties_is_no_block_and_its_pin_moves_on():
    found = blocks("First.\n\n<!-- seg: video -->\n<iframe src=\"https://www.youtube.com/embed/x\">"
                   "</iframe>\n\n<script>alert(1)</script>\n\nSecond.\n\n<hr>")
    assert [(b.text, b.pin) for b in found] == [("First.", None), ("Second.", "video"),
                                                ("", None)]  # a raw <hr> shows: it stays


def notes(body: str) -> list[tuple[int, str]]:
    return [(n.line, n.note) for n in to_document(make_markdown("en"), body, 1, "en").notes]


def test_what_the_parse_leaves_out_is_noted_where_it_was_written():
    found = notes("First.\n\n<iframe src=\"https://www.youtube.com/embed/x\"></iframe>\n\n"
                  "<details>\n<summary>More</summary>\n\n<!-- seg: inner -->\nInside.\n\n"
                  "</details>\n\n<!-- a comment is meant to show nothing -->\n\nLast.")
    assert [line for line, _ in found] == [3, 8]
    assert found[0][1].startswith("raw HTML `<iframe>` shows nothing once made safe")
    assert "segment pin inside a raw HTML element" in found[1][1]
    assert notes("Plain.\n\n<hr>\n\n<p>Raw <b>text</b></p>\n\nA <b>bold</b> word.") == []
    # Inline raw HTML alone in a paragraph is no empty row either.
    assert notes("<video src=\"clip.mp4\"></video>\n\nText.")[0][0] == 1
    assert [b.text for b in blocks("<video src=\"clip.mp4\"></video>\n\nText.")] == ["Text."]


def test_an_unclosed_comment_or_wrapper_is_named_as_such():
    hidden = notes("First.\n\n<!-- TODO: check this\n\nSecond.\n\nThird.")
    assert hidden == [(3, "an HTML comment opened here is never closed with `-->`, so it hides "
                          "everything after it")]
    lone = notes("A.\n\n<details>\n\nInside.\n\nB.")
    assert lone[0][0] == 3 and lone[0][1].startswith("`<details>` opened here is never closed")


def test_footnotes_defined_twice_spaced_or_never_are_noted():
    found = notes("Text[^1] and [^2], `[^3]` in code.\n\n```\n[^1]: in a fence\n```\n\n"
                  "[^1]: One.\n\n[^1]: Again.\n\n[^a b]: spaced\n")
    assert sorted(found) == [
        (1, "footnote `[^2]` is never defined, so it shows as written"),
        (9, "footnote `[^1]` is defined again (first on line 7): only this definition is shown"),
        (11, "footnote label `a b` holds a space, so this is no footnote (it reads as a link "
             "definition)"),
    ]
    assert notes("One[^n].\n\n[^n]: The note.") == []


def test_footnote_look_alikes_in_raw_html_or_escaped_are_not_noted():
    assert notes("ref[^1]\n\n[^1]: one\n\n<!--\n[^1]: old version\n-->\n\n"
                 "Escaped \\[^5] reference.") == []


def test_a_build_warns_of_left_out_html_and_says_it_again_from_the_cache(tmp_path, monkeypatch,
                                                                          capsys):
    root = new_project(tmp_path, {"content/clip/en.md": "---\ntitle: Clip\n---\n\nWatch:\n\n"
                                  "<video src=\"clip.mp4\" controls></video>\n\nDone.\n"})
    monkeypatch.chdir(root)
    for _ in range(2):  # parsed, then from the cache with nothing changed
        assert main(["build", "--no-search"], root=root) == 0
        err = capsys.readouterr().err
        assert "content/clip/en.md:7: warning: raw HTML `<video>` shows nothing" in err, err
    assert main(["check"], root=root) == 0
    assert "en.md:7: warning: raw HTML `<video>`" in capsys.readouterr().err


def test_raw_html_blocks_are_aligned_by_the_text_they_show():
    assert blocks("<p>Raw <em>words</em> &amp; more</p>")[0].text == "Raw words & more"


def test_what_the_sanitizer_leaves_is_valid_html():
    html = sanitize_html('<img src="https://example.com/x.png"> <img alt="Kept" src="y.png"> '
                         '<a href="javascript:alert(1)">dead</a> <a href="https://example.com">ok</a>')
    assert '<img alt="" src="https://example.com/x.png">' in html
    assert '<img alt="Kept" src="y.png">' in html
    assert "<a>dead</a>" in html
    assert sanitize_html('<h1 class="x">Raw title</h1>') == '<h2 class="x">Raw title</h2>'
    assert '<a href="https://example.com" rel="noopener noreferrer">ok</a>' in html


def test_ids_written_in_raw_html_never_clash_with_the_ones_made_for_the_page():
    md = make_markdown("en")
    doc = to_document(md, '## Intro <em>x</em>\n\n<p id="en-intro-x">a</p>\n\n'
                      '<p id="size-label">b</p>\n\n<span id="fn-en-1">c</span> note[^1] '
                      '<b id="mine">m</b>\n\n[^1]: n <em id="fnref-en-1">y</em>', 1, "en")
    html = "".join(b.html for b in doc.blocks) + doc.footnotes_html
    ids = re.findall(r'id="([^"]+)"', html)
    assert sorted(ids) == ["en-intro-x", "fn-en-1", "fnref-en-1", "mine"]  # each once
    assert 'href="#fn-en-1" id="fnref-en-1">' in html and "rel=" not in html
