"""The seams of the training recipe: task registry, config keys, custom labels, relative-path
resume, restartable failed starts, checkpoint recovery (issues 9 and 14)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import yaml
from _train_helpers import tiny_setup

from relx import rundir
from relx.errors import ConfigError, RelxError
from relx.labels import ALL_LABELS
from relx.train import load_config, train


def test_task_registry_names_and_unknown_task() -> None:
    from relx.tasks import get_task, task_names

    relation = get_task("relation")
    assert get_task("relx.task.relation.v1") is relation is get_task(None)
    assert relation.labels(None) == ALL_LABELS and relation.negative_label == "NOT"
    assert {"relation", "relx.task.relation.v1"} <= set(task_names())
    with pytest.raises(ConfigError, match=r"\[E415\].*expected one of relation"):
        get_task("novelty-typo")


def test_config_task_and_batching_keys_are_validated_and_resolved() -> None:
    from relx.train import resolve_config

    with pytest.raises(ConfigError) as info:
        load_config({}, ["task=relashun", "train.batching=packd"])
    text = str(info.value)
    assert "task (from --set): expected one of relation" in text
    assert "train.batching (from --set): expected one of ['padded', 'packed']" in text
    resolved = resolve_config(load_config({}, ["task=relation"]))
    assert resolved.task == "relx.task.relation.v1"
    assert resolved.data.labels == list(ALL_LABELS)
    assert resolved.train.batching == "padded"  # auto on a machine without CUDA
    assert resolved.working_directory == str(Path.cwd())
    assert resolve_config(resolved) == resolved  # idempotent


def test_custom_labels_run_writes_predictions_relx_reads_back(tmp_path: Path) -> None:
    from relx.evaluate import read_predictions

    raw = tiny_setup(tmp_path, n_docs=8)
    labels = [*ALL_LABELS, "Custom_Relation"]
    config = load_config(raw, [f"data.labels=[{', '.join(labels)}]", "train.max_steps=1"])
    summary = train(config, run_dir=tmp_path / "run", progress=False)
    assert summary["status"] == "complete"
    records = read_predictions(tmp_path / "run" / rundir.VAL_PREDICTIONS_FILE)
    assert records and set(records[0].probs) == set(labels)
    # split files from relx data build annotate novelty; a gold positive keeps it, NOT is False
    assert {r.gold_novel for r in records if r.gold == "NOT"} == {False}


def test_missing_novelty_stays_unknown_in_predictions() -> None:
    from relx.data import PairExample
    from relx.evaluate import predictions_from_probs

    entry = {"abstract_id": 1, "relation_id": "r1", "entity_a_id": "A", "entity_b_id": "B",
             "type": "Bind", "text": "a b", "entity_a": [[0, 1, "ChemicalEntity"]],
             "entity_b": [[2, 3, "GeneOrGeneProduct"]]}
    example = PairExample.from_json(entry)  # no "novel" key: not annotated
    assert example.novel is None
    probs = [[0.1] + [0.9 / 8] * 8]
    (record,) = predictions_from_probs([example], probs)
    assert record.gold_novel is None


def _write_yaml(path: Path, raw: dict) -> Path:
    path.write_text(yaml.safe_dump(raw))
    return path


def test_resume_with_relative_paths_from_the_readme_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tiny_setup(tmp_path, n_docs=10)
    splits = [Path(p) for p in raw["data"].pop("split_files")]
    monkeypatch.chdir(tmp_path)
    config_file = _write_yaml(tmp_path / "cfg.yaml", {**raw, "train": {**raw["train"],
                                                                        "epochs": 1}})
    relative = "[" + ", ".join(str(p.relative_to(tmp_path)) for p in splits) + "]"
    overrides = [f"data.split_files={relative}"]
    first = train(load_config(config_file, overrides), run_dir="runs_f0", progress=False,
                  max_steps_this_session=1)
    assert first["status"] == "interrupted"
    saved = load_config(tmp_path / "runs_f0" / rundir.CONFIG_FILE)
    assert all(Path(p).is_absolute() for p in saved.data.split_files)
    assert saved.working_directory == str(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = train(load_config(config_file, overrides), run_dir="runs_f0", resume=True,
                        progress=False)
    assert not [w for w in caught if "differ" in str(w.message)]
    assert resumed["status"] == "complete"


def test_failed_start_is_marked_failed_and_the_same_command_starts_again(
    tmp_path: Path,
) -> None:
    raw = tiny_setup(tmp_path, n_docs=8)
    split = Path(raw["data"]["split_files"][1])
    good = split.read_text()
    split.write_text("{not json")
    config = load_config(raw, ["train.max_steps=1"])
    run = tmp_path / "run"
    with pytest.raises(RelxError):
        train(config, run_dir=run, progress=False)
    assert json.loads((run / rundir.RUN_FILE).read_text())["status"] == "failed"
    split.write_text(good)
    summary = train(config, run_dir=run, progress=False)  # the same command, no E609
    assert summary["status"] == "complete"
    assert json.loads((run / rundir.RUN_FILE).read_text())["status"] == "complete"


def test_recover_checkpoints_after_a_kill_between_the_renames(tmp_path: Path) -> None:
    from relx.train._checkpoint import is_checkpoint, recover_checkpoints

    run = tmp_path / "run"
    ckpt = run / rundir.CHECKPOINTS_DIR
    (run / rundir.RUN_FILE).parent.mkdir(parents=True)
    (run / rundir.RUN_FILE).write_text("{}")
    # killed after `last` -> `.last.old`, before `.last.staging` -> `last`
    old = ckpt / ".last.old"
    old.mkdir(parents=True)
    (old / rundir.CHECKPOINT_META_FILE).write_text('{"step": 4}')
    staging = ckpt / ".last.staging"
    staging.mkdir()
    (staging / "model.safetensors").write_bytes(b"half")
    # killed during a best save, and inside an atomic write of metrics.jsonl
    (ckpt / "best").mkdir()
    (ckpt / "best" / rundir.CHECKPOINT_META_FILE).write_text('{"step": 2}')
    (ckpt / ".best.staging").mkdir()
    (run / ".metrics.jsonl.abc.tmp").write_text("partial")

    done = recover_checkpoints(run)
    assert is_checkpoint(ckpt / "last")
    assert json.loads((ckpt / "last" / rundir.CHECKPOINT_META_FILE).read_text())["step"] == 4
    assert json.loads((ckpt / "best" / rundir.CHECKPOINT_META_FILE).read_text())["step"] == 2
    assert sorted(p.name for p in ckpt.iterdir()) == ["best", "last"]
    assert not (run / ".metrics.jsonl.abc.tmp").exists()
    assert len(done) == 4
