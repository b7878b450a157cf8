"""Content entries: discover folders, read each language file, merge entry-wide fields.

`discover()` and `read_version()` do the I/O; `parse_version()` and `make_entry()` are pure.
"""
from __future__ import annotations

import codecs
import datetime as dt
import functools
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import answers, frontmatter
from .errors import Diagnostics

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Names no entry may take: the folders the site writes at its root, and a few kept free.
SITE_FOLDERS = frozenset({"tags", "assets", "pagefind", "feeds"})
RESERVED_SLUGS = SITE_FOLDERS | {"search", "static", "404"}
MAX_LANGUAGES = 12  # the stylesheet's language slots (static/assets/site.css, data-l 0–11)
# Editors leave these beside the files being edited (vim, emacs, JetBrains, macOS, …).
_TEMP_RE = re.compile(r"(^\.|~$|^#.*#$|\.(swp|swo|swx|tmp|bak|orig|part|crdownload)$|^4913$)")


@dataclass(frozen=True)
class EntrySource:
    """An entry folder as found on disk: its language files and its asset files."""

    slug: str
    path: Path
    files: tuple[tuple[str, Path], ...]  # (language tag, file), sorted by tag
    assets: tuple[Path, ...]


@dataclass(frozen=True)
class Version:
    """One language of an entry: front matter values, with their lines, and the Markdown body."""

    lang: str
    path: Path
    meta: dict[str, Any]
    lines: dict[str, int]  # front-matter key → file line
    body: str
    body_line: int

    @property
    def title(self) -> str:
        return self.meta.get("title", "")


@dataclass(frozen=True)
class Entry:
    """An article in all its languages, with the entry-wide fields merged from its files."""

    slug: str
    path: Path
    versions: tuple[Version, ...]  # in the site's language order
    original: str  # language the others were translated from (or the first one)
    date: dt.date | None = None
    authors: tuple[str, ...] = ()
    source: str | None = None
    tags: tuple[str, ...] = ()
    draft: bool = False
    mode: str | None = None
    pair: tuple[str, str] | None = None
    related: tuple[str, ...] = ()
    assets: tuple[Path, ...] = field(default=())

    @property
    def langs(self) -> tuple[str, ...]:
        return tuple(v.lang for v in self.versions)

    def version(self, lang: str) -> Version:
        return next(v for v in self.versions if v.lang == lang)


def is_ignored(name: str) -> bool:
    """Dotfiles and editor temp files are never content."""
    return bool(_TEMP_RE.search(name))


@functools.lru_cache(maxsize=1024)  # a site has few tags, each on many files
def normalize_lang(name: str) -> str | None:
    """The canonical BCP 47 casing of a file stem (`zh-hant` → `zh-Hant`), None if not a tag.

    The language subtag must be a real ISO 639 code: `en_US` and `english` are not tags.
    """
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", name):
        return None
    language = name.split("-")[0].lower()
    if _special(language) or not answers.registered(name):
        return None
    parts = name.split("-")
    out = [language]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def _special(language: str) -> bool:
    """ISO 639's codes for no particular language: undetermined, several, none, uncoded, and
    the private-use range qaa–qtz. A column needs a language readers and scripts know."""
    return language in ("und", "mul", "zxx", "mis") or (len(language) == 3
                                                        and "qaa" <= language <= "qtz")


def discover(content_dir: Path, diags: Diagnostics) -> list[EntrySource]:
    """Every entry folder under `content_dir`, sorted by slug; bad names are reported."""
    if not content_dir.is_dir():
        diags.error(content_dir, None, "the content folder is a file, not a folder"
                    if content_dir.exists() else "content folder not found",
                    hint="create it, or point --content at your entries")
        return []
    sources: list[EntrySource] = []
    seen: dict[str, Path] = {}
    # Directory entries know their type, which saves two system calls per entry folder.
    for item in _listing(content_dir, diags) or ():
        if is_ignored(item.name):
            continue
        if _loops(item, content_dir, diags):
            continue
        path = content_dir / item.name
        if not item.is_dir():
            if path.suffix == ".md":
                diags.warning(path, None, "Markdown file outside an entry folder is ignored",
                              hint=f"move it to {content_dir.name}/<slug>/<lang>.md")
            continue
        if item.is_symlink() and not _inside(path, content_dir):
            diags.error(path, None, "entry folder is a link to outside the content folder")
            continue
        twin = unicodedata.normalize("NFC", item.name).casefold()
        if twin in seen:
            diags.error(path, None, f"entry folder name collides with `{seen[twin].name}` "
                        "(they differ only in case or Unicode normalisation)")
            continue
        seen[twin] = path
        if not SLUG_RE.match(item.name):
            diags.error(path, None, f"invalid entry folder name `{item.name}`",
                        hint="use lowercase ASCII letters, digits and hyphens, e.g. "
                        f"`{_slugify(item.name)}`")
            continue
        source = _entry_source(path, content_dir, diags)
        if source:
            sources.append(source)
    return sources


def _loops(item: os.DirEntry, folder: Path, diags: Diagnostics) -> bool:
    """A link in `folder` that cannot be followed (a loop of links, too deep a chain): reported
    here, as following it anywhere would raise."""
    try:
        item.is_dir()
        return False
    except OSError as exc:
        diags.error(folder / item.name, None, f"cannot follow this link: {exc.strerror or exc}",
                    hint="a loop of links? remove it or point it at a file")
        return True


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "my-entry"


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _entry_source(folder: Path, content_dir: Path, diags: Diagnostics) -> EntrySource | None:
    files: dict[str, Path] = {}
    assets: list[Path] = []
    items = _listing(folder, diags)
    if items is None:
        return None  # reported: cannot read this folder
    for path, item, top in _walk(folder, items, diags):
        # `_walk` follows no linked folder, so only a linked file can lead outside.
        if item.is_symlink() and not _inside(path, folder):
            diags.error(path, None, "file is a link to outside its entry folder",
                        hint="copy the file into the entry folder instead of linking to it")
            continue
        if not item.is_file():
            dangling = item.is_symlink() and not path.exists()
            diags.error(path, None, f"link to `{os.readlink(path)}`, which does not exist"
                        if dangling else "not a regular file (a pipe, socket or device?)")
            continue
        markdown = path.suffix.lower() in (".md", ".markdown")
        if top and markdown:
            _add_language_file(path, files, diags)
            continue
        if markdown:
            diags.warning(path, None, "Markdown in a subfolder is published as a file as it is, "
                          "not as a page", hint="language files sit in the entry folder "
                          "itself, such as post/en.md")
        elif path.suffix.lower() in _ACTIVE_SUFFIXES and _runs_script(path):
            diags.warning(path, None, "this file holds script (<script>, an on…= handler or a "
                          "javascript: URL), which runs on the site when the file is opened",
                          hint="remove the script, or publish the file somewhere else")
        assets.append(path)
    if not files:
        diags.error(folder, None, "entry has no language file",
                    hint="add one Markdown file per language, such as en.md and zh.md")
        return None
    if len(files) > MAX_LANGUAGES:
        diags.error(folder, None, f"entry has {len(files)} languages; a reading page shows at "
                    f"most {MAX_LANGUAGES}", hint="publish the others as an entry of their own")
        return None
    return EntrySource(folder.name, folder, tuple(sorted(files.items())), tuple(assets))


# Assets a browser opens as documents, scripts and all: the page's security policy is a
# `<meta>` of the generated pages, not of these (GitHub Pages sends no CSP header).
_ACTIVE_SUFFIXES = {".svg", ".html", ".htm", ".xhtml", ".xml", ".xsl"}
_SCRIPT_RE = re.compile(rb"<script|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def _runs_script(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            return bool(_SCRIPT_RE.search(file.read(4_000_000)))
    except OSError:
        return False  # unreadable: copying it says so


def _add_language_file(path: Path, files: dict[str, Path], diags: Diagnostics) -> None:
    lang = normalize_lang(path.stem)
    if path.suffix != ".md":  # `EN.MD`, `fr.markdown`: the extension is what is wrong
        diags.error(path, None, f"`{path.name}`: a language file's name ends in `.md`",
                    hint=f"rename it {lang or path.stem}.md")
    elif lang is None:
        special = _special(path.stem.split("-")[0].lower())
        diags.error(path, None, f"`{path.name}` is not named after a language" +
                    (": the code stands for no particular language" if special else ""),
                    hint="name each file <lang>.md with a BCP 47 tag such as en.md, zh.md, "
                    "zh-Hant.md, ja.md")
    elif (better := answers.preferred(lang)) is not None:
        diags.error(path, None, f"`{lang}` is an old or long code for `{better}`",
                    hint=f"rename it {better}.md: browsers, fonts and search know `{better}`")
    elif lang in files:
        diags.error(path, None, f"two files for language `{lang}`: {files[lang].name} and "
                    f"{path.name}")
    else:
        files[lang] = path


def _listing(folder: Path, diags: Diagnostics) -> list[os.DirEntry] | None:
    """A folder's entries by name, or None when it cannot be read (reported)."""
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as exc:
        diags.error(folder, None, f"cannot read this folder: {exc.strerror or exc}")
        return None


def _walk(folder: Path, items: list[os.DirEntry], diags: Diagnostics,
          top: bool = True) -> Iterator[tuple[Path, os.DirEntry, bool]]:
    """Files below an entry folder (with their directory entries, and whether they sit in the
    entry folder itself) in a stable order, skipping hidden and temp files: each folder's
    files (`items`, its `_listing`), then its subfolders'.

    Linked folders are not followed: one pointing outside the entry would publish foreign files.
    """
    folders = []
    for item in items:
        if _loops(item, folder, diags):
            continue
        if item.is_dir(follow_symlinks=False):
            folders.append(item)
        elif item.is_symlink() and item.is_dir():
            if not is_ignored(item.name):
                diags.error(folder / item.name, None, "folder is a link; links to folders are "
                            "not followed", hint="move the files into the entry folder")
        elif not is_ignored(item.name):
            yield folder / item.name, item, top
    for item in folders:
        if not is_ignored(item.name):
            inner = _listing(folder / item.name, diags)
            yield from _walk(folder / item.name, inner or [], diags, top=False)


@dataclass(frozen=True)
class LinkTargets:
    """What a relative link in an entry can lead to: the content folder's entries (but not the
    drafts a build leaves out) and the theme's static files."""

    content_dir: Path
    static_dir: Path | None = None
    drafts: frozenset[str] = frozenset()  # slugs of the drafts this build does not publish


def link_problem(url: str, image: bool, entry_dir: Path,
                 targets: LinkTargets) -> tuple[str, str] | None:
    """Why a relative link or image in an entry is wrong: ("error" | "warning", message), or None.

    Targets must stay inside the content folder (no `../../etc/passwd`, no absolute paths, no
    links resolving outside); a missing image is a warning, and so is a link to an entry that
    does not exist or is a draft left out (unless a theme file has the name). Never raises on
    odd URLs.
    """
    content_dir = targets.content_dir
    what = "image" if image else "link"
    try:
        parts = urlsplit(url)
    except ValueError:
        return ("error", f"{what} `{url}` is not a valid URL")
    if parts.scheme or parts.netloc or not parts.path:
        return None
    # A browser reads `\` in a web URL as `/` (raw HTML keeps `..\..\x` as written).
    target_text = unquote(parts.path).replace("\\", "/")
    if "\0" in target_text:
        return ("error", f"{what} `{url}` contains a NUL byte")
    if target_text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", target_text):
        return ("error", f"{what} `{url}` is an absolute path; use a path relative to the "
                "entry folder so it works under any base URL")
    try:
        target = (entry_dir / target_text).resolve()
        inside = target.is_relative_to(content_dir.resolve())
        found = target.is_file()
    except (OSError, ValueError, RuntimeError):  # too long, a link loop, …
        return ("error", f"{what} `{url}` cannot be resolved to a file")
    if not inside:
        return ("error", f"{what} `{url}` points outside the content folder")
    top = content_dir.resolve()
    inner = target.relative_to(top).parts if target != top else ()
    if inner and inner[0] in targets.drafts and not target.is_relative_to(entry_dir.resolve()):
        return ("warning", f"{what} `{url}` leads to `{inner[0]}`, a draft this build leaves "
                "out")
    if image and not found:
        return ("warning", f"image `{url}` not found in {entry_dir.name}/")
    if image:
        return None
    if found and target.suffix == ".md" and target.parent.parent == top:  # an entry's language
        page = "./" if target.parent == entry_dir.resolve() else f"../{target.parent.name}/"
        return ("warning", f"link `{url}` is to a language file, which is not published: link "
                f"to the entry's page, `{page}`")
    return _entry_link_problem(url, inner, top, targets) if inner else None


def _entry_link_problem(url: str, inner: tuple[str, ...], top: Path,
                        targets: LinkTargets) -> tuple[str, str] | None:
    """A link below the content folder: inside an entry folder a missing file is surely
    missing; at the top, so is an entry, unless the site (tags/) or the theme has the name;
    other names (feed.xml) may be the site's own files. URLs are case-sensitive on a host
    even where this file system is not."""
    name, static = inner[0], targets.static_dir
    themed = static is not None and (static / name).exists()
    if name != name.lower() and name.lower() not in targets.drafts and not themed \
            and (top / name.lower()).is_dir():
        return ("warning", f"link `{url}` leads nowhere: entry folders are lowercase, "
                f"`{name.lower()}`")
    target = top.joinpath(*inner)
    if target.is_file() or target.is_dir() or themed or name in SITE_FOLDERS:
        return None
    if (top / name).is_dir():
        return None if inner[1:] == ("index.html",) else (
            "warning", f"link `{url}` leads nowhere: no such file in {name}/")
    if SLUG_RE.match(name):
        return ("warning", f"link `{url}` leads nowhere: there is no entry `{name}`")
    return None


def read_version(lang: str, path: Path, diags: Diagnostics) -> Version | None:
    """Read one language file (strict UTF-8; BOM and CRLF accepted) and parse it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        diags.error(path, None, f"cannot read file: {exc.strerror}")
        return None
    text = decode(data, path, diags)
    return None if text is None else parse_version(lang, path, text, diags)


# UTF-32's byte order marks first: little-endian UTF-32's starts with UTF-16's.
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
              (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def decode(data: bytes, path: Path, diags: Diagnostics) -> str | None:
    """UTF-8 text with the BOM dropped and line ends normalised; invalid bytes and control
    characters (what neither HTML nor XML may hold) are located."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        start = bom + exc.start
        before = data[bom:start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        line, col = before.count(b"\n") + 1, len(before) - before.rfind(b"\n")
        wide = next((name for bom_, name in _WIDE_BOMS if data.startswith(bom_)), None)
        diags.error(path, line, f"invalid UTF-8 (byte 0x{data[start]:02x} at offset {start})",
                    col=col, hint=f"the file is {wide}: re-save it as UTF-8" if wide
                    else "re-save the file as UTF-8")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = frontmatter.CONTROL_RE.search(text)
    if control:
        before = text[:control.start()]
        utf16 = text.count("\0") > len(text) // 4  # every other byte of ASCII text
        diags.error(path, before.count("\n") + 1,
                    f"control character U+{ord(control[0]):04X} in the text",
                    col=control.start() - before.rfind("\n"),
                    hint="the file looks like UTF-16: re-save it as UTF-8" if utf16
                    else "remove it: pages and feeds cannot hold it")
        return None
    return text


def parse_version(lang: str, path: Path, text: str, diags: Diagnostics) -> Version | None:
    """Front matter and body of one language file; pure."""
    split = frontmatter.split(text, path, diags)
    if split is None:
        return None
    fields = frontmatter.load(split, path, diags, frontmatter.FAST_LOADER)
    if fields is None:
        return None
    meta = frontmatter.check(fields, path, diags)
    if "title" not in meta:
        return None
    lines = {key: f.line for key, f in fields.items()}
    return Version(lang, path, meta, lines, split.body, split.body_line)


def make_entry(source: EntrySource, versions: list[Version], lang_order: list[str],
               diags: Diagnostics) -> Entry | None:
    """Merge entry-wide fields (they must agree across files) and pick the original language."""
    if not versions:
        return None
    rank = {lang: i for i, lang in enumerate(lang_order)}
    versions = sorted(versions, key=lambda v: (rank.get(v.lang, len(rank)), v.lang))
    shared = _merge_entry_fields(versions, diags)
    originals = [v for v in versions if v.meta.get("original")]
    for extra in originals[1:]:
        diags.error(extra.path, extra.lines["original"], "`original: true` is set in more than "
                    f"one language (also in {originals[0].path.name})")
    original = originals[0].lang if originals else versions[0].lang
    pair = _check_pair(shared.get("pair"), versions, diags)
    return Entry(
        slug=source.slug, path=source.path, versions=tuple(versions), original=original,
        date=shared.get("date"), authors=shared.get("author", ()), source=shared.get("source"),
        tags=shared.get("tags", ()), draft=shared.get("draft", False), mode=shared.get("mode"),
        pair=pair, related=shared.get("related", ()), assets=source.assets,
    )


def _merge_entry_fields(versions: list[Version], diags: Diagnostics) -> dict[str, Any]:
    shared: dict[str, Any] = {}
    where: dict[str, Version] = {}
    for version in versions:
        for key in frontmatter.ENTRY_FIELDS:
            if key not in version.meta:
                continue
            value = version.meta[key]
            if key in shared and shared[key] != value:
                first = where[key]
                diags.error(version.path, version.lines[key],
                            f"`{key}` differs from {first.path.name}:{first.lines[key]}",
                            hint="entry-wide fields must agree; write them in one file only")
            elif key not in shared:
                shared[key], where[key] = value, version
    return shared


def _check_pair(pair: tuple[str, str] | None, versions: list[Version],
                diags: Diagnostics) -> tuple[str, str] | None:
    if not pair:
        return pair
    langs = {v.lang.lower(): v.lang for v in versions}  # tags match whatever their case
    missing = [lang for lang in pair if lang.lower() not in langs]
    if not missing:
        return (langs[pair[0].lower()], langs[pair[1].lower()])
    holder = next(v for v in versions if "pair" in v.meta)
    diags.error(holder.path, holder.lines["pair"], f"`pair` names `{missing[0]}`, a language "
                f"this entry does not have (it has {', '.join(sorted(langs.values()))})")
    return None
