"""Saved relx checkpoints load with plain transformers/peft, with the same logits as relx.

The backbone folder carries its tokenizer and id2label; the adapter folder has a task_type
and a relative base reference. Where transformers has relx's head (``cls`` on BERT/RoBERTa,
``last_token`` on Llama), the backbone folder is that ``*ForSequenceClassification``
checkpoint (relx/models/_export.py); ``entity_start`` is relx's own and the card says so.
"""

from __future__ import annotations

import json
import os
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
    assert not (ckpt / "adapter_seq_cls").exists()  # a LoRA run's export only


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
    assert not (ckpt / "adapter_seq_cls").exists()  # relx saves no SEQ_CLS adapter for encoders


@pytest.mark.parametrize("method", ["lora", "full"])
def test_every_saved_file_follows_the_umask(tmp_path, method):
    """safetensors (relx's head, peft's adapter, transformers' weights) creates 0600 files;
    under a shared cluster's umask 022 every file of a saved model must be 0644."""
    old = os.umask(0o022)
    try:
        ckpt, *_ = _saved(tmp_path, method)
    finally:
        os.umask(old)
    files = [p for p in ckpt.rglob("*") if p.is_file()]
    assert any(p.suffix == ".safetensors" and p.parent != ckpt for p in files)
    modes = {str(p.relative_to(ckpt)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert set(modes.values()) == {"0o644"}, modes


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


# --- LoRA on a Llama-family decoder: adapter_seq_cls/ for plain peft (relx/models/_export_peft.py)

MARKED = ["[E1] BRCA1 [/E1] binds [E2] MDM2 [/E2] in breast cancer cells.",
          "[E1] Aspirin [/E1] lowers the risk of [E2] colorectal cancer [/E2].", "[E2] TP53 [/E2] binds [E1] MDM2 [/E1]."]


def _trained_lora_decoder(tmp_path: Path, *, markers: bool, steps: int = 3):
    """A tiny Llama LoRA ``last_token`` classifier after a few AdamW steps, saved.

    Returns ``(ckpt, base, logits, model, enc)``: relx's float32 eval logits on ``enc``. The
    steps move LoRA B off zero and, with ``markers``, the new marker rows off their init, so
    an adapter that lost either would change the logits.
    """
    from relx.models import build_classifier

    texts = MARKED if markers else TEXTS
    base = make_tiny_bert(tmp_path / "tiny", texts, architecture="llama")
    torch.manual_seed(0)
    model, tok = build_classifier(
        model_name_or_path=str(base), labels=list(ALL_LABELS), method="lora", head="last_token",
        lora_r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
        marker_tokens=("[E1]", "[/E1]") if markers else ())
    assert bool(model.info.new_token_ids) == markers
    enc = tok(texts, return_tensors="pt", padding=True)
    batch = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-2)
    for _ in range(steps):
        torch.nn.functional.cross_entropy(model(batch), torch.tensor([1, 4, 0])).backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    with torch.no_grad():
        logits = model(batch)
    return model.save(tmp_path / "run" / "checkpoints" / "best", card_metrics={"f1": 0.5}), base, logits, model, enc


@pytest.mark.parametrize("markers", [True, False], ids=["new_marker_tokens", "no_new_tokens"])
def test_lora_last_token_decoder_loads_whole_with_plain_peft_same_logits(tmp_path, markers):
    from peft import PeftConfig, PeftModel
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from relx.diagnose._inventory import RELX_EXPORT_DIRS
    from relx.models import ADAPTER_SEQ_CLS_DIR

    assert ADAPTER_SEQ_CLS_DIR == "adapter_seq_cls" and RELX_EXPORT_DIRS == (ADAPTER_SEQ_CLS_DIR,)
    ckpt, base, logits, model, enc = _trained_lora_decoder(tmp_path, markers=markers)
    folder = ckpt / ADAPTER_SEQ_CLS_DIR
    ours = json.loads((ckpt / "adapter" / "adapter_config.json").read_text())
    config = json.loads((folder / "adapter_config.json").read_text())
    assert ours["task_type"] == "FEATURE_EXTRACTION"  # relx's own adapter is unchanged
    assert config["task_type"] == "SEQ_CLS" and "score" in config["modules_to_save"]
    assert config["auto_mapping"] is None
    for key in ("peft_type", "r", "lora_alpha", "lora_dropout", "target_modules", "bias",
                "trainable_token_indices", "use_rslora", "use_dora"):
        assert config[key] == ours[key], key
    assert config["trainable_token_indices"] == (model.info.new_token_ids or None)
    assert config["base_model_name_or_path"] == ours["base_model_name_or_path"]
    assert not Path(config["base_model_name_or_path"]).is_absolute()
    assert (folder / config["base_model_name_or_path"]).resolve() == base.resolve()
    assert PeftConfig.from_pretrained(folder).task_type == "SEQ_CLS"

    # The key layout of peft's own SEQ_CLS save (checked in the module docstring): the
    # AutoModel adapter's keys under the class's `model.` prefix, plus the head as `score`.
    relx_state = load_file(str(ckpt / "adapter" / "adapter_model.safetensors"))
    state = load_file(str(folder / "adapter_model.safetensors"))
    expected = {k.replace("base_model.model.", "base_model.model.model.", 1) for k in relx_state}
    assert set(state) == expected | {"base_model.model.score.weight"}
    for key, value in relx_state.items():
        torch.testing.assert_close(state[key.replace("base_model.model.", "base_model.model.model.", 1)], value)
    torch.testing.assert_close(state["base_model.model.score.weight"], model.head.classifier.weight)
    lora_b = [v for k, v in state.items() if "lora_B" in k]
    assert len(lora_b) == 4 and all(v.abs().max() > 1e-4 for v in lora_b)  # trained: the test can fail
    rows = [k for k in state if "trainable_tokens_delta" in k]
    assert rows == (["base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta"] if markers else [])
    for name in ("adapter_model.safetensors", "adapter_config.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == umask_mode(), name

    # Plain transformers + peft only: the whole classifier, relx's logits.
    tok = AutoTokenizer.from_pretrained(folder)
    assert tok(MARKED if markers else TEXTS, return_tensors="pt", padding=True)["input_ids"].equal(enc["input_ids"])
    whole = AutoModelForSequenceClassification.from_pretrained(
        folder / config["base_model_name_or_path"], num_labels=len(ALL_LABELS), pad_token_id=model.info.pad_token_id)
    assert type(whole).__name__ == "LlamaForSequenceClassification"
    if markers:
        assert model.info.vocab_size > whole.get_input_embeddings().weight.shape[0]
        whole.resize_token_embeddings(model.info.vocab_size, mean_resizing=False)
    whole = PeftModel.from_pretrained(whole, folder).eval()
    assert whole.dtype == torch.float32
    with torch.no_grad():
        plain = whole(**enc).logits
        with whole.disable_adapter():  # base backbone, untrained score: far from relx's logits
            assert (whole(**enc).logits - logits).abs().max() > 1e-2
    torch.testing.assert_close(plain, logits, atol=1e-5, rtol=1e-5)
    if markers:  # the adapter's rows, not the resized base's random ones, reach the model
        with torch.no_grad():
            relx_rows = model.backbone.get_base_model().get_input_embeddings()(torch.tensor(model.info.new_token_ids))
            plain_rows = whole.get_base_model().get_input_embeddings()(torch.tensor(model.info.new_token_ids))
        torch.testing.assert_close(plain_rows, relx_rows)

    card = (ckpt / "README.md").read_text()
    assert card == (folder / "README.md").read_text() == (ckpt / "adapter" / "README.md").read_text()
    assert ("base = AutoModelForSequenceClassification.from_pretrained(BASE, "
            f"num_labels={len(ALL_LABELS)}, pad_token_id={model.info.pad_token_id})") in card
    assert "model = PeftModel.from_pretrained(base, \"PATH/adapter_seq_cls\")" in card
    assert ("base.resize_token_embeddings(" in card) == markers
    assert "a LoRA adapter holds the backbone only" not in card


def test_lora_decoder_with_seq_cls_export_loads_in_relx_unchanged(tmp_path):
    import relx
    from relx.models import load_classifier

    ckpt, _, logits, _, enc = _trained_lora_decoder(tmp_path, markers=True)
    assert (ckpt / "adapter_seq_cls").is_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RelxWarning)
        model, _, info = load_classifier(ckpt)
    assert info.format_version == 2 and info.method == "lora"
    with torch.no_grad():
        again = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
    torch.testing.assert_close(again, logits, atol=1e-5, rtol=1e-5)
    loaded = relx.load(tmp_path / "run")  # the run directory: its best checkpoint
    assert loaded.labels == tuple(ALL_LABELS)
    with torch.no_grad():
        torch.testing.assert_close(loaded.model({"input_ids": enc["input_ids"],
                                                 "attention_mask": enc["attention_mask"]}), logits,
                                   atol=1e-5, rtol=1e-5)


def test_skipped_seq_cls_export_removes_a_stale_folder_and_the_card_says_why(tmp_path, monkeypatch):
    from dataclasses import replace

    import relx.models._classifier as classifier
    from relx.models._export_peft import seq_cls_plan

    ckpt, _, _, model, _ = _trained_lora_decoder(tmp_path, markers=False, steps=1)
    assert (ckpt / "adapter_seq_cls").is_dir()
    monkeypatch.setattr(classifier, "seq_cls_plan",
                        lambda info, head: replace(seq_cls_plan(info, head), skipped="a test says so"))
    model.save(ckpt)  # again, into the same directory
    assert not (ckpt / "adapter_seq_cls").exists() and (ckpt / "adapter" / "adapter_model.safetensors").is_file()
    card = (ckpt / "README.md").read_text()
    assert "No `adapter_seq_cls/` (a SEQ_CLS adapter for `LlamaForSequenceClassification`) was written: " \
           "a test says so." in card
    assert "a LoRA adapter holds the backbone only" in card and "PATH/adapter_seq_cls" not in card


@pytest.mark.parametrize("damage", ["key_outside_the_model", "marker_rows_missing"])
def test_seq_cls_export_skips_an_adapter_it_cannot_represent(tmp_path, damage):
    import shutil

    from relx.models._export_peft import save_seq_cls_adapter, seq_cls_plan

    ckpt, _, _, model, _ = _trained_lora_decoder(tmp_path, markers=True, steps=0)
    adapter = tmp_path / "damaged"
    shutil.copytree(ckpt / "adapter", adapter)
    state = load_file(str(adapter / "adapter_model.safetensors"))
    if damage == "key_outside_the_model":
        state["lm_head.weight"] = torch.zeros(2, 2)
    else:
        state = {k: v for k, v in state.items() if "trainable_tokens" not in k}
    save_file(state, str(adapter / "adapter_model.safetensors"))
    plan = seq_cls_plan(model.info, model.head)
    assert plan is not None and plan.skipped is None and plan.resize_to == model.info.vocab_size
    out = save_seq_cls_adapter(adapter, model.head, model.info, tmp_path / "out", plan, tmp_path / "out")
    assert out.skipped and ("lm_head" in out.skipped if damage == "key_outside_the_model"
                            else "marker rows would not carry over" in out.skipped)
    assert not (tmp_path / "out").exists()



def test_lora_on_a_gguf_base_loads_whole_with_plain_peft_same_logits(tiny_gguf_dir, tmp_path):
    """A GGUF base: transformers dequantizes it into LlamaForSequenceClassification too."""
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification

    from relx.models import build_classifier

    torch.manual_seed(0)
    model, tok = build_classifier(model_name_or_path=tiny_gguf_dir, gguf_file="tiny.gguf",
                                  labels=list(ALL_LABELS), method="lora", target_modules=["q_proj", "v_proj"],
                                  marker_tokens=("[E1]", "[/E1]"), init_lora_weights=False)
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():  # every trainable tensor (LoRA, marker rows, head) off its init
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.3 * torch.randn(p.shape, generator=generator))
    model.eval()
    enc = tok(["[E1] BRCA1 [/E1] binds MDM2", "asthma and [E1] IL4 [/E1] in a cohort"], return_tensors="pt",
              padding=True)  # right padding, no input ends in the pad token (pad = eos here)
    with torch.no_grad():
        logits = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
    ckpt = model.save(tmp_path / "ckpt")
    folder = ckpt / "adapter_seq_cls"
    config = json.loads((folder / "adapter_config.json").read_text())
    assert (folder / config["base_model_name_or_path"]).resolve() == tiny_gguf_dir.resolve()
    base = AutoModelForSequenceClassification.from_pretrained(
        folder / config["base_model_name_or_path"], gguf_file="tiny.gguf", num_labels=len(ALL_LABELS),
        pad_token_id=model.info.pad_token_id)
    base.resize_token_embeddings(model.info.vocab_size, mean_resizing=False)
    whole = PeftModel.from_pretrained(base, folder).eval()
    with torch.no_grad():
        torch.testing.assert_close(whole(**enc).logits, logits, atol=1e-5, rtol=1e-5)
    card = (ckpt / "README.md").read_text()
    assert (f"from_pretrained(BASE, gguf_file=\"tiny.gguf\", num_labels={len(ALL_LABELS)}, "
            f"pad_token_id={model.info.pad_token_id})") in card
