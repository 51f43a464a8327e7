"""Entity-aware truncation keeps both entities and the prompt tail; it counts what it did."""

from __future__ import annotations

import pytest
from _represent_helpers import CHAT_TEMPLATE, make_example, span

from relx.errors import ConfigError
from relx.represent import encode_examples

NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
G, D = "GeneOrGeneProduct", "DiseaseOrPhenotypicFeature"


def _ten_sentences():
    """Ten sentences; A (BRCA1) in sentence 3 and again in 9, B (cancer) in sentence 6."""
    sentences = [f"Sentence {word} adds context." for word in NUMBERS]
    sentences[3] = "Sentence three mentions BRCA1 here."
    sentences[6] = "Sentence six mentions cancer here."
    sentences[9] = "Sentence nine mentions BRCA1 again."
    text = " ".join(sentences)
    return make_example(
        text,
        [span(text, "BRCA1", G), span(text, "BRCA1", G, 1)],
        [span(text, "cancer", D)],
    )


def _decoded(tokenizer, encoded) -> str:
    return tokenizer.decode(encoded.input_ids)


def test_truncation_drops_sentences_farthest_from_first_mentions(minilm_tokenizer) -> None:
    ex = _ten_sentences()
    full = encode_examples([ex], minilm_tokenizer, style="entity_marker_punct", max_length_tokens=None)
    n_full = len(full.examples[0])
    def n_tokens(sentence: str) -> int:
        return len(minilm_tokenizer(sentence, add_special_tokens=False)["input_ids"])

    # Dropping sentences 9 and 0 is one token short: a third sentence must go.
    limit = n_full - n_tokens("Sentence nine mentions @ BRCA1 @ again.") - n_tokens("Sentence zero adds context.") - 1
    result = encode_examples([ex], minilm_tokenizer, style="entity_marker_punct", max_length_tokens=limit)
    encoded = result.examples[0]
    text = _decoded(minilm_tokenizer, encoded)
    assert len(encoded) <= limit
    assert encoded.truncated and not encoded.lost_mention
    assert (result.n_truncated, result.n_lost_mention) == (1, 0)
    # Sentence 9 and 0 are 3 away from the nearest first mention, 8 is 2 away: they go.
    for gone in ("nine", "zero", "eight"):
        assert f"sentence {gone}" not in text
    for kept in ("one", "two", "four", "five", "seven"):
        assert f"sentence {kept}" in text
    assert "@ brca1 @" in text and "# cancer #" in text
    assert result.length_percentiles["max"] == n_full
    tokens = minilm_tokenizer.convert_ids_to_tokens(encoded.input_ids)
    a, b = encoded.entity_token_index
    assert (tokens[a], tokens[b]) == ("@", "#")
    assert tokens[a + 1] == "br"  # BRCA1 -> br ##ca ##1


def test_truncation_keeps_prompt_tail_and_both_entities(minilm_tokenizer) -> None:
    ex = _ten_sentences()
    full = encode_examples([ex], minilm_tokenizer, style="typed_entity_marker_punct", prompt=True, max_length_tokens=None)
    limit = len(full.examples[0]) - 30
    result = encode_examples(
        [ex], minilm_tokenizer, style="typed_entity_marker_punct", prompt=True, max_length_tokens=limit
    )
    encoded = result.examples[0]
    text = _decoded(minilm_tokenizer, encoded)
    assert len(encoded) <= limit and encoded.truncated and not encoded.lost_mention
    assert text.startswith("[CLS] you are a biomedical relation extraction model.")
    assert text.endswith("subject : brca1 object : cancer [SEP]")
    assert "@ * geneorgeneproduct * brca1 @" in text
    assert "# ^ diseaseorphenotypicfeature ^ cancer #" in text

    right = encode_examples(
        [ex], minilm_tokenizer, style="typed_entity_marker_punct", prompt=True,
        max_length_tokens=limit, truncation="right",
    )
    assert right.examples[0].lost_mention and right.n_lost_mention == 1
    assert "subject :" not in _decoded(minilm_tokenizer, right.examples[0])


def test_truncation_inside_one_long_sentence_keeps_both_mentions(minilm_tokenizer) -> None:
    words = " ".join(f"w{k}" for k in range(60))
    text = f"Start {words} BRCA1 binds {words} cancer {words} end."
    ex = make_example(text, [span(text, "BRCA1", G)], [span(text, "cancer", D)])
    result = encode_examples([ex], minilm_tokenizer, style="entity_marker_punct", max_length_tokens=64)
    encoded = result.examples[0]
    decoded = _decoded(minilm_tokenizer, encoded)
    assert len(encoded) <= 64 and encoded.truncated and not encoded.lost_mention
    assert "@ brca1 @" in decoded and "# cancer #" in decoded
    assert decoded.startswith("[CLS]") and decoded.endswith("[SEP]")


def test_truncation_too_small_budget_reports_lost_mention(minilm_tokenizer) -> None:
    text = "A " + "long filler words " * 20 + "BRCA1 and then " + "more filler text " * 20 + "cancer."
    ex = make_example(text, [span(text, "BRCA1", G)], [span(text, "cancer", D)])
    result = encode_examples([ex], minilm_tokenizer, style="typed_entity_marker", max_length_tokens=12)
    assert len(result.examples[0]) <= 12
    assert result.n_lost_mention == 1


def test_truncation_prompt_longer_than_limit_is_config_error(pah_example, minilm_tokenizer) -> None:
    with pytest.raises(ConfigError) as info:
        encode_examples([pah_example], minilm_tokenizer, style="entity_marker_punct", prompt=True, max_length_tokens=20)
    assert info.value.code == "E205"
    assert "max_length_tokens=20" in str(info.value)


def test_truncation_untouched_inputs_are_not_counted(pah_example, minilm_tokenizer) -> None:
    result = encode_examples([pah_example, _ten_sentences()], minilm_tokenizer, style="entity_marker_punct", max_length_tokens=40)
    assert [e.truncated for e in result.examples] == [False, True]
    assert result.n_truncated == 1 and result.n_lost_mention == 0


def test_truncation_inside_chat_template_keeps_framing_and_tail(bpe_tokenizer) -> None:
    bpe_tokenizer.chat_template = CHAT_TEMPLATE
    ex = _ten_sentences()
    full = encode_examples([ex], bpe_tokenizer, style="entity_marker_punct", prompt=True, max_length_tokens=None)
    limit = len(full.examples[0]) - 40
    result = encode_examples([ex], bpe_tokenizer, style="entity_marker_punct", prompt=True, max_length_tokens=limit)
    encoded = result.examples[0]
    text = bpe_tokenizer.decode(encoded.input_ids)
    assert len(encoded) <= limit and encoded.truncated and not encoded.lost_mention
    assert text.startswith("<|im_start|>user\nYou are a biomedical relation extraction model.\n")
    assert text.endswith("\nSubject: BRCA1\nObject: cancer<|im_end|>\n<|im_start|>assistant\n")
    assert "Sentence three mentions @ BRCA1 @ here." in text
    assert "Sentence six mentions # cancer # here." in text
    a, b = encoded.entity_token_index
    assert "@" in bpe_tokenizer.decode([encoded.input_ids[a]])
    assert "#" in bpe_tokenizer.decode([encoded.input_ids[b]])


def test_truncation_token_cut_never_revives_dropped_sentences(bpe_tokenizer) -> None:
    # Both mention sentences are too long, so tokens are cut inside them. A ends its
    # sentence and B starts its own, so the kept token runs touch the dropped sentence in
    # between: it must stay out (regression found on BioRED Dev with SmolLM2).
    filler = " ".join(["protein"] * 40)
    text = (
        f"Intro words here. The gene {filler} binds BRCA1. Middle sentence must go away. "
        f"Cancer cells {filler}."
    )
    ex = make_example(text, [span(text, "BRCA1", G)], [span(text, "Cancer", D)])
    result = encode_examples([ex], bpe_tokenizer, style="entity_marker_punct", max_length_tokens=40)
    encoded = result.examples[0]
    decoded = bpe_tokenizer.decode(encoded.input_ids)
    assert 34 <= len(encoded) <= 40  # fills the budget in one pass, no overshoot-and-shrink
    assert encoded.truncated and not encoded.lost_mention
    assert "Middle" not in decoded
    assert "@ BRCA1 @" in decoded and "# Cancer #" in decoded


def test_truncation_token_cut_keeps_marker_glued_to_previous_space(bpe_tokenizer) -> None:
    # B opens its sentence right after A's sentence: the BPE token "Ġ#" starts on the space
    # that ends A's sentence, yet it holds B's marker and must be kept with B.
    filler = " ".join(["protein"] * 40)
    text = f"The gene {filler} BRCA1 {filler}. Cancer cells {filler}."
    ex = make_example(text, [span(text, "BRCA1", G)], [span(text, "Cancer", D)])
    result = encode_examples([ex], bpe_tokenizer, style="entity_marker_punct", max_length_tokens=40)
    encoded = result.examples[0]
    decoded = bpe_tokenizer.decode(encoded.input_ids)
    assert len(encoded) <= 40 and encoded.truncated and not encoded.lost_mention
    assert "@ BRCA1 @" in decoded and "# Cancer #" in decoded
    a, b = encoded.entity_token_index
    assert bpe_tokenizer.convert_ids_to_tokens(encoded.input_ids[b]) == "Ġ#"
    assert "@" in bpe_tokenizer.decode([encoded.input_ids[a]])
