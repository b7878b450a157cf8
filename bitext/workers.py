"""Per-entry work, on every core: read front matter; parse, align and render one article page.

The main process keeps only what lists and indexes need (`EntrySummary`: front matter, links,
diagnostics); an entry's text, blocks and page are made and written by a worker and dropped
there, so memory stays flat as the site grows. Workers are forked from the main process, so
the Markdown parsers, the Jinja environment and the light site model are set up once and shared;
`run` falls back to the main process when there is too little work to pay for a pool.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import frontmatter
from .assemble import ArticlePage, Cell, LangInfo, ParsedEntry, Row, SiteModel, assemble
from .cache import BuildCache, FileDigests, Stat, data_digest, digest
from .config import SiteConfig
from .content import EntrySource, decode, make_entry, parse_version
from .errors import Diagnostic, Diagnostics
from .markup import Document, Link

MIN_PARALLEL = 24  # fewer tasks than this run in the main process: a pool costs ~50 ms
_BLANK = Document((), "")


@dataclass(frozen=True)
class EntrySummary:
    """What the main process keeps of an entry between builds: no text, no HTML."""

    key: str  # hash of its files, asset names and what parsing depends on
    light: ParsedEntry | None  # front matter only (bodies empty, no blocks); None if broken
    diagnostics: tuple[Diagnostic, ...]  # from reading and front matter
    links: tuple[tuple[Path, Link], ...] | None = None  # known once its Markdown was parsed


@dataclass(frozen=True)
class ArticleBody:
    """The part of an article page made from its own text."""

    rows: tuple[Row, ...]
    langs: tuple[LangInfo, ...]
    has_code: bool


def labelled(body: ArticleBody, labels: Mapping[str, str]) -> ArticleBody:
    """The body with the site's current language labels: a record is reused across settings
    that parsing does not depend on, and `labels` is one of them."""
    langs = tuple(replace(info, label=labels.get(info.lang, info.lang)) for info in body.langs)
    return body if langs == body.langs else replace(body, langs=langs)


def feed_body(body: ArticleBody) -> ArticleBody:
    """What the feeds read of an article's text (`publish._atom_entry` joins each language's
    cells): one row holding each language's cells joined, cheap to keep between builds."""
    cells = tuple(Cell(info.lang, info.col, "".join(
        cell.html for row in body.rows for cell in row.cells if cell.lang == info.lang), None,
        info.dir) for info in body.langs)
    return ArticleBody((Row("feed", cells, 1.0),), body.langs, body.has_code)


@dataclass(frozen=True)
class EntryRecord:
    """An entry parsed and aligned, as the cache keeps it (see `cache.py`)."""

    parsed: ParsedEntry  # versions without their bodies (the blocks hold the text)
    body: ArticleBody
    links: tuple[tuple[Path, Link], ...]
    search: tuple  # SearchPage per language, made with `search_labels`
    search_labels: tuple[tuple[str, str], ...]
    code: Mapping[bytes, str]  # highlighted fenced blocks (markup.Highlighter), for the next parse


@dataclass(frozen=True)
class PageResult:
    """A rendered article page, with what the main process needs besides its bytes."""

    slug: str
    file: object | None  # OutputFile, None when rendering failed
    diagnostics: tuple[Diagnostic, ...]
    links: tuple[tuple[Path, Link], ...]
    search: tuple  # SearchPage per language ((): search off)
    body: ArticleBody | None  # for feeds (`feed_body`): only when asked
    record: EntryRecord | None  # only when the cache lives in memory


@dataclass(frozen=True)
class Job:
    """Everything a worker needs, set up once per pool."""

    config: SiteConfig
    parse_key: str
    cache: BuildCache
    theme: object = None  # render.Theme; made in the worker when it could not be inherited
    site: SiteModel | None = None  # what templates see as `site` (light)
    search: bool = False
    feeds: frozenset[str] = frozenset()  # slugs whose body the main process needs
    parsers: object = None  # pipeline.Parsers
    previous: Mapping[str, str] = field(default_factory=dict)  # slug → record key before an edit


def entry_key(parse_key: str, source: EntrySource, digests: Sequence[str]) -> str:
    """Changes with any of the entry's files, its assets' names, or what parsing depends on."""
    files = tuple((lang, path.name, d) for (lang, path), d in zip(source.files, digests,
                                                                   strict=True))
    assets = tuple(str(p.relative_to(source.path)) for p in source.assets)
    return digest(parse_key, source.slug, str(source.path), files, assets)


# -- phase 1: front matter -------------------------------------------------------------------

def front(job: Job, source: EntrySource
          ) -> tuple[str, EntrySummary, list[tuple[str, Stat, str]]]:
    """Read an entry's files and front matter: slug, summary, each file's (path, stat, digest)."""
    files = FileDigests()
    diags = Diagnostics()
    versions, seen = [], []
    for lang, path in source.files:
        try:
            stat, key, data = files.read(path)
        except OSError as exc:
            diags.error(path, None, f"cannot read file: {exc.strerror}")
            seen.append((str(path), (0, 0, 0), "unreadable"))
            continue
        seen.append((str(path), stat, key))
        text = decode(data, path, diags)
        version = None if text is None else parse_version(lang, path, text, diags)
        if version is not None:
            versions.append(version)
    key = entry_key(job.parse_key, source, [d for _, _, d in seen])
    entry = None
    if len(versions) == len(source.files):
        entry = make_entry(source, versions, list(job.config.languages), diags)
    light = None if entry is None else ParsedEntry(
        replace(entry, versions=tuple(replace(v, body="") for v in entry.versions)),
        {v.lang: _BLANK for v in entry.versions}, ())
    return source.slug, EntrySummary(key, light, tuple(diags.items)), seen


# -- phase 2: one article page ---------------------------------------------------------------

# What a page needs of its entry's record: not the parsed blocks, two thirds of it.
_PAGE_FIELDS = ("body", "links", "search_labels")


def page(job: Job, task: tuple[ArticlePage, str, EntryRecord | None]) -> PageResult:
    """Parse (or load) an entry and render its page; the record goes to the cache."""
    light, key, record = task
    diags = Diagnostics()
    fresh = False
    labels = _labels(job, light.entry.langs)
    if record is None:
        record = job.cache.read_record(key, _PAGE_FIELDS + (("search",) if job.search else ()))
        if record is not None and job.search and record.search_labels != labels:
            record = job.cache.read_record(key)  # whole: its search pages are made again
    if record is None:
        record, fresh = _parse(job, light.entry, key, diags), True
        if record is None:
            return PageResult(light.entry.slug, None, tuple(diags.items), (), (), None, None)
    if job.search and record.search_labels != labels:
        record, fresh = replace(record, search=_search(record, dict(labels)),
                                search_labels=labels), True
    if fresh:
        job.cache.write_record(key, record)
    body = labelled(record.body, job.site.labels if job.site is not None else {})
    full = replace(light, rows=body.rows, langs=body.langs, has_code=body.has_code)
    from .render import render_pages

    files = list(render_pages([full], job.site, job.config, job.theme, diags))
    memory = record if fresh and job.cache.folder is None else None
    return PageResult(light.entry.slug, files[0] if files else None, tuple(diags.items),
                      record.links, record.search if job.search else (),
                      feed_body(body) if light.entry.slug in job.feeds else None, memory)


def parsed(job: Job, task: tuple[ParsedEntry, str, tuple[str, ...] | None]
           ) -> tuple[str, EntryRecord | None]:
    """An entry's record (only the fields named, if any) from the cache, or parsed now (for
    `check`, drafts included)."""
    light_item, key, fields = task
    record = job.cache.read_record(key, fields)
    if record is None:
        record = _parse(job, light_item.entry, key, Diagnostics())
        if record is not None:
            job.cache.write_record(key, record)
    return light_item.entry.slug, record


def search(job: Job, task: tuple[ParsedEntry, str]) -> tuple[str, tuple]:
    """An entry's pages for the search index, from its record (made again if labels changed)."""
    light_item, key = task
    labels = _labels(job, light_item.entry.langs)
    slug, record = parsed(job, (light_item, key, ("search", "search_labels")))
    if record is not None and record.search_labels != labels:
        slug, record = parsed(job, (light_item, key, None))  # whole: it is saved again
        if record is not None:
            record = replace(record, search=_search(record, dict(labels)), search_labels=labels)
            job.cache.write_record(key, record)
    return slug, record.search if record is not None else ()


def _parse(job: Job, light_entry, key: str, diags: Diagnostics) -> EntryRecord | None:
    """Markdown and alignment for an entry whose front matter was read in phase 1."""
    from .align import align
    from .markup import to_document

    versions, digests = [], []
    for version in light_entry.versions:
        try:
            data = version.path.read_bytes()
            text = decode(data, version.path, diags)
            digests.append(data_digest(data))
        except OSError as exc:
            diags.error(version.path, None, f"cannot read file: {exc.strerror}")
            return None
        # Phase 1 read the front matter; only the body is needed now, and its bytes must be
        # those phase 1 keyed (checked below through the entry key).
        split = None if text is None else frontmatter.split(text, version.path, Diagnostics())
        if split is None or split.body_line != version.body_line:
            diags.error(version.path, None, "file changed during the build; build again")
            return None
        versions.append(replace(version, body=split.body))
    files = sorted(zip(((v.lang, v.path) for v in versions), digests, strict=True))
    source = EntrySource(light_entry.slug, light_entry.path, tuple(f for f, _ in files),
                         light_entry.assets)
    if entry_key(job.parse_key, source, [d for _, d in files]) != key:
        diags.error(light_entry.path, None, "files changed during the build; build again")
        return None
    entry = replace(light_entry, versions=tuple(versions))
    previous = job.previous.get(entry.slug)
    highlighter = job.parsers.highlighter
    highlighter.remember(lambda: getattr(job.cache.read_record(previous, ("code",)), "code",
                                         None) if previous else None)
    try:
        docs = {v.lang: to_document(job.parsers(v.lang), v.body, v.body_line, v.lang)
                for v in versions}
    finally:
        code = highlighter.recall()
    segments = align({lang: doc.blocks for lang, doc in docs.items()}, entry.original)
    item = ParsedEntry(entry, docs, segments)
    alone = assemble(replace(job.config, drafts=True), [item], Diagnostics()).articles[0]
    body = ArticleBody(alone.rows, alone.langs, alone.has_code)
    links = tuple((v.path, link) for v in versions for link in docs[v.lang].links())
    kept = ParsedEntry(light_entry, docs, tuple(segments))
    return EntryRecord(kept, body, links, (), (), code)


def _labels(job: Job, langs: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """An entry's languages (in page order) with the site's labels: what its search pages show."""
    labels = job.site.labels if job.site is not None else {}
    return tuple((lang, labels.get(lang, lang)) for lang in langs)


def _search(record: EntryRecord, labels: dict[str, str]) -> tuple:
    """The pages Pagefind indexes for this entry, one per language."""
    from pathlib import PurePosixPath

    from .search import SearchPage, bundle_name, page_html

    entry = record.parsed.entry
    page_view = _PageView(entry, record.body.rows)
    return tuple(SearchPage(bundle_name(info.lang), PurePosixPath(entry.slug, "index.html"),
                            page_html(page_view, info, labels.get(info.lang, info.lang)))
                 for info in record.body.langs)


@dataclass(frozen=True)
class _PageView:
    """The two fields of an article page that `search.page_html` reads."""

    entry: object
    rows: tuple[Row, ...]


# -- the pool --------------------------------------------------------------------------------

_JOB: Job | None = None  # the worker's job: set once per worker process by `_start`
_TASKS: dict[str, Callable] = {"front": front, "page": page, "parsed": parsed, "search": search}


def run(job: Job, name: str, items: Sequence, workers: int | None = None) -> Iterator:
    """`_TASKS[name](job, item)` for each item, results in any order, on all cores."""
    workers = workers or os.cpu_count() or 1
    pooled = workers > 1 and len(items) >= MIN_PARALLEL
    if pooled:
        import multiprocessing  # here: a small rebuild starts no pool (the import is ~3 ms)

        pooled = "fork" in multiprocessing.get_all_start_methods()
    if not pooled:
        job = _ready(job)
        for item in items:
            yield _TASKS[name](job, item)
        return
    chunk = max(1, min(8, len(items) // (workers * 8)))
    context = multiprocessing.get_context("fork")  # inherits parsers, templates and the model
    # Ctrl-C is held back while the workers are forked (security engineer): one arriving during
    # a fork is swallowed by logging's at-fork hook, which then keeps its lock, and the pool's
    # result thread deadlocks on it. The workers keep it blocked: the parent terminates them.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = context.Pool(workers, initializer=_start, initargs=(job, os.getpid()))
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    stop = _Stop(pool)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, stop) if main else None
    try:
        # A Ctrl-C held back while forking arrives here, where `stop` and the teardown below
        # deal with it: before, it was raised with the pool left running.
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        yield from pool.imap_unordered(_call, [(name, item) for item in items], chunk)
    finally:
        if stop.hit:  # killed workers may hold the pool's locks: its teardown could wait forever
            threading.Thread(target=_quietly, args=(pool.terminate,), daemon=True).start()
        else:
            pool.terminate()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _quietly(teardown: Callable[[], object]) -> None:
    """A teardown in the background after Ctrl-C: its pipes may be broken; nothing to say."""
    with contextlib.suppress(Exception):
        teardown()


class _Stop:
    """Ctrl-C while a pool works: kill its workers at once and raise KeyboardInterrupt, once.

    Pool.terminate can deadlock with a worker blocked writing a result the parent no longer
    reads, and a second Ctrl-C during it printed a traceback: so the workers are killed here,
    the pool is torn down in the background, and further Ctrl-Cs are ignored.
    """

    def __init__(self, pool) -> None:
        self.pool, self.hit = pool, False

    def __call__(self, signum: int, frame: object) -> None:
        if self.hit:
            return
        self.hit = True
        from multiprocessing.pool import TERMINATE

        # The pool's internals (there is no public way): its worker handler must not fork
        # replacements for the workers killed here.
        self.pool._worker_handler._state = TERMINATE
        for process in list(self.pool._pool):
            process.kill()
        raise KeyboardInterrupt


def _ready(job: Job) -> Job:
    if job.theme is None:
        from .render import make_theme

        job = replace(job, theme=make_theme(job.config, Diagnostics()))
    if job.parsers is None:
        from .pipeline import Parsers

        job = replace(job, parsers=Parsers())
    return job


def _start(job: Job, parent: int) -> None:
    global _JOB
    _die_with_parent(parent)
    _JOB = _ready(job)


def _die_with_parent(parent: int) -> None:
    """A worker ends when the build does, even one the pool forked after Ctrl-C had killed
    the first ones: Linux's parent-death signal (elsewhere the pool's teardown ends them).

    A build that a Ctrl-C ends as its workers start can be gone before a worker asks for the
    signal, which then never comes: that worker would wait for tasks forever, holding the
    build's output pipes open. So it checks that its parent is still the build's process.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(0)


def _call(task: tuple[str, object]) -> object:
    name, item = task
    return _TASKS[name](_JOB, item)
