"""Templates → bytes: a Jinja environment (autoescape, StrictUndefined) and the site's files.

Never computes URLs (assemble does) and never writes (output does): it returns OutputFiles.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import traceback
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
import jinja2.meta
from markupsafe import Markup

from . import answers, frontmatter
from .assemble import ArticlePage, ListPage, SiteModel, text_direction
from .cache import write_atomic
from .config import SiteConfig
from .content import decode
from .errors import Diagnostics
from .publish import feed_links, page_meta, site_files

STRINGS_FILE = "i18n.yaml"
# GitHub Pages serves a folder holding `.nojekyll` as it is; its text (which Pages ignores)
# tells the next build that this folder is a site it may replace (`output.check_out_dir`).
SITE_MARK = PurePosixPath(".nojekyll")
SITE_MARK_TEXT = b"Built by bitext: each build replaces this whole folder.\n"
INLINE_SCRIPT = "inline.js"


@dataclass(frozen=True)
class OutputFile:
    """One file of the built site: its path below the output folder and its bytes."""

    path: PurePosixPath
    data: bytes
    source: Path | None = None  # the file it is made from, if one: named when paths collide


ROWS_TEMPLATE = "_rows.html"  # an article's segments, rendered by `rows(page)` in article.html


class RowsMemo:
    """The preview's rendered segments by page: a template edit that leaves `_rows.html` (and
    what it includes) and the interface strings alone renders each page's chrome around the
    segments it already has. One entry per page, replaced when anything it depends on changes."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[tuple, Markup]] = {}


@dataclass(frozen=True)
class Theme:
    """What the templates share: the Jinja environment, chrome strings, the inline script."""

    env: jinja2.Environment
    strings: Mapping[str, Mapping[str, str]]
    inline_js: str
    csp: str
    rows_memo: RowsMemo | None = None  # the dev server's; a build renders each page once


def make_theme(config: SiteConfig, diags: Diagnostics,
               compiled: Path | jinja2.BytecodeCache | None = None,
               rows_memo: RowsMemo | None = None) -> Theme | None:
    """Load templates, the strings table and the inline script; report template errors.

    `compiled`: where compiled templates are kept between builds, a folder (Jinja's file
    bytecode cache) or a `MemoryBytecode`: compiling the theme is most of a small rebuild.
    """
    if not config.templates_dir.is_dir():  # one error, not one per missing template
        from .config import THEME_HOME

        diags.error(config.templates_dir, None, "templates folder not found",
                    hint="a project with a static/ folder of its own needs templates/ too: copy "
                    f"both from {THEME_HOME}, or remove static/ to be built with that theme")
        return None
    if not config.static_dir.is_dir():  # the pages would link a stylesheet nobody writes
        from .config import THEME_HOME

        diags.warning(config.static_dir, None, "static folder not found: the theme's "
                      "stylesheet and scripts are not published",
                      hint=f"copy static/ from {THEME_HOME} beside templates/")
    if isinstance(compiled, Path):
        compiled = _FolderBytecode(str(compiled))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(config.templates_dir),
        bytecode_cache=compiled,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    env.filters["dir_attr"] = dir_attr
    strings = _load_strings(config.templates_dir / STRINGS_FILE, diags)
    try:
        inline_js = _minified_js(
            (config.templates_dir / INLINE_SCRIPT).read_text(encoding="utf-8"))
    except OSError:
        inline_js = ""
    digest = base64.b64encode(hashlib.sha256(inline_js.encode()).digest()).decode()
    # 'wasm-unsafe-eval': Pagefind's search compiles WebAssembly on the page when its worker
    # is unavailable or slow to start; it allows WebAssembly only, not JavaScript eval.
    csp = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval' " + f"'sha256-{digest}'; "
           "style-src 'self'; img-src 'self' data: https:; media-src 'self' https:; "
           "object-src 'none'; base-uri 'self'; form-action 'self'")
    _check_templates(env, config, diags)
    return None if strings is None else Theme(env, strings, inline_js, csp, rows_memo)


def _minified_js(script: str) -> str:
    """A script as pages carry it (the inline one: the CSP hash is of what ships)."""
    import rjsmin

    return rjsmin.jsmin(script).strip()


class _FolderBytecode(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, best effort like the rest of the build cache: a full disk or a
    folder that vanished or turned read-only costs a compile, never the build.

    Each file starts with a digest of the rest: Jinja checks only a header and the template's
    checksum before unmarshalling code, and a damaged file crashed Python or garbled pages.
    """

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            data = Path(self._get_cache_filename(bucket)).read_bytes()
        except OSError:
            return
        body = data[_DIGEST_SIZE:]
        if data[:_DIGEST_SIZE] == hashlib.blake2b(body, digest_size=_DIGEST_SIZE).digest():
            bucket.bytecode_from_string(body)  # else compiled again, and written over

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        body = bucket.bytecode_to_string()
        with contextlib.suppress(OSError):  # whole or not at all
            write_atomic(Path(self._get_cache_filename(bucket)),
                         hashlib.blake2b(body, digest_size=_DIGEST_SIZE).digest() + body)


_DIGEST_SIZE = 32


class MemoryBytecode(jinja2.BytecodeCache):
    """Compiled templates kept in memory across theme reloads (the dev server): a template edit
    recompiles that template only. Jinja checks each against its source's checksum."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


def _load_strings(path: Path, diags: Diagnostics) -> dict[str, dict[str, str]] | None:
    """The interface strings, `{lang: {name: text}}`, checked like front matter (duplicate
    keys, tags and non-text values are errors at their line)."""
    try:
        data = path.read_bytes()
    except OSError:
        diags.error(path, None, "missing the interface strings table")
        return None
    text = decode(data, path, diags)
    # Composed by libyaml when PyYAML has it (the table is read on every build, and the pure
    # Python composer takes ten times as long); the walk over the nodes is the same.
    fields = None if text is None else frontmatter.load(
        frontmatter.SplitFile(text, 1, "", 1), path, diags, frontmatter.FAST_LOADER,
        "the strings table")
    if fields is None:
        return None
    strings: dict[str, dict[str, str]] = {}
    for lang, item in fields.items():
        table = item.value
        if isinstance(table, dict) and all(
                isinstance(v, str) and getattr(v, "kind", "") != "null" for v in table.values()):
            strings[lang] = {name: str(text) for name, text in table.items()}
        elif table is not frontmatter.INVALID:
            diags.error(path, item.line, f"`{lang}` must map names to texts",
                        hint=f"such as `{lang}:`, then `  search: …` on the next line")
    if "en" not in fields:
        diags.error(path, 1, "the strings table must map languages to strings, `en` among them")
    return strings if len(strings) == len(fields) and "en" in strings else None


# The pages every site renders; the other templates are theirs to include or not.
PAGE_TEMPLATES = ("article.html", "list.html", "404.html")


def _check_templates(env: jinja2.Environment, config: SiteConfig, diags: Diagnostics) -> None:
    """Compile every template up front, so a syntax error is reported once, at its line; a
    missing page template is reported once too, not once per page."""
    names = sorted(env.list_templates(extensions=["html", "xml", "txt"]))
    for name in PAGE_TEMPLATES:
        if name not in names:
            diags.error(config.templates_dir / name, None, "missing template",
                        hint="every theme has " + ", ".join(PAGE_TEMPLATES))
    for name in names:
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            diags.error(config.templates_dir / name, exc.lineno,
                        f"template syntax error: {exc.message}")
        except UnicodeDecodeError as exc:
            diags.error(config.templates_dir / name, None, "template is not valid UTF-8 "
                        f"(byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
                        hint="re-save the file as UTF-8")


def ui_table(strings: Mapping[str, Mapping[str, str]], lang: str) -> dict[str, str]:
    """The strings for one interface language: its own, then its family's, then English."""
    table = dict(strings["en"])
    base = lang.split("-")[0]
    table.update(strings.get(base, {}))
    table.update(strings.get(lang, {}))
    return table


def dir_attr(lang: str, around: str = "ltr") -> Markup:
    """` dir="rtl"` (or "ltr") where text in `lang` runs against the text `around` it: an
    Arabic title in an English list, an English byline in a Hebrew column."""
    direction = text_direction(lang)
    return Markup(f' dir="{direction}"') if direction != around else Markup("")


def long_date(iso: str | None, lang: str) -> str:
    """`2026-05-07` as the reader's locale writes it: May 7, 2026 · 2026年5月7日."""
    return answers.long_date(iso, lang) if iso else ""


def render_site(model: SiteModel, config: SiteConfig, theme: Theme,
                diags: Diagnostics, only: Container[PurePosixPath] | None = None
                ) -> Iterator[OutputFile]:
    """Every generated file of the site (pages, shared assets); assets are copied by output.

    `only` limits the article and list pages rendered to those output paths (the dev server
    re-renders what changed); the other files are always made, from the whole model.
    """
    ui = interface_language(model, theme)
    common = _common(model, config, theme, ui)
    for page in model.articles:
        if only is None or page.output in only:
            yield from _render(theme, "article.html", page.output, diags, page=page, **common,
                               page_lang=page.entry.original)
    for page in model.lists:
        if only is None or page.output in only:
            yield from _render(theme, "list.html", page.output, diags, page=page, **common,
                               page_lang=ui)
    yield from _render(theme, "404.html", PurePosixPath("404.html"), diags, page=None, **common,
                       page_lang=ui)
    yield OutputFile(SITE_MARK, SITE_MARK_TEXT)
    yield OutputFile(PurePosixPath("assets/code.css"),
                     answers.code_css(config.code_light, config.code_dark).encode())
    # One file per interface language, fetched only when the reader's language is not the one
    # the page was rendered in: the reading page's own weight does not grow with languages.
    for lang, table in _strings_tables(theme, model, config).items():
        yield OutputFile(PurePosixPath("assets/i18n", f"{lang}.js"), _strings_js(lang, table))
    # Feeds, sitemap and robots.txt: site-wide, so always from the whole model.
    yield from (OutputFile(path, data) for path, data in site_files(model, config))


def render_pages(pages: Iterable[ArticlePage | ListPage], site: SiteModel, config: SiteConfig,
                 theme: Theme, diags: Diagnostics) -> Iterator[OutputFile]:
    """Just these pages, with `site` as the templates' `site` (pipeline: one page per worker)."""
    ui = interface_language(site, theme)
    common = _common(site, config, theme, ui)
    for page in pages:
        article = isinstance(page, ArticlePage)
        yield from _render(theme, "article.html" if article else "list.html", page.output, diags,
                           page=page, **common, page_lang=page.entry.original if article else ui)


def _common(model: SiteModel, config: SiteConfig, theme: Theme, ui: str) -> dict[str, Any]:
    t = ui_table(theme.strings, ui)
    return {
        "site": model, "config": config, "ui": ui, "t": t, "rows": _Rows(theme, ui, t),
        "base": config.base_path, "csp": theme.csp, "inline_js": Markup(theme.inline_js),
        "ui_langs": _ui_langs(model, theme),
        "page_meta": functools.partial(page_meta, model=model, config=config,
                                       feeds=feed_links(model, config)),
    }


class _Rows:
    """`rows(page)` in article.html: the page's segments from `_rows.html`, kept in the theme's
    `RowsMemo` when it has one (the preview), keyed by everything the segments depend on."""

    def __init__(self, theme: Theme, ui: str, t: Mapping[str, str]) -> None:
        self.theme, self.ui, self.t = theme, ui, t
        sources = _sources_key(theme.env, ROWS_TEMPLATE) if theme.rows_memo is not None else None
        # None: nothing is kept (a build, or sources no key can cover).
        self.memo = theme.rows_memo if sources is not None else None
        self.fingerprint = (sources, ui, tuple(sorted(t.items())))

    def __call__(self, page: ArticlePage) -> Markup:
        name, key = str(page.output), (self.fingerprint, page.rows)
        kept = self.memo.pages.get(name) if self.memo is not None else None
        if kept is not None and kept[0] == key:
            return kept[1]
        html = Markup(self.theme.env.get_template(ROWS_TEMPLATE).render(page=page, ui=self.ui,
                                                                         t=self.t))
        if self.memo is not None:
            self.memo.pages[name] = (key, html)
        return html


def _sources_key(env: jinja2.Environment, name: str) -> tuple | None:
    """The source of a template and of every template it includes, imports or extends, or
    None when one of them is named at render time (no key can cover it) or cannot be read."""
    seen: dict[str, str] = {}
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        try:
            source = env.loader.get_source(env, current)[0]
            refs = jinja2.meta.find_referenced_templates(env.parse(source))
        except jinja2.TemplateError:  # missing or broken: rendering will say where
            return None
        seen[current] = source
        for ref in refs:
            if ref is None:
                return None
            todo.append(ref)
    return tuple(sorted(seen.items()))


def _has_strings(theme: Theme, lang: str) -> bool:
    return lang in theme.strings or lang.split("-")[0] in theme.strings


def interface_language(model: SiteModel, theme: Theme) -> str:
    """The language pages are rendered in for their controls: the site's first language the
    strings table has (its own or its family's), else English. A first language without
    strings would have shown English words marked as that language (German, or Arabic and
    right to left)."""
    return next((lang for lang in model.languages if _has_strings(theme, lang)), "en")


def _ui_langs(model: SiteModel, theme: Theme) -> list[tuple[str, str]]:
    """Interface languages offered: the site's languages the strings table has, each with its
    own name (English when it has none of them)."""
    langs = [lang for lang in model.languages if _has_strings(theme, lang)] or ["en"]
    return [(lang, ui_table(theme.strings, lang).get("lang_name") or model.labels.get(lang, lang))
            for lang in langs]


def _strings_tables(theme: Theme, model: SiteModel,
                    config: SiteConfig) -> dict[str, dict[str, str]]:
    """Each interface language's strings, with the site's title in it (for the tab's title)."""
    return {lang: {**ui_table(theme.strings, lang), "site_title": config.site_title(lang)}
            for lang, _ in _ui_langs(model, theme)}


# The theme's scripts and stylesheets ship without comments and spare whitespace (a reading
# page's own CSS and JS must stay under 30 KB), from `build` and `serve` alike.
MINIFIED = {".js", ".css"}


def minifies(path: Path) -> bool:
    return path.suffix.lower() in MINIFIED


def theme_files(static_dir: Path) -> list[tuple[Path, PurePosixPath]]:
    """The theme's static files (dotfiles left out), each with its path in the site."""
    if not static_dir.is_dir():
        return []
    found = [(path, path.relative_to(static_dir).parts)
             for path in sorted(p for p in static_dir.rglob("*") if p.is_file())]
    return [(path, PurePosixPath(*parts)) for path, parts in found
            if not any(part.startswith(".") for part in parts)]


def minified_files(files: Iterable[tuple[Path, PurePosixPath]],
                   diags: Diagnostics) -> Iterator[OutputFile]:
    """Each theme script or stylesheet, minified (rjsmin, rcssmin: both keep the meaning)."""
    import rcssmin

    for source, rel in files:
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            diags.error(source, None, f"cannot read the theme file: {exc}")
            continue
        small = _minified_js(text) if source.suffix.lower() == ".js" else rcssmin.cssmin(text)
        yield OutputFile(rel, small.encode("utf-8") + b"\n", source)


def _strings_js(lang: str, table: dict[str, str]) -> bytes:
    data = json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (f"(window.BITEXT_I18N=window.BITEXT_I18N||{{}})[{json.dumps(lang)}]={data};\n"
            .encode())


def _render(theme: Theme, name: str, path: PurePosixPath, diags: Diagnostics,
            **context: Any) -> Iterator[OutputFile]:
    try:
        html = theme.env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        diags.error(Path(exc.filename or name), exc.lineno, f"template syntax error: {exc.message}")
        return
    except jinja2.TemplateNotFound as exc:  # the same for every page: said once, where it is used
        where, line = _template_frame(exc, name)
        diags.error(where, line, f"template `{exc.name}` not found in {where.parent}")
        return
    except Exception as exc:  # TemplateError, or `1 / 0` and the like in a template: located
        where, line = _template_frame(exc, name)
        what = exc if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {exc}"
        diags.error(where, line, f"template error while rendering {path}: {what}")
        return
    yield OutputFile(path, html.encode("utf-8"))


def _template_frame(exc: BaseException, name: str) -> tuple[Path, int | None]:
    """The innermost template line in the traceback (Jinja maps frames to template lines)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            return Path(frame.filename), frame.lineno
    return Path(name), None


def page_langs(page: ArticlePage | ListPage | None) -> list[str]:
    return [info.lang for info in page.langs] if isinstance(page, ArticlePage) else []
