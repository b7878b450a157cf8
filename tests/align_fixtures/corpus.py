"""Parallel fixtures for the aligner, and seeded perturbations whose true alignment is known.

Each folder holds one text in several languages, block for block parallel (1-1): `tea`,
`guide` and `lisbon` were written for these tests in en, zh, ja and fr; `interconnects` is
real en–zh translation (excerpts of /work/shared/seeds/000_*.txt, paragraph pairs only).

`perturb` edits the translation the way translators do — merges two paragraphs, splits one at
a sentence, leaves one out, adds a translator's note — and returns the true groups.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from bitext.markup import Block, make_markdown, to_document

HERE = Path(__file__).resolve().parent
DOCS = ("tea", "guide", "lisbon", "interconnects")
LANGS = ("en", "zh", "ja", "fr")
CJK = ("zh", "ja")

Group = tuple[tuple[int, ...], tuple[int, ...]]  # (original indices, translated indices)

NOTES = {
    "en": ["Translator's note: the sums are given in the currency of the time.",
           "Translator's note: the original uses a regional name for this place, kept here as "
           "it is spelled on modern maps, and the dates follow the Gregorian calendar.",
           "Editor's note: this passage was shortened in the first edition.",
           "Note: the figures in this section come from the author's own records and could not "
           "be checked against another source."],
    "zh": ["译者注：文中金额均按当时币值计算，未作换算。",
           "译者注：原文此处使用的是当地的旧地名，译文按现代地图上的通行写法译出，日期则统一换算为公历。",
           "编者按：本段在初版中曾被删节。",
           "注：本节数字来自作者本人的记录，译者未能找到其他来源加以核对。"],
    "ja": ["訳注：金額はすべて当時の通貨のまま記している。",
           "訳注：原文ではこの土地を古い地方名で呼んでいるが、訳文では現代の地図での表記に従い、日付もすべて西暦に改めた。",
           "編集部注：この段落は初版では短縮されていた。",
           "注：この節の数字は著者自身の記録によるもので、訳者はほかの資料で確認できなかった。"],
    "fr": ["Note du traducteur : les sommes sont données dans la monnaie de l'époque.",
           "Note du traducteur : l'original emploie ici un ancien nom régional, rendu selon "
           "l'orthographe des cartes modernes, et les dates suivent le calendrier grégorien.",
           "Note de l'éditeur : ce passage avait été abrégé dans la première édition.",
           "Remarque : les chiffres de cette section proviennent des carnets de l'auteur et "
           "n'ont pu être vérifiés."],
}

_SENTENCE_END = {
    "latin": re.compile(r"(?<=[.!?])[\"”»]?\s+(?=[A-ZÀ-Ý«\"“])"),
    "cjk": re.compile(r"(?<=[。！？])[”」』]?"),
}


def available(doc: str) -> tuple[str, ...]:
    return tuple(lang for lang in LANGS if (HERE / doc / f"{lang}.md").exists())


def sources(doc: str, lang: str) -> list[str]:
    """The Markdown source of each top-level block of a fixture."""
    text = (HERE / doc / f"{lang}.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    return ["\n".join(lines[b.line - 1:b.end_line]) for b in parse(lang, text)]


def parse(lang: str, body: str | list[str]) -> tuple[Block, ...]:
    if not isinstance(body, str):
        body = "\n\n".join(body) + "\n"
    return to_document(make_markdown(lang), body, 1, lang).blocks


def identity(n: int) -> list[Group]:
    return [((i,), (i,)) for i in range(n)]


@dataclass(frozen=True)
class Case:
    """A perturbed translation and the groups that align it to the original."""

    doc: str
    lang: str
    seed: int
    other: list[str]  # block sources of the perturbed translation
    truth: list[Group]


def perturb(doc: str, lang: str, rate: float, seed: int) -> Case:
    """Merge, split, drop or add blocks of `lang` at about `rate` of its blocks (seeded)."""
    rng = random.Random(f"{doc}/{lang}/{rate}/{seed}")
    src = sources(doc, lang)
    kinds = [b.kind for b in parse(lang, src)]
    n = len(src)
    ops: dict[int, str] = {}
    busy: set[int] = set()
    for _ in range(max(1, round(rate * n)) * 20):
        if len(ops) >= max(1, round(rate * n)):
            break
        i = rng.randrange(n)
        op = rng.choice(("merge", "split", "drop", "add"))
        span = {i - 1, i, i + 1, i + 2} if op == "merge" else {i - 1, i, i + 1}
        if span & busy or not _eligible(op, i, kinds, src, lang):
            continue
        ops[i] = op
        busy |= span
    return _apply(doc, lang, seed, src, ops, rng)


def _eligible(op: str, i: int, kinds: list[str], src: list[str], lang: str) -> bool:
    if op == "merge":
        return i + 1 < len(src) and kinds[i] == kinds[i + 1] == "paragraph"
    if op == "split":
        return kinds[i] == "paragraph" and len(_sentences(src[i], lang)) >= 2
    return True


def _apply(doc, lang, seed, src, ops, rng) -> Case:
    other: list[str] = []
    truth: list[Group] = []
    joiner = "" if lang in CJK else " "
    i = 0
    while i < len(src):
        op = ops.get(i)
        k = len(other)
        if op == "add":
            other.append(rng.choice(NOTES[lang]))
            truth.append(((), (k,)))
            k += 1
        if op == "merge":
            other.append(src[i] + joiner + src[i + 1])
            truth.append(((i, i + 1), (k,)))
            i += 2
            continue
        if op == "split":
            other.extend(_halve(src[i], lang))
            truth.append(((i,), (k, k + 1)))
        elif op == "drop":
            truth.append(((i,), ()))
        else:
            other.append(src[i])
            truth.append(((i,), (k,)))
        i += 1
    return Case(doc, lang, seed, other, truth)


def _sentences(text: str, lang: str) -> list[str]:
    pattern = _SENTENCE_END["cjk" if lang in CJK else "latin"]
    cuts = [m.end() for m in pattern.finditer(text) if 0 < m.end() < len(text.rstrip())]
    bounds = [0, *cuts, len(text)]
    return [text[a:b].strip() for a, b in pairwise(bounds) if text[a:b].strip()]


def _halve(text: str, lang: str) -> list[str]:
    """Two paragraphs, cut at the sentence end nearest the middle."""
    parts = _sentences(text, lang)
    total = sum(len(p) for p in parts)
    best, acc, cut = None, 0, 1
    for k in range(1, len(parts)):
        acc += len(parts[k - 1])
        if best is None or abs(acc - total / 2) < best:
            best, cut = abs(acc - total / 2), k
    joiner = "" if lang in CJK else " "
    return [joiner.join(parts[:cut]), joiner.join(parts[cut:])]


def groups(segments, original: str, lang: str) -> list[Group]:
    """The (original, translation) groups a list of segments gives, empty rows left out."""
    out = []
    for seg in segments:
        pair = (tuple(seg.blocks.get(original, ())), tuple(seg.blocks.get(lang, ())))
        if pair != ((), ()):
            out.append(pair)
    return out


def score(predicted: list[Group], truth: list[Group]) -> tuple[int, int, int]:
    """(groups found exactly, groups predicted, true groups)."""
    found = len(set(predicted) & set(truth))
    return found, len(predicted), len(truth)


def long_case(lang: str, blocks: int, rate: float, seed: int) -> tuple[list[str], Case]:
    """An original of about `blocks` blocks made by chaining the fixtures, and its perturbation."""
    orig: list[str] = []
    other: list[str] = []
    truth: list[Group] = []
    round_ = 0
    while len(orig) < blocks:
        for doc in DOCS:
            if lang not in available(doc) or len(orig) >= blocks:
                continue
            case = perturb(doc, lang, rate, seed * 1000 + round_)
            di, dj = len(orig), len(other)
            orig += sources(doc, "en")
            other += case.other
            truth += [(tuple(i + di for i in a), tuple(j + dj for j in b)) for a, b in case.truth]
        round_ += 1
    return orig, Case("long", lang, seed, other, truth)
