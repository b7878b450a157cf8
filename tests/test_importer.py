"""`build.py import`: splitting raw pasted bilingual text into an entry's language files."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]

from bitext import frontmatter  # noqa: E402
from bitext.errors import Diagnostics, SiteError  # noqa: E402
from bitext.importer import (  # noqa: E402
    ImportPlan,
    classify_layout,
    decode_text,
    detect_script_lang,
    find_debris,
    plan_import,
    run_import,
    split_blocks,
)
from bitext.markup import make_markdown, to_document  # noqa: E402

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]{10,}")


# --------------------------------------------------------------------------- helpers

def seed(prefix: str) -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"SEED TEXTS MISSING: {SEEDS} does not exist, so the importer is not "
                    "tested on real pasted articles")
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"SEED TEXT MISSING: no {prefix}_*.txt in {SEEDS}")
    return matches[0]


def plan_seed(prefix: str, langs=None, layout="auto") -> tuple[ImportPlan, list[str]]:
    path = seed(prefix)
    text = decode_text(path.read_bytes(), path)
    return plan_import(text, path, langs, layout), text.split("\n")


def dropped_lines(plan: ImportPlan) -> dict[int, str]:
    return {d.line: d.reason for d in plan.dropped}


def all_text(plan: ImportPlan, lang: str) -> str:
    return "\n".join(b.text for b in plan.blocks[lang])


def warnings_at(plan: ImportPlan, needle: str) -> list[int]:
    return [d.location.line for d in plan.diagnostics if needle in d.message]


def check_lines(plan: ImportPlan, lines: list[str]) -> None:
    """Every block starts on the line it claims, and every dropped line is that line."""
    for blocks in plan.blocks.values():
        for block in blocks:
            # NFKC: the importer gives Chinese its full-width punctuation back.
            source = unicodedata.normalize("NFKC", lines[block.line - 1].strip().lstrip("#"))
            text = unicodedata.normalize("NFKC", block.text)
            assert text[:15] in source.strip() or source.strip()[:15] in text, block
    for d in plan.dropped:
        assert lines[d.line - 1].strip() == d.text


def write(tmp_path: Path, text: str | bytes, name: str = "paste.txt") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def fm_errors(text: str, path: Path) -> list[str]:
    """The repo's own front-matter checks on a written file: messages of the errors."""
    diags = Diagnostics()
    split = frontmatter.split(text, path, diags)
    assert split is not None
    fields = frontmatter.load(split, path, diags)
    assert fields is not None
    frontmatter.check(fields, path, diags)
    return [d.message for d in diags.errors]


# --------------------------------------------------------------------------- seeds

def test_seed_000_interleaved_english_chinese():
    plan, lines = plan_seed("000")
    assert plan.layout == "interleaved" and plan.layout_detected
    assert set(plan.langs) == {"en", "zh"}
    counts = plan.counts()
    assert counts["en"] == 16 and counts["zh"] == 17  # zh also has the heading 导读
    dropped = dropped_lines(plan)
    separators = [n for n, t in enumerate(lines, 1) if t.strip() == "\\n"]
    assert len(separators) == 35
    assert all(dropped[n] == "separator line" for n in separators)
    illustrations = [n for n, t in enumerate(lines, 1) if t.strip() == "Article illustration"]
    assert illustrations == [25, 69, 137]
    assert all(n in dropped for n in illustrations)
    assert dropped[3] == "repeats line 1"  # the title pasted twice
    assert dropped[148].startswith("source link")
    assert plan.fields["source"] == ("https://www.interconnects.ai/p/notes-from-inside-chinas-ai-labs",
                                     148)
    assert plan.titles["zh"] == ("硅谷 AI 研究员中国十日行：中国实验室更谦逊，美国充满零和博弈", 1)
    assert "en" not in plan.titles
    # Lines 53 and 61 are English paragraphs ending with a pasted Chinese sentence that repeats
    # the next Chinese paragraph: reported with their lines, and the repeat is dropped.
    assert warnings_at(plan, "block mixes en") == [53, 61]
    assert warnings_at(plan, "which repeats the zh block at line 57") == [53]
    assert warnings_at(plan, "which repeats the zh block at line 65") == [61]
    en = all_text(plan, "en")
    assert not CJK_RUN.search(en)
    assert "Whether or not that’s exactly true, the idea is clear.\n" in en
    assert "Ego和" not in en and "Ego和" not in all_text(plan, "zh")
    assert all("Article illustration" not in b.text for b in plan.blocks["en"])
    assert not any(d.severity == "error" for d in plan.diagnostics)
    check_lines(plan, lines)


def test_seed_001_sequential_japanese_then_english():
    plan, lines = plan_seed("001")
    assert plan.layout == "sequential"
    assert plan.langs == ["ja", "en"]
    counts = plan.counts()
    assert counts["en"] == 44 and counts["ja"] >= counts["en"]
    ja, en = all_text(plan, "ja"), all_text(plan, "en")
    for chrome in ("原文を表示", "関連記事", "今日のまとめ", "購読", "JSON", "翻訳全文",
                   "影響分析・編集コメントを表示"):
        assert chrome not in ja + en
    assert "reader-supported" not in en and "Subscribe now" not in en
    assert not re.search(r"[\u3040-\u30ff]", en)
    assert en.startswith("Staring out the window")
    dropped = dropped_lines(plan)
    assert dropped[72] == "page chrome"
    assert dropped[120] == "end-of-article marker"
    assert {121, 122} <= set(dropped)
    assert dropped[37] == "data, not text (JSON)"
    assert dropped[36] == "leaked machine-translation prompt"
    assert plan.titles["ja"] == ("中国のAI研究所からの報告", 1)
    # Three untranslated English paragraphs inside the Japanese translation stay there.
    assert warnings_at(plan, "inside the ja section") == [44]
    assert [b.line for b in plan.blocks["ja"] if b.text.startswith(("Zooming", "In China,"))] \
        == [44, 45]
    assert warnings_at(plan, "block mixes") == []
    headings = [b.text for b in plan.blocks["ja"] if b.heading]
    assert "キーポイント" in headings and "結論:世界の均衡" in headings
    check_lines(plan, lines)


def test_seed_002_mostly_chinese_with_page_chrome():
    plan, lines = plan_seed("002")
    assert plan.langs == ["zh"]
    assert plan.counts()["zh"] == 11
    dropped = dropped_lines(plan)
    assert dropped[1] == "page chrome"  # 跳转至
    assert dropped[7] == "navigation or metadata bar"
    assert set(dropped) == {1, 3, 5, 7, 9, 11, 13, 15}
    assert warnings_at(plan, "only zh text was found") == [None]
    assert "Audio playback" not in all_text(plan, "zh")
    check_lines(plan, lines)


def test_seed_003_english_only_with_markdown_headings():
    plan, lines = plan_seed("003")
    assert plan.langs == ["en"]
    assert plan.counts()["en"] == 23
    assert dropped_lines(plan) == {24: "end-of-article marker"}  # All Comments
    headings = [(b.heading, b.text[:24]) for b in plan.blocks["en"] if b.heading]
    assert headings[0] == (3, "1、 Laboratory culture: H")
    assert len(headings) == 4
    check_lines(plan, lines)


def test_seed_004_chinese_commentary_then_english_original():
    plan, lines = plan_seed("004")
    assert plan.layout == "sequential"
    assert plan.langs == ["zh", "en"]
    counts = plan.counts()
    assert counts == {"zh": 49, "en": 42}
    dropped = dropped_lines(plan)
    assert {54, 55, 88, 99, 100, 101, 103} <= set(dropped)
    assert dropped[99] == "end-of-article marker"  # 合作启事, then an advertisement
    assert plan.fields["author"] == ("Nathan Lambert", 52)
    assert plan.fields["date"] == ("2026-05-07", 52)
    zh, en = all_text(plan, "zh"), all_text(plan, "en")
    assert "虹桥" not in zh and "Subscribe" not in en
    assert not re.search(r"[\u4e00-\u9fff]", en)
    assert warnings_at(plan, "block mixes") == []  # lists of model names are not mixing
    check_lines(plan, lines)


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_files_written_are_valid_front_matter(prefix, tmp_path):
    report = run_import(seed(prefix), "seed-entry", tmp_path / "content", None, "auto", False)
    assert report.written == [tmp_path / "content" / "seed-entry" / f"{lang}.md"
                              for lang in report.plan.langs]
    for path in report.written:
        text = path.read_text(encoding="utf-8")
        lang = path.stem
        expected = [] if lang in report.plan.titles else ["`title` must not be empty"]
        assert fm_errors(text, path) == expected
        assert "\ndraft: true\n" in text
        assert text.count("\n\n") >= report.plan.counts()[lang]
    summary = "\n".join(report.lines())
    for lang in report.plan.langs:
        assert f"{lang}.md: {report.plan.counts()[lang]} blocks" in summary
    n = len(report.plan.dropped)
    assert not n or f"dropped {n} line{'' if n == 1 else 's'}:" in summary


# --------------------------------------------------------------------------- pure parts

def test_split_blocks_blank_lines_and_literal_newline_separators():
    text = "One.\n\nTwo.\n\\n\nThree.\n\n\n  \\n  \nFour."
    assert [(b.line, b.text) for b in split_blocks(text)] == [
        (1, "One."), (3, "Two."), (5, "Three."), (9, "Four.")]


def test_split_blocks_joins_hard_wrapped_lines_but_not_pasted_paragraphs():
    wrapped = ("This paragraph was wrapped by an editor at about sixty\n"
               "columns, so its lines are all roughly the same width and\n"
               "it ends here.\n"
               "\n"
               "这一段中文也被编辑器按固定宽度折行了所以每一行都差不多一样\n"
               "长而最后一行比较短。")
    blocks = split_blocks(wrapped)
    assert [(b.line, b.end_line) for b in blocks] == [(1, 3), (5, 6)]
    assert blocks[0].text.startswith("This paragraph was wrapped by an editor at about sixty "
                                     "columns, so")
    assert blocks[1].text == ("这一段中文也被编辑器按固定宽度折行了所以每一行都差不多一样"
                              "长而最后一行比较短。")
    pasted = ("Short heading\n" + "A long paragraph copied from a web page. " * 5 + "\n"
              + "Another paragraph copied from the same page, on the next line. " * 3)
    assert [b.line for b in split_blocks(pasted)] == [1, 2, 3]
    assert [b.line for b in split_blocks("First paragraph.\nSecond paragraph.\n第一段。")] \
        == [1, 2, 3]
    # Wrapped English between unwrapped Chinese lines, no blank lines at all.
    mixed = ("An English paragraph wrapped by the editor at about\n"
             "fifty columns, which goes on to a second line.\n"
             + "这一段中文没有折行,所以它很长。" * 6 + "\n"
             "A second English paragraph, also wrapped by the editor\n"
             "at the same width as the first one was.\n"
             "第二段中文。")
    assert [(b.line, b.end_line) for b in split_blocks(mixed)] == [(1, 2), (3, 3), (4, 5),
                                                                   (6, 6)]


@pytest.mark.parametrize("text, langs, lang", [
    ("The quick brown fox jumps over the lazy dog.", None, "en"),
    ("The quick brown fox.", ["fr", "zh"], "fr"),
    ("这是一个中文句子。", None, "zh"),
    ("這是一個中文句子。", ["en", "zh-Hant"], "zh-Hant"),
    ("これは日本語の文です。", None, "ja"),
    ("影響分析", ["ja", "en"], "ja"),
    ("이것은 한국어 문장입니다.", None, "ko"),
    ("Это русское предложение.", None, "ru"),
    ("Це українське речення.", ["en", "uk"], "uk"),
    ("هذه جملة عربية.", None, "ar"),
    ("2026 — 12:30", None, None),
    ("Это русское предложение.", ["en", "zh"], None),
    ("模型权重可在 https://huggingface.co/allenai/olmo-3-release 下载。", None, "zh"),
    ("联系 press-office@example.org 了解。", None, "zh"),
    ("See https://example.com/模型 for the weights.", None, "en"),
])
def test_detect_script_lang(text, langs, lang):
    assert detect_script_lang(text, langs)[0] == lang


def test_detect_mixed_blocks_but_not_quotations_or_names():
    english = ("Whether or not that is exactly true, the idea is clear and it is repeated "
               "in many conversations with researchers. ")
    lang, mixed = detect_script_lang(english + "自我意识和职业晋升的欲望确实会阻碍做出最好的模型。")
    assert lang == "en"
    assert [name for name, _ in mixed] == ["en", "zh"]
    assert abs(sum(share for _, share in mixed) - 1) < 0.01
    quoted = ("Lambert 提到的「excellent scientists, large-scale data, and accelerated "
              "computing and more things」三要素中,人才密度的作用往往被忽视。"
              "在中国顶级实验室,研究人员通常以更小的团队规模运作。")
    assert detect_script_lang(quoted) == ("zh", [])
    names = ("这点对理解 DeepSeek、Qwen、GLM、Kimi、MiniMax、Moonshot、Zhipu、Meituan "
             "等中国模型都很关键。")
    assert detect_script_lang(names) == ("zh", [])
    assert detect_script_lang("We met 美团 and 小米 in Beijing.") == ("en", [])


def test_classify_layout():
    assert classify_layout(["en", "zh"] * 6) == "interleaved"
    assert classify_layout(["en", "en", "zh", "zh", "en", "zh"]) == "interleaved"
    assert classify_layout(["zh"] * 8 + ["en"] * 7) == "sequential"
    assert classify_layout(["ja"] * 30 + ["en"] * 3 + ["ja"] * 20 + ["en"] * 40) == "sequential"
    assert classify_layout(["en"] * 5) == "sequential"
    assert classify_layout([]) == "sequential"


def test_find_debris_rules():
    lines = [
        "Skip to content",
        "Home > World > Asia",
        "Home | About | Contact",
        "A real paragraph about how people share ideas and subscribe to newsletters.",
        "We use cookies to improve your experience on our site.",
        "{\"translation\": \"全文\"}",
        "Consider becoming a paid subscriber.",
        "Photo",
        "----",
        "This paragraph stays.",
        "Article illustration",
        "Another paragraph.",
        "Article illustration",
        "Final paragraph.",
        "Article illustration",
        "Related articles",
        "Ten ways to cook rice",
        "Source: https://example.com/post",
    ]
    debris = find_debris(list(enumerate(lines, start=1)))
    assert debris.dropped == {
        1: "page chrome", 2: "breadcrumb", 3: "navigation or metadata bar",
        5: "page chrome", 6: "data, not text (JSON)", 7: "page chrome", 8: "page chrome",
        9: "separator line", 11: "page chrome", 13: "page chrome", 15: "page chrome",
        16: "end-of-article marker", 17: "after the end of the article (“Related articles”)",
        18: "link only",
    }
    assert debris.sources == [(18, "https://example.com/post", True)]
    unknown = find_debris([(1, "Paragraph one."), (2, "Odd chrome"), (3, "Odd chrome"),
                           (4, "Odd chrome"), (5, "Paragraph two.")])
    assert unknown.dropped == {2: "repeated short line (×3)", 3: "repeated short line (×3)",
                               4: "repeated short line (×3)"}


def test_find_debris_chinese_and_japanese_page_chrome():
    lines = ["跳转至", "正文第一段。", "编辑:张三", "点击关注我们", "正文第二段,讲了很多事情。",
             "正文第三段。", "原文を表示", "相关阅读", "某篇文章标题"]
    assert find_debris(list(enumerate(lines, start=1))).dropped == {
        1: "page chrome", 3: "editorial credits", 4: "page chrome", 7: "page chrome",
        8: "end-of-article marker", 9: "after the end of the article (“相关阅读”)"}
    # A tail marker early in the text is a heading, not the end of the article.
    early = ["Intro paragraph.", "Comments", "Body one.", "Body two.", "Body three."]
    assert find_debris(list(enumerate(early, start=1))).dropped == {}


def test_markdown_headings_and_hashtags(tmp_path):
    text = "# The Title\n\n#MeToo started a movement.\n\n###2、 Second part\n\nBody text.\n"
    plan = plan_import(text, tmp_path / "t.txt", None, "auto")
    assert plan.titles == {"en": ("The Title", 1)}
    assert [b.markdown() for b in plan.blocks["en"]] == [
        "#MeToo started a movement.", "### 2、 Second part", "Body text."]


def test_pasted_bullets_become_one_markdown_list(tmp_path):
    text = "# Points\n\n• First point.\n\n• Second point.\n\n▪ Third, with · a dot inside.\n"
    plan = plan_import(text, tmp_path / "t.txt", None, "auto")
    assert [b.markdown() for b in plan.blocks["en"]] == [
        "- First point.", "- Second point.", "- Third, with · a dot inside."]
    body = "\n\n".join(b.markdown() for b in plan.blocks["en"])
    kinds = [b.kind for b in to_document(make_markdown("en"), body, 1, "en").blocks]
    assert kinds == ["bullet_list"]


def test_echoed_titles_are_dropped(tmp_path):
    text = ("Notes from inside the labs\n\nNotes from inside the labs\n\n"
            "Notes from inside the labs - by Someone Subscribe\n\n"
            "Notes from inside the labs - by Someone Subscribe and the first paragraph.\n\n"
            "Second paragraph.\n")
    plan = plan_import(text, tmp_path / "t.txt", None, "auto")
    assert dropped_lines(plan) == {3: "repeats line 1", 5: "repeated in line 7"}
    assert plan.titles["en"] == ("Notes from inside the labs", 1)


# --------------------------------------------------------------------------- run_import

INTERLEAVED = """\
The Title

中文标题

First paragraph in English. It has two sentences.

第一段是中文。它有两句话。
\\n
Second paragraph, with a comma.

第二段。

Share

Source: https://example.com/post
"""


def test_interleaved_import_writes_both_files(tmp_path):
    content = tmp_path / "content"
    report = run_import(write(tmp_path, INTERLEAVED), "my-entry", content, None, "auto", False)
    folder = content / "my-entry"
    assert report.written == [folder / "en.md", folder / "zh.md"]
    assert (folder / "en.md").read_text(encoding="utf-8") == """\
---
title: "The Title"  # TODO: guessed from line 1; check it
source: "https://example.com/post"  # from line 15
# date: YYYY-MM-DD
# author: …
draft: true
---

First paragraph in English. It has two sentences.

Second paragraph, with a comma.
"""
    assert (folder / "zh.md").read_text(encoding="utf-8") == """\
---
title: "中文标题"  # TODO: guessed from line 3; check it
# translator: …
draft: true
---

第一段是中文。它有两句话。

第二段。
"""
    plan = report.plan
    assert plan.layout == "interleaved"
    assert [(d.line, d.reason) for d in plan.dropped] == [
        (8, "separator line"), (13, "page chrome"),
        (15, "source link (→ `source:` in the front matter)")]
    lines = report.lines()
    assert lines[0] == f"imported paste.txt (interleaved, detected) into {folder}/"
    assert "  en.md: 2 blocks, title guessed from line 1" in lines
    assert "  zh.md: 2 blocks, title guessed from line 3" in lines
    assert "    separator lines (1): 8" in lines
    assert "    line 13: page chrome: Share" in lines
    assert report.diagnostics == []


def test_sequential_import_with_langs_order_and_headings(tmp_path):
    text = ("Premier paragraphe, assez long pour être un vrai paragraphe.\n\n"
            "Un titre de section\n\n"
            "Deuxième paragraphe.\n\n"
            "Troisième paragraphe.\n\n"
            "第一段。\n\n章节标题\n\n第二段。\n\n第三段。\n")
    report = run_import(write(tmp_path, text), "seq", tmp_path / "c", ["zh", "fr"],
                        "auto", False)
    plan = report.plan
    assert plan.layout == "sequential" and plan.langs == ["zh", "fr"]
    assert [(b.line, b.heading, b.markdown()) for b in plan.blocks["fr"]] == [
        (1, 0, "Premier paragraphe, assez long pour être un vrai paragraphe."),
        (3, 2, "## Un titre de section"), (5, 0, "Deuxième paragraphe."),
        (7, 0, "Troisième paragraphe.")]
    assert [b.markdown() for b in plan.blocks["zh"]] == ["第一段。", "## 章节标题", "第二段。",
                                                        "第三段。"]
    assert [p.name for p in report.written] == ["zh.md", "fr.md"]
    assert "# date: YYYY-MM-DD" in (tmp_path / "c" / "seq" / "zh.md").read_text(encoding="utf-8")
    assert "# translator: …" in (tmp_path / "c" / "seq" / "fr.md").read_text(encoding="utf-8")


def test_layout_given_against_the_text_is_warned_about(tmp_path):
    report = run_import(write(tmp_path, INTERLEAVED), "e", tmp_path / "c", None, "sequential",
                        False)
    assert report.plan.layout == "sequential" and not report.plan.layout_detected
    messages = [d.message for d in report.diagnostics]
    assert messages[0] == "--layout sequential given, but the text looks interleaved"
    assert [(d.location.line, d.message.split(" ")[0]) for d in report.diagnostics[1:]] == [
        (5, "en"), (7, "zh"), (9, "en"), (11, "zh")]
    assert messages[1] == "en text resumes here after another language's section; appended to en.md"


ENGLISH = ("This English paragraph is long enough to carry a pasted sentence at its end, as "
           "happens when a translator copies the next paragraph into the wrong place. ")


def test_mixed_block_tail_moved_to_its_own_language(tmp_path):
    text = (ENGLISH + "这是一个完全不同的中文句子,没有出现在下一段里。\n\n"
            "这是下一段中文,内容和上面无关。\n\nAnother English paragraph.\n\n又一段中文。\n")
    report = run_import(write(tmp_path, text), "mixed", tmp_path / "c", None, "auto", False)
    plan = report.plan
    assert [b.text for b in plan.blocks["en"]] == [ENGLISH.strip(), "Another English paragraph."]
    assert [(b.line, b.text) for b in plan.blocks["zh"]] == [
        (1, "这是一个完全不同的中文句子，没有出现在下一段里。"),
        (3, "这是下一段中文，内容和上面无关。"),
        (7, "又一段中文。")]
    [warning] = report.diagnostics
    assert warning.severity == "warning" and warning.location.line == 1
    assert re.fullmatch(r"block mixes en \(\d+%\) and zh \(\d+%\); moved its trailing zh text "
                        r"into zh\.md as a block of its own", warning.message)
    assert "1 block(s) mix languages (see the warnings above)" in "\n".join(report.lines())


def test_mixed_block_tail_that_repeats_the_next_block_is_dropped(tmp_path):
    text = (ENGLISH + "Ego和职业晋升的欲望确实会阻碍做出最好的模型。\n\n"
            "自我意识和职业晋升的欲望,确实会阻碍做出最好的模型。\n\nThen more.\n\n下一段。\n")
    plan = run_import(write(tmp_path, text), "dup", tmp_path / "c", None, "auto", False).plan
    assert [b.text for b in plan.blocks["en"]] == [ENGLISH.strip(), "Then more."]
    assert [b.text for b in plan.blocks["zh"]] == [
        "自我意识和职业晋升的欲望，确实会阻碍做出最好的模型。", "下一段。"]
    assert [(d.location.line, d.message.split("; ")[1]) for d in plan.diagnostics] == [
        (1, "dropped its trailing zh text, which repeats the zh block at line 3")]


def test_mixed_block_in_sequential_layout_is_only_reported(tmp_path):
    text = "\n\n".join([ENGLISH + "这是一个完全不同的中文句子,没有出现在下一段里。", "Two.",
                        "Three.", "一。", "二。", "三。"])
    plan = plan_import(text, tmp_path / "t.txt", None, "sequential")
    assert plan.blocks["en"][0].text.endswith("没有出现在下一段里。")
    assert warnings_at(plan, "block mixes en") == [1]


@pytest.mark.parametrize("text", ["", "   \n\n\t\n"])
def test_empty_input_is_a_located_error(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(SiteError) as err:
        run_import(path, "empty", tmp_path / "c", None, "auto", False)
    [diag] = err.value.diagnostics
    assert (diag.severity, diag.location.path, diag.location.line, diag.message) == (
        "error", path, 1, "the file is empty")
    assert not (tmp_path / "c").exists()


def test_input_of_only_debris_is_an_error(tmp_path):
    path = write(tmp_path, "Share\n\n\\n\n\nSubscribe now\n\nhttps://example.com/\n")
    with pytest.raises(SiteError) as err:
        run_import(path, "junk", tmp_path / "c", None, "auto", False)
    [diag] = err.value.diagnostics
    assert diag.message.startswith("no text left after dropping 4 debris lines")


@pytest.mark.parametrize("encoding, guess", [("gbk", "GB18030 (GBK)"),
                                             ("shift_jis", "Shift-JIS")])
def test_legacy_encoding_is_a_located_error(tmp_path, encoding, guess):
    tail = "中文段落。" if encoding == "gbk" else "日本語のテキストです。"
    body = "Hello\nThe next line: " + tail
    path = write(tmp_path, body.encode(encoding))
    with pytest.raises(SiteError) as err:
        run_import(path, "legacy", tmp_path / "c", None, "auto", False)
    [diag] = err.value.diagnostics
    start = len("Hello\nThe next line: ")
    assert (diag.location.line, diag.location.col) == (2, len("The next line: ") + 1)
    assert diag.message == (f"invalid UTF-8 at byte {start} (0x{body.encode(encoding)[start]:02x})"
                            f"; it looks like {guess} text; re-save the file as UTF-8")
    assert diag.hint.startswith("e.g. iconv -f ")
    assert not (tmp_path / "c").exists()


def test_bom_and_crlf_are_accepted_with_right_line_numbers(tmp_path):
    text = "First English paragraph.\r\n\r\n第一段。\r\n\r\nSecond.\r\n\r\n第二段。\r\n"
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))
    plan = run_import(path, "bom", tmp_path / "c", None, "auto", False).plan
    assert [(b.line, b.text) for b in plan.blocks["en"]] == [
        (1, "First English paragraph."), (5, "Second.")]
    assert [(b.line, b.text) for b in plan.blocks["zh"]] == [(3, "第一段。"), (7, "第二段。")]


def test_existing_entry_needs_force(tmp_path):
    content = tmp_path / "content"
    folder = content / "taken"
    folder.mkdir(parents=True)
    (folder / "en.md").write_text("---\ntitle: Mine\n---\n\nKeep me.\n", encoding="utf-8")
    (folder / "fr.md").write_text("---\ntitle: À moi\n---\n\nGarde-moi.\n", encoding="utf-8")
    path = write(tmp_path, INTERLEAVED)
    with pytest.raises(SiteError) as err:
        run_import(path, "taken", content, None, "auto", False)
    [diag] = err.value.diagnostics
    assert diag.location.path == folder and "already exists" in diag.message
    assert "--force" in diag.hint
    assert (folder / "en.md").read_text(encoding="utf-8") == "---\ntitle: Mine\n---\n\nKeep me.\n"
    assert sorted(p.name for p in folder.iterdir()) == ["en.md", "fr.md"]

    report = run_import(path, "taken", content, None, "auto", True)
    assert (folder / "en.md").read_text(encoding="utf-8").startswith(
        '---\ntitle: "The Title"')
    assert (folder / "zh.md").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["en.md", "fr.md", "zh.md"]
    assert [(d.location.path, d.severity) for d in report.diagnostics] == [
        (folder / "fr.md", "warning")]


def test_empty_existing_folder_is_not_an_entry(tmp_path):
    (tmp_path / "c" / "fresh").mkdir(parents=True)
    report = run_import(write(tmp_path, INTERLEAVED), "fresh", tmp_path / "c", None, "auto",
                        False)
    assert len(report.written) == 2


@pytest.mark.parametrize("slug", ["My Entry", "UPPER", "trailing-", "a/b", "..", "中文", ""])
def test_invalid_slug_is_an_error(tmp_path, slug):
    with pytest.raises(SiteError) as err:
        run_import(write(tmp_path, INTERLEAVED), slug, tmp_path / "c", None, "auto", False)
    [diag] = err.value.diagnostics
    assert diag.message == f"invalid slug {slug!r}"
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("langs, message", [
    (["en", "english"], "--langs: 'english' is not a language tag"),
    (["en", "en"], "--langs: en is listed twice"),
    (["en_US"], "--langs: 'en_US' is not a language tag"),
    ([""], "--langs is empty"),
])
def test_invalid_langs_are_errors(tmp_path, langs, message):
    with pytest.raises(SiteError) as err:
        run_import(write(tmp_path, INTERLEAVED), "e", tmp_path / "c", langs, "auto", False)
    assert [d.message for d in err.value.diagnostics] == [message]


def test_unknown_layout_is_an_error(tmp_path):
    with pytest.raises(SiteError) as err:
        run_import(write(tmp_path, INTERLEAVED), "e", tmp_path / "c", None, "zigzag", False)
    assert [d.message for d in err.value.diagnostics] == ["unknown layout 'zigzag'"]


def test_blocks_in_a_script_no_listed_language_takes_are_errors(tmp_path):
    text = "English one.\n\n日本語の段落です。\n\nEnglish two.\n\nもう一つの段落です。\n"
    with pytest.raises(SiteError) as err:
        run_import(write(tmp_path, text), "e", tmp_path / "c", ["en", "zh"], "auto", False)
    [diag] = err.value.diagnostics
    assert diag.location.line == 3
    assert diag.message == ("2 block(s) written in Japanese (lines 3, 7), but no language of "
                            "--langs en,zh is")
    assert diag.hint == "add its language to --langs, e.g. --langs en,zh,ja"
    assert not (tmp_path / "c").exists()


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(SiteError) as err:
        run_import(tmp_path / "nope.txt", "e", tmp_path / "c", None, "auto", False)
    assert err.value.diagnostics[0].message.startswith("cannot read file")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list("ab 中文の한.\n\\。,|>:/") + ["Share", "https://x.y",
                                                                "Hello world.", "这是中文。"]),
                max_size=60).map("".join))
def test_planning_never_fails_with_anything_but_site_error(text):
    try:
        plan = plan_import(text, Path("fuzz.txt"), None, "auto")
    except SiteError as exc:
        assert exc.diagnostics
        return
    for blocks in plan.blocks.values():
        assert all(b.text.strip() for b in blocks)
    for lang in plan.langs:
        assert plan.render(lang).startswith("---\ntitle: ")


# --------------------------------------------------------------------------- command line

def test_command_line_import(project, run):
    root = project({"paste.txt": INTERLEAVED})
    result = run(root, "import", "paste.txt", "--slug", "pasted")
    assert result.returncode == 0, result.stderr
    assert "en.md: 2 blocks" in result.stdout
    assert (root / "content" / "pasted" / "zh.md").is_file()
    again = run(root, "import", "paste.txt", "--slug", "pasted")
    assert again.returncode == 1
    assert "content/pasted: error: entry already exists; nothing was written" in again.stderr
    (root / "bad.txt").write_bytes("编码".encode("gbk"))
    bad = run(root, "import", "bad.txt", "--slug", "bad")
    assert bad.returncode == 1
    assert "bad.txt:1:1: error: invalid UTF-8 at byte 0" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_flattened_chinese_punctuation_is_restored_unless_kept(project, run):
    text = ("First paragraph, in English: with commas (and brackets)!\n\n"
            "第一段,中文:有逗号(和括号)!约1,000个GPT-4, Claude用户?\n\n"
            "Second paragraph.\n\n第二段;完。\n")
    root = project({"paste.txt": text})
    result = run(root, "import", "paste.txt", "--slug", "punct")
    assert result.returncode == 0, result.stderr
    assert "zh: 7 ASCII punctuation marks next to Chinese text put back" in result.stdout
    zh = (root / "content/punct/zh.md").read_text(encoding="utf-8")
    assert "第一段，中文：有逗号（和括号）！约1,000个GPT-4, Claude用户？" in zh
    assert "第二段；完。" in zh
    en = (root / "content/punct/en.md").read_text(encoding="utf-8")
    assert "First paragraph, in English: with commas (and brackets)!" in en
    kept = run(root, "import", "paste.txt", "--slug", "kept", "--keep-punctuation")
    assert kept.returncode == 0, kept.stderr
    assert "第一段,中文:有逗号(和括号)!" in (root / "content/kept/zh.md").read_text(
        encoding="utf-8")
    assert "put back" not in kept.stdout


@pytest.mark.parametrize("args, message", [
    (["--slug", "tags"], "reserved for the site's own pages"),
    (["--slug", "Bad Slug"], "invalid slug"),
    (["--slug", "ok", "--langs", ""], "--langs is empty"),
    (["--slug", "ok", "--langs", "en,en"], "listed twice"),
])
def test_import_refuses_what_new_refuses_with_usage_status(project, run, args, message):
    root = project({"paste.txt": INTERLEAVED})
    result = run(root, "import", "paste.txt", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not any((root / "content").iterdir())


def test_a_long_line_dropped_as_page_chrome_is_warned(project, run):
    opening = " ".join(["Staring out the window on a new, high-speed train I see the hills."] * 8)
    text = (f"My Post - by Some One Subscribe Sign in My Post {opening}\n\n"
            "A first paragraph in English, long enough to read as text.\n\n"
            "第一段中文，长到足以读作正文。\n")
    root = project({"paste.txt": text})
    result = run(root, "import", "paste.txt", "--slug", "post")
    assert result.returncode == 0, result.stderr
    assert "line 1: page chrome" in result.stdout  # dropped, as the menu leads it
    assert "paste.txt:1: warning: dropped as page chrome, but 583 characters long" in \
        result.stderr  # but not silently
