"""relx doctor / relx diff through the CLI: build -> train (real relx train) -> doctor, diff."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "diagnose"))
import _diagnose_zoo as zoo_helpers  # noqa: E402  (the diagnose tests' zoo builders)

from relx.cli import app  # noqa: E402

runner = CliRunner()


def test_cli_doctor_exit_codes_json_and_md(tmp_path):
    base = zoo_helpers.make_base(tmp_path / "base", pad_token_id=0)
    healthy = zoo_helpers.make_checkpoint(tmp_path / "healthy", base)
    broken = zoo_helpers.make_checkpoint(tmp_path / "untrained", base, train=False)
    ok = runner.invoke(app, ["doctor", str(healthy), "--md", str(tmp_path / "h.md")])
    assert ok.exit_code == 0, ok.output
    assert "✔" in ok.output and "0 failed" in ok.output
    assert (tmp_path / "h.md").read_text().startswith("# relx doctor")
    bad = runner.invoke(app, ["doctor", str(broken), "--json", "--no-model"])
    assert bad.exit_code == 1
    report = json.loads(bad.stdout)
    assert report["ok"] is False
    assert [c["id"] for c in report["checks"] if c["status"] == "fail"] == ["adapter.lora_b"]


def test_cli_doctor_help_has_example():
    for command in ("doctor", "diff"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Example: relx " + command in result.output


def _train(config: dict, out: Path) -> None:
    """Train with the real engine through its CLI: build -> train -> doctor/diff."""
    import yaml

    cfg_path = out.parent / f"{out.name}.yaml"
    cfg_path.write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(cfg_path), "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert (out / "COMPLETE").is_file()


def test_cli_train_then_doctor_and_diff_origin_configs(tmp_path):
    """Two real relx runs set up like docs/origin.md's scripts (tiny: 16 pairs, 1 epoch)."""
    _, _, val = zoo_helpers.write_origin_runs(tmp_path / "data")
    train = json.loads((tmp_path / "data" / "train.json").read_text())[:16]
    (tmp_path / "data" / "train16.json").write_text(json.dumps(train))
    base = zoo_helpers.make_base(tmp_path / "base", pad_token_id=0)
    data = {"train_files": [str(tmp_path / "data" / "train16.json")], "val_files": [str(val)]}
    model = {"model_name_or_path": str(base), "method": "lora", "head": "last_token"}
    run_a, run_b = tmp_path / "run_a", tmp_path / "run_b"
    _train({"data": data, "model": {**model, "lora": {"r": 16, "alpha": 32, "target_modules": "all-linear"}},
            "represent": {"style": "typed_entity_marker_punct", "prompt": False, "max_length_tokens": 512},
            "train": {"lr": 3e-5, "batch_size": 8, "grad_accum_steps": 8, "epochs": 1, "seed": 0}}, run_a)
    _train({"data": data, "model": {**model, "lora": {"r": 16, "alpha": 32, "target_modules": ["q_proj", "v_proj"]}},
            "represent": {"style": "typed_entity_marker_punct", "prompt": True, "max_length_tokens": 256},
            "train": {"lr": 2e-4, "batch_size": 1, "grad_accum_steps": 8, "epochs": 1, "seed": 0}}, run_b)
    doc = runner.invoke(app, ["doctor", str(run_a), "--json"])
    report = json.loads(doc.stdout)
    status = {c["id"]: c["status"] for c in report["checks"]}
    # lr 3e-5 for LoRA is a setting outside its range: a warning naming the likely cause;
    # only defects (here: the collapse it causes) fail and set the exit code.
    lr = next(c for c in report["checks"] if c["id"] == "run.lr_method")
    assert status["run.lr_method"] == "warn" and "likely cause" in lr["message"]
    assert doc.exit_code == (0 if report["ok"] else 1)
    assert status["head.present"] == "pass" and status["pooling.padding"] == "pass"
    md = tmp_path / "diff.md"
    result = runner.invoke(app, ["diff", str(run_a), str(run_b), "--json", "--md", str(md)])
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    assert [d["name"] for d in diff["differences"][:2]] == ["learning_rate (vs method)", "effective_batch"]
    trunc_b = diff["derived"]["b"]["truncation"]
    assert trunc_b["truncated"] == 24 and trunc_b["share"] == pytest.approx(0.5)
    assert "| 1 | learning_rate (vs method)" in md.read_text()


def test_cli_diff_says_not_comparable_first_and_fits_80_columns(tmp_path):
    run_a, run_b, _ = zoo_helpers.write_origin_runs(tmp_path / "origin")
    path = run_b / "predictions" / "val.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    for r in rows:
        r["document_id"] = str(int(r["document_id"]) + 500)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = runner.invoke(app, ["diff", str(run_a), str(run_b)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("NOT COMPARABLE")
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "no validation predictions" not in result.output
