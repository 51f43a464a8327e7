"""A CV report carries what a researcher expects: the CV configuration, F1 vs threshold,
per-fold view, per-type-pair table, FP/FN with text, doctor findings, versions + commit."""

from __future__ import annotations

import json

from _evaluate_helpers import make_cv_dir

from relx import rundir
from relx.evaluate import read_predictions, write_report


def test_cv_report_sections(tmp_path):
    cv = make_cv_dir(tmp_path / "cv", k=2)
    (cv / rundir.CV_FILE).write_text(json.dumps({"n_splits": 2, "config_source": "quickstart/minilm",
                                                 "overrides": ["train.epochs=2"], "status": "complete"}))
    for k, fold in enumerate(sorted(cv.glob("fold_*"))):
        (fold / rundir.CONFIG_FILE).write_text(f"data:\n  fold: {k}\n  n_splits: 2\ntrain:\n  lr: 0.0002\n")
        (fold / rundir.ENV_FILE).write_text(json.dumps({"packages": {"relx": "0.1.0", "torch": "2.x"},
                                                        "git": {"commit": "abc1234", "dirty": False}}))
        preds = read_predictions(fold / rundir.VAL_PREDICTIONS_FILE)
        split = tmp_path / f"val_{k}.json"
        split.write_text(json.dumps([{"abstract_id": p.document_id, "relation_id": p.id,
                                      "document_id": p.document_id, "text": f"TEXT OF {p.id}",
                                      "entity_a_id": p.entity_a_id, "entity_b_id": p.entity_b_id,
                                      "type": p.gold, "entity_a": [[0, 4, "ChemicalEntity"]],
                                      "entity_b": [[5, 7, "GeneOrGeneProduct"]]} for p in preds]))
        (fold / rundir.DATA_FILE).write_text(json.dumps({"val_split": str(split)}))
    written = write_report(cv, tmp_path / "rep", n_bootstrap=20)
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "f1_threshold" in written["plots"]
    assert "## CV configuration" in md and "quickstart/minilm" in md and "<per fold: 0, 1>" in md
    assert "## Cross-validation folds" in md and "| fold_1 |" in md
    assert "ChemicalEntity – GeneOrGeneProduct" in md
    assert "## Sample of false positives" in md
    assert "## relx doctor findings" in md and "cv.failures" in md
    assert "TEXT OF f" in md  # the false positives/negatives come with their input text
    assert "abc1234" in md
