"""`relx config show|fill|validate`: thin commands over the schema; errors one line per key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from relx.cli import app
from relx.train import load_config


def test_config_fill_then_show_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "filled.yaml"
    runner = CliRunner()
    result = runner.invoke(app, ["config", "fill", str(out), "--set", "model.method=lora"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "# Peak learning rate" in text  # every key is commented
    assert load_config(out).model.method == "lora"
    shown = runner.invoke(app, ["config", "show", str(out), "--set", "train.lr=1e-5"])
    assert shown.exit_code == 0, shown.output
    resolved = yaml.safe_load(shown.output)
    assert resolved["train"]["lr"] == 1e-5
    assert any("is low for method=lora" in n for n in resolved["notes"])


def test_config_validate_exits_1_with_one_line_per_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  lr: 2.0\n  sheduler: cosine\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", "from relx.cli import main; main()", "config", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    assert lines[0] == "error [E401] 2 config problems:"
    assert lines[1].startswith(f"{path}:2: train.lr: input should be less than 1; got 2.0.")
    assert lines[2].startswith(f"{path}:3: train.sheduler: unknown config key 'train.sheduler'; "
                               "did you mean 'train.scheduler'?; expected one of lr,")
    assert lines[3].startswith("hint: relx config validate")
