"""`build.py import`: split a raw pasted bilingual text into `content/SLUG/<lang>.md` files.

The text is interleaved (a paragraph, its translation, the next paragraph, …) or sequential
(all of one language, then all of the other). Each block's language is read from its script
(see `scripts`); known debris (page chrome, separator lines, share and subscribe prompts, audio
player text, links, …) is dropped and every dropped line is reported with its line number.

Pure core, thin I/O: `rawtext` cuts the text into blocks and finds the debris; here
`classify_layout` and `plan_import` decide each block's language and file without touching
files; `write_import` writes, and `run_import` reads, plans, writes and reports.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import answers
from .content import SLUG_RE, normalize_lang
from .errors import Diagnostic, Diagnostics, SiteError, SourceLocation, count, display_path
from .rawtext import (
    BYLINE_RE,
    CLOSE,
    HEADING_RE,
    MARKER_RE,
    TAIL_FRACTION,
    Dropped,
    RawBlock,
    decode_text,
    find_debris,
    is_separator,
    make_block,
    norm,
    restore_chinese_punctuation,
    split_blocks,
)
from .scripts import (
    DEFAULT_LANG,
    detect_script_lang,
    display_width,
    lang_for,
    mixed_shares,
    profile,
    substantial,
    writing_of_lang,
)

LAYOUTS = ("auto", "interleaved", "sequential")

__all__ = [
    "LAYOUTS", "Dropped", "ImportBlock", "ImportPlan", "ImportReport", "RawBlock",
    "classify_layout", "detect_script_lang", "find_debris", "plan_import", "run_import",
    "split_blocks", "write_import",
]


# --------------------------------------------------------------------------- plan

@dataclass(frozen=True)
class ImportBlock:
    """One block of a language file: its source line, text, and heading level (0: paragraph)."""

    line: int
    text: str
    lang: str
    heading: int = 0

    def markdown(self) -> str:
        if self.heading:
            return f"{'#' * self.heading} {self.text}"
        # `•` and its kin are no Markdown list markers: written as `-`, pasted bullets make a
        # list (one list of items, not a paragraph each starting with a dot).
        return _GLYPH_BULLET_RE.sub("- ", self.text)


_GLYPH_BULLET_RE = re.compile(r"^[•·▪●][ \t]+", re.MULTILINE)


@dataclass
class ImportPlan:
    """Everything `write_import` needs, and everything the user is told; computed purely."""

    path: Path
    layout: str  # interleaved | sequential
    layout_detected: bool
    langs: list[str]  # file order; the first file gets the entry-wide fields
    blocks: dict[str, list[ImportBlock]]
    titles: dict[str, tuple[str, int]]  # lang → (guessed title, line)
    fields: dict[str, tuple[str, int]]  # entry-wide front matter: key → (value, line)
    dropped: list[Dropped]
    notes: list[str]  # what the importer did besides dropping lines
    diagnostics: list[Diagnostic]

    def counts(self) -> dict[str, int]:
        return {lang: len(self.blocks.get(lang, [])) for lang in self.langs}

    def render(self, lang: str) -> str:
        """The text of `<lang>.md`: front matter to complete, then the blocks."""
        first = lang == self.langs[0]
        title = self.titles.get(lang)
        if title:
            head = [f"title: {_yaml_str(title[0])}  # TODO: guessed from line {title[1]}; check it"]
        else:
            head = ['title: ""  # TODO: the title in this language']
        if first:
            for key in ("date", "author", "source"):
                if key in self.fields:
                    value, line = self.fields[key]
                    text = value if key == "date" else _yaml_str(value)
                    head.append(f"{key}: {text}  # from line {line}")
            if "date" not in self.fields:
                head.append("# date: YYYY-MM-DD")
            if "author" not in self.fields:
                head.append("# author: …")
        else:
            head.append("# translator: …")
        head.append("draft: true")
        body = "\n\n".join(b.markdown() for b in self.blocks.get(lang, []))
        return "---\n" + "\n".join(head) + "\n---\n\n" + body + "\n"


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass
class _Blk:
    """A block being planned."""

    line: int
    text: str
    pos: float  # position in the document, for keeping streams in order
    writing: str | None = None  # Chinese, Japanese, Latin, …
    lang: str | None = None
    heading: int = 0

    @property
    def key(self) -> str:
        return self.lang or self.writing or "?"


def classify_layout(blocks: Sequence[object]) -> str:
    """`interleaved` when the two main languages alternate, else `sequential`.

    Takes blocks with a `lang` attribute (or plain language tags), in document order. The text
    is sequential when its blocks come in runs of three or more of one language on average.
    """
    keys = [k for k in (getattr(b, "lang", b) for b in blocks) if isinstance(k, str) and k]
    counts = Counter(keys)
    if len(counts) < 2:
        return "sequential"
    main = {k for k, _ in counts.most_common(2)}
    seq = [k for k in keys if k in main]
    runs = 1 + sum(a != b for a, b in zip(seq, seq[1:], strict=False))
    return "sequential" if len(seq) / runs >= 3 else "interleaved"


def plan_import(text: str, path: Path, langs: Sequence[str] | None = None,
                layout: str = "auto", punctuation: bool = True) -> ImportPlan:
    """Split a decoded text into per-language blocks; raises SiteError on located errors.

    `langs` are already-validated language tags (or None to name languages by their script).
    `punctuation`: put flattened Chinese punctuation back to full width (see `rawtext`).
    """
    diags = Diagnostics()
    if layout not in LAYOUTS:
        raise SiteError([Diagnostic("error", SourceLocation(path), f"unknown layout {layout!r}",
                                    "use auto, interleaved or sequential")])
    if not text.strip():
        raise SiteError([Diagnostic("error", SourceLocation(path, 1), "the file is empty",
                                    "paste the text to import into it")])
    all_lines = list(enumerate(text.split("\n"), start=1))
    debris = find_debris([(n, t) for n, t in all_lines if t.strip()])
    dropped = dict(debris.dropped)
    separators = {n for n, t in all_lines if t.strip() and is_separator(t)}
    for n in separators:
        dropped[n] = "separator line"
    notes: list[str] = []
    fields: dict[str, tuple[str, int]] = {}

    # Source link: a labelled one anywhere, else a bare link near the end.
    content_lines = [n for n, t in all_lines if t.strip()]
    tail_start = content_lines[int(len(content_lines) * TAIL_FRACTION)] if content_lines else 0
    labelled = [s for s in debris.sources if s[2]]
    late = [s for s in debris.sources if s[0] >= tail_start]
    chosen = labelled[0] if labelled else (late[-1] if late else None)
    if chosen:
        fields["source"] = (chosen[1], chosen[0])
        dropped[chosen[0]] = "source link (→ `source:` in the front matter)"

    # Blocks without the debris lines; a dropped line inside a block splits it. Echoed
    # titles are found first, while the lines they echo are still there.
    raw: list[RawBlock] = []
    for block in _drop_duplicates(split_blocks(text), dropped):
        part: list[tuple[int, str]] = []
        for number, line in block.lines:
            if number in dropped:
                if part:
                    raw.append(make_block(part))
                part = []
            else:
                part.append((number, line))
        if part:
            raw.append(make_block(part))
    blks: list[_Blk] = []
    for i, block in enumerate(raw):
        byline = BYLINE_RE.match(block.text) if len(block.lines) == 1 else None
        if byline and "author" not in fields:
            fields["author"] = (byline.group("author"), block.line)
            date = _byline_date(byline)
            if date:
                fields["date"] = (date, block.line)
            dropped[block.line] = "byline (→ `author:`/`date:` in the front matter)"
            continue
        heading = HEADING_RE.match(block.text)
        if heading:
            blks.append(_Blk(block.line, heading.group(2), float(i),
                             heading=len(heading.group(1))))
        else:
            blks.append(_Blk(block.line, block.text, float(i)))

    if not blks:
        raise SiteError([Diagnostic(
            "error", SourceLocation(path, 1),
            f"no text left after dropping {len(dropped)} debris lines (" + ", ".join(
                f"{n}× {reason}" for reason, n in Counter(dropped.values()).most_common(3))
            + ")", "is this the right file? it seems to hold only page chrome")])

    _detect(blks, langs)
    detected = classify_layout(blks)
    chosen_layout = detected if layout == "auto" else layout
    if layout != "auto" and layout != detected and len({b.key for b in blks}) > 1:
        diags.warning(path, None, f"--layout {layout} given, but the text looks {detected}",
                      hint=f"try --layout {detected} if the result looks wrong")

    streams: dict[str, list[_Blk]] = {}
    if chosen_layout == "sequential":
        _route_sequential(blks, streams, path, diags)
    else:
        _route_interleaved(blks, streams, langs, path, diags)

    # Every stream must be a language the user listed (or, without --langs, has a tag).
    for key in list(streams):
        if (key in langs) if langs else (key in DEFAULT_LANG.values()):
            continue
        stray = streams.pop(key)
        fix = DEFAULT_LANG.get(stray[0].writing or "", "its language")
        listed = ",".join(langs or [])
        where = _numbers([b.line for b in stray[:10]]) + (", …" if len(stray) > 10 else "")
        diags.error(path, stray[0].line, f"{len(stray)} block(s) written in {key} (lines "
                    f"{where}), but no language of --langs {listed} is",
                    hint=f"add its language to --langs, e.g. --langs {listed},{fix}")
    if diags.has_errors():
        raise SiteError(sorted(diags.errors, key=Diagnostic.sort_key))

    order = list(langs) if langs else []
    order += [k for k in sorted(streams, key=lambda k: streams[k][0].pos) if k not in order]
    for lang in order:
        if lang not in streams:
            diags.warning(path, None, f"no {lang} text found; {lang}.md is not written",
                          hint="check --langs, or add that file by hand")
    order = [lang for lang in order if lang in streams]
    if len(order) == 1:
        diags.warning(path, None, f"only {order[0]} text was found; a bilingual entry needs a "
                      "second language", hint="add the other language's file later, or check "
                      "that the translation was pasted")

    titles: dict[str, tuple[str, int]] = {}
    blocks: dict[str, list[ImportBlock]] = {}
    for lang in order:
        stream = sorted(streams[lang], key=lambda b: b.pos)
        first = stream[0]
        if len(stream) > 1 and (first.heading == 1 or not first.heading
                                and _heading_like(first.text, cjk=40, words=16)):
            titles[lang] = (first.text, first.line)
            notes.append(f"line {first.line}: used as the {lang} title")
            stream = stream[1:]
        likely = [not b.heading and _heading_like(b.text, cjk=30, words=12) for b in stream]
        for i, b in enumerate(stream):
            numbered = bool(re.match(r"^\d{1,3}[.)]", b.text))
            # Consecutive short numbered lines are a list, not headings.
            in_list = numbered and any(
                likely[j] and re.match(r"^\d{1,3}[.)]", stream[j].text)
                for j in (i - 1, i + 1) if 0 <= j < len(stream))
            if likely[i] and not in_list:
                b.heading = 2
        blocks[lang] = [ImportBlock(b.line, b.text, lang, b.heading) for b in stream]
    if punctuation:
        _restore_punctuation(blocks, titles, notes)
    counts = {lang: len(blocks[lang]) for lang in order}
    if len(order) >= 2:
        low, high = min(counts.values()), max(counts.values())
        if high > 1.25 * low + 2:
            notes.append("block counts differ a lot (" + ", ".join(
                f"{lang} {n}" for lang, n in counts.items()) + "): a summary, notes or "
                "untranslated parts without counterpart? the alignment will show them")
    return ImportPlan(
        path=path, layout=chosen_layout, layout_detected=layout == "auto", langs=order,
        blocks=blocks, titles=titles, fields=fields,
        dropped=[Dropped(n, t.strip(), dropped[n]) for n, t in all_lines if n in dropped],
        notes=notes, diagnostics=diags.sorted())


def _restore_punctuation(blocks: dict[str, list[ImportBlock]],
                         titles: dict[str, tuple[str, int]], notes: list[str]) -> None:
    """Full-width punctuation back in the Chinese files, with a note saying how much."""
    for lang, items in blocks.items():
        if writing_of_lang(lang) != "Chinese":
            continue
        total = 0
        for k, block in enumerate(items):
            text, n = restore_chinese_punctuation(block.text)
            items[k], total = replace(block, text=text), total + n
        if lang in titles:
            title, n = restore_chinese_punctuation(titles[lang][0])
            titles[lang], total = (title, titles[lang][1]), total + n
        if total:
            notes.append(f"{lang}: {total} ASCII punctuation marks next to Chinese text put "
                         "back to full width (，：；？！（）); --keep-punctuation skips this")


def _drop_duplicates(blocks: list[RawBlock], dropped: dict[int, str]) -> list[RawBlock]:
    """Drop a block that repeats the previous one, or that the next block starts or ends with.

    Scraped pages echo titles: the same heading twice, or a truncated copy of the next line.
    Only blocks of at least 20 characters (and 3 words or 10 CJK characters) are compared.
    """
    keep: list[RawBlock] = []
    for i, block in enumerate(blocks):
        key = norm(block.text)
        prev = norm(keep[-1].text) if keep else None
        nxt = norm(blocks[i + 1].text) if i + 1 < len(blocks) else ""
        big = len(key) >= 20 and (len(key.split()) >= 3 or profile(key).counts["Han"] >= 10)
        if key and key == prev:
            for n, _ in block.lines:
                dropped.setdefault(n, f"repeats line {keep[-1].line}")
            continue
        if big and len(nxt) > len(key) and (nxt.startswith(key) or nxt.endswith(key)):
            for n, _ in block.lines:
                dropped.setdefault(n, f"repeated in line {blocks[i + 1].line}")
            continue
        keep.append(block)
    return keep


def _byline_date(m: re.Match) -> str | None:
    if m.group("iso"):
        return m.group("iso")
    month = m.group("month").lower()[:3]
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    day, year = int(m.group("day")), int(m.group("year"))
    if month in names and 1 <= day <= 31:
        return f"{year:04d}-{names.index(month) + 1:02d}-{day:02d}"
    return None


def _detect(blks: list[_Blk], langs: Sequence[str] | None) -> None:
    """Tag each block with its writing system and language.

    Han without kana next to Japanese text is Japanese (headings like 影響分析) when the text has
    no Chinese paragraphs, or the block is short and a neighbour is Japanese.
    """
    for b in blks:
        b.writing = profile(b.text).writing()
    has_ja = any(b.writing == "Japanese" for b in blks)
    long_zh = sum(1 for b in blks if b.writing == "Chinese" and profile(b.text).counts["Han"] >= 20)
    for i, b in enumerate(blks):
        if b.writing == "Chinese" and has_ja:
            near = {blks[j].writing for j in (i - 1, i + 1) if 0 <= j < len(blks)}
            short = profile(b.text).counts["Han"] < 20
            if long_zh == 0 or (short and "Japanese" in near):
                b.writing = "Japanese"
        b.lang = lang_for(b.writing, langs) if b.writing else None


def _route_sequential(blks: list[_Blk], streams: dict[str, list[_Blk]], path: Path,
                      diags: Diagnostics) -> None:
    """All of one language, then all of the other: a few blocks of another language inside a
    section (an untranslated paragraph, a quotation) stay in that section's file."""
    runs: list[list[_Blk]] = []
    for b in blks:
        if runs and runs[-1][0].key == b.key:
            runs[-1].append(b)
        else:
            runs.append([b])
    changed = True
    while changed:
        changed = False
        for i in range(1, len(runs) - 1):
            before, island, after = runs[i - 1], runs[i], runs[i + 1]
            if (before[0].key == after[0].key and len(island) <= 3
                    and 4 * len(island) <= len(before) + len(after)):
                host = before[0].key
                lines = f"line {island[0].line}" if len(island) == 1 else \
                    f"lines {island[0].line}–{island[-1].line}"
                diags.warning(path, island[0].line,
                              f"{len(island)} {island[0].key} block(s) ({lines}) inside the "
                              f"{host} section; kept in {host}.md",
                              hint="an untranslated passage or a quotation? move it if it "
                              f"belongs to the {island[0].key} text")
                for b in island:
                    b.lang = host
                runs[i - 1:i + 2] = [before + island + after]
                changed = True
                break
    seen: set[str] = set()
    for run in runs:
        key = run[0].key
        if key in seen:
            diags.warning(path, run[0].line, f"{key} text resumes here after another "
                          f"language's section; appended to {key}.md",
                          hint="a footer or a second part? check the end of the file")
        seen.add(key)
        streams.setdefault(key, []).extend(run)
    for b in blks:
        _mixed_warning(b, path, diags)


def _route_interleaved(blks: list[_Blk], streams: dict[str, list[_Blk]],
                       langs: Sequence[str] | None, path: Path, diags: Diagnostics) -> None:
    """Each block goes to its language; a block ending with a pasted run of the other language
    has that run split off, or dropped when it repeats the next block of that language."""
    extra: list[_Blk] = []
    for i, b in enumerate(blks):
        prof = profile(b.text)
        mixed = mixed_shares(prof, b.text)
        if not mixed:
            continue
        host = prof.main_class()
        last = prof.runs[-1]
        action = ""
        if last.cls != host and substantial(b.text, last, host):
            head, tail = _split_tail(b.text, last.start)
            tail_writing = profile(tail).writing()
            tail_lang = lang_for(tail_writing, langs) if tail_writing else None
            nxt = next((o for o in blks[i + 1:] if o.lang == tail_lang), None)
            if tail_lang and head:
                ends = head.rstrip()[-1:] in ".!?。！？…\"”’)"
                cut = "" if ends else f" (the {b.key} text before it now ends mid-sentence)"
                if nxt and _repeats(tail, nxt.text):
                    action = (f"; dropped its trailing {tail_lang} text, which repeats the "
                              f"{tail_lang} block at line {nxt.line}{cut}")
                else:
                    extra.append(_Blk(b.line, tail, b.pos + 0.5, tail_writing, tail_lang))
                    action = (f"; moved its trailing {tail_lang} text into {tail_lang}.md as "
                              f"a block of its own{cut}")
                b.text = head
        _mixed_warning(b, path, diags, mixed, action)
    for b in sorted(blks + extra, key=lambda b: b.pos):
        streams.setdefault(b.key, []).append(b)


def _split_tail(text: str, start: int) -> tuple[str, str]:
    """Cut a trailing foreign run off, at the sentence boundary before it when it starts with
    a few words of the host script ("… the idea is clear. Ego和职业晋升…")."""
    before = text[:start]
    ends = list(re.finditer(r"[.!?。！？][\"'”’)\]]*\s+", before))
    if ends:
        lead = before[ends[-1].end():]
        if len(lead.split()) <= 3:
            start = ends[-1].end()
    return text[:start].rstrip(), text[start:].strip()


def _repeats(tail: str, other: str) -> bool:
    """True when most character pairs of `tail` occur in `other` (a pasted duplicate)."""
    a, b = _bigrams(tail), _bigrams(other)
    return bool(a) and len(a & b) / len(a) >= 0.6


def _bigrams(text: str) -> set[str]:
    s = "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())
    return {s[i:i + 2] for i in range(len(s) - 1)}


def _mixed_warning(b: _Blk, path: Path, diags: Diagnostics,
                   mixed: list | None = None, action: str = "") -> None:
    if mixed is None:
        prof = profile(b.text)
        mixed = mixed_shares(prof, b.text)
    if not mixed:
        return
    names = [f"{_lang_name(w, b)} ({round(share * 100)}%)" for w, share in mixed]
    listed = ", ".join(names[:-1]) + " and " + names[-1]
    diags.warning(path, b.line, f"block mixes {listed}{action}",
                  hint=None if action else "a pasted sentence of the other language? "
                  "move it to its own paragraph")


def _lang_name(writing: str, b: _Blk) -> str:
    if writing == b.writing and b.lang:
        return b.lang
    return DEFAULT_LANG.get(writing, writing)


_END_PUNCT = ".,;:!?。，、；：！？…‥·"


def _heading_like(text: str, *, cjk: int, words: int) -> bool:
    """A short line without final punctuation: a title or section heading."""
    t = text.strip()
    if not t or "\n" in t or (MARKER_RE.match(t) and not re.match(r"^\d", t)):
        return False
    stripped = t.rstrip(CLOSE)
    if stripped[-1:] in _END_PUNCT or (stripped != t and not stripped):
        return False
    prof = profile(t)
    if prof.letters == 0:
        return False
    if prof.main_class() == "CJK":
        han = prof.counts["Han"] + prof.counts["Kana"] + prof.counts["Hangul"]
        return han <= cjk and display_width(t) <= 2 * cjk + 20
    first = t[0]
    return (len(t.split()) <= words and len(t) <= 100
            and (first.isupper() or first.isdigit() or not first.isalpha()
                 or first.lower() == first.upper()))


# --------------------------------------------------------------------------- I/O

@dataclass
class ImportReport:
    """What `run_import` did: the plan, the files written, and what to tell the user."""

    plan: ImportPlan
    folder: Path
    written: list[Path] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary to print: blocks per language, dropped lines, what was moved."""
        plan = self.plan
        how = "detected" if plan.layout_detected else "as asked"
        out = [f"imported {plan.path.name} ({plan.layout}, {how}) into "
               f"{display_path(self.folder)}/"]
        for lang in plan.langs:
            title = plan.titles.get(lang)
            state = f"title guessed from line {title[1]}" if title else "title to fill in"
            out.append(f"  {lang}.md: {count(len(plan.blocks[lang]), 'block')}, {state}")
        for key, (value, line) in plan.fields.items():
            out.append(f"  {key}: {value} (line {line})")
        if plan.dropped:
            out.append(f"  dropped {count(len(plan.dropped), 'line')}:")
        seps = [d.line for d in plan.dropped if d.reason == "separator line"]
        if seps:
            out.append(f"    separator lines ({len(seps)}): {_numbers(seps)}")
        for d in plan.dropped:
            if d.reason != "separator line":
                out.append(f"    line {d.line}: {d.reason}: {_clip(d.text)}")
        out.extend(f"  {note}" for note in plan.notes)
        mixed = sum(1 for d in self.diagnostics if "block mixes" in d.message)
        if mixed:
            out.append(f"  {mixed} block(s) mix languages (see the warnings above)")
        out.append("  next: fill in the TODOs in the front matter, then run "
                   "`python build.py check`")
        return out


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


LONG_DEBRIS = 300  # characters: longer than any menu, byline or player text seen


def check_slug(slug: str, content_dir: Path) -> None:
    if not SLUG_RE.match(slug):
        raise SiteError([Diagnostic(
            "error", SourceLocation(content_dir / slug), f"invalid slug {slug!r}",
            "use lowercase ASCII letters, digits and hyphens, e.g. notes-from-china")])


def _existing(folder: Path) -> bool:
    return folder.exists() and (not folder.is_dir() or any(folder.iterdir()))


def write_import(plan: ImportPlan, content_dir: Path, slug: str, force: bool) -> list[Path]:
    """Write `content_dir/slug/<lang>.md` for each language; never overwrites without `force`.

    Files are written whole (a temporary file renamed into place). With `force`, the files
    the plan writes are replaced and other files in the folder are left alone.
    """
    check_slug(slug, content_dir)
    folder = content_dir / slug
    if folder.exists() and not folder.is_dir():
        raise SiteError([Diagnostic("error", SourceLocation(folder),
                                    "exists and is not a folder", "choose another --slug")])
    if _existing(folder) and not force:
        raise SiteError([Diagnostic(
            "error", SourceLocation(folder), "entry already exists; nothing was written",
            "pass --force to overwrite it, or choose another --slug")])
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in plan.langs:
        target = folder / f"{lang}.md"
        fd, tmp = tempfile.mkstemp(prefix=f".{lang}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(plan.render(lang))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    return written


def check_langs(langs: Sequence[str] | None, path: Path) -> list[str] | None:
    """The --langs tags in canonical form; a SiteError names each one that is not a tag."""
    if langs is None:
        return None
    given = [t.strip() for t in langs if t.strip()]
    diags = Diagnostics()
    out: list[str] = []
    for tag in given:
        canonical = normalize_lang(tag)
        if canonical is None:
            diags.error(path, None, f"--langs: {tag!r} is not a language tag",
                        hint="use BCP 47 tags such as en, zh, zh-Hant, ja, ko, ru")
        elif answers.preferred(canonical):
            diags.error(path, None, f"--langs: `{canonical}` is an old or long code; use "
                        f"`{answers.preferred(canonical)}`")
        elif canonical in out:
            diags.error(path, None, f"--langs: {canonical} is listed twice")
        elif writing_of_lang(canonical) is None:
            diags.error(path, None, f"--langs: cannot tell which script {canonical} is "
                        "written in", hint="add a script subtag, e.g. sr-Latn")
        else:
            out.append(canonical)
    if not given:
        diags.error(path, None, "--langs is empty", hint="list language tags such as en,zh")
    if diags.has_errors():
        raise SiteError(diags.items)
    return out


def run_import(path: Path, slug: str, content_dir: Path, langs: list[str] | None, layout: str,
               force: bool, punctuation: bool = True) -> ImportReport:
    """Read `path`, split it into languages, write `content_dir/slug/<lang>.md`, report.

    Every problem is raised as a SiteError with located diagnostics: unreadable or non-UTF-8
    file, empty text, invalid slug or --langs, unknown layout, existing entry without `force`.
    """
    if layout not in LAYOUTS:
        raise SiteError([Diagnostic("error", SourceLocation(path), f"unknown layout {layout!r}",
                                    "use auto, interleaved or sequential")])
    checked = check_langs(langs, path)
    check_slug(slug, content_dir)
    folder = content_dir / slug
    if _existing(folder) and not force:
        raise SiteError([Diagnostic(
            "error", SourceLocation(folder), "entry already exists; nothing was written",
            "pass --force to overwrite it, or choose another --slug")])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SiteError([Diagnostic("error", SourceLocation(path),
                                    f"cannot read file: {exc.strerror or exc}")]) from None
    plan = plan_import(decode_text(data, path), path, checked, layout, punctuation)
    diagnostics = list(plan.diagnostics)
    # Chrome is short: a long line dropped as chrome may be text pasted after a site's menu.
    diagnostics += [Diagnostic("warning", SourceLocation(path, d.line),
                               f"dropped as {d.reason}, but {len(d.text):,} characters long",
                               "check that no text was lost; put it on a line of its own")
                    for d in plan.dropped if len(d.text) > LONG_DEBRIS]
    if force and folder.is_dir():
        for other in sorted(folder.glob("*.md")):
            if other.stem not in plan.langs:
                diagnostics.append(Diagnostic(
                    "warning", SourceLocation(other), "left as it was: --force replaces only "
                    "the files the import writes", "delete it if it belongs to the old entry"))
    try:
        written = write_import(plan, content_dir, slug, force)
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else folder
        raise SiteError([Diagnostic("error", SourceLocation(where),
                                    f"cannot write the entry: {exc.strerror or exc}")]) from None
    return ImportReport(plan, folder, written, diagnostics)
