"""Search: one Pagefind bundle per language under `pagefind/<lang>/`, built from the site model.

Pagefind segments words by a page's language, so a Chinese column indexed on an English page
is one long token and `移山` never matches inside `愚公移山`. Each column is therefore indexed
on its own: for every article and language a small page is synthesised (`<html lang="zh">`,
the title, then each segment's text after an `<h6 id="sN">` marker, which Pagefind turns into
a sub-result linking to `#sN`), and each language gets its own bundle. The browser script
(`static/assets/search-ui.js`) loads the bundle of the page's language and merges the others
with `mergeIndex(…, {language})`; Pagefind skips a merge of the primary bundle's own path,
which is why the languages live in separate folders rather than one bundle.

Result URLs are relative to the site root (`first-post/#s3`); the script passes the base path
as Pagefind's `baseUrl`, so the same index works under any `--base-url`.

Pagefind runs as the binary of the `pagefind[extended]` package, one process per language in
parallel, on the synthesised pages in a temporary folder outside the site. (Its Python API
polls its service every 0.1 s for each message: one `add_custom_record` per segment took
minutes on a long article.) The bundles are read back and published with the rest of the site,
atomically. A language whose indexed text is unchanged since the last build keeps its previous
bundle without running Pagefind (`languages.json` holds each bundle's digest).
"""
from __future__ import annotations

import hashlib
import html
import importlib.metadata
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

from . import answers
from .assemble import ArticlePage, LangInfo, SiteModel
from .config import SiteConfig
from .errors import Diagnostics
from .render import OutputFile

SEARCH_DIR = PurePosixPath("pagefind")
MANIFEST = SEARCH_DIR / "languages.json"
SEGMENT_MARK = "§"  # a heading needs text for Pagefind to make it a sub-result
# What the browser needs from a bundle; Pagefind's own UIs and the highlighter are left out.
_KEEP_NAMES = {"pagefind.js", "pagefind-worker.js", "pagefind-entry.json"}
_KEEP_SUFFIXES = {".pagefind", ".pf_meta", ".pf_index", ".pf_fragment", ".pf_filter"}
_BLOCKS = {"p", "li", "dt", "dd", "blockquote", "pre", "tr", "td", "th", "br", "div",
           "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "table", "ul", "ol"}


@dataclass(frozen=True)
class SearchPage:
    """One language of one article, as Pagefind indexes it."""

    bundle: str  # lowercased language tag: Pagefind's language key and the bundle's folder
    path: PurePosixPath  # below the bundle's source folder: <slug>/index.html
    html: str


def bundle_name(lang: str) -> str:
    """`zh-Hant` → `zh-hant`: Pagefind's JS lowercases `<html lang>` before looking it up."""
    return lang.lower()


def search_pages(model: SiteModel) -> list[SearchPage]:
    """Every article in every language, as pages for Pagefind; pure."""
    return [SearchPage(bundle_name(info.lang), PurePosixPath(page.entry.slug, "index.html"),
                       page_html(page, info, model.labels.get(info.lang, info.lang)))
            for page in model.articles for info in page.langs]


def page_html(page: ArticlePage, info: LangInfo, label: str) -> str:
    """The page Pagefind reads for one language: title, byline, then one section per segment."""
    esc = html.escape

    def block(text: str) -> str:
        return esc(_stopped(text, info.lang))

    names = [*page.entry.authors, *info.translators]
    head = [f"<h1>{block(info.title)}</h1>"]
    head += [f"<p>{block(text)}</p>" for text in (info.summary, ", ".join(names)) if text]
    sections = []
    for row in page.rows:
        text = " ".join(plain_text(c.html) for c in row.cells if c.lang == info.lang).strip()
        if text:
            sections.append(f'<h6 id="{esc(row.id)}">{SEGMENT_MARK}</h6><p>{block(text)}</p>')
    return (f'<!doctype html><html lang="{esc(bundle_name(info.lang))}"><head>'
            f'<meta charset="utf-8"><title>{esc(info.title)}</title>'
            f'<meta data-pagefind-meta="title[content]" content="{esc(info.title)}">'
            f'<meta data-pagefind-meta="label[content]" content="{esc(label)}">'
            f'<meta data-pagefind-meta="lang[content]" content="{esc(info.lang)}">'
            f'</head><body>{"".join(head)}{"".join(sections)}</body></html>\n')


# Pagefind ends a block that lacks a full stop with ". " in the excerpts, a Latin one even in
# Chinese or Japanese ("中国AI实验室札记. 这是摘要"): text in their scripts gets its own first.
_FULL_STOP_SCRIPTS = {"Hans", "Hant", "Hani", "Jpan"}
_ENDS = tuple("。．.！？!?…」』）)】〕\"'”’")


def _stopped(text: str, lang: str) -> str:
    if text and not text.endswith(_ENDS) and answers.likely_script(lang) in _FULL_STOP_SCRIPTS:
        return text + "。"
    return text


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "img":
            self.parts.append(" " + (dict(attrs).get("alt") or "") + " ")
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(fragment: str) -> str:
    """A cell's text: tags dropped, blocks kept apart by spaces, image alt text kept."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


# -- running Pagefind ------------------------------------------------------------------------

def search_files(model: SiteModel, config: SiteConfig, diags: Diagnostics,
                 pages: list[SearchPage] | None = None,
                 work_dir: Path | None = None) -> Iterator[OutputFile]:
    """The bundles and `pagefind/languages.json` (read by the browser script), as output files.

    `pages`: made beforehand (the pipeline's workers do, from each entry's text), else from
    `model`, which must then hold every article's rows. `work_dir`: where Pagefind's temporary
    folder goes (the system's by default; the preview gives one it removes when it stops).
    """
    pages = search_pages(model) if pages is None else pages
    if not pages or diags.has_errors():  # a failed build publishes nothing: skip Pagefind
        return
    digests = {bundle: _digest([p for p in pages if p.bundle == bundle])
               for bundle in sorted({page.bundle for page in pages})}
    manifest = json.dumps({"languages": list(digests), "digests": digests},
                          indent=1).encode() + b"\n"
    # Pagefind cannot update an index, so a bundle is rebuilt whole; but only the languages
    # whose text changed are (an edit of one file touches one language).
    previous = _previous_digests(config.out_dir)
    reused = {b: _previous_bundle(config.out_dir, b) for b, d in digests.items()
              if previous.get(b) == d}
    files = [f for bundle_files in reused.values() if bundle_files for f in bundle_files]
    stale = [b for b in digests if not reused.get(b)]
    try:
        files += _index([page for page in pages if page.bundle in stale], work_dir)
    except Exception as exc:  # a missing binary, its exit status, an unreadable bundle…
        diags.error(config.out_dir / str(SEARCH_DIR), None,
                    f"Pagefind could not build the search index: {exc or type(exc).__name__}",
                    hint="reinstall it with `pip install 'pagefind[extended]'`")
        return
    yield from sorted(files, key=lambda f: f.path)
    yield OutputFile(MANIFEST, manifest)


def _digest(pages: list[SearchPage]) -> str:
    """Changes when a bundle's indexed text or the Pagefind version does."""
    sha = hashlib.sha256(importlib.metadata.version("pagefind").encode())
    for page in pages:
        sha.update(f"\0{page.bundle}\0{page.path}\0{page.html}".encode())
    return sha.hexdigest()


def _previous_digests(out_dir: Path) -> dict[str, str]:
    """Each bundle's digest as the last build published it ({} if unreadable or older)."""
    try:
        manifest = json.loads((out_dir / str(MANIFEST)).read_text(encoding="utf-8"))
        digests = manifest["digests"]
        return {str(k): str(v) for k, v in digests.items()} if isinstance(digests, dict) else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _previous_bundle(out_dir: Path, bundle: str) -> list[OutputFile] | None:
    """The last build's files of one bundle, read back to be published again."""
    folder = out_dir / str(SEARCH_DIR) / bundle
    try:
        return [OutputFile(PurePosixPath(SEARCH_DIR, bundle, *path.relative_to(folder).parts),
                           path.read_bytes())
                for path in sorted(folder.rglob("*")) if path.is_file()]
    except OSError:
        return None


def _index(pages: list[SearchPage], work_dir: Path | None = None) -> list[OutputFile]:
    """Write the pages to a temporary folder, run Pagefind on each language, read back."""
    if not pages:
        return []
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bitext-search-", dir=work_dir) as tmp:
        source, out = Path(tmp, "src"), Path(tmp, "out")
        for page in pages:
            target = source / page.bundle / page.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page.html, encoding="utf-8")
        bundles = sorted({page.bundle for page in pages})
        with ThreadPoolExecutor(max_workers=min(len(bundles), os.cpu_count() or 1)) as pool:
            list(pool.map(lambda b: _pagefind(source / b, out / b, tmp), bundles))
        for bundle in bundles:
            _check_count(out / bundle, bundle, sum(page.bundle == bundle for page in pages))
        return [OutputFile(PurePosixPath(SEARCH_DIR, *path.relative_to(out).parts),
                           path.read_bytes())
                for path in sorted(out.rglob("*")) if path.is_file() and _kept(path)]


def _kept(path: Path) -> bool:
    return path.name in _KEEP_NAMES or path.suffix in _KEEP_SUFFIXES


def _pagefind(source: Path, out: Path, cwd: str) -> None:
    """One language's bundle; Pagefind's own log is kept for the error message only."""
    from pagefind.service import get_executable  # PAGEFIND_BINARY_PATH, then the wheels

    binary = get_executable()
    if binary is None:
        raise RuntimeError("the Pagefind binary was not found")
    done = subprocess.run([str(binary), "--site", str(source), "--output-path", str(out),
                           "--silent"], cwd=cwd, capture_output=True, text=True, timeout=900)
    if done.returncode:
        log = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(log[0] if log else f"exit status {done.returncode}")


def _check_count(bundle_dir: Path, bundle: str, expected: int) -> None:
    entry = json.loads((bundle_dir / "pagefind-entry.json").read_text(encoding="utf-8"))
    found = sum(lang["page_count"] for lang in entry["languages"].values())
    if found != expected or list(entry["languages"]) != [bundle]:
        raise RuntimeError(f"`{bundle}` bundle holds {found} pages in {list(entry['languages'])}, "
                           f"expected {expected} in [{bundle!r}]")
