"""What a checkpoint or run directory holds, read without building any model.

Tensors are read from safetensors headers and, where statistics are needed, one tensor at a
time (``safe_open``), so a 8B adapter can be inspected on a laptop. Pickled files (``*.pt``,
``*.bin``) are listed but never unpickled here: unpickling runs arbitrary code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open

from relx import rundir

__all__ = ["Inventory", "TensorInfo", "scan_directory", "detect_kind", "HEAD_NAMES"]

#: Module names that hold a classification head: transformers' ``score`` (decoders) and
#: ``classifier`` (encoders), relx's own ``head``; PEFT prefixes them with ``base_model.model``.
HEAD_NAMES: tuple[str, ...] = ("score", "classifier", "head", "relx_head", "out_proj")

#: Module names of input embeddings across architectures (Llama, BERT, GPT-2).
EMBEDDING_NAMES: tuple[str, ...] = ("embed_tokens", "word_embeddings", "wte")

#: File names that are pickles whatever their extension says.
PICKLE_SUFFIXES: tuple[str, ...] = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt")

#: Tokenizer files: any one of them makes a tokenizer loadable from the directory.
TOKENIZER_FILES: tuple[str, ...] = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "tokenizer.model",
    "vocab.json",
)

#: relx's model metadata file (relx.models); read defensively because its schema may grow.
RELX_MODEL_FILE = "relx_model.json"
#: Where relx keeps a model's head (relx.models.HEAD_FILE; not imported: no torch model code here).
RELX_HEAD_FILE = "head.safetensors"
#: Folders of a relx checkpoint written for other libraries only, which relx never loads
#: (relx.models.ADAPTER_SEQ_CLS_DIR: the LoRA adapter again plus the head, for plain peft).
#: Their files are checked for readability, but their tensors and configs are not counted as
#: the model's: each LoRA layer and marker row would show twice, and a config of theirs could
#: stand in for relx's own adapter config.
RELX_EXPORT_DIRS: tuple[str, ...] = ("adapter_seq_cls",)

_LORA_RE = re.compile(r"^(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.[^.]+)?\.weight$")


@dataclass
class TensorInfo:
    """One saved tensor: file, key and shape (values are loaded on demand)."""

    file: Path
    key: str
    shape: tuple[int, ...]
    dtype: str

    def load(self) -> torch.Tensor:
        """Load this tensor alone (float32, CPU)."""
        with safe_open(str(self.file), framework="pt") as handle:
            return handle.get_tensor(self.key).float()


@dataclass
class Inventory:
    """Files and tensors of one checkpoint directory.

    Attributes:
        path: The checkpoint directory.
        kind: See :func:`detect_kind`.
        tensors: Every tensor of every readable safetensors file.
        broken: ``(file, error)`` for files that exist but cannot be read.
        pickled: Pickle files found (never opened here).
        json_files: Parsed JSON files by relative name.
        adapter_config: ``adapter_config.json`` when present.
        model_config: ``config.json`` when present.
        relx_meta: ``relx_model.json`` when present.
        tokenizer_files: Tokenizer files present.
    """

    path: Path
    kind: str = "unknown"
    tensors: list[TensorInfo] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)
    pickled: list[Path] = field(default_factory=list)
    json_files: dict[str, Any] = field(default_factory=dict)
    adapter_config: dict[str, Any] | None = None
    model_config: dict[str, Any] | None = None
    relx_meta: dict[str, Any] | None = None
    tokenizer_files: list[str] = field(default_factory=list)

    # --- tensor groups -------------------------------------------------------------------

    def lora_pairs(self) -> dict[str, dict[str, TensorInfo]]:
        """LoRA tensors grouped by module: ``{module: {"A": info, "B": info}}``."""
        pairs: dict[str, dict[str, TensorInfo]] = {}
        for info in self.tensors:
            match = _LORA_RE.match(info.key)
            if match:
                pairs.setdefault(match["module"], {})[match["ab"]] = info
        return pairs

    def head_tensors(self) -> list[TensorInfo]:
        """Candidate classification-head weights (2-D, not LoRA, named like a head).

        In a relx checkpoint only ``head.safetensors`` counts: relx loads its head from there
        alone, while a full fine-tune's ``backbone/`` may also hold a copy of the head for
        plain transformers (relx/models/_export.py), which must not hide a missing head file.
        """
        found = []
        for info in self.tensors:
            if RELX_MODEL_FILE in self.json_files and info.file != self.path / RELX_HEAD_FILE:
                continue
            if "lora_" in info.key or not info.key.endswith("weight") or len(info.shape) != 2:
                continue
            parts = info.key.split(".")
            if any(p in HEAD_NAMES for p in parts[:-1]) and not any(
                e in parts for e in EMBEDDING_NAMES
            ):
                found.append(info)
        return found

    def head_weight(self) -> TensorInfo | None:
        """The final head layer: among head candidates, the one with the fewest rows.

        Encoder heads can be two layers (RoBERTa: ``dense`` then ``out_proj``); the output
        layer is the one whose rows are the labels, i.e. the smallest.
        """
        heads = self.head_tensors()
        return min(heads, key=lambda t: (t.shape[0], t.key)) if heads else None

    def embedding_tensors(self) -> list[TensorInfo]:
        """Saved input-embedding tensors (full matrices or PEFT trainable-token deltas)."""
        return [
            t
            for t in self.tensors
            if any(name in t.key.split(".") for name in EMBEDDING_NAMES)
            and "lora_" not in t.key
        ]


def _read_json(path: Path, inv: Inventory) -> Any | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        inv.broken.append((str(path.relative_to(inv.path)), f"invalid JSON: {error}"))
        return None


def scan_directory(path: str | Path) -> Inventory:
    """Inventory a checkpoint directory: JSON configs, safetensors headers, pickles.

    Sub-directories are scanned too (relx may keep the adapter and the head in separate
    files), except ``checkpoints/`` of a run, which is scanned per checkpoint.
    """
    root = Path(path)
    inv = Inventory(path=root)
    for file in sorted(root.rglob("*")):
        if not file.is_file():
            continue
        rel = file.relative_to(root)
        if rel.parts and rel.parts[0] in (rundir.CHECKPOINTS_DIR, rundir.PREDICTIONS_DIR):
            continue
        name = file.name
        if name.endswith(".safetensors"):
            try:
                with safe_open(str(file), framework="pt") as handle:
                    for key in handle.keys():
                        slc = handle.get_slice(key)
                        inv.tensors.append(
                            TensorInfo(file, key, tuple(slc.get_shape()), str(slc.get_dtype()))
                        )
            except (SafetensorError, OSError, ValueError) as error:
                inv.broken.append((str(rel), f"unreadable safetensors: {error}"))
        elif file.suffix in PICKLE_SUFFIXES:
            inv.pickled.append(file)
        elif name.endswith(".json") and file.stat().st_size < 50_000_000:
            obj = _read_json(file, inv)
            if obj is not None:
                inv.json_files[str(rel)] = obj
        if name in TOKENIZER_FILES:
            inv.tokenizer_files.append(str(rel))
    inv.relx_meta = _first(inv.json_files, RELX_MODEL_FILE)
    if inv.relx_meta is not None:
        _drop_export_dirs(inv)
    inv.adapter_config = _first(inv.json_files, "adapter_config.json")
    inv.model_config = _first(inv.json_files, "config.json")
    inv.kind = detect_kind(inv)
    return inv


def _drop_export_dirs(inv: Inventory) -> None:
    """Forget the tensors and JSON of :data:`RELX_EXPORT_DIRS` (a relx checkpoint's copies)."""
    def exported(rel: Path) -> bool:
        return len(rel.parts) > 1 and rel.parts[0] in RELX_EXPORT_DIRS

    inv.tensors = [t for t in inv.tensors if not exported(t.file.relative_to(inv.path))]
    inv.json_files = {k: v for k, v in inv.json_files.items() if not exported(Path(k))}


def _first(json_files: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The shallowest JSON file called ``name`` (a dict), or None."""
    matches = sorted((k for k in json_files if Path(k).name == name), key=lambda k: k.count("/"))
    for key in matches:
        if isinstance(json_files[key], dict):
            return json_files[key]
    return None


def detect_kind(inv: Inventory) -> str:
    """Which kind of checkpoint this is.

    ``relx_checkpoint`` (``relx_model.json``), ``peft_checkpoint`` (``adapter_config.json``),
    ``hf_checkpoint`` (``config.json`` + weights) or ``unknown``.
    """
    if inv.relx_meta is not None:
        return "relx_checkpoint"
    if inv.adapter_config is not None or any(
        t.file.name.startswith("adapter_model") for t in inv.tensors
    ):
        return "peft_checkpoint"
    if inv.model_config is not None:
        return "hf_checkpoint"
    return "unknown"
