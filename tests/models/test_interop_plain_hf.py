"""Saved relx checkpoints load with plain transformers/peft, with the same logits as relx.

The backbone folder carries its tokenizer and id2label; the adapter folder has a task_type
and a relative base reference; the head is a plain linear layer on the [CLS] state.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from tiny_models import make_tiny_bert

from relx.labels import ALL_LABELS

TEXTS = ["BRCA1 binds MDM2 in breast cancer cells.", "Aspirin lowers the risk of colorectal cancer."]


def _saved(tmp_path: Path, method: str) -> tuple[Path, Path, torch.Tensor]:
    from relx.models import build_classifier

    base = make_tiny_bert(tmp_path / "tiny", TEXTS)
    torch.manual_seed(0)
    kwargs = {"lora_r": 4, "lora_alpha": 8, "target_modules": ["query", "value"]} if method == "lora" else {}
    model, tok = build_classifier(model_name_or_path=str(base), labels=list(ALL_LABELS), method=method,
                                  head="cls", **kwargs)
    if method == "lora":  # move LoRA B off zero so that the adapter changes the logits
        for name, p in model.backbone.named_parameters():
            if "lora_B" in name:
                torch.nn.init.normal_(p, std=0.5)
    model.eval()
    enc = tok(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
    return model.save(tmp_path / "ckpt", card_metrics={"f1": 0.81}), base, logits


def _head_logits(ckpt: Path, hidden: torch.Tensor) -> torch.Tensor:
    head = load_file(str(ckpt / "head.safetensors"))
    return hidden[:, 0].float() @ head["classifier.weight"].T + head["classifier.bias"]


def test_full_backbone_loads_with_plain_transformers_same_logits(tmp_path):
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    ckpt, _, logits = _saved(tmp_path, "full")
    folder = ckpt / "backbone"
    tok = AutoTokenizer.from_pretrained(folder)
    assert len(tok) > 5 and "[UNK]" not in tok.tokenize("binds cancer")
    config = AutoConfig.from_pretrained(folder)
    assert config.id2label[1] == "Association" and config.label2id["NOT"] == 0
    backbone = AutoModel.from_pretrained(folder).eval()
    enc = tok(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        hidden = backbone(**enc).last_hidden_state
    torch.testing.assert_close(_head_logits(ckpt, hidden), logits, atol=1e-5, rtol=1e-5)
    card = (ckpt / "README.md").read_text()
    assert "Association" in card and "0.8100" in card and "relx.load" in card


def test_lora_adapter_loads_with_plain_peft_same_logits(tmp_path):
    from peft import PeftConfig, PeftModel
    from transformers import AutoModel, AutoTokenizer

    ckpt, base, logits = _saved(tmp_path, "lora")
    adapter = ckpt / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["task_type"] == "FEATURE_EXTRACTION"
    assert not Path(config["base_model_name_or_path"]).is_absolute()
    assert (adapter / config["base_model_name_or_path"]).resolve() == base.resolve()
    assert PeftConfig.from_pretrained(adapter).task_type == "FEATURE_EXTRACTION"
    tok = AutoTokenizer.from_pretrained(adapter)
    model = PeftModel.from_pretrained(AutoModel.from_pretrained(adapter / config["base_model_name_or_path"]),
                                      adapter).eval()
    enc = tok(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    torch.testing.assert_close(_head_logits(ckpt, hidden), logits, atol=1e-5, rtol=1e-5)
    assert "peft" in (adapter / "README.md").read_text()


@pytest.mark.parametrize("method", ["full"])
def test_saved_model_reloads_with_relx_unchanged(tmp_path, method):
    from relx.models import load_classifier

    ckpt, _, logits = _saved(tmp_path, method)
    model, tok, _ = load_classifier(ckpt)
    enc = tok(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        again = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
    torch.testing.assert_close(again, logits, atol=1e-5, rtol=1e-5)
