"""Alignment: every language of an entry shares one sequence of segments `s1, s2, …`.

Pure and deterministic: sees blocks, never files. Each translation is aligned to the original
on its own (a Gale–Church dynamic program over blocks: costs in `aligncost`, the search in
`lattice`), then the pairwise groups are merged: a segment ends only where every translation
can end it.

Per pair:
1. Named pins present on both sides (`<!-- seg: name -->`) are hard anchors: the program runs
   separately between consecutive anchors. Unnamed pins (`<!-- seg -->`), and boundaries that
   another language's pins need, forbid merging a block with the one before it.
2. Equal block counts whose blocks agree in kind and length keep the 1-1 pairing. If they
   agree in kind and only a few isolated pairs disagree in length (an abridged or expanded
   paragraph), the diagonal stands in for the first pass below: calibrated on it, the second
   pass decides in a narrow band around it, wider about those pairs.
3. Otherwise a first pass, banded around the length diagonal, finds 1-1 pairs from which the
   entry calibrates its own length and sentence-count ratios and variances (globally and per
   stretch of text); a second pass, banded around the first path, decides. The first pass
   needs only a path: it keeps no edge costs and leaves out 2-2 groups. The second pass's band
   is one block either side of straight stretches of the first path and two around its other
   groups, widened where the path runs along its edge.

Confidence of a group (`lattice.Lattice.groups`): margin = cost of the best complete path
that avoids the group − cost of the chosen path, in nats (costs are negative log-probabilities);
confidence = σ(2.5·margin − 1), a logistic fitted on the perturbed fixtures, times a length-fit
factor below 1 when the group's lengths disagree more than 95 % of true pairs do. Pinned
groups have 1.0. A segment's confidence is the lowest of its languages' (`confidences`).
"""
from __future__ import annotations

import gc
import math
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import NamedTuple

from .aligncost import (
    SHAPES,
    VARIANCE,
    VARIANCE_FLOOR,
    Calibration,
    Features,
    PairModel,
    Scale,
    calibrate,
    features,
    kind_cost,
    length_ratio,
    pair_model,
)
from .lattice import BEAM, FROM_ROW, SEARCH_ONLY, Group, Lattice, band, diagonal
from .markup import Block

# Reader-facing marks for a translated cell (Segment.note).
MERGED = "merged"  # one block of this language holds several of the original
SPLIT = "split"  # several blocks of this language hold one of the original
UNTRANSLATED = "untranslated"  # the original has text here, this language has none
ADDED = "added"  # this language has text the original lacks (translator's note, …)
LOOSE = "loose"  # paired, but the aligner is not sure
LOOSE_BELOW = 0.5

BAND = 16  # half-width of the first pass's band around the length diagonal, in blocks
REFINE_BAND = 2  # half-width of the second pass's band around the first pass's other groups
STRAIGHT_BAND = 1  # … along its straight 1-1 stretches, and around a kept 1-1 pairing
FULL_SEARCH = 60_000  # nodes: a band this small is searched without the beam (`_search`)
FIRST_BEAM = 6.0  # the first pass needs only its best path, not the rivals confidences need
FAST_DELTA = 3.5  # largest |δ| a pair may show for equal counts to keep the 1-1 pairing
NEAR_SHARE = 0.125  # … and the share of pairs that may exceed it for the diagonal to stand in


@dataclass(frozen=True)
class Segment:
    """One aligned row: for each language, the indices of the top-level blocks it holds."""

    id: str
    blocks: Mapping[str, tuple[int, ...]]
    confidence: float
    pinned: bool = False
    confidences: Mapping[str, float] = field(default_factory=dict)  # per translated language

    def shape(self, original: str, lang: str) -> str:
        """Group shape against the original, e.g. '1-1', '2-1', '1-0'."""
        return f"{len(self.blocks.get(original, ()))}-{len(self.blocks.get(lang, ()))}"

    def note(self, original: str, lang: str) -> str | None:
        """The mark for `lang`'s cell: MERGED, SPLIT, UNTRANSLATED, ADDED, LOOSE or None."""
        mine, theirs = len(self.blocks.get(lang, ())), len(self.blocks.get(original, ()))
        if lang == original or not (mine or theirs):
            return None
        if not mine:
            return UNTRANSLATED
        if not theirs:
            return ADDED
        if mine != theirs:
            return MERGED if mine < theirs else SPLIT
        return LOOSE if self.confidences.get(lang, self.confidence) < LOOSE_BELOW else None


def align(docs: Mapping[str, Sequence[Block]], original: str) -> list[Segment]:
    """Align every language to `original` and merge the pairs into one shared sequence."""
    others = [lang for lang in docs if lang != original]
    with _collector_paused():
        feats = {lang: [features(b) for b in blocks] for lang, blocks in docs.items()}
        pairs = _align_pairs(docs, feats, original, others)
        return _merge(pairs, len(docs[original]), original, list(docs))


@contextmanager
def _collector_paused():
    """The lattices allocate thousands of small lists and make no reference cycles: with the
    cyclic collector paused it does not scan them again and again (a few % of a long pair)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def unmatched_pins(docs: Mapping[str, Sequence[Block]], original: str) -> list[tuple[str, int]]:
    """Named pins that anchor nothing: (lang, block index), in language then block order.

    A translation's pin is unmatched when the original has no pin of that name, when it
    repeats a name, or when it crosses other matched pins (names in a different order). An
    original's pin is unmatched when no translation uses it.
    """
    unmatched, used = [], set()
    for lang, blocks in docs.items():
        if lang == original:
            continue
        anchors = _anchors(docs[original], blocks)
        used.update(i for i, _ in anchors)
        kept = {j for _, j in anchors}
        unmatched += [(lang, j) for j, b in enumerate(blocks) if b.pin and j not in kept]
    if len(docs) > 1:
        unmatched[:0] = [(original, i) for i, b in enumerate(docs[original])
                         if b.pin and i not in used]
    return unmatched


def _anchors(orig: Sequence[Block], other: Sequence[Block]) -> list[tuple[int, int]]:
    """Matched named pins as (original index, translated index), increasing on both sides.

    First occurrence of each name on each side; if names cross, the longest chain in order
    is kept (ties to the earliest), so one misplaced pin cannot cancel all the others.
    """
    first: dict[str, int] = {}
    for j, block in enumerate(other):
        if block.pin and block.pin not in first:
            first[block.pin] = j
    seen, pairs = set(), []
    for i, block in enumerate(orig):
        if block.pin and block.pin not in seen and block.pin in first:
            seen.add(block.pin)
            pairs.append((i, first[block.pin]))
    return _increasing_chain(pairs)


def _increasing_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence of `pairs` (sorted by first item) increasing in the second."""
    best: list[list[tuple[int, int]]] = []  # best[k]: a chain of length k+1, lowest tail
    for pair in pairs:
        k = next((k for k, chain in enumerate(best) if chain[-1][1] >= pair[1]), len(best))
        best[k:k + 1] = [(best[k - 1] if k else []) + [pair]]
    return best[-1] if best else []


# ---------------------------------------------------------------------------------------------
# One pair.

class Chunk(NamedTuple):
    """Original blocks [i0, i1) against translated blocks [j0, j1), between two anchors."""

    i0: int
    i1: int
    j0: int
    j1: int
    anchored: bool  # starts at a matched named pin: its first group is pinned


def _align_pairs(docs: Mapping[str, Sequence[Block]], feats: Mapping[str, list[Features]],
                 original: str, others: Sequence[str]) -> dict[str, list[Group]]:
    """Align each translation; realign those that cross a boundary another one's pin needs."""
    required: set[int] = set()
    pairs: dict[str, list[Group]] = {}
    while True:
        for lang in others:
            if lang not in pairs or _crosses(pairs[lang], required):
                pairs[lang] = _align_pair(docs[original], feats[original], docs[lang],
                                          feats[lang], frozenset(required))
        needed = {g.i0 for lang in others for g in pairs[lang] if _pins_start(g, docs[lang])}
        if needed <= required:
            return pairs
        required |= needed  # grows each round and is bounded by the block count


def _pins_start(group: Group, blocks: Sequence[Block]) -> bool:
    return group.pinned or (group.j1 > group.j0 and blocks[group.j0].pin == "")


def _crosses(groups: Sequence[Group], required: set[int]) -> bool:
    return any(g.i0 < p < g.i1 for g in groups for p in required)


def _align_pair(orig: Sequence[Block], orig_feats: list[Features], other: Sequence[Block],
                other_feats: list[Features], required: frozenset[int]) -> list[Group]:
    anchors = _anchors(orig, other)
    model = pair_model(orig_feats, other_feats,
                       Calibration(Scale(length_ratio(orig_feats, other_feats), VARIANCE)),
                       [b.pin == "" or i in required for i, b in enumerate(orig)],
                       [b.pin == "" for b in other])
    bounds = [(0, 0), *anchors, (len(orig), len(other))]
    chunks = [Chunk(a[0], b[0], a[1], b[1], k > 0) for k, (a, b) in enumerate(pairwise(bounds))
              if a != b]
    outliers = _diagonal_outliers(model, anchors)
    if outliers is not None:
        model = replace(model, cal=calibrate(orig_feats, other_feats,
                                             [(i, i) for i in range(len(orig))]))
        if not outliers:
            return [g for c in chunks for g in _final(model, c, _straight(c), forced=True)]
        return [g for c in chunks
                for g in _final(model, c, _straight(c), _outlier_widths(c, outliers))]
    first = [_search(model, c, diagonal(model, *c[:4]), BAND, rate=False, exact=_uneven(c))
             for c in chunks]
    one_to_one = [(g.i0, g.j0) for path in first for g in path
                  if g.i1 - g.i0 == 1 and g.j1 - g.j0 == 1]
    model = replace(model, cal=calibrate(orig_feats, other_feats, one_to_one))
    return [g for c, path in zip(chunks, first, strict=True)
            for g in _final(model, c, _rows(c, path), _widths(c, path), exact=_uneven(c))]


def _uneven(chunk: Chunk) -> bool:
    """Whether the sides' block counts differ by two or more: only then can a run of additions
    or omissions cost more at one place than the beam keeps (see `_search`)."""
    return abs((chunk.i1 - chunk.i0) - (chunk.j1 - chunk.j0)) >= 2


def _diagonal_outliers(model: PairModel, anchors: Sequence[tuple[int, int]]) -> set[int] | None:
    """The pairs that disagree in length, when the diagonal can stand in for the first pass.

    It can when counts are equal, anchors lie on it, every pair agrees in kind, and few pairs
    (at most NEAR_SHARE, and never two side by side) disagree in length: then the translation
    follows the original block by block, and what is left to decide is local. None otherwise.
    """
    if len(model.orig) != len(model.other) or any(i != j for i, j in anchors):
        return None
    ratio, variance = model.cal.length.at(0)
    outliers: set[int] = set()
    for i, (a, b) in enumerate(zip(model.orig, model.other, strict=True)):
        if kind_cost([a], [b]) > 0 or a.items != b.items:
            return None
        scaled = b.units / ratio
        delta = (a.units - scaled) / (variance * (a.units + scaled) / 2 + VARIANCE_FLOOR) ** 0.5
        if abs(delta) > FAST_DELTA:
            if i - 1 in outliers or len(outliers) >= NEAR_SHARE * len(model.orig):
                return None
            outliers.add(i)
    return outliers


def _outlier_widths(chunk: Chunk, outliers: set[int]) -> list[int]:
    """Band half-widths around the diagonal: REFINE_BAND about each outlier, else STRAIGHT_BAND
    (as `_widths` sets them around a first path's groups that are not 1-1)."""
    widths = [STRAIGHT_BAND] * (chunk.i1 - chunk.i0 + 1)
    for i in outliers:
        for r in range(max(0, i - chunk.i0 - 1), min(len(widths), i - chunk.i0 + 3)):
            widths[r] = REFINE_BAND
    return widths


def _straight(chunk: Chunk) -> list[tuple[int, int]]:
    return [(k, k) for k in range(chunk.i1 - chunk.i0 + 1)]


def _rows(chunk: Chunk, path: Sequence[Group]) -> list[tuple[int, int]]:
    """Per original row of the chunk, the first and last translated position the path visits."""
    rows: list[list[int]] = [[] for _ in range(chunk.i1 - chunk.i0 + 1)]
    rows[0].append(0)
    for g in path:
        rows[g.i1 - chunk.i0].append(g.j1 - chunk.j0)
    for i in range(1, len(rows)):
        if not rows[i]:  # inside a multi-block group: between its ends
            rows[i].append(rows[i - 1][-1])
    return [(min(r), max(r)) for r in rows]


def _widths(chunk: Chunk, path: Sequence[Group]) -> list[int]:
    """Second-pass band half-widths: STRAIGHT_BAND along straight 1-1 stretches of the first
    path, where recalibration moves it by a block at most, REFINE_BAND around its other groups."""
    widths = [STRAIGHT_BAND] * (chunk.i1 - chunk.i0 + 1)
    for g in path:
        if g.i1 - g.i0 != 1 or g.j1 - g.j0 != 1:
            for r in range(max(0, g.i0 - chunk.i0 - 1), min(len(widths), g.i1 - chunk.i0 + 2)):
                widths[r] = REFINE_BAND
    return widths


def _search(model: PairModel, chunk: Chunk, centres, width: int | list[int],
            rate: bool = True, exact: bool = False) -> list[Group]:
    """Best path's groups; where the path hugs the band's edge, widen the band there and redo.

    With `rate` false the confidences are left at 1 (the calibration pass needs none). With
    `exact`, a band of at most FULL_SEARCH nodes is searched without the beam: where the
    counts differ, a run of additions or omissions (a translator's preface, a section left
    out) costs more nats at one place than the beam keeps, and the beam had dropped the path
    through it for one that spreads those blocks among wrong pairs, each sure of itself.
    """
    widths = list(width) if isinstance(width, list) else [width] * (chunk.i1 - chunk.i0 + 1)
    whole = max(chunk.i1 - chunk.i0, chunk.j1 - chunk.j0)  # a wider band holds every node
    lattice = None
    while True:
        lattice = (_lattice(model, chunk, centres, widths, earlier=lattice, exact=exact)
                   if rate else
                   _lattice(model, chunk, centres, widths, FIRST_BEAM, SEARCH_ONLY, rated=False,
                            earlier=lattice, exact=exact))
        if not lattice.reached:
            # The band left no way to the end: an anchored chunk must open with a group
            # holding blocks of both sides, which a band far from its corner excludes. The
            # whole lattice always has one (1-1 groups are never forbidden).
            widths = [whole + 1] * len(widths)
            continue
        edges = lattice.best_path()
        rows = lattice.touching_rows(edges)
        if not rows or min(widths[i] for i in rows) > whole:
            return lattice.groups(edges) if rate else lattice.plain_groups(edges)
        before = list(widths)
        for row in sorted(set(rows)):
            grown = 2 * before[row]
            for r in range(max(0, row - grown), min(len(widths), row + grown + 1)):
                widths[r] = max(widths[r], grown)


def _lattice(model: PairModel, chunk: Chunk, centres, widths, beam: float = BEAM,
             shapes=FROM_ROW, rated: bool = True, earlier: Lattice | None = None,
             exact: bool = False) -> Lattice:
    lo, hi = band(centres, widths, chunk.j1 - chunk.j0)
    if exact and sum(hi) - sum(lo) + len(lo) <= FULL_SEARCH:  # see `_search`
        beam = math.inf
    return Lattice(model, chunk.i0, chunk.i1, chunk.j0, chunk.j1, lo, hi, chunk.anchored, beam,
                   shapes, rated, earlier)


def _final(model: PairModel, chunk: Chunk, centres, widths: list[int] | None = None,
           forced: bool = False, exact: bool = False) -> list[Group]:
    """The chunk's groups with confidences; an anchored chunk's first group is pinned at 1.0."""
    if forced:  # the 1-1 path, rated against everything the lattice could have done instead
        n = chunk.i1 - chunk.i0
        lattice = _lattice(model, chunk, centres, [STRAIGHT_BAND] * (n + 1))
        groups = lattice.groups([(k, k, SHAPES.index((1, 1))) for k in range(1, n + 1)])
    else:
        groups = _search(model, chunk, centres, widths or REFINE_BAND, exact=exact)
    if chunk.anchored and groups:
        groups[0] = replace(groups[0], confidence=1.0, pinned=True)
    return groups


# ---------------------------------------------------------------------------------------------
# All languages.

def _merge(pairs: Mapping[str, list[Group]], n: int, original: str,
           langs: Sequence[str]) -> list[Segment]:
    """One sequence of segments from the pairwise groups.

    The original is cut only where every pair cuts it. Blocks a translation aligns to nothing
    (0-1 groups) at a shared cut get rows of their own, one group per row, side by side with
    other languages' additions at the same place; inside a segment they stay in it.
    """
    cuts = set(range(n + 1))
    for groups in pairs.values():
        cuts &= {g.i0 for g in groups} | {n}
    cursor = dict.fromkeys(pairs, 0)
    rows: list[tuple[dict[str, list[Group]], tuple[int, ...]]] = []
    ordered = sorted(cuts)
    for p, q in zip(ordered, [*ordered[1:], None], strict=True):
        added = {lang: _take(groups, cursor, lang, lambda g, p=p: g.i0 == g.i1 == p)
                 for lang, groups in pairs.items()}
        for k in range(max((len(a) for a in added.values()), default=0)):
            rows.append(({lang: a[k:k + 1] for lang, a in added.items()}, ()))
        if q is not None:
            held = {lang: _take(groups, cursor, lang, lambda g, q=q: g.i0 < q)
                    for lang, groups in pairs.items()}
            rows.append((held, tuple(range(p, q))))
    return [_segment(k + 1, held, orig, original, langs) for k, (held, orig) in enumerate(rows)]


def _take(groups: Sequence[Group], cursor: dict[str, int], lang: str, belongs) -> list[Group]:
    """The run of `lang`'s groups from its cursor on that `belongs` here; moves the cursor."""
    start = end = cursor[lang]
    while end < len(groups) and belongs(groups[end]):
        end += 1
    cursor[lang] = end
    return list(groups[start:end])


def _segment(number: int, held: Mapping[str, list[Group]], orig: tuple[int, ...],
             original: str, langs: Sequence[str]) -> Segment:
    blocks, confidences = {}, {}
    for lang in langs:
        if lang == original:
            blocks[lang] = orig
            continue
        groups = held.get(lang, [])
        blocks[lang] = tuple(j for g in groups for j in range(g.j0, g.j1))
        if groups:
            confidences[lang] = min(g.confidence for g in groups)
    pinned = bool(held) and all(groups and groups[0].pinned for groups in held.values())
    return Segment(f"s{number}", blocks, min(confidences.values(), default=1.0), pinned,
                   confidences)
