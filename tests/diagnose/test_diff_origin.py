"""relx diff on two runs configured like the two scripts of docs/origin.md."""

from __future__ import annotations

from relx.diagnose import diff_runs, doctor, Status


def test_diff_ranks_lr_for_method_and_effective_batch_first(origin_runs):
    run_a, run_b, _ = origin_runs
    result = diff_runs(run_a, run_b)
    top = [d.name for d in result.differences[:2]]
    assert top == ["learning_rate (vs method)", "effective_batch"], [
        (d.name, d.impact, d.reason) for d in result.differences]
    assert result.differences[0].impact == result.differences[1].impact == "HIGH"
    assert result.item("effective_batch").a == 16 * 4 * 4
    assert result.item("effective_batch").b == 8
    assert "3e-05" in result.differences[0].reason and "lora" in result.differences[0].reason
    # Settings that are equal are not listed.
    assert result.item("lora_r") is None and result.item("style") is None


def test_diff_reports_truncation_share_of_256_token_run(origin_runs):
    run_a, run_b, _ = origin_runs
    result = diff_runs(run_a, run_b)
    trunc_b = result.derived["b"]["truncation"]
    trunc_a = result.derived["a"]["truncation"]
    assert trunc_b["max_length"] == 256 and trunc_b["n"] == 48
    # The 24 long validation texts (~300 tokens + prompt) exceed 256 tokens; the prompt tail goes.
    assert trunc_b["truncated"] == 24 and trunc_b["tail_cut"] == 24
    assert trunc_a["truncated"] < trunc_b["truncated"]
    assert any("run B: 24/48" in n for n in result.notes)
    max_len = result.item("max_length")
    assert max_len.impact == "MEDIUM" and "50.0%" in max_len.reason


def test_diff_results_paired_and_comparability(origin_runs):
    run_a, run_b, _ = origin_runs
    result = diff_runs(run_a, run_b)
    comp = {c["what"]: c["same"] for c in result.comparability}
    assert comp["same validation documents"] is True
    assert comp["same label set"] is True
    assert result.results["b"]["f1"] > result.results["a"]["f1"]
    assert 0.0 <= result.results["paired"]["p_value"] <= 1.0
    assert result.results["n_disagreements"] > 0
    md = result.to_markdown()
    assert "| 1 | learning_rate (vs method)" in md and "## Results" in md


def test_doctor_run_flags_origin_lr_and_collapse(origin_runs):
    run_a, _, _ = origin_runs
    report = doctor(run_a)
    lr = report.get("run.lr_method")[0]
    # A setting outside its range is a warning, named as the likely cause of the low score.
    assert lr.status is Status.WARN and "likely cause" in lr.message
    assert report.get("run.effective_batch")[0].status is Status.WARN
    assert report.get("data.class_collapse")[0].status is Status.FAIL
    assert report.get("files.checkpoint")[0].status is Status.FAIL  # no checkpoint written


def test_diff_foreign_json_configs_like_the_origin_scripts(tmp_path):
    """The users' own per-split JSON configs (not relx runs) diff the same way."""
    import json

    yours = {"model_name": "meta-llama/Llama-3.1-8B-Instruct", "learning_rate": 3e-5, "batch_size": 16,
             "gradient_accumulation_steps": 4, "num_gpus": 4, "max_len": 512, "num_epochs": 10,
             "lora_r": 16, "lora_alpha": 32, "target_modules": "all-linear", "label_smoothing": 0.02,
             "warmup_steps": 100, "input_format": "typed_entity_marker_punct", "seed": 1}
    colleague = {**yours, "learning_rate": 2e-4, "batch_size": 1, "gradient_accumulation_steps": 8,
                 "num_gpus": 1, "max_len": 256, "num_epochs": 5, "target_modules": ["q_proj", "v_proj"],
                 "label_smoothing": 0.0, "warmup_steps": 0, "instruction_prompt": True,
                 "padding_side": "right"}
    a, b = tmp_path / "config_split_0_16_3e-05.json", tmp_path / "config_split_0_4_0.0002.json"
    a.write_text(json.dumps(yours))
    b.write_text(json.dumps(colleague))
    result = diff_runs(a, b)
    names = [d.name for d in result.differences]
    assert names[:2] == ["learning_rate (vs method)", "effective_batch"]
    assert result.item("effective_batch").a == 256
    assert result.item("instruction prompt").impact == "HIGH"  # Llama-...-Instruct without its prompt
    assert result.item("padding_side") is not None
    assert any(c["what"] == "same metric definition" and c["same"] is None for c in result.comparability)
    assert "no validation predictions" in " ".join(result.notes)


def test_diff_rejects_non_run_directory_with_code(tmp_path):
    import pytest

    from relx.errors import RunDirError

    (tmp_path / "empty").mkdir()
    (tmp_path / "cv").mkdir()
    (tmp_path / "cv" / "cv.json").write_text("{}")
    with pytest.raises(RunDirError, match=r"\[E704\].*config.resolved.yaml"):
        diff_runs(tmp_path / "empty", tmp_path / "empty")
    with pytest.raises(RunDirError, match=r"\[E704\].*CV directories") as info:
        diff_runs(tmp_path / "cv", tmp_path / "cv")
    assert "fold_0" in info.value.hint
