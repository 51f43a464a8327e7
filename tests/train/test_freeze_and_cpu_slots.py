"""``model.freeze_word_embeddings`` and CPU fold slots (the quickstart's speed, issue 11)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from _train_helpers import tiny_setup
from safetensors.torch import load_file

from relx import rundir
from relx.errors import ConfigError
from relx.train import Job, load_config, run_jobs, train
from relx.train import _launch
from relx.train._launch import cpu_threads

FAST = ["train.epochs=1", "train.max_steps=3", "train.batch_size=8", "train.lr=1e-2"]


def _weights(folder: Path) -> dict:
    return {k: v for f in sorted(folder.glob("*.safetensors")) for k, v in load_file(str(f)).items()}


def _key(state: dict, suffix: str) -> str:
    return next(k for k in state if k.endswith(suffix))


def test_frozen_word_embeddings_do_not_move_while_the_rest_trains(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=10)
    base = _weights(Path(raw["model"]["model_name_or_path"]))
    summary = train(load_config(raw, [*FAST, "model.freeze_word_embeddings=true"]),
                    run_dir=tmp_path / "run", progress=False)
    saved = _weights(tmp_path / "run" / rundir.DIR_BEST / "backbone")
    words, positions = "word_embeddings.weight", "position_embeddings.weight"
    assert (saved[_key(saved, words)] == base[_key(base, words)]).all()
    assert not (saved[_key(saved, positions)] == base[_key(base, positions)]).all()
    notes = (tmp_path / "run" / "config.resolved.yaml").read_text()
    assert "word-embedding weights fixed" in notes
    assert summary["status"] == "complete"


def test_without_freezing_the_word_embeddings_train(tmp_path: Path) -> None:
    """The test above could fail: unfrozen, the same run moves the word embeddings."""
    raw = tiny_setup(tmp_path, n_docs=10)
    base = _weights(Path(raw["model"]["model_name_or_path"]))
    train(load_config(raw, FAST), run_dir=tmp_path / "run", progress=False)
    saved = _weights(tmp_path / "run" / rundir.DIR_BEST / "backbone")
    words = "word_embeddings.weight"
    assert not (saved[_key(saved, words)] == base[_key(base, words)]).all()


def test_freezing_with_new_marker_tokens_is_a_config_error(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=10)
    with pytest.raises(ConfigError, match="freeze_word_embeddings.*add_marker_tokens"):
        load_config(raw, ["model.freeze_word_embeddings=true", "model.add_marker_tokens=true"])


def test_cpu_slots_run_workers_side_by_side_with_split_threads(tmp_path, monkeypatch) -> None:
    script = ("import os, sys, time; print('threads=' + os.environ.get('OMP_NUM_THREADS', '?') "
              "+ ' cuda=' + repr(os.environ.get('CUDA_VISIBLE_DEVICES'))); time.sleep(0.4)")
    monkeypatch.setattr(_launch, "worker_command",
                        lambda job, **_: [sys.executable, "-c", script, str(job.run_dir)])
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    running, peak = set(), [0]

    def on_event(kind, job, result):
        (running.add if kind == "start" else running.discard)(job.name)
        peak[0] = max(peak[0], len(running))

    jobs = [Job(f"fold_{k}", tmp_path / "c.yaml", tmp_path / f"fold_{k}") for k in range(3)]
    results = run_jobs(jobs, log_dir=tmp_path / "logs", cpu_slots=3, on_event=on_event,
                       poll_seconds=0.05)
    assert all(r.ok for r in results.values()) and peak[0] == 3
    log = (tmp_path / "logs" / "fold_2.log").read_text()
    assert "threads=1 cuda=''" in log  # 2 cores over 3 workers: one thread each, no GPU
    assert cpu_threads(1) == 2 and cpu_threads(2) == 1


def test_cv_with_cpu_slots_trains_every_fold_in_workers(tmp_path: Path) -> None:
    """The real worker path (relx.train._worker) on CPU: two folds side by side."""
    from relx.train import cross_validate

    raw = tiny_setup(tmp_path, n_docs=10)
    raw["data"].pop("fold")
    summary = cross_validate(load_config(raw, FAST), out_dir=tmp_path / "cv", folds=[0, 1],
                             cpu_slots=2)
    assert sorted(summary["folds"]) == ["0", "1"] and not summary.get("failed_folds")
    for k in (0, 1):
        assert (tmp_path / "cv" / f"fold_{k}" / "COMPLETE").exists()
        assert (tmp_path / "cv" / "logs" / f"fold_{k}.log").is_file()  # ran as a worker
    assert json.loads((tmp_path / "cv" / "cv.json").read_text())["cpu_slots"] == 2
