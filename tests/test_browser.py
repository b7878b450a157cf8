"""The reading page in a real Chromium: modes, pair, swap, memory, URL, deep links, no script,
phones, hover, keyboard, interface language, theme, marks, print and accessibility.

Every test measures what the reader would see (boxes, computed styles, visibility) on a small
three-language site built once for the module and served on 127.0.0.1.
"""
from __future__ import annotations

import json
import os

import pytest
from browser import (
    AXE_JS,
    BACKDROP_JS,
    CELLS_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LAYOUT_SHIFT_JS,
    SHOWN_LANGS_JS,
    build_site,
    luminance,
    require_chromium,
    serve,
)
from conftest import entry

pytestmark = pytest.mark.browser

LANGS = ["en", "zh", "ja"]
SITE = {
    "site.yaml": """
        title: {en: Parallel Notes, zh: 平行笔记, ja: 対訳ノート}
        languages: [en, zh, ja]
        default_mode: side-by-side
        """,
    "content/essay/en.md": entry("On Reading Slowly", """
        # Beginnings

        Reading slowly is a discipline. It asks us to stay with a sentence until it opens, and
        to resist the pull of the next headline, the next notification, the next thing.[^1]

        A long URL: https://example.com/a/very/long/path/that/keeps/going/and/going/without/any/spaces/at/all/index.html

        | Language | Speakers | Script |
        |----------|----------|--------|
        | English  | 1.5 billion | Latin |

        ```python
        def read(text, speed="slow"):  # a line long enough to overflow a phone's screen width
            return [paragraph for paragraph in text.split("\\n\\n") if paragraph.strip()]
        ```

        The second paragraph is short.

        The third paragraph is here so that the page is long enough to scroll.

        This paragraph was never translated into Japanese.

        [^1]: Notifications are the enemy of slow reading.
        """, date="2026-05-07", author="Jane Doe", original="true", tags="[reading]",
        source="https://example.com/original", related="[second, from-chinese]"),
    "content/essay/zh.md": entry("论慢读", """
        # 开端

        慢读是一种修炼。它要求我们停留在一个句子上，直到它向我们敞开，并抵抗下一个标题、下一条通知的诱惑。[^1]

        一个长网址：https://example.com/a/very/long/path/that/keeps/going/and/going/without/any/spaces/at/all/index.html

        | 语言 | 使用人数 | 文字 |
        |------|----------|------|
        | 英语 | 15 亿 | 拉丁字母 |

        ```python
        def read(text, speed="slow"):  # 一行长到足以超出手机屏幕宽度的代码，一行长到足以超出
            return [paragraph for paragraph in text.split("\\n\\n") if paragraph.strip()]
        ```

        第二段很短。

        第三段在这里，让页面长到可以滚动。

        这一段从未被译成日语。

        [^1]: 通知是慢读的敌人。
        """, translator="李四"),
    "content/essay/ja.md": entry("ゆっくり読むことについて", """
        # はじまり

        ゆっくり読むことは修練である。文が開くまでそこにとどまり、次の見出し、次の通知に引かれる力に抗うことを求める。

        長いURL：https://example.com/a/very/long/path/that/keeps/going/and/going/without/any/spaces/at/all/index.html

        | 言語 | 話者数 | 文字 |
        |------|--------|------|
        | 英語 | 15億 | ラテン文字 |

        ```python
        def read(text, speed="slow"):
            return [paragraph for paragraph in text.split("\\n\\n") if paragraph.strip()]
        ```

        二番目の段落は短い。

        三番目の段落はページを長くするためにある。
        """, translator="山田花子"),
    "content/second/en.md": entry("A Second Essay", """
        One paragraph in English.

        Another paragraph in English.
        """, date="2026-04-01", original="true"),
    "content/second/zh.md": entry("第二篇文章", "一段中文。\n\n另一段中文。"),
    "content/second/ja.md": entry("二つ目のエッセイ", "日本語の段落。\n\nもう一つの段落。"),
    "content/from-chinese/zh.md": entry("只有两种语言", "中文原文第一段。\n\n中文原文第二段。",
                                        date="2026-03-01", original="true", mode="interleaved",
                                        pair="[zh, en]"),
    "content/from-chinese/en.md": entry("Only two languages", "First paragraph.\n\nSecond."),
}
MODES = {"side-by-side": "#m-side", "interleaved": "#m-inter"}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    require_chromium()
    site = build_site(tmp_path_factory.mktemp("browser-site"), SITE)
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, base_url):
    """`open_page("/essay/", viewport=…, locale=…)`: a page in a fresh context (fresh storage)."""
    contexts, errors = [], []

    def make(path: str = "/essay/", *, width: int = 1280, height: int = 900, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(base_url + path)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, "no script errors on any page"


def cells(page, seg: str = "s2") -> list[dict]:
    return page.evaluate(CELLS_JS, seg)


def shown_langs(page) -> list[str]:
    return page.evaluate(SHOWN_LANGS_JS)


def background(page) -> float:
    """Luminance of the page's background: near 1 in light mode, near 0 in dark mode."""
    return luminance(page.eval_on_selector("body", "b => getComputedStyle(b).backgroundColor"))


def assert_side_by_side(page, first: str, second: str, seg: str = "s2") -> None:
    a, b = cells(page, seg)
    assert (a["lang"], b["lang"]) == (first, second)
    assert abs(a["y"] - b["y"]) < 1, "a paragraph and its translation start at the same height"
    assert b["x"] > a["x"] + a["width"] - 1


def assert_interleaved(page, first: str, second: str, seg: str = "s2") -> None:
    a, b = cells(page, seg)
    assert (a["lang"], b["lang"]) == (first, second)
    assert abs(a["x"] - b["x"]) < 1 and b["y"] >= a["bottom"] - 1


# ---- modes ------------------------------------------------------------------------------------

def test_each_language_alone_shows_only_that_language(open_page):
    page = open_page()
    for col, lang in enumerate(LANGS):
        page.check(f"#m-only-{col}")
        assert shown_langs(page) == [lang]
        titles = page.locator(".titles .cell").evaluate_all(
            "cells => cells.filter(c => c.checkVisibility()).map(c => c.lang)")
        assert titles == [lang]


def test_side_by_side_rows_start_at_the_same_height(open_page):
    page = open_page()
    segments = page.eval_on_selector_all(".doc > .seg[id]", "segs => segs.map(s => s.id)")
    for seg in segments:
        assert_side_by_side(page, "en", "zh", seg)
    for upper, lower in zip(segments, segments[1:], strict=False):
        assert cells(page, lower)[0]["y"] >= max(c["bottom"] for c in cells(page, upper))


def test_interleaved_puts_each_translation_under_its_paragraph(open_page):
    page = open_page()
    page.check("#m-inter")
    for seg in ("s1", "s2", "s5"):
        assert_interleaved(page, "en", "zh", seg)


def test_swap_exchanges_the_columns_and_the_pickers_say_so(open_page):
    page = open_page()
    before = {c["lang"]: c["x"] for c in cells(page)}
    page.click("#swap")
    after = {c["lang"]: c["x"] for c in cells(page)}
    assert after["zh"] == before["en"] and after["en"] == before["zh"]
    assert page.is_checked("#a-1") and page.is_checked("#b-0")  # first: zh, second: en
    assert not page.is_checked("#swap")
    # The box unticks itself: a status line says what is shown now, each name in its language.
    said = page.eval_on_selector("#swapped", "p => [p.getAttribute('role'), p.textContent, "
                                 "[...p.children].map(s => s.lang)]")
    assert said == ["status", "中文 · English", ["zh", "en"]]
    page.check("#m-inter")
    assert_interleaved(page, "zh", "en")
    page.check("#a-2")  # first: ja, on the side that says first
    assert_interleaved(page, "ja", "en")


def test_swap_key_does_nothing_with_one_column(open_page):
    page = open_page("/essay/?mode=single&lang=zh")
    page.keyboard.press("x")
    page.keyboard.press("s")
    assert_side_by_side(page, "en", "zh")


def test_url_parameters_alone_and_in_any_case_open_what_they_name(open_page):
    page = open_page("/essay/?lang=JA")  # a search hit: ja shown, in the page's own two columns
    assert_side_by_side(page, "ja", "en")
    assert "mode=side-by-side" in page.url and "pair=ja,en" in page.url
    page = open_page("/essay/?pair=ja,zh")
    assert_side_by_side(page, "ja", "zh")
    page = open_page("/essay/?mode=single")
    assert shown_langs(page) == ["en"]
    page = open_page("/essay/?lang=zh")  # already in the pair: it comes first
    assert_side_by_side(page, "zh", "en")


def test_url_values_this_page_lacks_leave_the_stored_choice_alone(open_page, base_url):
    page = open_page("/essay/")
    page.check("#m-only-2")  # stored: Japanese alone
    for query in ("?lang=fr", "?mode=bogus", "?pair=,,", "?pair=fr,ja", "?mode=single"):
        page.goto(f"{base_url}/essay/{query}")
        assert shown_langs(page) == ["ja"], query
    page.goto(f"{base_url}/essay/?mode=side-by-side&lang=ja")
    assert_side_by_side(page, "ja", "en")


def test_reader_chooses_the_pair_among_three_languages(open_page):
    page = open_page()
    page.check("#a-1")  # first: zh (it was second: the two trade places)
    assert_side_by_side(page, "zh", "en")
    page.check("#b-2")  # second: ja
    assert_side_by_side(page, "zh", "ja")
    assert shown_langs(page) == ["zh", "ja"]
    page.check("#a-2")  # first: ja, the second already: they trade places again
    assert page.is_checked("#b-1")
    assert_side_by_side(page, "ja", "zh")


# ---- memory and URL ---------------------------------------------------------------------------

def test_choice_is_remembered_on_the_next_page(open_page, base_url):
    page = open_page()
    page.check("#m-inter")
    page.check("#a-1")
    page.check("#b-2")
    stored = json.loads(page.evaluate("localStorage.getItem('bitext')"))
    assert stored["mode"] == "interleaved" and stored["pair"] == ["zh", "ja"]
    page.goto(base_url + "/second/")
    assert page.is_checked("#m-inter") and page.is_checked("#a-1") and page.is_checked("#b-2")
    assert_interleaved(page, "zh", "ja", "s1")


def test_entry_default_preselects_and_the_stored_choice_overrides_it(open_page, base_url):
    page = open_page("/from-chinese/")
    assert page.is_checked("#m-inter")  # front matter: interleaved, pair [zh, en]
    assert_interleaved(page, "zh", "en", "s1")
    page.goto(base_url + "/essay/")
    page.check("#m-only-0")
    page.goto(base_url + "/from-chinese/")
    assert shown_langs(page) == ["en"]


def test_url_opens_the_page_in_its_mode_and_follows_changes(open_page, base_url):
    page = open_page("/essay/?mode=interleaved&pair=zh,en")
    assert_interleaved(page, "zh", "en")
    page.check("#m-side")
    assert_side_by_side(page, "zh", "en")
    assert page.url.endswith("/essay/?mode=side-by-side&pair=zh,en")
    page.check("#m-only-2")
    assert page.url.endswith("?mode=single&lang=ja")
    page.goto(base_url + "/essay/?mode=single&lang=zh")
    assert shown_langs(page) == ["zh"]


def test_no_layout_shift_when_the_stored_choice_is_restored(open_page, base_url):
    page = open_page()
    page.check("#m-inter")
    page.goto(base_url + "/second/")
    assert page.is_checked("#m-inter")
    assert page.evaluate(LAYOUT_SHIFT_JS) == 0


# ---- deep links, hover, keyboard --------------------------------------------------------------

def test_deep_link_scrolls_the_segment_below_the_toolbar_and_highlights_it(open_page):
    page = open_page("/essay/#s3", height=500)
    page.wait_for_timeout(100)
    bar = page.eval_on_selector("#tools", "e => e.getBoundingClientRect().bottom")
    top = page.eval_on_selector("#s3", "e => e.getBoundingClientRect().top")
    assert page.evaluate("scrollY") > 0
    assert bar <= top <= bar + 40
    assert page.eval_on_selector("#s3", BACKDROP_JS) != page.eval_on_selector("body", BACKDROP_JS)


def test_hovering_a_paragraph_highlights_its_counterpart(open_page):
    page = open_page()
    page_bg = page.eval_on_selector("body", BACKDROP_JS)
    counterpart = '#s3 > .cell[lang="zh"]'
    assert page.eval_on_selector(counterpart, BACKDROP_JS) == page_bg
    page.hover('#s3 > .cell[lang="en"] p')
    assert page.eval_on_selector(counterpart, BACKDROP_JS) != page_bg


def test_keyboard_shortcuts_switch_modes_and_move_between_paragraphs(open_page):
    page = open_page()
    page.keyboard.press("i")
    assert_interleaved(page, "en", "zh")
    page.keyboard.press("3")
    assert shown_langs(page) == ["ja"]
    page.keyboard.press("s")
    page.keyboard.press("x")
    assert_side_by_side(page, "zh", "en")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == "s2"
    assert page.url.endswith("#s2")
    page.keyboard.press("?")
    assert page.is_visible(".help .keys")
    page.uncheck("#keys")
    page.keyboard.press("i")
    assert not page.is_checked("#m-inter"), "shortcuts can be turned off"


# ---- no script, phones, print -----------------------------------------------------------------

def test_radios_switch_modes_without_javascript(open_page):
    page = open_page(java_script_enabled=False)
    assert_side_by_side(page, "en", "zh")
    page.check("#m-inter")
    assert_interleaved(page, "en", "zh")
    page.check("#swap")
    assert_interleaved(page, "zh", "en")
    page.check("#m-side")
    page.check("#a-1")  # first and second both zh: one column, full width, nothing half empty
    (only,) = cells(page)
    assert only["lang"] == "zh"
    assert only["width"] > page.eval_on_selector(".doc", "d => d.clientWidth") * 0.9
    page.check("#m-only-2")
    assert shown_langs(page) == ["ja"]


def test_nothing_scrolls_sideways_on_a_phone_in_any_mode(open_page, base_url):
    page = open_page(width=375, height=740)
    for query in ("mode=side-by-side&pair=en,zh", "mode=interleaved&pair=zh,ja",
                  "mode=single&lang=en", "mode=single&lang=zh", "mode=single&lang=ja"):
        page.goto(f"{base_url}/essay/?{query}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, query
        toolbar = page.eval_on_selector("#tools", "e => e.getBoundingClientRect().height")
        assert toolbar < 56, "the toolbar folds into one row"
        if "pair" in query:  # side by side falls back to interleaved
            assert_interleaved(page, *query.split("pair=")[1].split(","))


def test_phone_toolbar_unfolds_the_other_controls(open_page):
    page = open_page(width=375, height=740)
    assert not page.is_visible("label.swap")
    page.check("#more")
    assert page.is_visible("label.swap") and page.is_visible("#a-2")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_print_keeps_the_chosen_mode_without_the_toolbar(open_page):
    page = open_page()
    page.emulate_media(media="print")
    assert not page.is_visible("#tools")
    assert_side_by_side(page, "en", "zh")
    page.emulate_media(media="screen")
    page.check("#m-inter")
    page.emulate_media(media="print")
    assert_interleaved(page, "en", "zh")


# ---- interface language, theme, marks ---------------------------------------------------------

def test_interface_follows_the_browser_language_and_the_switch(open_page, base_url):
    from playwright.sync_api import expect

    page = open_page(locale="zh-CN")
    assert page.inner_text("label:has(#m-side) span") == "左右对照"
    assert page.get_attribute("#tools", "lang") == "zh"
    assert page.inner_text(".meta time") == "2026年5月7日"
    page.select_option("#ui-lang", "ja")
    expect(page.locator("label:has(#m-side) span")).to_have_text("左右対訳")
    assert page.title() == "On Reading Slowly · 対訳ノート"  # the page's title, the site's in ja
    page.goto(base_url + "/")
    assert page.inner_text(".site-nav a") == "記事一覧"
    assert page.get_attribute("html", "lang") == "ja"
    assert page.title() == "対訳ノート"
    page.goto(base_url + "/404.html")
    assert page.title() == "ページが見つかりません · 対訳ノート"
    page.goto(base_url + "/tags/")
    assert page.title() == "タグ · 対訳ノート"
    page.goto(base_url + "/tags/reading/")
    assert page.title() == "reading · 対訳ノート"


def test_dark_switch_overrides_the_system_theme_and_is_remembered(open_page, base_url):
    page = open_page(color_scheme="light")
    assert background(page) > 0.8
    page.check("#theme-dark")
    assert background(page) < 0.05
    page.goto(base_url + "/second/")
    assert background(page) < 0.05 and page.is_checked("#theme-dark")
    page.keyboard.press("d")
    assert background(page) > 0.8
    assert background(open_page(color_scheme="dark")) < 0.05, "auto follows the system"
    assert background(open_page(color_scheme="dark", java_script_enabled=False)) < 0.05


def test_text_size_buttons_and_keys_scale_the_text_and_are_remembered(open_page, base_url):
    def text_px(page) -> float:
        return page.eval_on_selector('#s2 .cell[lang="zh"]',
                                     "c => parseFloat(getComputedStyle(c).fontSize)")

    page = open_page()
    normal, chrome = text_px(page), page.eval_on_selector(
        "#tools", "t => getComputedStyle(t).fontSize")
    page.click("#size-up")
    page.click("#size-up")
    larger = text_px(page)
    assert larger > 1.2 * normal
    assert page.eval_on_selector("#tools", "t => getComputedStyle(t).fontSize") == chrome
    page.goto(base_url + "/second/")
    assert page.get_attribute("html", "data-size") == "2", "set before the first paint"
    for _ in range(5):
        page.keyboard.press("-")
    assert page.get_attribute("html", "data-size") == "-1", "clamped at the smallest step"
    assert page.is_disabled("#size-down") and page.is_enabled("#size-up")
    assert text_px(page) < normal
    assert page.get_attribute("#size-tools", "aria-labelledby") == "size-label"
    assert not open_page(java_script_enabled=False).is_visible("#size-tools")
    phone = open_page(width=375)
    assert phone.is_visible("#size-tools"), "pinch zoom would make the text scroll sideways"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_marks_checkbox_hides_the_alignment_marks(open_page, base_url):
    page = open_page("/essay/?mode=side-by-side&pair=en,ja")  # ja lacks a paragraph
    mark = '.cell[data-note="untranslated"] .mark'
    assert page.is_visible(mark)
    assert page.eval_on_selector('.cell[data-note="untranslated"]', "c => c.textContent.trim()") \
        == page.inner_text(mark)
    page.uncheck("#marks")
    assert not page.is_visible(mark)
    page.goto(base_url + "/essay/?mode=side-by-side&pair=en,ja")
    assert not page.is_checked("#marks") and not page.is_visible(mark)
    page.click(".help summary")
    assert "not translated" in page.inner_text("#marks-legend")


# ---- the site stays on its own origin and passes axe ------------------------------------------

def test_no_request_leaves_the_site(open_page, base_url, browser):
    context = browser.new_context()
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for path in ("/essay/", "/", "/tags/reading/", "/404.html"):
        page.goto(base_url + path)
    context.close()
    assert requests and all(url.startswith(base_url) for url in requests), requests


@pytest.mark.parametrize("path, width, scheme", [
    ("/essay/", 1280, "light"), ("/essay/?mode=interleaved&pair=zh,ja", 375, "dark"),
    ("/essay/?mode=single&lang=ja", 1280, "dark"), ("/", 375, "light"),
    ("/tags/reading/", 1280, "dark"), ("/404.html", 375, "light")])
def test_pages_have_no_axe_violations(open_page, path, width, scheme):
    if not AXE_JS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core missing at {AXE_JS}: `make browser-deps` installs it")
        pytest.skip(f"!!! axe-core not found at {AXE_JS}: accessibility NOT checked "
                    "(npm i axe-core, or set BITEXT_AXE_JS) !!!")
    page = open_page(path, width=width, color_scheme=scheme, bypass_csp=True)
    page.add_script_tag(path=str(AXE_JS))
    # WCAG 2.2 AA too: touch targets of 24 px or kept apart (axe leaves the rule off by default)
    result = page.evaluate("axe.run(document, {rules: {'target-size': {enabled: true}}})")
    problems = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:4])
                for v in result["violations"]]
    assert not problems


TWELVE = ["en", "zh", "ja", "fr", "de", "es", "it", "ko", "pt", "ru", "nl", "sv"]  # MAX_LANGUAGES


def test_every_one_of_twelve_languages_can_be_read_alone_and_in_the_pair(browser, tmp_path):
    site = build_site(tmp_path, {f"content/babel/{lang}.md": entry(
        f"Title {lang}", f"Paragraph in {lang}.", **({"original": "true"} if k == 0 else {}))
        for k, lang in enumerate(TWELVE)})
    with serve(site) as url:
        context = browser.new_context()
        page = context.new_page()
        for lang in TWELVE:
            page.goto(f"{url}/babel/?mode=single&lang={lang}")
            assert shown_langs(page) == [lang]
        page.goto(f"{url}/babel/?mode=side-by-side&pair=en,{TWELVE[-1]}")
        assert shown_langs(page) == ["en", TWELVE[-1]]
        page.goto(f"{url}/babel/?mode=side-by-side&pair={TWELVE[-1]},{TWELVE[-2]}")
        assert_side_by_side(page, TWELVE[-1], TWELVE[-2], seg="s1")
        context.close()


def test_wide_tables_scroll_and_long_titles_wrap_on_a_phone(browser, tmp_path):
    """A table wider than a phone scrolls inside its own box, its words whole (not one letter
    per line); a title made of one long word wraps instead of widening the list page."""
    title = "Supercalifragilisticexpialidociousantidisestablishmentarianism"
    header = "| " + " | ".join(f"column{k}" for k in range(8)) + " |"
    table = "\n".join([header, "|" + "-|" * 8, "| " + " | ".join("cell" for _ in range(8)) + " |"])
    site = build_site(tmp_path, {
        "content/wide/en.md": entry(title, f"Before.\n\n{table}\n\nAfter.",
                                    original="true", date="2026-01-01"),
        "content/wide/zh.md": entry("宽表", f"之前。\n\n{table}\n\n之后。"),
    })
    with serve(site) as url:
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        for path in ("/wide/?mode=single&lang=en", "/wide/?mode=side-by-side", "/"):
            page.goto(url + path)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 360, path
        page.goto(url + "/wide/?mode=side-by-side")
        # Line boxes of each header's text: more than one means its word was broken.
        boxes = page.eval_on_selector_all(".doc table", """tables => tables
            .filter(t => t.checkVisibility()).map(t => ({scroll: t.scrollWidth > t.clientWidth,
              lines: [...t.querySelectorAll('th')].map(th => {
                const range = document.createRange(); range.selectNodeContents(th);
                return range.getClientRects().length; })}))""")
        assert len(boxes) == 2
        for box in boxes:
            assert box["scroll"], "the table scrolls in its own box"
            assert max(box["lines"]) <= 1, "each header word on one line"
        context.close()


def test_a_partial_translation_reads_on_without_rows_of_empty_boxes(browser, tmp_path):
    def pinned(*texts: str) -> str:  # pins make the rows certain, whatever the aligner thinks
        return "\n\n".join(f"<!-- seg{': ' + name if name else ''} -->\n{text}"
                           for name, text in texts)

    filler = "\n\n".join(f"Filler paragraph {k} to make the page scroll." for k in range(40))
    site = build_site(tmp_path, {
        "content/part/en.md": entry("Part", pinned(
            ("p1", "One."), ("p2", "Two."), ("", f"Three.\n\n{filler}"), ("p4", "Four.")),
            original="true"),
        "content/part/zh.md": entry("部分", pinned(("p1", "一。"), ("p2", "二。"), ("p4", "四。")),
                                    edition="只译了第一、二、四段"),
        "content/part/ja.md": entry("一部", pinned(("p1", "一。"))),
    })
    with serve(site) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 600})
        rows = """() => [...document.querySelectorAll('.doc > .seg[id]')]
            .filter(s => s.checkVisibility()).map(s => s.id)"""
        page.goto(f"{url}/part/?mode=single&lang=zh")
        shown = page.evaluate(rows)
        assert shown[:2] == ["s1", "s2"] and len(shown) == 3  # and the row of 四
        assert "只译了第一、二、四段" in page.locator(".byline .cell[lang=zh]").inner_text()
        page.goto(f"{url}/part/?mode=single&lang=zh#s3")  # a row left out: the next one shown
        assert page.locator(f"#{shown[2]}").is_visible()
        assert page.evaluate(f"document.getElementById('{shown[2]}').getBoundingClientRect().top"
                             ) < 600
        page.goto(f"{url}/part/?mode=side-by-side&pair=ja,zh")
        assert page.evaluate(rows) == shown  # s2: Chinese beside an empty Japanese box
        page.goto(f"{url}/part/?mode=side-by-side&pair=en,ja")
        assert len(page.evaluate(rows)) > len(shown)
        page.close()


def test_escape_closes_the_help_opened_with_its_key(open_page):
    page = open_page("/essay/")
    page.keyboard.press("?")
    assert page.locator(".help").get_attribute("open") is not None
    page.keyboard.press("Escape")
    assert page.locator(".help").get_attribute("open") is None


def test_list_items_line_up_side_by_side_when_the_lists_match(browser, tmp_path):
    """A list of as many items in each language (a row of take-aways) lines up item by item,
    not only at its first line; elsewhere lists flow as they are."""
    long = " ".join(["A long English item that wraps over several lines."] * 6)
    site = build_site(tmp_path, {
        "content/list/en.md": entry("List", f"Intro.\n\n- {long}\n- Short.\n- {long}\n",
                                    original="true"),
        "content/list/zh.md": entry("列表", "引言。\n\n- 短。\n- 也短。\n- 还是短。\n"),
    })
    tops = """() => [...document.querySelectorAll('.seg[data-items] > .cell')]
        .filter(c => c.checkVisibility()).map(c => [...c.querySelectorAll('li')]
        .map(li => Math.round(li.getBoundingClientRect().top)))"""
    with serve(site) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/list/?mode=side-by-side&pair=en,zh")
        en, zh = page.evaluate(tops)
        assert len(en) == 3 and en == zh
        page.goto(f"{url}/list/?mode=side-by-side&pair=zh,en")
        first, second = page.evaluate(tops)
        assert first == second
        page.goto(f"{url}/list/?mode=interleaved&pair=en,zh")
        en, zh = page.evaluate(tops)
        assert zh[0] > en[-1]  # one under the other, each list whole
        page.set_viewport_size({"width": 375, "height": 740})
        page.goto(f"{url}/list/?mode=side-by-side&pair=en,zh")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
        page.close()


FRAMES = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.mark.parametrize("width", [1280, 820])  # at 820 px the toolbar changes rows with the mode
def test_changing_mode_or_language_keeps_the_row_being_read_at_the_top(browser, tmp_path, width):
    en = "\n\n".join(f"English paragraph {k}, long enough to be a line of reading text."
                     for k in range(60))
    zh = "\n\n".join(f"第 {k} 段中文，长到足以成为一行正文。" for k in range(60))
    ja = "\n\n".join(f"第{k}段落、読む文として十分な長さの日本語。" for k in range(60))
    site = build_site(tmp_path, {"content/long/en.md": entry("Long", en, original="true"),
                                 "content/long/zh.md": entry("长文", zh),
                                 "content/long/ja.md": entry("長文", ja)})
    with serve(site) as url:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{url}/long/?mode=side-by-side&pair=en,zh")

        def offset(seg: str) -> float:  # the row's top below the toolbar's bottom, in px
            return page.evaluate(
                f"document.getElementById('{seg}').getBoundingClientRect().top - "
                "document.getElementById('tools').getBoundingClientRect().bottom")

        page.evaluate("document.getElementById('s30').scrollIntoView()")
        page.evaluate(FRAMES)  # the scroll event that notes the row at the top has come
        for key in ("1", "i", "2", "s"):
            page.keyboard.press(key)
            assert -2 < offset("s30") < 20, key
        page.evaluate("window.scrollTo(0, 0)")  # at the top of the page nothing is moved
        page.evaluate(FRAMES)
        page.keyboard.press("1")
        assert page.evaluate("window.scrollY") == 0
        page.close()


def test_a_phone_checks_the_mode_it_draws_but_keeps_the_choice(open_page):
    page = open_page("/essay/", width=390, height=844)
    # Side by side is drawn interleaved on a phone: that radio is the one checked.
    assert page.is_checked("#m-inter") and not page.is_checked("#m-side")
    page.check("#more")
    page.check("#b-2")  # another pair: the stored and shared mode stays side by side
    assert "mode=side-by-side" in page.url
    stored = page.evaluate("JSON.parse(localStorage.getItem('bitext'))")
    assert stored["mode"] == "side-by-side" and stored["pair"] == ["en", "ja"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(50)
    assert page.is_checked("#m-side")
    assert_side_by_side(page, "en", "ja")


def test_escape_on_a_phone_closes_one_layer_at_a_time(open_page):
    page = open_page("/essay/", width=390, height=844)
    page.click("label.more-toggle")
    page.keyboard.press("?")
    assert page.locator(".help").get_attribute("open") is not None
    page.keyboard.press("Escape")
    assert page.locator(".help").get_attribute("open") is None and page.is_checked("#more")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Escape")
    assert not page.is_checked("#more")
    assert page.evaluate("document.activeElement.id") == "more"


def test_turning_shortcuts_off_turns_off_the_search_key_too(open_page):
    page = open_page("/essay/")
    page.keyboard.press("?")
    page.uncheck("#keys")
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    page.wait_for_timeout(500)
    assert page.evaluate("document.querySelector('dialog[open]')") is None
    page.goto(page.url.split("/essay/")[0] + "/")  # the home page has no switch: it is stored
    page.keyboard.press("/")
    page.wait_for_timeout(500)
    assert page.evaluate("document.querySelector('dialog[open]')") is None
    page.click("#search-open")  # the button still opens it
    page.wait_for_selector("dialog[open]", timeout=10_000)


def test_without_javascript_one_language_in_both_pickers_reads_as_one_column(open_page):
    page = open_page("/essay/", java_script_enabled=False)
    wide = page.eval_on_selector(".doc", "d => d.getBoundingClientRect().width")
    page.check("#a-2")
    page.check("#b-2")  # no script to trade them: both name Japanese
    narrow = page.eval_on_selector(".doc", "d => d.getBoundingClientRect().width")
    assert narrow < 0.7 * wide
    ink = page.eval_on_selector('#s2 .cell[lang="ja"]', "c => getComputedStyle(c).color")
    body = page.eval_on_selector("body", "b => getComputedStyle(b).color")
    assert ink == body, "the text's own colour, not the second column's"


def test_an_untranslated_cell_is_a_small_mark_beside_a_long_paragraph(browser, tmp_path):
    long = " ".join(["A long English paragraph that the translator left out."] * 12)
    site = build_site(tmp_path, {
        "content/gap/en.md": entry("Gap", f"<!-- seg: a -->\nOne.\n\n<!-- seg -->\n{long}\n\n"
                                          "<!-- seg: c -->\nThree.", original="true"),
        "content/gap/zh.md": entry("缺", "<!-- seg: a -->\n一。\n\n<!-- seg: c -->\n三。"),
    })
    with serve(site) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/gap/?mode=side-by-side&pair=en,zh")
        box = page.eval_on_selector(".doc .cell.untranslated", "c => c.getBoundingClientRect()")
        text = page.eval_on_selector(".doc .cell.untranslated", "c => c.closest('.seg')"
                                     ".querySelector('.cell[lang=en]').getBoundingClientRect()")
        assert text["height"] > 100 and box["height"] < 50
        assert abs(box["y"] - text["y"]) < 1  # at the top of its row
        page.close()
