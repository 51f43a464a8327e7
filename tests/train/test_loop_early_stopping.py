"""Early stopping and the best-checkpoint rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _train_helpers import tiny_setup

from relx import rundir
from relx.train import load_config, read_metrics, train




def test_loop_early_stopping_after_patience(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=12)
    # lr ~0: the validation loss cannot improve, so training stops after `patience` evals
    # without improvement; the best checkpoint stays at the first evaluation.
    config = load_config(
        raw,
        [
            "train.lr=1e-12",
            "train.select_metric=f1",
            "train.eval_every_steps=1",
            "train.early_stopping_patience=2",
            "train.epochs=3",
        ],
    )
    summary = train(config, run_dir=tmp_path / "run", progress=False)
    evals = [e for e in read_metrics(tmp_path / "run") if e["event"] == "eval"]
    assert summary["stopped_early"] is True
    assert [e["step"] for e in evals] == [1, 2, 3]
    assert summary["global_step"] == 3 < summary["total_steps"]
    assert summary["best"]["step"] == 1
    best = json.loads((tmp_path / "run" / rundir.DIR_BEST / rundir.CHECKPOINT_META_FILE).read_text())
    assert best["step"] == 1
    assert (tmp_path / "run" / rundir.COMPLETE_MARKER).is_file()


def test_loop_truncation_warning_recorded(tmp_path: Path) -> None:
    from relx.errors import RelxWarning

    raw = tiny_setup(tmp_path, n_docs=8)
    config = load_config(raw, ["represent.max_length_tokens=40", "train.max_steps=1"])
    with pytest.warns(RelxWarning, match=r"max_length_tokens=40 truncates \d+/\d+"):
        summary = train(config, run_dir=tmp_path / "run", progress=False)
    assert summary["truncated"]["train"] > 0
    resolved = load_config(tmp_path / "run" / rundir.CONFIG_FILE)
    assert any(n.startswith("warning: represent.max_length_tokens=40") for n in resolved.notes)
    assert summary["global_step"] == 1


@pytest.mark.parametrize("entry", ["relx train", "fold worker"])
def test_truncation_warning_prints_once_per_split(tmp_path: Path, entry: str) -> None:
    """``relx train`` and a ``relx cv`` fold worker show the truncation warning once per split:
    relx logs it and warns Python callers (relx.errors.warn_and_log), the command line and
    the fold log print only the log line, and the run's notes are not logged a second time
    when they are merged (relx/train/_recipe.py)."""
    import subprocess
    import sys

    import yaml

    raw = tiny_setup(tmp_path, n_docs=8)
    raw["represent"]["max_length_tokens"] = 40
    raw["train"]["max_steps"] = 1
    config_file = tmp_path / "tiny.yaml"
    config_file.write_text(yaml.safe_dump(raw))
    run = str(tmp_path / "run")
    command = {
        "relx train": ["-c", "from relx.cli import main; main()", "train", str(config_file),
                       "--out", run, "--no-progress"],
        "fold worker": ["-m", "relx.train._worker", str(config_file), run],
    }[entry]
    done = subprocess.run([sys.executable, *command], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    for split in ("training", "validation"):
        lines = [line for line in done.stderr.splitlines()
                 if "max_length_tokens=40 truncates" in line and f"{split} inputs" in line]
        assert len(lines) == 1, done.stderr
    assert "RelxWarning" not in done.stderr
    if entry == "relx train":  # the worker logs warnings only
        # The model's automatic choices: logged as made, not again with the run's notes.
        assert sum("dtype=float32 (auto" in line for line in done.stderr.splitlines()) == 1
