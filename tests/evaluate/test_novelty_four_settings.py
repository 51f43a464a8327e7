"""All four BioRED settings from a directory holding a relation and a novelty model.

The hand-made case: two documents, a relation model's validation predictions
(``RUN/predictions/val.jsonl``, no novelty) and a novelty model's (``RUN/novelty/...``, only
gold relations of known novelty, as the novelty task selects them). Each pair's outcome per
setting is written down by hand below and summed in the test, independently of relx.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relx import rundir
from relx.cli import app
from relx.evaluate import Prediction, evaluate, write_predictions, write_report

# (doc, a, b, gold, gold_novel, relation pred, novelty pred or None = not in the novelty file)
PAIRS = [
    ("D1", "a", "b", "Association", True, "Association", True),
    ("D1", "a", "c", "Bind", False, "Positive_Correlation", False),
    ("D1", "b", "c", "NOT", False, "Association", None),
    ("D2", "x", "y", "Negative_Correlation", True, "NOT", True),
    ("D2", "x", "z", "Association", False, "Association", True),
    ("D2", "y", "z", "Association", None, "Association", None),  # novelty not annotated
]

# Outcome of each pair above per setting, counted by hand: tp / fp / fn / "" (not counted).
#   ab: everything right.  ac: wrong type, right novelty.  bc: relation on a NOT pair.
#   xy: missed.  xz: right type, wrong novelty.  yz: right type, novelty unknown (left out).
BY_HAND = {
    "pair":         ["tp", "tp", "fp", "fn", "tp", "tp"],
    "pair_type":    ["tp", "fp+fn", "fp", "fn", "tp", "tp"],
    "pair_novelty": ["tp", "tp", "fp", "fn", "fp+fn", ""],
    "all":          ["tp", "fp+fn", "fp", "fn", "fp+fn", ""],
}


def _hand_counts(setting: str) -> tuple[int, int, int]:
    outcomes = "+".join(BY_HAND[setting]).split("+")
    return outcomes.count("tp"), outcomes.count("fp"), outcomes.count("fn")


def _write_run(root: Path, prefix: str = "") -> Path:
    relation, novelty = [], []
    for i, (doc, a, b, gold, gold_novel, pred, pred_novel) in enumerate(PAIRS):
        common = dict(id=f"{prefix}{doc}.{i}", document_id=f"{prefix}{doc}", entity_a_id=a, entity_b_id=b,
                      gold=gold, gold_novel=None if gold == "NOT" else gold_novel)
        relation.append(Prediction(**common, pred=pred, pred_novel=None))
        if pred_novel is not None:
            novelty.append(Prediction(**common, pred=gold, pred_novel=pred_novel))
    for run, records in ((root, relation), (root / rundir.NOVELTY_DIR, novelty)):
        run.mkdir(parents=True, exist_ok=True)
        (run / rundir.RUN_FILE).write_text(json.dumps({"format_version": 1,
                                                       "status": "complete"}))
        write_predictions(run / rundir.VAL_PREDICTIONS_FILE, records)
        (run / rundir.COMPLETE_MARKER).write_text("x\n")
    return root


def test_run_with_novelty_model_scores_four_settings_as_counted_by_hand(tmp_path: Path) -> None:
    run = _write_run(tmp_path / "run")
    scores = evaluate(run, n_bootstrap=200)["scores"]
    document = scores["document"]
    assert document["novelty_scored"] is True
    assert list(document["settings"]) == ["pair", "pair_type", "pair_novelty", "all"]
    for setting, expected in zip(document["settings"], ((4, 1, 1), (3, 2, 2), (2, 2, 2),
                                                        (1, 3, 3))):
        m = document["settings"][setting]
        assert (m["tp"], m["fp"], m["fn"]) == _hand_counts(setting) == expected, setting
        tp, fp, fn = expected
        assert m["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
        assert set(m["ci"]) == {"precision", "recall", "f1"}
    assert [document["settings"][s]["f1"] for s in document["settings"]] == pytest.approx(
        [0.8, 0.6, 0.5, 0.25])
    assert document["novelty_unknown_gold"] == 1
    # bc (relation on a NOT pair) and yz (unknown novelty) are not in the novelty file.
    assert scores["novelty_source"]["joined"] == 3
    assert scores["novelty_source"]["relations_without_novelty"] == 2


def test_run_without_novelty_model_scores_two_settings(tmp_path: Path) -> None:
    run = _write_run(tmp_path / "run")
    (run / rundir.NOVELTY_DIR / rundir.VAL_PREDICTIONS_FILE).unlink()
    scores = evaluate(run, n_bootstrap=0)["scores"]
    assert list(scores["document"]["settings"]) == ["pair", "pair_type"]
    assert "novelty_source" not in scores


def _write_cv(root: Path, k: int = 2) -> Path:
    root.mkdir(parents=True)
    (root / rundir.CV_FILE).write_text(json.dumps({"n_splits": k, "status": "complete"}))
    for fold in range(k):
        _write_run(root / rundir.fold_dir_name(fold), prefix=f"f{fold}")
    return root


def test_cv_eval_and_report_give_four_settings_per_fold_and_pooled(tmp_path: Path) -> None:
    cv = _write_cv(tmp_path / "cv")
    result = evaluate(cv, n_bootstrap=100)
    for fold in ("fold_0", "fold_1"):
        settings = result["folds"][fold]["document"]["settings"]
        assert settings["all"]["tp"] == 1 and settings["pair_novelty"]["fp"] == 2
    assert result["fold_summary"]["document_all_f1"]["mean"] == pytest.approx(0.25)
    assert result["fold_summary"]["document_pair_novelty_f1"]["values"] == [0.5, 0.5]
    # Pooled: two folds of two documents each, so every count doubles.
    pooled = result["scores"]["document"]["settings"]["all"]
    assert (pooled["tp"], pooled["fp"], pooled["fn"]) == (2, 6, 6)
    assert "ci" in pooled

    cli = CliRunner().invoke(app, ["eval", str(cv), "--bootstrap", "50"],
                             env={"COLUMNS": "220"})
    assert cli.exit_code == 0, cli.output
    assert "doc pair+type+novelty" in cli.output  # the fold table
    assert "BioRED doc: pair+type+novelty" in cli.output  # the pooled table
    assert "1 gold relations of unknown novelty left out" not in cli.output  # pooled: 2
    assert "2 gold relations of unknown novelty left out" in cli.output

    written = write_report(cv, tmp_path / "report", n_bootstrap=20)
    markdown = Path(written["markdown"]).read_text(encoding="utf-8")
    assert "doc pair + type + novelty F1" in markdown
    assert "BioRED document: pair + novelty" in markdown
    assert "0.2500 ± 0.0000" in markdown
