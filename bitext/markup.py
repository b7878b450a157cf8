"""Markdown → top-level blocks, each with its HTML, plain text and source lines.

The top-level blocks of a body (paragraph, heading, list, block quote, code, table, …) are the
units of alignment. Footnote definitions are not blocks: the footnote plugin gathers them into
one notes section rendered after the aligned text.
"""
from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.anchors.index import slugify
from mdit_py_plugins.footnote import footnote_plugin

from .content import LinkTargets, link_problem
from .sanitize import sanitize_html

# A writer pins the alignment with an HTML comment on its own line before a block:
# `<!-- seg -->` starts a new segment there; `<!-- seg: name -->` starts the segment `name`,
# which must start at the block carrying the same name in every other language.
PIN_RE = re.compile(r"^<!--\s*seg(?:\s*:\s*(?P<name>[\w.-]+))?\s*-->\s*$", re.IGNORECASE)
COMMENT_RE = re.compile(r"^\s*<!--.*?-->\s*$", re.DOTALL)

# Tokens whose text counts for length and reading time.
_TEXT_TOKENS = {"text", "code_inline"}
_BREAK_TOKENS = {"softbreak", "hardbreak"}
_ALIGN_STYLE_RE = re.compile(r"text-align:\s*(left|right|center);?")


@dataclass(frozen=True)
class Link:
    """A URL written in the Markdown (link or image) and the file line it is on.

    With a `note`, it is instead something the parse had to leave out there, said as a warning
    wherever the entry's links are checked (so builds from the cache say it again).
    """

    url: str
    line: int
    image: bool
    note: str = ""

    def problem(self, entry_dir: Path, targets: LinkTargets) -> tuple[str, str] | None:
        """("error" | "warning", message) to say of it where it is written, or None: its note,
        else the rule of `content.link_problem` (which never raises on odd URLs)."""
        if self.note:
            return ("warning", self.note)
        return link_problem(self.url, self.image, entry_dir, targets)


@dataclass(frozen=True)
class Block:
    """One top-level block of a language version, ready to render and to align."""

    index: int  # 0-based position among the version's blocks
    # paragraph, heading, bullet_list, ordered_list, blockquote, fence, code, table, hr, html
    kind: str
    html: str
    text: str  # plain text (inline markup stripped), for lengths and anchors
    line: int  # 1-based first line in the file
    end_line: int  # 1-based last line in the file
    level: int = 0  # heading level, else 0
    items: int = 0  # number of list items or table rows, else 0
    pin: str | None = None  # alignment pin written before the block ("" for an unnamed pin)
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Document:
    """A rendered language version: its blocks and its footnotes section (may be empty)."""

    blocks: tuple[Block, ...]
    footnotes_html: str
    notes: tuple[Link, ...] = ()  # what was left out, as `Link.note`s
    footnote_links: tuple[Link, ...] = ()  # the URLs in the footnotes section

    def links(self) -> tuple[Link, ...]:
        """Every URL written in it, then its notes: what the link checks look at."""
        return (*(link for block in self.blocks for link in block.links), *self.footnote_links,
                *self.notes)


def make_markdown(lang: str, highlight: Callable[[str, str, str], str] | None = None
                  ) -> MarkdownIt:
    """A CommonMark parser with tables, strikethrough, footnotes, Pygments and heading anchors.

    Heading ids are prefixed with the language, so two columns on one page never share an id.
    `highlight` (markdown-it's hook for fenced code; a `Highlighter`) defaults to Pygments.
    """
    md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False,
                                   "highlight": highlight or _highlight})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6,
           slug_func=lambda title: f"{lang.lower()}-{slugify(title) or 'section'}")
    md.options["langPrefix"] = "language-"
    md.core.ruler.push("align_classes", _align_classes)
    return md


def _align_classes(state: StateCore) -> None:
    """Table cell alignment as `class="align-left"`: the CSP (`style-src 'self'`) drops styles."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            match = _ALIGN_STYLE_RE.fullmatch(str(token.attrGet("style") or ""))
            if match:
                del token.attrs["style"]
                token.attrJoin("class", f"align-{match.group(1)}")


class Highlighter:
    """`_highlight`, remembering each fenced block's HTML by a digest of its language and code.

    Between `remember(seed)` and `recall()` (one entry's parse), the blocks highlighted are kept,
    and those that `seed()` (what a previous parse of the entry kept; called on the first block)
    already has are taken from it: an edited entry whose code did not change is parsed again
    without Pygments, whose import and lexer set-up are ~35 ms, most of a one-entry rebuild.
    Outside that window it only highlights.
    """

    def __init__(self) -> None:
        self._seed: Callable[[], Mapping[bytes, str] | None] | None = None
        self._known: Mapping[bytes, str] | None = None
        self._kept: dict[bytes, str] | None = None

    def remember(self, seed: Callable[[], Mapping[bytes, str] | None] | None = None) -> None:
        self._seed, self._known, self._kept = seed, None, {}

    def recall(self) -> dict[bytes, str]:
        """The blocks kept since `remember`; stops keeping."""
        kept = self._kept or {}
        self._seed, self._known, self._kept = None, None, None
        return kept

    def __call__(self, code: str, lang_name: str, attrs: str) -> str:
        if self._kept is None or not lang_name:
            return _highlight(code, lang_name, attrs)
        if self._known is None:
            self._known = (self._seed() if self._seed else None) or {}
        key = hashlib.blake2b(f"{lang_name}\0{code}".encode(), digest_size=16).digest()
        html = self._known.get(key)
        if html is None:
            html = _highlight(code, lang_name, attrs)
        self._kept[key] = html
        return html


def _highlight(code: str, lang_name: str, _attrs: str) -> str:
    """Pygments spans for a fenced block; markdown-it wraps them in <pre><code>."""
    if not lang_name:
        return ""
    # Imported here: Pygments' formatters look up plugins through importlib.metadata, a good
    # part of a small rebuild's start-up, and most entries have no code.
    from pygments import highlight

    lexer = _lexer(lang_name.lower())
    return highlight(code, lexer, _formatter()) if lexer is not None else ""


# Both are stateless once made, and making them is most of highlighting a short block (the
# formatter reads its whole style each time): one per process.
@functools.lru_cache(maxsize=64)
def _lexer(lang_name: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang_name)
    except ClassNotFound:
        return None


@functools.lru_cache(maxsize=1)
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def pygments_css(light_style: str, dark_style: str) -> str:
    """Code colours for light and dark themes, scoped to code blocks inside the text."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style=light_style).get_style_defs(".cell pre")
    dark = HtmlFormatter(style=dark_style).get_style_defs(".cell pre")
    dark_scoped = "\n".join(f"[data-theme=dark] {rule}" for rule in dark.splitlines()
                            if rule.startswith(".cell"))
    dark_auto = "\n".join(f":root:not([data-theme=light]) {rule}" for rule in dark.splitlines()
                          if rule.startswith(".cell"))
    return (f"{_strip_bg(light)}\n{_strip_bg(dark_scoped)}\n"
            f"@media (prefers-color-scheme: dark) {{\n{_strip_bg(dark_auto)}\n}}\n")


def _strip_bg(css: str) -> str:
    # The page's own colours frame the code; Pygments' background would fight them.
    return "\n".join(line for line in css.splitlines() if "{ background" not in line
                     and "pre { line-height" not in line)


def to_document(md: MarkdownIt, body: str, body_line: int, lang: str) -> Document:
    """Parse a body and cut it into top-level blocks; `body_line` is the body's first file line."""
    env: dict = {"docId": lang.lower()}
    tokens = md.parse(body, env)
    _rank_headings(tokens)
    blocks: list[Block] = []
    notes: list[Link] = _footnote_notes(tokens, env, body, body_line)
    footnotes, footnote_links = "", []
    pin: str | None = None
    for group in _wrapped(_top_level_groups(tokens)):
        head = group[0]
        if head.type == "footnote_block_open":
            footnote_links = _links(group, body_line)
            footnotes = md.renderer.render(group, md.options, env)
            if _has_html(group):  # raw HTML in a footnote goes through the sanitizer too
                footnotes = sanitize_html(footnotes, env["docId"], footnotes=True)
            continue
        if head.type == "html_block" and COMMENT_RE.match(head.content):
            match = PIN_RE.match(head.content.strip())
            if match:
                pin = match.group("name") or ""
            elif _PIN_LIKE_RE.match(head.content):
                notes.append(_note(head, body_line, "this comment is no segment pin: a pin is "
                                   "`<!-- seg -->` or `<!-- seg: name -->`, the name of letters, "
                                   "digits, `.`, `_` and `-`"))
            continue  # a comment renders nothing, so it is no block
        notes += _inner_pins(group, body_line)
        block = _make_block(md, group, env, len(blocks), body_line, pin)
        if block is None:  # raw HTML the sanitizer emptied (a lone <iframe>, <script>): no row
            notes.append(_emptied(group, body_line))
            continue
        blocks.append(block)
        pin = None
    return Document(tuple(blocks), footnotes, tuple(notes), tuple(footnote_links))


_PIN_LIKE_RE = re.compile(r"^\s*<!--\s*seg\b", re.IGNORECASE)  # meant as a pin, maybe
_ID_RE = re.compile(r"<[a-zA-Z][^>]*\sid=\"[^\"]+\"")  # sanitized HTML: attributes quoted
_FOOTNOTE_DEF_RE = re.compile(r"^ {0,3}\[\^([^\]]*)\]:")
_FOOTNOTE_REF_RE = re.compile(r"\[\^([^\]\s]+)\]")


def _note(token: Token, body_line: int, message: str) -> Link:
    """Something the parse left out, at the file line of `token` (see `Link.note`)."""
    return Link("", body_line + (token.map[0] if token.map else 0), False, message)


def _footnote_notes(tokens: Sequence[Token], env: dict, body: str, body_line: int) -> list[Link]:
    """What the footnote syntax leaves unsaid: a label defined twice (the last one wins), a
    label with spaces (read as a link definition), a reference to no definition (shown as
    written). Definitions are found in the text, outside code and raw HTML, as the parser
    eats them."""
    if "[^" not in body:  # most texts: nothing to look for
        return []
    hidden = {line for t in tokens if t.type in ("fence", "code_block", "html_block") and t.map
              for line in range(*t.map)}
    notes, seen, lines = [], {}, body.split("\n")
    for k, text in enumerate(lines):
        match = _FOOTNOTE_DEF_RE.match(text) if k not in hidden else None
        if not match:
            continue
        label, line = match.group(1), body_line + k
        if not label.strip() or any(c.isspace() for c in label):
            notes.append(Link("", line, False, f"footnote label `{label}` holds a space, so "
                              "this is no footnote (it reads as a link definition)"))
        elif label in seen:
            notes.append(Link("", line, False, f"footnote `[^{label}]` is defined again (first "
                              f"on line {seen[label]}): only this definition is shown"))
        else:
            seen[label] = line
    known = {key[1:] for key in env.get("footnotes", {}).get("refs", {})}
    for token, label in _footnote_refs(tokens):
        source = "\n".join(lines[slice(*token.map)]) if token.map else ""
        if label not in known and f"\\[^{label}]" not in source:  # `\[^5]`: as written
            notes.append(_note(token, body_line, f"footnote `[^{label}]` is never defined, so "
                               "it shows as written"))
    return notes


def _footnote_refs(tokens: Sequence[Token]) -> Iterator[tuple[Token, str]]:
    """`[^label]` left in the text of inline tokens (a reference the plugin did not take)."""
    for token in tokens:
        if token.type == "inline":
            for child in token.children or ():
                if child.type == "text":
                    yield from ((token, label) for label in
                                _FOOTNOTE_REF_RE.findall(child.content))


def _emptied(group: list[Token], body_line: int) -> Link:
    """Why a block shows nothing (`_make_block` left it out), said where it starts."""
    raw = "".join(t.content for t in group for t in (t, *(t.children or ()))
                  if t.type in ("html_block", "html_inline"))
    if raw.lstrip().startswith("<!--") and "-->" not in raw:  # markdown-it: to the end
        return _note(group[0], body_line, "an HTML comment opened here is never closed with "
                     "`-->`, so it hides everything after it")
    tag = _TAG_RE.search(_COMMENTS_RE.sub("", raw))
    name = tag.group(2).lower() if tag else ""
    if name in _WRAPPERS and _wrapper_balance(raw) > 0:  # `_wrapped` found no end: it stands alone
        return _note(group[0], body_line, f"`<{name}>` opened here is never closed, so it wraps "
                     f"nothing: add `</{name}>` on a line of its own after what it holds")
    what = f"raw HTML `<{name}>`" if name else "raw HTML"
    return _note(group[0], body_line, f"{what} shows nothing once made safe (scripts, frames, "
                 "styles, forms and embeds are removed), so it is left out of the page")


def _inner_pins(group: list[Token], body_line: int) -> list[Link]:
    """Pins written inside raw HTML joined with what it wraps (`_wrapped`): they cut nothing."""
    return [_note(token, body_line, "a segment pin inside a raw HTML element (such as "
                  "`<details>`) is ignored: the element stays one block; put the pin before it")
            for token in group[1:] if token.type == "html_block" and token.level == 0
            and PIN_RE.match(token.content.strip())]


# Raw HTML elements a writer opens in one block and closes in a later one, with Markdown
# between them (`<details>`, a blank line, paragraphs, a blank line, `</details>`).
_WRAPPERS = {"details", "div", "section", "figure", "blockquote", "dl", "ol", "ul", "table"}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
_COMMENTS_RE = re.compile(r"<!--.*?-->", re.DOTALL)


def _wrapped(groups: list[list[Token]]) -> list[list[Token]]:
    """Join a raw HTML block that leaves a wrapper open with the blocks up to the one that
    closes it: one block, sanitized as a whole (else `<details>` closes empty at once and its
    content shows as rows of its own). A wrapper never closed joins nothing."""
    closing = _closings(groups)
    joined: list[list[Token]] = []
    k = 0
    while k < len(groups):
        end = closing.get(k, k)
        joined.append([token for group in groups[k:end + 1] for token in group])
        k = end + 1
    return joined


def _closings(groups: list[list[Token]]) -> dict[int, int]:
    """For each raw HTML group that opens wrappers, the group where they are all closed.

    One pass with a stack of open groups and the depth before each: their depths increase up
    the stack, so a group that lowers the depth closes the top ones (linear, however many
    wrappers are left open).
    """
    closing: dict[int, int] = {}
    opened: list[tuple[int, int]] = []
    depth = 0
    for k, group in enumerate(groups):
        if group[0].type != "html_block":
            continue
        before = depth
        depth += _wrapper_balance(group[0].content)
        while opened and opened[-1][1] >= depth:
            closing[opened.pop()[0]] = k
        if depth > before:
            opened.append((k, before))
    return closing


def _wrapper_balance(html: str) -> int:
    """Wrapper elements opened minus closed in a piece of raw HTML."""
    balance = 0
    for closing, name in _TAG_RE.findall(_COMMENTS_RE.sub("", html)):
        if name.lower() in _WRAPPERS:
            balance += -1 if closing else 1
    return balance


def _rank_headings(tokens: Sequence[Token]) -> None:
    """Renumber heading levels by rank from h2: the page title is the one h1.

    A body written with `###` sections (or `#` and `##`) would otherwise skip a level under the
    title or repeat it, which screen readers announce and the HTML checker reports; and two
    translations that chose different levels still agree once ranked.
    """
    levels = sorted({int(t.tag[1]) for t in tokens if t.type == "heading_open"})
    rank = {level: f"h{min(2 + k, 6)}" for k, level in enumerate(levels)}
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = rank[int(token.tag[1])]


def _top_level_groups(tokens: Sequence[Token]) -> list[list[Token]]:
    """Split a token stream at level 0: each group is one top-level block."""
    groups: list[list[Token]] = []
    depth = 0
    for token in tokens:
        if depth == 0:
            groups.append([])
        groups[-1].append(token)
        depth += token.nesting
    return groups


def _make_block(md: MarkdownIt, group: list[Token], env: dict, index: int, body_line: int,
                pin: str | None) -> Block | None:
    head = group[0]
    start, end = head.map or (0, 1)
    html = md.renderer.render(group, md.options, env)
    raw = _has_html(group)
    if raw:
        made = {str(t.attrs["id"]) for t in group if t.type == "heading_open" and "id" in t.attrs}
        html = sanitize_html(html, env["docId"], made)
    if head.type == "html_block":  # raw HTML, maybe joined with the blocks it wraps (`_wrapped`)
        end = max(t.map[1] for t in group if t.level == 0 and t.map)
        text, shown = _html_text(html)  # what the reader sees is what the aligner compares
    else:  # Markdown's own output always shows; with inline raw HTML alone (`<video>`) maybe not
        text = _plain_text(group)
        shown = not raw or bool(text) or any(_html_text(html))
    if not (text or shown or _ID_RE.search(html)):  # an empty `<a id="top">` is a link target
        return None
    return Block(
        index=index,
        kind=_kind(head),
        html=html,
        text=text,
        line=body_line + start,
        end_line=body_line + max(end - 1, start),
        level=int(head.tag[1]) if head.type == "heading_open" else 0,
        items=_count_items(group),
        pin=pin,
        links=tuple(_links(group, body_line)),
    )


def _has_html(group: list[Token]) -> bool:
    """Whether a block holds raw HTML anywhere (markdown-it's own output needs no sanitising)."""
    return any(t.type.startswith("html") or any(c.type == "html_inline" for c in t.children or ())
               for t in group)


def _kind(head: Token) -> str:
    kind = head.type.removesuffix("_open")
    return {"code_block": "code", "html_block": "html"}.get(kind, kind)


def _count_items(group: list[Token]) -> int:
    head = group[0]
    if head.type in ("bullet_list_open", "ordered_list_open"):
        return sum(1 for t in group if t.type == "list_item_open" and t.level == 1)
    if head.type == "table_open":
        return sum(1 for t in group if t.type == "tr_open")
    return 0


def _plain_text(group: list[Token]) -> str:
    parts: list[str] = []
    for token in group:
        if token.type in ("fence", "code_block"):
            parts.append(token.content)
        elif token.type == "inline":
            for child in token.children or ():
                if child.type in _TEXT_TOKENS:
                    parts.append(child.content)
                elif child.type in _BREAK_TOKENS:
                    parts.append(" ")
                elif child.type == "image":
                    parts.append(child.content)
            parts.append("\n")
    return "".join(parts).strip()


def _links(group: list[Token], body_line: int) -> list[Link]:
    """Every URL of a block: Markdown links and images, and href/src in its raw HTML."""
    links: list[Link] = []
    for token in group:
        line = body_line + (token.map[0] if token.map else 0)
        if token.type == "html_block":
            links += [Link(url, line, image) for url, image in _html_urls(token.content)]
        if token.type != "inline":
            continue
        for child in token.children or ():
            if child.type == "link_open":
                links.append(Link(str(child.attrGet("href") or ""), line, False))
            elif child.type == "image":
                links.append(Link(str(child.attrGet("src") or ""), line, True))
            elif child.type == "html_inline":
                links += [Link(url, line, image) for url, image in _html_urls(child.content)]
    return links


class _TextParser(HTMLParser):
    """The text of sanitized HTML, and whether it shows something without text (an image)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.shown = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.shown |= tag in ("img", "hr")
        if tag in ("br", "p", "li", "td", "th", "dt", "dd", "div", "summary"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(html: str) -> tuple[str, bool]:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split()), parser.shown


class _UrlParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.urls.append((value.strip(), tag == "img"))


def _html_urls(html: str) -> list[tuple[str, bool]]:
    """(url, is_image) for each href and src written in raw HTML."""
    parser = _UrlParser()
    parser.feed(html)
    parser.close()
    return parser.urls
