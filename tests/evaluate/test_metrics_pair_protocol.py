"""The iKraph pair protocol on hand-computed cases and against scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from relx.errors import UndefinedMetricWarning
from relx.evaluate import inflated_metrics, pair_metrics
from relx.labels import ALL_LABELS, POSITIVE_LABELS


def test_metrics_wrong_type_is_one_fp_and_one_fn() -> None:
    gold = ["Association", "Bind", "NOT", "NOT", "Positive_Correlation"]
    pred = ["Association", "Association", "Bind", "NOT", "NOT"]
    m = pair_metrics(gold, pred)
    # TP: row 0. FP: row 1 (Association for Bind), row 2 (Bind on NOT). FN: row 1, row 4.
    assert (m["tp"], m["fp"], m["fn"]) == (1, 2, 2)
    assert m["precision"] == pytest.approx(1 / 3)
    assert m["recall"] == pytest.approx(1 / 3)
    assert m["f1"] == pytest.approx(1 / 3)
    assert m["accuracy"] == pytest.approx(2 / 5)
    # The pair-only view ignores the type: rows 0 and 1 are hits, row 2 FP, row 4 FN.
    po = m["pair_only"]
    assert (po["tp"], po["fp"], po["fn"]) == (2, 1, 1)
    assert m["per_class"]["Bind"] == {
        "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 1,
    }
    assert m["per_class"]["Association"]["precision"] == pytest.approx(0.5)
    assert m["per_class"]["Association"]["recall"] == pytest.approx(1.0)
    assert "NOT" not in m["per_class"]


def test_metrics_confusion_rows_are_gold_columns_are_pred() -> None:
    m = pair_metrics(["NOT", "Bind", "Bind"], ["Bind", "Bind", "NOT"])
    labels = m["confusion"]["labels"]
    assert labels == list(ALL_LABELS)
    matrix = np.array(m["confusion"]["matrix"])
    i_not, i_bind = labels.index("NOT"), labels.index("Bind")
    assert matrix[i_not, i_bind] == 1
    assert matrix[i_bind, i_bind] == 1
    assert matrix[i_bind, i_not] == 1
    assert matrix.sum() == 3


def test_metrics_all_not_predictions_warn_and_score_zero() -> None:
    gold = ["Association", "NOT", "Bind"]
    pred = ["NOT", "NOT", "NOT"]
    with pytest.warns(UndefinedMetricWarning, match="precision"):
        m = pair_metrics(gold, pred)
    assert (m["precision"], m["recall"], m["f1"]) == (0.0, 0.0, 0.0)
    assert (m["tp"], m["fp"], m["fn"]) == (0, 0, 2)
    assert m["accuracy"] == pytest.approx(1 / 3)


def test_metrics_empty_classes_get_zero_support_without_warning() -> None:
    gold = ["Association", "NOT"]
    pred = ["Association", "NOT"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = pair_metrics(gold, pred)
    assert m["f1"] == 1.0
    assert m["per_class"]["Conversion"] == {
        "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "predicted": 0,
    }
    # macro F1 only averages classes present in gold.
    assert m["macro_f1"] == 1.0


def test_metrics_no_gold_positives_warns_recall_undefined() -> None:
    with pytest.warns(UndefinedMetricWarning, match="recall"):
        m = pair_metrics(["NOT", "NOT"], ["Bind", "NOT"])
    assert m["fp"] == 1 and m["f1"] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_agree_with_sklearn_micro_over_positives(seed: int) -> None:
    rng = np.random.default_rng(seed)
    weights = [0.7] + [0.3 / 8] * 8
    gold = list(rng.choice(ALL_LABELS, 400, p=weights))
    pred = list(rng.choice(ALL_LABELS, 400, p=weights))
    m = pair_metrics(gold, pred)
    p, r, f, _ = precision_recall_fscore_support(
        gold, pred, labels=list(POSITIVE_LABELS), average="micro", zero_division=0
    )
    assert (m["precision"], m["recall"], m["f1"]) == pytest.approx((p, r, f))
    per = precision_recall_fscore_support(
        gold, pred, labels=list(POSITIVE_LABELS), average=None, zero_division=0
    )
    for i, label in enumerate(POSITIVE_LABELS):
        assert m["per_class"][label]["f1"] == pytest.approx(per[2][i])
        assert m["per_class"][label]["support"] == per[3][i]


def test_metrics_inflated_ignores_false_positives_on_not_pairs() -> None:
    gold = ["Association", "NOT", "NOT", "NOT"]
    pred = ["Association", "Bind", "Bind", "Bind"]
    real = pair_metrics(gold, pred)
    inflated = inflated_metrics(gold, pred)
    assert real["f1"] == pytest.approx(2 / 5)  # tp=1, fp=3, fn=0
    assert inflated["f1"] == 1.0
    assert inflated["inflated"] is True
    assert "INFLATED" in inflated["protocol"]
    assert inflated["n"] == 1


def test_metrics_length_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="2 labels"):
        pair_metrics(["NOT", "NOT"], ["NOT"])
