"""Encoded examples: labels, and entity token indices that point at the marker tokens."""

from __future__ import annotations

import pytest
from _represent_helpers import make_example, span

from relx.errors import ConfigError
from relx.labels import ALL_LABELS
from relx.represent import IGNORE_LABEL, STYLE_NAMES, encode_examples, marker_tokens

FIRST_TOKEN = {  # first token of A's and B's first marker, lower-cased WordPiece (MiniLM)
    "entity_mask": ("gene", "disease"),
    "entity_marker": ("[", "["),
    "entity_marker_punct": ("@", "#"),
    "typed_entity_marker": ("[", "["),
    "typed_entity_marker_punct": ("@", "#"),
    "subject_object_marker": ("[", "["),
}


@pytest.mark.parametrize("style", STYLE_NAMES)
def test_encode_entity_index_points_at_first_marker_wordpiece(pah_example, minilm_tokenizer, style) -> None:
    encoded = encode_examples([pah_example], minilm_tokenizer, style=style).examples[0]
    tokens = minilm_tokenizer.convert_ids_to_tokens(encoded.input_ids)
    a, b = encoded.entity_token_index
    assert (tokens[a], tokens[b]) == FIRST_TOKEN[style]
    assert a < b
    assert encoded.type_pair == ("GeneOrGeneProduct", "DiseaseOrPhenotypicFeature")
    assert encoded.label == ALL_LABELS.index("Association")
    assert encoded.example_id == "True.1.0"
    assert not encoded.truncated and not encoded.lost_mention


@pytest.mark.parametrize("style", ["entity_marker", "typed_entity_marker", "subject_object_marker"])
def test_encode_entity_index_with_added_marker_tokens(pah_example, minilm_tokenizer, style) -> None:
    minilm_tokenizer.add_special_tokens({"additional_special_tokens": list(marker_tokens(style))})
    encoded = encode_examples([pah_example], minilm_tokenizer, style=style).examples[0]
    tokens = minilm_tokenizer.convert_ids_to_tokens(encoded.input_ids)
    a, b = encoded.entity_token_index
    expected = {
        "entity_marker": ("[E1]", "[E2]"),
        "typed_entity_marker": ("[GeneOrGeneProduct]", "[DiseaseOrPhenotypicFeature]"),
        "subject_object_marker": ("[SUBJECT]", "[OBJECT]"),
    }[style]
    assert (tokens[a], tokens[b]) == expected


def test_encode_entity_index_bpe_with_merged_space(bpe_tokenizer) -> None:
    # Byte-level BPE glues the marker to the space or paren before it ("Ġ(@"): the index
    # must still land on the token holding the marker's first character.
    text = "Mutations of BRCA1 increase the risk of breast cancer."
    ex = make_example(
        text, [span(text, "BRCA1", "GeneOrGeneProduct")], [span(text, "breast cancer", "DiseaseOrPhenotypicFeature")]
    )
    encoded = encode_examples([ex], bpe_tokenizer, style="entity_marker_punct").examples[0]
    a, b = encoded.entity_token_index
    assert "@" in bpe_tokenizer.decode([encoded.input_ids[a]])
    assert "#" in bpe_tokenizer.decode([encoded.input_ids[b]])
    assert "@" not in bpe_tokenizer.decode(encoded.input_ids[:a])
    assert "#" not in bpe_tokenizer.decode(encoded.input_ids[:b])


def test_encode_does_not_change_callers_tokenizer(pah_example, minilm_tokenizer) -> None:
    before = minilm_tokenizer.backend_tokenizer.truncation
    encode_examples([pah_example], minilm_tokenizer, style="entity_marker_punct", max_length_tokens=None)
    assert minilm_tokenizer.backend_tokenizer.truncation == before


def test_encode_labels_order_and_unlabelled(pah_example, minilm_tokenizer) -> None:
    unlabelled = make_example(pah_example.text, pah_example.entity_a, pah_example.entity_b, label="")
    result = encode_examples(
        [pah_example, unlabelled], minilm_tokenizer, style="entity_marker_punct",
        labels=["Association", "NOT"],
    )
    assert [e.label for e in result.examples] == [0, IGNORE_LABEL]


def test_encode_unknown_label_is_config_error(pah_example, minilm_tokenizer) -> None:
    with pytest.raises(ConfigError) as info:
        encode_examples([pah_example], minilm_tokenizer, style="entity_marker_punct", labels=["NOT", "Bind"])
    assert info.value.code == "E206"
    assert "Association" in str(info.value)


def test_encode_slow_tokenizer_is_config_error(pah_example) -> None:
    class PythonTokenizer:  # a tokenizer without a Rust backend (no offset mapping)
        is_fast = False

        def __call__(self, text: str) -> dict:
            return {"input_ids": [1, 2, 3]}

    with pytest.raises(ConfigError) as info:
        encode_examples([pah_example], PythonTokenizer(), style="entity_marker_punct")
    assert info.value.code == "E204"
    assert "PythonTokenizer" in str(info.value)


def test_encode_length_percentiles(pah_example, minilm_tokenizer) -> None:
    result = encode_examples([pah_example] * 3, minilm_tokenizer, style="entity_marker_punct")
    length = len(result.examples[0])
    assert result.length_percentiles == {"p50": length, "p90": length, "p95": length, "p99": length, "max": length}
    summary = result.summary()
    assert summary["n_examples"] == 3 and summary["style"] == "relx.repr.entity_marker_punct.v1"
