"""Training curves read robustly: smoothed loss windows and what validation says.

Why medians of windows: with balanced class weights a single step whose batch holds a rare
class weighs 10-70x a typical one, so one step (the first, or a spike in the last quarter)
decides nothing. A window median ignores those spikes and still moves when the loss moves.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from relx.diagnose._thresholds import LOSS_WINDOW_MIN, LOSS_WINDOW_SHARE, VAL_LEARNED_F1, VAL_LEARNED_GAIN

__all__ = ["LossTrend", "constant_predictor_f1", "loss_trend", "rolling_median", "validation_learned"]


def rolling_median(values: list[float], window: int) -> list[float]:
    """Centred rolling median (shorter windows at the ends): the curve a reader should see."""
    if window <= 1 or len(values) < 3:
        return list(values)
    half = window // 2
    return [statistics.median(values[max(0, i - half): i + half + 1]) for i in range(len(values))]


@dataclass
class LossTrend:
    """Medians of the first, second-to-last and last windows of the training loss.

    Attributes:
        window: Steps per window.
        start: Median of the first window.
        before_end: Median of the window before the last one.
        end: Median of the last window.
        records: Number of loss records.
    """

    window: int
    start: float
    before_end: float
    end: float
    records: int

    @property
    def total_drop(self) -> float:
        """Relative drop start -> end (negative when the loss rose)."""
        return (self.start - self.end) / self.start if self.start else 0.0

    @property
    def end_drop(self) -> float:
        """Relative drop over the last window (still falling when large)."""
        return (self.before_end - self.end) / self.before_end if self.before_end else 0.0

    def to_json(self) -> dict[str, Any]:
        """Evidence form."""
        return {"window": self.window, "start_median": self.start, "before_end_median": self.before_end,
                "end_median": self.end, "relative_drop_total": self.total_drop,
                "relative_drop_last_window": self.end_drop, "records": self.records}


def loss_trend(losses: list[float]) -> LossTrend | None:
    """The smoothed trend of a loss curve, or None with too few records for two windows."""
    window = max(LOSS_WINDOW_MIN, int(len(losses) * LOSS_WINDOW_SHARE))
    if len(losses) < 2 * window:
        return None
    return LossTrend(
        window=window,
        start=statistics.median(losses[:window]),
        before_end=statistics.median(losses[-2 * window:-window]),
        end=statistics.median(losses[-window:]),
        records=len(losses),
    )


def constant_predictor_f1(gold_counts: dict[str, int], *, negative: str) -> float | None:
    """The best micro-F1 (over the positive labels) of predicting one label for every pair.

    The chance level a trained model must clear: predicting positive label ``c`` everywhere
    gives precision ``s_c`` (its share of all pairs) and recall ``s_c / pos`` (``pos``: the
    share of positive pairs), so F1 ``2 s_c / (1 + pos)``; predicting ``negative`` gives 0.
    ``None`` without gold labels.
    """
    n = sum(gold_counts.values())
    if n == 0:
        return None
    positive = {label: c for label, c in gold_counts.items() if label != negative}
    pos = sum(positive.values()) / n
    return max((2 * (c / n) / (1 + pos) for c in positive.values()), default=0.0)


def validation_learned(f1s: list[float], *, chance_f1: float | None = None) -> tuple[bool | None, str]:
    """Whether validation F1 shows learning: ``(None, why)`` without evaluations.

    Learned: a best F1 of at least ``VAL_LEARNED_F1``, or ``VAL_LEARNED_GAIN`` above the
    baseline. The baseline is the chance level (:func:`constant_predictor_f1` of the
    validation gold labels) when known: the first evaluation may come after most of the
    training (one evaluation at a step cap, or an epoch of a fast-learning encoder), so "it
    rose from the first evaluation" alone calls a model that learned early "not learning".
    """
    if not f1s:
        return None, "no validation F1 recorded"
    best, first = max(f1s), f1s[0]
    if best >= VAL_LEARNED_F1:
        return True, f"best validation F1 {best:.3f} >= {VAL_LEARNED_F1}"
    if len(f1s) > 1 and best - first >= VAL_LEARNED_GAIN:
        return True, f"validation F1 rose {first:.3f} -> {best:.3f}"
    if chance_f1 is not None:
        if best - chance_f1 >= VAL_LEARNED_GAIN:
            return True, (f"best validation F1 {best:.3f} is {best - chance_f1:.3f} above chance "
                          f"({chance_f1:.3f}: one label predicted for every pair)")
        where = "below" if best < chance_f1 else f"less than {VAL_LEARNED_GAIN} above"
        return False, (f"best validation F1 {best:.3f} is {where} chance ({chance_f1:.3f}: one "
                       "label predicted for every pair)")
    if len(f1s) == 1:
        return None, (f"one validation F1 ({best:.3f}) and no gold labels to place it against "
                      "chance: no trajectory to judge")
    return False, f"validation F1 stayed at {first:.3f} -> best {best:.3f}"
