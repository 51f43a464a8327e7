"""Per-mode step planning (``BatchingMode.plan_steps``): what one optimizer step holds."""

from __future__ import annotations

import random

from relx.represent import get_batching


def _lengths(n: int = 203, seed: int = 1) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(20, 500) for _ in range(n)]


def test_padded_steps_are_todays_windows() -> None:
    mode = get_batching("padded")
    lengths = _lengths()
    for budget in (None, 2000):
        plan = mode.plan(lengths, max_tokens=budget, max_batch_size=8, shuffle=True, seed=3)
        steps = mode.plan_steps(lengths, batch_size=8, grad_accum_steps=2, num_processes=3,
                                max_tokens=budget, seed=3)
        assert [b for step in steps for b in step] == plan
        assert all(len(step) == 6 for step in steps[:-1])


def test_packed_steps_hold_the_effective_batch_under_the_budget() -> None:
    mode = get_batching("packed")
    lengths = _lengths()
    for processes in (1, 2):
        steps = mode.plan_steps(lengths, batch_size=4, grad_accum_steps=2,
                                num_processes=processes, max_tokens=900, seed=5)
        effective = 8 * processes
        flat = [i for step in steps for micro in step for i in micro]
        assert sorted(flat) == list(range(len(lengths)))
        assert [sum(len(m) for m in step) for step in steps[:-1]] == [effective] * (
            len(steps) - 1)
        for step in steps:
            for micro in step:
                # the budget binds (an example longer than it gets a micro-batch alone)
                assert sum(lengths[i] for i in micro) <= 900 or len(micro) == 1
            if processes == 2:
                assert len(step) >= 2  # every rank gets real work
