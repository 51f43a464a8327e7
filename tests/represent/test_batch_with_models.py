"""The batch contract end to end: relx.models reads our batches the same for any padding."""

from __future__ import annotations

import pytest
import torch
from _represent_helpers import CHAT_TEMPLATE, PAH_TEXT, make_example, span

from relx.labels import ALL_LABELS
from relx.represent import collate_packed, collate_padded, encode_examples

models = pytest.importorskip("relx.models")


def _examples():
    text2 = "Mutations of BRCA1 increase the risk of breast cancer. The gene binds the protein."
    return [
        make_example(PAH_TEXT, [span(PAH_TEXT, "PAH", "GeneOrGeneProduct")],
                     [span(PAH_TEXT, "phenylketonuria", "DiseaseOrPhenotypicFeature")]),
        make_example(text2, [span(text2, "BRCA1", "GeneOrGeneProduct")],
                     [span(text2, "breast cancer", "DiseaseOrPhenotypicFeature")], label="NOT"),
        make_example("BRCA1 and cancer.", [(0, 5, "GeneOrGeneProduct")], [(10, 16, "DiseaseOrPhenotypicFeature")]),
    ]


def _logits(model, examples, **collate):
    model.eval()
    with torch.no_grad():
        return model(collate_padded(examples, **collate))


def test_batch_with_models_decoder_padding_invariant(tmp_path, bpe_tokenizer) -> None:
    from transformers import LlamaConfig, LlamaModel

    torch.manual_seed(0)
    bpe_tokenizer.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(vocab_size=len(bpe_tokenizer), hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                         pad_token_id=bpe_tokenizer.pad_token_id, eos_token_id=bpe_tokenizer.eos_token_id)
    LlamaModel(config).save_pretrained(tmp_path)
    bpe_tokenizer.save_pretrained(tmp_path)
    model, tokenizer = models.build_classifier(model_name_or_path=tmp_path, labels=ALL_LABELS)
    # No prompt: keeps this tiny model fast (the prompt framing is tested in test_prompt_text).
    encoded = encode_examples(_examples(), tokenizer, style="entity_marker_punct").examples
    assert len({len(e) for e in encoded}) == 3
    assert tokenizer.pad_token_id == tokenizer.eos_token_id  # the pad = eos trap
    alone = torch.cat([_logits(model, [e], pad_token_id=tokenizer.pad_token_id, pool="last") for e in encoded])
    for side in ("left", "right"):
        for pool in ("last", None):
            batched = _logits(model, encoded, pad_token_id=tokenizer.pad_token_id, padding_side=side, pool=pool)
            torch.testing.assert_close(batched, alone, atol=1e-5, rtol=1e-4)
    with torch.no_grad():
        packed = model(collate_packed(encoded, pad_token_id=tokenizer.pad_token_id,
                                      max_tokens_per_row=sum(map(len, encoded)), pool="last"))
    torch.testing.assert_close(packed, alone, atol=1e-5, rtol=1e-4)


def test_batch_with_models_encoder_entity_start(tmp_path, minilm_tokenizer) -> None:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(minilm_tokenizer), hidden_size=64, intermediate_size=128,
                        num_hidden_layers=2, num_attention_heads=4)
    BertModel(config).save_pretrained(tmp_path)
    minilm_tokenizer.save_pretrained(tmp_path)
    model, tokenizer = models.build_classifier(model_name_or_path=tmp_path, labels=ALL_LABELS, head="entity_start")
    encoded = encode_examples(_examples(), tokenizer, style="typed_entity_marker_punct").examples
    alone = torch.cat([_logits(model, [e], pad_token_id=tokenizer.pad_token_id, pool="first") for e in encoded])
    for side in ("left", "right"):
        batched = _logits(model, encoded, pad_token_id=tokenizer.pad_token_id, padding_side=side, pool="first")
        torch.testing.assert_close(batched, alone, atol=1e-5, rtol=1e-4)
    with torch.no_grad():
        packed = model(collate_packed(encoded, pad_token_id=tokenizer.pad_token_id,
                                      max_tokens_per_row=sum(map(len, encoded)), pool="first"))
    torch.testing.assert_close(packed, alone, atol=1e-5, rtol=1e-4)
