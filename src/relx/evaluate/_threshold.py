"""The decision threshold on ``NOT``: chosen on validation predictions, honestly scored.

A relation classifier trained on ~87% ``NOT`` pairs is calibrated toward ``NOT``; the arg-max
label then under-predicts relations (the origin run's recall problem). One knob fixes that
for every relation type at once: predict a relation iff ``1 - p(NOT) >= t`` and then take the
most probable relation type (``predictions_from_probs(threshold=t)``, the rule ``relx
predict --threshold`` applies).

:func:`tune_threshold` picks ``t`` on one set of validation predictions. Scoring a threshold
on the predictions it was tuned on is optimistic, so a cross-validation reports
:func:`cross_fitted_thresholds`: each fold is scored at the threshold tuned on the *other*
folds' validation predictions, and only the threshold saved for prediction uses them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from relx.labels import NOT_LABEL

__all__ = ["ThresholdChoice", "tune_threshold", "f1_at_thresholds", "cross_fitted_thresholds",
           "DEFAULT_GRID"]

#: Thresholds tried: 0.05 .. 0.95 in steps of 0.01 (finer steps only fit noise).
DEFAULT_GRID: tuple[float, ...] = tuple(round(0.05 + 0.01 * i, 2) for i in range(91))


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen threshold and what it scores on the predictions it was chosen on."""

    threshold: float
    f1: float
    argmax_f1: float
    n: int

    def to_json(self) -> dict[str, float | int]:
        return asdict(self)


def _columns(probs: np.ndarray, gold: Sequence[str | None], labels: Sequence[str]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    labels = list(labels)
    if NOT_LABEL not in labels:
        raise ValueError(f"labels {labels} have no {NOT_LABEL!r} class to threshold")
    matrix = np.asarray(probs, dtype=np.float64)
    if matrix.shape != (len(gold), len(labels)):
        raise ValueError(f"probs must have shape [{len(gold)}, {len(labels)}]; got {matrix.shape}")
    not_col = labels.index(NOT_LABEL)
    positive = matrix.copy()
    positive[:, not_col] = -np.inf
    best = positive.argmax(axis=1)
    p_relation = 1.0 - matrix[:, not_col]
    index = {lab: i for i, lab in enumerate(labels)}
    gold_idx = np.array([index.get(g, -1) if g is not None else -1 for g in gold])
    gold_pos = (gold_idx >= 0) & (gold_idx != not_col)
    correct_type = gold_pos & (best == gold_idx)
    return p_relation, correct_type, gold_pos, not_col


def f1_at_thresholds(probs: np.ndarray, gold: Sequence[str | None], labels: Sequence[str],
                     grid: Sequence[float] = DEFAULT_GRID) -> np.ndarray:
    """Pair-protocol micro F1 (positive labels) at each threshold of ``grid``.

    Gold ``None`` (unknown) rows are never a true positive or a false negative; a predicted
    relation on them counts as a false positive only if gold is ``NOT``, so they are dropped.
    """
    known = np.array([g is not None for g in gold], dtype=bool)
    p_relation, correct_type, gold_pos, _ = _columns(probs, gold, labels)
    p_relation, correct_type = p_relation[known], correct_type[known]
    n_gold = int(gold_pos[known].sum())
    out = np.zeros(len(grid))
    for k, t in enumerate(grid):
        predicted = (p_relation >= t) & (p_relation > 0)
        tp = int((predicted & correct_type).sum())
        fp = int(predicted.sum()) - tp
        fn = n_gold - tp
        out[k] = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
    return out


def _argmax_f1(probs: np.ndarray, gold: Sequence[str | None], labels: Sequence[str]) -> float:
    matrix = np.asarray(probs, dtype=np.float64)
    labels = list(labels)
    chosen = matrix.argmax(axis=1)
    not_col = labels.index(NOT_LABEL)
    tp = fp = fn = 0
    for g, c in zip(gold, chosen):
        if g is None:
            continue
        pred_pos = c != not_col
        gold_pos = g != NOT_LABEL
        hit = pred_pos and gold_pos and labels[c] == g
        tp += hit
        fp += pred_pos and not hit
        fn += gold_pos and not hit
    return 0.0 if tp == 0 else float(2 * tp / (2 * tp + fp + fn))


def tune_threshold(probs: np.ndarray, gold: Sequence[str | None], labels: Sequence[str],
                   grid: Sequence[float] = DEFAULT_GRID) -> ThresholdChoice:
    """The threshold of ``grid`` with the best pair F1 on these predictions.

    Ties go to the threshold closest to 0.5 (the arg-max rule's neighbourhood): a flat
    optimum should not drift to an extreme on noise.
    """
    scores = f1_at_thresholds(probs, gold, labels, grid)
    best = max(range(len(grid)), key=lambda k: (round(scores[k], 12), -abs(grid[k] - 0.5)))
    return ThresholdChoice(threshold=float(grid[best]), f1=float(scores[best]),
                           argmax_f1=_argmax_f1(probs, gold, labels), n=len(gold))


def cross_fitted_thresholds(
    folds: Mapping[str, tuple[np.ndarray, Sequence[str | None]]],
    labels: Sequence[str],
    grid: Sequence[float] = DEFAULT_GRID,
) -> dict[str, dict[str, float]]:
    """Per fold: the threshold tuned on the other folds' predictions and its F1 on this fold.

    Args:
        folds: ``{fold name: (probs [N, L], gold labels)}`` of each fold's validation set.

    Returns:
        ``{fold: {"threshold", "f1", "argmax_f1"}}``; a single fold is tuned on itself (and
        then optimistic), since there is nothing else to tune on.
    """
    out: dict[str, dict[str, float]] = {}
    for name, (probs, gold) in folds.items():
        others = [(p, g) for other, (p, g) in folds.items() if other != name] or [(probs, gold)]
        pooled = np.concatenate([np.asarray(p) for p, _ in others])
        pooled_gold = [label for _, g in others for label in g]
        choice = tune_threshold(pooled, pooled_gold, labels, grid)
        score = f1_at_thresholds(probs, gold, labels, [choice.threshold])[0]
        out[name] = {"threshold": choice.threshold, "f1": float(score),
                     "argmax_f1": _argmax_f1(probs, gold, labels)}
    return out
