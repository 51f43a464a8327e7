"""Run-level checks: best-checkpoint reload, instruct prompt, recorded truncation, curves,
and the diff's rescoring of a reported F1 under our protocol."""

from __future__ import annotations

import json

import yaml

from relx.diagnose import Status, diff_runs, doctor


def _edit_summary(run, **fields):
    path = run / "summary.json"
    summary = json.loads(path.read_text())
    summary.update(fields)
    path.write_text(json.dumps(summary))


def test_run_best_reload_mismatch_fails(origin_runs):
    run_a, _, _ = origin_runs
    _edit_summary(run_a, best={"step": 40, "epoch": 2, "metrics": {"f1": 0.61}}, final={"f1": 0.45})
    check = doctor(run_a).get("run.best_reload")[0]
    assert check.status is Status.FAIL
    assert check.evidence["f1_at_selection"] == 0.61 and check.evidence["f1_after_reload"] == 0.45
    _edit_summary(run_a, final={"f1": 0.61})
    assert doctor(run_a).get("run.best_reload")[0].status is Status.PASS


def test_run_instruct_model_without_prompt_warns(origin_runs):
    run_a, run_b, _ = origin_runs
    for run in (run_a, run_b):
        cfg = yaml.safe_load((run / "config.resolved.yaml").read_text())
        cfg["model"]["model_name_or_path"] = "meta-llama/Llama-3.1-8B-Instruct"
        (run / "config.resolved.yaml").write_text(yaml.safe_dump(cfg))
    assert doctor(run_a).get("run.prompt")[0].status is Status.WARN
    assert doctor(run_b).get("run.prompt")[0].status is Status.PASS
    # In a diff, the missing prompt is HIGH for an instruct model, still ranked after lr and batch.
    result = diff_runs(run_a, run_b)
    names = [d.name for d in result.differences]
    assert result.item("instruction prompt").impact == "HIGH"
    assert names.index("instruction prompt") == 2


def test_run_recorded_truncation_and_loss_curve(origin_runs):
    run_a, _, _ = origin_runs
    _edit_summary(run_a, truncated={"train": 0, "val": 12, "train_lost_mention": 0, "val_lost_mention": 3},
                  n_val=24)
    with open(run_a / "metrics.jsonl", "w") as handle:
        for step in range(1, 21):
            handle.write(json.dumps({"event": "train", "step": step, "loss": 2.12 + 0.001 * (step % 2)}) + "\n")
        for epoch, f1 in enumerate((0.30, 0.44, 0.41), 1):
            handle.write(json.dumps({"event": "eval", "epoch": epoch, "f1": f1}) + "\n")
    report = doctor(run_a)
    trunc = report.get("data.truncation_recorded")[0]
    assert trunc.status is Status.FAIL and "12/24" in trunc.message
    # Flat loss, but validation F1 0.30 -> 0.44: the model learned; a warning, not a failure.
    assert report.get("run.loss_curve")[0].status is Status.WARN
    peak = report.get("run.val_peak")[0]
    assert peak.status is Status.PASS and peak.evidence["best_at"] == 2
    assert "epoch 2" in peak.message and "epoch 3" in peak.message
    # Flat loss and validation F1 that never moved off ~0: did not learn.
    with open(run_a / "metrics.jsonl", "w") as handle:
        for step in range(1, 21):
            handle.write(json.dumps({"event": "train", "step": step, "loss": 2.12 + 0.001 * (step % 2)}) + "\n")
        for epoch in (1, 2, 3):
            handle.write(json.dumps({"event": "eval", "epoch": epoch, "f1": 0.02}) + "\n")
    check = doctor(run_a).get("run.loss_curve")[0]
    assert check.status is Status.FAIL and "did not learn" in check.message


def test_diff_rescores_reported_inflated_f1(origin_runs):
    run_a, run_b, _ = origin_runs
    from relx.evaluate import inflated_metrics, read_predictions

    preds = read_predictions(run_b / "predictions" / "val.jsonl")
    inflated = inflated_metrics([p.gold for p in preds], [p.pred for p in preds])["f1"]
    _edit_summary(run_b, eval_f1=inflated)
    result = diff_runs(run_a, run_b)
    item = next(c for c in result.comparability if c["what"] == "run B's F1 under our protocol")
    assert item["same"] is False
    assert "INFLATED" in item["detail"]
    assert abs(item["rescored"] - result.results["b"]["f1"]) < 1e-9


def test_doctor_cv_directory_examines_every_fold(origin_runs, tmp_path):
    import shutil

    run_a, run_b, _ = origin_runs
    cv = tmp_path / "cv"
    cv.mkdir()
    (cv / "cv.json").write_text("{}")
    shutil.copytree(run_a, cv / "fold_0")
    shutil.copytree(run_b, cv / "fold_1")
    report = doctor(cv, build_model=False)
    assert report.kind == "relx_cv"
    lr_checks = {c.evidence["fold"]: c.status for c in report.get("run.lr_method")}
    assert lr_checks == {"fold_0": Status.WARN, "fold_1": Status.PASS}
    # One summary across folds comes first: the collapse of fold_0 is a defect, named there.
    assert report.checks[1].section == "cv"
    failures = report.get("cv.failures")[0]
    assert failures.status is Status.FAIL and "data.class_collapse in 1/2 (fold_0)" in failures.message
    assert not report.ok


def test_doctor_cv_directory_lists_folds_in_fold_order(origin_runs, tmp_path):
    """fold_10 comes after fold_2 (the order of the folds, not of their names)."""
    import shutil

    run_a, _, _ = origin_runs
    cv = tmp_path / "cv"
    cv.mkdir()
    (cv / "cv.json").write_text("{}")
    for k in (10, 2):
        shutil.copytree(run_a, cv / f"fold_{k}")
    report = doctor(cv, build_model=False)
    assert report.get("run.cv")[0].evidence["folds"] == ["fold_2", "fold_10"]


def test_run_warmup_share_of_updates(origin_runs):
    run_a, run_b, _ = origin_runs
    # A: 400 examples / (16 x 4 x 4 = 256) = 2 updates per epoch x 10 epochs = 20 updates; warmup 100.
    warm = doctor(run_a).get("run.warmup")[0]
    assert warm.status is Status.WARN and warm.evidence["total_updates"] == 20
    assert doctor(run_b).get("run.warmup")[0].status is Status.PASS  # warmup 0


def test_class_collapse_fails_only_when_collapsed():
    from relx.diagnose import DoctorReport
    from relx.diagnose._run import check_prediction_distribution

    def rows(n_pos_pred):
        # 100 pairs, 14 gold relations; the model predicts n_pos_pred of them, NOT elsewhere.
        return [{"gold": "Association" if i < 14 else "NOT", "pred": "Association" if i < n_pos_pred else "NOT"}
                for i in range(100)]

    for n_pred, expected in ((14, Status.PASS), (7, Status.WARN), (3, Status.FAIL)):
        rep = DoctorReport(path="x", kind="relx_run")
        check_prediction_distribution(rows(n_pred), rep, source="test", class_weights_on=True)
        check = rep.get("data.class_collapse")[0]
        assert check.status is expected, (n_pred, check.message)
        assert "class_weights" not in check.fix  # already on: not advised again
