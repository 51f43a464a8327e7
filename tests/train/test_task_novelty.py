"""The novelty task (relx.task.novelty.v1): its rules, one trained model, and CV with both tasks.

The synthetic corpus marks a novel relation's sentence with "We show for the first time
that" (relx.data._synth), so a tiny from-scratch model has a cue to learn.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from _cv_helpers import StubTrainer, write_splits
from _train_helpers import tiny_setup
from typer.testing import CliRunner

from relx import rundir
from relx.cli import app
from relx.data import PairExample
from relx.errors import ConfigError
from relx.tasks import NOVELTY_TASK, get_task
from relx.train import cross_validate

runner = CliRunner()
_FAST = ["model.head=entity_start", "train.lr=2e-3", "train.batch_size=8",
         "train.warmup_ratio=0.05"]


def _example(label: str, novel: bool | None) -> PairExample:
    return PairExample(abstract_id=1, relation_id=f"{label}.{novel}", entity_a_id="a",
                       entity_b_id="b", label=label, novel=novel, text="a b",
                       entity_a=[(0, 1, "ChemicalEntity")], entity_b=[(2, 3, "ChemicalEntity")],
                       document_id="1")


def test_novelty_task_selects_known_gold_relations_and_scores_novel_f1() -> None:
    assert get_task("novelty") is NOVELTY_TASK is get_task("relx.task.novelty.v1")
    examples = [_example("Bind", True), _example("Bind", False), _example("Bind", None),
                _example("NOT", False), _example("NOT", None)]
    chosen = NOVELTY_TASK.select(examples)
    assert [(e.label, e.novel) for e in chosen] == [("Bind", True), ("Bind", False)]
    assert [NOVELTY_TASK.target(e) for e in examples] == ["Novel", "No", None, None, None]
    assert NOVELTY_TASK.labels(None) == ("No", "Novel")
    assert NOVELTY_TASK.negative_label is None and not NOVELTY_TASK.uses_type_pair_mask
    assert "novel" in NOVELTY_TASK.prompt_question
    # gold Novel, Novel, No, No, unknown; predicted Novel, No, Novel, No, Novel
    m = NOVELTY_TASK.score(["Novel", "Novel", "No", "No", None],
                           ["Novel", "No", "Novel", "No", "Novel"], ["No", "Novel"])
    assert (m["tp"], m["fp"], m["fn"], m["tn"], m["n"]) == (1, 1, 1, 1, 4)
    assert m["f1"] == pytest.approx(0.5) and m["accuracy"] == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="E408"):
        NOVELTY_TASK.labels(["NOT", "Bind"])


def test_relx_train_set_task_novelty_trains_one_novelty_model(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=60, architecture="roformer")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", str(config), "--out", str(run), "--no-progress",
                                 "--json", "--set", "task=novelty", "--set", "train.epochs=3",
                                 *[a for s in _FAST for a in ("--set", s)]])
    assert result.exit_code == 0, result.output
    summary = json.loads((run / rundir.SUMMARY_FILE).read_text())
    assert summary["task"] == "relx.task.novelty.v1"
    resolved = yaml.safe_load((run / rundir.CONFIG_FILE).read_text())
    assert resolved["data"]["labels"] == ["No", "Novel"]
    rows = [json.loads(line) for line in
            (run / rundir.VAL_PREDICTIONS_FILE).read_text().splitlines()]
    # Only gold relations of known novelty were validated on: every row is Novel or No.
    assert rows and {r["gold"] for r in rows} == {"Novel", "No"}
    assert all(r["id"].startswith("True.") for r in rows)
    # Measured: F1 of Novel 1.0 on the 30 held-out relations (deterministic on CPU).
    assert summary["final"]["f1"] > 0.8
    assert not (run / rundir.TYPE_PAIR_FILE).exists()  # no type-pair mask for novelty


def test_cv_tasks_trains_each_task_on_identical_folds(tmp_path: Path) -> None:
    splits = write_splits(tmp_path)
    stub = StubTrainer()
    base = {"data": {"split_files": splits}, "model": {"model_name_or_path": "stub"},
            "cv": {"tasks": ["relation", "novelty"], "folds": [0, 3]}}
    summary = cross_validate(base, out_dir=tmp_path / "cv", train_fn=stub)
    assert [(c["fold"], c["run_dir"].relative_to(tmp_path / "cv").as_posix())
            for c in stub.calls] == [(0, "fold_0"), (3, "fold_3"),
                                     (0, "novelty/fold_0"), (3, "novelty/fold_3")]
    assert summary["tasks"]["novelty"]["n_folds"] == 2
    config = yaml.safe_load((tmp_path / "cv" / "novelty" / "configs" / "fold_3.yaml").read_text())
    relation = yaml.safe_load((tmp_path / "cv" / "configs" / "fold_3.yaml").read_text())
    assert config["task"] == "relx.task.novelty.v1" and config["data"]["labels"] is None
    for key in ("split_files", "fold", "rotation"):
        assert config["data"][key] == relation["data"][key]


def test_cv_with_both_tasks_then_eval_prints_all_four_settings(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=60, architecture="roformer")
    raw["cv"] = {"tasks": ["relation", "novelty"]}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    cv = tmp_path / "cv"
    result = runner.invoke(app, ["cv", str(config), "--out", str(cv), "--folds", "0",
                                 "--no-progress", "--set", "train.epochs=3",
                                 *[a for s in _FAST for a in ("--set", s)]])
    assert result.exit_code == 0, result.output
    assert (cv / "novelty" / "fold_0" / rundir.COMPLETE_MARKER).exists()
    evaluated = runner.invoke(app, ["eval", str(cv), "--bootstrap", "50"],
                              env={"COLUMNS": "220"})
    assert evaluated.exit_code == 0, evaluated.output
    for name in ("pair+type", "pair+novelty", "pair+type+novelty"):
        assert f"BioRED doc: {name}" in evaluated.output
    saved = json.loads((cv / "eval.json").read_text())
    fold = saved["folds"]["fold_0"]
    assert fold["novelty_source"]["joined"] > 0
    assert set(fold["document"]["settings"]) == {"pair", "pair_type", "pair_novelty", "all"}
    assert "document_all_f1" in saved["fold_summary"]
