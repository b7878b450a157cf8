"""What the aligner measures and what a group of blocks costs (the search is in `lattice`).

A *group* pairs a run of original blocks with a run of translated blocks (1-1, 2-1, 1-0, …).
Its cost is a negative log-probability in nats, in the Gale–Church tradition (Gale & Church
1993; NLTK's translate/gale_church.py):

    cost = prior(shape) + length + sentences + kinds − anchors

* length: δ = (l₁ − l₂/r) / √(s²·(l₁ + l₂/r)/2 + v₀), lengths on a common scale (a Han
  character counts 3, Hangul 2, anything else 1), and the term is −log((1 − ε)·P(|Z| ≥ |δ|) + ε):
  Gale–Church's tail with a small share ε of freely rewritten paragraphs, so that one condensed
  paragraph does not drag its neighbours into a merge. 1-0 and 0-1 groups pay a flat penalty
  plus a little per length instead: Gale–Church's Gaussian would make leaving out a long
  paragraph dearer than merging it into the wrong neighbour.
* sentences: the same test on sentence counts, capped (counts may legitimately differ).
* r, s² and the sentence scale are the entry's own (`calibrate`): fitted on the 1-1 pairs of a
  first pass, for the whole entry and per stretch of about sixteen pairs.
* anchors: what survives translation — numbers (full-width digits and thousands separators
  normalised), Latin-script words (names and terms inside CJK text, cognates between Latin
  scripts), URLs, inline code — restricted to those both versions contain and weighted by
  rarity in the entry: roughly the log-odds that a shared rare token co-occurs by chance.
* kinds: headings pair with headings of the same level, lists with lists of as many items,
  code with code; headings, rules, tables and code are never merged with a neighbour.

Deterministic: anchor weights are multiples of 1/256, so their sums are exact whatever order
a set yields its members in; ties keep the earlier shape of SHAPES.
"""
from __future__ import annotations

import html as html_lib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .markup import Block

# Gale–Church shapes (original blocks, translated blocks) in tie-breaking preference order
# (0-1 last: the lattice sweeps it along a row after the others), with prior probabilities.
# Merges, splits, omissions and additions are each a few percent of paragraphs in real
# translations; 2-2 is rarer. 3-1 and 1-3 were tried and did not pay for their time.
SHAPES: tuple[tuple[int, int], ...] = ((1, 1), (2, 1), (1, 2), (2, 2), (1, 0), (0, 1))
PRIORS = {(1, 1): 0.82, (2, 1): 0.045, (1, 2): 0.045, (2, 2): 0.01, (1, 0): 0.04, (0, 1): 0.04}
PRIOR_COST = {shape: -math.log(p) for shape, p in PRIORS.items()}

VARIANCE = 6.0  # s², length units per unit of length (Gale–Church: 6.8 for characters)
SENTENCE_VARIANCE = 0.6  # the same for sentence counts (a prior: each entry calibrates its own)
SENTENCE_FLOOR = 0.25
SENTENCE_CAP = 2.0  # most nats sentence counts can add: they nudge, lengths and anchors decide
OUTLIER = 0.01  # ε: a pair's lengths may disagree arbitrarily (−log ε ≈ 4.6 nats at most)
VARIANCE_FLOOR = 40.0  # v₀: short blocks (headings) vary more than proportionally
GAP_PER_LENGTH = 0.5  # extra cost of leaving out a block, per mean block length
ANCHOR_SCALE = 0.6  # anchors are correlated evidence: count each at a fraction of its log-odds
ANCHOR_CAP = 9.0  # most nats a group can earn from anchors

# A Han character carries about as much as three Latin characters, a Hangul syllable two, a
# kana one (fitted on the en–zh and en–ja fixtures), so lengths of Chinese, Japanese, Korean and
# English land on one scale before calibration.
# Runs, not characters: findall then returns a few strings per block instead of one per glyph.
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af]+")
_WIDE_RE = re.compile("[\u3400-\U0010ffff]")  # a C scan, where max(text) makes a str a glyph
# Possessive quantifiers: a word never needs to give characters back, and not trying is faster.
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f]*+"
                       r"(?:[-'’.+#][A-Za-z0-9\u00c0-\u024f]++)*+[+#]*+")
_URL_RE = re.compile(r"https?://[^\s<>\"'，。、）)]+")
_THOUSANDS_RE = re.compile(r"(?<=\d)[, ](?=\d{3}(?!\d))")
_DECIMAL_COMMA_RE = re.compile(r"(?<=\d),(?=\d)")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)*")
_DIGIT_RUN_RE = re.compile(r"\d(?:[\d., ]*\d)?")  # digits, and separators between them
# A sentence ends at 。！？ or at . ! ? followed (after closing quotes) by a space or the end.
# One leading character class (not an alternation) lets the engine skip to candidates fast.
_SENTENCE_END_RE = re.compile(r"[.!?。！？](?:(?<=[。！？])[。！？]*|[.!?]*[\"'”’»)]*(?=\s|$))")
_INLINE_CODE_RE = re.compile(r"<code>(.*?)</code>", re.DOTALL)
_PRE_RE = re.compile(r"<pre.*?</pre>", re.DOTALL)

KIND_CLASS = {"paragraph": "prose", "blockquote": "quote", "bullet_list": "list",
              "ordered_list": "list", "fence": "code", "code": "code", "heading": "heading",
              "table": "table", "hr": "hr", "html": "html"}
# Blocks a translator keeps whole: never merged with a neighbour or split.
SOLID = frozenset({"heading", "code", "table", "hr"})


@dataclass(frozen=True, slots=True)
class Features:
    """What the aligner sees of one block."""

    units: float  # length on the common scale
    cls: str  # kind class: prose, quote, list, code, heading, table, hr, html
    level: int
    items: int
    words: tuple[str, ...]  # Latin-script words, case-folded, in order (candidate anchors)
    tokens: frozenset[str]  # numbers `n:…`, URLs `u:…`, inline code `c:…` (candidate anchors)
    sentences: int  # for prose and quotes; 0 for other kinds


def features(block: Block) -> Features:
    cls = KIND_CLASS.get(block.kind, "prose")
    sentences = _sentence_count(block.text) if cls in ("prose", "quote") else 0
    text = block.text if block.text.isascii() else _nfkc(block.text)
    # NFKC: full-width letters and digits become ASCII; possessive `s` goes with the apostrophe.
    # A tuple, not a set: hashing each word once, in shared_anchors, is enough.
    words = tuple(_LATIN_RE.findall(text.casefold().replace("'s", "").replace("’s", "")))
    return Features(text_units(block.text), cls, block.level, block.items, words,
                    _tokens(block, text), sentences)


# Full-width punctuation common in Chinese text, by its NFKC form: NFKC takes a slow path for
# each of these, str.replace does not (and the result is the same).
_FULL_WIDTH = tuple((c, chr(ord(c) - 0xFEE0)) for c in "，：；（）！？")


def _nfkc(text: str) -> str:
    for wide, narrow in _FULL_WIDTH:
        if wide in text:
            text = text.replace(wide, narrow)
    return unicodedata.normalize("NFKC", text)


def _sentence_count(text: str) -> int:
    return max(1, len(_SENTENCE_END_RE.findall(text)))


def text_units(text: str) -> float:
    if text.isascii() or not _WIDE_RE.search(text):  # nothing from the first Han range up
        return float(len(text))
    han = sum(map(len, _HAN_RE.findall(text)))
    return float(len(text) + 2 * han + sum(map(len, _HANGUL_RE.findall(text))))


def anchor_tokens(block: Block) -> frozenset[str]:
    """All candidate anchors of a block: words (`GPUs` → `gpu`) and the prefixed tokens."""
    f = features(block)
    return frozenset(_stem(w) for w in f.words if len(w) > 1) | f.tokens


def _tokens(block: Block, text: str) -> frozenset[str]:
    tokens = {f"u:{link.url}" for link in block.links if not link.image}
    if "://" in text:
        tokens.update(f"u:{url.rstrip('.,;:!?')}" for url in _URL_RE.findall(text))
    if "<code>" in block.html:
        prose = _PRE_RE.sub("", block.html)
        tokens.update(f"c:{html_lib.unescape(code).strip().casefold()}"
                      for code in _INLINE_CODE_RE.findall(prose))
    # Separators are normalised inside each run of digits (and the separators between them)
    # alone, the same as over the whole text but on a few short strings.
    for run in _DIGIT_RUN_RE.findall(text):
        if "," in run or " " in run:
            run = _DECIMAL_COMMA_RE.sub(".", _THOUSANDS_RE.sub("", run))
        tokens.update(f"n:{_number(n)}" for n in _NUMBER_RE.findall(run))
    return frozenset(tokens)


def _stem(word: str) -> str:
    """Without a plural `s`: `GPUs` in English is `GPU` in Chinese."""
    return word[:-1] if len(word) > 3 and word[-1] == "s" and word[-2] != "s" else word


def _number(digits: str) -> str:
    whole, _, fraction = digits.partition(".")
    return (whole.lstrip("0") or "0") + (f".{fraction}" if fraction else "")


def _specificity(token: str) -> float:
    """How much a token says by itself: `7` little, `1848` or a URL a lot."""
    if token[1:2] != ":":
        return 0.5 if len(token) == 2 else 1.0
    kind, value = token[0], token[2:]
    if kind == "n":
        digits = len(value.replace(".", ""))
        return 0.3 if digits == 1 else 0.6 if digits == 2 else 1.0
    return 1.5


@dataclass(frozen=True)
class PairModel:
    """Everything the group cost needs for one (original, translation) pair."""

    orig: Sequence[Features]
    other: Sequence[Features]
    orig_tokens: Sequence[frozenset[str]]  # shared anchors only
    other_tokens: Sequence[frozenset[str]]
    weights: dict[str, float]
    cal: Calibration
    prefix_orig: Sequence[float]  # prefix sums of units: a group's length is one subtraction
    prefix_other: Sequence[float]
    sentences_orig: Sequence[int]  # prefix sums of sentence counts
    sentences_other: Sequence[int]
    gap_orig: Sequence[float]  # cost of leaving each block without a counterpart
    gap_other: Sequence[float]
    pins_orig: Sequence[int]  # prefix counts of blocks that must open a group (a pin, or a
    pins_other: Sequence[int]  # boundary another language needs)
    plain_orig: Sequence[int]  # prefix counts of blocks that are not plain paragraphs
    plain_other: Sequence[int]
    # [dj][j], for the translated blocks [j, j+dj) of a group: their units, sentence counts,
    # blocks of SOLID kinds, set of kind classes, and shared anchors.
    spans_other: Sequence[Sequence[float]] = ()
    sentence_spans_other: Sequence[Sequence[int]] = ()
    solid_spans_other: Sequence[Sequence[int]] = ()
    class_spans_other: Sequence[Sequence[frozenset[str]]] = ()
    token_spans_other: Sequence[Sequence[frozenset[str]]] = ()
    # static_cost by original block and shape (gi·len(SHAPES) + k) → (first translated start,
    # costs of a contiguous span): shared by the passes, calibration changes only the length term.
    static: dict = field(default_factory=dict, compare=False)


def pair_model(orig: Sequence[Features], other: Sequence[Features], cal: Calibration,
               orig_starts: Sequence[bool], other_starts: Sequence[bool]) -> PairModel:
    orig_tokens, other_tokens = shared_anchors(orig, other)
    units, sentences = _prefix([f.units for f in other]), _prefix([f.sentences for f in other])
    return PairModel(orig, other, orig_tokens, other_tokens,
                     anchor_weights(orig_tokens, other_tokens), cal,
                     _prefix([f.units for f in orig]), units,
                     _prefix([f.sentences for f in orig]), sentences,
                     _gaps(orig, PRIOR_COST[(1, 0)]), _gaps(other, PRIOR_COST[(0, 1)]),
                     _prefix([int(x) for x in orig_starts]),
                     _prefix([int(x) for x in other_starts]),
                     _prefix([int(f.cls != "prose") for f in orig]),
                     _prefix([int(f.cls != "prose") for f in other]),
                     _spans(units), _spans(sentences),
                     _spans(_prefix([int(f.cls in SOLID) for f in other])),
                     _unions([frozenset([f.cls]) for f in other]), _unions(other_tokens))


def _unions(sets: Sequence[frozenset]) -> list[list[frozenset]]:
    """[d][j] = the union of sets[j : j + d] for the group widths SHAPES use (0, 1, 2)."""
    return [[], list(sets), [a | b for a, b in zip(sets, sets[1:], strict=False)]]


def _spans(prefix: Sequence) -> list[list]:
    """[d][j] = prefix[j + d] − prefix[j] for the group widths SHAPES use (0, 1, 2)."""
    return [[b - a for a, b in zip(prefix, prefix[d:], strict=False)] for d in range(3)]


def _gaps(feats: Sequence[Features], prior: float) -> list[float]:
    """1-0 / 0-1 cost: the prior plus a little per mean block length of the block left out."""
    mean = max(sum(f.units for f in feats) / max(len(feats), 1), 1.0)
    return [prior + GAP_PER_LENGTH * f.units / mean for f in feats]


def _prefix(values: Sequence) -> list:
    sums = [values[0] * 0] if values else [0]
    for v in values:
        sums.append(sums[-1] + v)
    return sums


def shared_anchors(orig: Sequence[Features],
                   other: Sequence[Features]) -> tuple[list[frozenset], list[frozenset]]:
    """Per block, the anchors the other version has too (words stemmed).

    Words are matched as whole vocabularies first, so each block costs one set intersection.
    """
    # _stem, inlined: a side's vocabulary runs to thousands of words.
    stems = [{w: w[:-1] if len(w) > 3 and w[-1] == "s" and w[-2] != "s" else w
              for w in frozenset().union(*(f.words for f in side)) if len(w) > 1}
             for side in (orig, other)]
    common = set(stems[0].values()) & set(stems[1].values())
    tokens = frozenset().union(*(f.tokens for f in orig)) & frozenset().union(
        *(f.tokens for f in other))
    out = []
    for side, stem in zip((orig, other), stems, strict=True):
        keep, stem_of = frozenset(w for w, s in stem.items() if s in common), stem.__getitem__
        out.append([frozenset(map(stem_of, keep.intersection(f.words)))
                    | (f.tokens & tokens if f.tokens else frozenset()) for f in side])
    return out[0], out[1]


def anchor_weights(orig: Sequence[frozenset], other: Sequence[frozenset]) -> dict[str, float]:
    """Shared anchors weighted by rarity: log(1 + blocks / blocks holding the anchor)."""
    df_orig = Counter(t for tokens in orig for t in tokens)
    df_other = Counter(t for tokens in other for t in tokens)
    total = len(orig) + len(other)
    weights = {}
    for token, count in df_orig.items():
        if token in df_other:
            weight = _specificity(token) * math.log1p(total / (count + df_other[token]))
            weights[token] = round(weight * 256) / 256
    return weights


@dataclass(frozen=True)
class Scale:
    """How one measure (length or sentence count) of the translation follows the original's.

    Translated value ≈ ratio × original value, with variance ∝ value. `local` holds a
    (ratio, variance) per original block, fitted on nearby pairs: a translator may condense
    one section and expand another.
    """

    ratio: float
    variance: float
    local: Sequence[tuple[float, float]] = ()

    def at(self, i: int) -> tuple[float, float]:
        return self.local[i] if self.local else (self.ratio, self.variance)


@dataclass(frozen=True)
class Calibration:
    """The entry's own scales for lengths and sentence counts (None: sentences not used)."""

    length: Scale
    sentences: Scale | None = None


def calibrate(orig: Sequence[Features], other: Sequence[Features],
              pairs: Sequence[tuple[int, int]]) -> Calibration:
    """Calibration from the 1-1 pairs (index pairs) of a first alignment.

    Each ratio is a ratio of sums (robust to short blocks); each variance is the upper quartile
    of the squared normalised residuals over 1.323 (that quartile of χ²₁: robust to misaligned
    pairs, yet it sees the heavier-than-normal tails of real translations), shrunk toward its
    prior with the weight of 8 pairs so that a short entry cannot calibrate itself into nonsense.
    """
    lengths = [(i, orig[i].units, other[j].units) for i, j in pairs
               if orig[i].units >= 20 and other[j].units >= 20]
    if not lengths:
        return Calibration(Scale(length_ratio(orig, other), VARIANCE))
    length = _scale(len(orig), lengths, VARIANCE, 0.0, (3.0, 60.0))
    sentences = [(i, orig[i].sentences, other[j].sentences) for i, j in pairs
                 if orig[i].sentences and other[j].sentences]
    if not sentences:
        return Calibration(length)
    return Calibration(length, _scale(len(orig), sentences, SENTENCE_VARIANCE, SENTENCE_FLOOR,
                                      (0.2, 4.0)))


LOCAL_PAIRS = 8  # 1-1 pairs on each side that set the scale around a block
LOCAL_PRIOR = 4  # weight of the entry's scale there, in pairs
LOCAL_STEP = 4  # windows move by this many pairs


def _scale(n: int, pairs: Sequence[tuple[int, float, float]], prior: float, floor: float,
           clamp: tuple[float, float]) -> Scale:
    ratio, variance = _fit([(a, b) for _, a, b in pairs], prior, floor, 8)
    variance = min(max(variance, clamp[0]), clamp[1])
    if len(pairs) <= 2 * LOCAL_PAIRS:
        return Scale(ratio, variance)
    fitted: dict[int, tuple[float, float]] = {}
    local, k = [], 0
    for i in range(n):
        while k < len(pairs) and pairs[k][0] < i:
            k += 1
        centre = k - k % LOCAL_STEP
        if centre not in fitted:
            window = [(a, b) for _, a, b in pairs[max(0, centre - LOCAL_PAIRS):
                                                  centre + LOCAL_PAIRS]]
            mean = sum(a for a, _ in window) / len(window)
            # The entry's ratio joins the window as LOCAL_PRIOR pairs of average length.
            local_ratio = _ratio([*window, *[(mean, mean * ratio)] * LOCAL_PRIOR])
            _, local_var = _fit(window, variance, floor, LOCAL_PRIOR, local_ratio)
            fitted[centre] = (local_ratio, min(max(local_var, clamp[0]), clamp[1]))
        local.append(fitted[centre])
    return Scale(ratio, variance, local)


def _fit(pairs: Sequence[tuple[float, float]], prior: float, floor: float, weight: int,
         ratio: float | None = None) -> tuple[float, float]:
    """Ratio and variance, rounded to two significant digits: editing one paragraph then
    rarely moves them at all, so it cannot reshuffle near-ties elsewhere in the entry."""
    if ratio is None:
        ratio = _ratio(pairs)
    residuals = sorted((a - b / ratio) ** 2 / ((a + b / ratio) / 2 + floor) for a, b in pairs)
    estimate = residuals[len(residuals) * 3 // 4] / 1.323
    return ratio, _round((weight * prior + len(pairs) * estimate) / (weight + len(pairs)))


def _ratio(pairs: Sequence[tuple[float, float]]) -> float:
    return _round(sum(b for _, b in pairs) / sum(a for a, _ in pairs))


def _round(x: float) -> float:
    return float(f"{x:.2g}") if x > 0 else x


def length_ratio(orig: Sequence[Features], other: Sequence[Features]) -> float:
    a, b = sum(f.units for f in orig), sum(f.units for f in other)
    return b / a if a > 0 and b > 0 else 1.0


def group_cost(model: PairModel, i0: int, i1: int, j0: int, j1: int) -> float:
    """Cost of pairing original blocks [i0, i1) with translated blocks [j0, j1).

    The readable definition: the lattice prices its edges with the same sums unrolled for
    speed (`static_span` and its relax loop), and a test checks every edge against this one.
    """
    return static_cost(model, i0, i1, j0, j1) + length_cost(model, i0, i1, j0, j1)


def static_cost(model: PairModel, i0: int, i1: int, j0: int, j1: int) -> float:
    """The part of a group's cost that calibration does not change: prior, kinds, anchors."""
    if j0 == j1:
        return model.gap_orig[i0]
    if i0 == i1:
        return model.gap_other[j0]
    single = i1 - i0 == 1 and j1 - j0 == 1
    # A pinned block may only open a group, never continue one.
    if not single and (model.pins_orig[i1] - model.pins_orig[i0 + 1]
                       or model.pins_other[j1] - model.pins_other[j0 + 1]):
        return math.inf
    cost = PRIOR_COST[(i1 - i0, j1 - j0)]
    if model.plain_orig[i1] - model.plain_orig[i0] or model.plain_other[j1] - model.plain_other[j0]:
        cost += kind_cost(model.orig[i0:i1], model.other[j0:j1])  # paragraphs alone cost 0
    if model.orig_tokens[i0] or not single:
        cost -= anchor_bonus(model, i0, i1, j0, j1)
    return cost


def length_cost(model: PairModel, i0: int, i1: int, j0: int, j1: int) -> float:
    """How unusual the group's differences in length and sentence count are (0 for gaps).

    Each is −log P(|Z| ≥ |δ|); the sentence term only once calibration has measured how
    faithfully this translation keeps sentences, and only between prose blocks.
    """
    if i0 == i1 or j0 == j1:
        return 0.0
    cost = tail_cost(length_delta(model, i0, i1, j0, j1))
    a = model.sentences_orig[i1] - model.sentences_orig[i0]
    b = model.sentences_other[j1] - model.sentences_other[j0]
    if model.cal.sentences and a and b:
        ratio, variance = model.cal.sentences.at(i0)
        b /= ratio
        delta = (a - b) / math.sqrt(variance * (a + b) / 2 + SENTENCE_FLOOR)
        cost += min(SENTENCE_CAP, tail_cost(delta, outlier=0.0))
    return cost


def length_delta(model: PairModel, i0: int, i1: int, j0: int, j1: int) -> float:
    a = model.prefix_orig[i1] - model.prefix_orig[i0]
    ratio, variance = model.cal.length.at(i0)
    b = (model.prefix_other[j1] - model.prefix_other[j0]) / ratio
    return (a - b) / math.sqrt(variance * (a + b) / 2 + VARIANCE_FLOOR)


def tail_cost(delta: float, outlier: float = OUTLIER) -> float:
    """−log((1 − ε)·P(|Z| ≥ |δ|) + ε) for a standard normal Z.

    ε is the share of paragraphs a translator rewrote freely (condensed, expanded): without it
    one heavily cut paragraph would pull its neighbours into a merge to even out the lengths.
    """
    p = (1 - outlier) * math.erfc(abs(delta) / math.sqrt(2)) + outlier
    return -math.log(p) if p > 0 else math.inf


def kind_cost(orig: Sequence[Features], other: Sequence[Features]) -> float:
    if len(orig) == 1 and len(other) == 1:
        return _pair_kind_cost(orig[0], other[0])
    cost = 5.0 * sum(1 for f in (*orig, *other) if f.cls in SOLID)
    if {f.cls for f in orig} != {f.cls for f in other}:
        cost += 3.0
    return cost


_PROSE_LIKE = frozenset({"prose", "quote", "list"})


def _pair_kind_cost(a: Features, b: Features) -> float:
    if a.cls != b.cls:
        return 2.5 if a.cls in _PROSE_LIKE and b.cls in _PROSE_LIKE else 6.0
    if a.cls == "heading":
        return 0.0 if a.level == b.level else 2.0
    if a.cls in ("list", "table") and a.items != b.items:
        return min(4.0, 1.0 * abs(a.items - b.items))
    return 0.0


def anchor_bonus(model: PairModel, i0: int, i1: int, j0: int, j1: int) -> float:
    """Nats earned by anchors found on both sides of the group (capped)."""
    a = model.orig_tokens[i0] if i1 - i0 == 1 else frozenset().union(*model.orig_tokens[i0:i1])
    if not a:
        return 0.0
    b = model.other_tokens[j0] if j1 - j0 == 1 else frozenset().union(*model.other_tokens[j0:j1])
    if not b:
        return 0.0
    weights = model.weights
    score = sum(weights[t] for t in a & b)
    return ANCHOR_SCALE * min(score, ANCHOR_CAP)


# Static costs a span at a time, for the lattice's hot loop.

def extend_static(model: PairModel, entry: tuple[int, list[float]] | None, k: int, gi: int,
                   start: int, stop: int) -> tuple[int, list[float]]:
    """The cached static costs of shape k from original block gi, as (first translated
    start, costs), grown to cover [start, stop): each pass asks for a contiguous span."""
    if entry is None:
        return start, static_span(model, k, gi, start, stop)
    base, costs = entry
    end = base + len(costs)
    lo, hi = min(start, base), max(stop, end)
    return lo, static_span(model, k, gi, lo, base) + costs + static_span(model, k, gi, end, hi)


def static_span(model: PairModel, k: int, gi: int, start: int, stop: int) -> list[float]:
    """`static_cost` of shape k from original block gi for translated starts [start, stop).

    The same sums, with everything that depends only on the original side (its prior, pins,
    kinds and the union of its anchors) worked out once per span, not per edge: the first
    pass prices ~8,000 edges of a 500-block pair.
    """
    if start >= stop:
        return []
    di, dj = SHAPES[k]
    i1 = gi + di
    if not dj:
        return [model.gap_orig[gi]] * (stop - start)
    single = di == 1 and dj == 1
    if not single and model.pins_orig[i1] - model.pins_orig[gi + 1]:
        return [math.inf] * (stop - start)
    prior, weight = PRIOR_COST[(di, dj)], model.weights.__getitem__
    pins, plain, other = model.pins_other, model.plain_other, model.other
    solids, class_sets = model.solid_spans_other[dj], model.class_spans_other[dj]
    tokens = model.token_spans_other[dj]
    kinds = model.orig[gi:i1]
    plain_orig = not model.plain_orig[i1] - model.plain_orig[gi]
    solid, classes = sum(f.cls in SOLID for f in kinds), {f.cls for f in kinds}  # kind_cost's
    a = model.orig_tokens[gi] if di == 1 else model.orig_tokens[gi] | model.orig_tokens[gi + 1]
    costs = []
    for gj in range(start, stop):
        j1 = gj + dj
        if not single and pins[j1] - pins[gj + 1]:
            costs.append(math.inf)
            continue
        cost = prior
        if not plain_orig or plain[j1] - plain[gj]:  # kind_cost, inlined
            if single:
                cost += _pair_kind_cost(kinds[0], other[gj])
            else:
                cost += (5.0 * (solid + solids[gj])
                         + (0.0 if classes == class_sets[gj] else 3.0))
        if a:
            common = a & tokens[gj]
            if common:
                cost -= ANCHOR_SCALE * min(sum(map(weight, common)), ANCHOR_CAP)
        costs.append(cost)
    return costs
