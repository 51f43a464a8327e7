"""relx doctor on checkpoints saved by relx.models (tiny Llama, LoRA + marker tokens)."""

from __future__ import annotations

import torch

from relx.diagnose import Status, doctor
from relx.labels import ALL_LABELS


def _relx_checkpoint(base, out, *, steps: int):
    from relx.models import build_classifier

    torch.manual_seed(0)
    model, tok = build_classifier(model_name_or_path=str(base), labels=list(ALL_LABELS), method="lora",
                                  lora_r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                  marker_tokens=("[E1]", "[/E1]"))
    enc = tok(["[E1] BRCA1 [/E1] binds MDM2.", "Aspirin lowers risk."], return_tensors="pt", padding=True)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(steps):
        logits = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
        torch.nn.functional.cross_entropy(logits, torch.tensor([1, 0])).backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    return model.save(out)


def test_doctor_relx_checkpoint_trained_passes_untrained_and_headless_fail(zoo, tmp_path):
    trained = _relx_checkpoint(zoo["base"], tmp_path / "trained", steps=3)
    report = doctor(trained)
    assert report.kind == "relx_checkpoint"
    assert report.ok, [c.to_json() for c in report.failed]
    for check_id in ("head.trained", "tokenizer.added_tokens", "pooling.padding", "model.base_agreement"):
        assert report.get(check_id)[0].status is Status.PASS, report.get(check_id)[0].to_json()

    untrained = doctor(_relx_checkpoint(zoo["base"], tmp_path / "untrained", steps=0))
    assert {c.id for c in untrained.failed} == {"adapter.lora_b", "model.base_agreement"}
    assert untrained.get("head.trained")[0].status is Status.WARN  # inside nn.Linear's init bound

    (trained / "head.safetensors").unlink()
    headless = doctor(trained)
    assert headless.get("head.present")[0].status is Status.FAIL


def test_doctor_lora_decoder_counts_its_adapter_once_and_passes_the_plain_peft_copy(zoo, tmp_path):
    """A LoRA last_token decoder also saves adapter_seq_cls/ (relx/models/_export_peft.py): the
    same LoRA layers and marker rows for plain peft. relx never loads it, so the checkpoint's
    checks count relx's adapter once; the copy alone is a healthy plain peft checkpoint."""
    trained = _relx_checkpoint(zoo["base"], tmp_path / "trained", steps=3)
    assert (trained / "adapter_seq_cls" / "adapter_model.safetensors").is_file()
    report = doctor(trained, build_model=False)
    assert report.ok, [c.to_json() for c in report.failed]
    assert report.get("adapter.targets")[0].evidence["layers"] == 4  # 2 layers x q_proj, v_proj
    assert report.get("adapter.config")[0].evidence["task_type"] == "FEATURE_EXTRACTION"
    assert report.get("head.present")[0].evidence["file"] == "head.safetensors"

    plain = doctor(trained / "adapter_seq_cls", base_model=str(zoo["base"]))
    assert plain.kind == "peft_checkpoint"
    assert plain.ok, [c.to_json() for c in plain.failed]
    assert plain.get("adapter.config")[0].evidence["task_type"] == "SEQ_CLS"
    for check_id in ("adapter.modules_to_save", "adapter.lora_b", "head.present", "tokenizer.added_tokens",
                     "pooling.padding"):
        assert plain.get(check_id)[0].status is Status.PASS, plain.get(check_id)[0].to_json()
    assert plain.get("head.present")[0].evidence["key"] == "base_model.model.score.weight"


def test_doctor_full_bert_export_passes_and_a_missing_head_file_still_fails(tmp_path):
    """A full BERT cls fine-tune keeps a copy of its head in backbone/ for plain transformers
    (relx/models/_export.py); relx loads head.safetensors only, so without it the doctor fails."""
    from tiny_models import make_tiny_bert

    from relx.models import build_classifier

    texts = ["BRCA1 binds MDM2 in breast cancer cells.", "Aspirin lowers risk."]
    torch.manual_seed(0)
    model, tok = build_classifier(model_name_or_path=str(make_tiny_bert(tmp_path / "tiny", texts)),
                                  labels=list(ALL_LABELS), head="cls")
    enc = tok(texts, return_tensors="pt", padding=True)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(3):
        logits = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
        torch.nn.functional.cross_entropy(logits, torch.tensor([1, 0])).backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    ckpt = model.save(tmp_path / "ckpt")
    report = doctor(ckpt)
    assert report.ok, [c.to_json() for c in report.failed]
    for check_id in ("head.present", "pooling.padding", "model.load"):
        assert report.get(check_id)[0].status is Status.PASS, report.get(check_id)[0].to_json()
    assert report.get("head.present")[0].evidence["file"] == "head.safetensors"

    (ckpt / "head.safetensors").unlink()
    headless = doctor(ckpt)
    assert headless.get("head.present")[0].status is Status.FAIL
