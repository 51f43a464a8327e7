"""BioRED Dev (8.9k pairs): fast batch encoding, markers found, entity-aware truncation loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from relx.represent import encode_examples

BIORED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "biored"


@pytest.mark.slow
def test_encode_biored_dev_markers_and_truncation(minilm_tokenizer) -> None:
    if not (BIORED / "Dev.PubTator").exists():
        pytest.skip("BioRED data not available")
    from relx.data import build_pairs, read_corpus

    pairs = build_pairs(read_corpus([BIORED / "Dev.PubTator"]))
    assert len(pairs) > 8000
    # Its speed is bench/bench_encode.py's (docs/benchmarks.md), not this test's.
    result = encode_examples(pairs, minilm_tokenizer, style="typed_entity_marker_punct", max_length_tokens=256)
    assert len(result.examples) == len(pairs)
    assert result.n_truncated > 1000  # the median input is ~240 tokens
    assert result.n_lost_mention == 0
    at = minilm_tokenizer.convert_tokens_to_ids("@")
    hash_ = minilm_tokenizer.convert_tokens_to_ids("#")
    for encoded in result.examples:
        assert len(encoded) <= 256
        a, b = encoded.entity_token_index
        assert encoded.input_ids[a] == at
        assert encoded.input_ids[b] == hash_

    right = encode_examples(
        pairs, minilm_tokenizer, style="typed_entity_marker_punct", max_length_tokens=256, truncation="right"
    )
    assert right.n_truncated == result.n_truncated
    assert right.n_lost_mention > 500  # what plain truncation would have cost
