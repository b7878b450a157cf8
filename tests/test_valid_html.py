"""Every page is valid HTML by the current Nu Html Checker (npm's vnu-jar, run with Java).

The bundled site and a project written to stress the markup (raw HTML, footnotes in one
language only, tables, nested lists, right-to-left text, repeated headings, code, images,
merged and added paragraphs) are built and checked in one run of the checker. Its "info"
lines are not errors; the Content-Security-Policy ones only say that `file:` is not `'self'`.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import REPO, build_site

VNU_JAR = Path(os.environ.get("BITEXT_VNU_JAR",
                              REPO / "node_modules/vnu-jar/build/dist/vnu.jar"))

STRESS = {
    "site.yaml": """
        title: Markup stress
        languages: [en, ar, zh, ja]
    """,
    "content/markup/en.md": """
        ---
        title: Markup <b>& "quotes"</b>
        date: 2026-05-07
        author: A. Writer
        tags: [html, "c++"]
        original: true
        related: [second]
        ---

        # Same heading

        A paragraph with a footnote[^1], an <abbr title="HyperText">HTML</abbr> element,
        a <span style="color:red" onclick="x()">styled span</span>, <kbd>Ctrl</kbd>+<kbd>C</kbd>,
        a hard break\\
        and an autolink <https://example.com/a_very_long_path/that/never/breaks/anywhere/at/all>.

        # Same heading

        <details><summary>More</summary>

        Hidden *detail* with <script>alert(1)</script> and <iframe src="x"></iframe>.

        </details>

        | Left | Centre | Right |
        |:-----|:------:|------:|
        | `a|b` | **bold**[^1] | 3 |
        | only one cell |

        1. one
           - nested *a*
           - nested b
             1. deeper
        2. two

        > quoted
        > > nested quote
        >
        > ```
        > code in a quote
        > ```

        ```nosuchlanguage
        <not a tag> & so on
        ```

            indented code

        ---

        ![](pic.png) ![A picture](pic.png "With a title") [ref link][r] [bad](javascript:alert(1))
        <img src="https://example.com/raw.png"> <a href="javascript:alert(1)">raw bad link</a>

        <iframe src="https://www.youtube.com/embed/x"></iframe>

        <div id="s1" class="x"><p>Raw block claiming a reserved id</p></div>

        <p id="en-same-heading">Raw ids like a heading's, <span id="fn-en-1">a footnote's</span>
        and <span id="size-label">a control's</span>.</p>

        <p>Unclosed <em>raw paragraph

        [r]: https://example.com "Reference"
        [^1]: The note, with a [link](https://example.com).
    """,
    "content/markup/ar.md": """
        ---
        title: ترميز وتجربة
        translator: مترجم
        ---

        # العنوان نفسه

        فقرة مع حاشية[^1] ونص لاتيني مضمن English inside Arabic.

        # العنوان نفسه

        فقرة مضافة من المترجم لا يقابلها شيء في الأصل.

        | يسار | وسط | يمين |
        |:-----|:---:|-----:|
        | أ | ب | ج |

        1. واحد
        2. اثنان

        [^1]: الحاشية.
    """,
    "content/markup/zh.md": """
        ---
        title: 标记压力测试
        ---

        # 🎉

        一个段落。

        # 一样的标题

        两段合成一段：细节、表格与列表都在这里。

        > 引用
    """,
    "content/second/en.md": """
        ---
        title: Second
        date: 2026-05-08
        ---

        Only English, with a footnote defined twice[^a] and a missing one[^b].

        [^a]: First.
        [^a]: Second.
    """,
    "content/second/ja.md": """
        ---
        title: 二番目
        ---

        日本語だけの段落、ルビ<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>つき。
    """,
}


def _require_checker() -> None:
    missing = [what for what, ok in (("java", shutil.which("java")),
                                     (str(VNU_JAR), VNU_JAR.exists())) if not ok]
    if not missing:
        return
    message = (f"{' and '.join(missing)} missing, so the HTML was NOT validated "
               "(`make browser-deps` installs vnu-jar; Java comes with the machine)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(f"!!! {message} !!!")


def _nu_errors(root: Path, *folders: Path) -> list[str]:
    """The checker's errors and warnings as `folder/page.html:line: message`."""
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--skip-non-html",
         *map(str, folders)], capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    prefix = root.as_uri().removeprefix("file://")
    return [f"{m.get('url', '?').split(prefix, 1)[-1]}:{m.get('lastLine', '?')}: {m['message']}"
            for m in messages if m["type"] != "info"]


def test_every_page_passes_the_nu_checker(tmp_path):
    _require_checker()
    bundled = tmp_path / "bundled"
    subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--no-search", "-q",
                    "--no-cache", "--out", str(bundled)], cwd=REPO, check=True,
                   capture_output=True, timeout=300)
    stress = build_site(tmp_path / "stress", STRESS)
    pages = list(bundled.rglob("*.html")) + list(stress.rglob("*.html"))
    assert len(pages) > 12  # the checker saw the articles, lists, tag pages and 404s
    assert _nu_errors(tmp_path, bundled, stress) == []
