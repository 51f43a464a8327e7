"""GGUF backbones: built from a folder + gguf_file or the .gguf path, saved, reloaded exactly."""

from __future__ import annotations

import json

import pytest
import torch

from relx.labels import ALL_LABELS
from relx.models import MODEL_INFO_FILE, build_classifier, load_classifier

MARKERS = ["[E1]", "[/E1]", "[E2]", "[/E2]"]
TEXTS = ["[E1] BRCA1 [/E1] binds [E2] MDM2 [/E2]<|im_end|>", "[E2] asthma [/E2] and [E1] IL4 [/E1]"]


def _perturb_trainable(model: torch.nn.Module) -> None:
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.add_(0.3 * torch.randn(parameter.shape, generator=generator))


@pytest.mark.parametrize("method", ["lora", "full"])
def test_gguf_backbone_save_load_identical_logits(tiny_gguf_dir, tmp_path, method):
    from transformers import AutoModel

    source = {"model_name_or_path": tiny_gguf_dir, "gguf_file": "tiny.gguf"}
    if method == "full":  # the .gguf path alone works too
        source = {"model_name_or_path": tiny_gguf_dir / "tiny.gguf"}
    model, tokenizer = build_classifier(
        **source,
        labels=ALL_LABELS,
        method=method,
        marker_tokens=MARKERS,
        init_lora_weights=False,
    )
    assert model.info.gguf_file == "tiny.gguf"
    assert model.info.base_model == str(tiny_gguf_dir.resolve())
    assert model.kind == "decoder" and model.info.head == "last_token"
    # The GGUF tokenizer has no pad token: pad = eos, identically in tokenizer and config.
    assert tokenizer.pad_token == "<|im_end|>" == tokenizer.eos_token
    base = model.backbone if method == "full" else model.backbone.get_base_model()
    assert base.config.pad_token_id == tokenizer.pad_token_id
    _perturb_trainable(model)
    model.eval()
    tokenizer.padding_side = "left"
    encoded = tokenizer(TEXTS, padding=True, return_tensors="pt")
    batch = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
    with torch.no_grad():
        expected = model(batch)
        alone = torch.cat([model(dict(tokenizer([t], return_tensors="pt"))) for t in TEXTS])
    torch.testing.assert_close(expected, alone, atol=1e-5, rtol=1e-4)

    if method == "full":
        # transformers refuses to save a GGUF-loaded model; relx must not.
        with pytest.raises(ValueError, match="gguf"):
            AutoModel.from_pretrained(tiny_gguf_dir, gguf_file="tiny.gguf").save_pretrained(
                tmp_path / "plain"
            )
    model.save(tmp_path / "m")
    info = json.loads((tmp_path / "m" / MODEL_INFO_FILE).read_text())
    assert info["gguf_file"] == "tiny.gguf"
    loaded, loaded_tokenizer, _ = load_classifier(tmp_path / "m")
    assert loaded_tokenizer.pad_token_id == tokenizer.pad_token_id
    with torch.no_grad():
        torch.testing.assert_close(loaded(batch), expected, rtol=0, atol=1e-6)
