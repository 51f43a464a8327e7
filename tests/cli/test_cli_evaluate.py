"""``relx eval`` / ``relx report`` / ``relx predict`` through the CLI (typer CliRunner)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from relx import rundir
from relx.cli import app
from relx.evaluate import Prediction, write_predictions
from relx.labels import ALL_LABELS

runner = CliRunner()


def _records(seed: int = 0, n_docs: int = 10, per_doc: int = 12) -> list[Prediction]:
    rng = np.random.default_rng(seed)
    out = []
    for d in range(n_docs):
        for j in range(per_doc):
            gold = str(rng.choice(ALL_LABELS, p=[0.6] + [0.05] * 8))
            pred = gold if rng.random() < 0.6 else str(rng.choice(ALL_LABELS))
            out.append(Prediction(id=f"{d}.{j}", document_id=f"D{d}", entity_a_id=f"a{j}",
                                  entity_b_id="b", gold=gold, pred=pred,
                                  probs={pred: 0.7, "NOT" if pred != "NOT" else "Bind": 0.3}))
    return out


def _run_dir(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / rundir.RUN_FILE).write_text(json.dumps({"format_version": 1, "status": "complete"}))
    (root / rundir.CONFIG_FILE).write_text("train:\n  lr: 0.001\n")
    (root / rundir.METRICS_FILE).write_text(
        json.dumps({"event": "train", "step": 1, "loss": 1.0}) + "\n"
        + json.dumps({"event": "eval", "step": 1, "f1": 0.5}) + "\n"
    )
    write_predictions(root / rundir.VAL_PREDICTIONS_FILE, _records())
    (root / rundir.COMPLETE_MARKER).write_text("x\n")
    return root


def test_cli_evaluate_eval_run_prints_protocols_and_writes_eval_json(tmp_path: Path) -> None:
    run = _run_dir(tmp_path / "run")
    result = runner.invoke(app, ["eval", str(run), "--bootstrap", "200", "--also-inflated"],
                           env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "pair protocol (iKraph)" in result.output
    assert "BioRED doc: pair+type" in result.output
    assert "INFLATED" in result.output
    saved = json.loads((run / "eval.json").read_text())
    assert saved["kind"] == "run"
    assert saved["scores"]["inflated"]["inflated"] is True
    assert saved["scores"]["bootstrap"]["n_resamples"] == 200


def test_cli_evaluate_eval_json_output_and_custom_out(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write_predictions(path, _records(1))
    out = tmp_path / "scores" / "e.json"
    result = runner.invoke(app, ["eval", str(path), "--json", "--bootstrap", "0",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == json.loads(out.read_text())
    assert "ci" not in printed["scores"]["pair"]
    assert "inflated" not in printed["scores"]


def test_cli_evaluate_bad_prediction_line_exits_1_with_location(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    write_predictions(path, _records()[:2])
    with path.open("a") as handle:
        handle.write(json.dumps({"id": "z", "document_id": "D", "entity_a_id": "a",
                                 "entity_b_id": "b", "gold": "NOT", "pred": "Binding"}) + "\n")
    done = subprocess.run(
        [sys.executable, "-c", "from relx.cli import main; main()", "eval", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    assert "E503" in done.stderr and f"{path}:3" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_evaluate_report_writes_html_and_markdown(tmp_path: Path) -> None:
    run = _run_dir(tmp_path / "run")
    result = runner.invoke(app, ["report", str(run), "--out", str(tmp_path / "rep"),
                                 "--bootstrap", "50", "--json"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.output)
    assert Path(written["html"]).read_text().count("data:image/png;base64,") == len(
        written["plots"]) == 5
    assert "f1_threshold" in written["plots"]
    md = Path(written["markdown"]).read_text()
    for heading in ("## Scores", "## Per entity-type pair", "## Sample of false positives",
                    "## Sample of false negatives", "## relx doctor findings", "## Versions and commit"):
        assert heading in md, heading


@pytest.mark.parametrize("command", ["eval", "predict", "report"])
def test_cli_evaluate_help_ends_with_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert f"Example: relx {command} " in result.output


def test_cli_evaluate_compare_runs_paired_bootstrap(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    records = _records(2)
    write_predictions(a, records)
    worse = [Prediction(id=r.id, document_id=r.document_id, entity_a_id=r.entity_a_id,
                        entity_b_id=r.entity_b_id, gold=r.gold, pred="NOT") for r in records]
    write_predictions(b, worse)
    result = runner.invoke(app, ["eval", str(a), "--compare", str(b), "--bootstrap", "0",
                                 "--json"])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.output)["comparison"]
    assert comparison["pair"]["f1_b"] == 0.0
    assert comparison["pair"]["delta"] > 0.3
    assert comparison["pair"]["p_value"] < 0.01
    assert comparison["pair"]["n_resamples"] == 1000
