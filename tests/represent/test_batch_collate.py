"""Batches follow the contract: flat pool/entity indices are right for any padding or packing."""

from __future__ import annotations

import pytest
import torch

from relx.errors import ConfigError
from relx.represent import (
    IGNORE_LABEL,
    EncodedExample,
    collate_packed,
    collate_padded,
    length_grouped_batches,
)

PAD = 0


def _examples(labels=(1, 0, 3)) -> list[EncodedExample]:
    # Distinct ids per example; the marker tokens are 91 (A) and 92 (B), the last token 99.
    lengths = (5, 9, 3)
    out = []
    for k, (length, label) in enumerate(zip(lengths, labels)):
        ids = [10 * (k + 1) + j for j in range(length)]
        a, b = (1, length - 2) if length > 3 else (0, 1)
        ids[a], ids[b], ids[-1] = 91, 92, 99
        out.append(EncodedExample(ids, label, (a, b), ("G", "D"), f"ex{k}"))
    return out


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("pool", ["last", "first"])
def test_batch_collate_padded_indices(side: str, pool: str) -> None:
    examples = _examples()
    batch = collate_padded(examples, pad_token_id=PAD, padding_side=side, pool=pool)
    flat = batch["input_ids"].reshape(-1)
    assert batch["input_ids"].shape == (3, 9)
    assert batch["attention_mask"].sum(1).tolist() == [5, 9, 3]
    for n, ex in enumerate(examples):
        row = batch["input_ids"][n][batch["attention_mask"][n].bool()].tolist()
        assert row == ex.input_ids
        expected = ex.input_ids[-1] if pool == "last" else ex.input_ids[0]
        assert flat[batch["pool_index"][n]].item() == expected
        assert flat[batch["entity_index"][n]].tolist() == [91, 92]
        assert batch["pool_index"][n] // 9 == n  # each example reads its own row
    assert batch["labels"].tolist() == [1, 0, 3]
    if side == "left":
        assert batch["input_ids"][2, :6].tolist() == [PAD] * 6


def test_batch_collate_padded_without_pool_leaves_it_to_the_model() -> None:
    batch = collate_padded(_examples(), pad_token_id=PAD)
    assert "pool_index" not in batch
    assert set(batch) == {"input_ids", "attention_mask", "entity_index", "labels"}


def test_batch_collate_unlabelled_has_no_labels_key() -> None:
    batch = collate_padded(_examples(labels=(IGNORE_LABEL,) * 3), pad_token_id=PAD, pool="last")
    assert "labels" not in batch


def test_batch_collate_pad_to_multiple_of() -> None:
    batch = collate_padded(_examples(), pad_token_id=PAD, pool="last", pad_to_multiple_of=8)
    assert batch["input_ids"].shape == (3, 16)


def test_batch_collate_rejects_missing_pad_id() -> None:
    with pytest.raises(ConfigError) as info:
        collate_padded(_examples(), pad_token_id=None)  # type: ignore[arg-type]
    assert info.value.code == "E207"


def test_batch_collate_packed_indices_and_positions() -> None:
    examples = _examples()
    batch = collate_packed(examples, pad_token_id=PAD, max_tokens_per_row=10, pool="last")
    rows, width = batch["input_ids"].shape
    assert rows == 2 and width <= 10  # 9 | 5+3
    flat = batch["input_ids"].reshape(-1)
    positions = batch["position_ids"].reshape(-1)
    for n, ex in enumerate(examples):
        last = batch["pool_index"][n].item()
        start = last - (len(ex.input_ids) - 1)
        assert flat[start : last + 1].tolist() == ex.input_ids
        assert positions[start : last + 1].tolist() == list(range(len(ex.input_ids)))
        assert flat[batch["entity_index"][n]].tolist() == [91, 92]
    assert batch["attention_mask"].sum().item() == 17
    assert batch["labels"].tolist() == [1, 0, 3]


def test_batch_collate_packed_rejects_too_long_example() -> None:
    with pytest.raises(ConfigError):
        collate_packed(_examples(), pad_token_id=PAD, max_tokens_per_row=8, pool="last")


def test_batch_length_grouped_respects_budget_and_covers_all() -> None:
    lengths = [5, 300, 17, 40, 41, 600, 8, 39, 120, 121, 3, 3, 3, 64]
    batches = length_grouped_batches(lengths, max_tokens_per_batch=256, max_batch_size=4)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 4
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 256
    assert batches[0] == [5] and batches[1] == [1]  # longest first, alone when over budget
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert padded < len(lengths) * max(lengths) / 3  # far below pad-to-longest


def test_batch_length_grouped_shuffle_is_seeded() -> None:
    lengths = list(range(1, 200))
    plan = dict(max_tokens_per_batch=400, max_batch_size=8, shuffle=True)
    first = length_grouped_batches(lengths, seed=1, **plan)
    assert first == length_grouped_batches(lengths, seed=1, **plan)
    assert first != length_grouped_batches(lengths, seed=2, **plan)
    assert sorted(i for b in first for i in b) == list(range(len(lengths)))


def test_batch_padded_batch_feeds_a_gather() -> None:
    # The model reads hidden states flattened to [R*T, H] at pool_index: simulate it.
    examples = _examples()
    for side in ("left", "right"):
        batch = collate_padded(examples, pad_token_id=PAD, padding_side=side, pool="last")
        hidden = batch["input_ids"].float().reshape(-1, 1)  # hidden state = token id
        pooled = hidden[batch["pool_index"]].squeeze(1)
        assert torch.equal(pooled, torch.tensor([99.0, 99.0, 99.0]))
