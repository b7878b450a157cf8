"""What changed: watchdog events → classified, debounced change sets for the dev server.

Classified like zola's `detect_change_kind` (`src/fs_utils.rs`) and filtered like lektor's
watcher: editor temp files, dotfiles and the output folder are never changes. A save storm (an
editor writing a backup, a swap file and the file itself) becomes one `ChangeSet`.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from .config import SETTINGS_FILE, SiteConfig
from .content import is_ignored

# Events that do not change a file's bytes or a folder's listing.
_QUIET_EVENTS = {"opened", "closed_no_write"}


@dataclass(frozen=True)
class ChangeSet:
    """Everything that changed during one quiet period, by kind."""

    entries: frozenset[str] = frozenset()  # names directly below content/ ("": content/ itself)
    templates: bool = False
    static: bool = False
    settings: bool = False
    paths: frozenset[Path] = field(default=frozenset(), compare=False)

    def __or__(self, other: ChangeSet) -> ChangeSet:
        return ChangeSet(self.entries | other.entries, self.templates or other.templates,
                         self.static or other.static, self.settings or other.settings,
                         self.paths | other.paths)

    def describe(self, root: Path) -> str:
        """A short list of the changed paths for the terminal, relative to the project."""
        names = sorted(_relative(path, root.resolve()) for path in self.paths)
        return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


@dataclass(frozen=True)
class Roots:
    """The watched places, resolved once so event paths compare with them directly."""

    content: Path
    templates: Path
    static: Path
    settings: Path
    out: Path

    @classmethod
    def of(cls, config: SiteConfig) -> Roots:
        settings = config.settings_path or config.root / SETTINGS_FILE
        return cls(config.content_dir.resolve(), config.templates_dir.resolve(),
                   config.static_dir.resolve(), settings.resolve(), config.out_dir.resolve())


def classify(path: Path, roots: Roots) -> ChangeSet | None:
    """The kind of change a path stands for, or None when it is not a source of the site."""
    if path.is_relative_to(roots.out):
        return None  # the build's own output: reloads come from the build, not from watching it
    if path == roots.settings:
        return ChangeSet(settings=True, paths=frozenset({path}))
    for root, kind in ((roots.content, "entries"), (roots.templates, "templates"),
                       (roots.static, "static")):
        if path.is_relative_to(root):
            parts = path.relative_to(root).parts
            if any(is_ignored(part) for part in parts):
                return None  # vim's 4913 and .swp, emacs' .#lock and backup~, dotfiles
            if kind != "entries":
                return ChangeSet(**{kind: True}, paths=frozenset({path}))
            return ChangeSet(entries=frozenset(parts[:1] or ("",)), paths=frozenset({path}))
    return None


class Debouncer:
    """Collects change sets; `wait()` returns their union once `quiet` seconds pass without one.

    `longest` bounds the wait, so a steady stream of saves still shows up now and then.
    """

    def __init__(self, quiet: float = 0.025, longest: float = 0.5) -> None:
        self.quiet, self.longest = quiet, longest
        self._cond = threading.Condition()
        self._pending: ChangeSet | None = None
        self._first = self._last = 0.0
        self._closed = False

    def add(self, change: ChangeSet) -> None:
        """Record a change (called from the watcher's thread)."""
        with self._cond:
            now = time.monotonic()
            if self._pending is None:
                self._pending, self._first = change, now
            else:
                self._pending |= change
            self._last = now
            self._cond.notify()

    def close(self) -> None:
        """Wake `wait()` for good: it returns None from now on."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def wait(self, timeout: float | None = None) -> ChangeSet | None:
        """Block until a burst of changes has settled; None once closed, or when nothing came
        within `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._closed:
                if self._pending is None:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return None
                    self._cond.wait(left)
                    continue
                due = min(self._last + self.quiet, self._first + self.longest)
                left = due - time.monotonic()
                if left <= 0:
                    change, self._pending = self._pending, None
                    return change
                self._cond.wait(left)
            return None


class _Handler(FileSystemEventHandler):
    def __init__(self, roots: Roots, sink: Callable[[ChangeSet], None]) -> None:
        self.roots, self.sink = roots, sink

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _QUIET_EVENTS or (event.is_directory
                                                 and event.event_type == "modified"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            change = classify(Path(os.fsdecode(raw)), self.roots) if raw else None
            if change:
                self.sink(change)


def start_watching(config: SiteConfig, sink: Callable[[ChangeSet], None]) -> BaseObserver:
    """Watch content, templates, static and the settings file; `sink` gets each change."""
    roots = Roots.of(config)
    observer = Observer()
    handler = _Handler(roots, sink)
    rewatch = _Rewatch(observer, handler, (roots.content, roots.templates, roots.static))
    if roots.settings.parent.is_dir():  # the file may not exist yet: watch its folder
        observer.schedule(handler, str(roots.settings.parent), recursive=False)
    for parent in {folder.parent for folder in rewatch.folders}:
        if parent.is_dir():
            observer.schedule(rewatch, str(parent), recursive=False)
    observer.daemon = True
    observer.start()
    return observer


class _Rewatch(FileSystemEventHandler):
    """Watches a source folder, and watches it again when it is made anew (`rm -rf content`,
    then `cp -r`): the system drops a deleted folder's watch, so edits in the new one would
    go unseen. Scheduled on the folders' parents; a folder made later is watched from then."""

    def __init__(self, observer: BaseObserver, handler: _Handler,
                 folders: tuple[Path, ...]) -> None:
        self.observer, self.handler, self.folders = observer, handler, folders
        self.watches = {folder: observer.schedule(handler, str(folder), recursive=True)
                        for folder in folders if folder.is_dir()}

    def on_created(self, event: FileSystemEvent) -> None:
        self._again(event.src_path)

    def on_moved(self, event: FileSystemEvent) -> None:
        self._again(event.dest_path)

    def _again(self, raw: str | bytes) -> None:
        folder = Path(os.fsdecode(raw))
        if folder not in self.folders or not folder.is_dir():
            return
        old = self.watches.pop(folder, None)
        if old is not None:
            with contextlib.suppress(KeyError):
                self.observer.unschedule(old)
        self.watches[folder] = self.observer.schedule(self.handler, str(folder), recursive=True)
        change = classify(folder, self.handler.roots)  # what was made before the watch was
        if change:
            self.handler.sink(change)
