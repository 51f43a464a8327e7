"""Cross-fitted threshold F1 of a cross-validation, from the folds' saved val predictions.

Each fold is scored at the ``NOT`` threshold tuned on the *other* folds' validation
predictions (:func:`relx.evaluate.cross_fitted_thresholds`): an honest estimate of what the
tuned decision rule gains, reported next to the arg-max F1 by ``relx cv`` (cv_summary.json)
and ``relx eval CVDIR``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from relx.labels import NOT_LABEL

__all__ = ["cross_fitted_summary", "CROSS_FITTED_LABEL"]

CROSS_FITTED_LABEL = ("cross-fitted NOT threshold: each fold scored at the threshold tuned on "
                      "the other folds' validation predictions")


def _fold_arrays(path: str | os.PathLike[str]) -> tuple[Any, list[str | None], list[str]] | None:
    import numpy as np

    from relx.evaluate._predictions import read_predictions

    records = [r for r in read_predictions(path) if r.probs]
    if not records:
        return None
    labels = list(records[0].probs)
    probs = np.array([[r.probs.get(lab, 0.0) for lab in labels] for r in records])
    return probs, [r.gold for r in records], labels


def _thresholded(probs: Any, labels: list[str], threshold: float) -> list[str]:
    import numpy as np

    not_col = labels.index(NOT_LABEL)
    positive = probs.copy()
    positive[:, not_col] = -np.inf
    best = positive.argmax(axis=1)
    p_relation = 1.0 - probs[:, not_col]
    keep = (p_relation >= threshold) & (p_relation > 0)
    return [labels[b] if k else NOT_LABEL for b, k in zip(best, keep)]


def cross_fitted_summary(prediction_files: Mapping[str, str | os.PathLike[str]]
                         ) -> dict[str, Any] | None:
    """Per fold (threshold, F1, arg-max F1), fold mean ± std and the pooled F1 of every fold
    at its cross-fitted threshold; ``None`` when the predictions carry no probabilities or
    no ``NOT`` class (e.g. novelty)."""
    from relx.evaluate._metrics import pair_metrics
    from relx.evaluate._threshold import cross_fitted_thresholds

    arrays = {name: _fold_arrays(path) for name, path in prediction_files.items()}
    arrays = {name: a for name, a in arrays.items() if a is not None}
    if not arrays:
        return None
    labels = next(iter(arrays.values()))[2]
    if NOT_LABEL not in labels or any(a[2] != labels for a in arrays.values()):
        return None
    per_fold = cross_fitted_thresholds({n: (p, g) for n, (p, g, _) in arrays.items()}, labels)
    positive = [lab for lab in labels if lab != NOT_LABEL]
    gold_all: list[str] = []
    pred_all: list[str] = []
    for name, (probs, gold, _) in arrays.items():
        pred = _thresholded(probs, labels, per_fold[name]["threshold"])
        known = [(g, p) for g, p in zip(gold, pred) if g is not None]
        gold_all += [g for g, _ in known]
        pred_all += [p for _, p in known]
    pooled = pair_metrics(gold_all, pred_all, labels=positive, warn=False)

    def mean_std(key: str) -> dict[str, float]:
        values = [float(v[key]) for v in per_fold.values()]
        mean = sum(values) / len(values)
        n = len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
        return {"mean": mean, "std": std}

    return {
        "label": CROSS_FITTED_LABEL,
        "folds": per_fold,
        "f1": mean_std("f1"),
        "argmax_f1": mean_std("argmax_f1"),
        "pooled": {k: float(pooled[k]) for k in ("precision", "recall", "f1")},
    }
