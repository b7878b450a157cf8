"""The content folder in memory for the dev server: entry sources and parsed entries.

Each entry is parsed once and kept, with the diagnostics its parse produced, until its folder
changes; the content folder is discovered again only when its listing changed (an entry added,
removed or renamed), else only the folders the watcher named are looked at again. Links are
checked apart from the parse: whether one leads somewhere depends on the other entries (one
created, deleted or made a draft) and on the theme's files.
"""
from __future__ import annotations

import functools
import multiprocessing
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import content, workers
from .assemble import ParsedEntry
from .config import SiteConfig
from .content import EntrySource, discover, is_ignored
from .errors import Diagnostic, Diagnostics
from .livewrite import stamp
from .markup import Document
from .pipeline import Parsers, check_links, entry_links, link_targets, parse_entry

BLANK = Document((), "")
# One folder's discovery, when content/'s listing did not change (else: `discover` again).
_entry_source = getattr(content, "_entry_source", None)


@dataclass(frozen=True)
class Parsed:
    """One entry folder's parse, kept until its files change."""

    key: tuple
    item: ParsedEntry | None
    light: ParsedEntry | None  # the same entry without its text: cheap to assemble
    diagnostics: tuple[Diagnostic, ...]
    links: tuple = ()  # (file, markup.Link) of every URL it holds (`pipeline.entry_links`)


class EntryMemo:
    """Sources and parses of every entry, refreshed for what changed."""

    def __init__(self) -> None:
        self._parsers = Parsers()
        self._listing: tuple | None = None
        self._sources: dict[str, EntrySource] = {}
        self._scan_diags: dict[str, tuple[Diagnostic, ...]] = {}
        self._parsed: dict[str, Parsed] = {}
        # Each entry's link diagnostics, and what they were checked against.
        self._link_diags: dict[str, tuple[object, tuple[Diagnostic, ...]]] = {}

    def forget(self) -> None:
        """Parse everything again next time (the settings changed how entries are read)."""
        self._parsed.clear()

    def refresh(self, config: SiteConfig, dirty: set[str] | None,
                diags: Diagnostics) -> tuple[list[Parsed], bool]:
        """Every entry that parsed, and whether content/ was discovered afresh; `dirty` names
        the folders that changed (None: look at all). All their diagnostics go to `diags`."""
        rescanned = self._scan(config.content_dir, dirty, diags)
        parsed = self._parse(config, dirty or set(), rescanned, diags)
        self._check_links(config, parsed, diags)
        return parsed, rescanned

    def _check_links(self, config: SiteConfig, parsed: list[Parsed], diags: Diagnostics) -> None:
        """Every entry's links, checked again when the entry, the other entries (the content
        folder's listing, the drafts) or the theme's top-level files changed."""
        targets = link_targets(config, [memo.item.entry for memo in parsed])
        against = (targets, self._listing, _listing(config.static_dir))
        kept = {}
        for memo in parsed:
            slug = memo.item.entry.slug
            seen = self._link_diags.get(slug)
            if seen is None or seen[0] != (memo.key, against):
                found = Diagnostics()
                check_links(memo.links, memo.item.entry.path, targets, found)
                seen = ((memo.key, against), tuple(found.items))
            kept[slug] = seen
            diags.extend(seen[1])
        self._link_diags = kept

    def _scan(self, folder: Path, dirty: Iterable[str] | None, diags: Diagnostics) -> bool:
        """Entry sources: a full discovery (True) when content/'s listing changed, else only
        the dirty folders are looked at again."""
        listing = _listing(folder)
        names = {name for name, *_ in listing or ()}
        stale = set() if dirty is None else {name for name in dirty if name in names}
        full = (dirty is None or listing != self._listing or not stale <= self._sources.keys()
                or _entry_source is None)
        if full:
            found = Diagnostics()
            self._sources = {source.slug: source for source in discover(folder, found)}
            self._scan_diags = _by_folder(found.items, folder)
            self._listing = listing
        for name in sorted(stale) if not full else ():
            found = Diagnostics()
            source = _entry_source(folder / name, folder, found)
            self._scan_diags[name] = tuple(found.items)
            if source is None:
                del self._sources[name]
            else:
                self._sources[name] = source
        for items in self._scan_diags.values():
            diags.extend(items)
        return full

    def _parse(self, config: SiteConfig, dirty: set[str], rescanned: bool,
               diags: Diagnostics) -> list[Parsed]:
        """Parsed entries: the dirty ones parsed again, and after a full discovery those whose
        files differ from the memo's (an entry renamed back, a folder moved in)."""
        todo = []
        for slug, source in self._sources.items():
            memo = self._parsed.get(slug)
            if memo is None or slug in dirty or (rescanned and memo.key != _key(source)):
                todo.append(source)
        fresh = dict(zip((s.slug for s in todo), _parse_all(config, todo, self._parsers),
                         strict=True))
        kept: dict[str, Parsed] = {}
        for slug in self._sources:
            kept[slug] = fresh.get(slug) or self._parsed[slug]
            diags.extend(kept[slug].diagnostics)
        self._parsed = kept
        return [memo for memo in kept.values() if memo.item is not None]


def _parse_all(config: SiteConfig, sources: Sequence[EntrySource],
               parsers: Parsers) -> list[Parsed]:
    """Parse entries, on every core when there are many and nothing else runs yet.

    Forking is safe only while this process has one thread: the first build, before the
    server and the watcher start (a thousand entries: seconds instead of tens). Later
    re-parses of many entries (a settings change) run here.
    """
    cores = os.cpu_count() or 1
    if len(sources) < workers.MIN_PARALLEL or cores < 2 or threading.active_count() > 1:
        return [_parse_one(config, source, parsers) for source in sources]
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        return pool.map(functools.partial(_parse_in_worker, config), sources,
                        chunksize=max(1, len(sources) // (cores * 8)))


def _parse_in_worker(config: SiteConfig, source: EntrySource) -> Parsed:
    return _parse_one(config, source, _worker_parsers())


@functools.cache
def _worker_parsers() -> Parsers:
    """One set of Markdown parsers per worker process, made on its first entry."""
    return Parsers()


def _parse_one(config: SiteConfig, source: EntrySource, parsers: Parsers) -> Parsed:
    found = Diagnostics()
    item = parse_entry(source, config, parsers, found)
    light = None if item is None else ParsedEntry(
        item.entry, {lang: BLANK for lang in item.docs}, ())
    return Parsed(_key(source), item, light, tuple(found.items),
                  entry_links(item) if item is not None else ())


def _listing(folder: Path) -> tuple | None:
    try:
        with os.scandir(folder) as items:
            return tuple(sorted((item.name, item.is_dir(), item.is_symlink()) for item in items
                                if not is_ignored(item.name)))
    except OSError:
        return None


def _by_folder(items: Iterable[Diagnostic], folder: Path) -> dict[str, tuple[Diagnostic, ...]]:
    """Discovery diagnostics grouped by entry folder, so one folder's can be replaced alone."""
    groups: dict[str, list[Diagnostic]] = {}
    for diag in items:
        path = diag.location.path
        name = path.relative_to(folder).parts[0] if path.is_relative_to(folder) \
            and path != folder else ""
        groups.setdefault(name, []).append(diag)
    return {name: tuple(group) for name, group in groups.items()}


def _key(source: EntrySource) -> tuple:
    """What an entry's parse depends on: its files as found, and their sizes and times."""
    return (source, tuple(stamp(path) for _, path in source.files))
