"""The NOT threshold: tuned F1 equals the scorer's F1 at that threshold; cross-fitting is honest."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from relx.evaluate import pair_metrics, predictions_from_probs
from relx.evaluate._threshold import (
    cross_fitted_thresholds,
    f1_at_thresholds,
    tune_threshold,
)
from relx.labels import ALL_LABELS, POSITIVE_LABELS


def _case(n: int, seed: int):
    rng = np.random.default_rng(seed)
    gold = list(rng.choice(ALL_LABELS, size=n, p=[0.8] + [0.2 / 8] * 8))
    logits = rng.normal(size=(n, len(ALL_LABELS)))
    for i, g in enumerate(gold):  # some signal, NOT over-confident
        logits[i, ALL_LABELS.index(g)] += 1.5
        logits[i, 0] += 2.5
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probs, gold


def _examples(gold):
    return [SimpleNamespace(relation_id=f"r{i}", document_id="d", entity_a_id="a",
                            entity_b_id="b", label=g, novel=None, entity_a=[], entity_b=[])
            for i, g in enumerate(gold)]


@pytest.mark.parametrize("threshold", [0.1, 0.35, 0.5, 0.8])
def test_f1_at_threshold_equals_the_scorer_on_thresholded_predictions(threshold):
    probs, gold = _case(400, seed=1)
    preds = predictions_from_probs(_examples(gold), probs, labels=ALL_LABELS,
                                   threshold=threshold)
    expected = pair_metrics(gold, [p.pred for p in preds], labels=POSITIVE_LABELS,
                            warn=False)["f1"]
    assert f1_at_thresholds(probs, gold, ALL_LABELS, [threshold])[0] == pytest.approx(expected)


def test_tuned_threshold_beats_argmax_when_not_is_overconfident():
    probs, gold = _case(1000, seed=2)
    choice = tune_threshold(probs, gold, ALL_LABELS)
    assert choice.f1 > choice.argmax_f1
    argmax = predictions_from_probs(_examples(gold), probs, labels=ALL_LABELS)
    assert choice.argmax_f1 == pytest.approx(
        pair_metrics(gold, [p.pred for p in argmax], labels=POSITIVE_LABELS, warn=False)["f1"])


def test_cross_fitted_fold_is_scored_at_the_other_folds_threshold():
    folds = {f"fold_{k}": _case(300, seed=10 + k) for k in range(3)}
    result = cross_fitted_thresholds(folds, ALL_LABELS)
    for name, (probs, gold) in folds.items():
        others = [folds[o] for o in folds if o != name]
        pooled = np.concatenate([p for p, _ in others])
        expected_t = tune_threshold(pooled, [g for _, gs in others for g in gs],
                                    ALL_LABELS).threshold
        assert result[name]["threshold"] == expected_t
        assert result[name]["f1"] == pytest.approx(
            f1_at_thresholds(probs, gold, ALL_LABELS, [expected_t])[0])
    # Tuned on its own fold the score can only be higher or equal: that is the optimism.
    for name, (probs, gold) in folds.items():
        assert tune_threshold(probs, gold, ALL_LABELS).f1 >= result[name]["f1"]


def test_unknown_gold_rows_are_ignored():
    probs, gold = _case(200, seed=3)
    with_unknown = gold + [None] * 5
    probs_unknown = np.concatenate([probs, np.full((5, len(ALL_LABELS)), 1 / len(ALL_LABELS))])
    assert f1_at_thresholds(probs_unknown, with_unknown, ALL_LABELS, [0.3])[0] == pytest.approx(
        f1_at_thresholds(probs, gold, ALL_LABELS, [0.3])[0])
