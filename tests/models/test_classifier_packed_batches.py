"""Packed batches (many examples per row) give the same logits as padded ones.

Uses relx.represent's own collators, so the two stages are checked against each other.
"""

from __future__ import annotations

import pytest
import torch

from relx.labels import ALL_LABELS
from relx.models import build_classifier
from relx.represent import EncodedExample, collate_packed, collate_padded

MARKERS = ["[E1]", "[/E1]", "[E2]", "[/E2]"]
TEXTS = [
    "[E1] the gene [/E1] binds to [E2] drug [/E2] in patients",
    "[E2] cancer [/E2] risk is increased by [E1] mutation [/E1]",
    "[E1] protein [/E1] levels and [E2] disease [/E2]",
    "[E1] drug [/E1] causes [E2] cancer [/E2]",
]


@pytest.mark.parametrize(
    ("backbone", "head", "attn"),
    [
        ("llama", "last_token", "sdpa"),
        ("llama", "last_token", "eager"),
        ("bert", "entity_start", "sdpa"),
        ("bert", "cls", "eager"),
        ("roberta", "entity_start", "sdpa"),
    ],
)
def test_classifier_packed_equals_padded(backbone, head, attn, request):
    directory = request.getfixturevalue(f"tiny_{backbone}_dir")
    torch.manual_seed(0)
    model, tokenizer = build_classifier(
        model_name_or_path=directory,
        labels=ALL_LABELS,
        head=head,
        method="full",
        marker_tokens=MARKERS,
    )
    model.backbone.config._attn_implementation = attn
    model.backbone.set_attn_implementation(attn)
    model.eval()
    e1, e2 = tokenizer.convert_tokens_to_ids(["[E1]", "[E2]"])
    examples = []
    for i, text in enumerate(TEXTS):
        ids = tokenizer(text)["input_ids"]
        examples.append(
            EncodedExample(
                input_ids=ids,
                label=i,
                entity_token_index=(ids.index(e1), ids.index(e2)),
                type_pair=("GeneOrGeneProduct", "ChemicalEntity"),
                example_id=str(i),
            )
        )
    pool = "last" if model.kind == "decoder" else "first"
    longest = max(len(e.input_ids) for e in examples)
    packed = collate_packed(
        examples, pad_token_id=tokenizer.pad_token_id, max_tokens_per_row=2 * longest, pool=pool
    )
    assert packed["input_ids"].shape[0] < len(examples), "test needs several examples per row"
    padded = collate_padded(examples, pad_token_id=tokenizer.pad_token_id, padding_side="right")
    with torch.no_grad():
        from_packed = model(packed)
        from_padded = model(padded)
    torch.testing.assert_close(from_packed, from_padded, atol=1e-5, rtol=1e-4)
