"""Document-level bootstrap intervals and the paired bootstrap test."""

from __future__ import annotations

import numpy as np
import pytest

from relx.errors import DataError
from relx.evaluate import Prediction, paired_bootstrap, score_predictions
from relx.labels import ALL_LABELS


def _records(seed: int, *, accuracy: float, n_docs: int = 40, per_doc: int = 15):
    rng = np.random.default_rng(seed)
    gold_rng = np.random.default_rng(123)  # same gold for every system
    out = []
    for d in range(n_docs):
        for j in range(per_doc):
            gold = str(gold_rng.choice(ALL_LABELS, p=[0.7] + [0.3 / 8] * 8))
            pred = gold if rng.random() < accuracy else str(rng.choice(ALL_LABELS))
            out.append(Prediction(id=f"{d}.{j}", document_id=f"D{d}", entity_a_id=f"a{j}",
                                  entity_b_id="b", gold=gold, pred=pred))
    return out


def test_bootstrap_ci_contains_point_estimate_and_is_seeded() -> None:
    records = _records(0, accuracy=0.7)
    a = score_predictions(records, n_bootstrap=500, seed=7)
    b = score_predictions(records, n_bootstrap=500, seed=7)
    c = score_predictions(records, n_bootstrap=500, seed=8)
    low, high = a["pair"]["ci"]["f1"]
    assert low < a["pair"]["f1"] < high
    assert high - low < 0.5
    assert a["pair"]["ci"] == b["pair"]["ci"]
    assert a["pair"]["ci"] != c["pair"]["ci"]
    for name, setting in a["document"]["settings"].items():
        lo, hi = setting["ci"]["f1"]
        assert lo <= setting["f1"] <= hi, name
    assert a["bootstrap"]["unit"] == "document"


def test_bootstrap_zero_resamples_gives_no_intervals() -> None:
    result = score_predictions(_records(0, accuracy=0.7), n_bootstrap=0)
    assert "ci" not in result["pair"]


def test_paired_bootstrap_identical_systems_have_p_one() -> None:
    records = _records(0, accuracy=0.7)
    test = paired_bootstrap(records, list(reversed(records)), n_resamples=300)
    assert test["delta"] == 0.0
    assert test["p_value"] == 1.0


def test_paired_bootstrap_detects_a_clearly_better_system() -> None:
    good, bad = _records(1, accuracy=0.95), _records(2, accuracy=0.3)
    test = paired_bootstrap(good, bad, n_resamples=1000, seed=0)
    assert test["delta"] > 0.3
    assert test["p_value"] < 0.01
    assert test["delta_ci"][0] > 0
    again = paired_bootstrap(good, bad, n_resamples=1000, seed=0)
    assert again == test


def test_paired_bootstrap_rejects_different_pairs() -> None:
    records = _records(0, accuracy=0.7)
    with pytest.raises(DataError, match="E507"):
        paired_bootstrap(records, records[:-1])
