"""relx sweep: grid parsing/expansion, configs written out, validation first, results."""

from __future__ import annotations

import json

import pytest
import yaml

from relx.errors import ConfigError
from relx.train import SWEEP_FILE, expand_grid, parse_grid, sweep

from _cv_helpers import StubTrainer, write_splits


def test_sweep_parse_grid_keeps_flow_lists_whole():
    grid = parse_grid(["train.lr=3e-5,2e-4", "model.lora.target_modules=[q_proj,v_proj],all-linear"])
    assert grid == {"train.lr": ["3e-5", "2e-4"],
                    "model.lora.target_modules": ["[q_proj,v_proj]", "all-linear"]}


@pytest.mark.parametrize("bad", ["train.lr", "train.lr=", "=1,2", "train.lr=1,,2"])
def test_sweep_parse_grid_rejects_malformed(bad):
    with pytest.raises(ConfigError, match="E420"):
        parse_grid([bad])


def test_sweep_parse_grid_rejects_repeated_key():
    with pytest.raises(ConfigError, match="given twice"):
        parse_grid(["train.lr=1e-4", "train.lr=2e-4"])


def test_sweep_expand_grid_is_product_in_stable_order():
    points = expand_grid({"train.lr": ["3e-5", "2e-4"], "model.lora.r": ["8", "16"]})
    assert [p.name for p in points] == ["000_lr-3e-5_r-8", "001_lr-3e-5_r-16",
                                        "002_lr-2e-4_r-8", "003_lr-2e-4_r-16"]
    assert points[1].overrides == ["train.lr=3e-5", "model.lora.r=16"]


def test_sweep_write_only_writes_loadable_configs(tmp_path):
    splits = write_splits(tmp_path)
    base = {"data": {"split_files": splits}, "model": {"model_name_or_path": "stub",
                                                       "method": "lora"}}
    points = sweep(base, grid=["train.lr=3e-5,2e-4", "model.lora.r=8,16"], out_dir=tmp_path / "sw",
                   run=False)
    assert len(points) == 4
    written = yaml.safe_load((tmp_path / "sw" / "configs" / "003_lr-2e-4_r-16.yaml").read_text())
    assert written["train"]["lr"] == pytest.approx(2e-4)
    assert written["model"]["lora"]["r"] == 16
    manifest = json.loads((tmp_path / "sw" / SWEEP_FILE).read_text())
    assert manifest["status"] == "written" and len(manifest["points"]) == 4
    from relx.train import load_config_file

    cfg = load_config_file(tmp_path / "sw" / "configs" / "000_lr-3e-5_r-8.yaml")
    assert cfg.train.lr == pytest.approx(3e-5) and cfg.data.split_files == splits


def test_sweep_validates_every_point_before_running(tmp_path):
    splits = write_splits(tmp_path)
    stub = StubTrainer()
    with pytest.raises(ConfigError) as info:
        sweep({"data": {"split_files": splits}}, grid=["train.lr=1e-4,7", "train.epochs=1,0"],
              out_dir=tmp_path / "sw", train_fn=stub)
    assert "E421" in str(info.value) and "4 sweep points" in str(info.value)
    assert stub.calls == []  # nothing trained


def test_sweep_runs_cv_points_and_resumes(tmp_path):
    splits = write_splits(tmp_path, k=3)
    stub = StubTrainer()
    points = sweep({"data": {"split_files": splits}}, grid=["train.lr=1e-4,2e-4"],
                   out_dir=tmp_path / "sw", mode="cv", folds=[0, 1], train_fn=stub)
    assert [p.status for p in points] == ["complete", "complete"]
    assert len(stub.calls) == 4
    assert all(0 < p.metrics["f1"] <= 1 and p.metrics["n_folds"] == 2 for p in points)
    assert (tmp_path / "sw" / "000_lr-1e-4" / "fold_1" / "COMPLETE").exists()

    again = StubTrainer()
    points = sweep({"data": {"split_files": splits}}, grid=["train.lr=1e-4,2e-4"],
                   out_dir=tmp_path / "sw", mode="cv", folds=[0, 1], train_fn=again)
    assert again.calls == [] and [p.status for p in points] == ["skipped", "skipped"]


def test_sweep_train_mode_reports_failures_per_point(tmp_path):
    splits = write_splits(tmp_path, k=3)
    stub = StubTrainer(fail_folds=(2,))
    points = sweep({"data": {"split_files": splits}}, grid=["data.fold=0,2"],
                   out_dir=tmp_path / "sw", mode="train", train_fn=stub)
    assert [p.status for p in points] == ["complete", "failed"]
    assert "boom in fold 2" in points[1].error
    assert points[0].metrics["f1"] > 0
    assert json.loads((tmp_path / "sw" / SWEEP_FILE).read_text())["status"] == "failed"


def test_sweep_cli_write_only_and_bad_grid(tmp_path):
    from typer.testing import CliRunner

    from relx.cli import app

    splits = write_splits(tmp_path, k=3)
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump({"data": {"split_files": splits}}))
    runner = CliRunner()
    result = runner.invoke(app, ["sweep", str(base), "--grid", "train.lr=1e-4,2e-4",
                                 "--grid", "train.epochs=1,2", "--out", str(tmp_path / "sw"),
                                 "--write-only"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "sw" / "configs").glob("*.yaml"))) == 4
    assert "wrote 4 configs" in result.output
    # The CLI boundary (relx.cli.main): a malformed grid is one line and exit 1, no traceback.
    import subprocess
    import sys

    bad = subprocess.run([sys.executable, "-c", "from relx.cli import main; main()", "sweep",
                          str(base), "--grid", "train.lr", "--out", str(tmp_path / "x")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "E420" in bad.stderr and "Traceback" not in bad.stderr
