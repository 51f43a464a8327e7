"""relx cv orchestration with a stub trainer: rotation, summary maths, resume, failures."""

from __future__ import annotations

import json
import math

import pytest

from relx.errors import ConfigError
from relx.rundir import COMPLETE_MARKER, CV_FILE, CV_SUMMARY_FILE
from relx.train import cross_validate, fold_splits, summarize_folds, val_split_index

from _cv_helpers import StubTrainer, write_splits


def _base(split_files):
    return {"data": {"split_files": split_files}, "model": {"model_name_or_path": "stub"}}


def test_cv_fold_splits_follow_users_rotation():
    # docs/formats.md §2: fold 0 trains on splits 0-3 and validates on split_4.
    assert fold_splits(0, 5) == ([0, 1, 2, 3], 4)
    assert fold_splits(1, 5) == ([1, 2, 3, 4], 0)
    vals = [fold_splits(f, 5)[1] for f in range(5)]
    assert sorted(vals) == [0, 1, 2, 3, 4]  # every split validated exactly once


def test_cv_runs_every_fold_and_summarises(tmp_path):
    splits = write_splits(tmp_path)
    stub = StubTrainer(wrong_every=4)
    summary = cross_validate(_base(splits), out_dir=tmp_path / "cv", train_fn=stub)

    assert [c["fold"] for c in stub.calls] == [0, 1, 2, 3, 4]
    assert all((tmp_path / "cv" / f"fold_{k}" / COMPLETE_MARKER).exists() for k in range(5))
    on_disk = json.loads((tmp_path / "cv" / CV_SUMMARY_FILE).read_text())
    assert on_disk["n_folds"] == 5 and on_disk["failed_folds"] == []
    assert json.loads((tmp_path / "cv" / CV_FILE).read_text())["status"] == "complete"
    # each fold validated on split (f + 4) % 5: outcome records it
    assert [summary["outcomes"][str(k)]["val_split"] for k in range(5)] == [4, 0, 1, 2, 3]
    f1s = [summary["folds"][str(k)]["f1"] for k in range(5)]
    mean = sum(f1s) / 5
    std = math.sqrt(sum((f - mean) ** 2 for f in f1s) / 4)
    assert summary["mean"]["f1"] == pytest.approx(mean)
    assert summary["std"]["f1"] == pytest.approx(std)
    assert 0 < mean < 1  # the stub makes real mistakes
    assert set(summary["per_class"]) >= {"Association", "Bind"}
    assert summary["per_class"]["Association"]["support"] > 0
    # The per-fold configs are written for schedulers and name their fold.
    assert "fold: 3" in (tmp_path / "cv" / "configs" / "fold_3.yaml").read_text()


def test_cv_given_folds_only(tmp_path):
    splits = write_splits(tmp_path)
    stub = StubTrainer()
    summary = cross_validate(_base(splits), out_dir=tmp_path / "cv", folds=[0, 2], train_fn=stub)
    assert [c["fold"] for c in stub.calls] == [0, 2]
    assert sorted(summary["folds"]) == ["0", "2"]
    assert not (tmp_path / "cv" / "fold_1").exists()


def test_cv_resume_skips_complete_folds(tmp_path):
    splits = write_splits(tmp_path)
    first = StubTrainer(fail_folds=(3,))
    summary = cross_validate(_base(splits), out_dir=tmp_path / "cv", train_fn=first)
    assert summary["failed_folds"] == [3]
    assert "boom in fold 3" in summary["outcomes"]["3"]["error"]
    assert "boom" in (tmp_path / "cv" / "logs" / "fold_3.log").read_text()
    assert json.loads((tmp_path / "cv" / CV_FILE).read_text())["status"] == "failed"

    second = StubTrainer()
    summary = cross_validate(_base(splits), out_dir=tmp_path / "cv", train_fn=second)
    assert [c["fold"] for c in second.calls] == [3]  # only the failed fold runs again
    assert summary["failed_folds"] == [] and summary["n_folds"] == 5
    assert summary["outcomes"]["0"]["status"] == "skipped"


def test_cv_summarize_known_values():
    per_fold = {
        0: {"precision": 0.5, "recall": 1.0, "f1": 0.6, "accuracy": 0.9, "n": 10,
            "per_class": {"Bind": {"f1": 1.0, "support": 2}}},
        1: {"precision": 0.7, "recall": 0.5, "f1": 0.8, "accuracy": 0.8, "n": 10,
            "per_class": {"Bind": {"f1": 0.0, "support": 1}}},
    }
    s = summarize_folds(per_fold)
    assert s["mean"]["f1"] == pytest.approx(0.7)
    assert s["std"]["f1"] == pytest.approx(math.sqrt(0.02))  # sample std of 0.6, 0.8
    assert s["per_class"]["Bind"] == {"f1": [1.0, 0.0], "mean": 0.5,
                                      "std": pytest.approx(math.sqrt(0.5)), "support": 3}
    assert s["per_class"]["Conversion"]["support"] == 0


def test_cv_rejects_bad_folds_and_single_split_data(tmp_path):
    splits = write_splits(tmp_path)
    with pytest.raises(ConfigError, match=r"E413.*0\.\.4"):
        cross_validate(_base(splits), out_dir=tmp_path / "cv", folds=[7], train_fn=StubTrainer())
    cfg = {"data": {"train_files": splits[:1], "val_files": splits[1:2]}}
    with pytest.raises(ConfigError, match="E412"):
        cross_validate(cfg, out_dir=tmp_path / "cv2", train_fn=StubTrainer())
    with pytest.raises(ConfigError, match="E410"):
        cross_validate(_base(splits), out_dir=tmp_path / "cv3", gpus="0,x")


def test_cv_rotation_is_configurable(tmp_path):
    splits = write_splits(tmp_path, k=3)
    cfg = _base(splits)
    cfg["data"]["rotation"] = 1
    summary = cross_validate(cfg, out_dir=tmp_path / "cv", train_fn=StubTrainer())
    assert [summary["outcomes"][str(k)]["val_split"] for k in range(3)] == [
        val_split_index(k, 3, 1) for k in range(3)
    ] == [1, 2, 0]
