"""The one inference path: encoded examples in, class probabilities out, window by window.

Training-time validation, ``relx eval --data``, ``relx predict`` and ``relx doctor`` all call
:func:`iter_probabilities` (or :func:`predict_probabilities`, which concatenates it), so the
same model and input give the same numbers wherever they are computed.

The input is consumed lazily, ``window`` examples at a time. Inside a window the batching
mode plans batches (length-sorted, never shuffled), and the results are put back in input
order before the window is yielded, so a consumer can write predictions as they come and
memory is bounded by the window, not by the corpus.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import torch
import torch.nn.functional as F

from relx.errors import ConfigError

__all__ = ["ProbabilityChunk", "iter_probabilities", "predict_probabilities"]


@dataclass(frozen=True)
class ProbabilityChunk:
    """Probabilities of consecutive examples of the input stream.

    Attributes:
        start: Position of the chunk's first example in the input stream.
        probs: ``[n, num_labels]`` float32 on the CPU, after the type-pair mask, input order.
        loss_sum: Summed cross-entropy of the labelled examples (logits before the mask: the
            model's own calibration).
        n_labelled: How many of the chunk's examples carry a label.
    """

    start: int
    probs: torch.Tensor
    loss_sum: float
    n_labelled: int


def iter_probabilities(
    model: Any,
    examples: Iterable[Any],
    *,
    pad_token_id: int,
    device: torch.device | str,
    batching: Any = "padded",
    max_tokens_per_batch: int | None = None,
    max_batch_size: int = 32,
    window: int = 4096,
    mask: Any = None,
) -> Iterator[ProbabilityChunk]:
    """Yield class probabilities of ``examples`` (``EncodedExample``), one window at a time.

    Args:
        model: A ``RelationClassifier`` (or anything taking a batch dict, with ``num_labels``).
        examples: Encoded examples; any iterable, read lazily.
        pad_token_id: The tokenizer's pad id (only written into padded positions).
        device: Where the model runs; batches are moved there.
        batching: A batching mode or its registered name (``relx.represent.get_batching``).
        max_tokens_per_batch: The mode's token budget per forward pass; ``None`` = batches of
            ``max_batch_size`` examples.
        max_batch_size: Most examples per forward pass.
        window: Examples read, predicted and yielded together (bounds memory).
        mask: A ``TypePairMask`` applied to the logits (``NOT`` always allowed), or ``None``.

    Yields:
        :class:`ProbabilityChunk` objects, in input order, covering every example once.
    """
    from relx.represent import get_batching

    if window < 1:
        raise ConfigError(f"window must be >= 1; got {window}", code="E508")
    mode = get_batching(batching)
    was_training = model.training
    model.eval()
    iterator = iter(examples)
    start = 0
    try:
        with torch.inference_mode():
            while True:
                chunk = list(islice(iterator, window))
                if not chunk:
                    break
                yield _predict_window(
                    model,
                    chunk,
                    start=start,
                    mode=mode,
                    pad_token_id=pad_token_id,
                    device=device,
                    max_tokens=max_tokens_per_batch,
                    max_batch_size=max_batch_size,
                    mask=mask,
                )
                start += len(chunk)
    finally:
        model.train(was_training)


def _predict_window(
    model: Any,
    chunk: Sequence[Any],
    *,
    start: int,
    mode: Any,
    pad_token_id: int,
    device: torch.device | str,
    max_tokens: int | None,
    max_batch_size: int,
    mask: Any,
) -> ProbabilityChunk:
    plan = mode.plan(
        [len(ex.input_ids) for ex in chunk],
        max_tokens=max_tokens,
        max_batch_size=max_batch_size,
        shuffle=False,
        seed=0,
    )
    # Results stay on the device until the window is done: one device-to-host copy per
    # window, not a sync per batch (the labels' validity is known on the host already).
    parts: list[torch.Tensor] = []
    losses: list[torch.Tensor] = []
    n_labelled = 0
    for idx in plan:
        members = [chunk[i] for i in idx]
        batch = mode.collate(members, pad_token_id=pad_token_id, pool=getattr(model, "pool", None))
        labels = batch.pop("labels", None)
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        logits = model(batch).float()
        if labels is not None:
            valid = labels >= 0
            n_valid = int(valid.sum())
            if n_valid:
                keep = valid.nonzero().flatten().to(logits.device)
                target = labels[valid].to(logits.device)
                losses.append(F.cross_entropy(logits.index_select(0, keep), target,
                                              reduction="sum").double())
                n_labelled += n_valid
        if mask is not None:
            logits = mask.apply(logits, [ex.type_pair for ex in members])
        parts.append(torch.softmax(logits, dim=-1))
    probs = torch.zeros(len(chunk), model.num_labels)
    order = torch.tensor([i for idx in plan for i in idx], dtype=torch.long)
    if parts:
        probs[order] = torch.cat(parts).cpu()
    # float64 sum of float32 per-batch sums: the same number as summing Python floats
    loss_sum = float(torch.stack(losses).sum().cpu()) if losses else 0.0
    return ProbabilityChunk(start=start, probs=probs, loss_sum=loss_sum, n_labelled=n_labelled)


def predict_probabilities(
    model: Any,
    examples: Iterable[Any],
    **kwargs: Any,
) -> tuple[torch.Tensor, float]:
    """All probabilities ``[N, num_labels]`` in input order and the mean loss of the labelled.

    :func:`iter_probabilities` concatenated (same arguments): for validation sets that fit in
    memory. The mean loss is 0.0 when no example is labelled.
    """
    chunks = list(iter_probabilities(model, examples, **kwargs))
    num_labels = int(model.num_labels)
    probs = torch.cat([c.probs for c in chunks]) if chunks else torch.zeros(0, num_labels)
    loss_sum = sum(c.loss_sum for c in chunks)
    n_labelled = sum(c.n_labelled for c in chunks)
    return probs, loss_sum / max(n_labelled, 1)
