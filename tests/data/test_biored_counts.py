"""Issue 2 "Done when": pair counts on the real BioRED release (skipped when absent)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from relx.data import ProblemLog, build_pairs, read_corpus

BIORED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "biored"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BIORED / "Dev.PubTator").exists(), reason="BioRED not present"),
]


@pytest.mark.parametrize(("name", "n_pairs", "n_positive", "n_self"),
                         [("Train", 30_830, 4_175, 3), ("Dev", 8_917, 1_161, 1)])
def test_biored_counts(name: str, n_pairs: int, n_positive: int, n_self: int) -> None:
    log = ProblemLog()
    docs = read_corpus([BIORED / f"{name}.PubTator"], log=log)
    examples = build_pairs(docs, log=log)
    assert len(examples) == n_pairs
    assert sum(e.label != "NOT" for e in examples) == n_positive
    assert log.counts()["E107"] == n_self  # the 4 self-relations are reported, not paired
    # Every (kept) gold relation maps to exactly one positive pair, with its type.
    positives = Counter((e.document_id, frozenset((e.entity_a_id, e.entity_b_id)), e.label)
                        for e in examples if e.label != "NOT")
    relations = Counter((d.doc_id, frozenset((r.concept_a, r.concept_b)), r.relation_type)
                        for d in docs for r in d.relations)
    assert positives == relations
    assert max(positives.values()) == 1
    # A is mentioned first (or both in one mention) in every pair, gold or NOT: the order
    # carries no label (in Train the annotated direction puts the later concept first for
    # 1,281 gold pairs).
    assert all(min(s for s, *_ in e.entity_a) <= min(s for s, *_ in e.entity_b) for e in examples)
    # Remapped spans point at the mention strings on real abstracts (multi_sentence).
    texts = {(d.doc_id, c): {m.text for m in d.mentions if c in m.concept_ids}
             for d in docs for m in d.mentions for c in m.concept_ids}
    titles = {d.doc_id: d.title for d in docs}
    for e in examples:
        assert e.text.startswith(titles[e.document_id])
        for concept, spans in ((e.entity_a_id, e.entity_a), (e.entity_b_id, e.entity_b)):
            assert {e.text[s:t] for s, t, _ in spans} <= texts[(e.document_id, concept)]


def test_biored_formats_give_identical_pairs() -> None:
    pair_sets = []
    for fname in ("Dev.PubTator", "Dev.BioC.XML", "Dev.BioC.JSON"):
        examples = build_pairs(read_corpus([BIORED / fname]))
        pair_sets.append(sorted(
            (e.document_id, e.entity_a_id, e.entity_b_id, e.label, e.novel, e.text,
             tuple(e.entity_a), tuple(e.entity_b)) for e in examples))
    assert len(pair_sets[0]) == 8_917
    assert pair_sets[0] == pair_sets[1] == pair_sets[2]
