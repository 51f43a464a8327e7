"""The live line of folds trained by workers: read from each fold's metrics.jsonl."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from relx.cli._fold_progress import fold_status_text, live_fold_status


def test_status_reads_the_last_step_of_each_fold_and_marks_complete_ones(tmp_path: Path) -> None:
    assert fold_status_text(tmp_path) == "starting the folds"
    (tmp_path / "fold_0").mkdir()
    (tmp_path / "fold_10").mkdir()
    (tmp_path / "fold_2").mkdir()
    lines = [{"event": "train", "step": s, "epoch": s / 84, "loss": 1.0 / s} for s in (1, 2, 120)]
    lines.append({"event": "eval", "step": 120, "f1": 0.5})
    text = "\n".join(json.dumps(x) for x in lines) + '\n{"event": "tr'  # a line being written
    (tmp_path / "fold_0" / "metrics.jsonl").write_text(text)
    (tmp_path / "fold_10" / "COMPLETE").write_text("")
    assert fold_status_text(tmp_path) == (
        "fold 0: epoch 1.4, step 120, loss 0.008 · fold 2: starting · fold 10: done")


def test_no_spinner_off_a_terminal(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    with live_fold_status(console, tmp_path):
        pass
    assert out.getvalue() == ""
