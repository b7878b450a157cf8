"""The build cache: what earlier builds learnt, so a rebuild does only what its changes require.

On disk (`.cache/` at the project root unless `--cache-dir` moves it; safe to delete):

* `state.bin`: read first by every build. The fingerprint of every input (settings, templates,
  static files, content, generator code) as of the last published site, that build's
  diagnostics, and the manifest of the output folder it left (each file's stat and digest,
  with the render key it was made from). Inputs and output unchanged: nothing to do.
* `index.bin`: each content file's stat and digest (so unchanged files are not read again),
  and a light summary of each entry (front matter, diagnostics, links) by slug.
* `answers.bin`: what langcodes said about the site's language tags, Babel about its dates and
  Pygments about its code colours (`answers.py`), read before the settings are, so a build that
  asks nothing new imports none of them.
* `feeds.bin`: the text of each entry in the feeds, by slug and entry key, so an edit to a
  recent entry makes the feeds again without reading fifty entry records.
* `entries/ab/<key>.bin`: one entry parsed and aligned, with its article body and search text,
  under a key hashing its files, its assets' names, the settings parsing depends on and the
  generator's code. Written by the worker that parsed it; read when a page must be rendered
  again without its text having changed (a template edit, a neighbour's new title). Each field
  is pickled apart, so a page reads its body without the parsed blocks, the search index its
  pages without either.

Every file is `MAGIC`, the format version, a BLAKE2 digest of the payload, then the payload
(pickle protocol 5). A file that fails any check is never trusted: the build says so and
rebuilds. Unpickling resolves only the classes on an allow-list (this package's dataclasses,
paths, dates), so even a planted file cannot run code.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import pickle
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostic, Diagnostics

MAGIC = b"bitext build cache\n"
FORMAT = 1
TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# bitext build cache; safe to delete.\n"
# A file changed within this long before a build read it may change again within the same
# timestamp tick (1-2 s on some file systems): its stat is not trusted to mean "unchanged".
RACY_NS = 2_000_000_000

Stat = tuple[int, int, int, int]  # size, mtime_ns, inode, ctime_ns


class CacheError(Exception):
    """A cache file that cannot be trusted (truncated, corrupt, foreign)."""


# -- keys ------------------------------------------------------------------------------------

def digest(*parts: object) -> str:
    """A short hex key for anything with a stable `repr` (tuples of str, int, Path, dates)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def data_digest(data: bytes) -> str:
    """The digest of a file's bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def code_key() -> str:
    """The generator's identity: its source files' bytes, the Python running it, and the
    installed packages (each site-packages folder's listing, which names every distribution
    and its version).

    Bytes, not modification times: a fresh checkout and a fresh virtual environment (the Pages
    workflow restoring its cache) have new times and the same code, and must find the cache
    valid. Reading the package's ~350 KB costs about a millisecond.
    """
    here = Path(__file__).parent
    parts: list[object] = [FORMAT, sys.version, sys.implementation.cache_tag]
    for root, dirs, names in os.walk(here):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                path = os.path.join(root, name)
                with open(path, "rb") as file:
                    parts.append((os.path.relpath(path, here), data_digest(file.read())))
    for entry in sys.path:
        if entry.endswith("-packages"):
            with contextlib.suppress(OSError):
                parts.append((entry, sorted(os.listdir(entry))))
    return digest(*parts)


def config_key(config: Any) -> str:
    """Settings that shape the output (everything but where it is written and read from)."""
    skip = {"out_dir", "settings_path", "root", "theme_root"}
    return digest(*((f.name, getattr(config, f.name)) for f in dataclasses.fields(config)
                    if f.name not in skip))


def source_date_epoch() -> str:
    """SOURCE_DATE_EPOCH, which only the feeds read (the time of an undated entry): it keys
    them, not every page, since the Pages workflow sets it anew for each commit."""
    return os.environ.get("SOURCE_DATE_EPOCH", "")


# -- stats -----------------------------------------------------------------------------------

def stat_of(info: os.stat_result) -> Stat:
    # The change time too: a tool can put a file's modification time back after rewriting it
    # in place (same size, same inode), never its change time (git's index checks it too).
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)


def scan(folder: Path) -> dict[str, Stat]:
    """Every file and folder below `folder` by relative path, links not followed; {} if absent.

    Folders count with their inode only (their listing shows in the files), links with their
    target, so the scan changes whenever something a build reads could have.
    """
    found: dict[str, Stat] = {}

    def walk(path: str, prefix: str) -> None:
        try:
            items = sorted(os.scandir(path), key=lambda item: item.name)
        except OSError:
            return
        for item in items:
            rel = prefix + item.name
            if item.is_symlink():
                found[rel + " -> " + os.readlink(item.path)] = (-1, 0, 0, 0)
            elif item.is_dir(follow_symlinks=False):
                found[rel + "/"] = (0, 0, item.inode(), 0)
                walk(item.path, rel + "/")
            else:
                found[rel] = stat_of(item.stat(follow_symlinks=False))

    walk(str(folder), "")
    return found


def racy(stat: Stat, since_ns: int) -> bool:
    """True when the file changed so close to `since_ns` that its stat may hide a later edit."""
    return max(stat[1], stat[3]) >= since_ns - RACY_NS


@dataclass
class FileDigests:
    """Digests of files by path, trusted while their stat is the one they were read with."""

    known: dict[str, tuple[Stat, str]] = field(default_factory=dict)

    def get(self, path: Path) -> tuple[Stat, str] | None:
        """(stat, digest) when the file is unchanged since it was digested, else None."""
        try:
            now = stat_of(os.stat(path))
        except OSError:
            return None
        seen = self.known.get(str(path))
        return seen if seen is not None and seen[0] == now else None

    def read(self, path: Path) -> tuple[Stat, str, bytes]:
        """Read a file, remember its digest; raises OSError."""
        with open(path, "rb") as file:
            info = os.fstat(file.fileno())
            data = file.read()
        stat, key = stat_of(info), data_digest(data)
        self.known[str(path)] = (stat, key)
        return stat, key, data

    def digest_of(self, path: Path) -> str | None:
        """The file's digest, read only if its stat changed; None if it cannot be read."""
        seen = self.get(path)
        if seen is not None:
            return seen[1]
        try:
            return self.read(path)[1]
        except OSError:
            return None

    def trusted(self, since_ns: int) -> FileDigests:
        """Only the digests a later build may trust (see `racy`)."""
        return FileDigests({path: seen for path, seen in self.known.items()
                            if not racy(seen[0], since_ns)})


# -- what is stored --------------------------------------------------------------------------

@dataclass
class State:
    """The last published site: the inputs it was built from, its output, its diagnostics."""

    snapshot: str | None = None  # fingerprint of every input; None: do not skip the next build
    out_dir: str | None = None
    outputs: dict[str, tuple[Stat, str]] = field(default_factory=dict)  # rel path → stat, digest
    keys: dict[str, str] = field(default_factory=dict)  # rel path → key of what rendered it
    diagnostics: tuple[Diagnostic, ...] = ()
    counts: tuple[int, int, int] = (0, 0, 0)  # entries, pages, languages


@dataclass
class Index:
    """What is known about the content: file digests and each entry's light summary."""

    code: str = ""
    files: FileDigests = field(default_factory=FileDigests)
    entries: dict[str, Any] = field(default_factory=dict)  # slug → pipeline's EntrySummary


class BuildCache:
    """Loads and saves the cache files; with `folder=None` everything lives in memory only."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.memory: dict[str, Any] = {}  # entry records when there is no folder

    def _file(self, name: str) -> Path:
        return (self.folder or Path(".cache")) / name

    def load_state(self, diags: Diagnostics) -> State:
        return self._load(self._file("state.bin"), State, diags) or State()

    def load_index(self, code: str, diags: Diagnostics) -> Index:
        index = self._load(self._file("index.bin"), Index, diags)
        return index if index is not None and index.code == code else Index(code)

    def load_answers(self, code: str, diags: Diagnostics) -> dict:
        """The answers (`answers.py`) saved by a build of the same code, else {}."""
        saved = self._load(self._file("answers.bin"), tuple, diags)
        if saved is None or len(saved) != 2 or saved[0] != code or not isinstance(saved[1], dict):
            return {}
        return saved[1]

    def save_answers(self, code: str, answers: dict) -> None:
        self._save("answers.bin", (code, answers))

    def load_feeds(self, diags: Diagnostics) -> dict:
        """The feeds' article texts as last made: {slug: (entry key, workers.feed_body)}."""
        if self.folder is None:
            return self.memory.get("feeds", {})
        return self._load(self._file("feeds.bin"), dict, diags) or {}

    def save_feeds(self, feeds: dict) -> None:
        if self.folder is None:
            self.memory["feeds"] = feeds
        self._save("feeds.bin", feeds)

    def _save(self, name: str, value: object) -> bool:
        """One file, atomically; False if it could not be written (a read-only or full disk
        costs the next build time, never correctness)."""
        if self.folder is None:
            return False
        try:
            self._make_folder()
            write_atomic(self._file(name), dumps(value))
        except OSError:
            return False
        return True

    def save(self, state: State | None, index: Index | None) -> None:
        """Write the index, then the state (each atomically); errors are not fatal."""
        if index is not None and not self._save("index.bin", index):
            return  # no state without the index it was built with
        if state is not None:
            self._save("state.bin", state)

    def _make_folder(self) -> None:
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        tag = self.folder / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(TAG, encoding="utf-8")

    def templates_folder(self) -> Path | None:
        """Where Jinja keeps compiled templates (its own format: checked against the template's
        source and Jinja's version, recompiled when stale or unreadable), or None."""
        if self.folder is None:
            return None
        try:
            self._make_folder()
            (self.folder / "templates").mkdir(exist_ok=True)
        except OSError:
            return None
        return self.folder / "templates"

    def _load(self, path: Path, kind: type, diags: Diagnostics) -> Any:
        if self.folder is None:
            return None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            return _unreadable(path, exc.strerror or str(exc), diags)
        try:
            value = loads(data)
        except CacheError as exc:
            return _unreadable(path, str(exc), diags)
        return value if isinstance(value, kind) else _unreadable(path, "unexpected content", diags)

    # -- entry records: written and read by the workers too --------------------------------

    def record_path(self, key: str) -> Path:
        return (self.folder or Path(".cache")) / "entries" / key[:2] / f"{key}.bin"

    def write_record(self, key: str, record: Any) -> None:
        """Store a dataclass under `key`, each field pickled apart: a reader unpickles only the
        fields it asks for (a page needs a third of an entry's record)."""
        if self.folder is None:
            self.memory[key] = record
            return
        sections = {f.name: pickle.dumps(getattr(record, f.name), protocol=5)
                    for f in dataclasses.fields(record)}
        with contextlib.suppress(OSError):
            write_atomic(self.record_path(key), dumps((type(record), sections)))

    def read_record(self, key: str, fields: Collection[str] | None = None) -> Any:
        """The record stored under `key`, or None (missing or untrustworthy: parse again).

        With `fields`, only those are read: the others are left unset (reading one raises
        AttributeError), so such a record is never written back whole by mistake.
        """
        if self.folder is None:
            return self.memory.get(key)
        try:
            kind, sections = loads(self.record_path(key).read_bytes())
            names = {f.name for f in dataclasses.fields(kind)}
            if not isinstance(sections, dict) or sections.keys() != names:
                return None
            record = object.__new__(kind)
            for name in names if fields is None else names & set(fields):
                object.__setattr__(record, name, _decode(sections[name]))
        except (OSError, CacheError, TypeError, ValueError):
            return None
        return record

    def forget_records(self, keys: set[str]) -> None:
        """Delete records no entry uses any more (content edited or removed)."""
        for key in keys:
            if self.folder is None:
                self.memory.pop(key, None)
            else:
                with contextlib.suppress(OSError):
                    self.record_path(key).unlink()

    def keep_records(self, keys: set[str]) -> None:
        """Delete every record but these (and leftovers of killed writes) from the folder."""
        if self.folder is None:
            return
        with contextlib.suppress(OSError), os.scandir(self.folder / "entries") as shelves:
            for shelf in shelves:
                with contextlib.suppress(OSError), os.scandir(shelf.path) as files:
                    for file in files:
                        if file.name.removesuffix(".bin") not in keys:
                            with contextlib.suppress(OSError):
                                os.unlink(file.path)


def _unreadable(path: Path, why: str, diags: Diagnostics) -> None:
    diags.notice(path, None, f"ignoring unreadable build cache ({why})",
                 hint="it is rebuilt; delete the folder if this repeats")
    return None


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# -- format ----------------------------------------------------------------------------------

def dumps(value: object) -> bytes:
    """MAGIC, format version, digest of the payload, payload."""
    payload = pickle.dumps(value, protocol=5)
    check = hashlib.blake2b(payload, digest_size=32).digest()
    return MAGIC + FORMAT.to_bytes(2, "big") + check + payload


def loads(data: bytes) -> Any:
    """The value `dumps` stored; CacheError for anything else."""
    head = len(MAGIC) + 2 + 32
    if not data.startswith(MAGIC):
        raise CacheError("not a bitext cache file")
    if len(data) < head:
        raise CacheError("truncated")
    if int.from_bytes(data[len(MAGIC):len(MAGIC) + 2], "big") != FORMAT:
        raise CacheError("written by another version of bitext")
    payload = memoryview(data)[head:]
    if hashlib.blake2b(payload, digest_size=32).digest() != data[head - 32:head]:
        raise CacheError("checksum mismatch: truncated or corrupt")
    return _decode(payload)


def _decode(payload: bytes | memoryview) -> Any:
    """Unpickle through the allow-list (`_Unpickler`); CacheError for anything it refuses."""
    try:
        return _Unpickler(io.BytesIO(payload)).load()
    except Exception as exc:  # anything a hostile or stale payload can raise
        raise CacheError(f"cannot decode: {type(exc).__name__}") from None


_ALLOWED = {
    ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"), ("pathlib", "Path"),
    ("pathlib", "PurePosixPath"), ("pathlib", "PureWindowsPath"), ("datetime", "date"),
    ("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta"),
    ("collections", "OrderedDict"), ("copyreg", "_reconstructor"), ("builtins", "object"),
}


class _Unpickler(pickle.Unpickler):
    """Resolves only plain data types and this package's dataclasses: no code runs on load."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module.split(".")[0] == __package__ and "." in module:
            found = super().find_class(module, name)
            if isinstance(found, type) and dataclasses.is_dataclass(found):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a build cache")


def now_ns() -> int:
    return time.time_ns()
