"""Tiny random encoders shared by the tests of several stages (no hub, no network).

Importable from any test module: ``tests/conftest.py`` puts this folder on ``sys.path``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from relx.labels import ENTITY_TYPES

_WORD = re.compile(r"\w+|[^\w\s]")


def make_tiny_bert(
    folder: Path,
    texts: list[str],
    *,
    seed: int = 0,
    dropout: float = 0.1,
    hidden_size: int = 64,
    architecture: str = "bert",
) -> Path:
    """Write a tiny random BERT + fast WordPiece tokenizer covering ``texts`` to ``folder``.

    ``architecture="roformer"`` writes the same encoder with rotary (relative) positions
    instead of BERT's learned absolute ones: from scratch it learns "trigger between the two
    markers" from a few hundred examples, wherever the sentence sits in the input.
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast, RoFormerConfig, RoFormerModel

    folder.mkdir(parents=True, exist_ok=True)
    words: set[str] = set()
    for text in texts:
        words.update(w.lower() for w in _WORD.findall(text))
    words.update(t.lower() for t in ENTITY_TYPES)
    words.update("@*#^[]/")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]
    # transformers 5 takes the vocabulary as a dict (vocab_file= is silently ignored).
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(seed)
    sizes: dict[str, Any] = {
        "vocab_size": len(vocab),
        "hidden_size": hidden_size,
        "num_hidden_layers": 2,
        "num_attention_heads": hidden_size // 32,
        "intermediate_size": 2 * hidden_size,
        "max_position_embeddings": 512,
        "hidden_dropout_prob": dropout,
        "attention_probs_dropout_prob": dropout,
    }
    if architecture == "roformer":
        RoFormerModel(RoFormerConfig(**sizes, embedding_size=hidden_size)).save_pretrained(folder)
    elif architecture == "bert":
        BertModel(BertConfig(**sizes)).save_pretrained(folder)
    elif architecture == "roberta":
        # RoBERTa numbers positions from padding_idx + 1: the pad id must be the tokenizer's.
        from transformers import RobertaConfig, RobertaModel

        RobertaModel(RobertaConfig(**{**sizes, "max_position_embeddings": 514}, pad_token_id=0)
                     ).save_pretrained(folder)
    elif architecture == "llama":
        # A decoder over the same vocabulary (packed training tests): no dropout in Llama.
        from transformers import LlamaConfig, LlamaModel

        LlamaModel(LlamaConfig(
            vocab_size=len(vocab), hidden_size=hidden_size, intermediate_size=2 * hidden_size,
            num_hidden_layers=2, num_attention_heads=hidden_size // 32, num_key_value_heads=1,
            max_position_embeddings=512, pad_token_id=0, architectures=["LlamaForCausalLM"],
        )).save_pretrained(folder)
    else:
        raise ValueError(
            f"architecture must be 'bert', 'roberta', 'roformer' or 'llama'; got {architecture!r}"
        )
    return folder
