"""The alignment engine, driven by the parallel fixtures in tests/align_fixtures/.

Rates are computed on the fixtures (seeded perturbations with known truth), never hard-coded
outcomes; timing lives in bench/align_bench.py, not here.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from align_fixtures import corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitext import align as align_module
from bitext.align import (
    ADDED,
    LOOSE,
    MERGED,
    SPLIT,
    UNTRANSLATED,
    Segment,
    align,
    unmatched_pins,
)
from bitext.aligncost import (
    SHAPES,
    VARIANCE,
    Calibration,
    Scale,
    anchor_tokens,
    features,
    group_cost,
    length_ratio,
    pair_model,
)
from bitext.markup import Block

REPO = Path(__file__).resolve().parents[1]
SEEDS = range(12)
PAIRS = [(doc, lang) for doc in corpus.DOCS for lang in corpus.available(doc) if lang != "en"]


def blocks(doc: str, lang: str) -> tuple[Block, ...]:
    return corpus.parse(lang, corpus.sources(doc, lang))


def pair_groups(orig: str, other: str, docs) -> list[corpus.Group]:
    return corpus.groups(align(docs, orig), orig, other)


def check_partition(segments: list[Segment], docs) -> None:
    """Every block of every language in exactly one segment, in order; ids s1..sN."""
    assert [s.id for s in segments] == [f"s{k}" for k in range(1, len(segments) + 1)]
    for lang, lang_blocks in docs.items():
        seen = [i for s in segments for i in s.blocks[lang]]
        assert seen == list(range(len(lang_blocks))), lang
    for s in segments:
        assert any(s.blocks.values())
        assert 0.0 <= s.confidence <= 1.0
        assert all(0.0 <= c <= 1.0 for c in s.confidences.values())


# --- 1-1 texts ------------------------------------------------------------------------------

@pytest.mark.parametrize(("doc", "lang"), PAIRS)
def test_parallel_texts_stay_one_to_one(doc, lang):
    docs = {"en": blocks(doc, "en"), lang: blocks(doc, lang)}
    segments = align(docs, "en")
    assert corpus.groups(segments, "en", lang) == corpus.identity(len(docs["en"]))
    assert all(s.note("en", lang) is None for s in segments)


@pytest.mark.parametrize(("doc", "lang"), PAIRS)
@pytest.mark.parametrize("where", ["start", "middle"])
def test_a_run_of_added_notes_stays_apart_and_every_paragraph_keeps_its_partner(doc, lang, where):
    """A translator's preface (or a block of notes mid-text) of four paragraphs costs more at
    one place than the beam keeps: every translated paragraph must still sit beside its own."""
    orig, other = corpus.sources(doc, "en"), corpus.sources(doc, lang)
    at = 0 if where == "start" else len(other) // 2
    notes = corpus.NOTES[lang]
    docs = {"en": corpus.parse("en", orig),
            lang: corpus.parse(lang, other[:at] + notes + other[at:])}
    found = corpus.groups(align(docs, "en"), "en", lang)
    partners = [((i,), (i if i < at else i + len(notes),)) for i in range(len(orig))]
    # Lengths alone may pair a paragraph beside the notes with a note (a short summary and
    # two short notes): two such neighbours are allowed, not a shifted text.
    assert len(set(partners) - set(found)) <= 2, found
    assert sum(group == ((), (at + k,)) for group in found for k in range(len(notes))) >= 2


@pytest.mark.parametrize(("doc", "lang"), PAIRS)
def test_dynamic_program_alone_also_keeps_parallel_texts_one_to_one(doc, lang, monkeypatch):
    monkeypatch.setattr(align_module, "FAST_DELTA", -1.0)  # the equal-count shortcut never fires
    docs = {"en": blocks(doc, "en"), lang: blocks(doc, lang)}
    assert pair_groups("en", lang, docs) == corpus.identity(len(docs["en"]))


@pytest.mark.parametrize("doc", ["tea", "lisbon"])
def test_any_language_can_be_the_original(doc):
    docs = {lang: blocks(doc, lang) for lang in ("zh", "en", "ja", "fr")}
    segments = align(docs, "zh")
    check_partition(segments, docs)
    assert all(len(s.blocks[lang]) == 1 for s in segments for lang in docs)


def abridged(doc: str, lang: str, picks: int, seed: int = 0) -> list[str]:
    """The translation with `picks` long paragraphs cut to their first sentence: still 1-1."""
    rng = random.Random(f"{doc}/{lang}/{seed}")
    src = corpus.sources(doc, lang)
    kinds = [b.kind for b in corpus.parse(lang, src)]
    long = [i for i, k in enumerate(kinds) if k == "paragraph"
            and len(corpus._sentences(src[i], lang)) >= 3]
    for i in rng.sample(long, picks):
        src[i] = corpus._sentences(src[i], lang)[0]
    return src


def outliers(docs, orig: str, lang: str):
    feats = {k: [features(b) for b in v] for k, v in docs.items()}
    model = pair_model(feats[orig], feats[lang],
                       Calibration(Scale(length_ratio(feats[orig], feats[lang]), VARIANCE)),
                       [False] * len(docs[orig]), [False] * len(docs[lang]))
    return align_module._diagonal_outliers(model, [])


@pytest.mark.parametrize(("doc", "lang"), PAIRS)
def test_an_abridged_paragraph_stays_paired_and_the_diagonal_spares_the_first_pass(
        doc, lang, monkeypatch):
    docs = {"en": blocks(doc, "en"), lang: corpus.parse(lang, abridged(doc, lang, 1))}
    found = outliers(docs, "en", lang)
    assert found is not None and len(found) == 1  # the shortcut under test is taken
    near = pair_groups("en", lang, docs)
    monkeypatch.setattr(align_module, "NEAR_SHARE", -1.0)  # both passes, as before it
    assert near == pair_groups("en", lang, docs)


def test_abridged_paragraphs_mostly_stay_paired():
    found = true = 0
    for doc, lang in PAIRS:
        for seed in range(3):
            docs = {"en": blocks(doc, "en"), lang: corpus.parse(lang, abridged(doc, lang, 2, seed))}
            f, _, t = corpus.score(pair_groups("en", lang, docs), corpus.identity(len(docs["en"])))
            found, true = found + f, true + t
    assert found / true >= 0.95


def test_the_diagonal_stands_in_only_for_isolated_length_outliers():
    docs = {"en": blocks("tea", "en"), "zh": blocks("tea", "zh")}
    assert outliers(docs, "en", "zh") == set()
    shifted = {"en": docs["en"], "zh": docs["zh"][1:] + docs["zh"][:1]}  # every pair wrong
    assert outliers(shifted, "en", "zh") is None
    fewer = {"en": docs["en"], "zh": docs["zh"][:-1]}
    assert outliers(fewer, "en", "zh") is None


@pytest.mark.parametrize("seed", range(6))
def test_a_merge_and_a_split_that_keep_the_counts_equal_are_both_found(seed):
    src = corpus.sources("interconnects", "zh")
    kinds = [b.kind for b in corpus.parse("zh", src)]
    rng = random.Random(seed)
    while True:
        i, j = sorted(rng.sample(range(len(src) - 1), 2))
        if (j - i > 3 and corpus._eligible("merge", i, kinds, src, "zh")
                and corpus._eligible("split", j, kinds, src, "zh")):
            break
    case = corpus._apply("interconnects", "zh", seed, src, {i: "merge", j: "split"}, rng)
    docs = {"en": blocks("interconnects", "en"), "zh": corpus.parse("zh", case.other)}
    assert len(docs["zh"]) == len(docs["en"])
    assert pair_groups("en", "zh", docs) == case.truth


# --- recovery of perturbed translations -----------------------------------------------------

def recovery(lang: str, rate: float) -> tuple[float, float]:
    found = predicted = true = 0
    for doc in corpus.DOCS:
        if lang not in corpus.available(doc):
            continue
        orig = blocks(doc, "en")
        for seed in SEEDS:
            case = corpus.perturb(doc, lang, rate, seed)
            docs = {"en": orig, lang: corpus.parse(lang, case.other)}
            f, p, t = corpus.score(pair_groups("en", lang, docs), case.truth)
            found, predicted, true = found + f, predicted + p, true + t
    return found / true, found / predicted


@pytest.mark.parametrize("lang", ["zh", "ja"])
@pytest.mark.parametrize("rate", [0.05, 0.1, 0.2])
def test_recovers_true_groups_of_perturbed_translations(lang, rate):
    recall, precision = recovery(lang, rate)
    assert recall >= 0.95, f"recall {recall:.3f}"
    assert precision >= 0.95, f"precision {precision:.3f}"


def test_recovers_french_too():
    recall, precision = recovery("fr", 0.2)
    assert recall >= 0.95 and precision >= 0.95


def test_perturbations_are_what_they_claim():
    shapes = {(len(a), len(b)) for doc, lang in PAIRS for seed in SEEDS
              for a, b in corpus.perturb(doc, lang, 0.2, seed).truth}
    assert shapes == {(1, 1), (2, 1), (1, 2), (1, 0), (0, 1)}


def test_confidence_separates_right_from_wrong_groups():
    right, wrong = [], []
    for doc, lang in PAIRS:
        orig = blocks(doc, "en")
        for seed in SEEDS:
            case = corpus.perturb(doc, lang, 0.2, seed)
            segments = align({"en": orig, lang: corpus.parse(lang, case.other)}, "en")
            truth = set(case.truth)
            for s in segments:
                group = (s.blocks["en"], s.blocks[lang])
                (right if group in truth else wrong).append(s.confidence)
    assert wrong, "the fixtures should hold some hard cases"
    assert sum(right) / len(right) > 0.95 and sum(wrong) / len(wrong) < 0.7
    confident = sum(c >= 0.9 for c in right), sum(c >= 0.9 for c in wrong)
    assert confident[0] / sum(confident) > 0.99  # what is shown without a mark is right
    assert sum(c < 0.5 for c in wrong) / len(wrong) > 5 * sum(c < 0.5 for c in right) / len(right)


# --- pins -----------------------------------------------------------------------------------

def pinned(doc_blocks, index: int, name: str = "") -> tuple[Block, ...]:
    out = list(doc_blocks)
    out[index] = replace(out[index], pin=name)
    return tuple(out)


def test_named_pins_start_the_same_segment_even_against_the_evidence():
    en, zh = blocks("tea", "en"), blocks("tea", "zh")
    docs = {"en": pinned(en, 5, "odd"), "zh": pinned(zh, 9, "odd")}  # a deliberately wrong pin
    segments = align(docs, "en")
    check_partition(segments, docs)
    start = next(s for s in segments if s.blocks["en"][:1] == (5,))
    assert start.blocks["zh"][:1] == (9,)
    assert start.pinned and start.confidence == 1.0 and start.confidences["zh"] == 1.0
    # The aligner fills in around the pin: far from it the texts stay 1-1.
    groups = corpus.groups(segments, "en", "zh")
    assert ((0,), (0,)) in groups and ((25,), (25,)) in groups
    assert unmatched_pins(docs, "en") == []


def test_named_pin_without_partner_is_ignored_and_reported():
    en, zh = blocks("lisbon", "en"), blocks("lisbon", "zh")
    plain = align({"en": en, "zh": zh}, "en")
    docs = {"en": pinned(en, 3, "only-en"), "zh": pinned(zh, 9, "only-zh")}
    assert [(s.blocks, s.pinned) for s in align(docs, "en")] == [
        (s.blocks, s.pinned) for s in plain]
    assert unmatched_pins(docs, "en") == [("en", 3), ("zh", 9)]


def test_crossing_named_pins_keep_the_longest_consistent_chain():
    en, zh = blocks("guide", "en"), blocks("guide", "zh")
    en = pinned(pinned(pinned(en, 3, "a"), 8, "b"), 20, "c")
    zh = pinned(pinned(pinned(zh, 20, "a"), 8, "b"), 25, "c")  # `a` crosses `b` and `c`
    docs = {"en": en, "zh": zh}
    segments = align(docs, "en")
    check_partition(segments, docs)
    starts = {s.blocks["en"][0]: s.blocks["zh"][:1] for s in segments if s.blocks["en"]}
    assert starts[8] == (8,) and starts[20] == (25,)
    assert unmatched_pins(docs, "en") == [("en", 3), ("zh", 20)]


def found_case(doc: str, lang: str, shape: tuple[int, int]):
    """A perturbed case holding a group of `shape` that the aligner finds, and that group."""
    en = blocks(doc, "en")
    for seed in SEEDS:
        case = corpus.perturb(doc, lang, 0.2, seed)
        other = corpus.parse(lang, case.other)
        found = set(pair_groups("en", lang, {"en": en, lang: other})) & set(case.truth)
        for group in sorted(found):
            if (len(group[0]), len(group[1])) == shape:
                return en, other, group
    raise AssertionError(f"no {shape} group found in {doc}/{lang}")


def test_unnamed_pin_in_the_original_keeps_a_block_from_merging_with_the_previous():
    en, zh, ((_, i_next), _) = found_case("tea", "zh", (2, 1))
    docs = {"en": pinned(en, i_next), "zh": zh}
    segments = align(docs, "en")
    check_partition(segments, docs)
    assert any(s.blocks["en"][:1] == (i_next,) for s in segments)


def test_unnamed_pin_in_a_translation_keeps_its_block_from_merging_with_the_previous():
    en, ja, (_, (_, k_next)) = found_case("lisbon", "ja", (1, 2))
    docs = {"en": en, "ja": pinned(ja, k_next)}
    segments = align(docs, "en")
    check_partition(segments, docs)
    assert any(s.blocks["ja"][:1] == (k_next,) for s in segments)


def test_a_named_pin_shared_by_two_languages_cuts_the_third_too():
    en, zh = pinned(blocks("tea", "en"), 10, "dyes"), pinned(blocks("tea", "zh"), 10, "dyes")
    ja = corpus.sources("tea", "ja")
    ja[9:11] = [ja[9] + ja[10]]  # ja merges original blocks 9 and 10, across the pin
    docs = {"en": en, "zh": zh, "ja": corpus.parse("ja", ja)}
    segments = align(docs, "en")
    check_partition(segments, docs)
    start = next(s for s in segments if s.blocks["en"][:1] == (10,))
    assert start.blocks["zh"][:1] == (10,) and start.confidences["zh"] == 1.0
    assert not start.pinned  # ja has no such pin: its pairing there is the aligner's own


def test_a_pin_in_one_translation_is_honoured_when_another_merges_across_it():
    en, zh, ja = blocks("tea", "en"), list(corpus.sources("tea", "zh")), blocks("tea", "ja")
    zh[9:11] = [zh[9] + zh[10]]  # zh merges original blocks 9 and 10
    docs = {"en": en, "zh": corpus.parse("zh", zh), "ja": pinned(ja, 10)}
    segments = align(docs, "en")
    check_partition(segments, docs)
    assert any(s.blocks["ja"][:1] == (10,) for s in segments)
    assert any(s.blocks["en"][:1] == (10,) for s in segments)


WORDS = ("tea", "Fortune", "1848", "Canton", "seeds", "2,000", "Darjeeling", "boat")


@st.composite
def random_doc(draw, lang: str):
    """A few blocks of random kinds and lengths; some carry pins (unnamed, or a/b/c)."""
    out = []
    for index in range(draw(st.integers(0, 9))):
        heading = draw(st.booleans()) and draw(st.booleans())
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40))
        pin = draw(st.sampled_from([None, None, None, "", "a", "b", "c"]))
        out.append(Block(index, "heading" if heading else "paragraph", "", " ".join(words), 1, 1,
                         level=2 if heading else 0, pin=pin))
    return tuple(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_doc("en"), random_doc("zh"), random_doc("fr"))
def test_any_documents_give_a_partition_that_honours_every_pin(en, zh, fr):
    docs = {"en": en, "zh": zh, "fr": fr}
    segments = align(docs, "en")
    check_partition(segments, docs)
    starts = {(lang, s.blocks[lang][0]) for s in segments for lang in docs if s.blocks[lang]}
    for lang, blocks_ in docs.items():  # unnamed pins open a segment in their language
        assert all((lang, k) in starts for k, b in enumerate(blocks_) if b.pin == "")
    unmatched = set(unmatched_pins(docs, "en"))
    for lang in ("zh", "fr"):  # matched named pins open the same segment
        for k, b in enumerate(docs[lang]):
            if b.pin and (lang, k) not in unmatched:
                i = next(i for i, o in enumerate(en) if o.pin == b.pin)
                seg = next(s for s in segments if s.blocks[lang][:1] == (k,))
                assert seg.blocks["en"][:1] == (i,)
    assert align(docs, "en") == segments


def test_a_pin_far_from_the_length_diagonal_still_anchors():
    """One original block pinned to a translation's 40th of 150 blocks: the chunk after the pin
    must open with that pair, far outside the band the length diagonal suggests."""
    en = (Block(0, "paragraph", "", "A short original.", 1, 1, pin="a"),)
    fr = tuple(Block(j, "paragraph", "", f"Paragraphe numéro {j}, assez court.", 1, 1,
                     pin="a" if j == 40 else None) for j in range(150))
    docs = {"en": en, "fr": fr}
    segments = align(docs, "en")
    check_partition(segments, docs)
    pinned_row = next(s for s in segments if s.blocks["en"])
    assert pinned_row.blocks["fr"][:1] == (40,) and pinned_row.pinned


# --- merging languages ----------------------------------------------------------------------

def test_three_languages_share_one_sequence_of_segments():
    en = blocks("lisbon", "en")
    zh = corpus.sources("lisbon", "zh")
    zh[5:7] = [zh[5] + zh[6]]  # zh merges 5+6 (2-1)
    fr = corpus.sources("lisbon", "fr")
    fr.insert(12, corpus.NOTES["fr"][1])  # fr adds a note before original block 12
    ja = blocks("lisbon", "ja")  # ja keeps 1-1
    docs = {"en": en, "zh": corpus.parse("zh", zh), "ja": ja, "fr": corpus.parse("fr", fr)}
    segments = align(docs, "en")
    check_partition(segments, docs)
    merged = next(s for s in segments if 5 in s.blocks["en"])
    assert merged.blocks == {"en": (5, 6), "zh": (5,), "ja": (5, 6), "fr": (5, 6)}
    assert merged.note("en", "zh") == MERGED and merged.note("en", "ja") is None
    note = next(s for s in segments if 12 in s.blocks["fr"])
    assert note.blocks == {"en": (), "zh": (), "ja": (), "fr": (12,)}
    assert note.note("en", "fr") == ADDED and note.note("en", "zh") is None
    assert len(segments) == len(en) - 1 + 1


@pytest.mark.parametrize("seed", range(6))
def test_merged_segments_refine_nothing_and_partition_every_language(seed):
    en = blocks("tea", "en")
    cases = {lang: corpus.perturb("tea", lang, 0.2, seed) for lang in ("zh", "ja", "fr")}
    docs = {"en": en, **{lang: corpus.parse(lang, c.other) for lang, c in cases.items()}}
    segments = align(docs, "en")
    check_partition(segments, docs)
    for lang in cases:
        pairwise = corpus.groups(align({"en": en, lang: docs[lang]}, "en"), "en", lang)
        # Each shared segment is a union of consecutive pairwise groups of that language.
        bounds = {g[0][0] for g in pairwise if g[0]}
        for s in segments:
            if s.blocks["en"]:
                assert s.blocks["en"][0] in bounds


def test_untranslated_and_added_blocks_have_their_own_marks():
    en = blocks("guide", "en")
    zh = corpus.sources("guide", "zh")
    del zh[7]  # the writing-an-entry paragraph is left out
    zh.insert(20, corpus.NOTES["zh"][0])
    segments = align({"en": en, "zh": corpus.parse("zh", zh)}, "en")
    notes = {s.id: s.note("en", "zh") for s in segments}
    left_out = next(s for s in segments if s.blocks["en"] == (7,))
    assert left_out.blocks["zh"] == () and notes[left_out.id] == UNTRANSLATED
    assert sum(n == ADDED for n in notes.values()) == 1
    assert left_out.shape("en", "zh") == "1-0"


def test_note_values():
    seg = Segment("s1", {"en": (1, 2), "zh": (1,)}, 0.9, confidences={"zh": 0.9})
    assert seg.note("en", "zh") == MERGED and seg.note("en", "en") is None
    assert Segment("s1", {"en": (1,), "zh": (1, 2)}, 0.9).note("en", "zh") == SPLIT
    assert Segment("s1", {"en": (1,), "zh": (1,)}, 0.3, confidences={"zh": 0.3}).note(
        "en", "zh") == LOOSE
    assert Segment("s1", {"en": (), "zh": (), "fr": (3,)}, 0.8).note("en", "zh") is None


def test_degenerate_inputs():
    en = blocks("tea", "en")[:3]
    assert align({"en": ()}, "en") == []
    alone = align({"en": en}, "en")
    assert [s.blocks for s in alone] == [{"en": (i,)} for i in range(3)]
    empty = align({"en": en, "zh": ()}, "en")
    assert [s.note("en", "zh") for s in empty] == [UNTRANSLATED] * 3
    only_zh = align({"en": (), "zh": blocks("tea", "zh")[:2]}, "en")
    assert [s.note("en", "zh") for s in only_zh] == [ADDED, ADDED]


# --- determinism and stability ---------------------------------------------------------------

def snapshot(segments) -> list:
    return [(s.id, dict(s.blocks), s.confidence, s.pinned, dict(s.confidences))
            for s in segments]


def test_same_input_same_alignment_even_across_hash_seeds():
    script = (
        "import json, sys; sys.path[:0] = ['.', 'tests']\n"
        "from align_fixtures import corpus\n"
        "from bitext.align import align\n"
        "case = corpus.perturb('interconnects', 'zh', 0.2, 3)\n"
        "docs = {'en': corpus.parse('en', corpus.sources('interconnects', 'en')),"
        " 'zh': corpus.parse('zh', case.other)}\n"
        "print(json.dumps([(s.blocks, s.confidence) for s in align(docs, 'en')]))\n")
    outputs = set()
    for hash_seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                             capture_output=True, text=True, check=True).stdout
        outputs.add(out)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())


def test_light_edit_of_a_parallel_text_changes_nothing_else():
    en, zh = blocks("guide", "en"), corpus.sources("guide", "zh")
    before = snapshot(align({"en": en, "zh": corpus.parse("zh", zh)}, "en"))
    edited = zh[12].replace("构建器会按顺序一一配对", "构建器会按原有顺序逐一配对")
    assert edited != zh[12]
    zh[12] = edited
    after = snapshot(align({"en": en, "zh": corpus.parse("zh", zh)}, "en"))
    assert [row[:2] for row in after] == [row[:2] for row in before]
    # Confidences move only near the edit.
    for row_before, row_after in zip(before, after, strict=True):
        if abs(row_before[1]["zh"][0] - 12) > 2:
            assert abs(row_before[2] - row_after[2]) < 1e-3


def test_editing_one_paragraph_does_not_reshuffle_the_others():
    """Cut a third of one translated paragraph (every third one, in turn): the confident groups
    more than two blocks away stay as they were."""
    kept = moved = 0
    for doc, lang in PAIRS:
        en = blocks(doc, "en")
        for seed in SEEDS[:4]:
            case = corpus.perturb(doc, lang, 0.2, seed)
            before = align({"en": en, lang: corpus.parse(lang, case.other)}, "en")
            for k in range(0, len(case.other), 3):
                edited = list(case.other)
                if corpus.parse(lang, [edited[k]])[0].kind != "paragraph":
                    continue
                edited[k] = edited[k][: len(edited[k]) * 2 // 3]
                after = set(pair_groups("en", lang, {"en": en, lang: corpus.parse(lang, edited)}))
                for position, seg in zip(_positions(before, lang), before, strict=True):
                    if seg.confidence >= 0.8 and not k - 2 <= position <= k + 2:
                        group = (seg.blocks["en"], seg.blocks[lang])
                        kept, moved = kept + (group in after), moved + (group not in after)
    assert kept / (kept + moved) >= 0.99, (kept, moved)


def _positions(segments, lang: str) -> list[float]:
    """Where each segment sits among the translation's blocks (between them when it has none)."""
    out, nxt = [], 0
    for seg in segments:
        cells = seg.blocks[lang]
        out.append(cells[0] if cells else nxt - 0.5)
        nxt = cells[-1] + 1 if cells else nxt
    return out


def test_pins_and_confidence_survive_a_round_trip_through_equal_inputs():
    en, zh = blocks("tea", "en"), blocks("tea", "zh")
    docs = {"en": pinned(en, 4, "x"), "zh": pinned(zh, 4, "x")}
    assert snapshot(align(docs, "en")) == snapshot(align(dict(docs), "en"))


# --- costs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pins", [(), (3, 8, 14)], ids=["plain", "unnamed-pins"])
def test_the_lattice_prices_every_edge_as_group_cost_does(pins):
    """The lattice's inlined costs (`static_span` and the length terms) equal `group_cost`,
    including the infinite cost of a group a pin would have to continue."""
    captured = []

    class Spy(align_module.Lattice):
        def __init__(self, *args):
            super().__init__(*args)
            captured.append(self)

    case = corpus.perturb("lisbon", "zh", 0.2, 5)
    en, zh = blocks("lisbon", "en"), corpus.parse("zh", case.other)
    for index in pins:
        en, zh = pinned(en, index), pinned(zh, index + 1)
    original = align_module.Lattice
    align_module.Lattice = Spy
    try:
        align({"en": en, "zh": zh}, "en")
    finally:
        align_module.Lattice = original
    checked = infinite = 0
    rated = [lattice for lattice in captured if lattice.rated]  # unrated keep no costs
    assert rated
    for lattice in rated:
        for i, row in enumerate(lattice.costs):
            for k, shape_row in enumerate(row):
                for x, cost in enumerate(shape_row):
                    j, (di, dj) = lattice.lo[i] + x, SHAPES[k]
                    gi, gj = lattice.i0 + i, lattice.j0 + j
                    if cost == float("inf"):
                        infinite += 1
                        continue
                    expected = group_cost(lattice.model, gi - di, gi, gj - dj, gj)
                    assert cost == pytest.approx(expected), (gi, gj, SHAPES[k])
                    checked += 1
    assert checked > 300
    if pins:  # a merge that a pin would have to continue is never offered
        assert infinite and all(group_cost(captured[-1].model, i - 1, i + 1, j, j + 1)
                                == float("inf") for i in pins for j in range(len(zh)))


def test_a_widened_band_reuses_rows_without_changing_any_value():
    """A search that widens its band around row 20 keeps the rows above it of the narrower one;
    every forward value, back pointer and edge cost equals a lattice computed afresh."""
    from bitext.aligncost import Calibration, Scale, features, pair_model
    from bitext.lattice import diagonal

    case = corpus.perturb("lisbon", "zh", 0.2, 5)
    en, zh = blocks("lisbon", "en"), corpus.parse("zh", case.other)
    fo, fz = [features(b) for b in en], [features(b) for b in zh]
    model = pair_model(fo, fz, Calibration(Scale(1.0, 6.0)), [False] * len(en),
                       [False] * len(zh))
    chunk = align_module.Chunk(0, len(en), 0, len(zh), False)
    centres = diagonal(model, *chunk[:4])
    narrow = [1] * (len(en) + 1)
    wide = [4 if abs(r - 20) <= 2 else 1 for r in range(len(en) + 1)]
    first = align_module._lattice(model, chunk, centres, narrow)
    reused = align_module._lattice(model, chunk, centres, wide, earlier=first)
    fresh = align_module._lattice(model, chunk, centres, wide)
    assert reused.forward[10] is first.forward[10]  # taken, not recomputed
    assert (reused.forward, reused.back, reused.costs, reused.live) == (
        fresh.forward, fresh.back, fresh.costs, fresh.live)


# --- anchors --------------------------------------------------------------------------------

def test_numbers_are_normalised_across_scripts_and_conventions():
    def numbers(text: str, lang: str) -> set[str]:
        block = corpus.parse(lang, text)[0]
        return {t for t in anchor_tokens(block) if t.startswith("n:")}

    assert numbers("Nearly 20,000 plants in 1851.", "en") == {"n:20000", "n:1851"}
    assert numbers("Près de 20 000 plants en 1851.", "fr") == {"n:20000", "n:1851"}
    assert numbers("近２０，０００株，１８５１年。", "zh") == {"n:20000", "n:1851"}
    assert numbers("It weighs 3.5 kg, on May 07.", "en") == {"n:3.5", "n:7"}
    assert numbers("Il pèse 3,5 kg.", "fr") == {"n:3.5"}
    assert numbers("In 2026, 1,234 came; 5 000 left (1, 2, 3).", "en") == {
        "n:2026", "n:1234", "n:5000", "n:1", "n:2", "n:3"}


def test_latin_terms_inside_cjk_text_are_anchors():
    zh = corpus.parse("zh", "大多数开发者都非常青睐Claude和 GPUs，见 https://example.org/a 。")[0]
    tokens = anchor_tokens(zh)
    assert {"claude", "gpu", "u:https://example.org/a"} <= tokens


@pytest.mark.parametrize("lang", ["zh", "fr"])
def test_a_beam_that_cuts_every_path_falls_back_to_a_full_search(lang, monkeypatch):
    # A beam of zero keeps only each row's cheapest node, which strands the goal on most
    # perturbed texts; the lattice must then search unpruned instead of walking off its band.
    monkeypatch.setattr(align_module, "FIRST_BEAM", 0.0)
    monkeypatch.setattr(align_module, "BAND", 4)
    orig_src, case = corpus.long_case(lang, 120, 0.2, seed=3)
    docs = {"en": corpus.parse("en", orig_src), lang: corpus.parse(lang, case.other)}
    check_partition(align(docs, "en"), docs)
