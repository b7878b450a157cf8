"""Site settings: one documented file, `site.yaml` at the project root; defaults live here.

```yaml
title: {en: Parallel Notes, zh: 平行笔记}   # or one string for every language
description: {en: …, zh: …}
author: Jane Doe
base_url: https://jane.github.io/notes/    # or a path such as /notes/; --base-url wins
languages: [en, zh, ja]      # column and interface order; others found in content follow
labels: {zh: 简体中文}        # defaults to each language's own name (English, 中文, 日本語)
default_mode: side-by-side   # single | side-by-side | interleaved
default_pair: [en, zh]
code_style: {light: default, dark: monokai}   # Pygments styles
```
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import frontmatter
from .content import decode, normalize_lang
from .errors import Diagnostics, suggest

SETTINGS_FILE = "site.yaml"
# The folder holding build.py and the theme that comes with the generator (templates/, static/):
# a project with neither folder of its own is built with it.
THEME_HOME = Path(__file__).resolve().parents[1]
DEFAULT_TITLE = "Parallel texts"


@dataclass(frozen=True)
class SiteConfig:
    """Everything a build needs to know besides the content; immutable, passed to each stage."""

    root: Path
    content_dir: Path
    out_dir: Path
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    author: str | None = None
    base_url: str = "/"
    languages: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    default_mode: str = "side-by-side"
    default_pair: tuple[str, str] | None = None
    code_light: str = "default"
    code_dark: str = "monokai"
    drafts: bool = False
    search: bool = True  # pages offer search (a build with --no-search has no index to offer)
    settings_path: Path | None = None
    theme_root: Path | None = None  # where templates/ and static/ are, when not in `root`

    @property
    def templates_dir(self) -> Path:
        return (self.theme_root or self.root) / "templates"

    @property
    def static_dir(self) -> Path:
        return (self.theme_root or self.root) / "static"

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, always ending in `/` (GitHub project pages)."""
        return _path_of(self.base_url)

    @property
    def origin(self) -> str | None:
        """`https://host` when the base URL is absolute (feeds and canonical links need it)."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None

    def site_title(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("*") or DEFAULT_TITLE

    def site_description(self, lang: str) -> str:
        return self.description.get(lang) or self.description.get("*") or ""


def _path_of(base_url: str) -> str:
    path = urlsplit(base_url).path or "/"
    path = "/" + path.strip("/") + "/"
    return "/" if path == "//" else path


def normalize_base_url(value: str) -> str | None:
    """`/repo`, `repo/`, `https://h/repo` → a base URL ending in `/`; None if unusable."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if parts.query or parts.fragment or re.search(r"\s", value):
        return None
    if parts.netloc and not parts.scheme:  # `//host/`: a protocol-relative URL, not a path
        return None
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return None  # `/a/../b/` would put links somewhere else than the site is served
    if parts.scheme and not parts.netloc:
        return None
    if parts.scheme:
        return f"{parts.scheme}://{parts.netloc}{_path_of(parts.path)}"
    return _path_of(value)


def _theme_root(root: Path) -> Path | None:
    """None when the project has its own theme (either folder); else the generator's theme,
    when it is there to use (a checkout, not an installed package without it)."""
    if (root / "templates").exists() or (root / "static").exists():
        return None
    if (THEME_HOME / "templates").is_dir() and (THEME_HOME / "static").is_dir():
        return THEME_HOME
    return None


def load_config(root: Path, content_dir: Path, out_dir: Path, diags: Diagnostics,
                settings: Path | None = None) -> SiteConfig:
    """Read `site.yaml` (if present) into a SiteConfig; every problem is reported with its line."""
    config = SiteConfig(root=root, content_dir=content_dir, out_dir=out_dir,
                        theme_root=_theme_root(root))
    path = settings or root / SETTINGS_FILE
    if not path.is_file():
        return config
    text = decode(path.read_bytes(), path, diags)
    if text is None:
        return config
    split = frontmatter.SplitFile(text, 1, "", 1)
    fields = frontmatter.load(split, path, diags, what="site.yaml") or {}
    values: dict[str, Any] = {"settings_path": path}
    for key, item in fields.items():
        checker = _CHECKS.get(key)
        if checker is None:
            near = suggest(key, _CHECKS)
            diags.error(path, item.line, f"unknown setting `{key}`",
                        hint=f"did you mean `{near}`?" if near else "known settings: "
                        + ", ".join(_CHECKS))
            continue
        if item.value is frontmatter.INVALID:  # its YAML was reported where it is wrong
            continue
        problem, value = checker(item.value)
        if problem:
            diags.error(path, item.line, f"`{key}` {problem}")
        else:
            values[key] = value
    style = values.pop("code_style", {})
    values["code_light"] = style.get("light", config.code_light)
    values["code_dark"] = style.get("dark", config.code_dark)
    return replace(config, **values)


def _per_language(value: Any) -> tuple[str | None, Any]:
    if frontmatter._is_text(value) and value.strip():
        return None, {"*": value.strip()}
    if isinstance(value, dict) and value and all(
            isinstance(k, str) and normalize_lang(k) and frontmatter._is_text(v)
            for k, v in value.items()):
        return None, {normalize_lang(k): v.strip() for k, v in value.items()}
    if isinstance(value, frontmatter.Scalar) and value.kind != "null":  # `title: 2026`
        return f'is read as a {value.kind}: put it in quotes, "{value}"', None
    return "must be text, or a mapping from language to text such as {en: …, zh: …}", None


def _languages(value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, list) or not value:
        return "must be a list of language tags such as [en, zh, ja]", None
    tags = [normalize_lang(v) if isinstance(v, str) else None for v in value]
    if None in tags:
        bad = value[tags.index(None)]
        return f"holds {bad!r}, which is not a BCP 47 language tag", None
    twice = next((tag for k, tag in enumerate(tags) if tag in tags[:k]), None)
    if twice:
        return f"names `{twice}` twice (tags match whatever their case)", None
    return None, tuple(tags)


def _base_url(value: Any) -> tuple[str | None, Any]:
    base = normalize_base_url(value) if isinstance(value, str) else None
    return (None, base) if base else ("must be a URL or a path such as /repo/", None)


def _style(value: Any) -> tuple[str | None, Any]:
    # Imported here: Pygments' plugin scan would cost every build ~15 ms, this key is rare.
    from pygments.styles import get_all_styles

    styles = set(get_all_styles())
    if (isinstance(value, dict) and set(value) <= {"light", "dark"}
            and all(isinstance(v, str) and v in styles for v in value.values())):
        return None, value
    return "must be {light: STYLE, dark: STYLE} with Pygments style names", None


def _mode(value: Any) -> tuple[str | None, Any]:
    return frontmatter._mode(value)


def _pair(value: Any) -> tuple[str | None, Any]:
    problem, pair = frontmatter._pair(value)
    if problem or not all(normalize_lang(p) for p in pair):
        return problem or "must name two language tags", None
    return None, tuple(normalize_lang(p) for p in pair)


def _author(value: Any) -> tuple[str | None, Any]:
    return frontmatter._text(value)


def _labels(value: Any) -> tuple[str | None, Any]:
    problem, labels = _per_language(value)
    return ("must map languages to their labels, such as {zh: 中文}", None) if problem \
        or "*" in labels else (None, labels)


_CHECKS = {
    "title": _per_language, "description": _per_language, "author": _author, "base_url": _base_url,
    "languages": _languages, "labels": _labels, "default_mode": _mode, "default_pair": _pair,
    "code_style": _style,
}
