"""Writing systems: which script each character is in, and which language a block is written in.

Pure functions, no I/O. A block's language is read from its script: Han without kana is Chinese,
kana is Japanese, Hangul is Korean, Latin is the first Latin-script language the user listed
(English by default), and so on. Shares are counted in comparable units, one CJK character
standing for about three letters of an alphabet, so an English paragraph that quotes two
Chinese words is not "mixed" and one that ends with a pasted Chinese sentence is.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .answers import likely_script

# Script of each letter, by code-point range (start, end inclusive, script).
_RANGES: list[tuple[int, int, str]] = sorted([
    (0x0041, 0x005A, "Latin"), (0x0061, 0x007A, "Latin"), (0x00AA, 0x00AA, "Latin"),
    (0x00BA, 0x00BA, "Latin"), (0x00C0, 0x00D6, "Latin"), (0x00D8, 0x00F6, "Latin"),
    (0x00F8, 0x024F, "Latin"), (0x0250, 0x02AF, "Latin"), (0x1D00, 0x1D7F, "Latin"),
    (0x1E00, 0x1EFF, "Latin"), (0x2C60, 0x2C7F, "Latin"), (0xA720, 0xA7FF, "Latin"),
    (0xAB30, 0xAB6F, "Latin"), (0xFB00, 0xFB06, "Latin"), (0xFF21, 0xFF3A, "Latin"),
    (0xFF41, 0xFF5A, "Latin"),
    (0x0370, 0x03FF, "Greek"), (0x1F00, 0x1FFF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"), (0x1C80, 0x1C8F, "Cyrillic"), (0x2DE0, 0x2DFF, "Cyrillic"),
    (0xA640, 0xA69F, "Cyrillic"),
    (0x0530, 0x058F, "Armenian"), (0x0590, 0x05FF, "Hebrew"), (0xFB1D, 0xFB4F, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"), (0x0750, 0x077F, "Arabic"), (0x08A0, 0x08FF, "Arabic"),
    (0xFB50, 0xFDFF, "Arabic"), (0xFE70, 0xFEFF, "Arabic"),
    (0x0700, 0x074F, "Syriac"), (0x0780, 0x07BF, "Thaana"),
    (0x0900, 0x097F, "Devanagari"), (0x0980, 0x09FF, "Bengali"), (0x0A00, 0x0A7F, "Gurmukhi"),
    (0x0A80, 0x0AFF, "Gujarati"), (0x0B00, 0x0B7F, "Oriya"), (0x0B80, 0x0BFF, "Tamil"),
    (0x0C00, 0x0C7F, "Telugu"), (0x0C80, 0x0CFF, "Kannada"), (0x0D00, 0x0D7F, "Malayalam"),
    (0x0D80, 0x0DFF, "Sinhala"), (0x0E00, 0x0E7F, "Thai"), (0x0E80, 0x0EFF, "Lao"),
    (0x0F00, 0x0FFF, "Tibetan"), (0x1000, 0x109F, "Myanmar"), (0x10A0, 0x10FF, "Georgian"),
    (0x1C90, 0x1CBF, "Georgian"), (0x1200, 0x139F, "Ethiopic"), (0x1780, 0x17FF, "Khmer"),
    (0x1800, 0x18AF, "Mongolian"),
    (0x1100, 0x11FF, "Hangul"), (0x3130, 0x318F, "Hangul"), (0xA960, 0xA97F, "Hangul"),
    (0xAC00, 0xD7AF, "Hangul"), (0xD7B0, 0xD7FF, "Hangul"), (0xFFA0, 0xFFDC, "Hangul"),
    (0x3041, 0x309F, "Kana"), (0x30A0, 0x30FA, "Kana"), (0x30FC, 0x30FF, "Kana"),
    (0x31F0, 0x31FF, "Kana"), (0xFF66, 0xFF9D, "Kana"), (0x1B000, 0x1B16F, "Kana"),
    (0x2E80, 0x2FDF, "Han"), (0x3005, 0x3005, "Han"), (0x3007, 0x3007, "Han"),
    (0x3021, 0x3029, "Han"), (0x3400, 0x4DBF, "Han"), (0x4E00, 0x9FFF, "Han"),
    (0xF900, 0xFAFF, "Han"), (0x20000, 0x3FFFF, "Han"),
])
_STARTS = [r[0] for r in _RANGES]

CJK_SCRIPTS = frozenset({"Han", "Kana", "Hangul"})
# Script classes a block can be in: the CJK scripts are told apart by kana and Hangul.
# Default language of each class when the user gives no --langs.
DEFAULT_LANG = {
    "Latin": "en", "Cyrillic": "ru", "Greek": "el", "Arabic": "ar", "Hebrew": "he",
    "Armenian": "hy", "Georgian": "ka", "Devanagari": "hi", "Bengali": "bn", "Gurmukhi": "pa",
    "Gujarati": "gu", "Oriya": "or", "Tamil": "ta", "Telugu": "te", "Kannada": "kn",
    "Malayalam": "ml", "Sinhala": "si", "Thai": "th", "Lao": "lo", "Tibetan": "bo",
    "Myanmar": "my", "Ethiopic": "am", "Khmer": "km", "Mongolian": "mn", "Syriac": "syr",
    "Thaana": "dv", "Chinese": "zh", "Japanese": "ja", "Korean": "ko",
}
# ISO 15924 script of a language tag (from CLDR likely subtags) → our script class.
_ISO_CLASS = {
    "Latn": "Latin", "Cyrl": "Cyrillic", "Grek": "Greek", "Arab": "Arabic", "Hebr": "Hebrew",
    "Armn": "Armenian", "Geor": "Georgian", "Deva": "Devanagari", "Beng": "Bengali",
    "Guru": "Gurmukhi", "Gujr": "Gujarati", "Orya": "Oriya", "Taml": "Tamil", "Telu": "Telugu",
    "Knda": "Kannada", "Mlym": "Malayalam", "Sinh": "Sinhala", "Thai": "Thai", "Laoo": "Lao",
    "Tibt": "Tibetan", "Mymr": "Myanmar", "Ethi": "Ethiopic", "Khmr": "Khmer",
    "Mong": "Mongolian", "Syrc": "Syriac", "Thaa": "Thaana",
    "Hans": "Chinese", "Hant": "Chinese", "Hani": "Chinese", "Jpan": "Japanese",
    "Hrkt": "Japanese", "Kore": "Korean", "Hang": "Korean",
}
# One CJK character carries about as much text as three letters of an alphabet.
LETTERS_PER_CJK = 3.0
# Quotation marks and brackets: a foreign run inside them is a quotation, not a pasted sentence.
_OPENERS = "「『“\"‘'《〈(（【〔[«‹"
_CLOSERS = "」』”\"’'》〉)）】〕]»›"
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


def char_script(ch: str) -> str | None:
    """The script of a letter (`Latin`, `Han`, `Kana`, …); None for digits, punctuation, spaces."""
    cp = ord(ch)
    i = bisect.bisect_right(_STARTS, cp) - 1
    if i >= 0 and _RANGES[i][0] <= cp <= _RANGES[i][1]:
        if _RANGES[i][2] in ("Latin", "Greek", "Cyrillic") and not ch.isalpha():
            return None  # ×, ÷ and modifier symbols inside the Latin-1 range
        return _RANGES[i][2]
    return None


def script_class(script: str) -> str:
    """Alphabets are their own class; Han, kana and Hangul form one CJK class."""
    return "CJK" if script in CJK_SCRIPTS else script


@dataclass(frozen=True)
class Run:
    """A stretch of text in one script class: character offsets, letters and words in it."""

    cls: str  # script class: Latin, Cyrillic, …, or CJK
    start: int  # offset of its first letter
    end: int  # offset just after its last letter
    letters: int
    words: int  # alphabetic words; for CJK, the number of CJK characters

    @property
    def units(self) -> float:
        return float(self.letters) if self.cls == "CJK" else self.letters / LETTERS_PER_CJK


@dataclass(frozen=True)
class Profile:
    """What a piece of text is written in."""

    counts: Counter  # letters per script
    runs: tuple[Run, ...]

    @property
    def letters(self) -> int:
        return sum(self.counts.values())

    def units(self) -> dict[str, float]:
        """Comparable amount of text per script class."""
        out: dict[str, float] = {}
        for run in self.runs:
            out[run.cls] = out.get(run.cls, 0.0) + run.units
        return out

    def main_class(self) -> str | None:
        """The script class holding most of the running text, None when there are no letters.

        Terms count a quarter: one or two words of an alphabet between CJK text (names such as
        DeepSeek、Qwen), or one to three CJK characters between words of an alphabet.
        """
        units: dict[str, float] = {}
        for run in self.runs:
            term = run.words <= (3 if run.cls == "CJK" else 2) and len(self.runs) > 1
            units[run.cls] = units.get(run.cls, 0.0) + run.units * (0.25 if term else 1.0)
        return max(units, key=lambda c: (units[c], c)) if units else None

    def writing(self, cls: str | None = None) -> str | None:
        """The writing system of a class: `Chinese`, `Japanese`, `Korean`, or the alphabet."""
        cls = cls or self.main_class()
        if cls != "CJK":
            return cls
        han, kana, hangul = (self.counts[s] for s in ("Han", "Kana", "Hangul"))
        if hangul and hangul >= 0.3 * (han + kana + hangul):
            return "Korean"
        if kana and kana >= 0.05 * (han + kana):
            return "Japanese"
        return "Chinese"


def profile(text: str) -> Profile:
    """Letters per script and the runs of each script class, in order."""
    counts: Counter = Counter()
    runs: list[Run] = []
    cur: list | None = None  # [cls, start, end, letters, words]
    for i, ch in enumerate(text):
        script = char_script(ch)
        if script is None:
            if cur is not None and cur[0] != "CJK" and _cjk_punct(ch):
                runs.append(_finish(text, cur))  # 、 and 。 end a run of names or words
                cur = None
            continue
        counts[script] += 1
        cls = script_class(script)
        if cur is not None and cur[0] == cls:
            cur[2] = i + 1
            cur[3] += 1
        else:
            if cur is not None:
                runs.append(_finish(text, cur))
            cur = [cls, i, i + 1, 1]
    if cur is not None:
        runs.append(_finish(text, cur))
    return Profile(counts, tuple(runs))


def _cjk_punct(ch: str) -> bool:
    cp = ord(ch)
    return 0x3000 <= cp <= 0x303F or 0xFF01 <= cp <= 0xFF0F or 0xFF1A <= cp <= 0xFF20


def _finish(text: str, cur: list) -> Run:
    cls, start, end, letters = cur
    words = letters if cls == "CJK" else len(_WORD_RE.findall(text[start:end]))
    return Run(cls, start, end, letters, words)


def quoted(text: str, run: Run) -> bool:
    """True when the run sits inside quotation marks or brackets."""
    before = text[:run.start].rstrip()
    after = text[run.end:].lstrip()
    return bool(before) and before[-1] in _OPENERS and bool(after) and after[0] in _CLOSERS


def substantial(text: str, run: Run, host: str) -> bool:
    """A run long enough to be a pasted sentence in another language, not a quoted term.

    Ten CJK characters inside alphabetic text; eight words of an alphabet inside CJK text or
    another alphabet. Runs inside quotation marks or brackets are quotations.
    """
    if run.cls == host or quoted(text, run):
        return False
    if run.cls == "CJK":
        return run.letters >= 10
    return run.words >= 8


def mixed_shares(prof: Profile, text: str) -> list[tuple[str, float]]:
    """[(writing system, share)] when the text mixes languages, else [].

    Mixed means a substantial run in another script (see `substantial`): a list of names or a
    quoted term is not. Shares are of the text in comparable units, largest first.
    """
    units = prof.units()
    total = sum(units.values())
    host = prof.main_class()
    if host is None or len(units) < 2 or total == 0:
        return []
    if not any(substantial(text, r, host) for r in prof.runs):
        return []
    shares = sorted(((c, u / total) for c, u in units.items() if u / total >= 0.02),
                    key=lambda item: -item[1])
    return [(prof.writing(c) or c, share) for c, share in shares]


def writing_of_lang(tag: str) -> str | None:
    """The writing system a language tag is written in (`zh-Hant` → Chinese, `sr` → Cyrillic)."""
    return _ISO_CLASS.get(likely_script(tag) or "")


def lang_for(writing: str, langs: Sequence[str] | None) -> str | None:
    """The language a block in `writing` is tagged with: the first of `langs` written in it.

    Without `langs`, the default language of the writing system. Han without kana may be
    Japanese or Korean when `langs` has no Chinese. None when no listed language fits.
    """
    if not langs:
        return DEFAULT_LANG.get(writing)
    by_writing: dict[str, str] = {}
    for tag in langs:
        w = writing_of_lang(tag)
        if w and w not in by_writing:
            by_writing[w] = tag
    if writing in by_writing:
        return by_writing[writing]
    if writing == "Chinese":
        return by_writing.get("Japanese") or by_writing.get("Korean")
    return None


_ADDRESS_RE = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"'，。、）)]+|[\w.+-]+@[\w-]+\.[\w.-]+")


def detect_script_lang(text: str, langs: Sequence[str] | None = None
                       ) -> tuple[str | None, list[tuple[str, float]]]:
    """(language of the block, [(language, share)] if it mixes languages, else []).

    The language is None when the text has no letters or no language of `langs` is written in
    its script. In the mixed list, writing systems no listed language takes keep their name.
    Web and mail addresses are left out: they are Latin letters in every language (a short
    Chinese sentence with a link is still Chinese).
    """
    text = _ADDRESS_RE.sub(lambda m: " " * len(m.group()), text)
    prof = profile(text)
    writing = prof.writing()
    if writing is None:
        return None, []
    mixed = [(lang_for(w, langs) or w, share) for w, share in mixed_shares(prof, text)]
    return lang_for(writing, langs), mixed


def display_width(text: str) -> int:
    """Columns the text takes in a terminal: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
