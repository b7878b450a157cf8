"""Diagnostics: every problem knows its file and line, and is collected before the build stops."""
from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a source file; line and column are 1-based, None when unknown."""

    path: Path
    line: int | None = None
    col: int | None = None

    def display(self, cwd: Path | None = None) -> str:
        """`path:line[:col]` with the path relative to `cwd` when it lies below it."""
        text = display_path(self.path, cwd)
        if self.line is not None:
            text += f":{self.line}"
            if self.col is not None:
                text += f":{self.col}"
        return text


@dataclass(frozen=True)
class Diagnostic:
    """One problem found while reading or building the site."""

    severity: Severity
    location: SourceLocation
    message: str
    hint: str | None = None
    # A warning about the build's own machinery (its cache), not the site: `--strict` keeps
    # it a warning, or a generator upgrade (a cache of another version) would fail one build.
    strict_exempt: bool = False

    def format(self, cwd: Path | None = None) -> str:
        """The `path:line: error: message` line a user (and an editor) can jump from."""
        text = f"{self.location.display(cwd)}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def sort_key(self) -> tuple:
        loc = self.location
        return (str(loc.path), loc.line or 0, loc.col or 0, self.severity, self.message)


@dataclass
class Diagnostics:
    """A collector handed to each stage, so one broken file does not hide the others.

    `strict` (the `--strict` flag) records every warning as an error, so a build that would
    only have warned fails before publishing, and leaves the previous site as it was.
    """

    items: list[Diagnostic] = field(default_factory=list)
    strict: bool = False

    def error(self, path: Path, line: int | None, message: str, *, col: int | None = None,
              hint: str | None = None) -> None:
        """Record an error at `path:line`."""
        self.items.append(Diagnostic("error", SourceLocation(path, line, col), message, hint))

    def warning(self, path: Path, line: int | None, message: str, *, col: int | None = None,
                hint: str | None = None) -> None:
        """Record a warning at `path:line` (an error under `--strict`)."""
        severity: Severity = "error" if self.strict else "warning"
        self.items.append(Diagnostic(severity, SourceLocation(path, line, col), message, hint))

    def notice(self, path: Path, line: int | None, message: str, *,
               hint: str | None = None) -> None:
        """Record a warning that `--strict` leaves a warning (see `Diagnostic.strict_exempt`)."""
        self.items.append(Diagnostic("warning", SourceLocation(path, line), message, hint,
                                     strict_exempt=True))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        """Add diagnostics gathered elsewhere (another process); warnings promoted if strict."""
        self.items.extend(replace(d, severity="error") if self.strict and not d.strict_exempt
                          else d for d in other)

    @property
    def errors(self) -> list[Diagnostic]:
        """Each error once, as they are printed (every page can meet the same template fault)."""
        return [d for d in dict.fromkeys(self.items) if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in dict.fromkeys(self.items) if d.severity == "warning"]

    def has_errors(self) -> bool:
        return any(d.severity == "error" or (self.strict and not d.strict_exempt)
                   for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """Unique diagnostics in file and line order, so output is stable."""
        return sorted(dict.fromkeys(self.items), key=Diagnostic.sort_key)


class SiteError(Exception):
    """Raised to stop a build; carries every diagnostic gathered so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


class UsageError(Exception):
    """A command-line mistake (exit status 2), as opposed to a content error (exit status 1)."""


def count(n: int, one: str, many: str = "") -> str:
    """`1 warning`, `2 warnings`, `0 entries`."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def display_path(path: Path, cwd: Path | None = None) -> str:
    """A path as the user would type it: relative to the working directory when possible.

    The last part is not resolved, so a link is named as the link, not as its target.
    """
    cwd = cwd or Path(os.getcwd())
    candidates = ((Path(os.path.abspath(path)), Path(os.path.abspath(cwd))),
                  (path.parent.resolve() / path.name, cwd.resolve()))
    for full, base in candidates:
        try:
            return str(full.relative_to(base))
        except ValueError:
            continue
    return str(path)


def suggest(word: str, known: Iterable[str]) -> str | None:
    """The nearest known name to a misspelt one, for 'did you mean …?' hints."""
    matches = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None
