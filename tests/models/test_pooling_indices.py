"""The pooled indices come from the attention mask: padding side and pad id cannot move them."""

from __future__ import annotations

import pytest
import torch

from relx.models import (
    first_token_index,
    gather_flat,
    last_token_index,
    pool_index_from_attention_mask,
    positions_from_attention_mask,
)

RIGHT = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
LEFT = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 1]])


def test_pooling_last_and_first_token_are_flat_indices():
    assert last_token_index(RIGHT).tolist() == [2, 9, 10]
    assert last_token_index(LEFT).tolist() == [4, 9, 14]
    assert first_token_index(RIGHT).tolist() == [0, 5, 10]
    assert first_token_index(LEFT).tolist() == [2, 5, 14]
    assert pool_index_from_attention_mask(LEFT, kind="decoder").tolist() == [4, 9, 14]
    assert pool_index_from_attention_mask(LEFT, kind="encoder").tolist() == [2, 5, 14]


def test_pooling_positions_restart_at_each_rows_first_real_token():
    assert positions_from_attention_mask(LEFT).tolist() == [
        [0, 0, 0, 1, 2],
        [0, 1, 2, 3, 4],
        [0, 0, 0, 0, 0],
    ]
    assert positions_from_attention_mask(RIGHT)[0].tolist() == [0, 1, 2, 2, 2]


def test_pooling_gather_flat_reads_the_right_rows():
    hidden = torch.arange(3 * 5 * 2, dtype=torch.float32).reshape(3, 5, 2)
    got = gather_flat(hidden, torch.tensor([[4, 9], [14, 0]]))
    assert got.shape == (2, 2, 2)
    assert got[0, 0].tolist() == hidden[0, 4].tolist()
    assert got[1, 0].tolist() == hidden[2, 4].tolist()


def test_pooling_rejects_empty_rows_and_bad_kind():
    with pytest.raises(ValueError, match="no attended token"):
        last_token_index(torch.tensor([[1, 1], [0, 0]]))
    with pytest.raises(ValueError, match="no attended token"):
        first_token_index(torch.tensor([[0, 0]]))
    with pytest.raises(ValueError, match="kind must be"):
        pool_index_from_attention_mask(RIGHT, kind="seq2seq")
