"""``evaluate`` on each kind of target: predictions file, run, CV directory."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from relx import rundir
from relx.errors import DataError, RunDirError
from relx.evaluate import detect_target, evaluate, pair_metrics, read_predictions


def test_evaluate_run_dir_scores_its_val_predictions(run_dir: Path) -> None:
    result = evaluate(run_dir, n_bootstrap=200, also_inflated=True)
    assert result["kind"] == "run"
    records = read_predictions(run_dir / rundir.VAL_PREDICTIONS_FILE)
    expected = pair_metrics([r.gold for r in records], [r.pred for r in records])
    scores = result["scores"]
    assert scores["pair"]["f1"] == pytest.approx(expected["f1"])
    assert scores["n_pairs"] == len(records)
    assert scores["document"]["novelty_scored"] is True
    assert set(scores["document"]["settings"]) == {"pair", "pair_type", "pair_novelty", "all"}
    assert scores["inflated"]["inflated"] is True
    assert scores["inflated"]["f1"] > scores["pair"]["f1"]
    json.dumps(result)  # eval.json must be plain JSON


def test_evaluate_cv_dir_scores_folds_and_pools(cv_dir: Path) -> None:
    result = evaluate(cv_dir, n_bootstrap=100)
    assert result["kind"] == "cv"
    assert list(result["folds"]) == ["fold_0", "fold_1", "fold_2"]
    f1s = [result["folds"][f]["pair"]["f1"] for f in result["folds"]]
    summary = result["fold_summary"]["f1"]
    assert summary["mean"] == pytest.approx(np.mean(f1s))
    assert summary["std"] == pytest.approx(np.std(f1s, ddof=1))
    pooled = result["scores"]
    assert pooled["n_pairs"] == sum(result["folds"][f]["n_pairs"] for f in result["folds"])
    assert pooled["n_documents"] == 36
    all_records = [r for k in range(3) for r in read_predictions(
        cv_dir / f"fold_{k}" / rundir.VAL_PREDICTIONS_FILE)]
    expected = pair_metrics([r.gold for r in all_records], [r.pred for r in all_records])
    assert pooled["pair"]["f1"] == pytest.approx(expected["f1"])


def test_evaluate_detects_each_target_kind(run_dir: Path, cv_dir: Path, tmp_path: Path) -> None:
    assert detect_target(run_dir) == "run"
    assert detect_target(cv_dir) == "cv"
    assert detect_target(run_dir / rundir.VAL_PREDICTIONS_FILE) == "predictions"
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / rundir.CHECKPOINT_META_FILE).write_text("{}")
    assert detect_target(ckpt) == "checkpoint"
    with pytest.raises(RunDirError, match="E602"):
        detect_target(tmp_path / "run" / "predictions")
    with pytest.raises(RunDirError, match="E601"):
        detect_target(tmp_path / "nope")


def test_evaluate_unfinished_run_without_predictions_says_what_to_do(tmp_path: Path) -> None:
    run = tmp_path / "r"
    run.mkdir()
    (run / rundir.RUN_FILE).write_text("{}")
    with pytest.raises(RunDirError) as info:
        evaluate(run)
    assert info.value.code == "E603"
    assert "unfinished" in str(info.value)
    assert "--data" in info.value.hint


def test_evaluate_predictions_without_gold_cannot_be_scored(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "1", "document_id": "1", "entity_a_id": "a",
                                "entity_b_id": "b", "gold": None, "pred": "Bind"}) + "\n")
    with pytest.raises(DataError, match="E506"):
        evaluate(path)


def test_evaluate_cv_dir_skips_unfinished_folds(cv_dir: Path) -> None:
    (cv_dir / "fold_1" / rundir.VAL_PREDICTIONS_FILE).unlink()
    result = evaluate(cv_dir, n_bootstrap=0)
    assert list(result["folds"]) == ["fold_0", "fold_2"]
    assert result["skipped_folds"] == ["fold_1"]
    for fold in ("fold_0", "fold_2"):
        (cv_dir / fold / rundir.VAL_PREDICTIONS_FILE).unlink()
    with pytest.raises(RunDirError, match="no fold has saved"):
        evaluate(cv_dir)
