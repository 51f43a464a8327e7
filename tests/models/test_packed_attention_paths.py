"""Every packed attention path gives the padded model's logits (CPU, float32).

``varlen`` on the CPU runs its exact fallback (the same segments as a block mask); its
flash-side reshaping is checked by swapping a reference ``varlen_attn`` in. ``flex`` compiles
(~25 s on CPU) and is ``heavy``.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from relx.errors import ModelError
from relx.labels import ALL_LABELS
from relx.models import build_classifier, predict_probabilities
from relx.models import _packed_attention as packed_attention
from relx.represent import EncodedExample, PackedBatching, collate_padded, get_batching

MARKERS = ["[E1]", "[/E1]", "[E2]", "[/E2]"]
TEXTS = [
    "[E1] the gene [/E1] binds to [E2] drug [/E2] in patients",
    "[E2] cancer [/E2] risk is increased by [E1] mutation [/E1] in cells of patients",
    "[E1] protein [/E1] levels and [E2] disease [/E2]",
    "[E1] drug [/E1] causes [E2] cancer [/E2]",
    "[E1] x [/E1] [E2] y [/E2]",
    "[E2] disease [/E2] is treated by [E1] drug [/E1] and the levels decreased",
]
CASES = {
    "llama": "last_token",
    "bert": "entity_start",
    "roberta": "entity_start",
}


def _model(request, backbone):
    directory = request.getfixturevalue(f"tiny_{backbone}_dir")
    torch.manual_seed(0)
    model, tokenizer = build_classifier(
        model_name_or_path=directory, labels=ALL_LABELS, head=CASES[backbone], method="full",
        marker_tokens=MARKERS,
    )
    return model.eval(), tokenizer


def _encoded(tokenizer) -> list[EncodedExample]:
    e1, e2 = tokenizer.convert_tokens_to_ids(["[E1]", "[E2]"])
    out = []
    for i, text in enumerate(TEXTS):
        ids = tokenizer(text)["input_ids"]
        out.append(EncodedExample(
            input_ids=ids, label=i % 3, entity_token_index=(ids.index(e1), ids.index(e2)),
            type_pair=("GeneOrGeneProduct", "ChemicalEntity"), example_id=str(i),
        ))
    return out


def _packed_and_padded_logits(model, tokenizer, examples):
    longest = max(len(e.input_ids) for e in examples)
    mode = PackedBatching(row_tokens=2 * longest)  # several rows, several examples per row
    packed = mode.collate(examples, pad_token_id=tokenizer.pad_token_id, pool=model.pool)
    assert 1 < packed["input_ids"].shape[0] < len(examples), "test needs rows holding several"
    padded = collate_padded(examples, pad_token_id=tokenizer.pad_token_id)
    with torch.no_grad():
        return model(packed), model(padded)


@pytest.mark.parametrize("path", ["sdpa_mask", "varlen"])
@pytest.mark.parametrize("backbone", sorted(CASES))
def test_packed_path_equals_padded(backbone, path, request):
    model, tokenizer = _model(request, backbone)
    model.set_packed_attention(path)
    from_packed, from_padded = _packed_and_padded_logits(model, tokenizer, _encoded(tokenizer))
    assert model.packed_attention_used == path
    torch.testing.assert_close(from_packed, from_padded, atol=1e-5, rtol=1e-5)
    # After a packed forward the backbone (possibly switched to relx_varlen) still pads right.
    with torch.no_grad():
        alone = model(collate_padded(_encoded(tokenizer)[:1], pad_token_id=tokenizer.pad_token_id))
    torch.testing.assert_close(alone[0], from_padded[0], atol=1e-5, rtol=1e-5)


@pytest.mark.heavy
def test_flex_path_equals_padded(request):
    model, tokenizer = _model(request, "llama")
    model.set_packed_attention("flex")
    from_packed, from_padded = _packed_and_padded_logits(model, tokenizer, _encoded(tokenizer))
    torch.testing.assert_close(from_packed, from_padded, atol=1e-5, rtol=1e-5)


def _reference_varlen_attn(q, k, v, cu_q, cu_k, max_q, max_k, *, scale=None,
                           window_size=(-1, -1), enable_gqa=False):
    """torch 2.11's varlen_attn semantics, one SDPA per sequence (a CPU stand-in for flash)."""
    out = torch.empty_like(q)
    for a, b in zip(cu_q[:-1].tolist(), cu_q[1:].tolist()):
        qs, ks, vs = (t[a:b].transpose(0, 1) for t in (q, k, v))  # [H, L, D]
        if ks.shape[0] != qs.shape[0]:
            assert enable_gqa, "K/V with fewer heads need enable_gqa"
            ks = ks.repeat_interleave(qs.shape[0] // ks.shape[0], dim=0)
            vs = vs.repeat_interleave(qs.shape[0] // vs.shape[0], dim=0)
        o = F.scaled_dot_product_attention(qs, ks, vs, is_causal=window_size == (-1, 0),
                                           scale=scale)
        out[a:b] = o.transpose(0, 1)
    return out


@pytest.mark.parametrize("backbone", ["llama", "bert"])
def test_varlen_kernel_call_flattens_rows_correctly(backbone, request, monkeypatch):
    """The flash branch (flatten rows, cu_seq_lens, GQA, causal flag) against padded."""
    monkeypatch.setattr(packed_attention, "_can_run_varlen", lambda query, dropout: True)
    monkeypatch.setattr(packed_attention, "_varlen_fn", lambda: _reference_varlen_attn)
    model, tokenizer = _model(request, backbone)
    model.set_packed_attention("varlen")
    from_packed, from_padded = _packed_and_padded_logits(model, tokenizer, _encoded(tokenizer))
    torch.testing.assert_close(from_packed, from_padded, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("backbone", ["llama", "bert"])
@pytest.mark.parametrize("path", ["sdpa_mask", "varlen"])
def test_packed_inference_path_equals_padded(backbone, path, request):
    model, tokenizer = _model(request, backbone)
    model.set_packed_attention(path)
    examples = _encoded(tokenizer)
    common = dict(pad_token_id=tokenizer.pad_token_id, device="cpu", max_batch_size=4)
    padded, padded_loss = predict_probabilities(model, examples, batching="padded", **common)
    packed, packed_loss = predict_probabilities(
        model, examples, batching="packed", max_tokens_per_batch=40, **common
    )
    torch.testing.assert_close(packed, padded, atol=1e-6, rtol=1e-5)
    assert packed_loss == pytest.approx(padded_loss, abs=1e-5)


def test_encoder_with_unsupported_attention_fails_at_setup(request):
    model, _ = _model(request, "bert")
    model.backbone.config._attn_implementation = "flash_attention_2"
    with pytest.raises(ModelError, match="E313|attn_implementation") as info:
        get_batching("packed").check_model(model)
    assert getattr(info.value, "code", "E313") == "E313"
    get_batching("padded").check_model(model)  # padded takes every backbone


def test_flex_on_an_encoder_fails_at_setup(request):
    model, _ = _model(request, "bert")
    with pytest.raises(ModelError, match="flex"):
        model.set_packed_attention("flex")


def test_check_model_rejects_a_model_that_is_not_a_relx_classifier():
    with pytest.raises(ModelError, match="RelationClassifier"):
        get_batching("packed").check_model(torch.nn.Linear(2, 2))


def test_varlen_kwargs_cut_at_position_resets_across_rows():
    positions = torch.tensor([[0, 1, 2, 0, 1, 0], [0, 1, 2, 3, 0, 0]])
    kwargs = packed_attention.varlen_kwargs(positions)
    assert kwargs["cu_seq_lens_q"].tolist() == [0, 3, 5, 6, 10, 11, 12]
    assert kwargs["max_length_q"] == 4
    mask = packed_attention.block_mask(positions, causal=True)[1, 0]
    assert mask[3].tolist() == [True, True, True, True, False, False]
    assert mask[5].tolist() == [False, False, False, False, False, True]
