"""Batching encoded examples: padded and packed batches, and length-grouped batch plans.

Every batch follows one contract (docs/architecture.md, "Batch contract"): the model gathers
the hidden states it reads at flat indices into the ``[R*T, H]`` states, so it never derives
positions from pad ids (pad = eos breaks that) and never cares whether the batch is padded
left, right, or packed. ``pool_index`` is computed here from the true lengths.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

import torch

from relx.errors import ConfigError
from relx.represent._encode import IGNORE_LABEL, EncodedExample

__all__ = ["collate_padded", "collate_packed", "length_grouped_batches"]

Pool = Literal["last", "first"]


def _check_pad(pad_token_id: int | None) -> int:
    if not isinstance(pad_token_id, int) or isinstance(pad_token_id, bool) or pad_token_id < 0:
        raise ConfigError(
            f"pad_token_id must be a non-negative int; got {pad_token_id!r}. Set the tokenizer's "
            "pad token (relx.models.build_classifier does this) and pass tokenizer.pad_token_id.",
            code="E207",
        )
    return pad_token_id


def _check_pool(pool: str | None, *, optional: bool) -> None:
    if pool is None and optional:
        return
    if pool not in ("last", "first"):
        raise ConfigError(
            f"pool must be 'last' (decoders: last real token) or 'first' (encoders: [CLS]); "
            f"got {pool!r}.",
            code="E207",
        )


def _labels(examples: Sequence[EncodedExample]) -> torch.Tensor | None:
    labels = [ex.label for ex in examples]
    if all(label == IGNORE_LABEL for label in labels):
        return None  # prediction batch: the contract says ``labels`` is absent
    return torch.tensor(labels, dtype=torch.long)


def collate_padded(
    examples: Sequence[EncodedExample],
    *,
    pad_token_id: int,
    padding_side: Literal["right", "left"] = "right",
    pool: Pool | None = None,
    pad_to_multiple_of: int | None = None,
) -> dict[str, torch.Tensor]:
    """Pad examples into one ``[N, T]`` batch (one example per row).

    Args:
        examples: Encoded examples.
        pad_token_id: Id written in padded positions (never used to find positions).
        padding_side: ``"right"`` or ``"left"``; results must not depend on it, and the
            model tests check that they don't.
        pool: Which token ``pool_index`` points at: ``"last"`` real token (decoders) or
            ``"first"`` token (encoders' ``[CLS]``). ``None`` (default) leaves
            ``pool_index`` out, and the model derives it from ``attention_mask`` by its own
            kind, so an encoder can never be read at its last token by a forgotten argument.
        pad_to_multiple_of: Round ``T`` up (e.g. 8 for tensor cores).

    Returns:
        ``input_ids``, ``attention_mask`` ``[N, T]``; ``pool_index`` ``[N]`` (when ``pool``
        is given) and ``entity_index`` ``[N, 2]`` as flat indices into ``N*T``; ``labels``
        ``[N]`` unless every example is unlabelled.

    Raises:
        ConfigError: ``[E207]`` bad ``pad_token_id``, ``padding_side``, ``pool`` or an empty batch.
    """
    pad = _check_pad(pad_token_id)
    _check_pool(pool, optional=True)
    if padding_side not in ("right", "left"):
        raise ConfigError(
            f"padding_side must be 'right' or 'left'; got {padding_side!r}.", code="E207"
        )
    if not examples:
        raise ConfigError(
            "collate_padded got an empty batch; expected at least one example.", code="E207"
        )
    n = len(examples)
    width = max(len(ex.input_ids) for ex in examples)
    if pad_to_multiple_of:
        width = -(-width // pad_to_multiple_of) * pad_to_multiple_of
    input_ids = torch.full((n, width), pad, dtype=torch.long)
    attention_mask = torch.zeros((n, width), dtype=torch.long)
    pool_index = torch.empty(n, dtype=torch.long)
    entity_index = torch.empty((n, 2), dtype=torch.long)
    for row, ex in enumerate(examples):
        length = len(ex.input_ids)
        start = 0 if padding_side == "right" else width - length
        input_ids[row, start : start + length] = torch.tensor(ex.input_ids, dtype=torch.long)
        attention_mask[row, start : start + length] = 1
        base = row * width + start
        pool_index[row] = base + (0 if pool == "first" else length - 1)
        entity_index[row, 0] = base + ex.entity_token_index[0]
        entity_index[row, 1] = base + ex.entity_token_index[1]
    batch = {"input_ids": input_ids, "attention_mask": attention_mask}
    if pool is not None:
        batch["pool_index"] = pool_index
    batch["entity_index"] = entity_index
    labels = _labels(examples)
    if labels is not None:
        batch["labels"] = labels
    return batch


def collate_packed(
    examples: Sequence[EncodedExample],
    *,
    pad_token_id: int,
    max_tokens_per_row: int,
    pool: Pool,
) -> dict[str, torch.Tensor]:
    """Pack many examples per row (first-fit decreasing), one label per example.

    ``position_ids`` restart at 0 for each example, and ``pool_index``/``entity_index`` point
    into the packed rows, so the loss is unchanged (the batch contract). Packing removes
    nearly all padding. Examples in one row must not see each other: ``relx.models`` keeps
    them apart when a batch carries ``position_ids`` (block-diagonal/block-causal masks); a
    plain transformers model given only the 2-D ``attention_mask`` would not.

    Raises:
        ConfigError: ``[E207]`` bad arguments, or an example longer than ``max_tokens_per_row``.
    """
    pad = _check_pad(pad_token_id)
    _check_pool(pool, optional=False)
    if not examples:
        raise ConfigError(
            "collate_packed got an empty batch; expected at least one example.", code="E207"
        )
    longest = max(len(ex.input_ids) for ex in examples)
    if longest > max_tokens_per_row:
        raise ConfigError(
            f"max_tokens_per_row={max_tokens_per_row} is shorter than the longest example "
            f"({longest} tokens); raise it to at least {longest}.",
            code="E207",
        )
    rows: list[list[int]] = []  # example indices per row
    fill: list[int] = []
    for i in sorted(range(len(examples)), key=lambda k: (-len(examples[k].input_ids), k)):
        length = len(examples[i].input_ids)
        for r, used in enumerate(fill):
            if used + length <= max_tokens_per_row:
                rows[r].append(i)
                fill[r] += length
                break
        else:
            rows.append([i])
            fill.append(length)
    width = max(fill)
    n_rows = len(rows)
    input_ids = torch.full((n_rows, width), pad, dtype=torch.long)
    attention_mask = torch.zeros((n_rows, width), dtype=torch.long)
    position_ids = torch.zeros((n_rows, width), dtype=torch.long)
    pool_index = torch.empty(len(examples), dtype=torch.long)
    entity_index = torch.empty((len(examples), 2), dtype=torch.long)
    for r, members in enumerate(rows):
        start = 0
        for i in members:
            ex = examples[i]
            length = len(ex.input_ids)
            input_ids[r, start : start + length] = torch.tensor(ex.input_ids, dtype=torch.long)
            attention_mask[r, start : start + length] = 1
            position_ids[r, start : start + length] = torch.arange(length)
            base = r * width + start
            pool_index[i] = base + (length - 1 if pool == "last" else 0)
            entity_index[i, 0] = base + ex.entity_token_index[0]
            entity_index[i, 1] = base + ex.entity_token_index[1]
            start += length
    batch = {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "position_ids": position_ids,
        "pool_index": pool_index,
        "entity_index": entity_index,
    }
    labels = _labels(examples)
    if labels is not None:
        batch["labels"] = labels
    return batch


#: Batches are formed inside mega-chunks of this many max-size batches when shuffling, so
#: batches hold similar lengths yet each epoch sees different neighbours (the idea of
#: transformers' LengthGroupedSampler).
_MEGABATCH_FACTOR = 50


def length_grouped_batches(
    lengths: Sequence[int],
    *,
    max_tokens_per_batch: int,
    max_batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
) -> list[list[int]]:
    """Plan batches of similar length under a padded-token budget.

    A batch's cost is ``len(batch) * longest`` (what padding makes it); grouping by length
    keeps that close to the real token count instead of padding every input to 512.

    Args:
        lengths: Token length per example.
        max_tokens_per_batch: Budget on ``len(batch) * longest`` per batch; an example longer
            than the budget gets a batch of its own.
        max_batch_size: Most examples per batch.
        shuffle: Randomize which examples meet and the batch order (training); without it
            batches run longest first (evaluation: memory peaks show up at once).
        seed: Seed for ``shuffle``; pass ``seed + epoch`` for a new order per epoch.

    Returns:
        Lists of example indices; every index appears exactly once.

    Raises:
        ConfigError: ``[E207]`` non-positive budget or batch size.
    """
    if max_tokens_per_batch < 1 or max_batch_size < 1:
        raise ConfigError(
            f"max_tokens_per_batch and max_batch_size must be >= 1; got {max_tokens_per_batch} "
            f"and {max_batch_size}.",
            code="E207",
        )
    order = list(range(len(lengths)))
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(order)
        chunk = max_batch_size * _MEGABATCH_FACTOR
        groups = [order[i : i + chunk] for i in range(0, len(order), chunk)]
    else:
        groups = [order]
    batches: list[list[int]] = []
    for group in groups:
        group = sorted(group, key=lambda i: -lengths[i])  # stable: ties keep their order
        batch: list[int] = []
        longest = 0
        for i in group:
            width = max(longest, lengths[i])
            full = len(batch) >= max_batch_size or (len(batch) + 1) * width > max_tokens_per_batch
            if batch and full:
                batches.append(batch)
                batch, width = [], lengths[i]
            batch.append(i)
            longest = width
        if batch:
            batches.append(batch)
    if shuffle:
        rng.shuffle(batches)
    return batches
