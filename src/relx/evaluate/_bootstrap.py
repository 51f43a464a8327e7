"""Bootstrap confidence intervals and the paired bootstrap test, resampling documents.

Pairs of one abstract are not independent (they share text, entities and annotator), so the
unit of resampling is the document, as in the BioRED and BioCreative evaluations: a resample
draws as many documents as there are, with replacement, and recomputes micro P/R/F1 from the
summed TP/FP/FN counts of the drawn documents.

Vectorised: per-document counts form a matrix ``C [D, m]``; the resample weights are one
multinomial draw ``W [B, D]`` (how often each document is drawn), so every statistic of every
resample is ``W @ C`` in one matrix product. 1000 resamples of BioRED Dev take milliseconds.

The paired test (Koehn 2004; Berg-Kirkpatrick et al. 2012) draws the *same* documents for both
systems and reports the share of resamples in which the F1 difference changes sign; the
two-sided p-value is ``min(1, 2 * min(P(delta <= 0), P(delta >= 0)))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from relx.errors import DataError
from relx.evaluate._document_protocol import merge_to_concept_pairs, setting_masks
from relx.evaluate._metrics import label_codes
from relx.evaluate._predictions import Prediction
from relx.labels import POSITIVE_LABELS

__all__ = ["CountTable", "count_table", "bootstrap_ci", "paired_bootstrap"]


@dataclass(slots=True)
class CountTable:
    """Per-document counts of every scored statistic, ready for resampling.

    ``groups`` maps a metric family (``"pair"`` for the pair protocol, ``"pair_only"``,
    ``"document.pair"``, ``"document.pair_type"``, ...) to a ``[D, 3]`` array of TP/FP/FN;
    ``correct``/``total`` give accuracy of the pair protocol.
    """

    documents: list[str]
    groups: dict[str, np.ndarray]
    correct: np.ndarray
    total: np.ndarray


def _per_doc(doc_index: np.ndarray, n_docs: int, *masks: np.ndarray) -> np.ndarray:
    return np.stack(
        [np.bincount(doc_index, weights=m.astype(np.float64), minlength=n_docs) for m in masks],
        axis=1,
    )


def count_table(
    records: Sequence[Prediction],
    *,
    labels: Sequence[str] = POSITIVE_LABELS,
    documents: Sequence[str] | None = None,
) -> CountTable:
    """Per-document TP/FP/FN for the pair protocol, the pair-only view and the BioRED settings."""
    doc_order = list(documents) if documents is not None else list(
        dict.fromkeys(r.document_id for r in records)
    )
    doc_pos = {d: i for i, d in enumerate(doc_order)}
    n_docs = len(doc_order)
    doc_index = np.fromiter((doc_pos[r.document_id] for r in records), dtype=np.int64,
                            count=len(records))
    gold = [r.gold or "NOT" for r in records]
    pred = [r.pred for r in records]
    vocab, g, p = label_codes(gold, pred, labels)
    positive = np.array([lab in set(labels) for lab in vocab], dtype=bool)
    gold_pos, pred_pos, hit = positive[g], positive[p], g == p
    groups = {
        "pair": _per_doc(doc_index, n_docs, gold_pos & hit, pred_pos & ~hit, gold_pos & ~hit),
        "pair_only": _per_doc(
            doc_index, n_docs, gold_pos & pred_pos, pred_pos & ~gold_pos, gold_pos & ~pred_pos
        ),
    }
    merged = merge_to_concept_pairs(records, labels=labels, documents=doc_order)
    for name, masks in setting_masks(merged).items():
        groups[f"document.{name}"] = _per_doc(merged.doc_index, n_docs, *masks)
    correct = np.bincount(doc_index, weights=hit.astype(np.float64), minlength=n_docs)
    total = np.bincount(doc_index, minlength=n_docs).astype(np.float64)
    return CountTable(doc_order, groups, correct, total)


def _weights(n_docs: int, n_resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_docs, np.full(n_docs, 1.0 / n_docs), size=n_resamples).astype(
        np.float64
    )


def _scores(sums: np.ndarray) -> dict[str, np.ndarray]:
    tp, fp, fn = sums[:, 0], sums[:, 1], sums[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        denominator = 2 * tp + fp + fn
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)
    return {"precision": precision, "recall": recall, "f1": f1}


def bootstrap_ci(
    table: CountTable,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Percentile bootstrap intervals for every metric in ``table``, resampling documents.

    Args:
        table: Per-document counts from :func:`count_table`.
        n_resamples: Number of bootstrap resamples (1000 is the usual choice; 0 disables).
        seed: Seed of the generator; the same seed gives the same intervals.
        confidence: Coverage of the interval (0.95 gives the 2.5th and 97.5th percentiles).

    Returns:
        ``{"n_resamples", "seed", "confidence", "unit": "document", "intervals": {group:
        {metric: [low, high]}}}`` with group ``"pair"`` also carrying ``accuracy``.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}")
    n_docs = len(table.documents)
    result: dict[str, Any] = {
        "n_resamples": n_resamples,
        "seed": seed,
        "confidence": confidence,
        "unit": "document",
        "intervals": {},
    }
    if n_resamples <= 0 or n_docs == 0:
        return result
    weights = _weights(n_docs, n_resamples, seed)
    tail = (1 - confidence) / 2 * 100
    quantiles = [tail, 100 - tail]
    for name, counts in table.groups.items():
        scores = _scores(weights @ counts)
        result["intervals"][name] = {
            metric: [float(v) for v in np.percentile(values, quantiles)]
            for metric, values in scores.items()
        }
    with np.errstate(divide="ignore", invalid="ignore"):
        accuracy = (weights @ table.correct) / np.maximum(weights @ table.total, 1)
    result["intervals"]["pair"]["accuracy"] = [
        float(v) for v in np.percentile(accuracy, quantiles)
    ]
    return result


def paired_bootstrap(
    a: Sequence[Prediction],
    b: Sequence[Prediction],
    *,
    labels: Sequence[str] = POSITIVE_LABELS,
    n_resamples: int = 1000,
    seed: int = 0,
    metric: str = "pair",
) -> dict[str, Any]:
    """Paired bootstrap test of the F1 difference between two prediction sets on the same data.

    Args:
        a: Predictions of system A.
        b: Predictions of system B on the same candidate pairs (matched by ``id``).
        labels: Positive labels.
        n_resamples: Number of resamples.
        seed: Generator seed (same seed, same p-value).
        metric: Which F1: ``"pair"`` (pair protocol), ``"pair_only"`` or
            ``"document.<setting>"``.

    Returns:
        ``{"metric", "f1_a", "f1_b", "delta", "delta_ci", "p_value", "n_resamples", "seed"}``
        where ``delta = f1_a - f1_b``.

    Raises:
        DataError: E507 when the two sets do not cover the same pairs with the same gold.
    """
    by_id = {r.id: r for r in b}
    missing = [r.id for r in a if r.id not in by_id]
    if missing or len(by_id) != len(a):
        raise DataError(
            f"the two prediction sets do not cover the same pairs ({len(a)} vs {len(by_id)} "
            f"ids; e.g. {missing[:3]} only in the first); expected predictions on the same data",
            code="E507",
            hint="score both systems on the same split file",
        )
    b_aligned = [by_id[r.id] for r in a]
    differing = [r.id for r, s in zip(a, b_aligned) if r.gold != s.gold]
    if differing:
        raise DataError(
            f"{len(differing)} pairs have different gold labels in the two sets "
            f"(e.g. {differing[:3]}); expected the same gold data",
            code="E507",
            hint="score both systems on the same split file",
        )
    documents = list(dict.fromkeys(r.document_id for r in a))
    table_a = count_table(a, labels=labels, documents=documents)
    table_b = count_table(b_aligned, labels=labels, documents=documents)
    if metric not in table_a.groups or metric not in table_b.groups:
        raise ValueError(
            f"metric must be one of {sorted(set(table_a.groups) & set(table_b.groups))}; "
            f"got {metric!r}"
        )
    counts_a, counts_b = table_a.groups[metric], table_b.groups[metric]
    f1_a = float(_scores(counts_a.sum(axis=0, keepdims=True))["f1"][0])
    f1_b = float(_scores(counts_b.sum(axis=0, keepdims=True))["f1"][0])
    weights = _weights(len(documents), n_resamples, seed)
    delta = _scores(weights @ counts_a)["f1"] - _scores(weights @ counts_b)["f1"]
    p_value = min(1.0, 2 * min(float(np.mean(delta <= 0)), float(np.mean(delta >= 0))))
    return {
        "metric": metric,
        "f1_a": f1_a,
        "f1_b": f1_b,
        "delta": f1_a - f1_b,
        "delta_ci": [float(v) for v in np.percentile(delta, [2.5, 97.5])],
        "p_value": p_value,
        "n_resamples": n_resamples,
        "seed": seed,
        "unit": "document",
    }
