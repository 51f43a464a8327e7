"""Several encodings ("views") of one example, averaged: the inference side of symmetric pairs.

The input stream holds ``views`` consecutive encodings per example (``relx.represent``'s
``both_orders``: the pair, then the pair with A and B swapped). The probabilities are those
of :func:`relx.models.iter_probabilities` (type-pair mask applied per view), averaged over
each group of ``views`` rows, so callers see one row per example, exactly as with one view.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import torch

from relx.errors import ConfigError
from relx.models._inference import ProbabilityChunk, iter_probabilities

__all__ = ["iter_view_probabilities", "predict_view_probabilities"]


def iter_view_probabilities(
    model: Any, examples: Iterable[Any], *, views: int = 1, window: int = 4096, **kwargs: Any
) -> Iterator[ProbabilityChunk]:
    """:func:`iter_probabilities` with the rows of each group of ``views`` averaged.

    ``start`` and ``n_labelled`` count examples (not views); ``loss_sum`` is the mean over
    the views of each example's loss, summed. ``views=1`` is :func:`iter_probabilities`.
    """
    if views < 1:
        raise ConfigError(f"views must be >= 1; got {views}", code="E508")
    if views == 1:
        yield from iter_probabilities(model, examples, window=window, **kwargs)
        return
    for chunk in iter_probabilities(model, examples, window=window * views, **kwargs):
        n = chunk.probs.shape[0]
        if n % views:
            raise ConfigError(f"the input holds {n} encodings, not {views} per example",
                              code="E508")
        probs = chunk.probs.reshape(n // views, views, -1).mean(dim=1)
        yield ProbabilityChunk(start=chunk.start // views, probs=probs,
                               loss_sum=chunk.loss_sum / views,
                               n_labelled=chunk.n_labelled // views)


def predict_view_probabilities(model: Any, examples: Iterable[Any], *, views: int = 1,
                               **kwargs: Any) -> tuple[torch.Tensor, float]:
    """All averaged probabilities ``[N, num_labels]`` and the mean loss of the labelled."""
    chunks = list(iter_view_probabilities(model, examples, views=views, **kwargs))
    num_labels = int(model.num_labels)
    probs = torch.cat([c.probs for c in chunks]) if chunks else torch.zeros(0, num_labels)
    n_labelled = sum(c.n_labelled for c in chunks)
    return probs, sum(c.loss_sum for c in chunks) / max(n_labelled, 1)
