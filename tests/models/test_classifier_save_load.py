"""save -> load rebuilds exactly: identical logits, head and resized embeddings restored.

Before saving, every trainable tensor (head, LoRA, new marker rows) is perturbed as training
would, so a load that silently fell back to fresh or base weights gives different logits.
"""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from relx.errors import ModelError, RelxWarning
from relx.labels import ALL_LABELS
from relx.models import (
    MODEL_FORMAT_VERSION,
    MODEL_INFO_FILE,
    TypePairMask,
    build_classifier,
    load_classifier,
)

MARKERS = ["[E1]", "[/E1]", "[E2]", "[/E2]"]
TEXTS = [
    "[E1] the gene [/E1] binds to [E2] drug [/E2]",
    "[E2] cancer [/E2] and [E1] mutation [/E1] risk",
]


def _perturb_trainable(model: torch.nn.Module) -> None:
    generator = torch.Generator().manual_seed(123)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.add_(0.5 * torch.randn(parameter.shape, generator=generator))


def _batch(tokenizer, kind, collate):
    sequences, entities = [], []
    e1, e2 = tokenizer.convert_tokens_to_ids(["[E1]", "[E2]"])
    for text in TEXTS:
        ids = tokenizer(text)["input_ids"]
        sequences.append(ids)
        entities.append((ids.index(e1), ids.index(e2)))
    return collate(
        sequences,
        pad_token_id=tokenizer.pad_token_id,
        padding_side="right",
        kind=kind,
        entity_positions=entities,
    )


def _embedding_rows(model, ids):
    return model.backbone.get_input_embeddings()(torch.tensor(ids)).detach().clone()


@pytest.mark.parametrize(
    ("backbone", "method", "head"),
    [
        ("bert", "full", "cls"),
        ("bert", "full", "entity_start"),
        ("bert", "lora", "entity_start"),
        ("llama", "lora", "last_token"),
        ("llama", "full", "last_token"),
    ],
)
def test_classifier_save_load_identical_logits(
    backbone, method, head, tiny_bert_dir, tiny_llama_dir, tmp_path, collate_batch
):
    torch.manual_seed(0)
    model, tokenizer = build_classifier(
        model_name_or_path=tiny_bert_dir if backbone == "bert" else tiny_llama_dir,
        labels=ALL_LABELS,
        head=head,
        method=method,
        marker_tokens=MARKERS,
        init_lora_weights=False,
    )
    _perturb_trainable(model)
    model.type_pair_mask = TypePairMask(
        labels=tuple(ALL_LABELS), counts={("ChemicalEntity", "GeneOrGeneProduct"): {"Bind": 3}}
    )
    model.eval()
    new_ids = model.info.new_token_ids
    assert len(new_ids) == 4 and model.info.vocab_size == model.info.base_vocab_size + 4
    batch = _batch(tokenizer, model.kind, collate_batch)
    with torch.no_grad():
        expected = model(batch)
    rows_before = _embedding_rows(model, new_ids)
    head_before = {k: v.clone() for k, v in model.head.state_dict().items()}

    out = tmp_path / "saved"
    model.save(out, representation={"style": "entity_marker", "max_length_tokens": 64})
    files = sorted(p.name for p in out.iterdir())
    assert MODEL_INFO_FILE in files and "head.safetensors" in files
    assert not any(p.suffix in {".bin", ".pt", ".pkl", ".pth"} for p in out.rglob("*"))
    assert ("adapter" in files) == (method == "lora")
    assert ("backbone" in files) == (method == "full")

    loaded, loaded_tokenizer, info = load_classifier(out)
    assert not loaded.training
    assert info.labels == list(ALL_LABELS) and info.head == head and info.method == method
    assert info.representation == {"style": "entity_marker", "max_length_tokens": 64}
    assert loaded_tokenizer.convert_tokens_to_ids(MARKERS) == new_ids
    assert loaded_tokenizer.pad_token_id == tokenizer.pad_token_id == info.pad_token_id
    assert loaded.backbone.config.pad_token_id == info.pad_token_id
    for key, value in loaded.head.state_dict().items():
        torch.testing.assert_close(value, head_before[key], rtol=0, atol=0)
    torch.testing.assert_close(_embedding_rows(loaded, new_ids), rows_before, rtol=0, atol=0)
    assert loaded.type_pair_mask is not None
    assert loaded.type_pair_mask.counts == model.type_pair_mask.counts
    with torch.no_grad():
        got = loaded(batch)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)


def test_lora_save_holds_only_adapter_head_and_new_rows(tiny_llama_dir, tmp_path):
    model, _ = build_classifier(
        model_name_or_path=tiny_llama_dir,
        labels=ALL_LABELS,
        method="lora",
        marker_tokens=MARKERS,
        init_lora_weights=False,
    )
    model.save(tmp_path / "m")
    adapter = load_file(str(tmp_path / "m" / "adapter" / "adapter_model.safetensors"))
    names = list(adapter)
    assert any("lora_A" in n for n in names) and any("trainable_tokens" in n for n in names)
    # No full embedding matrix or base weight is duplicated into the adapter.
    assert all("lora_" in n or "trainable_tokens" in n for n in names), names
    delta = next(v for n, v in adapter.items() if "trainable_tokens" in n)
    assert delta.shape[0] == len(MARKERS)
    head = load_file(str(tmp_path / "m" / "head.safetensors"))
    assert all(v.dtype == torch.float32 for v in head.values())
    info = json.loads((tmp_path / "m" / MODEL_INFO_FILE).read_text())
    assert info["base_model"] == str(tiny_llama_dir.resolve())
    assert info["format_version"] == MODEL_FORMAT_VERSION == 2 and info["lora"]["r"] == 16


def test_load_refuses_an_incomplete_directory(tiny_bert_dir, tmp_path):
    model, _ = build_classifier(model_name_or_path=tiny_bert_dir, labels=ALL_LABELS)
    model.save(tmp_path / "m")
    (tmp_path / "m" / MODEL_INFO_FILE).unlink()  # as a crash before the last write leaves it
    with pytest.raises(ModelError, match="E330"):
        load_classifier(tmp_path / "m")


def test_load_refuses_a_newer_format(tiny_bert_dir, tmp_path):
    model, _ = build_classifier(model_name_or_path=tiny_bert_dir, labels=ALL_LABELS)
    model.save(tmp_path / "m")
    path = tmp_path / "m" / MODEL_INFO_FILE
    info = json.loads(path.read_text())
    info["format_version"] = 99
    path.write_text(json.dumps(info))
    with pytest.raises(ModelError, match="upgrade relx"):
        load_classifier(tmp_path / "m")


def test_load_warns_on_unknown_keys_and_reads_on(tiny_bert_dir, tmp_path):
    model, _ = build_classifier(model_name_or_path=tiny_bert_dir, labels=ALL_LABELS)
    model.save(tmp_path / "m")
    path = tmp_path / "m" / MODEL_INFO_FILE
    info = json.loads(path.read_text())
    info["added_by_a_newer_relx"] = 1
    path.write_text(json.dumps(info))
    with pytest.warns(RelxWarning, match="added_by_a_newer_relx"):
        assert load_classifier(tmp_path / "m")[2].labels == list(ALL_LABELS)


def test_save_keeps_other_files_and_replaces_previous_layout(tiny_bert_dir, tmp_path):
    out = tmp_path / "ckpt"
    out.mkdir()
    (out / "checkpoint.json").write_text("{}")
    full, _ = build_classifier(model_name_or_path=tiny_bert_dir, labels=ALL_LABELS, method="full")
    full.save(out)
    lora, _ = build_classifier(model_name_or_path=tiny_bert_dir, labels=ALL_LABELS, method="lora")
    lora.save(out)
    names = {p.name for p in out.iterdir()}
    assert "checkpoint.json" in names and "adapter" in names and "backbone" not in names
    assert not any(n.startswith(".relx-save-") for n in names)
    assert load_classifier(out)[2].method == "lora"


def test_load_lora_from_a_moved_base(tiny_llama_dir, tmp_path, collate_batch):
    import shutil

    base = tmp_path / "base"
    shutil.copytree(tiny_llama_dir, base)
    model, tokenizer = build_classifier(
        model_name_or_path=base, labels=ALL_LABELS, method="lora", init_lora_weights=False
    )
    model.eval()
    ids = tokenizer("the gene binds drug")["input_ids"]
    batch = collate_batch(
        [ids], pad_token_id=tokenizer.pad_token_id, padding_side="right", kind="decoder"
    )
    with torch.no_grad():
        expected = model(batch)
    model.save(tmp_path / "m")
    base.rename(tmp_path / "moved")
    with pytest.raises(ModelError, match="no longer exists.*base_model="):
        load_classifier(tmp_path / "m")
    loaded, _, _ = load_classifier(tmp_path / "m", base_model=tmp_path / "moved")
    with torch.no_grad():
        torch.testing.assert_close(loaded(batch), expected, rtol=0, atol=1e-6)
