"""Under LoRA only the head, the LoRA matrices and the new marker rows train."""

from __future__ import annotations

import torch

from relx.labels import ALL_LABELS
from relx.models import build_classifier

MARKERS = ["[E1]", "[/E1]", "[E2]", "[/E2]"]


def test_lora_trains_only_head_lora_and_new_rows(tiny_llama_dir, collate_batch):
    torch.manual_seed(0)
    model, tokenizer = build_classifier(
        model_name_or_path=tiny_llama_dir,
        labels=ALL_LABELS,
        method="lora",
        marker_tokens=MARKERS,
        init_lora_weights=False,
    )
    names = model.trainable_parameter_names()
    assert "head.classifier.weight" in names  # last_token: no bias, like transformers' score
    assert any("lora_A" in n for n in names) and any("lora_B" in n for n in names)
    assert any("trainable_tokens_delta" in n for n in names)
    assert all(n.startswith("head.") or "lora_" in n or "trainable_tokens" in n for n in names)
    assert model.head.classifier.weight.dtype == torch.float32

    base_embedding = model.backbone.get_base_model().get_input_embeddings()
    frozen_before = {
        n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad
    }
    rows_before = base_embedding(torch.arange(model.info.vocab_size)).detach().clone()
    ids = tokenizer("[E1] the gene [/E1] binds [E2] drug [/E2]")["input_ids"]
    batch = collate_batch(
        [ids, ids[:5]], pad_token_id=tokenizer.pad_token_id, padding_side="right", kind="decoder"
    )
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    loss = torch.nn.functional.cross_entropy(model(batch), torch.tensor([3, 0]))
    loss.backward()
    optimizer.step()

    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            torch.testing.assert_close(parameter, frozen_before[name], rtol=0, atol=0)
    rows_after = base_embedding(torch.arange(model.info.vocab_size)).detach()
    new = torch.tensor(model.info.new_token_ids)
    old = torch.ones(model.info.vocab_size, dtype=torch.bool)
    old[new] = False
    # Old vocabulary untouched; the markers used in the input moved.
    torch.testing.assert_close(rows_after[old], rows_before[old], rtol=0, atol=0)
    used = torch.tensor(tokenizer.convert_tokens_to_ids(MARKERS))
    assert not torch.allclose(rows_after[used], rows_before[used])


def test_full_trains_everything_and_no_pooler(tiny_bert_dir):
    model, _ = build_classifier(model_name_or_path=tiny_bert_dir, labels=ALL_LABELS, method="full")
    trainable, total = model.parameter_counts()
    assert trainable == total
    assert getattr(model.backbone, "pooler", None) is None
    assert "pooler" in model.info.choices


def test_lora_with_gradient_checkpointing_backpropagates(tiny_llama_dir, collate_batch):
    model, tokenizer = build_classifier(
        model_name_or_path=tiny_llama_dir,
        labels=ALL_LABELS,
        method="lora",
        gradient_checkpointing=True,
        init_lora_weights=False,
    )
    ids = tokenizer("the gene binds drug")["input_ids"]
    batch = collate_batch(
        [ids, ids[:3]], pad_token_id=tokenizer.pad_token_id, padding_side="left", kind="decoder"
    )
    model.train()
    model(batch).sum().backward()
    lora_grads = [p.grad for n, p in model.named_parameters() if "lora_A" in n]
    assert lora_grads and all(g is not None and g.abs().sum() > 0 for g in lora_grads)


def test_bf16_backbone_keeps_float32_head_and_logits(tiny_bert_dir, collate_batch):
    model, tokenizer = build_classifier(
        model_name_or_path=tiny_bert_dir, labels=ALL_LABELS, method="lora", dtype="bfloat16"
    )
    assert model.info.dtype == "bfloat16"
    assert model.backbone.get_base_model().embeddings.word_embeddings.weight.dtype == torch.bfloat16
    assert model.head.classifier.weight.dtype == torch.float32
    ids = tokenizer("the gene binds drug")["input_ids"]
    batch = collate_batch(
        [ids], pad_token_id=tokenizer.pad_token_id, padding_side="right", kind="encoder"
    )
    model.eval()
    with torch.no_grad():
        assert model(batch).dtype == torch.float32


def test_build_is_deterministic_under_a_seed(tiny_llama_dir, collate_batch):
    """Same seed, same settings -> same head, same new rows, same logits (reproducible runs)."""
    outputs = []
    for _ in range(2):
        torch.manual_seed(1234)
        model, tokenizer = build_classifier(
            model_name_or_path=tiny_llama_dir,
            labels=ALL_LABELS,
            method="lora",
            marker_tokens=MARKERS,
            init_lora_weights=False,
        )
        model.eval()
        ids = tokenizer("[E1] the gene [/E1] binds [E2] drug [/E2]")["input_ids"]
        batch = collate_batch(
            [ids], pad_token_id=tokenizer.pad_token_id, padding_side="right", kind="decoder"
        )
        with torch.no_grad():
            outputs.append(model(batch))
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)


def test_head_runs_in_float32_under_autocast(tiny_bert_dir, collate_batch):
    model, tokenizer = build_classifier(model_name_or_path=tiny_bert_dir, labels=ALL_LABELS)
    ids = tokenizer("the gene binds drug")["input_ids"]
    batch = collate_batch(
        [ids], pad_token_id=tokenizer.pad_token_id, padding_side="right", kind="encoder"
    )
    model.eval()
    with torch.no_grad(), torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        logits = model(batch)
    assert logits.dtype == torch.float32
