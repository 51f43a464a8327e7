"""The packed batching mode: many examples per row, batches sized by their real tokens.

A padded batch computes ``len(batch) x longest`` tokens; a packed one computes (almost) only
the real ones: examples are laid end to end in a few rows (``collate_packed``), positions
restart at 0 for each example, and the model keeps the examples apart (a block-diagonal or
block-causal attention, or varlen attention, chosen by ``relx.models``).

Two planning questions are answered here, both by first-fit decreasing (FFD) on token counts:

* :meth:`PackedBatching.plan` cuts a stream of examples into batches under a real-token
  budget (inference, or training when the loop plans batches directly);
* :func:`split_by_budget` cuts the examples of *one optimizer step* into micro-batches under
  the budget, so the number of examples per optimizer step (the config's effective batch)
  keeps its meaning however the examples are packed into forwards (:func:`plan_steps` does
  both: steps of ``effective_batch`` examples, each split by the budget).
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from typing import Any

import torch

from relx.errors import ConfigError, ModelError
from relx.represent._batch import collate_packed
from relx.represent._batching import register_batching
from relx.represent._encode import EncodedExample

__all__ = [
    "DEFAULT_ROW_TOKENS",
    "PackedBatching",
    "first_fit_decreasing",
    "split_by_budget",
    "plan_steps",
]

#: Most tokens per packed row. Why a cap at all: varlen attention flattens the rows anyway
#: (rows cost nothing there), but the block-mask fallbacks compute ``rows x width^2``
#: attention scores, so shorter rows waste less; 2048 tokens hold 4-6 BioRED prompts
#: (p90 534 tokens), where first-fit decreasing leaves only a few per cent of padding.
#: ``RELX_PACKED_ROW_TOKENS`` overrides it (a measurement knob for bench/).
DEFAULT_ROW_TOKENS = 2048

#: When shuffling, batches are formed inside chunks of this many budgets' worth of examples,
#: so FFD fills them tightly yet each epoch mixes different neighbours.
_CHUNK_BATCHES = 32


def _check_positive(**values: int | None) -> None:
    for name, value in values.items():
        if value is not None and value < 1:
            raise ConfigError(f"{name} must be >= 1; got {value}", code="E207")


def first_fit_decreasing(
    lengths: Sequence[int],
    capacity: int,
    *,
    max_items: int | None = None,
    items: Sequence[int] | None = None,
) -> list[list[int]]:
    """Bins of item indices whose lengths sum to at most ``capacity`` (FFD; ties by index).

    An item longer than ``capacity`` gets a bin of its own (never dropped). Deterministic:
    items are placed longest first, equal lengths in the order given.

    Args:
        lengths: Length of every item (indexed by the values of ``items``).
        capacity: Most total length per bin.
        max_items: Most items per bin (``None``: unbounded).
        items: Which indices to place, in this order for ties (default: all).
    """
    _check_positive(capacity=capacity, max_items=max_items)
    order = list(range(len(lengths))) if items is None else list(items)
    order.sort(key=lambda i: -lengths[i])  # stable: ties keep the given order
    bins: list[list[int]] = []
    fill: list[int] = []
    for i in order:
        length = lengths[i]
        for b, used in enumerate(fill):
            if used + length <= capacity and (max_items is None or len(bins[b]) < max_items):
                bins[b].append(i)
                fill[b] += length
                break
        else:
            bins.append([i])
            fill.append(length)
    return bins


def split_by_budget(
    lengths: Sequence[int], budget: int | None, *, max_batch_size: int | None = None
) -> list[list[int]]:
    """Micro-batches of one optimizer step's examples, each under ``budget`` real tokens.

    The loop groups examples into optimizer steps of ``effective batch`` examples, then calls
    this to decide how many forwards the step takes: as few as FFD finds, each at most
    ``budget`` real tokens and ``max_batch_size`` examples. The gradient must then be the
    *sum* of per-example losses divided by the step's example count (not a mean of
    micro-batch means), so the step is the same whatever the split.

    Args:
        lengths: Token count of each example of the step (positions are the returned indices).
        budget: Real tokens per forward; ``None`` = one micro-batch (up to ``max_batch_size``).
        max_batch_size: Most examples per forward (``None``: unbounded).

    Returns:
        Lists of positions into ``lengths``; every position exactly once; the micro-batches
        in a deterministic order (the fullest first).
    """
    _check_positive(budget=budget, max_batch_size=max_batch_size)
    if not lengths:
        return []
    if budget is None:
        size = max_batch_size or len(lengths)
        return [list(range(i, min(i + size, len(lengths)))) for i in range(0, len(lengths), size)]
    bins = first_fit_decreasing(lengths, budget, max_items=max_batch_size)
    return [sorted(b) for b in bins]


def plan_steps(
    lengths: Sequence[int],
    *,
    effective_batch: int,
    budget: int | None,
    max_batch_size: int | None = None,
    shuffle: bool,
    seed: int,
) -> list[list[list[int]]]:
    """Optimizer steps of ``effective_batch`` examples, each split into micro-batches.

    The example order is a seeded permutation (``shuffle``) or the input order; the last
    step may hold fewer examples. Every index appears exactly once.

    Returns:
        ``steps[s][m]`` = example indices (into ``lengths``) of micro-batch ``m`` of step ``s``.
    """
    _check_positive(effective_batch=effective_batch)
    order = list(range(len(lengths)))
    if shuffle:
        random.Random(seed).shuffle(order)
    steps = []
    for start in range(0, len(order), effective_batch):
        members = order[start : start + effective_batch]
        parts = split_by_budget([lengths[i] for i in members], budget,
                                max_batch_size=max_batch_size)
        steps.append([[members[p] for p in part] for part in parts])
    return steps


def _row_tokens_from_env() -> int:
    value = os.environ.get("RELX_PACKED_ROW_TOKENS")
    if not value:
        return DEFAULT_ROW_TOKENS
    try:
        tokens = int(value)
    except ValueError:
        tokens = 0
    if tokens < 1:
        raise ConfigError(
            f"RELX_PACKED_ROW_TOKENS must be a positive integer; got {value!r}", code="E207"
        )
    return tokens


class PackedBatching:
    """Examples packed end to end into rows; a batch's cost is its real token count.

    Attributes:
        row_tokens: Most tokens per row (rows widen to the longest example when it is
            longer); ``None`` = :data:`DEFAULT_ROW_TOKENS` or ``RELX_PACKED_ROW_TOKENS``.
    """

    name = "packed"

    def __init__(self, row_tokens: int | None = None) -> None:
        _check_positive(row_tokens=row_tokens)
        self._row_tokens = row_tokens

    @property
    def row_tokens(self) -> int:
        return self._row_tokens if self._row_tokens is not None else _row_tokens_from_env()

    def cost(self, lengths: Sequence[int]) -> int:
        return int(sum(lengths))

    def plan(
        self,
        lengths: Sequence[int],
        *,
        max_tokens: int | None,
        max_batch_size: int,
        shuffle: bool,
        seed: int,
    ) -> list[list[int]]:
        """Batches of at most ``max_tokens`` real tokens and ``max_batch_size`` examples.

        Training (``shuffle``): a seeded permutation, cut into chunks of about
        ``_CHUNK_BATCHES`` budgets, each chunk packed by FFD, then the batches shuffled.
        Inference: FFD over all examples, longest first (memory peaks show up at once).
        Without a budget: ``max_batch_size`` examples per batch (seeded shuffle or by length).
        """
        _check_positive(max_batch_size=max_batch_size, max_tokens=max_tokens)
        n = len(lengths)
        rng = random.Random(seed)
        order = list(range(n))
        if shuffle:
            rng.shuffle(order)
        if max_tokens is None:
            if not shuffle:
                order.sort(key=lambda i: -lengths[i])
            return [order[i : i + max_batch_size] for i in range(0, n, max_batch_size)]
        if shuffle:
            mean = max(1.0, sum(lengths) / max(n, 1))
            per_chunk = max(max_batch_size, int(_CHUNK_BATCHES * max_tokens / mean))
            chunks = [order[i : i + per_chunk] for i in range(0, n, per_chunk)]
        else:
            chunks = [order]
        batches: list[list[int]] = []
        for chunk in chunks:
            batches.extend(
                first_fit_decreasing(lengths, max_tokens, max_items=max_batch_size, items=chunk)
            )
        if shuffle:
            rng.shuffle(batches)
        return batches

    def plan_steps(
        self,
        lengths: Sequence[int],
        *,
        batch_size: int,
        grad_accum_steps: int,
        num_processes: int,
        max_tokens: int | None,
        seed: int,
    ) -> list[list[list[int]]]:
        """Steps of ``batch_size x grad_accum_steps x num_processes`` examples (the effective
        batch keeps its meaning), each split into micro-batches of at most ``max_tokens``
        real tokens (:func:`split_by_budget`; no example cap under a budget, ``batch_size``
        examples per micro-batch without one).

        Under several processes a step's examples are first dealt longest-first to one shard
        per process, and each shard is split on its own, so every rank gets work of about
        the same size; micro-batches are interleaved so that rank ``r`` takes ``r, r+P, ...``.
        """
        _check_positive(batch_size=batch_size, grad_accum_steps=grad_accum_steps,
                        num_processes=num_processes)
        effective = batch_size * grad_accum_steps * num_processes
        max_items = None if max_tokens is not None else batch_size
        steps = plan_steps(lengths, effective_batch=effective, budget=max_tokens,
                           max_batch_size=max_items, shuffle=True, seed=seed)
        if num_processes == 1:
            return steps
        out = []
        for step in steps:
            members = sorted((i for micro in step for i in micro), key=lambda i: -lengths[i])
            shards = [members[r::num_processes] for r in range(num_processes)]
            parts = [
                [[shard[p] for p in part] for part in split_by_budget(
                    [lengths[i] for i in shard], max_tokens, max_batch_size=max_items)]
                for shard in shards
            ]
            rounds = max(len(p) for p in parts)
            out.append([p[k] for k in range(rounds) for p in parts if k < len(p)])
        return out

    def collate(
        self,
        examples: Sequence[EncodedExample],
        *,
        pad_token_id: int,
        pool: str | None = None,
    ) -> dict[str, torch.Tensor]:
        """``collate_packed`` into rows of at most :attr:`row_tokens` (or the longest example).

        ``pool`` is required here: in a packed row the model cannot tell from the attention
        mask which token of an example is its first or last, so the caller names it
        (``"last"`` for decoders, ``"first"`` for encoders; ``RelationClassifier.pool``).
        """
        if pool is None:
            raise ConfigError(
                "packed batches need pool='last' (decoders) or pool='first' (encoders); pass"
                " pool=model.pool to the batching mode's collate",
                code="E207",
            )
        longest = max((len(ex.input_ids) for ex in examples), default=1)
        return collate_packed(
            examples,
            pad_token_id=pad_token_id,
            max_tokens_per_row=max(self.row_tokens, longest),
            pool=pool,  # type: ignore[arg-type]
        )

    def check_model(self, model: Any) -> None:
        """Raise ``ModelError`` [E313] unless ``model`` keeps packed examples apart."""
        check = getattr(model, "check_packed", None)
        if check is None:
            raise ModelError(
                f"train.batching: packed needs a relx RelationClassifier (it keeps packed"
                f" examples apart); got {type(model).__name__}; use train.batching: padded",
                code="E313",
            )
        check()


register_batching(PackedBatching())
