"""A build session: the site between builds, rebuilt as cheaply as its changes allow.

    session = BuildSession(config, cache_dir)   # cache_dir None: memory only (--no-cache)
    report = session.build(diags)               # the CLI's `build`: one call
    report = session.rebuild(paths, diags)      # the dev server: after files changed
    session.config = fresh_config               # settings edited: the next build re-keys

`build` and `rebuild` return a `pipeline.BuildReport` (`report.written`: the output paths
written or removed, for live reload; `report.rendered`: pages rendered). Between builds the
session keeps the cache's index and state in memory; entry records stay on disk (or in memory
without a cache folder). `rebuild(paths)` reads those paths again even if their stat looks
unchanged (an editor that restores mtimes); otherwise it is `build`. Not thread-safe: one
build at a time.

The stages, and what each skips:
1. Fingerprint every input (generator code, settings, flags, stats of content, templates and
   static files). Equal to the last published build's, and the output folder as it left it:
   replay its diagnostics and stop (nothing imported, parsed or rendered).
2. Discover entries; read the front matter of those whose files' digests changed (workers).
3. Assemble the site from light entries (no text): URLs, order, tags, neighbours, related.
4. Key every output: an article page by its entry's key, the light page (its neighbours,
   related links, tags…) and the render environment (templates, settings, site languages and
   tags); lists, feeds/sitemap/404/assets, search and copies likewise. Render the articles whose
   key changed in the workers (parsing only entries without a cache record), the rest here.
5. Write: when the output folder is what the last build left, patch it (changed files only);
   else publish a fresh folder atomically. Save the new state.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from itertools import islice
from pathlib import Path, PurePosixPath

from . import answers, workers
from .cache import (
    BuildCache,
    Index,
    Stat,
    State,
    code_key,
    config_key,
    data_digest,
    digest,
    now_ns,
    racy,
    scan,
    source_date_epoch,
    stat_of,
)
from .config import SiteConfig
from .content import EntrySource, LinkTargets, discover
from .errors import Diagnostic, Diagnostics
from .pipeline import BuildReport, Parsers, check_links, link_targets

_WHOLE_SITE_RE = re.compile(r"\bsite\s*\.\s*(articles|lists|assets)\b")


class BuildSession:
    """The site between builds (see the module's docstring for the API)."""

    def __init__(self, config: SiteConfig, cache_dir: Path | None,
                 workers: int | None = None) -> None:
        self.config = config
        self.cache = BuildCache(cache_dir)
        self.workers = workers
        self._state: State | None = None
        self._index: Index | None = None

    def rebuild(self, changed: Iterable[Path], diags: Diagnostics, *, search: bool = False,
                progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """`build` after a file event: `changed` paths are read again whatever their stat."""
        return self.build(diags, search=search, progress=progress, changed=tuple(changed) or
                          (self.config.content_dir,))

    def build(self, diags: Diagnostics, *, write: bool = True, search: bool = True,
              progress: Callable[[int, int], None] | None = None,
              changed: tuple[Path, ...] = ()) -> BuildReport:
        """Bring the output folder up to date (or, without `write`, check everything)."""
        started, first = time.perf_counter(), len(diags.items)
        report = BuildReport()
        if not self._cache_folder_ok(diags):
            return report
        state = self._state if self._state is not None else self.cache.load_state(diags)
        code = code_key()
        fingerprint, trusted = self._fingerprint(code, search, diags.strict)
        outputs = None
        if write and not changed and state.snapshot == fingerprint:
            outputs = self._verified(state)
        if outputs is not None:
            if outputs != state.outputs:  # same files, new times: remember them
                state = replace(state, outputs=outputs)
                self.cache.save(state, None)
            diags.extend(state.diagnostics)
            from .output import PublishReport

            report.entries, report.pages, report.languages = state.counts
            report.published = PublishReport(0, len(state.outputs))
            report.seconds = time.perf_counter() - started
            self._state = state
            self._keep_answers(code)
            return report
        run = _Run(self, diags, code, state, write, search and write, progress)
        run.go(report, changed)
        if write and report.published is not None:
            self._state = State(fingerprint if trusted else None, str(self.config.out_dir),
                                run.outputs, run.keys, tuple(diags.items[first:]),
                                (report.entries, report.pages, report.languages))
        elif write:
            self._state = replace(state, snapshot=None)
        self._index = run.index
        self.cache.save(self._state, run.index)
        self.cache.forget_records(run.dropped)
        if run.sweep:  # after a code change (or a lost index) nothing else would delete them
            self.cache.keep_records({s.key for s in run.index.entries.values()})
        self._keep_answers(code)
        report.seconds = time.perf_counter() - started
        return report

    def _keep_answers(self, code: str) -> None:
        """Save what slow libraries were asked this time (`answers`), for next time."""
        news = answers.ANSWERS.news()
        if news is not None:
            self.cache.save_answers(code, news)

    def _cache_folder_ok(self, diags: Diagnostics) -> bool:
        """The cache never goes inside (or around) the output or the content."""
        folder = self.cache.folder
        if folder is None:
            return True
        where, out = folder.resolve(), self.config.out_dir.resolve()
        for name, path in (("output", out), ("content", self.config.content_dir.resolve())):
            if where == path or where.is_relative_to(path) or path.is_relative_to(where):
                diags.error(folder, None, f"the cache folder may not be inside, or contain, the "
                            f"{name} folder", hint="use the default .cache/ or another folder")
                return False
        return True

    def _fingerprint(self, code: str, search: bool, strict: bool) -> tuple[str, bool]:
        """Every input of a build, by stat; trusted unless a file changed a moment ago."""
        config, since = self.config, now_ns()
        scans = [scan(config.content_dir), scan(config.templates_dir), scan(config.static_dir)]
        trusted = not any(racy(stat, since) for found in scans for stat in found.values())
        return digest(code, config_key(config), source_date_epoch(), search, strict,
                      str(config.out_dir), str(config.root), os.getcwd(), str(Path.home()),
                      scans), trusted

    def _verified(self, state: State) -> dict[str, tuple[Stat, str]] | None:
        """The output folder's manifest when it holds exactly the files we left there, else None.

        Stat for stat, or byte for byte for the files whose stat changed: a copy, a checkout or
        the Pages workflow restoring the site with its cache gives them new times. Their new
        stats come back with their digests, so the next build checks by stat again.
        """
        if state.out_dir != str(self.config.out_dir) or not state.outputs:
            return None
        found = {rel: stat for rel, stat in scan(self.config.out_dir).items()
                 if not rel.endswith("/")}
        if found.keys() != state.outputs.keys():
            return None
        outputs = state.outputs
        for rel, stat in found.items():
            seen, key = outputs[rel]
            if seen == stat:
                continue
            try:
                data = (self.config.out_dir / rel).read_bytes()
            except OSError:
                return None
            if data_digest(data) != key:
                return None
            if outputs is state.outputs:
                outputs = dict(outputs)
            outputs[rel] = (stat, key)
        return outputs


class _Run:
    """One build's working data; `go` is the list of stages."""

    def __init__(self, session: BuildSession, diags: Diagnostics, code: str, state: State,
                 write: bool, search: bool, progress: Callable[[int, int], None] | None) -> None:
        self.session, self.config, self.cache = session, session.config, session.cache
        self.diags, self.code, self.state = diags, code, state
        self.write, self.search, self.progress = write, search, progress
        self.index: Index | None = None
        self.outputs: dict[str, tuple] = {}
        self.keys: dict[str, str] = {}
        self.dropped: set[str] = set()
        self.previous: dict[str, str] = {}  # slug → its record's key, for entries read again
        self.sweep = False  # the index started empty: records of other code may be left over
        self.targets = LinkTargets(self.config.content_dir)  # made with the summaries

    def go(self, report: BuildReport, changed: tuple[Path, ...]) -> None:
        from .assemble import assemble
        from .output import check_out_dir
        from .render import make_theme

        config, diags = self.config, self.diags
        if self.write and not check_out_dir(config, diags):
            return
        theme = make_theme(config, diags, self.cache.templates_folder())
        index = self.session._index or self.cache.load_index(self.code, diags)
        self.index = index = index if index.code == self.code else Index(self.code)
        for path in changed:
            _forget(index, path)
        parse_key = digest(self.code, config.languages, str(config.content_dir))
        job = workers.Job(config, parse_key, self.cache, theme=theme, parsers=Parsers())
        summaries = self._summaries(job, discover(config.content_dir, diags))
        report.found = len(summaries)
        model = assemble(config, [s.light for s in summaries.values() if s.light], diags)
        report.entries, report.languages = len(model.articles), len(model.languages)
        if theme is not None and not diags.has_errors():
            _Render(self, job, summaries, model).go(report)
        elif not self.write:  # nothing renders, but `check` still reads the good entries
            report.parsed = self._readable(job, summaries)
        # The links no rendering saw: of entries not rendered (their index entry was lost, or
        # the build failed): one broken file must not hide another's bad links.
        self._check_unrendered_links(job, summaries)

    def _check_unrendered_links(self, job: workers.Job,
                                summaries: dict[str, workers.EntrySummary]) -> None:
        """Parse (or load from the cache) the readable entries whose links were never seen."""
        todo = [(s.light, s.key, ("links",)) for s in summaries.values()
                if s.light is not None and s.links is None]
        for slug, record in workers.run(job, "parsed", todo, self.session.workers):
            if record is not None:
                summary = summaries[slug] = replace(summaries[slug], links=record.links)
                self.index.entries[slug] = summary
                _check_links(summary, self.targets, self.diags)

    def _readable(self, job: workers.Job,
                  summaries: dict[str, workers.EntrySummary]) -> list:
        """`check`: every entry that read well, drafts too, parsed (from the cache where it
        can), in discovery order; with or without errors elsewhere."""
        items = [(s.light, s.key, ("parsed",)) for s in summaries.values() if s.light is not None]
        records = dict(workers.run(job, "parsed", items, self.session.workers))
        return [records[slug].parsed for slug in summaries if records.get(slug) is not None]

    def _summaries(self, job: workers.Job,
                   sources: list[EntrySource]) -> dict[str, workers.EntrySummary]:
        """Each entry's summary: from the index when its files are unchanged, else read now."""
        index, old = self.index, self.index.entries
        found, todo = {}, []
        for source in sources:
            seen = [index.files.get(path) for _, path in source.files]
            known = old.get(source.slug)
            if known is not None and None not in seen and known.key == workers.entry_key(
                    job.parse_key, source, [s[1] for s in seen]):
                found[source.slug] = known
            else:
                todo.append(source)
                if known is not None:
                    self.previous[source.slug] = known.key
        for slug, summary, files in workers.run(job, "front", todo, self.session.workers):
            known = old.get(slug)
            if known is not None and known.key == summary.key and summary.links is None:
                # Read again for new file times, same bytes: its page is not rendered again,
                # so its links are still those its last rendering found (and warned about).
                summary = replace(summary, links=known.links)
            found[slug] = summary
            index.files.known.update((path, (stat, key)) for path, stat, key in files)
        summaries = {source.slug: found[source.slug] for source in sources}
        self.targets = link_targets(self.config, [s.light.entry for s in summaries.values()
                                                  if s.light is not None])
        for summary in summaries.values():
            replay(self.diags, summary.diagnostics)
            if summary.light is not None and summary.links is not None:
                _check_links(summary, self.targets, self.diags)
        self.dropped = {s.key for s in old.values()} - {s.key for s in summaries.values()}
        self.sweep = not old
        index.entries = summaries
        return summaries


class _Render:
    """Stages 4 and 5: key every output, render what changed, write."""

    def __init__(self, run: _Run, job: workers.Job, summaries: dict, model) -> None:
        from .publish import FEED_LIMIT

        self.run, self.summaries, self.model = run, summaries, model
        self.config, self.diags, self.cache = run.config, run.diags, run.cache
        env, whole = self._environment(model)
        self.site = model if whole else replace(model, articles=(), lists=(), assets=())
        # The entries the feeds show: the newest FEED_LIMIT overall and per language.
        feeds = set(p.entry.slug for p in model.articles[:FEED_LIMIT])
        for lang in model.languages:
            feeds.update(islice((p.link.slug for p in model.articles if lang in p.link.langs),
                                FEED_LIMIT))
        self.job = replace(job, site=self.site, search=run.search, feeds=frozenset(feeds),
                           previous=run.previous)
        keys, links = run.keys, {}
        for page in model.articles:
            # An article is made from its entry's files (its summary's key stands for them and,
            # with the settings and the site's languages and labels in `env`, for its URL,
            # languages, pair and mode) and from the links to it, its neighbours and related
            # entries: keyed by those alone, not by the light page's whole repr (2,000 LangInfo
            # reprs a build at 1,000 entries). The links' reprs are hashed as they are, not
            # quoted again inside a list's repr (a third of a one-entry rebuild's keying).
            key = hashlib.blake2b(f"{env}\0{summaries[page.entry.slug].key}".encode(),
                                  digest_size=16)
            for link in (page.link, page.prev, page.next, *page.related):
                key.update(b"\0" + _link_repr(link, links).encode())
            keys[str(page.output)] = "a:" + key.hexdigest()
        for page in model.lists:
            keys[str(page.output)] = "l:" + digest(env, _page_repr(page, links))
        self.extras_key = "x:" + digest(
            env, source_date_epoch(),
            [(p.url, p.entry.langs, p.link.date) for p in model.articles],
            sorted((slug, keys[f"{slug}/index.html"]) for slug in feeds))
        self.search_key = "s:" + digest(env, [(p.entry.slug, summaries[p.entry.slug].key)
                                              for p in model.articles]) if run.search else ""
        pages = {rel.casefold() for rel in keys}  # before the copies' keys join them
        self.copies, self.minified = self._copies()
        for source, rel in self.copies:
            keys[str(rel)] = "c:" + (run.index.files.digest_of(source) or "?")
        for source, rel in self.minified:
            keys[str(rel)] = "m:" + digest(run.code, run.index.files.digest_of(source) or "?")
        state = run.state
        outputs = run.session._verified(state) if run.write else None
        self.patching = outputs is not None
        if outputs is not None and outputs is not state.outputs:
            state = run.state = replace(state, outputs=outputs)
        self.old = state.keys if self.patching or not run.write else {}
        self._check_claims(pages)
        self.search_pages: dict[str, tuple] = {}
        self.bodies: dict[str, workers.ArticleBody] = {}
        self.digests: dict[str, str] = {}

    def _environment(self, model) -> tuple[str, bool]:
        """What every page shares: code, settings, templates, the site's languages and tags."""
        templates, whole = [], False
        for path in sorted(self.config.templates_dir.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                templates.append((str(path), data_digest(data)))
                whole = whole or bool(_WHOLE_SITE_RE.search(data.decode("utf-8", "replace")))
        site = repr(model) if whole else (model.languages, dict(model.labels), model.tags)
        return digest(self.run.code, config_key(self.config), templates, site), whole

    def _check_claims(self, pages: set[str]) -> None:
        """A theme file at a path the site writes is an error, in a cached build too: there the
        generated file may not be written again, for the output to see two owners."""
        made = pages | {rel.casefold() for rel, key in self.old.items()
                        if not key.startswith(("c:", "m:"))}
        static = self.config.static_dir  # entry assets have a check of their own (assemble)
        for source, rel in self.copies + self.minified:
            if str(rel).casefold() in made and source.is_relative_to(static):
                self.diags.error(source, None, f"two sources write the output file `{rel}` "
                                 "(also written by the site)", hint="rename one of them")

    def _copies(self) -> tuple[list[tuple[Path, PurePosixPath]], list[tuple[Path, PurePosixPath]]]:
        """The theme's static files at the site root, then entry assets beside their pages; and
        apart, the theme's scripts and stylesheets, which are shipped minified."""
        from .render import minifies, theme_files

        theme = theme_files(self.config.static_dir)
        copies = [(path, rel) for path, rel in theme if not minifies(path)]
        return (copies + [(a.source, a.output) for a in self.model.assets],
                [(path, rel) for path, rel in theme if minifies(path)])

    def go(self, report: BuildReport) -> None:
        from .output import PublishReport, patch, publish

        run, diags, out = self.run, self.diags, self.config.out_dir
        files = self._digesting(self._files(report))
        ok = lambda: not diags.has_errors()  # noqa: E731
        if not run.write:
            for _ in files:
                pass
            report.parsed = run._readable(self.job, self.summaries)
            return
        if self.patching:
            copies = [(s, r) for s, r in self.copies if self.old.get(str(r)) != run.keys[str(r)]]
            changed = (f for f in files if run.state.outputs.get(str(f.path), ((), ""))[1]
                       != self.digests[str(f.path)])
            written = [str(r) for _, r in copies]
            stale = (PurePosixPath(rel) for rel in run.state.outputs if rel not in run.keys)
            result = patch(out, _noting(changed, written), copies, stale, ok)
            if result is not None:
                self._patched(written)
                result = PublishReport(len(written), len(run.keys) - len(written))
                report.written = tuple(written)
        else:
            result = publish(out, files, self.copies, ok)
            if result is not None:
                self._published()
        report.published = result
        report.pages = sum(rel.endswith(".html") for rel in run.keys)

    def _files(self, report: BuildReport) -> Iterator:
        """Every generated file whose key changed: articles (workers), lists, extras, search."""
        from .render import minified_files, render_pages, render_site

        run, keys, old = self.run, self.run.keys, self.old
        tasks = [(p, self.summaries[p.entry.slug].key, None) for p in self.model.articles
                 if old.get(str(p.output)) != keys[str(p.output)]]
        report.rendered = len(tasks)
        for done, result in enumerate(workers.run(self.job, "page", tasks, run.session.workers)):
            self._took(result)
            if run.progress:
                run.progress(done + 1, len(tasks))
            if result.file is not None:
                yield result.file
        lists = [p for p in self.model.lists if old.get(str(p.output)) != keys[str(p.output)]]
        report.rendered += len(lists)
        yield from render_pages(lists, self.site, self.config, self.job.theme, self.diags)
        yield from self._keyed(self.extras_key, lambda: render_site(
            self._with_feed_bodies(), self.config, self.job.theme, self.diags, only=frozenset()))
        yield from minified_files([(s, r) for s, r in self.minified
                                   if old.get(str(r)) != keys[str(r)]], self.diags)
        if run.search:
            from .search import search_files

            yield from self._keyed(self.search_key, lambda: search_files(
                self.model, self.config, self.diags, self._all_search_pages()))

    def _keyed(self, key: str, make: Callable[[], Iterable]) -> Iterator:
        """Files made together under one key: made again only when the key changed."""
        kept = [rel for rel, old in self.old.items() if old == key]
        if kept:
            self.run.keys.update((rel, key) for rel in kept)
            return
        for item in make():
            self.run.keys[str(item.path)] = key
            yield item

    def _took(self, result: workers.PageResult) -> None:
        """Keep what the main process needs from a rendered article."""
        replay(self.diags, result.diagnostics)
        summary = self.summaries[result.slug]
        if summary.links is None:
            summary = self.summaries[result.slug] = replace(summary, links=result.links)
            self.run.index.entries[result.slug] = summary
            _check_links(summary, self.run.targets, self.diags)
        if result.record is not None:
            self.cache.memory[summary.key] = result.record
        if result.search:
            self.search_pages[result.slug] = result.search
        if result.body is not None:
            self.bodies[result.slug] = result.body

    def _records(self, slugs: list[str], fields: tuple[str, ...]
                 ) -> dict[str, workers.EntryRecord]:
        """These fields of these entries' cache records, parsing the entries the cache lost."""
        items = [(self.summaries[slug].light, self.summaries[slug].key, fields)
                 for slug in slugs]
        return {slug: record for slug, record in workers.run(
            self.job, "parsed", items, self.run.session.workers) if record is not None}

    def _with_feed_bodies(self):
        """The light model, with full articles where the feeds need their text.

        The feeds' texts are kept between builds (`BuildCache.load_feeds`): an edit to a recent
        entry makes the feeds again, and reading fifty records for them was a third of it.
        """
        # Pages rendered this time gave theirs (labelled); the others come from the cache, with
        # the labels of the build that made them.
        kept, labels = self.cache.load_feeds(self.diags), self.model.labels
        for slug in self.job.feeds:
            item = kept.get(slug)  # (entry key, body); the key covers the generator's code
            if slug not in self.bodies and isinstance(item, tuple) and len(item) == 2 and \
                    item[0] == self.summaries[slug].key:
                self.bodies[slug] = workers.labelled(item[1], labels)
        missing = [slug for slug in self.job.feeds if slug not in self.bodies]
        self.bodies.update((slug, workers.labelled(workers.feed_body(r.body), labels))
                           for slug, r in self._records(missing, ("body",)).items())
        feeds = {slug: (self.summaries[slug].key, self.bodies[slug])
                 for slug in self.job.feeds if slug in self.bodies}
        if feeds != kept:
            self.cache.save_feeds(feeds)
        return replace(self.model, articles=tuple(
            replace(p, rows=b.rows, langs=b.langs, has_code=b.has_code)
            if (b := self.bodies.get(p.entry.slug)) else p for p in self.model.articles))

    def _all_search_pages(self) -> list:
        missing = [(self.summaries[p.entry.slug].light, self.summaries[p.entry.slug].key)
                   for p in self.model.articles if p.entry.slug not in self.search_pages]
        self.search_pages.update(workers.run(self.job, "search", missing,
                                             self.run.session.workers))
        return [page for p in self.model.articles for page in self.search_pages[p.entry.slug]]

    def _digesting(self, files: Iterable) -> Iterator:
        for item in files:
            self.digests[str(item.path)] = data_digest(item.data)
            yield item

    def _published(self) -> None:
        """The manifest of a freshly published folder: every file's stat and digest."""
        run, files = self.run, self.run.index.files
        sources = {str(rel): source for source, rel in self.copies}
        found = scan(self.config.out_dir)
        for rel, stat in found.items():
            if rel in run.keys:
                key = self.digests.get(rel) or files.digest_of(sources[rel]) or "?"
                run.outputs[rel] = (stat, key)

    def _patched(self, written: list[str]) -> None:
        run = self.run
        run.outputs = {rel: seen for rel, seen in run.state.outputs.items() if rel in run.keys}
        sources = {str(rel): source for source, rel in self.copies}
        for rel in written:
            stat = stat_of(os.stat(self.config.out_dir / rel))
            key = self.digests.get(rel) or run.index.files.digest_of(sources[rel]) or "?"
            run.outputs[rel] = (stat, key)


def _page_repr(page, links: dict[int, str]) -> str:
    """repr(page) field by field, with each entry link's repr made once per build (`links`,
    by object): the index lists every entry, and each link is on three article pages too."""
    from .assemble import EntryLink

    def one(value) -> str:
        if isinstance(value, EntryLink):
            return _link_repr(value, links)
        if isinstance(value, tuple) and value and isinstance(value[0], EntryLink):
            return "(" + ", ".join(map(one, value)) + ")"
        return repr(value)

    return type(page).__name__ + "(" + ", ".join(
        f"{f.name}={one(getattr(page, f.name))}" for f in dataclasses.fields(page)) + ")"


def _link_repr(link, links: dict[int, str]) -> str:
    """repr(link) (an EntryLink or None), made once per build and link object."""
    text = links.get(id(link))
    if text is None:
        text = links[id(link)] = repr(link)
    return text


def _noting(files: Iterable, written: list[str]) -> Iterator:
    for item in files:
        written.append(str(item.path))
        yield item


def _forget(index: Index, path: Path) -> None:
    """Read `path` (a file, or every file below a folder) again, whatever its stat says."""
    prefix = str(path)
    for known in [k for k in index.files.known if k == prefix or k.startswith(prefix + os.sep)]:
        del index.files.known[known]


def replay(diags: Diagnostics, items: Iterable[Diagnostic]) -> None:
    """Record cached diagnostics again, through `diags` (so `--strict` applies to them too)."""
    for item in items:
        if item.strict_exempt:
            diags.notice(item.location.path, item.location.line, item.message, hint=item.hint)
            continue
        record = diags.error if item.severity == "error" else diags.warning
        record(item.location.path, item.location.line, item.message, col=item.location.col,
               hint=item.hint)


def _check_links(summary: workers.EntrySummary, targets: LinkTargets,
                 diags: Diagnostics) -> None:
    check_links(summary.links, summary.light.entry.path, targets, diags)
