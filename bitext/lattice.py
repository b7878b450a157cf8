"""The lattice: a banded dynamic program over (original blocks consumed, translated consumed).

Each edge is one group of `aligncost.SHAPES`, priced as `aligncost.group_cost` prices it (the
hot loop inlines it; a test checks every edge). The best path is the alignment; each group's
confidence comes from the cheapest complete path that avoids it (`Lattice.groups`). `band` and
`diagonal` say which nodes a search visits.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .aligncost import (
    OUTLIER,
    PRIOR_COST,
    SENTENCE_CAP,
    SENTENCE_FLOOR,
    SHAPES,
    VARIANCE_FLOOR,
    PairModel,
    extend_static,
    length_delta,
)


@dataclass(frozen=True)
class Group:
    """Original blocks [i0, i1) paired with translated blocks [j0, j1), and how sure we are."""

    i0: int
    i1: int
    j0: int
    j1: int
    confidence: float = 1.0
    pinned: bool = False


# Confidence = σ(MARGIN_SLOPE · margin − MARGIN_OFFSET): the logistic of a two-path posterior,
# its slope and offset fitted on the perturbed fixtures (bench/align_bench.py prints the fit).
MARGIN_SLOPE = 2.5
MARGIN_OFFSET = 1.0
_EPS = 1e-9  # a new candidate must beat the incumbent by this much: ties keep the earlier shape
BEAM = 6.0  # nodes this much dearer than their row's cheapest are dropped (never on a good path)
_FAR = BEAM  # so the largest margin measured (confidence σ(14), 1.0 to four places)
FROM_ROW = tuple((k, shape) for k, shape in enumerate(SHAPES) if shape[0])  # in SHAPES order
# A search that only needs its best path (no confidences) leaves out 2-2, the rarest shape:
# a fifth fewer edges, and the rated pass that follows has it.
SEARCH_ONLY = tuple((k, shape) for k, shape in FROM_ROW if shape != (2, 2))
_ALONG = SHAPES.index((0, 1))


class Lattice:
    """Best path through one chunk of the pair, and each group's margin over its rivals.

    Nodes are (i, j): i original and j translated blocks consumed; each edge is one group.
    Only nodes within the band lo[i] ≤ j ≤ hi[i] are visited, and nodes far dearer than the
    cheapest of their row are dropped (BEAM), which keeps a 500-block pair near-linear.
    `anchored` chunks start at a matched named pin: their first group holds a block of each side.
    """

    def __init__(self, model: PairModel, i0: int, i1: int, j0: int, j1: int,
                 lo: Sequence[int], hi: Sequence[int], anchored: bool,
                 beam: float = BEAM, shapes=FROM_ROW, rated: bool = True,
                 earlier: Lattice | None = None) -> None:
        self.model, self.i0, self.j0, self.beam, self.shapes = model, i0, j0, beam, shapes
        self.rated = rated  # keeps every edge's cost for `groups`; else only `plain_groups`
        self.n, self.m = i1 - i0, j1 - j0
        self.lo, self.hi, self.anchored = lo, hi, anchored
        self.live: list[tuple[int, int]] = []  # per row, the span of nodes the beam kept
        self.forward, self.back, self.costs = self._forward(self._reusable(earlier))
        if self.forward[self.n][self.m - lo[self.n]] == math.inf and beam < math.inf:
            # The beam cut every path to the goal (possible on freak inputs): search unpruned.
            self.beam, self.live = math.inf, []
            self.forward, self.back, self.costs = self._forward()
        # False when the band itself leaves no path to the goal: the caller widens it.
        self.reached = self.forward[self.n][self.m - lo[self.n]] < math.inf

    def _reusable(self, earlier: Lattice | None) -> tuple[Lattice | None, int]:
        """`earlier` and how many of its first rows this lattice can take as they are.

        A search that widens its band around a few rows asks again with the same model: every
        row before the first one whose band changed comes out the same (a row depends only on
        the rows above it), so it is not computed twice.
        """
        if earlier is None or earlier.model is not self.model or (
                earlier.i0, earlier.j0, earlier.n, earlier.m, earlier.beam, earlier.shapes,
                earlier.rated, earlier.anchored) != (self.i0, self.j0, self.n, self.m,
                                                     self.beam, self.shapes, self.rated,
                                                     self.anchored):
            return None, 0
        same = 0
        while same <= self.n and (self.lo[same], self.hi[same]) == (earlier.lo[same],
                                                                    earlier.hi[same]):
            same += 1
        return earlier, same

    def _forward(self, reuse: tuple[Lattice | None, int] = (None, 0)):
        earlier, start = reuse
        forward: list[list[float]] = earlier.forward[:start] if earlier else []
        back: list[list[int]] = earlier.back[:start] if earlier else []
        costs: list[list[list[float]]] = earlier.costs[:start] if earlier else []
        if earlier:
            self.live = earlier.live[:start]
        # Unrated, edge costs go to one scratch row, written and never read.
        scratch = [[math.inf] * (max(self.hi[i] - self.lo[i] for i in range(self.n + 1)) + 1)
                   for _ in SHAPES]
        for i in range(start, self.n + 1):
            width = self.hi[i] - self.lo[i] + 1
            f_row, b_row = [math.inf] * width, [-1] * width
            # [k][x]: cost of the edge of shape k into node x
            c_row = [[math.inf] * width for _ in SHAPES] if self.rated else scratch
            forward.append(f_row)
            back.append(b_row)
            costs.append(c_row)
            if i == 0:
                f_row[0] = 0.0
            first, last = self._relax_into_row(i, forward, f_row, b_row, c_row) if i else (0, 0)
            # Gaps along the row cost at least their prior each, so a run of them leaves the
            # beam after a few steps: nodes further right would be dropped anyway (not the
            # goal, so the last row is swept whole).
            if i < self.n and self.beam < math.inf:
                stop = min(width, last + 2 + int(self.beam / PRIOR_COST[(0, 1)]))
            else:
                stop = width
            self._relax_along_row(i, _ALONG, f_row, b_row, c_row, first, stop)
            cut = min(f_row) + self.beam
            live = [x for x in range(first, stop) if f_row[x] <= cut]
            end = self.m - self.lo[i] if i == self.n else -1  # the goal is never dropped
            for x in range(first, stop):
                if f_row[x] > cut and x != end:
                    f_row[x] = math.inf
            self.live.append((self.lo[i] + live[0], self.lo[i] + live[-1]) if live else (1, 0))
        return forward, back, costs

    def _relax_into_row(self, i, forward, f_row, b_row, c_row) -> tuple[int, int]:
        """Offer every edge that consumes original blocks into row i (hot loop: kept flat).

        The same as `group_cost`, inlined: a 500-block pair visits ~30,000 edges per pass, so
        everything constant is bound once per row, not once per edge or per shape, and static
        costs are priced a span at a time (`aligncost.static_span`).
        """
        model, lo, hi, inf, k_count = self.model, self.lo, self.hi, math.inf, len(SHAPES)
        static = model.static
        length_at, sentences = model.cal.length.at, model.cal.sentences
        keep, outlier, floor2, s_floor2, s_cap, eps = (1 - OUTLIER, OUTLIER, 2 * VARIANCE_FLOOR,
                                                       2 * SENTENCE_FLOOR, SENTENCE_CAP, _EPS)
        sqrt, log, erfc, j0, row_lo = math.sqrt, math.log, math.erfc, self.j0, lo[i]
        first, last = len(f_row), -1  # the span of the row the edges reach
        for k, (di, dj) in self.shapes:
            if i < di:
                continue
            p_row, p_lo, gi = forward[i - di], lo[i - di], self.i0 + i - di
            live_lo, live_hi = self.live[i - di]
            # Conditional expressions, not min/max: a call costs more than the comparison.
            start = live_lo if live_lo > row_lo - dj else row_lo - dj
            stop = (live_hi if live_hi < hi[i] - dj else hi[i] - dj) + 1
            if start >= stop:
                continue
            if self.anchored and i == di and not dj and start == 0:  # anchored: no 1-0 first
                start = 1
            if start + dj - row_lo < first:
                first = start + dj - row_lo
            if stop - 1 + dj - row_lo > last:
                last = stop - 1 + dj - row_lo
            entry = static.get(gi * k_count + k)
            if entry is None or j0 + start < entry[0] or j0 + stop > entry[0] + len(entry[1]):
                entry = static[gi * k_count + k] = extend_static(model, entry, k, gi,
                                                                   j0 + start, j0 + stop)
            base, row_static = entry
            x, c_k = start + dj - row_lo - 1, c_row[k]
            if not dj:  # 1-0: the gap's cost alone
                for pj in range(start, stop):
                    x += 1
                    prev = p_row[pj - p_lo]
                    if prev == inf:
                        continue
                    cost = c_k[x] = row_static[j0 + pj - base]
                    if prev + cost < f_row[x] - eps:
                        f_row[x], b_row[x] = prev + cost, k
                continue
            # length_cost's terms, with the factors of 2 folded in (exact: powers of two).
            ratio, variance = length_at(gi)
            inv_ratio = 1.0 / ratio
            a = model.prefix_orig[gi + di] - model.prefix_orig[gi]
            sa = model.sentences_orig[gi + di] - model.sentences_orig[gi]
            ratio, s_var = sentences.at(gi) if sentences and sa else (1.0, 0.0)
            inv_sratio = 1.0 / ratio
            lengths, counts = model.spans_other[dj], model.sentence_spans_other[dj]
            for pj in range(start, stop):
                x += 1
                prev = p_row[pj - p_lo]
                if prev == inf:
                    continue
                gj = j0 + pj
                cost = row_static[gj - base]
                if cost < inf:
                    b = lengths[gj] * inv_ratio
                    z = abs(a - b) / sqrt(variance * (a + b) + floor2)
                    cost -= log(keep * erfc(z) + outlier)
                    if s_var:
                        sb = counts[gj] * inv_sratio
                        if sb:
                            z = abs(sa - sb) / sqrt(s_var * (sa + sb) + s_floor2)
                            tail = -log(erfc(z)) if z < 5 else s_cap
                            cost += tail if tail < s_cap else s_cap
                c_k[x] = cost
                if prev + cost < f_row[x] - eps:
                    f_row[x], b_row[x] = prev + cost, k
        return (first, last) if last >= 0 else (0, -1)

    def _relax_along_row(self, i, k, f_row, b_row, c_row, first: int, stop: int) -> None:
        """0-1 edges within row i, left to right, so each node sees its final left neighbour
        (nodes left of `first` are unreached; see _forward for `stop`)."""
        model, inf, c_k = self.model, math.inf, c_row[k]
        row_lo = self.lo[i]
        for x in range(first + 1, stop):
            prev = f_row[x - 1]
            if prev == inf or (self.anchored and i == 0):
                continue
            cost = model.gap_other[self.j0 + row_lo + x - 1]
            c_k[x] = cost
            if prev + cost < f_row[x] - _EPS:
                f_row[x], b_row[x] = prev + cost, k

    def best_path(self) -> list[tuple[int, int, int]]:
        """Edges (i, j, k) of the cheapest path: group `SHAPES[k]` ending at node (i, j)."""
        edges, i, j = [], self.n, self.m
        while i or j:
            k = self.back[i][j - self.lo[i]]
            edges.append((i, j, k))
            i, j = i - SHAPES[k][0], j - SHAPES[k][1]
        return edges[::-1]

    def touching_rows(self, edges: Sequence[tuple[int, int, int]]) -> list[int]:
        """Rows where the path runs along the band's edge, where a wider band might find better."""
        return [i for i, j, k in edges
                for i_, j_ in ((i, j), (i - SHAPES[k][0], j - SHAPES[k][1]))
                if j_ == self.lo[i_] > 0 or j_ == self.hi[i_] < self.m]

    def plain_groups(self, edges: Sequence[tuple[int, int, int]]) -> list[Group]:
        return [Group(self.i0 + i - SHAPES[k][0], self.i0 + i, self.j0 + j - SHAPES[k][1],
                      self.j0 + j) for i, j, k in edges]

    def groups(self, edges: Sequence[tuple[int, int, int]]) -> list[Group]:
        """The path's groups with confidences: a logistic of each group's margin (see align)."""
        total = sum(self._edge_cost(i, j, k) for i, j, k in edges)
        rival = self._rivals(total)
        groups = []
        for i, j, k in edges:
            di, dj = SHAPES[k]
            eid = self._edge_id(i, j, k)
            alt = min([_other(rival[0][b], eid) for b in range(i - di, i)]
                      + [_other(rival[1][b], eid) for b in range(j - dj, j)])
            margin = min(alt - total, _FAR)
            confidence = 1.0 / (1.0 + math.exp(MARGIN_OFFSET - MARGIN_SLOPE * margin))
            if di and dj:
                confidence *= length_fit(self.model, self.i0 + i - di, self.i0 + i,
                                         self.j0 + j - dj, self.j0 + j)
            groups.append(Group(self.i0 + i - di, self.i0 + i, self.j0 + j - dj, self.j0 + j,
                                round(confidence, 4)))
        return groups

    def _edge_cost(self, i: int, j: int, k: int) -> float:
        return self.costs[i][k][j - self.lo[i]]

    def _edge_id(self, i: int, j: int, k: int) -> int:
        return (i * (self.m + 1) + j) * len(SHAPES) + k

    def _rivals(self, total: float):
        """For every block, the two cheapest complete paths through edges holding it.

        A path without group g must cover g's blocks by other edges, and any edge sharing a
        block with g excludes g; so the best path avoiding g is the cheapest "through" cost
        (forward + edge + backward) among edges that share a block with g but are not g.
        """
        n, m, lo, hi, k_count, inf = self.n, self.m, self.lo, self.hi, len(SHAPES), math.inf
        costs, forward = self.costs, self.forward
        backward = [[inf] * (hi[i] - lo[i] + 1) for i in range(n + 1)]
        backward[n][m - lo[n]] = 0.0
        orig = [[inf, -1, inf] for _ in range(n)]
        other = [[inf, -1, inf] for _ in range(m)]
        limit = total + _FAR
        shapes = tuple(enumerate(SHAPES))
        for i in range(n, -1, -1):
            f_row, b_row, row_lo = forward[i], backward[i], lo[i]
            # Shapes whose target row exists, with that row's bounds and arrays.
            targets = [(k, di, dj, lo[i + di], hi[i + di], backward[i + di], costs[i + di][k])
                       for k, (di, dj) in shapes if i + di <= n]
            for j in range(hi[i], row_lo - 1, -1):
                head = f_row[j - row_lo]
                if head == inf:
                    continue
                best = b_row[j - row_lo]
                for k, di, dj, t_lo, t_hi, t_back, t_costs in targets:
                    tj = j + dj
                    if tj < t_lo or tj > t_hi:
                        continue
                    tail = t_back[tj - t_lo]
                    if tail == inf:
                        continue
                    cost = t_costs[tj - t_lo]
                    ti = i + di
                    if cost + tail < best:
                        best = cost + tail
                    through = head + cost + tail
                    if through < limit:
                        eid = (ti * (m + 1) + tj) * k_count + k
                        for blk in range(i, ti):
                            _offer(orig[blk], through, eid)
                        for blk in range(j, tj):
                            _offer(other[blk], through, eid)
                b_row[j - row_lo] = best
        return orig, other


def _offer(slot: list, value: float, eid: int) -> None:
    """Keep the cheapest value with its edge and the cheapest value from any other edge."""
    if value < slot[0]:
        if slot[1] != eid:
            slot[2] = slot[0]
        slot[0], slot[1] = value, eid
    elif eid != slot[1] and value < slot[2]:
        slot[2] = value


def _other(slot: list, eid: int) -> float:
    return slot[2] if slot[1] == eid else slot[0]


def length_fit(model: PairModel, i0: int, i1: int, j0: int, j1: int) -> float:
    """1 while lengths agree as well as 95 % of true pairs do; falls off beyond |δ| = 2."""
    delta = abs(length_delta(model, i0, i1, j0, j1))
    return math.exp(-max(0.0, delta - 2.0) ** 2 / 8.0)


def band(centres: Sequence[tuple[int, int]], widths: Sequence[int],
         m: int) -> tuple[list[int], list[int]]:
    """Rows [lo, hi] around per-row centres (first, last), monotone and connected."""
    n = len(centres) - 1
    lo = [max(0, first - w) for (first, _), w in zip(centres, widths, strict=True)]
    hi = [min(m, last + w) for (_, last), w in zip(centres, widths, strict=True)]
    lo[0], hi[n] = 0, m
    for i in range(n - 1, -1, -1):
        lo[i] = min(lo[i], lo[i + 1])
    for i in range(1, n + 1):
        hi[i] = max(hi[i], hi[i - 1])
        lo[i] = min(lo[i], hi[i - 1] + 1)
    return lo, hi


def diagonal(model: PairModel, i0: int, i1: int, j0: int, j1: int) -> list[tuple[int, int]]:
    """Per original row, the translated position at the same fraction of the text's length."""
    def cumulative(prefix: Sequence[float], start: int, end: int) -> list[float]:
        # One unit per block so that empty blocks (rules) still move the diagonal.
        base = prefix[start]
        return [prefix[start + k] - base + k for k in range(end - start + 1)]

    a, b = cumulative(model.prefix_orig, i0, i1), cumulative(model.prefix_other, j0, j1)
    centres, j, m = [], 0, j1 - j0
    for x in a:
        target = x / a[-1] * b[-1] if a[-1] else 0.0
        while j < m and abs(b[j + 1] - target) <= abs(b[j] - target):
            j += 1
        centres.append((j, j))
    return centres
