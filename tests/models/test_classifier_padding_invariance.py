"""Batch logits equal one-by-one logits, whatever the padding side, with pad = eos.

This is the contract that makes decoder pooling "impossible to get wrong": the pooled
position comes from the attention mask, so neither the padding side nor an eos that is
also the pad id (SmolLM2, Llama) can move it.
"""

from __future__ import annotations

import pytest
import torch

from relx.labels import ALL_LABELS
from relx.models import build_classifier, pool_index_from_attention_mask

MARKERS = ["[E1]", "[/E1]", "[E2]", "[/E2]"]
TEXTS = [
    "[E1] the gene [/E1] binds to [E2] drug [/E2] in patients",
    "[E2] cancer [/E2] risk is increased by [E1] mutation [/E1]",
    "[E1] protein [/E1] levels and [E2] disease [/E2]",
]


def _encode(tokenizer, kind: str) -> tuple[list[list[int]], list[tuple[int, int]]]:
    sequences, entities = [], []
    for i, text in enumerate(TEXTS):
        ids = tokenizer(text)["input_ids"]
        if kind == "decoder" and i != 2:
            ids = ids + [tokenizer.eos_token_id]  # eos as the last *content* token
        e1, e2 = tokenizer.convert_tokens_to_ids(["[E1]", "[E2]"])
        sequences.append(ids)
        entities.append((ids.index(e1), ids.index(e2)))
    return sequences, entities


@pytest.mark.parametrize(
    ("backbone", "method", "head"),
    [
        ("llama", "lora", "last_token"),
        ("llama", "full", "last_token"),
        ("bert", "full", "cls"),
        ("bert", "lora", "entity_start"),
        ("roberta", "full", "entity_start"),
    ],
)
@pytest.mark.parametrize("padding_side", ["left", "right"])
def test_classifier_batch_equals_one_by_one(
    backbone, method, head, padding_side, request, collate_batch
):
    collate = collate_batch
    torch.manual_seed(0)
    model, tokenizer = build_classifier(
        model_name_or_path=request.getfixturevalue(f"tiny_{backbone}_dir"),
        labels=ALL_LABELS,
        head=head,
        method=method,
        marker_tokens=MARKERS,
        init_lora_weights=False,
    )
    model.eval()
    kind = model.kind
    if kind == "decoder":
        # The tiny Llama tokenizer has no pad token: the factory must have set pad = eos.
        assert tokenizer.pad_token_id == tokenizer.eos_token_id
        assert model.backbone.config.pad_token_id == tokenizer.pad_token_id
    sequences, entities = _encode(tokenizer, kind)
    assert len({len(s) for s in sequences}) > 1, "test needs unequal lengths to pad"
    use_entities = entities if head == "entity_start" else None
    with torch.no_grad():
        batch = collate(
            sequences,
            pad_token_id=tokenizer.pad_token_id,
            padding_side=padding_side,
            kind=kind,
            entity_positions=use_entities,
        )
        batched = model(batch)
        alone = torch.cat(
            [
                model(
                    collate(
                        [seq],
                        pad_token_id=tokenizer.pad_token_id,
                        padding_side=padding_side,
                        kind=kind,
                        entity_positions=None if use_entities is None else [use_entities[i]],
                    )
                )
                for i, seq in enumerate(sequences)
            ]
        )
    assert batched.shape == (3, len(ALL_LABELS))
    torch.testing.assert_close(batched, alone, atol=1e-5, rtol=1e-4)
    # Without pool_index the model derives it from the attention mask: same logits.
    with torch.no_grad():
        derived = model({k: v for k, v in batch.items() if k != "pool_index"})
    torch.testing.assert_close(derived, batched)


def test_pool_index_is_not_the_pad_id_rule(tiny_llama_dir):
    """pad = eos and eos ending the content: a first-pad-minus-one rule reads the wrong token."""
    model, tokenizer = build_classifier(
        model_name_or_path=tiny_llama_dir, labels=ALL_LABELS, method="full"
    )
    eos = tokenizer.eos_token_id
    content = tokenizer("the gene binds")["input_ids"] + [eos]
    mask = torch.tensor([[1] * len(content) + [0, 0]])
    index = pool_index_from_attention_mask(mask, kind="decoder")
    assert int(index) == len(content) - 1  # the content eos, not the token before it
    left = torch.tensor([[0, 0] + [1] * len(content)])
    assert int(pool_index_from_attention_mask(left, kind="decoder")) == len(content) + 1
