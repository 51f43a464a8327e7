"""Each deliberately broken checkpoint is flagged as a failure by the right check."""

from __future__ import annotations

import pytest

from relx.diagnose import Status, doctor


def _status(report, check_id):
    checks = report.get(check_id)
    assert checks, f"{check_id} missing; got {[c.id for c in report.checks]}"
    return checks[0].status


def test_doctor_healthy_checkpoint_passes(zoo):
    report = doctor(zoo["healthy"])
    assert report.kind == "peft_checkpoint"
    assert report.ok, [c.to_json() for c in report.failed]
    assert _status(report, "adapter.lora_b") is Status.PASS
    assert _status(report, "head.present") is Status.PASS
    assert _status(report, "pooling.padding") is Status.PASS
    assert _status(report, "tokenizer.pad") is Status.PASS


@pytest.mark.parametrize(
    ("name", "check_id"),
    [
        ("untrained", "adapter.lora_b"),
        ("head_not_saved", "head.present"),
        ("head_not_saved", "adapter.modules_to_save"),
        ("pad_mismatch", "tokenizer.pad"),
        ("pad_mismatch", "pooling.padding"),
        ("added_tokens", "tokenizer.added_tokens"),
        ("pickled", "files.pickle"),
    ],
)
def test_doctor_broken_checkpoint_fails_right_check(zoo, name, check_id):
    report = doctor(zoo[name])
    assert not report.ok
    assert _status(report, check_id) is Status.FAIL, report.get(check_id)[0].to_json()


def test_doctor_untrained_fails_only_where_expected(zoo):
    report = doctor(zoo["untrained"], build_model=False)
    failed = {c.id for c in report.failed}
    assert failed == {"adapter.lora_b"}
    lora = report.get("adapter.lora_b")[0]
    assert lora.evidence["zero_b_layers"] == lora.evidence["layers"] == 4


def test_doctor_added_tokens_with_saved_embeddings_pass(zoo):
    report = doctor(zoo["added_tokens_saved"], build_model=False)
    assert _status(report, "tokenizer.added_tokens") is Status.PASS
    assert _status(report, "tokenizer.vocab") is Status.PASS


def test_doctor_pickle_read_only_when_allowed(zoo):
    report = doctor(zoo["pickled"], allow_pickle=True, build_model=False)
    check = report.get("files.pickle")[0]
    assert check.status is Status.WARN
    assert check.evidence["content"]["best_global_step"] == 5
    assert report.ok


def test_doctor_with_data_measures_truncation_and_base_agreement(zoo, tmp_path):
    import yaml

    from _diagnose_zoo import write_origin_runs

    _, _, val = write_origin_runs(tmp_path / "origin")
    config = tmp_path / "colleague.yaml"
    config.write_text(yaml.safe_dump({"represent": {"prompt": True, "max_length_tokens": 256},
                                      "model": {"method": "lora"}, "train": {"lr": 2e-4}}))
    report = doctor(zoo["healthy"], data=val, config=config, sample_size=4)
    trunc = report.get("data.truncation")[0]
    assert trunc.status is Status.FAIL  # right truncation cuts the Subject/Object tail
    assert trunc.evidence["truncated"] == trunc.evidence["tail_cut"] == 24
    assert report.get("model.base_agreement")[0].status is not Status.FAIL
    untrained = doctor(zoo["untrained"], data=val, config=config, sample_size=4)
    agreement = untrained.get("model.base_agreement")[0]
    assert agreement.status is Status.FAIL and agreement.evidence["agreement"] == 1.0
    collapse = untrained.get("data.class_collapse")[0]
    assert collapse.status is not Status.SKIP and collapse.evidence["n"] == 4


def test_doctor_hub_base_is_never_downloaded_and_base_model_option_resolves_it(zoo, tmp_path):
    import json
    import shutil

    ckpt = tmp_path / "hub_ref"
    shutil.copytree(zoo["healthy"], ckpt)
    cfg_path = ckpt / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["base_model_name_or_path"] = "meta-llama/Llama-3.1-8B-Instruct"
    cfg_path.write_text(json.dumps(cfg))
    offline = doctor(ckpt)
    assert offline.get("tokenizer.added_tokens")[0].status is Status.SKIP
    pooling = offline.get("pooling.padding")[0]
    assert pooling.status is Status.SKIP and "--base-model" in pooling.fix
    resolved = doctor(ckpt, base_model=str(zoo["base"]))
    assert resolved.get("tokenizer.added_tokens")[0].status is Status.PASS
    assert resolved.get("pooling.padding")[0].status is Status.PASS


def test_doctor_trainer_output_dir_examines_checkpoint_best(zoo, tmp_path):
    import shutil

    out = tmp_path / "fine_tuned_models" / "split_0"
    shutil.copytree(zoo["untrained"], out / "checkpoint-best")
    shutil.copytree(zoo["healthy"], out / "checkpoint-12")
    report = doctor(out, build_model=False)
    assert report.kind == "peft_checkpoint"
    assert report.get("adapter.lora_b")[0].status is Status.FAIL  # checkpoint-best, not checkpoint-12
