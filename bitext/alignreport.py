"""What `check` says about alignment: block counts, groups that are not 1-1, weak pairings.

Pure: turns parsed entries into report lines and diagnostics; the CLI prints them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .align import unmatched_pins
from .assemble import ParsedEntry
from .errors import Diagnostics, count, display_path

LOW_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Note:
    """An informational `path:line: note: …` line (not a warning: merges are legitimate)."""

    text: str


def alignment_report(parsed: Sequence[ParsedEntry], diags: Diagnostics) -> list[Note]:
    """Per entry: block counts per language, each non 1-1 group, each low-confidence segment."""
    notes: list[Note] = []
    for item in parsed:
        entry = item.entry
        if len(entry.versions) < 2:
            continue
        counts = ", ".join(f"{lang} {len(item.docs[lang].blocks)}" for lang in entry.langs)
        notes.append(Note(f"{display_path(entry.path)}: note: blocks per language: {counts}; "
                          f"{count(len(item.segments), 'segment')} aligned to {entry.original}"))
        _pin_warnings(item, diags)
        for seg in item.segments:
            notes.extend(_group_notes(item, seg))
            if seg.confidence < LOW_CONFIDENCE and not seg.pinned:
                where = _where(item, seg, entry.original)
                lang, line = _first_other(item, seg)
                diags.warning(entry.version(lang).path, line,
                              f"{seg.id}: low alignment confidence {seg.confidence:.2f} ({where})",
                              hint="pin it with <!-- seg: NAME --> in both files if it is wrong")
    return notes


def _pin_warnings(item: ParsedEntry, diags: Diagnostics) -> None:
    """A named pin that anchors nothing is almost always a typo in its name."""
    blocks = {lang: doc.blocks for lang, doc in item.docs.items()}
    for lang, index in unmatched_pins(blocks, item.entry.original):
        block = blocks[lang][index]
        diags.warning(item.entry.version(lang).path, block.line,
                      f"alignment pin `{block.pin}` has no partner",
                      hint="the same <!-- seg: NAME --> must appear once, in the same order, in "
                      "the original and the translation")


def _group_notes(item: ParsedEntry, seg) -> list[Note]:
    original = item.entry.original
    notes = []
    for lang in item.entry.langs:
        if lang == original:
            continue
        shape = seg.shape(original, lang)
        if shape not in ("1-1", "0-0"):  # 0-0: a row of a third language only, none of this pair
            path, line = _location(item, seg, lang) or _location(item, seg, original)
            notes.append(Note(f"{display_path(path)}:{line}: note: {seg.id} is {shape} "
                              f"({original}-{lang}): {_where(item, seg, original, lang)}"))
    return notes


def _location(item: ParsedEntry, seg, lang: str):
    indices = seg.blocks.get(lang, ())
    if not indices:
        return None
    return item.entry.version(lang).path, item.docs[lang].blocks[indices[0]].line


def _first_other(item: ParsedEntry, seg) -> tuple[str, int | None]:
    for lang in item.entry.langs:
        if lang != item.entry.original and seg.blocks.get(lang):
            return lang, item.docs[lang].blocks[seg.blocks[lang][0]].line
    original = item.entry.original
    indices = seg.blocks.get(original, ())
    return original, item.docs[original].blocks[indices[0]].line if indices else None


def _where(item: ParsedEntry, seg, *langs: str) -> str:
    """`en.md:12-14 ↔ zh.md:10`: the lines each language's part of a segment spans."""
    parts = []
    for lang in langs or item.entry.langs:
        indices = seg.blocks.get(lang, ())
        name = item.entry.version(lang).path.name
        if not indices:
            parts.append(f"{name}: nothing")
            continue
        blocks = item.docs[lang].blocks
        first, last = blocks[indices[0]].line, blocks[indices[-1]].end_line
        parts.append(f"{name}:{first}" + (f"-{last}" if last != first else ""))
    return " ↔ ".join(parts)
