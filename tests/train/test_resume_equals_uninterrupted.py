"""A run stopped after N optimizer steps and resumed ends exactly like an uninterrupted run."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from _train_helpers import tiny_setup

from relx import rundir
from relx.errors import RunDirError
from relx.train import load_config, train
from relx.train._run import read_metrics




def _config(tmp_path: Path, method: str):
    raw = tiny_setup(tmp_path, n_docs=25)
    return load_config(
        raw,
        [
            f"model.method={method}",
            "model.lora.r=4",
            "train.epochs=2",
            "train.batch_size=8",
            "train.grad_accum_steps=2",
            "train.max_tokens_per_batch=600",
            "train.eval_every_steps=7",
            "train.label_smoothing=0.05",
            "train.class_weights=balanced",
            "train.scheduler=cosine",
        ],
    )


def _train_events(run: Path) -> list[dict]:
    # time_s is wall-clock (it never repeats); everything else must
    return [{k: v for k, v in e.items() if k != "time_s"}
            for e in read_metrics(run) if e["event"] in {"train", "eval", "final"}]


@pytest.mark.parametrize("method", ["full", "lora"])
def test_resume_equals_uninterrupted(tmp_path: Path, method: str) -> None:
    config = _config(tmp_path, method)
    full = train(config, run_dir=tmp_path / "full", progress=False)

    part = tmp_path / "part"
    first = train(config, run_dir=part, progress=False, max_steps_this_session=10)
    assert first["status"] == "interrupted"
    assert not (part / rundir.COMPLETE_MARKER).exists()
    assert json.loads((part / rundir.RUN_FILE).read_text())["status"] == "interrupted"
    meta = json.loads((part / rundir.DIR_LAST / rundir.CHECKPOINT_META_FILE).read_text())
    assert meta["step"] == 10  # stopped mid-epoch, between two evaluations

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = train(config, run_dir=part, resume=True, progress=False)
    assert not [w for w in caught if "--resume continues" in str(w.message)]
    assert resumed["status"] == "complete"
    assert (part / rundir.COMPLETE_MARKER).exists()
    assert resumed["global_step"] == full["global_step"]
    assert resumed["final"] == full["final"]
    assert resumed["best"] == full["best"]
    # the same loss at every step, each step logged once
    assert _train_events(part) == _train_events(tmp_path / "full")
    assert (part / rundir.VAL_PREDICTIONS_FILE).read_text() == (
        tmp_path / "full" / rundir.VAL_PREDICTIONS_FILE
    ).read_text()


def test_resume_refuses_without_checkpoint_and_fresh_run_refuses_existing(tmp_path: Path) -> None:
    from relx.train._run import RunWriter

    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDirError, match=r"\[E610\].*nothing to resume"):
        RunWriter(tmp_path / "empty").start(resume=True)
    RunWriter(tmp_path / "run").start(resume=False)
    with pytest.raises(RunDirError, match=r"\[E609\].*already holds a run"):
        RunWriter(tmp_path / "run").start(resume=False)


def test_resume_ignores_a_changed_config_with_a_warning(tmp_path: Path) -> None:
    from relx.errors import RelxWarning

    config = _config(tmp_path, "full")
    run = tmp_path / "run"
    train(config, run_dir=run, progress=False, max_steps_this_session=2)
    changed = load_config(config, ["train.lr=5e-4"])
    with pytest.warns(RelxWarning, match="--resume continues the run as it was configured"):
        summary = train(changed, run_dir=run, resume=True, progress=False,
                        max_steps_this_session=1)
    assert summary["status"] == "interrupted" and summary["global_step"] == 3
    assert load_config(run / rundir.CONFIG_FILE).train.lr == pytest.approx(1e-3)
