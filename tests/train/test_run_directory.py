"""`relx train` writes a complete, self-describing run directory (relx/rundir.py layout)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from _train_helpers import tiny_setup
from typer.testing import CliRunner

from relx import rundir
from relx.cli import app
from relx.evaluate import read_predictions
from relx.train import load_config
from relx.train._run import read_metrics, read_run




def test_run_directory_written_by_cli(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=15)
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    run = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "train", str(config_path), "--out", str(run), "--no-progress", "--json",
            "--set", "train.epochs=1", "--set", "train.eval_every_steps=4",
            "--set", "tracking.tensorboard=true",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((run / rundir.SUMMARY_FILE).read_text())
    assert summary["status"] == "complete"
    assert summary["n_train"] > 0 and summary["n_val"] > 0

    info = read_run(run)
    assert info["format_version"] == rundir.RUN_FORMAT_VERSION
    assert info["status"] == "complete" and info["finished"]
    marker = run / rundir.COMPLETE_MARKER
    assert marker.is_file()
    written = [p for p in run.rglob("*") if p.is_file() and "tensorboard" not in p.parts]
    assert max(p.stat().st_mtime_ns for p in written) == marker.stat().st_mtime_ns  # last

    env = json.loads((run / rundir.ENV_FILE).read_text())
    assert env["packages"]["torch"] == torch.__version__.split("+")[0] or env["packages"]["torch"]
    assert "devices" in env and "git" in env

    resolved = load_config(run / rundir.CONFIG_FILE)
    assert resolved.train.epochs == 1 and resolved.train.lr == pytest.approx(1e-3)
    assert any(n.startswith("effective batch=16") for n in resolved.notes)

    events = read_metrics(run)
    train_steps = [e["step"] for e in events if e["event"] == "train"]
    assert train_steps == list(range(1, summary["global_step"] + 1))
    evals = [e for e in events if e["event"] == "eval"]
    assert [e["step"] for e in evals][:2] == [4, 8]
    assert {"precision", "recall", "f1", "loss"} <= set(evals[0])

    for kind in (rundir.DIR_BEST, rundir.DIR_LAST):
        meta = json.loads((run / kind / rundir.CHECKPOINT_META_FILE).read_text())
        assert (run / kind / "relx_model.json").is_file()
        assert (run / kind / "type_pair_mask.json").is_file()
    assert meta["step"] == summary["global_step"]  # last = the final step
    best = json.loads((run / rundir.DIR_BEST / rundir.CHECKPOINT_META_FILE).read_text())
    assert best["step"] == summary["best"]["step"] and best["select_metric"] == "f1"
    assert not list(run.rglob("*.pt")) and not list(run.rglob("*.bin"))  # never pickle

    predictions = read_predictions(run / rundir.VAL_PREDICTIONS_FILE)
    assert len(predictions) == summary["n_val"]
    assert all(abs(sum(p.probs.values()) - 1) < 1e-4 for p in predictions)
    assert list(run.glob("tensorboard/**/events.out.tfevents*"))  # tracker wrote


def test_run_cli_config_error_is_one_line(tmp_path: Path) -> None:
    from relx.errors import ConfigError

    result = CliRunner().invoke(
        app, ["train", "quickstart/none", "--out", str(tmp_path / "r"), "--set", "train.lr=2"]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
