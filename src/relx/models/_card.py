"""What a saved relx model tells the rest of the ecosystem: ``id2label`` in the backbone
config, the tokenizer beside the backbone, a peft adapter config that plain ``peft`` reads
(``task_type``, a relative base reference), and a model card (README.md) with the labels,
metrics, data and how to load the model.

Why here and not in peft/transformers' own save: relx's backbone is an ``AutoModel`` (the head
lives in ``head.safetensors``; a full fine-tune of BERT/RoBERTa/Llama-family models also has
it in the backbone folder, relx/models/_export.py; a LoRA run of a Llama-family decoder a
second, SEQ_CLS adapter, relx/models/_export_peft.py), so neither library knows the labels.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from relx._io import atomic_write_json, atomic_write_text

__all__ = ["write_interop_files", "model_card", "MODEL_CARD_FILE", "ADAPTER_TASK_TYPE"]

MODEL_CARD_FILE = "README.md"

#: relx's adapter wraps the headless backbone (``AutoModel``): for peft that is feature
#: extraction; SEQ_CLS would make ``PeftModel.from_pretrained`` expect a classification model.
ADAPTER_TASK_TYPE = "FEATURE_EXTRACTION"


def _is_local(reference: str) -> bool:
    return bool(reference) and Path(reference).exists()


def _hub_name(reference: str) -> str | None:
    """A hub id (``org/name``) when the reference looks like one, else None."""
    if not reference or reference.startswith(("pkg:", "/", ".", "~")) or _is_local(reference):
        return None
    return reference if reference.count("/") == 1 else None


def _set_labels(config_path: Path, labels: list[str]) -> None:
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["id2label"] = {str(i): label for i, label in enumerate(labels)}
    config["label2id"] = {label: i for i, label in enumerate(labels)}
    atomic_write_json(config_path, config)


def _fix_adapter_config(adapter_dir: Path, base_model: str, final_dir: Path) -> None:
    path = adapter_dir / "adapter_config.json"
    if not path.is_file():
        return
    config = json.loads(path.read_text(encoding="utf-8"))
    config["task_type"] = ADAPTER_TASK_TYPE
    config["base_model_name_or_path"] = base_reference(base_model, final_dir)
    atomic_write_json(path, config)


def base_reference(base_model: str, final_dir: Path) -> str:
    """An adapter config's ``base_model_name_or_path``: relative to ``final_dir`` when local.

    Relative to the adapter folder (where it will live, not the temporary save folder): the
    run directory can move with its base model. A hub name or other reference is kept as is.
    """
    if _is_local(base_model):
        return os.path.relpath(Path(base_model).resolve(), final_dir.resolve())
    return base_model


def _reads_line(info: Any) -> str:
    """Which token transformers' head reads, and when that is relx's token."""
    if info.kind == "decoder":
        reads = (f"transformers reads the rightmost token that is not `pad_token_id` "
                 f"({info.pad_token_id}, `{info.pad_token}`); relx reads the last attended token. They "
                 "are the same token unless the input itself ends in the pad token (relx pads on the "
                 "right; with pad = eos, do not end the input with eos).")
    else:
        reads = ("The head reads position 0 ([CLS]): pad on the right (the tokenizer's default), "
                 "as relx does.")
    return (reads + " The texts must carry the entity markers relx trained with (`representation` in "
            "`relx_model.json`); relx builds them from documents, plain transformers takes them as given.")


def _whole_classifier_lines(info: Any, export: Any, folder: str) -> list[str]:
    """How to load the whole classifier with plain transformers (relx/models/_export.py)."""
    return [f"The whole classifier, with plain transformers (`{folder}/` is a `{export.architecture}` "
            "checkpoint: same logits as relx):", "", "```python",
            "from transformers import AutoModelForSequenceClassification, AutoTokenizer", "",
            f"tokenizer = AutoTokenizer.from_pretrained(\"PATH/{folder}\")",
            f"model = AutoModelForSequenceClassification.from_pretrained(\"PATH/{folder}\")",
            "logits = model(**tokenizer(texts, return_tensors=\"pt\", padding=True)).logits", "```", "",
            _reads_line(info), ""]


def _whole_classifier_peft_lines(info: Any, seq_cls: Any, folder: str) -> list[str]:
    """How to load the whole classifier with plain peft (relx/models/_export_peft.py)."""
    hub = _hub_name(str(info.base_model))
    base = f"\"{hub}\"" if hub else "BASE"
    gguf = f"gguf_file=\"{seq_cls.gguf_file}\", " if getattr(seq_cls, "gguf_file", None) else ""
    rows = ", the trained rows of the new marker tokens" if getattr(info, "new_token_ids", None) else ""
    lines = [f"The whole classifier, with plain peft (`{folder}/` is a SEQ_CLS adapter for "
             f"`{seq_cls.architecture}`: the LoRA weights of `adapter/`{rows} and the head as `score`; "
             "same logits as relx):", "", "```python", "from peft import PeftModel",
             "from transformers import AutoModelForSequenceClassification, AutoTokenizer", "",
             f"tokenizer = AutoTokenizer.from_pretrained(\"PATH/{folder}\")",
             f"base = AutoModelForSequenceClassification.from_pretrained({base}, {gguf}"
             f"num_labels={seq_cls.num_labels}, pad_token_id={seq_cls.pad_token_id})"]
    if seq_cls.resize_to is not None:
        lines.append(f"base.resize_token_embeddings({seq_cls.resize_to}, mean_resizing=False)"
                     "  # the marker tokens' rows; the adapter holds their trained values")
    lines += [f"model = PeftModel.from_pretrained(base, \"PATH/{folder}\")",
              "logits = model(**tokenizer(texts, return_tensors=\"pt\", padding=True)).logits", "```", ""]
    if not hub:
        lines += ["`BASE`: the base model above (the adapter config records it as "
                  "`base_model_name_or_path`, relative to the adapter folder when local).", ""]
    lines += ["transformers reports `score.weight` as newly initialised when it loads the base: the "
              "adapter then loads the trained head into it.", ""]
    return lines + [_reads_line(info), ""]


def _relx_only_lines(info: Any) -> list[str]:
    """Why transformers cannot load this head, and where it is."""
    if info.head == "entity_start":
        return ["The `entity_start` head reads the first marker token of each entity: transformers has "
                "no such head, so load the whole classifier with `relx.load`.", ""]
    token = "last attended" if info.kind == "decoder" else "first ([CLS])"
    layers = "dense + tanh, then a linear layer" if info.head == "cls" else "a linear layer"
    why = ("a LoRA adapter holds the backbone only" if info.method != "full"
           else f"transformers has no head of this shape for `{info.model_type}`")
    return [f"The head (`head.safetensors`) is {layers} on the {token} token's hidden state; {why}, "
            "so load the whole classifier with `relx.load`.", ""]


def model_card(info: Any, *, metrics: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None,
               folder: str = "backbone", export: Any = None, seq_cls: Any = None,
               seq_cls_dir: str = "adapter_seq_cls") -> str:
    """The README.md of a saved relx model (Hugging Face model-card front matter + text).

    ``export``: the :class:`relx.models._export.ExportPlan` the backbone folder was saved
    with, when it is a whole transformers classifier; the card then shows how to load it.
    ``seq_cls``: the :class:`relx.models._export_peft.SeqClsPlan` of a LoRA run, when it
    has one: the card shows how plain peft loads ``seq_cls_dir/``, or why it was not written.
    """
    labels = list(info.labels)
    hub = _hub_name(str(info.base_model))
    front = ["---", "library_name: " + ("peft" if info.method != "full" else "transformers"),
             "pipeline_tag: text-classification", "tags:", "- relx", "- relation-extraction", "- biomedical"]
    if hub:
        front.append(f"base_model: {hub}")
    front += ["---", ""]
    lines = [f"# relx relation classifier ({info.model_type}, {info.method}, head {info.head})", "",
             f"Base model: `{info.base_model}`" + (f" (hub: `{hub}`)" if hub else ""), "",
             "## Labels", "", ", ".join(f"`{i}: {lab}`" for i, lab in enumerate(labels)), ""]
    if metrics:
        lines += ["## Validation metrics", "", "| metric | value |", "|---|---|"]
        for key in ("f1", "precision", "recall", "accuracy", "macro_f1"):
            if isinstance(metrics.get(key), (int, float)):
                lines.append(f"| {key} | {metrics[key]:.4f} |")
        lines += ["", "F1: iKraph pair micro F1 over the positive labels, on all candidate pairs.", ""]
    if data:
        lines += ["## Data", ""] + [f"- {k}: {v}" for k, v in data.items()] + [""]
    rep = dict(getattr(info, "representation", None) or {})
    if rep:
        lines += ["## Input representation", "", "Inputs mark the two entities: "
                  + ", ".join(f"{k}={v}" for k, v in rep.items()), ""]
    lines += ["## How to load", "", "With relx (the whole classifier, any head):", "", "```python",
              "import relx", "", "model = relx.load(\"PATH/TO/THIS/CHECKPOINT\")",
              "predictions = model.predict(documents_or_pair_examples)", "```", ""]
    if export is not None:
        lines += _whole_classifier_lines(info, export, folder)
    if info.method == "full":
        lines += [f"The backbone alone, with plain transformers (`{folder}/` holds the tokenizer and "
                  "`id2label`):", "", "```python", "from transformers import AutoModel, AutoTokenizer", "",
                  f"tokenizer = AutoTokenizer.from_pretrained(\"PATH/{folder}\")",
                  f"backbone = AutoModel.from_pretrained(\"PATH/{folder}\")", "```", ""]
    else:
        lines += ["The adapter alone, with plain peft (on the base model above):", "", "```python",
                  "from peft import PeftModel", "from transformers import AutoModel", "",
                  "base = AutoModel.from_pretrained(BASE)",
                  "backbone = PeftModel.from_pretrained(base, \"PATH/adapter\")", "```", ""]
    whole_peft = seq_cls is not None and seq_cls.skipped is None
    if whole_peft:
        lines += _whole_classifier_peft_lines(info, seq_cls, seq_cls_dir)
    elif seq_cls is not None:
        lines += [f"No `{seq_cls_dir}/` (a SEQ_CLS adapter for `{seq_cls.architecture}`) was written: "
                  f"{seq_cls.skipped}.", ""]
    if export is None and not whole_peft:
        lines += _relx_only_lines(info)
    return "\n".join(front + lines)


def write_interop_files(target: Path, info: Any, tokenizer: Any, *, backbone_dir: str, adapter_dir: str,
                        metrics: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None,
                        final_target: Path | None = None, export: Any = None, seq_cls: Any = None,
                        seq_cls_dir: str = "adapter_seq_cls") -> None:
    """Make ``target``'s backbone/adapter folder loadable by plain transformers/peft, with a card.

    ``final_target`` is where ``target``'s content will live (save() writes to a temporary
    sibling first): the adapter's relative base reference is computed from there. A written
    ``seq_cls_dir/`` (relx/models/_export_peft.py, its config already final) gets the
    tokenizer and the card too, so that folder alone is a complete peft checkpoint.
    """
    labels = list(info.labels)
    folder = target / (backbone_dir if info.method == "full" else adapter_dir)
    if not folder.is_dir():
        return
    tokenizer.save_pretrained(folder)
    if (folder / "config.json").is_file():
        _set_labels(folder / "config.json", labels)
    _fix_adapter_config(folder, str(info.base_model), (final_target or target) / folder.name)
    card = model_card(info, metrics=metrics, data=data, folder=folder.name, export=export,
                      seq_cls=seq_cls, seq_cls_dir=seq_cls_dir)
    atomic_write_text(folder / MODEL_CARD_FILE, card)
    atomic_write_text(target / MODEL_CARD_FILE, card)
    extra = target / seq_cls_dir
    if seq_cls is not None and seq_cls.skipped is None and extra.is_dir():
        tokenizer.save_pretrained(extra)
        atomic_write_text(extra / MODEL_CARD_FILE, card)
