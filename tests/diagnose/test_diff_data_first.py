"""relx diff says first when two runs are validated on different documents, ranks the data
above every hyperparameter, and compares whole CV directories (pooled and per fold)."""

from __future__ import annotations

import json
import shutil

from relx.diagnose import diff_runs


def _move_validation(run, offset: int) -> None:
    """Rewrite a run's predictions onto other documents (another fold's validation split)."""
    path = run / "predictions" / "val.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    for r in rows:
        r["document_id"] = str(int(r["document_id"]) + offset)
        r["id"] = f"{r['id']}.{offset}"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_diff_different_validation_documents_said_first(origin_runs):
    run_a, run_b, _ = origin_runs
    _move_validation(run_b, 500)
    result = diff_runs(run_a, run_b)
    assert result.headline.startswith("NOT COMPARABLE") and "different documents" in result.headline
    assert result.differences[0].name == "validation documents"
    assert result.differences[0].score > max(d.score for d in result.differences[1:])
    assert result.to_markdown().splitlines()[2].startswith("**NOT COMPARABLE")
    # Both runs have predictions: no false "no validation predictions" note.
    assert not any("no validation predictions" in n for n in result.notes)


def test_diff_same_documents_no_headline_and_missing_predictions_noted(origin_runs):
    run_a, run_b, _ = origin_runs
    assert diff_runs(run_a, run_b).headline == ""
    (run_b / "predictions" / "val.jsonl").unlink()
    notes = diff_runs(run_a, run_b).notes
    assert any("no validation predictions for run B" in n for n in notes)


def test_diff_cv_directories_pooled_and_per_fold(origin_runs, tmp_path):
    run_a, run_b, _ = origin_runs
    for name, run in (("cv_a", run_a), ("cv_b", run_b)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "cv.json").write_text("{}")
        for k in range(2):
            shutil.copytree(run, tmp_path / name / f"fold_{k}")
            if k:
                _move_validation(tmp_path / name / f"fold_{k}", 500)
    result = diff_runs(tmp_path / "cv_a", tmp_path / "cv_b")
    assert [r["fold"] for r in result.per_fold] == ["fold_0", "fold_1"]
    assert all(r["same_documents"] for r in result.per_fold)
    assert result.headline == ""
    assert result.results["a"]["n"] == 96  # pooled: 48 pairs x 2 folds
    assert result.differences[0].name == "learning_rate (vs method)"
    assert "| fold_1 |" in result.to_markdown()
