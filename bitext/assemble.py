"""Site model: URLs, output paths, ordering, tags, previous/next, related; output collisions.

Pure: takes parsed entries with their documents and alignments, returns pages to render.
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import answers
from .align import Segment
from .config import SiteConfig
from .content import RESERVED_SLUGS, Entry
from .errors import Diagnostics, display_path
from .markup import Document

# Reading speed per script: words a minute for spaced scripts, characters a minute for CJK.
WORDS_PER_MINUTE = 230
CJK_CHARS_PER_MINUTE = {"zh": 400, "ja": 500, "ko": 500}
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class Cell:
    """One language's part of a segment: its blocks' HTML, or an empty untranslated cell."""

    lang: str
    col: int  # position of the language on the page (0-based), used by the CSS toggles
    html: str
    note: str | None  # merged | split | added | loose | untranslated | None
    dir: str = "ltr"  # "rtl" for right-to-left scripts (Arabic, Hebrew, Thaana…)

    @property
    def untranslated(self) -> bool:
        return not self.html


@dataclass(frozen=True)
class Row:
    id: str
    cells: tuple[Cell, ...]
    confidence: float
    items: int = 0  # every cell with text is one list of this many items: they line up too


@dataclass(frozen=True)
class EntryLink:
    """How a page links to an entry: URL, titles per language, date, languages, summary."""

    slug: str
    url: str
    titles: tuple[tuple[str, str], ...]  # (lang, title)
    date: str | None
    langs: tuple[str, ...]
    summaries: tuple[tuple[str, str], ...]
    tags: tuple[TagLink, ...]
    draft: bool


@dataclass(frozen=True)
class TagLink:
    name: str
    slug: str
    url: str


@dataclass(frozen=True)
class LangInfo:
    """A language of an article page, with what the header shows for it."""

    lang: str
    col: int
    label: str
    title: str
    translators: tuple[str, ...]
    publisher: str | None
    minutes: int
    original: bool
    footnotes: str
    summary: str | None
    dir: str = "ltr"
    edition: str | None = None  # the writer's note on this version ("partial translation", …)


@dataclass(frozen=True)
class ArticlePage:
    url: str
    output: PurePosixPath
    entry: Entry
    link: EntryLink
    langs: tuple[LangInfo, ...]
    rows: tuple[Row, ...]
    mode: str
    pair: tuple[str, str]
    prev: EntryLink | None
    next: EntryLink | None
    related: tuple[EntryLink, ...]
    has_code: bool

    @property
    def has_marks(self) -> bool:
        return any(cell.note for row in self.rows for cell in row.cells)


@dataclass(frozen=True)
class ListPage:
    kind: str  # index | tags | tag
    url: str
    output: PurePosixPath
    entries: tuple[EntryLink, ...]
    tag: TagLink | None = None


@dataclass(frozen=True)
class AssetCopy:
    source: Path
    output: PurePosixPath


@dataclass(frozen=True)
class SiteModel:
    languages: tuple[str, ...]
    labels: Mapping[str, str]
    articles: tuple[ArticlePage, ...]
    lists: tuple[ListPage, ...]
    assets: tuple[AssetCopy, ...]
    tags: tuple[TagLink, ...]


@dataclass(frozen=True)
class ParsedEntry:
    """An entry with its rendered documents (by language) and its alignment."""

    entry: Entry
    docs: Mapping[str, Document]
    segments: Sequence[Segment]


def site_languages(config: SiteConfig, entries: Sequence[Entry]) -> tuple[str, ...]:
    """Configured languages first, then the others found in content, most used first."""
    counts = Counter(lang for entry in entries for lang in entry.langs)
    extra = sorted((lang for lang in counts if lang not in config.languages),
                   key=lambda lang: (-counts[lang], lang))
    return tuple(config.languages) + tuple(extra)


def language_label(lang: str, config: SiteConfig) -> str:
    """The configured label, else the language's own name for itself (English, 中文, 日本語)."""
    return config.labels[lang] if lang in config.labels else answers.autonym(lang)


# Scripts written right to left (ISO 15924), for a tag's likely script (`ur` → Arab).
_RTL_SCRIPTS = frozenset({"Adlm", "Arab", "Hebr", "Mand", "Mend", "Nkoo", "Rohg", "Samr", "Syrc",
                          "Thaa", "Yezi"})


def text_direction(lang: str) -> str:
    """"rtl" or "ltr" from the tag's script, written (`az-Arab`) or likely (`fa` → Arab)."""
    return "rtl" if answers.likely_script(lang) in _RTL_SCRIPTS else "ltr"


@functools.lru_cache(maxsize=4096)  # a site has few tags, each on many entries
def tag_slug(name: str) -> str:
    """A URL-safe tag folder; keeps CJK letters so 人工智能 stays readable.

    `+` and `#` after a letter are words (C++ → c-plus-plus, C# → c-sharp): else they would
    vanish and the two tags share one page with C.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _SIGN_RE.sub(lambda m: "-plus-" * len(m[0]) if m[0][0] == "+" else "-sharp-", text)
    text = re.sub(r"[^\w]+", "-", text).strip("-")
    if len(text.encode()) > MAX_TAG_BYTES:  # a folder name: most file systems stop at 255 bytes
        digest = hashlib.blake2b(text.encode(), digest_size=4).hexdigest()
        cut = text.encode()[:MAX_TAG_BYTES - 9].decode(errors="ignore").rstrip("-")
        text = f"{cut}-{digest}"
    return text or "tag"


MAX_TAG_BYTES = 120


_SIGN_RE = re.compile(r"(?<=\w)(?:\++|#)")


def assemble(config: SiteConfig, parsed: Sequence[ParsedEntry], diags: Diagnostics) -> SiteModel:
    """Order entries, give every page its URL and output path, and link pages together."""
    published = sorted((p for p in parsed if config.drafts or not p.entry.draft), key=_newest_first)
    # A language only a draft has gets no feed, strings or interface option until it is out.
    languages = site_languages(config, [p.entry for p in published])
    labels = {lang: language_label(lang, config) for lang in languages}
    links = {p.entry.slug: _entry_link(p, config) for p in published}
    read = frozenset(p.entry.slug for p in parsed)  # drafts too: what did not fail to read
    unused = [lang for lang in config.default_pair or () if lang not in languages]
    if unused and published and config.settings_path is not None:
        diags.warning(config.settings_path, None, f"`default_pair` names `{unused[0]}`, which "
                      "no published entry has: every page falls back to its own pair",
                      hint=f"the site's languages are {', '.join(languages)}")
    articles = []
    for i, item in enumerate(published):
        newer = links[published[i - 1].entry.slug] if i > 0 else None
        older = links[published[i + 1].entry.slug] if i + 1 < len(published) else None
        articles.append(_article(item, config, languages, labels, links, older, newer, diags,
                                 read))
    tags = _tags(published, links, diags)
    lists = [ListPage("index", url(config, ""), PurePosixPath("index.html"),
                      tuple(links[p.entry.slug] for p in published))]
    if tags:  # every tag on one page: where the site bar's "Tags" leads
        lists.append(ListPage("tags", url(config, "tags/"), PurePosixPath("tags", "index.html"),
                              ()))
    for tag, members in tags:
        lists.append(ListPage("tag", tag.url, PurePosixPath("tags", tag.slug, "index.html"),
                              tuple(members), tag))
    assets = [AssetCopy(path, PurePosixPath(p.entry.slug, *path.relative_to(p.entry.path).parts))
              for p in published for path in p.entry.assets]
    _check_collisions(articles, lists, assets, diags)
    return SiteModel(languages, labels, tuple(articles), tuple(lists), tuple(assets),
                     tuple(tag for tag, _ in tags))


def url(config: SiteConfig, path: str) -> str:
    """A site-absolute URL under the base path (works on a GitHub project sub-path)."""
    return config.base_path + path


def _newest_first(item: ParsedEntry) -> tuple:
    date = item.entry.date
    return (date is None, -(date.toordinal() if date else 0), item.entry.slug)


def _entry_link(item: ParsedEntry, config: SiteConfig) -> EntryLink:
    entry = item.entry
    slugs = {tag_slug(t): t for t in reversed(entry.tags)}  # `[AI, ai]` is one tag, the first
    tags = tuple(TagLink(name, slug, url(config, f"tags/{slug}/"))
                 for slug, name in reversed(slugs.items()))
    return EntryLink(
        slug=entry.slug,
        url=url(config, f"{entry.slug}/"),
        titles=tuple((v.lang, v.title) for v in entry.versions),
        date=entry.date.isoformat() if entry.date else None,
        langs=entry.langs,
        summaries=tuple((v.lang, v.meta["summary"]) for v in entry.versions if "summary" in v.meta),
        tags=tags,
        draft=entry.draft,
    )


def _article(item: ParsedEntry, config: SiteConfig, languages: Sequence[str],
             labels: Mapping[str, str], links: Mapping[str, EntryLink], older: EntryLink | None,
             newer: EntryLink | None, diags: Diagnostics, read: frozenset[str]) -> ArticlePage:
    entry = item.entry
    cols = {lang: i for i, lang in enumerate(entry.langs)}
    rows = tuple(_row(seg, item, cols) for seg in item.segments)
    langs = tuple(_lang_info(item, lang, cols[lang], labels) for lang in entry.langs)
    related: list[EntryLink] = []
    for slug in entry.related:  # each once (front matter drops repeats)
        problem = ("is this entry itself" if slug == entry.slug else
                   None if slug in links else "does not exist or is not published")
        if problem is None:
            related.append(links[slug])
            continue
        if slug not in read and (config.content_dir / slug).is_dir():
            continue  # an entry that failed to read: its own error says why; no cascade
        diags.warning(*_written_at(entry, "related"), f"related entry `{slug}` {problem}")
    return ArticlePage(
        url=links[entry.slug].url,
        output=PurePosixPath(entry.slug, "index.html"),
        entry=entry, link=links[entry.slug], langs=langs, rows=rows,
        mode=entry.mode or config.default_mode,
        pair=_default_pair(entry, config, languages),
        prev=older, next=newer, related=tuple(related),
        has_code=any(b.kind in ("fence", "code") for d in item.docs.values() for b in d.blocks),
    )


def _default_pair(entry: Entry, config: SiteConfig, languages: Sequence[str]) -> tuple[str, str]:
    """Entry's pair, else the site's if this entry has both, else original + next in site order."""
    if entry.pair:
        return entry.pair
    if config.default_pair and set(config.default_pair) <= set(entry.langs):
        return config.default_pair
    others = sorted((lang for lang in entry.langs if lang != entry.original),
                    key=lambda lang: languages.index(lang) if lang in languages else len(languages))
    return (entry.original, others[0] if others else entry.original)


def _row(seg: Segment, item: ParsedEntry, cols: Mapping[str, int]) -> Row:
    original = item.entry.original
    cells, counts = [], set()
    for lang, col in cols.items():
        indices = seg.blocks.get(lang, ())
        blocks = item.docs[lang].blocks
        html = "".join(blocks[i].html for i in indices)
        note = seg.note(original, lang)
        cells.append(Cell(lang, col, html, note, text_direction(lang)))
        if indices:
            only = blocks[indices[0]]
            counts.add(only.items if len(indices) == 1 and only.kind in _LISTS and not note
                       else 0)
    items = counts.pop() if len(counts) == 1 else 0
    return Row(seg.id, tuple(cells), seg.confidence, items if 2 <= items <= MAX_ITEMS else 0)


_LISTS = ("bullet_list", "ordered_list")
MAX_ITEMS = 24  # list items lined up across columns (static/assets/site.css, data-items)


def _lang_info(item: ParsedEntry, lang: str, col: int, labels: Mapping[str, str]) -> LangInfo:
    version = item.entry.version(lang)
    doc = item.docs[lang]
    return LangInfo(
        lang=lang, col=col, label=labels.get(lang, lang), title=version.title,
        translators=version.meta.get("translator", ()), publisher=version.meta.get("publisher"),
        minutes=reading_minutes(lang, " ".join(b.text for b in doc.blocks)),
        original=lang == item.entry.original, footnotes=doc.footnotes_html,
        summary=version.meta.get("summary"), dir=text_direction(lang),
        edition=version.meta.get("edition"),
    )


def reading_minutes(lang: str, text: str) -> int:
    """Whole minutes to read `text`: CJK by characters, other scripts by words."""
    others, cjk = (text, 0) if text.isascii() else _CJK_RE.subn(" ", text)  # one pass
    words = len(others.split())
    rate = CJK_CHARS_PER_MINUTE.get(lang.split("-")[0], 450)
    return max(1, round(cjk / rate + words / WORDS_PER_MINUTE))


def _tags(published: Sequence[ParsedEntry], links: Mapping[str, EntryLink],
          diags: Diagnostics) -> list[tuple[TagLink, list[EntryLink]]]:
    """Tags by slug (so `AI` and `ai` share a page), in name order, entries newest first.

    Tags that differ beyond case and width but still share a slug (`C` and `C.`, or `C#` and
    `c-sharp` in one entry) share its page too, under the first spelling: the writer is
    warned where the second one is written.
    """
    by_slug: dict[str, tuple[TagLink, list[EntryLink]]] = {}
    for item in published:
        link = links[item.entry.slug]
        for tag in link.tags:  # each page once per entry (`_entry_link`)
            by_slug.setdefault(tag.slug, (tag, []))[1].append(link)
        for name in item.entry.tags:  # every spelling written, repeats in one entry too
            first = by_slug[tag_slug(name)][0].name
            if _tag_key(name) != _tag_key(first):
                diags.warning(*_written_at(item.entry, "tags"), f"tags `{first}` and `{name}` "
                              f"share the page tags/{tag_slug(name)}/, so only `{first}` is shown",
                              hint="spell them alike, or apart")
    return [by_slug[slug]
            for slug in sorted(by_slug, key=lambda s: (by_slug[s][0].name.casefold(), s))]


def _written_at(entry: Entry, key: str) -> tuple[Path, int | None]:
    """Where an entry-wide field was written: the file (and line) of the version holding it."""
    version = next((v for v in entry.versions if key in v.lines), None)
    return (version.path, version.lines[key]) if version else (entry.path, None)


def _tag_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def _check_collisions(articles: Sequence[ArticlePage], lists: Sequence[ListPage],
                      assets: Sequence[AssetCopy], diags: Diagnostics) -> None:
    """Two sources writing one output path is an error, as is an entry named like a site folder."""
    owners: dict[str, Path] = {}
    for page in articles:
        if page.entry.slug in RESERVED_SLUGS:
            diags.error(page.entry.path, None, f"entry name `{page.entry.slug}` is reserved for "
                        "the site's own pages", hint="rename the folder")
        owners[str(page.output).casefold()] = page.entry.path
    for page in lists:
        owners.setdefault(str(page.output).casefold(), Path(str(page.output)))
    for asset in assets:
        key = str(asset.output).casefold()
        if key in owners:
            diags.error(asset.source, None, f"asset would overwrite `{asset.output}`, written by "
                        f"{display_path(owners[key])}", hint="rename the file")
        owners[key] = asset.source
