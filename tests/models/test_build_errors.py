"""User mistakes in build_classifier raise typed errors that name the setting."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from relx.errors import ConfigError, ModelError
from relx.labels import ALL_LABELS
from relx.models import build_classifier, detect_kind


def test_build_qlora_without_backend_is_a_clear_model_error(tiny_llama_dir):
    if importlib.util.find_spec("bitsandbytes") is not None and torch.cuda.is_available():
        pytest.skip("QLoRA backend present")
    with pytest.raises(ModelError, match=r"E304.*qlora.*(bitsandbytes|CUDA)"):
        build_classifier(model_name_or_path=tiny_llama_dir, labels=ALL_LABELS, method="qlora")


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"method": "adapter"}, ConfigError, "method must be one of"),
        ({"head": "mean"}, ConfigError, "head must be one of"),
        ({"head": "cls"}, ConfigError, "does not fit this decoder"),
        ({"dtype": "int8"}, ConfigError, "dtype must be one of"),
        ({"method": "lora", "target_modules": ["nope_proj"]}, ConfigError, "target_modules"),
        ({"method": "lora", "lora_r": 0}, ConfigError, "lora_r=0"),
        ({"labels": ["NOT"]}, ConfigError, "at least 2 distinct"),
        ({"gguf_file": "missing.gguf"}, ModelError, "missing.gguf"),
    ],
)
def test_build_rejects_bad_settings(tiny_llama_dir, kwargs, error, pattern):
    settings = {"model_name_or_path": tiny_llama_dir, "labels": ALL_LABELS, **kwargs}
    with pytest.raises(error, match=pattern):
        build_classifier(**settings)


def test_build_unloadable_backbone_is_a_model_error(tmp_path):
    (tmp_path / "empty").mkdir()  # a local folder without config.json
    with pytest.raises(ModelError, match="E305"):
        build_classifier(model_name_or_path=tmp_path / "empty", labels=ALL_LABELS)


def test_detect_kind_from_config():
    from transformers import BertConfig, LlamaConfig, T5Config

    assert detect_kind(BertConfig())[0] == "encoder"
    assert detect_kind(LlamaConfig())[0] == "decoder"  # no architectures (as GGUF configs)
    with pytest.raises(ModelError, match="encoder-decoder"):
        detect_kind(T5Config())


def test_build_rejects_a_decoder_head_on_an_encoder(tiny_bert_dir):
    with pytest.raises(ConfigError, match="head=.last_token. does not fit this encoder"):
        build_classifier(model_name_or_path=tiny_bert_dir, labels=ALL_LABELS, head="last_token")


def test_build_warns_on_half_precision_full_fine_tuning(tiny_bert_dir):
    from relx.errors import RelxWarning

    with pytest.warns(RelxWarning, match="half-precision weights"):
        model, _ = build_classifier(
            model_name_or_path=tiny_bert_dir, labels=ALL_LABELS, method="full", dtype="bfloat16"
        )
    assert model.info.dtype == "bfloat16"


def test_forward_names_missing_batch_keys(tiny_bert_dir):
    model, _ = build_classifier(
        model_name_or_path=tiny_bert_dir, labels=ALL_LABELS, head="entity_start"
    )
    ids = torch.tensor([[2, 5, 6, 3]])
    mask = torch.ones_like(ids)
    with pytest.raises(ModelError, match="expected at least input_ids"):
        model({"attention_mask": mask})
    with pytest.raises(ModelError, match="entity_start head needs"):
        model({"input_ids": ids, "attention_mask": mask})
    packed = {"input_ids": ids, "attention_mask": mask, "position_ids": torch.arange(4)[None]}
    with pytest.raises(ModelError, match="packed batch .* without pool_index"):
        model({**packed, "entity_index": torch.tensor([[1, 2]])})
