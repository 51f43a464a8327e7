"""Batching modes: how encoded examples become the batches a model computes.

A run chooses its mode once (``train.batching``); the training loop and the one inference
path (``relx.models.iter_probabilities``) only call the mode's four methods, so a new mode
is a new class plus :func:`register_batching`, with no edit inside the loop.

Each mode's token budget counts what that mode computes: a padded batch computes
``len(batch) x longest`` tokens, a packed one the real tokens. Planning with the mode's own
:meth:`BatchingMode.cost` is what keeps the padded mode's batches exactly as they were before
modes existed (``length_grouped_batches`` under a padded-token budget).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from relx.errors import ConfigError
from relx.represent._batch import collate_padded, length_grouped_batches
from relx.represent._encode import EncodedExample

__all__ = [
    "BatchingMode",
    "PaddedBatching",
    "register_batching",
    "get_batching",
    "batching_names",
]


@runtime_checkable
class BatchingMode(Protocol):
    """The contract of a batching mode (docs/architecture.md, "Batching modes")."""

    #: The name a config gives in ``train.batching``.
    name: str

    def cost(self, lengths: Sequence[int]) -> int:
        """Tokens this mode computes for one batch of examples with these lengths."""
        ...

    def plan(
        self,
        lengths: Sequence[int],
        *,
        max_tokens: int | None,
        max_batch_size: int,
        shuffle: bool,
        seed: int,
    ) -> list[list[int]]:
        """Batches of example indices (every index once), deterministic for ``seed``."""
        ...

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
        """One training epoch: ``steps[s][m]`` = example indices of micro-batch ``m`` of
        optimizer step ``s`` (all processes; the loop gives rank ``r`` micro-batches
        ``r, r + P, ...``). Every index once, deterministic for ``seed``."""
        ...

    def collate(
        self,
        examples: Sequence[EncodedExample],
        *,
        pad_token_id: int,
        pool: str | None = None,
    ) -> dict[str, torch.Tensor]:
        """One batch in the batch contract (docs/architecture.md, "Batch contract")."""
        ...

    def check_model(self, model: Any) -> None:
        """Raise ``ModelError`` at setup when ``model`` cannot take this mode's batches."""
        ...


class PaddedBatching:
    """One example per row, right-padded: what every attention implementation accepts.

    With a token budget, batches are length-grouped (similar lengths share a batch, so little
    compute goes to padding); without one, a seeded shuffle cut into ``max_batch_size``
    chunks (the users' setup) for training, input order for inference.
    """

    name = "padded"

    def cost(self, lengths: Sequence[int]) -> int:
        return max(lengths, default=0) * len(lengths)

    def plan(
        self,
        lengths: Sequence[int],
        *,
        max_tokens: int | None,
        max_batch_size: int,
        shuffle: bool,
        seed: int,
    ) -> list[list[int]]:
        if max_batch_size < 1:
            raise ConfigError(
                f"max_batch_size must be >= 1; got {max_batch_size}", code="E207"
            )
        if max_tokens is not None:
            return [
                list(batch)
                for batch in length_grouped_batches(
                    list(lengths),
                    max_tokens_per_batch=max_tokens,
                    max_batch_size=max_batch_size,
                    shuffle=shuffle,
                    seed=seed,
                )
            ]
        if shuffle:
            order = np.random.default_rng(seed).permutation(len(lengths)).tolist()
        else:
            # Inference without a budget: sorted by length, so padding stays small (shortest
            # first, as training-time validation has always batched).
            order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        return [order[i : i + max_batch_size] for i in range(0, len(order), max_batch_size)]

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
        """The epoch's shuffled :meth:`plan`, cut into windows of ``grad_accum_steps x
        num_processes`` batches (one window = one optimizer step; the last may be short)."""
        plan = self.plan(lengths, max_tokens=max_tokens, max_batch_size=batch_size,
                         shuffle=True, seed=seed)
        window = grad_accum_steps * num_processes
        return [plan[i : i + window] for i in range(0, len(plan), window)]

    def collate(
        self,
        examples: Sequence[EncodedExample],
        *,
        pad_token_id: int,
        pool: str | None = None,
    ) -> dict[str, torch.Tensor]:
        return collate_padded(examples, pad_token_id=pad_token_id, padding_side="right",
                              pool=pool)  # type: ignore[arg-type]

    def check_model(self, model: Any) -> None:
        return None  # every backbone takes padded rows


_REGISTRY: dict[str, BatchingMode] = {}


def register_batching(mode: BatchingMode, *, replace: bool = False) -> BatchingMode:
    """Make ``mode`` available as ``train.batching: <mode.name>``."""
    if mode.name in _REGISTRY and not replace:
        raise ValueError(f"batching mode {mode.name!r} is registered already")
    _REGISTRY[mode.name] = mode
    return mode


def get_batching(name: str | BatchingMode) -> BatchingMode:
    """The registered mode called ``name`` (a mode object is returned as it is).

    Raises:
        ConfigError: [E207] no mode of that name.
    """
    if not isinstance(name, str):
        return name
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"train.batching: expected one of {batching_names()}; got {name!r}",
            code="E207",
        ) from None


def batching_names() -> list[str]:
    """Registered batching mode names, in registration order."""
    return list(_REGISTRY)


register_batching(PaddedBatching())
