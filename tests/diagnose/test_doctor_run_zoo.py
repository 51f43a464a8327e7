"""Calibration of ``relx doctor`` on real runs of relx's own loop.

Healthy runs (the quickstart preset's recipe: balanced class weights, entity-start head; full
fine-tuning, and LoRA on a backbone that already knows the task) must pass with no failure;
each broken run must fail the check that names its cause, and only defects fail.
Training the zoo takes ~20-60 s on a 2-core CPU (module-scoped, built once).
"""

from __future__ import annotations

import pytest
from _run_zoo import derive, train_run

from relx.diagnose import Status, doctor


@pytest.fixture(scope="module")
def run_zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("run_zoo")
    full = train_run(root, "healthy_full", method="full")
    lora = train_run(root, "healthy_lora", method="lora", base=full / "checkpoints" / "best" / "backbone",
                     overrides={"train.epochs": 2})
    zoo = {"healthy_full": full, "healthy_lora": lora}
    for defect in ("bad_reload", "did_not_learn", "head_missing"):
        zoo[defect] = derive(full, root / defect, defect)
    zoo["lora_bad_reload"] = derive(lora, root / "lora_bad_reload", "bad_reload")
    return zoo


@pytest.mark.parametrize("name", ["healthy_full", "healthy_lora"])
def test_healthy_runs_pass_without_failure(run_zoo, name):
    report = doctor(run_zoo[name])
    assert report.ok, [c.to_json() for c in report.failed]
    # The numbers the doctor derives come from what the run did: skipped pairs are not counted.
    batch = report.get("run.effective_batch")[0]
    assert batch.evidence["updates_source"].startswith("metrics.jsonl")
    seen, n_train = batch.evidence["trained_examples_per_epoch"], batch.evidence["n_train"]
    assert seen is not None and seen <= n_train
    assert report.get("run.loss_curve")[0].status is not Status.FAIL
    assert report.get("run.best_reload")[0].status is Status.PASS
    if name == "healthy_lora":
        assert report.get("adapter.modules_to_save")[0].status is Status.PASS


@pytest.mark.parametrize(
    ("name", "check_id"),
    [
        ("bad_reload", "run.best_reload"),
        ("lora_bad_reload", "run.best_reload"),
        ("did_not_learn", "run.loss_curve"),
        ("head_missing", "head.present"),
    ],
)
def test_broken_runs_fail_the_check_that_names_the_cause(run_zoo, name, check_id):
    report = doctor(run_zoo[name])
    assert not report.ok
    assert any(c.status is Status.FAIL for c in report.get(check_id)), [c.to_json() for c in report.get(check_id)]


def test_cv_directory_of_healthy_folds_has_one_summary(run_zoo, tmp_path):
    import shutil

    cv = tmp_path / "cv"
    cv.mkdir()
    (cv / "cv.json").write_text("{}")
    shutil.copytree(run_zoo["healthy_full"], cv / "fold_0")
    shutil.copytree(run_zoo["bad_reload"], cv / "fold_1")
    report = doctor(cv, build_model=False)
    summary = report.get("cv.failures")[0]
    assert summary.status is Status.FAIL and "run.best_reload in 1/2 (fold_1)" in summary.message
    assert "±" in report.get("cv.f1")[0].message
