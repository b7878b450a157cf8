"""Allow-list sanitising of raw HTML written in Markdown (through nh3, the Ammonia binding).

Only blocks that contain raw HTML pass through here: markdown-it's own output is already safe
(it escapes text and refuses javascript:, vbscript:, file: and non-image data: URLs).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection

import nh3

# What markdown-it and Pygments emit, plus harmless markup writers use in translations.
TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "cite", "code", "data", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt",
    "ruby", "s", "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
}
GLOBAL_ATTRIBUTES = {"class", "id", "lang", "dir", "title"}
ATTRIBUTES = {
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "ol": {"start", "reversed", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "data": {"value"},
    "abbr": {"title"},
    "details": {"open"},
}
URL_SCHEMES = {"http", "https", "mailto", "data"}
# Images may be inline data; anything else carrying data: could run script when opened.
_IMAGE_DATA_RE = re.compile(r"^data:image/(?:png|jpe?g|gif|webp|avif);", re.IGNORECASE)
# What a browser ignores in a URL before reading its scheme: tabs and line breaks anywhere,
# control characters and spaces in front (`da&#x09;ta:` is `data:`).
_URL_NOISE_RE = re.compile(r"[\t\n\r]|^[\x00-\x20]+")
# Ids the page itself uses (segments, controls, footnotes) must not be claimable from content.
_RESERVED_ID_RE = re.compile(
    r"^(?:s\d+|[ab]-\d+|(?:m|pair|ui|theme|search|marks|size)-.*|"
    r"main|marks|more|related-h|swap|tools|keys)$", re.IGNORECASE)


def _attribute_filter(tag: str, attribute: str, value: str, doc_id: str = "",
                      made: Collection[str] = (), footnotes: bool = False) -> str | None:
    if _URL_NOISE_RE.sub("", value).lower().startswith("data:"):
        image = tag == "img" and attribute == "src" and _IMAGE_DATA_RE.match(value)
        return value if image else None
    if attribute == "id" and (_RESERVED_ID_RE.match(value) or
                              _looks_made(value, doc_id, made, footnotes)):
        return None
    return value


def _looks_made(value: str, doc_id: str, made: Collection[str], footnotes: bool) -> bool:
    """An id written in content that looks like one markdown-it makes in this document (a
    heading's `en-intro`, a footnote's `fn-en-1`) but is not one of them: two would clash.

    Footnote ids are told by their form: `fnref-en-N` in the text, `fn-en-N` in the section.
    """
    kind = "fn" if footnotes else "fnref"
    if value in made or re.fullmatch(rf"{kind}-{re.escape(doc_id)}-\d+(?::\d+)?", value):
        return False
    return value.startswith(("fn-", "fnref-")) or bool(doc_id) and value.startswith(doc_id + "-")


def sanitize_html(html: str, doc_id: str = "", made: Collection[str] = (),
                  footnotes: bool = False) -> str:
    """Keep harmless markup, drop scripts, event handlers, styles and dangerous URLs.

    `doc_id` (the language's id prefix), `made` (the heading ids markdown-it gave this block)
    and `footnotes` (this is the footnotes section): ids written in raw HTML that would clash
    with the ones markdown-it makes are dropped.
    """
    keep = functools.partial(_attribute_filter, doc_id=doc_id, made=made, footnotes=footnotes)
    return _valid(_clean(html, keep))


# nh3's output is normalised (quoted, escaped attributes), so its tags can be read by pattern.
_IMG_WITHOUT_ALT_RE = re.compile(r"<img(?![^>]*\salt=)")
_A_TAG_RE = re.compile(r"<a\s[^>]*>")


def _valid(html: str) -> str:
    """What the HTML checker and readers ask of what is left: one h1 on the page, an `alt` on
    every image (empty: nothing describes it), and no `rel` on a link whose dangerous `href`
    was removed (nor on one within the page, such as a footnote's, as where no raw HTML made
    it go through here)."""
    if "<h1" in html:  # the page title is the one h1; Markdown's own headings rank from h2
        html = html.replace("<h1>", "<h2>").replace("<h1 ", "<h2 ").replace("</h1>", "</h2>")
    if "<img" in html:
        html = _IMG_WITHOUT_ALT_RE.sub('<img alt=""', html)
    if "<a " in html:
        html = _A_TAG_RE.sub(lambda m: m[0] if ' href="' in m[0] and ' href="#' not in m[0]
                             else m[0].replace(' rel="noopener noreferrer"', ""), html)
    return html


def _clean(html: str, attribute_filter: Callable[..., str | None]) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes={"*": GLOBAL_ATTRIBUTES, **ATTRIBUTES},
        url_schemes=URL_SCHEMES,
        attribute_filter=attribute_filter,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
