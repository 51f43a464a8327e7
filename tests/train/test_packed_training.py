"""Packed training through `relx train` (issue 10): same first step as padded, metrics, auto.

A packed run splits one optimizer step's examples into micro-batches by a real-token budget
and normalises by the step's example count, so with the same step composition (one step
holding every training example) and no dropout its first loss equals the padded run's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _train_helpers import tiny_setup

from relx import rundir
from relx.train import load_config, read_metrics, train

_ONE_STEP = ["train.epochs=2", "train.max_steps=2", "train.batch_size=512",
             "train.eval_every_steps=1", 'train.mixed_precision="no"',
             "represent.max_length_tokens=128", "train.warmup_ratio=0"]


def _events(run: Path, kind: str) -> list[dict]:
    return [e for e in read_metrics(run) if e.get("event") == kind]


@pytest.mark.parametrize("architecture", ["bert", "llama"])
def test_packed_first_step_equals_padded(tmp_path: Path, architecture: str) -> None:
    import torch

    torch.set_num_threads(1)
    raw = tiny_setup(tmp_path, n_docs=8, dropout=0.0, architecture=architecture)
    if architecture == "llama":
        raw["model"]["head"] = "auto"  # last_token for a decoder
    padded = load_config(raw, [*_ONE_STEP, "train.batching=padded"])
    packed = load_config(raw, [*_ONE_STEP, "train.batching=packed",
                               "train.max_tokens_per_batch=400"])
    s_pad = train(padded, run_dir=tmp_path / "padded", progress=False)
    s_pack = train(packed, run_dir=tmp_path / "packed", progress=False)

    first_pad = _events(tmp_path / "padded", "train")[0]
    first_pack = _events(tmp_path / "packed", "train")[0]
    assert first_pack["examples"] == first_pad["examples"] > 1
    assert first_pack["tokens"] == first_pad["tokens"]
    assert abs(first_pack["loss"] - first_pad["loss"]) < 1e-5
    # several forwards in the packed step: the budget split it
    assert any("batching=packed" in n and "forwards per step" in n for n in s_pack["notes"])
    assert s_pack["batching"] == "packed" and s_pad["batching"] == "padded"
    # it trains: the second step moved the model
    losses = [e["loss"] for e in _events(tmp_path / "packed", "train")]
    assert len(losses) == 2 and losses[1] != losses[0]
    for summary in (s_pad, s_pack):
        assert summary["train_tokens_per_s"] > 0 and summary["train_examples_per_s"] > 0
        assert summary["peak_memory_reserved_bytes"] is None  # CPU
    for event in _events(tmp_path / "packed", "train"):
        assert event["time_s"] >= 0 and event["tokens"] > 0


def test_auto_batching_on_cpu_is_padded_and_noted(tmp_path: Path) -> None:
    from relx.train import resolve_config

    raw = tiny_setup(tmp_path, n_docs=4)
    config = resolve_config(load_config(raw))
    assert config.train.batching == "padded"
    assert any(n.startswith("train.batching=padded (auto: no CUDA") for n in config.notes)
    assert config.train.eval_max_tokens is None  # padded: today's validation batches
    packed = resolve_config(load_config(raw, ["train.batching=packed",
                                              "train.max_tokens_per_batch=1000"]))
    assert packed.train.eval_max_tokens == 2000


def test_bf16_autocast_reload_scores_as_training(tmp_path: Path) -> None:
    """CPU bf16 autocast stands in for the GPU: training-time validation runs inside the
    prepared model's autocast, the reload of the best checkpoint must run the same batches
    under the same autocast, so its loss is bit-identical (not merely close)."""
    import warnings

    import torch

    from relx.errors import RelxWarning

    from accelerate.state import AcceleratorState

    torch.set_num_threads(1)
    raw = tiny_setup(tmp_path, n_docs=8, dropout=0.0)
    AcceleratorState._reset_state(True)  # one process-wide state; this run needs bf16
    config = load_config(raw, ["train.epochs=1", "train.max_steps=2", "train.batch_size=8",
                               'train.mixed_precision="bf16"', "train.eval_max_tokens=700",
                               "represent.max_length_tokens=128"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RelxWarning)
            summary = train(config, run_dir=tmp_path / "run", progress=False)
    finally:
        AcceleratorState._reset_state(True)
    assert summary["final"]["loss"] == summary["best"]["metrics"]["loss"]
    assert summary["final"]["f1"] == summary["best"]["metrics"]["f1"]
    summary_file = json.loads((tmp_path / "run" / rundir.SUMMARY_FILE).read_text())
    assert summary_file["batching"] == "padded"


def test_reload_check_tolerance_follows_the_dtype() -> None:
    from relx.train._recipe import reload_check

    final = {"f1": 0.2246}
    same = list(range(3)) * 100
    # float32: the metric must match
    assert reload_check(final, 0.2246, select="f1", predictions=same, reloaded=same,
                        exact=True) is None
    assert "differs" in reload_check(final, 0.2293, select="f1", predictions=same,
                                     reloaded=same, exact=True)
    # bf16: one flipped borderline prediction of 300 is rounding; many are a broken save
    one_flip = [*same[:-1], 0]
    assert reload_check(final, 0.2293, select="f1", predictions=same, reloaded=one_flip,
                        exact=False) is None
    many = [0] * len(same)
    assert "changes" in reload_check(final, 0.2293, select="f1", predictions=same,
                                     reloaded=many, exact=False)
