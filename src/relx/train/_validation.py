"""Training-time validation: probabilities through the one inference path, scored by the task.

The probabilities come from ``relx.models.predict_probabilities`` (the same path as
``relx eval --data``, ``relx predict`` and ``relx doctor``), so the numbers training selects
the best checkpoint on are the numbers users get from the saved model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["MINIMISED", "validate", "score_probabilities", "is_better"]

#: Metrics where lower is better; the others are maximised.
MINIMISED = frozenset({"loss"})


def score_probabilities(
    probs: torch.Tensor,
    examples: Sequence[Any],
    *,
    task: Any,
    labels: Sequence[str],
    loss: float,
) -> dict[str, Any]:
    """The task's metrics of the arg-max predictions, plus the validation loss."""
    pred = [labels[i] for i in probs.argmax(dim=-1).tolist()]
    gold = [task.target(ex) for ex in examples]
    return {**task.score(gold, pred, labels), "loss": loss}


def validate(
    model: Any,
    inputs: Sequence[Any],
    examples: Sequence[Any],
    *,
    task: Any,
    labels: Sequence[str],
    pad_token_id: int,
    device: Any,
    batching: Any,
    mask: Any,
    max_batch_size: int,
    max_tokens_per_batch: int | None = None,
    views: int = 1,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Probabilities of the encoded ``inputs`` (aligned with ``examples``) and their metrics.

    Batches planned by the run's batching mode, length-sorted, under ``max_tokens_per_batch``
    (``train.eval_max_tokens``) or of ``max_batch_size`` examples; the recipe passes the same
    arguments at training time and at the reload (``relx.train._recipe.validation_batching``),
    so both see identical batches. The loss is computed before the type-pair mask (the
    model's own calibration), the probabilities after. ``views``: encodings per example in
    ``inputs`` (symmetric pairs: 2), averaged.
    """
    from relx.models import predict_view_probabilities

    probs, loss = predict_view_probabilities(
        model,
        inputs,
        pad_token_id=pad_token_id,
        device=device,
        batching=batching,
        max_tokens_per_batch=max_tokens_per_batch,
        max_batch_size=max_batch_size,
        window=max(len(inputs), 1),
        mask=mask,
        views=views,
    )
    return probs, score_probabilities(probs, examples, task=task, labels=labels, loss=loss)


def is_better(metrics: dict[str, Any], best: dict[str, Any] | None, metric: str) -> bool:
    """The best-checkpoint rule: a better ``metric``; on a tie, a lower validation loss.

    The tie-break matters early on, when several evaluations all score F1 = 0: the model
    with the lower loss is the more trained one, not the first.
    """
    if best is None:
        return True
    value, previous = metrics[metric], best[metric]
    if metric in MINIMISED:
        return value < previous
    return value > previous or (value == previous and metrics["loss"] < best["loss"])
