"""The BioRED document protocol on a hand-made two-document case."""

from __future__ import annotations

import pytest

from relx.evaluate import Prediction, document_metrics, merge_to_concept_pairs


def _row(i, doc, a, b, gold, pred, gn=None, pn=None, p=None):
    probs = None if p is None else {pred: p, "NOT": round(1 - p, 6)}
    return Prediction(id=f"r{i}", document_id=doc, entity_a_id=a, entity_b_id=b, gold=gold,
                      pred=pred, gold_novel=gn, pred_novel=pn, probs=probs)


def _two_documents() -> list[Prediction]:
    return [
        # D1 (A,B): two rows for one concept pair; the predicted relation wins the merge.
        _row(1, "D1", "A", "B", "Association", "NOT", True, None),
        _row(2, "D1", "B", "A", "Association", "Association", True, True, 0.8),
        # D1 (C,D): right pair, wrong type, right novelty.
        _row(3, "D1", "C", "D", "Bind", "Positive_Correlation", False, False),
        # D1 (A,C): relation predicted on a NOT pair.
        _row(4, "D1", "A", "C", "NOT", "Bind", False, False),
        # D2 (X,Y): missed relation.
        _row(5, "D2", "X", "Y", "Negative_Correlation", "NOT", True, None),
        # D2 (X,Z): right type, wrong novelty.
        _row(6, "D2", "X", "Z", "Association", "Association", False, True),
        # D2 (Y,Z) twice, both NOT gold; the more probable predicted relation is kept.
        _row(7, "D2", "Z", "Y", "NOT", "Bind", False, False, 0.3),
        _row(8, "D2", "Y", "Z", "NOT", "Association", False, False, 0.6),
    ]


def test_document_protocol_four_settings_hand_computed() -> None:
    m = document_metrics(_two_documents())
    assert m["n_documents"] == 2
    assert m["n_concept_pairs"] == 6
    assert m["n_rows"] == 8
    assert m["novelty_scored"] is True
    s = m["settings"]
    assert list(s) == ["pair", "pair_type", "pair_novelty", "all"]
    assert (s["pair"]["tp"], s["pair"]["fp"], s["pair"]["fn"]) == (3, 2, 1)
    assert s["pair"]["f1"] == pytest.approx(2 / 3)
    assert (s["pair_type"]["tp"], s["pair_type"]["fp"], s["pair_type"]["fn"]) == (2, 3, 2)
    assert s["pair_type"]["f1"] == pytest.approx(4 / 9)
    assert (s["pair_novelty"]["tp"], s["pair_novelty"]["fp"], s["pair_novelty"]["fn"]) == (
        2, 3, 2)
    assert (s["all"]["tp"], s["all"]["fp"], s["all"]["fn"]) == (1, 4, 3)
    assert s["all"]["f1"] == pytest.approx(2 / 9)


def test_document_protocol_merge_keeps_most_probable_relation() -> None:
    merged = merge_to_concept_pairs(_two_documents())
    keys = merged.keys
    yz = keys.index(("D2", "Y", "Z"))
    ab = keys.index(("D1", "A", "B"))
    assert merged.pred_rel[yz] and not merged.gold_rel[yz]
    assert merged.gold_rel[ab] and merged.pred_rel[ab] and merged.type_match[ab]


def test_document_protocol_skips_novelty_settings_without_predicted_novelty() -> None:
    rows = [
        Prediction(id=r.id, document_id=r.document_id, entity_a_id=r.entity_a_id,
                   entity_b_id=r.entity_b_id, gold=r.gold, pred=r.pred, gold_novel=r.gold_novel,
                   pred_novel=None, probs=r.probs)
        for r in _two_documents()
    ]
    m = document_metrics(rows)
    assert m["novelty_scored"] is False
    assert list(m["settings"]) == ["pair", "pair_type"]
    assert m["settings"]["pair_type"]["f1"] == pytest.approx(4 / 9)
