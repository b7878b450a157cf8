"""The only writer: builds the new site in a temporary folder beside the output, then swaps it in.

A failed or interrupted build leaves the previous site untouched and no temporary folder behind
(Ctrl-C is held back during the two renames and the clean-up; folders left by a killed build are
swept by the next one). Files whose bytes did not change are hard-linked from the previous site,
so an unchanged page keeps its inode and modification time (rsync, caches and the dev server see
no change). Two sources writing one output path stop the build.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .config import SiteConfig
from .errors import Diagnostic, Diagnostics, SiteError, SourceLocation
from .render import SITE_MARK, SITE_MARK_TEXT, OutputFile


@dataclass(frozen=True)
class PublishReport:
    written: int  # files whose bytes are new or changed
    unchanged: int  # files carried over from the previous site


def check_out_dir(config: SiteConfig, diags: Diagnostics) -> bool:
    """Refuse output folders whose replacement would destroy sources: before anything is deleted.

    The output may not be, contain or lie inside the content, templates or static folders (the
    project's, or the generator's theme it is built with), and may not be or contain the
    project folder, the working directory, the home folder or `/`.
    """
    out_dir, root = config.out_dir, config.root
    out = out_dir.resolve()  # a loop of links was refused on the command line
    sources = {"the content folder": config.content_dir,
               "the templates folder": config.templates_dir, "the static folder": config.static_dir,
               "the project's templates folder": root / "templates",
               "the project's static folder": root / "static"}
    guarded = {**sources, "the project folder": root, "the working directory": Path.cwd(),
               "your home folder": Path.home()}
    hint = "choose a new folder such as site/"
    if out == Path(out.anchor):
        diags.error(out_dir, None, "refusing to use / as the output folder", hint=hint)
        return False
    for name, path in guarded.items():
        if path.resolve().is_relative_to(out):
            diags.error(out_dir, None, f"refusing to use {out_dir} as the output folder: it is "
                        f"or contains {name}", hint=hint)
            return False
    for name, path in sources.items():
        if out.is_relative_to(path.resolve()):
            diags.error(out_dir, None, f"refusing to use {out_dir} as the output folder: it is "
                        f"inside {name}", hint=hint)
            return False
    if out_dir.exists() and not out_dir.is_dir():
        diags.error(out_dir, None, "the output folder exists and is not a folder", hint=hint)
        return False
    stranger = _foreign_file(out_dir)
    if stranger:
        diags.error(out_dir, None, f"refusing to replace {out_dir}: it holds files no build "
                    f"of this site wrote, such as {stranger}",
                    hint="empty it, or choose a new folder such as site/")
        return False
    return True


def _foreign_file(out_dir: Path) -> str | None:
    """A file's name when `out_dir` is a folder of something other than a site built here.

    Each build replaces the whole folder, so it must be empty, missing, or marked by a
    previous build: `.nojekyll` holding SITE_MARK_TEXT, or empty beside an `index.html`
    (sites built before the mark had text).
    """
    try:
        names = sorted(path.name for path in out_dir.iterdir())
        mark = (out_dir / SITE_MARK).read_bytes() if str(SITE_MARK) in names else None
    except FileNotFoundError:
        return None
    except OSError:
        names, mark = [str(SITE_MARK)], None  # unreadable: not known to be a built site
    if not names or mark == SITE_MARK_TEXT or (mark == b"" and "index.html" in names):
        return None
    return next((name for name in names if name != str(SITE_MARK)), names[0])


def publish(out_dir: Path, files: Iterable[OutputFile],
            copies: Iterable[tuple[Path, PurePosixPath]],
            ok: Callable[[], bool]) -> PublishReport | None:
    """Write every file into a fresh folder; swap it in if `ok()` holds at the end, else discard.

    Raises SiteError when two files claim one path or a file cannot be written.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _sweep(out_dir)
    tmp = _fresh_name(out_dir, "tmp")
    try:
        tmp.mkdir()  # inside the try: a Ctrl-C just after it still removes the folder
        report = _fill(tmp, out_dir, files, copies)
        if not ok():
            with _interrupts_held():
                _remove(tmp)
            return None
        with _interrupts_held():
            _swap(tmp, out_dir)
    except BaseException:
        with _interrupts_held():
            _remove(tmp)  # Ctrl-C and crashes included: the old site stays as it was
        raise
    return report


def patch(out_dir: Path, files: Iterable[OutputFile],
          copies: Iterable[tuple[Path, PurePosixPath]], stale: Iterable[PurePosixPath],
          ok: Callable[[], bool]) -> PublishReport | None:
    """Bring a site the build cache vouches for up to date, writing only what changed.

    The pipeline calls this only when the output folder is, file for file, what the last build
    left (same stat as recorded), so untouched files need no copy and no comparison; relinking
    thousands of files into a fresh folder (`publish`) costs more than the whole rebuild. The
    changed files are staged beside the output and moved in only once `ok()` holds: a failed
    build leaves the previous site as it was; each file is replaced atomically (rename), and
    the stale files are removed last. Returns the number written as `written`.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _sweep(out_dir)
    stage = _fresh_name(out_dir, "tmp")
    try:
        stage.mkdir()  # inside the try: a Ctrl-C just after it still removes the folder
        owners: dict[str, Path | None] = {}
        staged = []
        for item in files:
            _claim(owners, item.path, item.source)
            _guarded(out_dir, item.path, lambda i=item: _target(stage, i.path).write_bytes(i.data))
            staged.append(item.path)
        for source, rel in copies:
            _claim(owners, rel, source)
            _guarded(out_dir, rel, lambda s=source, r=rel: shutil.copyfile(s, _target(stage, r)))
            staged.append(rel)
        if not ok():
            return None
        with _interrupts_held():
            for rel in stale:
                _remove(out_dir.joinpath(*rel.parts))
                _prune(out_dir, rel)
            for rel in staged:
                _guarded(out_dir, rel, lambda r=rel: os.replace(stage.joinpath(*r.parts),
                                                                _target(out_dir, r)))
    finally:
        with _interrupts_held():
            _remove(stage)
    return PublishReport(len(staged), 0)


def _prune(out_dir: Path, rel: PurePosixPath) -> None:
    """Remove the folders a deleted file leaves empty, up to the output folder."""
    for parent in out_dir.joinpath(*rel.parts).parents:
        if parent == out_dir or not parent.is_relative_to(out_dir):
            return
        try:
            parent.rmdir()
        except OSError:
            return


def _fill(tmp: Path, out_dir: Path, files: Iterable[OutputFile],
          copies: Iterable[tuple[Path, PurePosixPath]]) -> PublishReport:
    written = unchanged = 0
    owners: dict[str, Path | None] = {}
    for item in files:
        _claim(owners, item.path, item.source)
        fresh = _guarded(out_dir, item.path, lambda i=item: _write(tmp, out_dir, i.path, i.data))
        written, unchanged = written + fresh, unchanged + (not fresh)
    for source, target in copies:
        _claim(owners, target, source)
        fresh = _guarded(out_dir, target, lambda s=source, t=target: _copy(tmp, out_dir, s, t))
        written, unchanged = written + fresh, unchanged + (not fresh)
    return PublishReport(written, unchanged)


def _claim(owners: dict[str, Path | None], rel: PurePosixPath, source: Path | None) -> None:
    """One owner per output path; case-insensitively, as macOS and Windows file systems see it."""
    key = str(rel).casefold()
    if key in owners:
        first = owners[key]
        where = f" (also written from {first})" if first else " (also written by the site)"
        raise SiteError([Diagnostic("error", SourceLocation(source or Path(str(rel))),
                                    f"two sources write the output file `{rel}`{where}",
                                    "rename one of them")])
    owners[key] = source


def _guarded(out_dir: Path, rel: PurePosixPath, action: Callable[[], bool]) -> bool:
    """An OSError while writing (disk full, a file where a folder must go) as a located error."""
    try:
        return action()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SiteError([Diagnostic("error", SourceLocation(out_dir / str(rel)),
                                    f"cannot write `{rel}`: {reason}")]) from None


def _target(tmp: Path, rel: PurePosixPath) -> Path:
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or "\0" in str(rel):
        raise SiteError([Diagnostic("error", SourceLocation(Path(str(rel))),
                                    f"output path escapes the site: `{rel}`")])
    target = tmp.joinpath(*rel.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _write(tmp: Path, out_dir: Path, rel: PurePosixPath, data: bytes) -> bool:
    """Write one file; True when its bytes differ from the previous site's."""
    target = _target(tmp, rel)
    old = out_dir.joinpath(*rel.parts)
    if _same_bytes(old, lambda: data, len(data)) and _link(old, target):
        return False
    target.write_bytes(data)
    return True


def _copy(tmp: Path, out_dir: Path, source: Path, rel: PurePosixPath) -> bool:
    target = _target(tmp, rel)
    old = out_dir.joinpath(*rel.parts)
    if _same_bytes(old, source.read_bytes, source.stat().st_size) and _link(old, target):
        return False
    shutil.copyfile(source, target)
    return True


def _same_bytes(old: Path, data: Callable[[], bytes], size: int) -> bool:
    """Whether the previous site holds these bytes, in a plain file (never through a link)."""
    try:
        return old.is_file() and not old.is_symlink() and old.stat().st_size == size \
            and old.read_bytes() == data()
    except OSError:
        return False


def _link(old: Path, target: Path) -> bool:
    try:
        os.link(old, target)
        return True
    except OSError:  # another file system, or links not allowed: a copy will do
        return False


def _swap(tmp: Path, out_dir: Path) -> None:
    """Two renames: the old site moves aside, the new one takes its name, the old one goes."""
    old = _fresh_name(out_dir, "old")
    if out_dir.exists() or out_dir.is_symlink():
        os.replace(out_dir, old)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        if old.exists() and not out_dir.exists():
            os.replace(old, out_dir)
        raise
    _remove(old)


def _fresh_name(out_dir: Path, kind: str) -> Path:
    """`.site.tmp-<pid>-<random>` beside the output: same file system, so renames are atomic."""
    return out_dir.parent / f".{out_dir.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _sweep(out_dir: Path) -> None:
    """Remove temporary folders that builds killed outright (no Ctrl-C) left beside the output."""
    pattern = re.compile(rf"^\.{re.escape(out_dir.name)}\.(?:tmp|old)-(\d+)(?:-[0-9a-f]+)?$")
    try:
        siblings = list(out_dir.parent.iterdir())
    except OSError:
        return
    for path in siblings:
        match = pattern.match(path.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            _remove(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C back while folders are renamed or removed, then deliver it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(signal.SIGINT, None)
        elif caught and previous != signal.SIG_IGN:
            raise KeyboardInterrupt


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)
