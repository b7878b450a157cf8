"""The build as a script of stages: config → content → markup → align → assemble → render → output.

`build()` runs them through a `BuildSession` (session.py), which skips what its cache says is
unchanged and spreads the per-entry work over every core (workers.py).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .config import SiteConfig
from .content import Entry, EntrySource, LinkTargets, discover, make_entry, read_version
from .errors import Diagnostics

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

    from .assemble import ParsedEntry
    from .markup import Highlighter, Link
    from .output import PublishReport


@dataclass
class BuildReport:
    """What a build did, for the one summary line the command prints."""

    entries: int = 0
    pages: int = 0
    languages: int = 0
    seconds: float = 0.0
    published: PublishReport | None = None
    parsed: list[ParsedEntry] = field(default_factory=list)  # filled when `write` is False
    rendered: int = 0  # pages rendered this time (the others were up to date)
    found: int = 0  # entry folders found, those that fail to read included
    written: tuple = ()  # output paths written or removed, for live reload


@dataclass
class Parsers:
    """One Markdown parser per language (heading ids carry the language), made on first use."""

    by_lang: dict[str, MarkdownIt] = field(default_factory=dict)
    highlighter: Highlighter = field(default_factory=lambda: _markup().Highlighter())

    def __call__(self, lang: str) -> MarkdownIt:
        if lang not in self.by_lang:
            self.by_lang[lang] = _markup().make_markdown(lang, self.highlighter)
        return self.by_lang[lang]


def _markup():
    from . import markup  # here: builds with nothing to parse import this module too

    return markup


def load_entries(config: SiteConfig, diags: Diagnostics,
                 parsers: Parsers | None = None) -> list[ParsedEntry]:
    """Discover, read, parse and align every entry, and check their links; problems go to
    `diags`."""
    parsers = parsers or Parsers()
    parsed = [item for source in discover(config.content_dir, diags)
              if (item := parse_entry(source, config, parsers, diags))]
    targets = link_targets(config, [item.entry for item in parsed])
    for item in parsed:
        check_links(entry_links(item), item.entry.path, targets, diags)
    return parsed


def parse_entry(source: EntrySource, config: SiteConfig, parsers: Parsers,
                diags: Diagnostics) -> ParsedEntry | None:
    """One entry, from its files to its aligned documents."""
    from .align import align
    from .assemble import ParsedEntry
    from .markup import to_document

    versions = [v for lang, path in source.files if (v := read_version(lang, path, diags))]
    if len(versions) < len(source.files):
        return None
    entry = make_entry(source, versions, list(config.languages), diags)
    if entry is None:
        return None
    docs = {v.lang: to_document(parsers(v.lang), v.body, v.body_line, v.lang)
            for v in entry.versions}
    segments = align({lang: doc.blocks for lang, doc in docs.items()}, entry.original)
    return ParsedEntry(entry, docs, segments)


def entry_links(item: ParsedEntry) -> tuple[tuple[Path, Link], ...]:
    """Every URL an entry's files hold (and the parse's notes), with the file each is in: its
    links are checked against the whole site (`check_links`), apart from its parse."""
    return tuple((v.path, link) for v in item.entry.versions for link in item.docs[v.lang].links())


def link_targets(config: SiteConfig, entries: Iterable[Entry]) -> LinkTargets:
    """What this build's links can lead to: the drafts it leaves out are not among them."""
    drafts = frozenset() if config.drafts else frozenset(e.slug for e in entries if e.draft)
    return LinkTargets(config.content_dir, config.static_dir, drafts)


def check_links(links: Iterable[tuple[Path, Link]], entry_dir: Path, targets: LinkTargets,
                diags: Diagnostics) -> None:
    """Relative links and images must stay inside the content folder; a missing target (a
    file, an entry, a draft left out) warns. A draft left out may link to others: none of
    them is published."""
    if entry_dir.name in targets.drafts:
        targets = replace(targets, drafts=frozenset())
    for path, link in links:
        problem = link.problem(entry_dir, targets)
        if problem:
            severity, message = problem
            getattr(diags, severity)(path, link.line, message)


def block_count_warnings(parsed: list[ParsedEntry], diags: Diagnostics) -> None:
    """`check` tells the writer where languages have different numbers of blocks."""
    for item in parsed:
        counts = {lang: len(doc.blocks) for lang, doc in item.docs.items()}
        if len(set(counts.values())) > 1:
            original = item.entry.version(item.entry.original)
            detail = ", ".join(f"{item.entry.version(lang).path.name}: {n}"
                               for lang, n in counts.items())
            diags.warning(original.path, None, f"languages have different numbers of blocks "
                          f"({detail})")


def recall_answers(root: Path, diags: Diagnostics, cache_dir: Path | None = None,
                   use_cache: bool = True) -> None:
    """Take what earlier builds learnt from slow libraries (`answers`) from the cache `build`
    uses, before the settings are read: a build that asks nothing new never imports them."""
    if use_cache:
        from . import answers
        from .cache import BuildCache, code_key

        folder = cache_dir or root / ".cache"
        answers.ANSWERS.recall(BuildCache(folder).load_answers(code_key(), diags))


def build(config: SiteConfig, diags: Diagnostics, *, write: bool = True,
          progress: Callable[[int, int], None] | None = None, cache_dir: Path | None = None,
          use_cache: bool = True, search: bool = True) -> BuildReport:
    """Build the whole site; writes it only when every stage succeeded and `write` is set.

    The cache lives in `cache_dir` (default: `.cache/` in the project folder); `use_cache=False`
    neither reads nor writes it. `search=False` skips the Pagefind index.
    """
    from .session import BuildSession

    folder = (cache_dir or config.root / ".cache") if use_cache else None
    return BuildSession(config, folder).build(diags, write=write, progress=progress,
                                              search=search)
