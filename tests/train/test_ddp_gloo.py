"""Two CPU processes (gloo DDP through torchrun, as `relx cv --processes 2` launches them)
train exactly like one process with the same global batch.

One process with ``grad_accum_steps=2`` and two processes with ``grad_accum_steps=1`` both
take 2 batches per optimizer step; relx's loop gives each process its slot of the same
planned window and normalises the loss by the window's example count, so the two runs must
agree to floating-point tolerance (dropout is off: its masks differ per process).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _train_helpers import tiny_setup
from safetensors.torch import load_file

from relx import rundir
from relx.train import cross_validate, load_config

pytestmark = pytest.mark.slow  # two worker processes: ~20-40 s on a loaded 2-core machine


def _no_dropout(model_dir: Path) -> None:
    path = model_dir / "config.json"
    config = json.loads(path.read_text())
    config["hidden_dropout_prob"] = 0.0
    config["attention_probs_dropout_prob"] = 0.0
    path.write_text(json.dumps(config))


def _events(run: Path, kind: str) -> list[dict]:
    lines = (run / rundir.METRICS_FILE).read_text().splitlines()
    return [e for e in map(json.loads, lines) if e.get("event") == kind]


def test_ddp_two_cpu_processes_match_one(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=10)
    _no_dropout(Path(raw["model"]["model_name_or_path"]))
    overrides = ["train.epochs=1", "train.batch_size=4", "train.max_steps=4", "train.lr=1e-3",
                 'train.mixed_precision="no"', "train.max_tokens_per_batch=null",
                 "represent.max_length_tokens=128"]
    one = load_config(raw, [*overrides, "train.grad_accum_steps=2"])
    two = load_config(raw, [*overrides, "train.grad_accum_steps=1"])

    # One process, in-process (what `relx cv` does without --gpus/--processes).
    s1 = cross_validate(one, out_dir=tmp_path / "one", folds=[0])
    # Two processes, gloo DDP in subprocesses (what `relx cv --processes 2` does, on CPU).
    s2 = cross_validate(two, out_dir=tmp_path / "two", folds=[0], processes=2, cpu=True)
    log = (tmp_path / "two" / "logs" / "fold_0.log")
    assert s2["failed_folds"] == [], log.read_text()[-3000:]
    assert s1["failed_folds"] == []

    run1, run2 = tmp_path / "one" / "fold_0", tmp_path / "two" / "fold_0"
    assert json.loads((run2 / rundir.SUMMARY_FILE).read_text())["num_processes"] == 2
    assert json.loads((run1 / rundir.SUMMARY_FILE).read_text())["num_processes"] == 1

    loss1 = [e["loss"] for e in _events(run1, "train")]
    loss2 = [e["loss"] for e in _events(run2, "train")]
    assert len(loss1) == len(loss2) == 4
    assert loss2 == pytest.approx(loss1, rel=1e-4, abs=1e-5)

    # Same final model: the best checkpoint (chosen and saved on the main process) matches.
    for f in sorted((run1 / rundir.DIR_BEST).glob("*.safetensors")):
        a, b = load_file(f), load_file(run2 / rundir.DIR_BEST / f.name)
        assert a.keys() == b.keys()
        for key in a:
            assert b[key].float().sub(a[key].float()).abs().max() < 1e-4, (f.name, key)
    # Validation predictions written once, by the main process, from the reloaded best.
    assert (run2 / rundir.VAL_PREDICTIONS_FILE).is_file()
    assert s2["folds"]["0"]["f1"] == pytest.approx(s1["folds"]["0"]["f1"], abs=1e-6)
