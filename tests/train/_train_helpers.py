"""Shared helpers of the training tests: a tiny random BERT and synthetic split files.

The model is built in-test (no hub, no network): a WordPiece vocabulary of every word of
the synthetic corpus, a 2-layer BERT with hidden size 64, saved to a folder that
``build_classifier`` loads like any local model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from relx.labels import ENTITY_TYPES

_WORD = re.compile(r"\w+|[^\w\s]")


def make_tiny_bert(
    folder: Path, texts: list[str], *, seed: int = 0, dropout: float = 0.1, hidden_size: int = 64
) -> Path:
    """Write a tiny random BERT + fast WordPiece tokenizer covering ``texts`` to ``folder``."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

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
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=hidden_size // 32,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=512,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    BertModel(config).save_pretrained(folder)
    return folder


def make_synthetic_splits(folder: Path, *, n_docs: int = 60, n_splits: int = 5) -> list[Path]:
    """Synthetic corpus -> pairs -> ``n_splits`` split files (documents dealt round-robin)."""
    from relx.data import build_pairs
    from relx.data._split import write_split
    from relx.data._synth import synthesize_documents

    documents = synthesize_documents(n_docs=n_docs, seed=0)
    pairs = build_pairs(documents)
    split_of = {doc.doc_id: i % n_splits for i, doc in enumerate(documents)}
    paths = []
    for k in range(n_splits):
        path = folder / f"split_{k}.json"
        write_split(path, [p for p in pairs if split_of[str(p.document_id)] == k])
        paths.append(path)
    return paths


def tiny_setup(
    tmp_path: Path, *, n_docs: int = 60, dropout: float = 0.1, hidden_size: int = 64
) -> dict[str, Any]:
    """Split files + a tiny BERT covering their texts; returns a base config dict."""
    from relx.data._split import read_split

    splits = make_synthetic_splits(tmp_path / "data", n_docs=n_docs)
    texts = [ex.text for p in splits for ex in read_split(p)]
    model_dir = make_tiny_bert(
        tmp_path / "tiny_bert", texts, dropout=dropout, hidden_size=hidden_size
    )
    return {
        "data": {"split_files": [str(p) for p in splits], "fold": 0},
        "represent": {"style": "typed_entity_marker_punct", "max_length_tokens": 256},
        "model": {"model_name_or_path": str(model_dir), "head": "cls", "method": "full"},
        "train": {
            "lr": 1e-3,
            "epochs": 3,
            "batch_size": 16,
            "seed": 0,
            "warmup_ratio": 0.1,
        },
        "tracking": {"tensorboard": False},
    }
