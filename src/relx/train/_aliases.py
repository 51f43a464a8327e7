"""Answers to mistyped config keys and preset names, and the Hugging Face names users bring.

Standalone on purpose (no import of the config schema): ``relx.train._config`` calls
:func:`suggest_key` with the keys it knows when validation rejects an unknown one,
:func:`hf_alias` before that (``learning_rate`` -> ``train.lr``), and :func:`suggest_preset`
when a preset name does not exist. Kept here so the schema can change without these lists.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["HF_ALIASES", "suggest_key", "hf_alias", "suggest_preset", "unknown_key_message",
           "expand_split_files"]

#: Hugging Face ``TrainingArguments`` (and common script) names -> the relx config key.
HF_ALIASES: dict[str, str] = {
    "learning_rate": "train.lr",
    "num_train_epochs": "train.epochs",
    "per_device_train_batch_size": "train.batch_size",
    "per_device_eval_batch_size": "train.eval_batch_size",
    "gradient_accumulation_steps": "train.grad_accum_steps",
    "warmup_ratio": "train.warmup_ratio",
    "warmup_steps": "train.warmup_steps",
    "weight_decay": "train.weight_decay",
    "max_grad_norm": "train.max_grad_norm",
    "lr_scheduler_type": "train.scheduler",
    "seed": "train.seed",
    "max_steps": "train.max_steps",
    "label_smoothing_factor": "train.label_smoothing",
    "metric_for_best_model": "train.select_metric",
    "eval_steps": "train.eval_every_steps",
    "early_stopping_patience": "train.early_stopping_patience",
    "bf16": "train.mixed_precision",
    "fp16": "train.mixed_precision",
    "model_name_or_path": "model.model_name_or_path",
    "lora_r": "model.lora.r",
    "lora_alpha": "model.lora.alpha",
    "lora_dropout": "model.lora.dropout",
    "target_modules": "model.lora.target_modules",
    "max_seq_length": "represent.max_length_tokens",
    "max_length": "represent.max_length_tokens",
    "train_file": "data.train_files",
    "validation_file": "data.val_files",
    "output_dir": "--out (a CLI option, not a config key)",
    "report_to": "tracking.tensorboard / tracking.mlflow",
}


def hf_alias(key: str) -> str | None:
    """The relx key for a Hugging Face name (also under a section: ``train.learning_rate``)."""
    leaf = key.rsplit(".", 1)[-1]
    return HF_ALIASES.get(key) or HF_ALIASES.get(leaf)


def suggest_key(name: str, known: Iterable[str]) -> str | None:
    """The closest known dotted key to a mistyped one, or None when nothing is close.

    Matches the whole dotted key first (``train.lerning_rate`` -> ``train.lr`` via the HF
    alias, ``trian.lr`` -> ``train.lr``), then the last component within the same section.
    """
    known = list(known)
    alias = hf_alias(name)
    if alias is not None and (alias in known or not known or alias.startswith("--")):
        return alias
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    if close:
        return close[0]
    leaf = name.rsplit(".", 1)[-1]
    by_leaf: dict[str, str] = {}
    for k in known:
        by_leaf.setdefault(k.rsplit(".", 1)[-1], k)
    close = difflib.get_close_matches(leaf, list(by_leaf), n=1, cutoff=0.7)
    return by_leaf[close[0]] if close else None


def unknown_key_message(name: str, known: Iterable[str]) -> str:
    """``unknown config key 'x'; did you mean 'y'?`` (or the HF alias answer)."""
    known = list(known)
    alias = hf_alias(name)
    if alias is not None:
        return f"unknown config key {name!r}: the Hugging Face name; relx calls it {alias!r}"
    guess = suggest_key(name, known)
    return f"unknown config key {name!r}" + (f"; did you mean {guess!r}?" if guess else "")


def suggest_preset(name: str, presets: Iterable[str]) -> str:
    """The message for an unknown preset: the closest name, then every preset."""
    presets = sorted(presets)
    close = difflib.get_close_matches(name, presets, n=1, cutoff=0.5)
    head = f"no preset {name!r}" + (f"; did you mean {close[0]!r}?" if close else "")
    return head + " Presets: " + ", ".join(presets)


def expand_split_files(values: Iterable[str]) -> list[str]:
    """``data.split_files`` entries with folders expanded to their ``split_*.json`` files
    (numeric order), so the folder ``relx data build`` wrote can be passed as is."""
    out: list[str] = []
    for value in values:
        path = Path(value)
        if path.is_dir():
            found = sorted(path.glob("split_*.json"),
                           key=lambda p: int(p.stem.split("_")[-1]) if p.stem.split("_")[-1].isdigit() else 0)
            out += [str(p) for p in found]
        else:
            out.append(value)
    return out
