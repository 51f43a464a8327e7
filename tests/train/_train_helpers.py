"""Shared helpers of the training tests: a tiny random BERT and synthetic split files.

The model is built in-test (no hub, no network): a WordPiece vocabulary of every word of
the synthetic corpus, a 2-layer BERT with hidden size 64, saved to a folder that
``build_classifier`` loads like any local model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiny_models import make_tiny_bert

__all__ = ["make_tiny_bert", "make_synthetic_splits", "tiny_setup"]


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
    tmp_path: Path,
    *,
    n_docs: int = 60,
    dropout: float = 0.1,
    hidden_size: int = 64,
    architecture: str = "bert",
) -> dict[str, Any]:
    """Split files + a tiny BERT (or RoFormer) covering their texts; returns a base config."""
    from relx.data._split import read_split

    splits = make_synthetic_splits(tmp_path / "data", n_docs=n_docs)
    texts = [ex.text for p in splits for ex in read_split(p)]
    model_dir = make_tiny_bert(
        tmp_path / "tiny_bert",
        texts,
        dropout=dropout,
        hidden_size=hidden_size,
        architecture=architecture,
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
