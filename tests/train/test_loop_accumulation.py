"""Loss normalisation: batch 16 x accumulation 1 trains exactly like batch 8 x accumulation 2.

The loop divides the summed cross-entropy by the number of examples in the whole
accumulation window, so the same examples per optimizer step give the same gradient however
they are split into micro-batches (without dropout, up to float rounding).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _train_helpers import tiny_setup

from relx.train import load_config, read_metrics, train




def test_loop_accumulation_matches_larger_batch(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=12, dropout=0.0)
    common = ["train.epochs=1", "train.weight_decay=0.0", "train.class_weights=balanced"]
    big = load_config(raw, [*common, "train.batch_size=16", "train.grad_accum_steps=1"])
    small = load_config(raw, [*common, "train.batch_size=8", "train.grad_accum_steps=2"])
    s_big = train(big, run_dir=tmp_path / "big", progress=False)
    s_small = train(small, run_dir=tmp_path / "small", progress=False)

    def losses(run: Path) -> list[float]:
        return [e["loss"] for e in read_metrics(run) if e["event"] == "train"]

    assert s_big["global_step"] == s_small["global_step"] > 2
    assert losses(tmp_path / "small") == pytest.approx(losses(tmp_path / "big"), rel=1e-4)
    assert s_small["final"]["loss"] == pytest.approx(s_big["final"]["loss"], rel=1e-4)
    assert s_small["effective_batch_size"] == s_big["effective_batch_size"] == 16
