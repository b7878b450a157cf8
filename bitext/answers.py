"""What the generator asks slow libraries, answered once and remembered: langcodes about
language tags, Babel about dates in a language, Pygments about code colours.

Importing langcodes compiles a pattern of every registered subtag (~20 ms, a seventh of a build of
a small site with nothing to do); Babel takes ~10 ms to import and ~20 ms to load its first
locales; Pygments ~20 ms to import its styles. A site asks each a handful of questions, again and
again. So every answer is kept in `ANSWERS`, which the build cache stores (`answers.bin`, read by
`pipeline.recall_answers` before the settings, keyed by the code key, which changes with any
installed package): a build that finds all its answers there imports none of them. Each answer
is a pure function of its question, like the lru_caches these replace.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class Answers:
    """Answers by (question, tag); `fresh` once one had to be worked out (worth saving)."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, str], Any] = {}
        self.fresh = False

    def ask(self, question: str, tag: str, work_out: Callable[[str], Any]) -> Any:
        key = (question, tag)
        try:
            return self.known[key]
        except KeyError:
            value = self.known[key] = work_out(tag)
            self.fresh = True
            return value

    def news(self) -> dict[tuple[str, str], Any] | None:
        """Every answer, if some were worked out since the last call (to be saved); else None."""
        if not self.fresh:
            return None
        self.fresh = False
        return dict(self.known)

    def recall(self, known: Mapping[tuple[str, str], Any]) -> None:
        """Take answers a previous run saved (never replacing one worked out here)."""
        for key, value in known.items():
            self.known.setdefault(key, value)


ANSWERS = Answers()  # one per process (workers inherit it)


def registered(tag: str) -> bool:
    """Every subtag of a well-formed tag is in the registry and its language is a real one."""
    return ANSWERS.ask("registered", tag, _registered)


def autonym(tag: str) -> str:
    """The language's name for itself, capitalised (English, 中文, 日本語); the tag if unknown."""
    return ANSWERS.ask("autonym", tag, _autonym)


def likely_script(tag: str) -> str | None:
    """The ISO 15924 script a tag is written in, given (`az-Arab`) or likely (`fa` → Arab)."""
    return ANSWERS.ask("script", tag, _likely_script)


def og_locale(tag: str) -> str:
    """Open Graph's `language_TERRITORY` form: en → en_US, zh → zh_CN, zh-Hant → zh_TW."""
    return ANSWERS.ask("og_locale", tag, _og_locale)


def long_date(iso: str, lang: str) -> str:
    """An ISO date (`2026-05-07`) as the language writes it in full: May 7, 2026 · 2026年5月7日."""
    return ANSWERS.ask("long_date", f"{lang} {iso}", _long_date)


def code_css(light: str, dark: str) -> str:
    """The stylesheet of code colours for these Pygments styles (`markup.pygments_css`)."""
    return ANSWERS.ask("code_css", f"{light} {dark}", _code_css)


def preferred(tag: str) -> str | None:
    """The tag readers' software expects for a deprecated or three-letter code that has a
    shorter one (`iw` → `he`, `eng` → `en`, `zh-cmn` → `zh`); None when `tag` is already it."""
    return ANSWERS.ask("preferred", tag, _preferred)


def _preferred(tag: str) -> str | None:
    import langcodes

    try:
        standard = langcodes.standardize_tag(tag)
    except (ValueError, LookupError):
        return None
    language, better = tag.split("-")[0].lower(), standard.split("-")[0]
    # Only a change of language subtag to an equal or shorter one: `tl` → `fil` is CLDR's taste,
    # not a deprecation, and `zh-TW` stays as written.
    if better == language or len(better) > len(language):
        return None
    return standard


def _registered(tag: str) -> bool:
    import langcodes

    if not langcodes.tag_is_valid(tag):
        return False
    return langcodes.Language.get(tag.split("-")[0].lower()).is_valid() is not False


def _autonym(tag: str) -> str:
    import langcodes

    name = langcodes.Language.get(tag).autonym()
    return name[:1].upper() + name[1:] if name else tag


def _likely_script(tag: str) -> str | None:
    import langcodes

    try:
        return langcodes.Language.get(tag).maximize().script
    except (ValueError, LookupError):
        return None


def _og_locale(tag: str) -> str:
    import langcodes

    likely = langcodes.Language.get(tag).maximize()
    return f"{likely.language}_{likely.territory}" if likely.territory else likely.language


def _long_date(question: str) -> str:
    import datetime as dt

    from babel.core import Locale, UnknownLocaleError
    from babel.dates import format_date

    lang, iso = question.split(" ", 1)
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale("en")
    return format_date(dt.date.fromisoformat(iso), "long", locale=locale)


def _code_css(question: str) -> str:
    from .markup import pygments_css

    light, dark = question.split(" ")
    return pygments_css(light, dark)
