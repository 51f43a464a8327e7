"""The packed batching mode: real-token budgets, FFD plans, steps split into micro-batches."""

from __future__ import annotations

import random

import pytest

from relx.errors import ConfigError
from relx.represent import (
    EncodedExample,
    PackedBatching,
    batching_names,
    first_fit_decreasing,
    get_batching,
    plan_steps,
    split_by_budget,
)

LENGTHS = [5, 3, 8, 2, 7, 1, 9, 4, 6, 6]


def _covers_once(batches, n):
    flat = sorted(i for b in batches for i in b)
    return flat == list(range(n))


def test_packed_is_registered_and_costs_real_tokens():
    assert "packed" in batching_names()
    mode = get_batching("packed")
    assert isinstance(mode, PackedBatching)
    assert mode.cost([300, 500, 20]) == 820
    assert get_batching("padded").cost([300, 500, 20]) == 1500


def test_first_fit_decreasing_by_hand():
    # 8 -> bin0, 7 -> bin1, 5 -> bin2, 3 -> bin1 (7+3), 2 -> bin0 (8+2), 1 -> bin2 (5+1)
    assert first_fit_decreasing([5, 3, 8, 2, 7, 1], 10) == [[2, 3], [4, 1], [0, 5]]
    # An item over capacity is kept, alone.
    assert first_fit_decreasing([12, 3], 10) == [[0], [1]]
    # The item cap closes a bin even with room left.
    assert first_fit_decreasing([1, 1, 1], 10, max_items=2) == [[0, 1], [2]]


@pytest.mark.parametrize("shuffle", [False, True])
def test_plan_respects_budget_and_batch_size(shuffle):
    rng = random.Random(3)
    lengths = [rng.randint(20, 500) for _ in range(400)]
    mode = get_batching("packed")
    plan = mode.plan(lengths, max_tokens=2048, max_batch_size=16, shuffle=shuffle, seed=7)
    assert _covers_once(plan, len(lengths))
    assert all(len(b) <= 16 and sum(lengths[i] for i in b) <= 2048 for b in plan)
    # FFD fills the budget: at most a few batches more than the lower bound.
    lower = -(-sum(lengths) // 2048)
    assert len(plan) <= lower * 1.1 + 2
    assert plan == mode.plan(lengths, max_tokens=2048, max_batch_size=16, shuffle=shuffle,
                             seed=7)


def test_plan_shuffle_depends_on_seed_and_inference_does_not_shuffle():
    mode = get_batching("packed")
    lengths = list(range(1, 201))
    a = mode.plan(lengths, max_tokens=300, max_batch_size=8, shuffle=True, seed=1)
    b = mode.plan(lengths, max_tokens=300, max_batch_size=8, shuffle=True, seed=2)
    assert a != b
    first = mode.plan(lengths, max_tokens=300, max_batch_size=8, shuffle=False, seed=1)
    assert first[0][0] == 199  # longest first: memory peaks show up at once
    assert first == mode.plan(lengths, max_tokens=300, max_batch_size=8, shuffle=False, seed=9)


def test_plan_without_budget_uses_batch_size():
    plan = get_batching("packed").plan(LENGTHS, max_tokens=None, max_batch_size=4,
                                       shuffle=False, seed=0)
    assert [len(b) for b in plan] == [4, 4, 2]
    assert plan[0] == [6, 2, 4, 8]  # by length, longest first (ties in input order)


def test_split_by_budget_by_hand():
    assert split_by_budget([5, 3, 8, 2, 7, 1], 10) == [[2, 3], [1, 4], [0, 5]]
    assert split_by_budget([5, 3, 8], None) == [[0, 1, 2]]
    assert split_by_budget([5, 3, 8], None, max_batch_size=2) == [[0, 1], [2]]
    assert split_by_budget([], 10) == []
    assert split_by_budget([30, 4], 10) == [[0], [1]]  # too long: alone, never dropped
    with pytest.raises(ConfigError):
        split_by_budget([1], 0)


def test_plan_steps_keep_the_effective_batch():
    rng = random.Random(0)
    lengths = [rng.randint(50, 600) for _ in range(100)]
    steps = plan_steps(lengths, effective_batch=16, budget=1500, shuffle=True, seed=4)
    assert [sum(len(m) for m in step) for step in steps] == [16] * 6 + [4]
    flat = [i for step in steps for m in step for i in m]
    assert sorted(flat) == list(range(100))
    for step in steps:
        assert all(sum(lengths[i] for i in m) <= 1500 for m in step)
    # The budget changes how a step is cut, never which examples form it.
    other = plan_steps(lengths, effective_batch=16, budget=6000, shuffle=True, seed=4)
    assert [sorted(i for m in s for i in m) for s in other] == [
        sorted(i for m in s for i in m) for s in steps
    ]
    assert all(len(s) == 1 for s in other)


def test_collate_needs_pool_and_widens_rows_for_long_examples():
    examples = [
        EncodedExample(input_ids=list(range(n)), label=0, entity_token_index=(0, 1),
                       type_pair=("A", "B"), example_id=str(n))
        for n in (6, 4, 3, 2)
    ]
    mode = PackedBatching(row_tokens=7)
    with pytest.raises(ConfigError, match="pool"):
        mode.collate(examples, pad_token_id=0)
    batch = mode.collate(examples, pad_token_id=0, pool="last")
    assert batch["input_ids"].shape == (3, 7)  # [6], [4, 3], [2]
    wide = PackedBatching(row_tokens=3).collate(examples, pad_token_id=0, pool="first")
    assert wide["input_ids"].shape[1] == 6  # rows widen to the longest example
