"""Saved relx checkpoints load with plain transformers/peft, with the same logits as relx.

The backbone folder carries its tokenizer and id2label; the adapter folder has a task_type
and a relative base reference. Where transformers has relx's head (``cls`` on BERT/RoBERTa,
``last_token`` on Llama), the backbone folder is that ``*ForSequenceClassification``
checkpoint (relx/models/_export.py); ``entity_start`` is relx's own and the card says so.
"""

from __future__ import annotations

import json
import stat
import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from tiny_models import make_tiny_bert

from relx._io import umask_mode
from relx.errors import RelxWarning
from relx.labels import ALL_LABELS

TEXTS = ["BRCA1 binds MDM2 in breast cancer cells.", "Aspirin lowers the risk of colorectal cancer.",
         "TP53 binds MDM2."]  # different lengths: padded rows


def _saved(tmp_path: Path, method: str, *, architecture: str = "bert", head: str = "cls"):
    """Build, randomise, save; returns ``(ckpt, base, logits, model, tokenizer)``."""
    from relx.models import build_classifier

    base = make_tiny_bert(tmp_path / "tiny", TEXTS, architecture=architecture)
    torch.manual_seed(0)
    targets = ["q_proj", "v_proj"] if architecture == "llama" else ["query", "value"]
    kwargs = {"lora_r": 4, "lora_alpha": 8, "target_modules": targets} if method == "lora" else {}
    model, tok = build_classifier(model_name_or_path=str(base), labels=list(ALL_LABELS), method=method,
                                  head=head, **kwargs)
    if method == "lora":  # move LoRA B off zero so that the adapter changes the logits
        for name, p in model.backbone.named_parameters():
            if "lora_B" in name:
                torch.nn.init.normal_(p, std=0.5)
    with torch.no_grad():  # a head far from init, so a dropped or misplaced layer shows
        for p in model.head.parameters():
            p.normal_(0.0, 0.5)
    model.eval()
    enc = tok(TEXTS, return_tensors="pt", padding=True)
    batch = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
    if head == "entity_start":  # tokens 1 and 2 of each row stand in for the two markers
        rows, width = enc["input_ids"].shape
        batch["entity_index"] = torch.arange(rows)[:, None] * width + torch.tensor([1, 2])
    with torch.no_grad():
        logits = model(batch)
    return model.save(tmp_path / "ckpt", card_metrics={"f1": 0.81}), base, logits, model, tok


def _head_logits(ckpt: Path, hidden: torch.Tensor) -> torch.Tensor:
    """relx's cls head by hand from head.safetensors: [dense + tanh] + linear on token 0."""
    head = load_file(str(ckpt / "head.safetensors"))
    pooled = hidden[:, 0].float()
    if "dense.weight" in head:
        pooled = torch.tanh(pooled @ head["dense.weight"].T + head["dense.bias"])
    return pooled @ head["classifier.weight"].T + head.get("classifier.bias", 0.0)


@pytest.mark.parametrize("architecture", ["bert", "roberta"])
def test_full_cls_encoder_loads_whole_with_plain_transformers_same_logits(tmp_path, architecture):
    from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    ckpt, _, logits, model, _ = _saved(tmp_path, "full", architecture=architecture)
    folder = ckpt / "backbone"
    tok = AutoTokenizer.from_pretrained(folder)
    assert len(tok) > 5 and "[UNK]" not in tok.tokenize("binds cancer")
    config = AutoConfig.from_pretrained(folder)
    name = {"bert": "BertForSequenceClassification", "roberta": "RobertaForSequenceClassification"}
    assert config.architectures == [name[architecture]]
    assert config.id2label[1] == "Association" and config.label2id["NOT"] == 0
    enc = tok(TEXTS, return_tensors="pt", padding=True)

    whole, loading = AutoModelForSequenceClassification.from_pretrained(folder, output_loading_info=True)
    assert type(whole).__name__ == name[architecture]
    assert not loading["missing_keys"] and not loading["mismatched_keys"], loading
    with torch.no_grad():
        plain = whole.eval()(**enc).logits
    torch.testing.assert_close(plain, logits, atol=1e-5, rtol=1e-5)

    backbone = AutoModel.from_pretrained(folder).eval()
    with torch.no_grad():
        hidden = backbone(**enc).last_hidden_state
        relx_hidden = model.backbone(input_ids=enc["input_ids"],
                                     attention_mask=enc["attention_mask"]).last_hidden_state
    torch.testing.assert_close(hidden, relx_hidden, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(_head_logits(ckpt, hidden), logits, atol=1e-5, rtol=1e-5)
    for weights in (folder / "model.safetensors", ckpt / "head.safetensors"):  # readable by others
        assert stat.S_IMODE(weights.stat().st_mode) == umask_mode(), weights
    card = (ckpt / "README.md").read_text()
    assert "Association" in card and "0.8100" in card and "relx.load" in card
    assert "AutoModelForSequenceClassification.from_pretrained(\"PATH/backbone\")" in card
    assert name[architecture] in card and card == (folder / "README.md").read_text()


def test_full_last_token_decoder_loads_as_llama_sequence_classifier_same_logits(tmp_path):
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    ckpt, _, logits, model, _ = _saved(tmp_path, "full", architecture="llama", head="last_token")
    folder = ckpt / "backbone"
    assert "classifier.bias" not in load_file(str(ckpt / "head.safetensors"))  # score has none
    config = AutoConfig.from_pretrained(folder)
    assert config.architectures == ["LlamaForSequenceClassification"]
    assert config.pad_token_id == model.info.pad_token_id == 0
    tok = AutoTokenizer.from_pretrained(folder)
    enc = tok(TEXTS, return_tensors="pt", padding=True)
    assert enc["attention_mask"].min() == 0  # a padded row: HF must skip the pads itself
    assert (enc["input_ids"][enc["attention_mask"].bool()] != config.pad_token_id).all()
    whole, loading = AutoModelForSequenceClassification.from_pretrained(folder, output_loading_info=True)
    assert type(whole).__name__ == "LlamaForSequenceClassification"
    assert not loading["missing_keys"], loading
    with torch.no_grad():
        plain = whole.eval()(**enc).logits
    torch.testing.assert_close(plain, logits, atol=1e-5, rtol=1e-5)
    card = (ckpt / "README.md").read_text()
    assert "LlamaForSequenceClassification" in card and "rightmost token that is not `pad_token_id`" in card


@pytest.mark.parametrize("architecture", ["bert", "llama"])
def test_relx_loads_its_own_export_quietly_and_unchanged(tmp_path, architecture):
    from relx.models import load_classifier

    head = "last_token" if architecture == "llama" else "cls"
    ckpt, _, logits, _, _ = _saved(tmp_path, "full", architecture=architecture, head=head)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RelxWarning)
        model, tok, info = load_classifier(ckpt)
    assert info.format_version == 2
    assert getattr(model.backbone, "pooler", None) is None
    enc = tok(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        again = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
    torch.testing.assert_close(again, logits, atol=1e-5, rtol=1e-5)


def test_entity_start_keeps_a_headless_backbone_and_the_card_says_relx_load(tmp_path):
    from transformers import AutoConfig

    from relx.models import load_classifier

    ckpt, _, _, _, _ = _saved(tmp_path, "full", head="entity_start")
    assert AutoConfig.from_pretrained(ckpt / "backbone").architectures == ["BertModel"]
    assert not any(k.startswith("classifier") for k in load_file(str(ckpt / "backbone" / "model.safetensors")))
    card = (ckpt / "README.md").read_text()
    assert "transformers has no such head, so load the whole classifier with `relx.load`" in card
    assert "AutoModelForSequenceClassification" not in card
    model, _, _ = load_classifier(ckpt)
    assert model.head.dense is None and model.head.classifier.bias is not None


def test_lora_adapter_loads_with_plain_peft_same_logits(tmp_path):
    from peft import PeftConfig, PeftModel
    from transformers import AutoModel, AutoTokenizer

    ckpt, base, logits, _, _ = _saved(tmp_path, "lora")
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
    card = (ckpt / "README.md").read_text()
    assert "a LoRA adapter holds the backbone only" in card and "relx.load" in card


def _as_format_1(ckpt: Path, head: dict[str, torch.Tensor]) -> None:
    """Rewrite a checkpoint the way relx saved it before format 2 (head layout, version)."""
    save_file(head, str(ckpt / "head.safetensors"), metadata={"format": "pt"})
    info_path = ckpt / "relx_model.json"
    info = json.loads(info_path.read_text())
    info["format_version"] = 1
    info_path.write_text(json.dumps(info))


def test_format_1_cls_head_without_dense_still_loads(tmp_path):
    from transformers import AutoModel

    from relx.models import load_classifier

    ckpt, _, _, _, tok = _saved(tmp_path, "full", head="cls")
    old = {k: v for k, v in load_file(str(ckpt / "head.safetensors")).items() if k.startswith("classifier.")}
    _as_format_1(ckpt, old)
    model, _, info = load_classifier(ckpt)
    assert info.format_version == 1 and model.head.dense is None
    enc = tok(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
        hidden = AutoModel.from_pretrained(ckpt / "backbone").eval()(**enc).last_hidden_state
    torch.testing.assert_close(logits, hidden[:, 0] @ old["classifier.weight"].T + old["classifier.bias"],
                               atol=1e-5, rtol=1e-5)


def test_format_1_last_token_head_with_bias_still_loads(tmp_path):
    from relx.models import load_classifier

    ckpt, _, logits, _, tok = _saved(tmp_path, "full", architecture="llama", head="last_token")
    head = load_file(str(ckpt / "head.safetensors"))
    bias = torch.linspace(-1.0, 1.0, len(ALL_LABELS))
    _as_format_1(ckpt, {**head, "classifier.bias": bias})
    model, _, _ = load_classifier(ckpt)
    torch.testing.assert_close(model.head.classifier.bias, bias)
    enc = tok(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        again = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
    torch.testing.assert_close(again, logits + bias, atol=1e-5, rtol=1e-5)
