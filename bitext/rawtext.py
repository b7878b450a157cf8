"""Raw pasted text: its blocks with their line numbers, the debris lines to drop, its decoding.

What `build.py import` reads before it decides any language: a page copied from a browser holds
separator lines, page chrome, share and subscribe prompts, player text and bylines among the
author's paragraphs. Everything here is pure except `decode_text`'s error, which names the line.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic, SiteError, SourceLocation
from .scripts import display_width, profile

# --------------------------------------------------------------------------- blocks

@dataclass(frozen=True)
class RawBlock:
    """A paragraph of the pasted text: its first line (1-based) and its text.

    `lines` keeps each source line with its number, so debris can be dropped line by line.
    """

    line: int
    text: str
    lines: tuple[tuple[int, str], ...] = ()

    @property
    def end_line(self) -> int:
        return self.lines[-1][0] if self.lines else self.line


# A separator line: a literal `\n` (backslash, n) pasted from a JSON or CSV export.
_LITERAL_BREAK_RE = re.compile(r"^(?:\s*\\[nr])+\s*$")
CLOSE = "\"'”’)）」』】》]"  # closing quotes and brackets after a sentence end
MARKER_RE = re.compile(r"^(?:#{1,6}(?:\s|(?=\S))|[-*+•·▪●]\s|\d{1,3}[.)]\s)")
HEADING_RE = re.compile(r"^(#{1,6})(?:\s+|(?=\d))(\S.*?)(?:\s+#+)?$")  # `## A`, `###1、 A`
_WRAP_MIN, _WRAP_MAX = 40, 120  # hard-wrapped prose is between these many columns wide


def is_separator(line: str) -> bool:
    """A line that only separates blocks: a literal `\\n`, or a rule such as `---` or `* * *`."""
    s = line.strip()
    if not s:
        return True
    if _LITERAL_BREAK_RE.match(s):
        return True
    return len(s) >= 3 and not any(ch.isalnum() for ch in s) and len(set(s.replace(" ", ""))) <= 2


def split_blocks(text: str) -> list[RawBlock]:
    """Blocks separated by blank lines or separator lines, with 1-based line numbers.

    Within a group of consecutive lines, a line is joined to the previous one only when the
    group looks hard-wrapped: 40 to 120 columns wide, the previous line nearly full width and
    not a short line ending a sentence, same script, no list or heading marker. Otherwise each
    line is a paragraph of its own, as in text copied from a web page.
    """
    blocks: list[RawBlock] = []
    group: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if is_separator(line):
            blocks.extend(_group_blocks(group))
            group = []
        else:
            group.append((number, line.strip()))
    blocks.extend(_group_blocks(group))
    return blocks


def _group_blocks(group: list[tuple[int, str]]) -> list[RawBlock]:
    if not group:
        return []
    widths = [display_width(t) for _, t in group]
    writings = [profile(t).writing() for _, t in group]
    # The wrap width of each writing system (pasted translations may not be wrapped alike).
    wrap: dict[str | None, int] = {}
    for w, width in zip(writings, widths, strict=True):
        wrap[w] = max(wrap.get(w, 0), width)
    parts: list[list[tuple[int, str]]] = [[group[0]]]
    for i in range(1, len(group)):
        prev, cur = group[i - 1][1], group[i][1]
        width = wrap[writings[i - 1]]
        ends = prev.rstrip(CLOSE)[-1:] in ".!?。！？…" and widths[i - 1] < 0.9 * width
        wrapped = (_WRAP_MIN <= width <= _WRAP_MAX and widths[i - 1] >= 0.75 * width
                   and not ends and not MARKER_RE.match(cur) and not prev.startswith("#")
                   and writings[i - 1] == writings[i])
        if wrapped:
            parts[-1].append(group[i])
        else:
            parts.append([group[i]])
    return [make_block(p) for p in parts]


def make_block(lines: Sequence[tuple[int, str]]) -> RawBlock:
    return RawBlock(lines[0][0], _join([t for _, t in lines]), tuple(lines))


def _join(parts: Sequence[str]) -> str:
    """Wrapped lines as one paragraph: CJK lines join without a space, others with one."""
    out = ""
    for part in parts:
        if out and not (_cjkish(out[-1]) and _cjkish(part[0])):
            out += " "
        out += part
    return out


def _cjkish(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


# --------------------------------------------------------------------------- debris

def norm(text: str) -> str:
    """Text for matching known phrases: NFKC, case-folded, words only, single spaces."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


# Whole lines that are page chrome in any article (compared after `norm`).
CHROME_LINES = frozenset(norm(s) for s in [
    # English
    "Share", "Share this post", "Share this article", "Share this story", "Subscribe",
    "Subscribe now", "Sign in", "Sign up", "Log in", "Login", "Log out", "Register", "Follow",
    "Print", "Email", "Tweet", "Copy link", "Link copied", "Read more", "Continue reading",
    "Show more", "See more", "Load more", "Back to top", "Skip to content",
    "Skip to main content", "Menu", "Search", "Home", "Previous", "Next", "Previous article",
    "Next article", "Advertisement", "Sponsored", "Sponsored content", "Article illustration",
    "Illustration", "Image", "Photo", "Article voiceover", "Listen to this article",
    "Listen to this story", "Play", "Pause", "Accept", "Accept all", "Accept cookies",
    "Reject all", "Manage cookies", "Cookie settings", "Privacy policy", "Terms of service",
    "Terms of use", "All rights reserved", "Loading", "Upgrade to paid", "Get the app",
    "Open in app", "View in browser", "Discussion about this post", "Ready for more?",
    "Type your email", "Restack", "Like", "Comment", "Leave a comment", "Reply", "Top", "Latest",
    "Translate", "Show original", "View original", "Show translation",
    # Chinese
    "跳转至", "跳转到内容", "跳到主要内容", "跳至正文", "分享", "分享到", "分享至", "转发", "收藏",
    "点赞", "在看", "写评论", "发表评论", "阅读原文", "查看原文", "显示原文", "原文链接",
    "原文存档", "展开全文", "展开", "收起", "返回顶部", "上一篇", "下一篇", "关注我们", "点击关注",
    "订阅", "立即订阅", "登录", "注册", "相关实体", "文章插图", "配图", "听全文", "点击播放",
    "广告", "举报",
    "微信扫一扫", "预览时标签不可点", "轻触阅读原文", "赞赏", "喜欢此内容的人还喜欢", "END",
    # Japanese
    "シェア", "シェアする", "共有", "共有する", "購読", "購読する", "今すぐ購読", "ログイン",
    "新規登録", "コメントする", "すべてのコメント", "続きを読む", "もっと見る", "トップに戻る",
    "メインコンテンツへスキップ", "本文へスキップ", "広告", "前の記事", "次の記事", "原文を表示",
    "翻訳を表示", "音声を再生",
    # Korean
    "공유", "공유하기", "구독", "구독하기", "로그인", "더보기", "원문 보기", "광고", "목록",
])

# Page chrome recognised by a pattern (matched against `norm(line)`).
CHROME_PATTERNS = [re.compile(p) for p in [
    r"^(?:\d+ )+(?:likes?|comments?|shares?|restacks?|views?|reads?)$",  # counters
    r"^(?:likes?|comments?|shares?|restacks?|views?|reads?)(?: \d+)+$",
    r"^(?:show|view|hide|see|open) (?:the )?(?:original|more|less|translation|comments?|all"
    r"|full (?:text|article|story)|in (?:browser|app))$",
    r"\breader supported publication\b",
    r"^consider becoming a (?:free |paid )*subscriber",
    r"^to receive new posts and support my work",
    r"^thanks for reading\b.{0,80}\bsubscribe",
    r"^(?:subscribe|sign up)(?: now)?(?: for free)?(?: to .{0,60})?$",
    r"audio playback is not supported",
    r"\bsubscribe sign in\b",
    r"^listen to (?:this|the) (?:article|post|story|episode)",
    r"\b(?:we|this (?:site|website)) uses? cookies\b",
    r"\baccept (?:all )?cookies\b",
    r"^(?:copyright )?(?:\u00a9 )?\d{4}(?: \d{4})? .{0,60}all rights reserved",
    r"^[\w ]{0,24}を表示(?:する)?$",  # toggles: 原文を表示, 影響分析・編集コメントを表示
    r"読者支援型",
    r"購読をご検討",
    r"^(?:显示|查看|展开|收起)\w{0,8}$",
    r"^(?:点击|长按|轻触)(?:关注|识别|阅读|查看|上方|下方|蓝字|二维码)",
    r"^(?:扫码|扫描二维码)",
    r"^(?:欢迎|记得)(?:关注|点赞|转发|分享|在看)",
]]
# Editorial credits at the head or foot of Chinese articles (matched against the raw line).
_CREDITS_RE = re.compile(
    r"^(?:责任编辑|责编|编辑|校对|排版|审核|美编|监制|编审)\s*[:：]\s*\S{1,20}$")

# Lines after which nothing belongs to the article, when they occur near its end.
TAIL_MARKERS = frozenset(norm(s) for s in [
    "Related", "Related articles", "Related posts", "Related stories", "Related reading",
    "You may also like", "You might also like", "More from", "Recommended", "Read next",
    "Read more", "All comments", "Comments", "Discussion about this post", "Top comments",
    "相关文章", "相关阅读", "相关推荐", "推荐阅读", "延伸阅读", "往期推荐", "往期回顾", "全部评论",
    "热门评论", "精彩评论", "评论区", "合作启事", "商务合作",
    "関連記事", "関連ニュース", "おすすめ記事", "人気記事", "今日のまとめ", "コメント",
    "관련 기사", "추천 기사", "댓글",
])
TAIL_FRACTION = 0.75  # a tail marker counts in the last quarter of the lines

# A line that is only a link, possibly labelled ("来源:https://…", "Source: <https://…>").
_URL_LINE_RE = re.compile(
    r"^(?:(?P<label>[^\s:：]{1,24}(?: [^\s:：]{1,24}){0,2})\s*[:：]\s*)?[<(\[]?"
    r"(?P<url>https?://[^\s<>()\[\]]+)[>)\]]?$", re.IGNORECASE)
SOURCE_LABELS = frozenset(norm(s) for s in [
    "source", "original", "original article", "via", "from", "link", "url", "source link",
    "来源", "原文", "原文链接", "原文地址", "出处", "转载自", "本文来源", "文章来源", "原文网址",
    "出典", "元記事", "原文リンク", "参照", "출처", "원문",
])
_IMAGE_RE = re.compile(r"^!\[[^\]]*\]\([^)]*\)$")
_PROMPT_RE = re.compile(r"translat|翻訳|翻译|번역", re.IGNORECASE)
_SIZE_RE = re.compile(r"\b\d+(?:[.,]\d+)?\s?[KMG]i?B\b")
_FILE_RE = re.compile(r"\S+\.(?:md|html?|txt|pdf|php|aspx?|json)\b", re.IGNORECASE)
_BREADCRUMB_RE = re.compile(r"\s(?:>|›|»|/|→)\s")
_SLUG_LINE_RE = re.compile(  # "notes inside china ai labs", "ch09.079 notes inside …"
    r"^(?:[A-Za-z]{0,4}\d+(?:[.\-]\d+)*\s+)?[a-z0-9]+(?:[ _-][a-z0-9]+){2,11}$")
# Phrases that betray a scraped page header run into the text (case-sensitive where noted).
_RUN_IN = [
    ("Subscribe", re.compile(r"\bSubscribe\b")),
    ("Sign in", re.compile(r"\bSign (?:in|up)\b")),
    ("Share", re.compile(r"\bShare\b")),
    ("audio player", re.compile(r"audio playback is not supported|\bvoiceover\b", re.I)),
    ("player time", re.compile(r"\b\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\b")),
    ("upgrade prompt", re.compile(r"please upgrade", re.I)),
    ("cookie notice", re.compile(r"\bcookies?\b", re.I)),
]
# "Nathan Lambert May 07, 2026", "By Jane Doe · 2026-05-07": a byline, not a paragraph.
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
           "December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
BYLINE_RE = re.compile(
    r"^(?:by\s+)?(?P<author>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3})\s*[,·•|—–-]?\s*"
    r"(?:(?P<month>" + _MONTHS + r")\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}))$", re.IGNORECASE)


@dataclass(frozen=True)
class Dropped:
    """A line left out of the entry, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class Debris:
    """What `find_debris` found: lines to drop and links to keep as the entry's source."""

    dropped: dict[int, str]  # line → reason
    sources: list[tuple[int, str, bool]]  # (line, url, labelled as a source)


def find_debris(lines: Sequence[tuple[int, str]]) -> Debris:
    """Known debris among the non-blank lines of a text: curated phrases and structural rules.

    Rules, in order: separator lines; lines without letters; link-only lines; Markdown images;
    JSON data; leaked machine-translation prompts; curated page chrome (per language); editorial
    credits; navigation, metadata and breadcrumb bars; slug-like lines; page headers run into
    the text; short lines repeated three times or more; and everything from a tail marker
    ("Related articles", "関連記事", "全部评论", …) in the last quarter of the text to its end.
    """
    dropped: dict[int, str] = {}
    sources: list[tuple[int, str, bool]] = []
    content = [(n, t.strip()) for n, t in lines if t.strip()]
    for number, text in content:
        reason = _line_reason(text)
        url = _URL_LINE_RE.match(text)
        if url:
            labelled = norm(url.group("label") or "") in SOURCE_LABELS
            sources.append((number, url.group("url").rstrip(".,;。"), labelled))
        if reason:
            dropped[number] = reason
    keys = Counter(norm(t) for _, t in content)
    for number, text in content:
        if number not in dropped and keys[norm(text)] >= 3 and _short(text):
            dropped[number] = f"repeated short line (×{keys[norm(text)]})"
    total = len(content)
    for i, (number, text) in enumerate(content):
        if norm(text) in TAIL_MARKERS and i >= TAIL_FRACTION * total:
            for later, _ in content[i:]:
                dropped[later] = dropped.get(later) or f"after the end of the article (“{text}”)"
            dropped[number] = "end-of-article marker"
            break
    return Debris(dropped, sources)


def _line_reason(text: str) -> str | None:
    if is_separator(text):
        return "separator line"
    if not any(ch.isalpha() for ch in text):
        return "no text (numbers or symbols only)"
    if _URL_LINE_RE.match(text):
        return "link only"
    if _IMAGE_RE.match(text):
        return "image"
    if text[:1] in "{[" and text[-1:] in "}]":
        try:
            json.loads(text)
            return "data, not text (JSON)"
        except ValueError:
            pass
    if "json" in text.casefold() and _PROMPT_RE.search(text) and len(text) < 400:
        return "leaked machine-translation prompt"
    key = norm(text)
    if key in CHROME_LINES or any(p.search(key) for p in CHROME_PATTERNS):
        return "page chrome"
    if _CREDITS_RE.match(text):
        return "editorial credits"
    words = len(text.split())
    file_info = bool(_SIZE_RE.search(text) and _FILE_RE.search(text))
    if words <= 15 and (text.count(" | ") >= 2 or file_info):
        return "navigation or metadata bar"
    if words <= 12 and len(_BREADCRUMB_RE.findall(text)) >= 2 and text[-1] not in ".。!?！？":
        return "breadcrumb"
    if _SLUG_LINE_RE.match(text) and not any(ch.isupper() for ch in text.split(" ", 1)[-1]):
        return "slug or file name"
    hits = [name for name, rx in _RUN_IN if rx.search(text)]
    if len(hits) >= 3:
        return "page header run into the text (" + ", ".join(hits) + ")"
    return None


def _short(text: str) -> bool:
    """A chrome-sized line: a few words, some letters, not a label ending with a colon."""
    prof = profile(text)
    cjk = prof.counts["Han"] + prof.counts["Kana"] + prof.counts["Hangul"]
    if text.rstrip().endswith((":", "：")):
        return False
    if cjk:
        return 2 <= cjk <= 12 and len(text) <= 20
    return len(text.split()) <= 4 and prof.letters >= 3



def decode_text(data: bytes, path: Path) -> str:
    """Strict UTF-8 (a BOM is dropped, CRLF and CR become LF); invalid bytes raise SiteError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        guess = _guess_encoding(data)
        looks = f"; it looks like {guess} text" if guess else ""
        hint = (f"e.g. iconv -f {_ICONV.get(guess, guess)} -t UTF-8 {path.name} > "
                f"{path.stem}.utf8{path.suffix}") if guess else "save it as UTF-8 in your editor"
        raise SiteError([Diagnostic(
            "error", SourceLocation(path, line, col),
            f"invalid UTF-8 at byte {exc.start} (0x{data[exc.start]:02x}){looks}; "
            "re-save the file as UTF-8", hint)]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).replace("\u200b", "").replace("\ufeff", "")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


_ICONV = {"GB18030 (GBK)": "GB18030", "Shift-JIS": "SHIFT_JIS", "EUC-KR": "EUC-KR",
          "Big5": "BIG5", "UTF-16": "UTF-16", "Windows-1252": "WINDOWS-1252"}


def _guess_encoding(data: bytes) -> str | None:
    """The legacy encoding a non-UTF-8 file is most likely in, for the error's hint."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"
    best, score = None, 0.0
    for name, codec, good in (
        ("Shift-JIS", "shift_jis", lambda s: s in ("Kana", "Han")),
        ("EUC-KR", "euc_kr", lambda s: s == "Hangul"),
        ("GB18030 (GBK)", "gb18030", lambda s: s == "Han"),
        ("Big5", "big5", lambda s: s == "Han"),  # only when GB18030 does not fit better
    ):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        wide = [ch for ch in text if ord(ch) > 0x7F and ch.isalpha()]
        if not wide:
            continue
        prof = profile("".join(wide))
        if name == "Shift-JIS" and not (prof.counts["Kana"] - _halfwidth_kana(wide)) > 0:
            continue
        share = sum(n for s, n in prof.counts.items() if good(s)) / len(wide)
        share -= _halfwidth_kana(wide) / len(wide)
        if share > score + 0.05:
            best, score = name, share
    if best and score >= 0.9:
        return best
    try:
        data.decode("cp1252")
        return "Windows-1252"
    except UnicodeDecodeError:
        return None


def _halfwidth_kana(chars: Iterable[str]) -> int:
    return sum(1 for ch in chars if 0xFF66 <= ord(ch) <= 0xFF9D)


# -- Chinese punctuation -----------------------------------------------------------------------

# Pages and copy tools often flatten Chinese punctuation to ASCII (NFKC does): `中文,英文`.
# A mark touching a Han character (or CJK punctuation) is put back to its full-width form;
# one between Latin letters or digits (`1,000`, `GPT-4, Claude`) is left alone.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_FLAT_RE = re.compile(rf"(?<=[{_CJK}])[,:;?!()]|[,:;?!()](?=[{_CJK}])")
_FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}


def restore_chinese_punctuation(text: str) -> tuple[str, int]:
    """`text` with flattened punctuation next to Han put back to full width, and how many."""
    count = 0

    def full(match: re.Match) -> str:
        nonlocal count
        count += 1
        return _FULL_WIDTH[match.group()]

    return _FLAT_RE.sub(full, text), count
