"""Alignment quality and speed on the parallel fixtures.

    .venv/bin/python bench/align_bench.py [--seeds 30] [--runs 7]

Prints, per language pair, the precision and recall of segment groups on seeded perturbations
of tests/align_fixtures/ (merges, splits, omissions, additions at 10 % and 20 % of blocks),
recall by group shape, how well confidence predicts correctness, and the time to align a
500-block pair (median of several runs, time.perf_counter).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from align_fixtures import corpus  # noqa: E402

from bitext.align import align  # noqa: E402

LANGS = ("zh", "ja", "fr")
RATES = (0.1, 0.2)


def quality(seeds: int) -> None:
    print(f"Groups recovered exactly ({seeds} seeds per text and rate; texts: "
          f"{', '.join(corpus.DOCS)})")
    print(f"{'pair':8}{'rate':>6}{'groups':>8}{'precision':>11}{'recall':>8}   recall by shape")
    reliability: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for lang in LANGS:
        for rate in RATES:
            found = predicted = true = 0
            by_shape: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for doc in corpus.DOCS:
                if lang not in corpus.available(doc):
                    continue
                orig = corpus.parse("en", corpus.sources(doc, "en"))
                for seed in range(seeds):
                    case = corpus.perturb(doc, lang, rate, seed)
                    segments = align({"en": orig, lang: corpus.parse(lang, case.other)}, "en")
                    groups = corpus.groups(segments, "en", lang)
                    f, p, t = corpus.score(groups, case.truth)
                    found, predicted, true = found + f, predicted + p, true + t
                    hits = set(groups)
                    for group in case.truth:
                        tally = by_shape[f"{len(group[0])}-{len(group[1])}"]
                        tally[0] += group in hits
                        tally[1] += 1
                    truth = set(case.truth)
                    for seg in segments:
                        tally = reliability[min(int(seg.confidence * 10), 9)]
                        tally[0] += (seg.blocks["en"], seg.blocks[lang]) in truth
                        tally[1] += 1
            shapes = "  ".join(f"{shape} {ok / n:.3f}" for shape, (ok, n) in sorted(
                by_shape.items(), key=lambda kv: -kv[1][1]))
            print(f"en-{lang:5}{rate:6.0%}{true:8}{found / predicted:11.3f}{found / true:8.3f}"
                  f"   {shapes}")
    print("\nConfidence against correctness (all pairs and rates)")
    for decile in sorted(reliability):
        ok, n = reliability[decile]
        print(f"  {decile / 10:.1f}-{(decile + 1) / 10:.1f}  segments {n:6}  correct {ok / n:.3f}")


def speed(runs: int) -> None:
    print(f"\nTime to align a ~500-block pair (median of {runs} runs)")
    for lang in LANGS:
        orig_src, case = corpus.long_case(lang, 500, 0.2, seed=1)
        orig, other = corpus.parse("en", orig_src), corpus.parse(lang, case.other)
        parallel = corpus.parse(lang, _parallel(lang, len(orig_src)))
        for label, docs in (("20 % perturbed", {"en": orig, lang: other}),
                            ("1-1 parallel", {"en": orig, lang: parallel})):
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                segments = align(docs, "en")
                times.append(time.perf_counter() - start)
            line = (f"  en-{lang}  {label:15} {len(docs['en'])}x{len(docs[lang])} blocks  "
                    f"{statistics.median(times) * 1000:6.1f} ms")
            if label.startswith("20"):
                f, p, t = corpus.score(corpus.groups(segments, "en", lang), case.truth)
                line += f"   precision {f / p:.3f} recall {f / t:.3f}"
            print(line)


def _parallel(lang: str, blocks: int) -> list[str]:
    out: list[str] = []
    while len(out) < blocks:
        for doc in corpus.DOCS:
            if lang in corpus.available(doc) and len(out) < blocks:
                out += corpus.sources(doc, lang)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    quality(args.seeds)
    speed(args.runs)


if __name__ == "__main__":
    main()
