"""`serve`: build, serve the output folder with live reload, rebuild on every change.

watchdog → debounce → classify (`watch.py`) → rebuild what changed (`livebuild.py`) → livereload
(HTTP side in `devhttp.py`). The shape follows mkdocs' `livereload/__init__.py` (a build loop that
survives failures) and lektor's `BackgroundBuilder`. Three choices keep the preview honest:

* The site's pages carry a strict CSP (`script-src 'self' 'sha256-…'`), which blocks the inline
  loader python-livereload injects. So this server injects one same-origin script instead,
  `/__bitext__/client.js`, which loads livereload's own `livereload.js` and draws the error
  overlay from a stylesheet, all allowed by `'self'`: the preview runs under the real CSP.
  A build that failed (or only cleared the errors) sends livereload the path
  `/__bitext__/status`, which the client's livereload plugin takes: the overlay updates and
  the page, the last good one, stays.
* python-livereload drops a reload that comes within 3 s of the previous one, but only in its
  own file poller (`LiveReloadHandler.poll_tasks`). Builds here call `reload_waiters` directly,
  so every build that changed the site reaches the browser, however fast the saves come.
* Every request is resolved against the output folder as it is now (builds replace files or
  swap the folder), inside it only: no `..`, no symlinks out, and GitHub Pages' URL rules.

The search index (Pagefind, seconds per run) is made in a background thread once the site has
been quiet for a moment, and published by the builder like any other change.
"""
from __future__ import annotations

import contextlib
import errno
import gc
import os
import shutil
import signal
import sys
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable
from pathlib import Path

from livereload.handlers import LiveReloadHandler
from tornado import httpserver, netutil
from tornado.ioloop import IOLoop

from .config import SiteConfig
from .devhttp import STATUS_PATH, Status, make_app, reload_path
from .errors import Diagnostic, Diagnostics, count
from .livebuild import LiveSite, Outcome, make_site
from .output import check_out_dir
from .render import OutputFile
from .search import SEARCH_DIR, search_files
from .watch import ChangeSet, Debouncer, start_watching

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SEARCH_IDLE = 3.0  # seconds without a build before the search index is refreshed
THAW_IDLE = 2.0  # seconds without a change before a full garbage collection


def say(text: str, err: bool = False) -> None:
    """One line for the terminal (the dev server talks while it runs)."""
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


class Reporter:
    """Prints each build's diagnostics to the terminal; a warning is told once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.told: set[Diagnostic] = set()

    def __call__(self, outcome: Outcome, what: str) -> None:
        for diag in outcome.diagnostics:
            if diag.severity == "error" or diag not in self.told:
                say(diag.format(), err=True)
        self.told = set(outcome.diagnostics)
        if not outcome.ok:
            errors = sum(d.severity == "error" for d in outcome.diagnostics)
            say(f"build failed ({what}): {count(errors, 'error')}; still serving the last good "
                "site", err=True)
        elif what == "start":
            say(f"built {count(outcome.entries, 'entry', 'entries')}, "
                f"{count(outcome.pages, 'page')} in {outcome.seconds:.2f} s")
        else:
            say(f"rebuilt in {outcome.seconds * 1000:.0f} ms ({what}): "
                f"{count(outcome.rendered, 'page')} rendered, "
                f"{count(len(outcome.written), 'file')} written, {len(outcome.removed)} removed")



class Builder(threading.Thread):
    """Waits for settled changes, rebuilds, and hands each outcome to the server's loop."""

    def __init__(self, site: LiveSite, changes: Debouncer, loop: IOLoop,
                 done: Callable[[Outcome], None], report: Reporter) -> None:
        super().__init__(name="bitext-builder", daemon=True)
        self.site, self.changes, self.loop, self.done, self.report = (site, changes, loop,
                                                                     done, report)
        out = site.config.out_dir
        self.search = SearchIndexer(lambda: changes.add(ChangeSet()),
                                    work_dir=out.parent / f".{out.name}.preview-search")

    def run(self) -> None:
        self.search.site_changed(self.site)
        thaw = False  # a full collection is due once the saves stop
        failed = False  # the last rebuild's outcome
        while True:
            change = self.changes.wait(timeout=THAW_IDLE if thaw else None)
            if change is None and not self.changes.closed:
                settle_memory(full=True)
                thaw = False
                continue
            if change is None:
                break
            bundles = self.search.take()
            if bundles is not None:
                self.site.add_files(bundles)
            if failed and change == ChangeSet():
                continue  # an index to publish while the site is broken: the next good rebuild
                # publishes it; a rebuild now would only say the same error again
            outcome = rebuild(self.site, change)
            failed = not outcome.ok
            self.report(outcome, change.describe(self.site.config.root) or "search index")
            self.loop.add_callback(self.done, outcome)
            if outcome.ok and change != ChangeSet():
                self.search.site_changed(self.site)
            settle_memory()
            thaw = thaw or change.templates or change.settings
        self.search.close()


class SearchIndexer:
    """Pagefind in a background thread, at low priority, once no build came for a while; its
    bundles are handed to the builder (`take`), which publishes them with a rebuild."""

    def __init__(self, wake: Callable[[], None], idle: float = SEARCH_IDLE,
                 work_dir: Path | None = None) -> None:
        # Pagefind's temporary folders go in `work_dir`, removed by `close`: the thread is a
        # daemon, so a stop in the middle of an index never runs its own clean-up.
        self.wake, self.idle, self.work_dir = wake, idle, work_dir
        if work_dir is not None:
            shutil.rmtree(work_dir, ignore_errors=True)  # what a killed preview left
        self._cond = threading.Condition()
        self._due: tuple | None = None  # (site model, config, when it was published)
        self._ready: list[OutputFile] | None = None
        self._closed = False
        threading.Thread(target=self._run, name="bitext-search", daemon=True).start()

    def site_changed(self, site: LiveSite) -> None:
        """The site was published anew: index it once things are quiet."""
        model = site.published()
        with self._cond:
            self._due = None if model is None else (model, site.config, time.monotonic())
            self._cond.notify()

    def take(self) -> list[OutputFile] | None:
        with self._cond:
            ready, self._ready = self._ready, None
            return ready

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def _run(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # Linux: this thread and Pagefind
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        while (job := self._next()) is not None:
            model, config = job
            found = Diagnostics()
            try:
                bundles = list(search_files(model, config, found, work_dir=self.work_dir))
            except Exception as exc:  # the preview goes on without a fresh index
                found.error(config.out_dir, None, f"{exc!r}")
            if found.has_errors():
                say(f"warning: search index not updated: {found.errors[0].message}", err=True)
                continue
            with self._cond:
                self._ready = bundles
            self.wake()

    def _next(self) -> tuple | None:
        """The next site to index, once it has been published `idle` seconds ago."""
        with self._cond:
            while not self._closed:
                if self._due is None:
                    self._cond.wait()
                    continue
                left = self._due[2] + self.idle - time.monotonic()
                if left <= 0:
                    job, self._due = self._due[:2], None
                    return job
                self._cond.wait(left)
            return None


def settle_memory(full: bool = False) -> None:
    """Collect a build's garbage now and freeze the rest, so that the collector never walks
    the whole parsed site in the middle of the next rebuild (100+ ms at 1,000 entries). `full`
    thaws first, for the cyclic garbage a template or settings change leaves (the old Jinja
    environment): that walk is slow, so the builder does it once the saves have stopped."""
    if full:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def rebuild(site: LiveSite, change: ChangeSet | None) -> Outcome:
    """One rebuild; a bug in it is reported like a build error and the preview keeps serving."""
    try:
        return site.rebuild(change)
    except Exception as exc:
        traceback.print_exc()
        diags = Diagnostics()
        diags.error(site.config.root, None, f"internal error while building: {exc!r}")
        return Outcome(False, tuple(diags.items))


def serve(config: SiteConfig, *, host: str = "127.0.0.1", port: int = 8000,
          open_browser: bool = False,
          reload_config: Callable[[Diagnostics], SiteConfig] | None = None) -> int:
    """Build, then serve with live reload until Ctrl-C; returns the exit status."""
    diags = Diagnostics()
    if not check_out_dir(config, diags):
        for diag in diags.sorted():
            say(diag.format(), err=True)
        return EXIT_CONTENT
    try:
        sockets = netutil.bind_sockets(port, address=host)
    except OSError as exc:
        say(f"error: cannot serve on {host}:{port}: {_why(exc)}", err=True)
        return EXIT_USAGE
    site, report = make_site(config, reload_config), Reporter(config.root)
    first = rebuild(site, None)
    report(first, "start")
    settle_memory()
    return _run(site, first, report, sockets, host, open_browser)


def _why(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "the port is in use (is another `build.py serve` running?); choose another " \
               "with --port"
    if exc.errno == errno.EACCES:
        return "permission denied (ports below 1024 need privileges); choose another with --port"
    return exc.strerror or str(exc)


def _run(site: LiveSite, first: Outcome, report: Reporter, sockets: list, host: str,
         open_browser: bool) -> int:
    config = site.config
    loop = IOLoop.current()
    status = Status(config.root)
    status.update(first)
    server = httpserver.HTTPServer(make_app(config, status))
    server.add_sockets(sockets)

    def done(outcome: Outcome) -> None:
        changed = status.update(outcome)
        shown = [path for path in (*outcome.written, *outcome.removed)
                 if path.parts[:1] != SEARCH_DIR.parts]
        if outcome.ok and shown:  # a fresh search index alone changes nothing on the page
            LiveReloadHandler.reload_waiters(reload_path(outcome, config.base_path))
        elif changed:  # the overlay shows or clears the errors; the page stays
            LiveReloadHandler.reload_waiters(STATUS_PATH)

    changes = Debouncer()
    observer = start_watching(config, changes.add)
    builder = Builder(site, changes, loop, done, report)
    builder.start()
    url = _url(host, sockets[0].getsockname()[1], config.base_path)
    if host not in LOOPBACK:
        say(f"warning: --host {host} makes the preview reachable from other machines on your "
            "network; it is meant for your own eyes", err=True)
    say(f"Serving on {url} (Ctrl-C to stop)")
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    _stop_on_signals(loop)
    try:
        loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        changes.close()
        server.stop()
        builder.join(timeout=10)  # let a running build finish its files
        site.close()
    say("stopped")
    return EXIT_OK


def _stop_on_signals(loop: IOLoop) -> None:
    """Ctrl-C and SIGTERM stop the loop between requests: no traceback, exit 0."""
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.asyncio_loop.add_signal_handler(sig, loop.stop)
    except (AttributeError, RuntimeError, ValueError, NotImplementedError):
        pass  # not the main thread, or no signals here: KeyboardInterrupt still ends the loop


def _url(host: str, port: int, base: str) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}{base}"


__all__ = ["serve"]
