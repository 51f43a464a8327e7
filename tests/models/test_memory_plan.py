"""The checkpointing decision, against hand-computed numbers for the Llama-3.1-8B shape."""

from __future__ import annotations

import pytest
from transformers import BertConfig, LlamaConfig

from relx.models import estimate_training_memory, plan_activation_checkpointing

LLAMA_8B = LlamaConfig(
    hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
    num_key_value_heads=8, vocab_size=128256, max_position_embeddings=131072,
)
GB = 10**9


def test_8b_lora_activation_bytes_by_hand():
    # per token and layer: attention 6*4096 + 3*1024 = 27,648; SwiGLU MLP 3*4096 + 4*14336 =
    # 69,632; 97,280 elements x 2 bytes = 194,560 bytes; x 32 layers x 6,144 tokens.
    estimate = estimate_training_memory(LLAMA_8B, 6144, method="lora", dtype="bfloat16")
    assert estimate.activations == 194_560 * 32 * 6144 == 38_252_052_480
    # 128256*4096 embeddings + 32 x (q,k,v,o 41.9M + MLP 176.2M + norms) + final norm
    assert estimate.weights == 2 * 7_504_924_672
    assert estimate.total == pytest.approx(55.5 * GB, rel=0.01)


@pytest.mark.parametrize(
    ("dropout", "card_gb", "checkpoint"),
    [(0.0, 80, False), (0.0, 141, False), (0.05, 80, True), (0.05, 141, False)],
)
def test_8b_lora_6144_tokens_decision(dropout, card_gb, checkpoint):
    decided, reason = plan_activation_checkpointing(
        LLAMA_8B, 6144, "lora", "bfloat16", card_gb * GB, lora_dropout=dropout
    )
    assert decided is checkpoint
    assert ("no activation" in reason) is (not checkpoint)
    assert "6144 tokens" in reason and f"{card_gb:.1f} GB" in reason


def test_budget_too_large_even_checkpointed_says_lower_the_budget():
    decided, reason = plan_activation_checkpointing(LLAMA_8B, 200_000, "lora", "bfloat16", 80 * GB)
    assert decided and "lower train.max_tokens_per_batch" in reason


def test_minilm_full_fine_tuning_fits_easily():
    minilm = BertConfig(hidden_size=384, intermediate_size=1536, num_hidden_layers=6,
                        num_attention_heads=12, vocab_size=30522)
    decided, reason = plan_activation_checkpointing(minilm, 16384, "full", "float32", 80 * GB)
    assert not decided
    estimate = estimate_training_memory(minilm, 16384, method="full", dtype="float32")
    # GELU MLP: 6*384 + 3*384 (kv = h) + 3*384 + 2*1536 = 7,680 elements x 4 bytes x 6 layers
    assert estimate.activations == 16384 * 6 * 7680 * 4
