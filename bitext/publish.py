"""Publishing metadata: Atom feeds, sitemap, robots.txt, and each page's head metadata.

Absolute URLs need the site's origin, which only an absolute `base_url` gives
(`https://user.github.io/repo/`; the GitHub Pages workflow passes one). With a bare path
(`/repo/`, the default `/` for local previews) the site still gets feeds, with root-relative
links and `urn:uuid:` ids; it gets no canonical links (search engines and Lighthouse want them
absolute), no `sitemap.xml` (the protocol requires absolute URLs) and no Open Graph `og:url`.
No warning is given: local builds are the common case and `--strict` would turn it into a
failure.

Dates come from content (`date:` in front matter), never the wall clock, so two builds of the
same sources are byte-identical; an undated entry takes SOURCE_DATE_EPOCH when set, else the
newest content date, else 1970-01-01.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from markupsafe import Markup

from .answers import og_locale
from .assemble import ArticlePage, ListPage, SiteModel
from .config import SiteConfig

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_PATH = "feed.xml"
FEED_LIMIT = 50  # newest entries per feed; older ones stay on the site, not in the feeds
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                 "\u2029": "\\u2029"}


@dataclass(frozen=True)
class FeedLink:
    """A feed as a page's head links to it."""

    href: str
    title: str
    # None for the whole-site feed, which mixes languages. The default head link leaves it
    # out: search engines read rel=alternate + hreflang as "this page in that language".
    hreflang: str | None


@dataclass(frozen=True)
class PageMeta:
    """What `_meta.html` writes into a page's head."""

    title: str
    description: str
    canonical: str | None
    og_url: str | None  # absolute only
    og_type: str
    locale: str
    locale_alternates: tuple[str, ...]
    published: str | None
    tags: tuple[str, ...]
    image: str | None
    feeds: tuple[FeedLink, ...]
    json_ld: Markup | None
    noindex: bool


# -- URLs ------------------------------------------------------------------------------------

def absolute(config: SiteConfig, path: str) -> str:
    """`https://host/repo/x/` when the origin is known, else the root-relative `/repo/x/`."""
    return (config.origin or "") + path


def feed_path(lang: str | None) -> PurePosixPath:
    """`feed.xml` for the whole site, `feeds/<lang>.xml` for one language."""
    return PurePosixPath(FEED_PATH) if lang is None else PurePosixPath("feeds", f"{lang}.xml")


def feed_links(model: SiteModel, config: SiteConfig) -> tuple[FeedLink, ...]:
    """The whole-site feed, then one per site language, for every page's head."""
    ui = model.languages[0] if model.languages else "en"
    links = [FeedLink(config.base_path + FEED_PATH, config.site_title(ui), None)]
    links += [FeedLink(config.base_path + str(feed_path(lang)),
                       f"{config.site_title(lang)} ({model.labels.get(lang, lang)})", lang)
              for lang in model.languages]
    return tuple(links)


# -- per-page metadata -----------------------------------------------------------------------

def page_meta(page: ArticlePage | ListPage | None, page_lang: str, *, model: SiteModel,
              config: SiteConfig, feeds: tuple[FeedLink, ...]) -> PageMeta:
    """Canonical URL, description, Open Graph, feeds and JSON-LD for one page, in the page's
    language. `feeds`: `feed_links(model, config)`, made once per render by the caller.

    Every page gets a description: the entry's summary or title, else the site's description
    or title (search engines and Lighthouse want one on each page).
    """
    alternates = tuple(og_locale(lang) for lang in model.languages if lang != page_lang)
    site_title = config.site_title(page_lang)
    about = config.site_description(page_lang) or site_title
    if isinstance(page, ArticlePage):
        info = next(i for i in page.langs if i.lang == page_lang)
        others = tuple(og_locale(i.lang) for i in page.langs if i.lang != page_lang)
        return PageMeta(
            title=info.title, description=info.summary or info.title,
            canonical=_full_url(config, page.url), og_url=_full_url(config, page.url),
            og_type="article", locale=og_locale(page_lang), locale_alternates=others,
            published=page.link.date, tags=page.entry.tags, image=_first_image(page, config),
            feeds=feeds, json_ld=script_json(article_ld(page, config)), noindex=False)
    if isinstance(page, ListPage):
        title = f"{page.tag.name} · {site_title}" if page.tag else site_title
        ld = website_ld(model, config, page_lang) if page.kind == "index" else None
        return PageMeta(
            title=title, description=f"{page.tag.name} · {about}" if page.tag else about,
            canonical=_full_url(config, page.url), og_url=_full_url(config, page.url),
            og_type="website", locale=og_locale(page_lang), locale_alternates=alternates,
            published=None, tags=(), image=None, feeds=feeds,
            json_ld=script_json(ld) if ld else None, noindex=False)
    return PageMeta(title=site_title, description=about,
                    canonical=None, og_url=None, og_type="website", locale=og_locale(page_lang),
                    locale_alternates=(), published=None, tags=(), image=None, feeds=feeds,
                    json_ld=None, noindex=True)


def _full_url(config: SiteConfig, path: str) -> str | None:
    """The absolute URL when the site's origin is known (canonical, og:url), else None."""
    return config.origin + path if config.origin else None


def _first_image(page: ArticlePage, config: SiteConfig) -> str | None:
    """The article's first image, as an absolute URL (social cards need one), if any."""
    if not config.origin:
        return None
    for row in page.rows:
        for cell in row.cells:
            if cell.lang == page.entry.original and (
                    found := re.search(r'<img\b[^>]*\bsrc="([^"]+)"', cell.html)):
                src = html.unescape(found.group(1))
                if src.startswith(("http://", "https://")):
                    return src
                if not src.startswith(("/", "data:", "#")):
                    return config.origin + page.url + src
    return None


def script_json(data: object) -> Markup:
    """JSON safe inside `<script type="application/ld+json">`: `<`, `>`, `&` as \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text))


def _people(names: Sequence[str]) -> list[dict[str, str]]:
    return [{"@type": "Person", "name": name} for name in names]


def article_ld(page: ArticlePage, config: SiteConfig) -> dict:
    """schema.org Article per language: the original, and each translation pointing back to it."""
    url = absolute(config, page.url)
    entry = page.entry
    declared = any(v.meta.get("original") for v in entry.versions)
    graph = []
    for info in page.langs:
        node: dict = {"@type": "Article", "@id": f"{url}#{info.lang}", "url": url,
                      "headline": info.title, "inLanguage": info.lang}
        if info.summary:
            node["description"] = info.summary
        if page.link.date:
            node["datePublished"] = page.link.date
        if entry.authors:
            node["author"] = _people(entry.authors)
        if info.translators:
            node["translator"] = _people(info.translators)
        if info.publisher:
            node["publisher"] = {"@type": "Organization", "name": info.publisher}
        if entry.tags:
            node["keywords"] = ", ".join(entry.tags)
        if info.original and entry.source:
            node["isBasedOn"] = entry.source
        if not info.original and (declared or info.translators):
            node["translationOfWork"] = {"@id": f"{url}#{entry.original}"}
        graph.append(node)
    return {"@context": "https://schema.org", "@graph": graph}


def website_ld(model: SiteModel, config: SiteConfig, lang: str) -> dict:
    """schema.org WebSite for the home page."""
    data = {"@context": "https://schema.org", "@type": "WebSite",
            "name": config.site_title(lang), "url": absolute(config, config.base_path),
            "inLanguage": list(model.languages)}
    if config.site_description(lang):
        data["description"] = config.site_description(lang)
    return data


# -- site-wide files -------------------------------------------------------------------------

def site_files(model: SiteModel, config: SiteConfig) -> Iterator[tuple[PurePosixPath, bytes]]:
    """feed.xml, feeds/<lang>.xml, sitemap.xml (absolute base URL only) and robots.txt."""
    fallback = fallback_time(model)
    yield feed_path(None), atom_feed(model, config, None, fallback)
    for lang in model.languages:
        yield feed_path(lang), atom_feed(model, config, lang, fallback)
    if config.origin:
        yield PurePosixPath("sitemap.xml"), sitemap(model, config)
    yield PurePosixPath("robots.txt"), robots(config)


def fallback_time(model: SiteModel) -> dt.datetime:
    """The time of an undated entry: SOURCE_DATE_EPOCH, else the newest content date, else 1970."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    dates = [a.entry.date for a in model.articles if a.entry.date]
    return _midnight(max(dates)) if dates else _EPOCH


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    # RFC 3339 wants four digits of year; strftime's %Y gives `1` for the year 1 on glibc.
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%SZ")


def _feed_id(config: SiteConfig, path: str) -> str:
    """The URL when the origin is known; else a stable `urn:uuid:` (Atom ids must be absolute)."""
    if config.origin:
        return config.origin + path
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"bitext:{path}"))


def atom_feed(model: SiteModel, config: SiteConfig, lang: str | None,
              fallback: dt.datetime) -> bytes:
    """An RFC 4287 feed: the whole site (each entry in its original language) or one language."""
    ui = model.languages[0] if model.languages else "en"
    feed_lang = lang or ui
    self_path = config.base_path + str(feed_path(lang))
    pages = [p for p in model.articles if lang is None or lang in p.entry.langs][:FEED_LIMIT]
    times = [_midnight(p.entry.date) if p.entry.date else fallback for p in pages]
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": feed_lang})
    _text(root, "id", _feed_id(config, self_path))
    _text(root, "title", config.site_title(feed_lang))
    if config.site_description(feed_lang):
        _text(root, "subtitle", config.site_description(feed_lang))
    _text(root, "updated", _stamp(max(times, default=fallback)))
    author = ET.SubElement(root, "author")
    _text(author, "name", config.author or config.site_title(feed_lang))
    ET.SubElement(root, "link", {"rel": "self", "type": "application/atom+xml",
                                 "href": absolute(config, self_path)})
    ET.SubElement(root, "link", {"rel": "alternate", "type": "text/html",
                                 "href": absolute(config, config.base_path)})
    _text(root, "generator", "bitext")
    for page, moment in zip(pages, times, strict=True):
        root.append(_atom_entry(page, config, lang or page.entry.original, lang is not None,
                                moment))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "utf-8") + b"\n"


def _atom_entry(page: ArticlePage, config: SiteConfig, lang: str, per_language: bool,
                moment: dt.datetime) -> ET.Element:
    info = next(i for i in page.langs if i.lang == lang)
    url = absolute(config, page.url)
    entry = ET.Element("entry", {"xml:lang": lang})
    id_path = page.url + (f"?lang={lang}" if per_language else "")
    _text(entry, "id", _feed_id(config, id_path))
    _text(entry, "title", info.title)
    _text(entry, "published", _stamp(moment))
    _text(entry, "updated", _stamp(moment))
    for name in page.entry.authors:
        _text(ET.SubElement(entry, "author"), "name", name)
    for name in info.translators:
        _text(ET.SubElement(entry, "contributor"), "name", name)
    ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": url,
                                  "hreflang": lang})
    for tag in page.entry.tags:
        ET.SubElement(entry, "category", {"term": tag})
    if info.summary:
        _text(entry, "summary", info.summary)
    body = "".join(cell.html for row in page.rows for cell in row.cells if cell.lang == lang)
    # xml:base makes the article's relative links and images resolve as they do on its page.
    content = ET.SubElement(entry, "content", {"type": "html", "xml:base": url})
    content.text = body + info.footnotes
    return entry


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def sitemap(model: SiteModel, config: SiteConfig) -> bytes:
    """Every page with its languages as hreflang alternates (one URL holds them all)."""
    root = ET.Element("urlset", {"xmlns": "http://www.sitemaps.org/schemas/sitemap/0.9",
                                 "xmlns:xhtml": "http://www.w3.org/1999/xhtml"})
    for page in model.lists:
        dates = [link.date for link in page.entries if link.date]
        _sitemap_url(root, config, page.url, model.languages, max(dates, default=None))
    for page in model.articles:
        _sitemap_url(root, config, page.url, page.entry.langs, page.link.date)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "utf-8") + b"\n"


def _sitemap_url(root: ET.Element, config: SiteConfig, path: str, langs: Sequence[str],
                 lastmod: str | None) -> None:
    loc = absolute(config, path)
    url = ET.SubElement(root, "url")
    _text(url, "loc", loc)
    if lastmod:
        _text(url, "lastmod", lastmod)
    for lang in (*langs, "x-default"):
        ET.SubElement(url, "xhtml:link", {"rel": "alternate", "hreflang": lang, "href": loc})


def robots(config: SiteConfig) -> bytes:
    """Allow everything but the search index; name the sitemap when its URL can be absolute."""
    lines = ["User-agent: *", f"Disallow: {config.base_path}pagefind/", "Allow: /"]
    if config.origin:
        lines.append(f"Sitemap: {absolute(config, config.base_path + 'sitemap.xml')}")
    return ("\n".join(lines) + "\n").encode()
