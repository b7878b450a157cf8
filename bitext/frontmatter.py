"""Front matter: split it off a file, load its YAML with file line numbers, check every field.

Values are typed strictly: `title: 1.10` or `draft: "no"` are errors with a hint, never coerced.
YAML is only composed (never constructed), so tags cannot run code, and the walk from nodes to
values is bounded in depth and size, so anchors and aliases cannot blow up (billion laughs).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostics, suggest

FENCE = "---"
MODES = ("single", "side-by-side", "interleaved")
# Fields that describe the whole entry: written once, or identically in every file.
ENTRY_FIELDS = ("date", "author", "source", "tags", "draft", "mode", "pair", "related")
LANGUAGE_FIELDS = ("title", "translator", "publisher", "summary", "original", "edition")
KNOWN_FIELDS = ENTRY_FIELDS + LANGUAGE_FIELDS
MAX_DEPTH = 20
MAX_NODES = 10_000  # values in one front matter, an alias counted each time it is used
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YAML = "tag:yaml.org,2002:"
# What neither HTML nor XML may hold: C0 controls but tab and newlines, C1, U+FFFE and U+FFFF;
# and lone surrogates, which only a YAML escape (`"\uD83D"`) can make and UTF-8 cannot write.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# What YAML would silently turn a bare word into; we keep the text and remember the kind.
_KINDS = {f"{_YAML}int": "number", f"{_YAML}float": "number", f"{_YAML}bool": "boolean",
          f"{_YAML}null": "null", f"{_YAML}timestamp": "date"}


@dataclass(frozen=True)
class Field:
    """A front-matter value and the file line it was written on."""

    value: Any
    line: int


@dataclass(frozen=True)
class SplitFile:
    """A file cut into its YAML text and its Markdown body (with the body's first line)."""

    yaml_text: str
    yaml_line: int  # file line of the first YAML line
    body: str
    body_line: int


class _Invalid:
    """A value already reported as broken: checks skip it instead of reporting it again."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()


class Scalar(str):
    """A bare YAML word that is not text (number, boolean, null, date), kept exactly as written."""

    kind: str

    def __new__(cls, text: str, kind: str = "text") -> Scalar:
        obj = super().__new__(cls, text)
        obj.kind = kind
        return obj

    def __reduce__(self) -> tuple:  # picklable for caches
        return (Scalar, (str(self), self.kind))


def split(text: str, path: Path, diags: Diagnostics) -> SplitFile | None:
    """Cut `---` front matter off the top of a file; report where it is missing or unclosed."""
    lines = text.split("\n")
    if not text.strip():
        diags.error(path, 1, "empty file", hint="start it with front matter: ---, title: …, ---")
        return None
    if lines[0].rstrip() != FENCE:
        hint = ("the `---` must be the very first line" if text.lstrip().startswith(FENCE)
                else "add `---`, `title: …`, `---` at the top")
        diags.error(path, 1, "missing front matter: the file must start with a line `---`",
                    hint=hint)
        return None
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip() in (FENCE, "..."):
            return SplitFile("\n".join(lines[1:i]), 2, "\n".join(lines[i + 1:]), i + 2)
    diags.error(path, 1, "front matter is never closed",
                hint="did you forget the closing `---` line after the front matter?")
    return None


# libyaml composes the nodes when PyYAML was built with it (a third of the time, read per
# entry in every build); the pure composer then words any error, so messages do not depend on it.
FAST_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(split_file: SplitFile, path: Path, diags: Diagnostics,
         loader: type = yaml.SafeLoader, what: str = "front matter") -> dict[str, Field] | None:
    """Parse the YAML mapping, keeping each key's file line; duplicate keys are errors.

    `loader` composes the node tree; the checks are the same whichever it is. `what` names the
    mapping in messages (`site.yaml`, the strings table: they are checked the same way).
    """
    offset = split_file.yaml_line - 1
    node = _compose(split_file, path, diags, loader, what)
    if node is False:
        return None
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        diags.error(path, offset + node.start_mark.line + 1,
                    f"{what} must be a mapping of `key: value` lines",
                    hint="write one `key: value` per line, such as `title: My title`")
        return None
    walker = _Walker(path, offset, diags, what)
    fields: dict[str, Field] = {}
    for key_node, value_node in node.value:
        line = offset + key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or not key_node.value:
            diags.error(path, line, f"{what} keys must be plain names")
            continue
        key = key_node.value
        if key in fields:
            diags.error(path, line,
                        f"duplicate key `{key}` (first given on line {fields[key].line})")
            continue
        try:
            errors = len(diags.items)
            value = walker.value(value_node, 0)
            fields[key] = Field(value if len(diags.items) == errors else INVALID, line)
        except _TooBig as exc:
            diags.error(path, line, str(exc),
                        hint=f"{what} holds a few short values; remove the anchors (&) and "
                        "aliases (*)" if walker.aliases else None)
            return None
    return fields


def _compose(split_file: SplitFile, path: Path, diags: Diagnostics,
             loader: type, what: str) -> yaml.Node | None | bool:
    """The YAML node tree, or False after reporting why there is none."""
    offset = split_file.yaml_line - 1
    if loader is not yaml.SafeLoader:
        try:
            return yaml.compose(split_file.yaml_text, Loader=loader)
        except (yaml.YAMLError, RecursionError):
            pass  # reported below, as the pure Python composer words and places it
    try:
        return yaml.compose(split_file.yaml_text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot be read"
        if exc.context_mark and "quoted scalar" in (exc.context or ""):
            # Said where the quote opens: the parser only notices at the end of the text.
            mark, problem = exc.context_mark, "a quote opened here is never closed"
        line = offset + mark.line + 1 if mark else split_file.yaml_line
        col = mark.column + 1 if mark else None
        diags.error(path, line, f"invalid YAML: {problem}", col=col,
                    hint=_yaml_hint(problem))
    except yaml.reader.ReaderError as exc:
        before = split_file.yaml_text[:exc.position]
        diags.error(path, offset + before.count("\n") + 1,
                    f"invalid YAML: character U+{exc.character:04X} is not allowed",
                    col=len(before) - (before.rfind("\n") + 1) + 1,
                    hint="remove the control character")
    except yaml.YAMLError as exc:
        diags.error(path, split_file.yaml_line, f"invalid YAML: {exc}")
    except RecursionError:  # PyYAML parses nested brackets recursively
        lines = split_file.yaml_text.split("\n")
        deepest = max(range(len(lines)), key=lambda i: lines[i].count("[") + lines[i].count("{"))
        diags.error(path, split_file.yaml_line + deepest, f"{what} nested too deeply")
    return False


def _yaml_hint(problem: str) -> str | None:
    if "mapping values are not allowed" in problem:
        return 'put a value holding `: ` in quotes, such as title: "Part 1: Origins"'
    if "cannot start any token" in problem and "\\t" in problem:
        return "indent with spaces, not tabs"
    if "found undefined alias" in problem:
        return "a value starting with `*` must be put in quotes"
    if "expected ',' or" in problem:
        return "is a bracket left open, or a comma missing?"
    if any(text in problem for text in ("end of stream", "<stream end>", "could not find")):
        return "is a quote or bracket left open?"
    return None


class _TooBig(Exception):
    """The front matter is too deep or too big to be a few values: stop walking it."""


class _Walker:
    """YAML nodes → plain data (str, Scalar, list, dict), bounded in depth and size."""

    def __init__(self, path: Path, offset: int, diags: Diagnostics, what: str):
        self.path, self.offset, self.diags, self.what = path, offset, diags, what
        self.nodes = 0
        self.aliases = False
        self.seen: set[int] = set()

    def value(self, node: yaml.Node, depth: int) -> Any:
        self.nodes += 1
        self.aliases |= id(node) in self.seen
        self.seen.add(id(node))
        if self.nodes > MAX_NODES:
            raise _TooBig(f"{self.what} too large: more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise _TooBig(f"{self.what} nested too deeply")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if node.tag not in (f"{_YAML}seq", f"{_YAML}map"):
            return self._unsupported(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(child, depth + 1) for child in node.value]
        return self._mapping(node, depth)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        control = CONTROL_RE.search(node.value)
        if control:  # only an escape (`"\0"`, `"\a"`) gets one past the YAML reader
            surrogate = "\ud800" <= control[0] <= "\udfff"
            self.diags.error(self.path, self.offset + node.start_mark.line + 1,
                             f"{'lone surrogate' if surrogate else 'control character'} "
                             f"U+{ord(control[0]):04X} in a value",
                             hint="write the character itself, not its UTF-16 escapes"
                             if surrogate else "remove the escape: pages and feeds cannot hold it")
            return None
        if node.tag == f"{_YAML}str":
            return node.value
        if node.tag in _KINDS:
            return Scalar(node.value, _KINDS[node.tag])
        return self._unsupported(node)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict | None:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = self.offset + key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.diags.error(self.path, line, "mapping keys must be plain names")
                return None
            if key_node.value in result:
                self.diags.error(self.path, line, f"duplicate key `{key_node.value}`")
                return None
            result[key_node.value] = self.value(value_node, depth + 1)
        return result

    def _unsupported(self, node: yaml.Node) -> None:
        self.diags.error(self.path, self.offset + node.start_mark.line + 1,
                         f"unsupported YAML tag `{node.tag.replace(_YAML, '!!')}`",
                         hint=f"{self.what} holds text, lists and true/false; remove the `!` "
                         "tag")
        return None


def check(fields: dict[str, Field], path: Path, diags: Diagnostics) -> dict[str, Any]:
    """Validate known keys and types; returns the clean values (bad ones are left out)."""
    clean: dict[str, Any] = {}
    for key, field in fields.items():
        checker = _CHECKS.get(key)
        if field.value is INVALID:
            continue
        if checker is None:
            near = suggest(key, KNOWN_FIELDS)
            diags.error(path, field.line, f"unknown front-matter key `{key}`",
                        hint=f"did you mean `{near}`?" if near else
                        "known keys: " + ", ".join(KNOWN_FIELDS))
            continue
        problem, value = checker(field.value)
        if problem:
            diags.error(path, field.line, f"`{key}` {problem}", hint=_hint(key, field.value))
        else:
            clean[key] = value
    if "title" not in fields:
        diags.error(path, 1, "missing required key `title`",
                    hint="add `title: …` to the front matter")
    return clean


def _hint(key: str, value: Any) -> str | None:
    """What to write instead of a bare word YAML would read as something other than text."""
    if key in ("draft", "original"):
        return f"write `{key}: true` or `{key}: false`"
    if isinstance(value, list):
        bare = next((v for v in value if isinstance(v, Scalar) and v.kind != "null"), None)
        return f'put entries in quotes, such as "{bare}"' if bare is not None else None
    if not isinstance(value, Scalar) or value.kind == "null":
        return None
    if key == "date":
        return None if _DATE_RE.fullmatch(value) else "write it as YYYY-MM-DD, such as 2026-05-07"
    return f'put it in quotes: {key}: "{value}"'


Check = Callable[[Any], tuple[str | None, Any]]


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and not isinstance(value, Scalar)


def _text(value: Any) -> tuple[str | None, Any]:
    if _is_text(value) and value.strip():
        return None, value.strip()
    if _is_text(value):
        return "must not be empty", None
    return f"must be text, got {_describe(value)}", None


def _texts(value: Any) -> tuple[str | None, Any]:
    """One name or a list of names (authors, translators)."""
    if isinstance(value, list):
        checked = [_text(v) for v in value]
        bad = next((p for p, _ in checked if p), None)
        if bad or not value:
            return f"entries {bad or 'must not be an empty list'}", None
        return None, tuple(v for _, v in checked)
    problem, text = _text(value)
    return problem, (text,) if text else None


def _bool(value: Any) -> tuple[str | None, Any]:
    if isinstance(value, Scalar) and value.kind == "boolean" and value.lower() in ("true", "false"):
        return None, value.lower() == "true"
    return f"must be true or false, got {_describe(value)}", None


def _date(value: Any) -> tuple[str | None, Any]:
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return None, dt.date.fromisoformat(value)
        except ValueError as exc:
            return f"is not a real date ({value}: {exc})", None
    return f"must be a date written YYYY-MM-DD, got {_describe(value)}", None


def _url(value: Any) -> tuple[str | None, Any]:
    problem, text = _text(value)
    if problem:
        return problem, None
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", text, re.IGNORECASE):
        return f"must be an http(s) URL, got `{text}`", None
    return None, text


def _tags(value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, list):
        return f"must be a list such as [ai, china], got {_describe(value)}", None
    tags = []
    for item in value:
        if not _is_text(item) or not item.strip():
            return f"entries must be text, got {_describe(item)}", None
        tags.append(item.strip())
    return None, tuple(dict.fromkeys(tags))


def _slugs(value: Any) -> tuple[str | None, Any]:
    problem, slugs = _tags(value)
    if problem:
        return problem, None
    bad = [s for s in slugs if not _SLUG_RE.match(s)]
    return (f"entries must be entry slugs, got `{bad[0]}`", None) if bad else (None, slugs)


def _mode(value: Any) -> tuple[str | None, Any]:
    if _is_text(value) and value in MODES:
        return None, str(value)
    return f"must be one of {', '.join(MODES)}, got {_describe(value)}", None


def _pair(value: Any) -> tuple[str | None, Any]:
    """Two language tags; bare words such as `no` (Norwegian) count as the text written."""
    if isinstance(value, str):
        value = [part.strip() for part in re.split(r"[,/ ]+", value) if part.strip()]
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, str) and v for v in value)
            and value[0].casefold() != value[1].casefold()):  # `[en, EN]` is one language
        return None, (str(value[0]), str(value[1]))
    return "must name two different languages, such as [en, zh]", None


def _describe(value: Any) -> str:
    """A value as the user wrote it, with what YAML took it for."""
    if isinstance(value, Scalar):
        if value.kind == "null":
            return "nothing" if value in ("", "~") else f"nothing (`{value}`)"
        return f"the {value.kind} `{value}`"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"`{value}`"


_CHECKS: dict[str, Check] = {
    "title": _text, "summary": _text, "edition": _text, "publisher": _text,
    "author": _texts, "translator": _texts,
    "date": _date, "source": _url, "tags": _tags, "related": _slugs,
    "draft": _bool, "original": _bool, "mode": _mode, "pair": _pair,
}
