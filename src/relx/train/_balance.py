"""Class balance of the training signal: loss weights per class and ``NOT`` down-sampling.

Both act at setup, not in the loop body: the weights are one tensor handed to the loss
(``train.class_weights``), the down-sampling decides which examples each epoch's batch plan
holds (``train.negative_sample``), so the loop trains on whatever plan it is given.

- ``balanced``: sklearn's ``n / (K * count)``; ``sqrt``: its square root, a milder
  re-weighting that boosts rare classes without letting one rare example dominate a step.
- ``negative_sample = s``: each epoch keeps ``round(s * n_NOT)`` ``NOT`` pairs (at least one)
  drawn from ``seed + epoch``, every positive pair, then plans batches over them, so the
  plan is recomputed exactly on resume and every epoch sees other negatives.
"""

from __future__ import annotations

from typing import Any

from collections.abc import Callable, Sequence

import numpy as np
import torch

__all__ = ["class_weight_tensor", "plan_epoch", "WEIGHTINGS"]

WEIGHTINGS: tuple[str, ...] = ("none", "balanced", "sqrt")


def class_weight_tensor(mode: str, label_ids: Sequence[int], num_labels: int
                        ) -> torch.Tensor | None:
    """Per-class loss weights for ``mode`` (``None`` = unweighted); absent classes get 1."""
    if mode == "none":
        return None
    if mode not in WEIGHTINGS:
        raise ValueError(f"class_weights must be one of {WEIGHTINGS}; got {mode!r}")
    counts = np.bincount(np.asarray(label_ids, dtype=np.int64), minlength=num_labels)
    present = counts > 0
    weights = np.ones(num_labels, dtype=np.float64)
    weights[present] = len(label_ids) / (present.sum() * counts[present])
    if mode == "sqrt":
        weights = np.sqrt(weights)
    return torch.tensor(weights, dtype=torch.float32)


def kept_indices(label_ids: Sequence[int], *, negative_id: int, share: float, seed: int
                 ) -> list[int]:
    """Every non-negative example plus a seeded ``share`` of the negatives, in input order."""
    labels = np.asarray(label_ids, dtype=np.int64)
    negatives = np.flatnonzero(labels == negative_id)
    n_keep = min(len(negatives), max(1, round(share * len(negatives)))) if len(negatives) else 0
    chosen = np.random.default_rng(seed).choice(negatives, size=n_keep, replace=False)
    keep = np.ones(len(labels), dtype=bool)
    keep[negatives] = False
    keep[chosen] = True
    return np.flatnonzero(keep).tolist()


def plan_epoch(
    lengths: Sequence[int],
    label_ids: Sequence[int],
    *,
    negative_id: int | None,
    share: float | None,
    seed: int,
    planner: Callable[[Sequence[int], int], list[Any]],
) -> list[Any]:
    """One epoch's plan (nested lists of indices into ``lengths``: batches, or steps of
    micro-batches): ``planner(lengths, seed)`` over all examples, or over the epoch's
    down-sampled subset when ``share`` is set, its indices mapped back."""
    if share is None or share >= 1.0 or negative_id is None:
        return planner(list(lengths), seed)
    kept = kept_indices(label_ids, negative_id=negative_id, share=share, seed=seed)

    def back(node: Any) -> Any:
        return kept[node] if isinstance(node, int) else [back(child) for child in node]

    return back(planner([lengths[i] for i in kept], seed))
