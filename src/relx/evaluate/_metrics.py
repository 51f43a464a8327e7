"""The iKraph / LitCoin pair protocol, computed from label strings alone.

This is what relx calls "F1" everywhere (docs/formats.md §4.1): micro precision, recall and F1 over
the positive labels on *all* candidate pairs. ``NOT`` pairs stay in as samples (so every
positive predicted on a ``NOT`` pair is a false positive) but ``NOT`` is not a label that
earns true positives. A positive predicted with the wrong type is one false positive (for the
predicted type) and one false negative (for the gold type). This equals scikit-learn's
``precision_recall_fscore_support(gold, pred, labels=positives, average="micro")``; it is
written out with numpy because the bootstrap needs the raw TP/FP/FN counts and because the
eval path of a predictions file must not pay scikit-learn's import time.

The inflated variant ("F1 over gold-positive samples only") drops every ``NOT`` pair first and
thereby ignores all false positives on them; it exists only to reproduce numbers from other
scripts, is computed only on request, and is always labelled ``inflated``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from relx.errors import UndefinedMetricWarning
from relx.labels import NOT_LABEL, POSITIVE_LABELS

__all__ = ["pair_metrics", "inflated_metrics", "prf", "label_codes"]


def prf(tp: float, fp: float, fn: float, *, what: str = "", warn: bool = True) -> dict[str, float]:
    """Precision, recall and F1 from counts; an undefined ratio is 0 with a warning.

    Args:
        tp: True positives.
        fp: False positives.
        fn: False negatives.
        what: Names the metric in the warning (e.g. ``"pair protocol"``).
        warn: Emit :class:`~relx.errors.UndefinedMetricWarning` for undefined ratios.

    Returns:
        ``{"precision", "recall", "f1"}``.
    """
    undefined = []
    precision = tp / (tp + fp) if tp + fp else 0.0
    if not tp + fp:
        undefined.append("precision (no predicted positives)")
    recall = tp / (tp + fn) if tp + fn else 0.0
    if not tp + fn:
        undefined.append("recall (no gold positives)")
    denominator = 2 * tp + fp + fn
    f1 = 2 * tp / denominator if denominator else 0.0
    if not denominator:
        undefined.append("F1")
    if undefined and warn:
        where = f"{what}: " if what else ""
        warnings.warn(
            f"{where}{', '.join(undefined)} undefined; set to 0.0",
            UndefinedMetricWarning,
            stacklevel=3,
        )
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def label_codes(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Map gold and predicted label strings to integer codes over one shared vocabulary.

    The vocabulary is ``NOT`` first, then ``labels`` in order, then any other label seen
    (sorted), so the confusion matrix always reads in the house order.
    """
    vocab = [NOT_LABEL, *[lab for lab in labels if lab != NOT_LABEL]]
    extra = sorted((set(gold) | set(pred)) - set(vocab))
    vocab.extend(extra)
    index = {lab: i for i, lab in enumerate(vocab)}
    g = np.fromiter((index[x] for x in gold), dtype=np.int64, count=len(gold))
    p = np.fromiter((index[x] for x in pred), dtype=np.int64, count=len(pred))
    return vocab, g, p


def _micro_counts(g: np.ndarray, p: np.ndarray, positive: np.ndarray) -> tuple[int, int, int]:
    gold_pos = positive[g]
    pred_pos = positive[p]
    hit = g == p
    tp = int(np.count_nonzero(gold_pos & hit))
    fp = int(np.count_nonzero(pred_pos & ~hit))
    fn = int(np.count_nonzero(gold_pos & ~hit))
    return tp, fp, fn


def pair_metrics(
    gold: Sequence[str],
    pred: Sequence[str],
    *,
    labels: Sequence[str] = POSITIVE_LABELS,
    warn: bool = True,
) -> dict[str, Any]:
    """Score predicted labels against gold labels by the iKraph pair protocol.

    Args:
        gold: Gold label per candidate pair (``NOT`` for no relation).
        pred: Predicted label per candidate pair, aligned with ``gold``.
        labels: The positive labels that earn true positives (default: the 8 BioRED types).
            Any other label (``NOT`` included) counts as "no relation".
        warn: Emit :class:`~relx.errors.UndefinedMetricWarning` for undefined micro metrics
            (per-class zeros are expected for rare classes and never warn).

    Returns:
        A JSON-ready dict: ``protocol``, ``n``, micro ``precision``/``recall``/``f1`` with
        ``tp``/``fp``/``fn``, ``accuracy``, ``per_class`` (precision, recall, f1, support,
        predicted), ``confusion`` (``labels`` and ``matrix``, rows gold, columns predicted)
        and ``pair_only`` (any relation vs ``NOT``, type ignored).

    Raises:
        ValueError: ``gold`` and ``pred`` differ in length.
    """
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} labels but pred has {len(pred)}")
    vocab, g, p = label_codes(gold, pred, labels)
    positive = np.array([lab in set(labels) for lab in vocab], dtype=bool)
    n = len(g)
    tp, fp, fn = _micro_counts(g, p, positive)
    micro = prf(tp, fp, fn, what="pair protocol", warn=warn)

    k = len(vocab)
    confusion = np.bincount(g * k + p, minlength=k * k).reshape(k, k)
    per_class: dict[str, dict[str, float | int]] = {}
    diag = np.diag(confusion)
    for i, lab in enumerate(vocab):
        if lab == NOT_LABEL and lab not in labels:
            continue
        c_tp = int(diag[i])
        c_support = int(confusion[i].sum())
        c_pred = int(confusion[:, i].sum())
        scores = prf(c_tp, c_pred - c_tp, c_support - c_tp, warn=False)
        per_class[lab] = {**scores, "support": c_support, "predicted": c_pred}

    # Pair-only view: any positive label vs NOT; the type does not matter.
    gold_rel = positive[g]
    pred_rel = positive[p]
    b_tp = int(np.count_nonzero(gold_rel & pred_rel))
    b_fp = int(np.count_nonzero(~gold_rel & pred_rel))
    b_fn = int(np.count_nonzero(gold_rel & ~pred_rel))
    pair_only = {**prf(b_tp, b_fp, b_fn, warn=False), "tp": b_tp, "fp": b_fp, "fn": b_fn}

    present = [lab for lab in labels if per_class.get(lab, {}).get("support", 0) > 0]
    macro_f1 = (
        float(np.mean([per_class[lab]["f1"] for lab in present])) if present else 0.0
    )
    return {
        "protocol": "ikraph_pair",
        "n": n,
        **micro,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "accuracy": float(np.count_nonzero(g == p) / n) if n else 0.0,
        "macro_f1": macro_f1,
        "per_class": per_class,
        "confusion": {"labels": vocab, "matrix": confusion.tolist()},
        "pair_only": pair_only,
    }


def inflated_metrics(
    gold: Sequence[str],
    pred: Sequence[str],
    *,
    labels: Sequence[str] = POSITIVE_LABELS,
) -> dict[str, Any]:
    """The INFLATED "F1 over gold-positive samples only"; never report it as F1.

    Other scripts drop every pair whose gold label is ``NOT`` before scoring, which silently
    ignores every false positive on a ``NOT`` pair. relx computes it only to show how far a
    number from such a script is from the real pair protocol.

    Returns:
        ``{"protocol": "INFLATED_gold_positive_only", "inflated": True, "n", "precision",
        "recall", "f1", "accuracy", "note"}``.
    """
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} labels but pred has {len(pred)}")
    keep = [i for i, lab in enumerate(gold) if lab in set(labels)]
    g_kept = [gold[i] for i in keep]
    p_kept = [pred[i] for i in keep]
    vocab, g, p = label_codes(g_kept, p_kept, labels)
    positive = np.array([lab in set(labels) for lab in vocab], dtype=bool)
    tp, fp, fn = _micro_counts(g, p, positive)
    scores = prf(tp, fp, fn, warn=False)
    return {
        "protocol": "INFLATED_gold_positive_only",
        "inflated": True,
        "n": len(keep),
        **scores,
        "accuracy": float(np.count_nonzero(g == p) / len(keep)) if keep else 0.0,
        "note": (
            "INFLATED: scored only pairs whose gold label is a relation, so false positives on "
            "NOT pairs are ignored; not comparable to the pair protocol F1"
        ),
    }
