"""Incremental builds for the dev server: parse each entry once, render and write only what changed.

Drives the stages of `pipeline.build` (discover → parse → assemble → render → write) with every
stage's result kept in memory beside the diagnostics it produced, so a rebuild re-runs a stage
only for the inputs that changed and still reports every problem of the site. The first build is
published atomically (`output.publish`); later ones replace the changed files one by one, each
atomically (`livewrite.py`), and only after everything affected rendered without error, so the
folder always holds the last good site.

Deciding what to re-render compares data, not rules: each article page is assembled once from a
light copy of its entry (no text), and the page re-renders when that light page differs from the
one last published (title, date, tags, neighbours, related links…), when its entry was re-parsed,
or when anything site-wide changed (settings, languages, the tag list, a template).

This is the adapter that `pipeline`'s own incremental builder will replace: `LiveSite` is the only
thing the dev server uses.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from .assemble import (
    ArticlePage,
    ParsedEntry,
    SiteModel,
    assemble,
    language_label,
    site_languages,
)
from .config import SiteConfig, load_config
from .content import Entry
from .errors import Diagnostic, Diagnostics
from .livecontent import EntryMemo, Parsed
from .livewrite import SiteWriter, stamp
from .publish import FEED_LIMIT
from .render import (
    MemoryBytecode,
    OutputFile,
    RowsMemo,
    Theme,
    make_theme,
    minified_files,
    minifies,
    render_pages,
    render_site,
    theme_files,
)
from .watch import ChangeSet

# Templates that walk the whole site make every page depend on every entry.
_WHOLE_SITE_RE = re.compile(r"\bsite\s*\.\s*(articles|lists|assets)\b")


@dataclass(frozen=True)
class Outcome:
    """What one (re)build did: its diagnostics, and the output files it changed."""

    ok: bool
    diagnostics: tuple[Diagnostic, ...]
    written: tuple[PurePosixPath, ...] = ()
    removed: tuple[PurePosixPath, ...] = ()
    rendered: int = 0
    entries: int = 0
    pages: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Shown:
    """An article page as published: from which parse, with which surroundings."""

    item: ParsedEntry
    hood: ArticlePage  # the page without its text (rows, languages' details)
    page: ArticlePage


@dataclass(frozen=True)
class _Plan:
    """The site as assembled, and the part of it that must be rendered again."""

    model: SiteModel  # articles assembled light (without their text)
    parsed: list[Parsed]
    pages: dict[str, ArticlePage]  # every article, fully assembled
    hoods: dict[str, ArticlePage]
    render: frozenset[PurePosixPath]  # the article and list pages to render
    keys: tuple  # (what pages are made of, what every page shows): a change re-renders all
    assemble_diags: tuple[Diagnostic, ...]
    content_diags: tuple[Diagnostic, ...]  # discovery, parsing and assembly
    site_files: bool = True  # the site-wide files must be made again

    def site(self) -> SiteModel:
        """The whole site with its articles' text, as `render_site` needs it."""
        return replace(self.model, articles=tuple(self.pages[page.entry.slug]
                                                  for page in self.model.articles))

    def outputs(self) -> set[PurePosixPath]:
        return {page.output for page in self.model.articles + self.model.lists}


class LiveSite:
    """The site in memory between rebuilds; `rebuild()` brings the output folder up to date."""

    def __init__(self, config: SiteConfig,
                 load: Callable[[Diagnostics], SiteConfig] | None = None) -> None:
        self.config = config
        self._load = load or (lambda diags: _reload(config, diags))
        self._config_diags: tuple[Diagnostic, ...] = ()
        self._theme: Theme | None = None
        self._theme_diags: tuple[Diagnostic, ...] = ()
        self._theme_id = 0
        self._compiled = MemoryBytecode()  # templates compiled by earlier theme reloads
        self._rows = RowsMemo()  # pages' segments rendered by earlier theme reloads
        self._whole_site = False
        self._entries = EntryMemo()
        self._writer = SiteWriter(config.out_dir)
        self._extras: dict[PurePosixPath, OutputFile] = {}
        self._extras_written = True
        self._site_files: set[PurePosixPath] = set()  # the 404 page, feeds…: made with the site
        self._minified: dict[Path, tuple[tuple, list[OutputFile]]] = {}  # by source: stamp, file
        self._ok = False  # whether the last rebuild succeeded
        self._forget_output()

    def close(self) -> None:
        """Let go of the files kept beside the output folder."""
        self._writer.close()

    def published(self) -> SiteModel | None:
        """The site as last published (immutable: safe to read from another thread)."""
        return None if self._plan is None else self._plan.site()

    def add_files(self, files: Iterable[OutputFile]) -> None:
        """Files made outside the build (the search index): published from the next rebuild
        on, in place of the previous ones."""
        self._extras = {item.path: item for item in files}
        self._extras_written = False

    def _forget_output(self) -> None:
        """What the output folder shows; forgotten when it is published afresh."""
        self._plan: _Plan | None = None
        self._shown: dict[str, _Shown] = {}
        self._writer.forget()

    def rebuild(self, change: ChangeSet | None = None) -> Outcome:
        """Update the output for `change` (None: look at everything, publish atomically)."""
        started = time.perf_counter()
        diags = Diagnostics()
        site_wide = change is None or change.templates or change.settings
        if change is not None and change.settings:
            self._reload_config()
        if site_wide or self._theme is None:
            self._reload_theme()
        diags.extend(self._config_diags + self._theme_diags)
        fresh = change is None or not self._writer.holds_site()
        if fresh:
            self._forget_output()
        if not site_wide and not change.entries and self._plan is not None and self._ok:
            plan = replace(self._plan, render=frozenset(), site_files=False)  # static files
        else:
            plan = self._content_plan(change, site_wide)
        diags.extend(plan.content_diags)
        self._ok = False
        if diags.has_errors() or self._theme is None:
            return self._failed(diags, started)
        files = self._render(plan, diags) + self._theme_files(diags)
        if diags.has_errors():
            return self._failed(diags, started)
        if fresh or not self._extras_written:
            files += self._extras.values()
        try:
            written, removed = self._writer.update(
                files, self._copies(plan.model),
                plan.outputs() | self._extras.keys() | self._site_files, fresh)
        except OSError as exc:
            diags.error(self.config.out_dir, None, f"cannot write the site: {exc}")
            return self._failed(diags, started)
        self._commit(plan)
        self._ok = self._extras_written = True
        return Outcome(True, tuple(diags.sorted()), written, removed,
                       rendered=len(plan.render), entries=len(plan.model.articles),
                       pages=len(plan.outputs()) + 1,  # and the 404 page, as `build` counts
                       seconds=time.perf_counter() - started)

    def _content_plan(self, change: ChangeSet | None, site_wide: bool) -> _Plan:
        diags = Diagnostics()
        dirty = None if change is None else set(change.entries)
        parsed, rescanned = self._entries.refresh(self.config, dirty, diags)
        quick = None if rescanned or site_wide else self._quick_plan(parsed, dirty, diags)
        return quick or self._full_plan(parsed, diags)

    def _render(self, plan: _Plan, diags: Diagnostics) -> list[OutputFile]:
        """The pages of the plan, then (unless only static files changed) the site-wide files
        (404, feeds, sitemap…), made from the whole site."""
        site = plan.site()
        pages = [page for page in site.articles + site.lists if page.output in plan.render]
        files = list(render_pages(pages, site, self.config, self._theme, diags))
        if plan.site_files:
            made = list(render_site(site, self.config, self._theme, diags, only=frozenset()))
            self._site_files = {item.path for item in made}
            files += made
        return files

    def _failed(self, diags: Diagnostics, started: float) -> Outcome:
        return Outcome(False, tuple(diags.sorted()), seconds=time.perf_counter() - started)

    # -- settings and templates -------------------------------------------------------------

    def _reload_config(self) -> None:
        diags = Diagnostics()
        config = self._load(diags)
        self._config_diags = tuple(diags.items)
        if (config.languages, config.content_dir) != (self.config.languages,
                                                      self.config.content_dir):
            self._entries.forget()  # entries sort their languages by the configured order
        self.config = config

    def _reload_theme(self) -> None:
        diags = Diagnostics()
        self._theme = make_theme(self.config, diags, self._compiled, self._rows)
        self._theme_diags = tuple(diags.items)
        self._theme_id += 1
        self._whole_site = _uses_whole_site(self.config.templates_dir)

    # -- what to render ---------------------------------------------------------------------

    def _quick_plan(self, parsed: list[Parsed], dirty: Iterable[str],
                    diags: Diagnostics) -> _Plan | None:
        """Only the text of entries changed (not their titles, dates, tags…): the rest of the
        site is as shown, so re-render just their pages. None when that does not hold."""
        plan = self._plan
        if plan is None or plan.keys[0][0] != self.config or plan.keys[1][1] != self._theme_id:
            return None
        memos = {memo.item.entry.slug: memo for memo in parsed}
        if memos.keys() != self._shown.keys() or any(
                memo.item is not self._shown[slug].item for slug, memo in memos.items()
                if slug not in dirty):
            return None  # another entry changed since (say, in a failed build)
        pages, hoods, render = dict(plan.pages), dict(plan.hoods), set()
        for slug in sorted(dirty):
            memo, shown = memos.get(slug), self._shown.get(slug)
            if memo is None or shown is None or _skeleton(memo.item) != _skeleton(shown.item):
                return None
            if memo.item == shown.item:
                continue  # saved without a change
            alone = assemble(self.config, [memo.item], Diagnostics()).articles
            if len(alone) != 1:
                return None
            pages[slug] = replace(shown.page, entry=memo.item.entry, rows=alone[0].rows,
                                  langs=alone[0].langs, has_code=alone[0].has_code)
            hoods[slug] = replace(shown.hood, entry=memo.item.entry)
            render.add(shown.page.output)
        diags.extend(plan.assemble_diags)
        return replace(plan, parsed=parsed, pages=pages, hoods=hoods, render=frozenset(render),
                       content_diags=tuple(diags.items),
                       site_files=bool(_in_feeds(plan.model) & set(dirty)))

    def _full_plan(self, parsed: list[Parsed], diags: Diagnostics) -> _Plan:
        """Assemble the site cheaply and pick the pages whose inputs differ from what is shown."""
        entries = [memo.item.entry for memo in parsed]  # as `assemble` counts them: published
        languages = site_languages(self.config, [e for e in entries
                                                 if self.config.drafts or not e.draft])
        page_key = (self.config, languages,
                    tuple((lang, language_label(lang, self.config)) for lang in languages))
        same_pages = self._plan is not None and self._plan.keys[0] == page_key
        reuse = {memo.item.entry.slug for memo in parsed if same_pages
                 and (shown := self._shown.get(memo.item.entry.slug)) and shown.item == memo.item}
        found = Diagnostics()
        model = assemble(self.config, _inputs(parsed, reuse), found)
        pages, hoods, again = {}, {}, set()
        for page in model.articles:
            slug = page.entry.slug
            hoods[slug] = _hood(page)
            if slug not in reuse:
                pages[slug] = page
            elif self._shown[slug].hood == hoods[slug]:
                pages[slug] = self._shown[slug].page
            else:
                again.add(slug)
        if again:  # neighbours whose links changed: assemble them again, with their text
            second = assemble(self.config, _inputs(parsed, reuse - again), Diagnostics())
            pages.update((p.entry.slug, p) for p in second.articles if p.entry.slug in again)
        keys = (page_key, (model.tags, self._theme_id, self._whole_site))
        everything = self._plan is None or self._plan.keys != keys or self._whole_site
        shown_lists = {page.output: page for page in self._plan.model.lists} if self._plan \
            else {}
        render = {page.output for page in model.articles if everything
                  or page.entry.slug not in reuse or page.entry.slug in again}
        render |= {page.output for page in model.lists
                   if everything or shown_lists.get(page.output) != page}
        diags.extend(found.items)
        return _Plan(model, parsed, pages, hoods, frozenset(render), keys, tuple(found.items),
                     tuple(diags.items))

    def _commit(self, plan: _Plan) -> None:
        items = {memo.item.entry.slug: memo.item for memo in plan.parsed}
        self._shown = {slug: _Shown(items[slug], plan.hoods[slug], page)
                       for slug, page in plan.pages.items()}
        self._plan = plan

    def _copies(self, model: SiteModel) -> dict[PurePosixPath, Path]:
        """Theme static files at the site root (dotfiles, scripts and stylesheets skipped: see
        `_theme_files`), then entry assets."""
        copies = {rel: path for path, rel in theme_files(self.config.static_dir)
                  if not minifies(path)}
        copies.update((asset.output, asset.source) for asset in model.assets)
        return copies

    def _theme_files(self, diags: Diagnostics) -> list[OutputFile]:
        """The theme's scripts and stylesheets, minified as `build` ships them; each is made
        again only when its file changed (the writer then skips what did not)."""
        made: dict[Path, tuple[tuple, list[OutputFile]]] = {}
        for path, rel in theme_files(self.config.static_dir):
            if minifies(path):
                now = stamp(path)
                kept = self._minified.get(path)
                made[path] = kept if kept and kept[0] == now else \
                    (now, list(minified_files([(path, rel)], diags)))
        self._minified = made
        return [item for _, items in made.values() for item in items]


class SessionSite:
    """`LiveSite`'s interface over `session.BuildSession`, the build's own incremental engine.

    Kept ready for when that engine's rebuilds are fast enough for the preview (at 1,000 entries
    a one-entry edit took seconds there when this was written, against ~20 ms in `LiveSite`):
    switching is the one line in `make_site`. It indexes no search in the preview.
    """

    def __init__(self, config: SiteConfig,
                 load: Callable[[Diagnostics], SiteConfig] | None = None) -> None:
        from .session import BuildSession

        self.config = config
        self._load = load or (lambda diags: _reload(config, diags))
        self._session = BuildSession(config, config.root / ".cache")

    def rebuild(self, change: ChangeSet | None = None) -> Outcome:
        started, diags = time.perf_counter(), Diagnostics()
        if change is not None and change.settings:
            self.config = self._session.config = self._load(diags)
        if change is None:
            report = self._session.build(diags, search=False)
        else:
            report = self._session.rebuild(sorted(change.paths), diags)
        ok = report.published is not None and not diags.has_errors()
        return Outcome(ok, tuple(diags.sorted()), tuple(PurePosixPath(p) for p in report.written),
                       (), report.rendered, report.entries, report.pages,
                       time.perf_counter() - started)

    def published(self) -> None:
        return None  # no background search index

    def add_files(self, files: Iterable[OutputFile]) -> None:
        pass

    def close(self) -> None:
        pass


def make_site(config: SiteConfig,
              load: Callable[[Diagnostics], SiteConfig] | None = None) -> LiveSite:
    """The dev server's incremental builder (`SessionSite(config, load)` is the alternative)."""
    return LiveSite(config, load)


def _reload(config: SiteConfig, diags: Diagnostics) -> SiteConfig:
    """Settings read again, keeping what the command line decided."""
    fresh = load_config(config.root, config.content_dir, config.out_dir, diags,
                        settings=config.settings_path)
    return replace(fresh, drafts=config.drafts)


def _uses_whole_site(templates: Path) -> bool:
    try:
        return any(_WHOLE_SITE_RE.search(path.read_text(encoding="utf-8", errors="replace"))
                   for path in templates.rglob("*") if path.is_file())
    except OSError:
        return True


def _in_feeds(model: SiteModel) -> set[str]:
    """The entries whose text the feeds carry (the newest, overall and in each language)."""
    slugs = {page.entry.slug for page in model.articles[:FEED_LIMIT]}
    for lang in model.languages:
        slugs.update([page.entry.slug for page in model.articles
                      if lang in page.entry.langs][:FEED_LIMIT])
    return slugs


def _inputs(parsed: Sequence[Parsed], light: set[str]) -> list[ParsedEntry]:
    """Entries for `assemble`: the light copy for those in `light`, else the full parse."""
    return [memo.light if memo.item.entry.slug in light else memo.item for memo in parsed]


def _hood(page: ArticlePage) -> ArticlePage:
    """The page minus what comes from its own text: what its neighbours and the site put in it."""
    return replace(page, rows=(), langs=(), has_code=False)


def _skeleton(item: ParsedEntry) -> Entry:
    """An entry without its text: what other pages show of it (titles, date, tags…)."""
    return replace(item.entry, versions=tuple(replace(v, body="", body_line=0)
                                              for v in item.entry.versions))
