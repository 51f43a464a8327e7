"""Run-level checks: best-checkpoint reload, instruct prompt, recorded truncation, curves,
and the diff's rescoring of a reported F1 under our protocol."""

from __future__ import annotations

import json
import math

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

    def rows(n_pos_pred, n=300, gold_pos=42):
        # n pairs, gold_pos gold relations; the model predicts n_pos_pred of them, NOT elsewhere.
        return [{"gold": "Association" if i < gold_pos else "NOT",
                 "pred": "Association" if i < n_pos_pred else "NOT"} for i in range(n)]

    cases = [(rows(42), Status.PASS), (rows(21), Status.WARN), (rows(9), Status.FAIL),
             # The same rate on a 64-pair sample with 13 gold relations is noise: a warning.
             (rows(3, n=64, gold_pos=13), Status.WARN)]
    for records, expected in cases:
        rep = DoctorReport(path="x", kind="relx_run")
        check_prediction_distribution(records, rep, source="test", class_weights_on=True)
        check = rep.get("data.class_collapse")[0]
        assert check.status is expected, (len(records), check.message)
        assert "class_weights" not in check.fix  # already on: not advised again


def _write_val_gold(run, counts):
    """The run's validation predictions with these gold-label counts (pred = gold)."""
    records = [{"id": f"p{i}", "gold": label, "pred": label}
               for i, label in enumerate(label for label, n in counts.items() for _ in range(n))]
    (run / "predictions" / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def _write_curve(run, evals):
    """A training loss falling 2.0 -> 0.4 and levelling off over 40 steps, then these (step,
    f1) evaluations."""
    with open(run / "metrics.jsonl", "w") as handle:
        for step in range(1, 41):
            handle.write(json.dumps({"event": "train", "step": step, "loss": 0.4 + 1.6 * math.exp(-step / 5)}) + "\n")
        for step, f1 in evals:
            handle.write(json.dumps({"event": "eval", "step": step, "f1": f1}) + "\n")


def test_loss_curve_judges_one_evaluation_against_chance_not_against_itself(origin_runs):
    """A step-capped run validates once, at the end (the case study's SmolLM2 run: F1 0.29 at
    step 600). "Stayed at 0.29 -> best 0.29" is no evidence of not learning: the baseline is
    chance, the F1 of predicting one label for every pair (here 2 x 0.06 / 1.1 = 0.109)."""
    run_a, _, _ = origin_runs
    _write_val_gold(run_a, {"NOT": 90, "Association": 6, "Positive_Correlation": 4})
    _write_curve(run_a, [(40, 0.29)])
    check = doctor(run_a).get("run.loss_curve")[0]
    assert check.status is Status.PASS, check.message
    assert check.evidence["validation_learned"] is True
    assert "above chance (0.109" in check.evidence["validation"]
    # One evaluation at chance level: the model did not learn, however the loss fell.
    _write_curve(run_a, [(40, 0.15)])
    check = doctor(run_a).get("run.loss_curve")[0]
    assert check.status is Status.FAIL and "less than 0.1 above chance (0.109" in check.message
    _write_curve(run_a, [(40, 0.0)])
    check = doctor(run_a).get("run.loss_curve")[0]
    assert check.status is Status.FAIL and "0.000 is below chance (0.109" in check.message
    # Without gold labels one evaluation says nothing; the falling loss decides.
    (run_a / "predictions" / "val.jsonl").unlink()
    _write_curve(run_a, [(40, 0.15)])
    check = doctor(run_a).get("run.loss_curve")[0]
    assert check.status is Status.PASS and check.evidence["validation_learned"] is None


def test_constant_predictor_f1_is_the_best_single_label_everywhere():
    from relx.diagnose._curves import constant_predictor_f1

    # Association everywhere: P 0.06, R 0.6 -> F1 0.109; Positive_Correlation: 0.073; NOT: 0.
    assert abs(constant_predictor_f1({"NOT": 90, "Association": 6, "Positive_Correlation": 4},
                                     negative="NOT") - 2 * 0.06 / 1.1) < 1e-12
    assert constant_predictor_f1({"NOT": 5}, negative="NOT") == 0.0
    assert constant_predictor_f1({}, negative="NOT") is None
