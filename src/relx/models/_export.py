"""A full fine-tune's ``backbone/`` folder as a transformers sequence-classification checkpoint.

Why: a user with plain transformers should get the whole classifier, with relx's logits, from
``AutoModelForSequenceClassification.from_pretrained(ckpt / "backbone")``, without a second
multi-GB copy of the weights. transformers' own checkpoints of that class hold the base model
under its prefix (``bert.*``, ``model.*``) plus the head, and ``AutoModel.from_pretrained``
strips the prefix (checked on transformers 5 in tests/models/test_interop_plain_hf.py), so one
folder serves the backbone alone, the whole classifier, and relx's loader
(relx/models/_build.py ``_load_saved``).

Only where transformers' head computes exactly what relx's does (relx/models/_heads.py):

- ``cls`` on BERT: pooler (dense + tanh on position 0) + dropout + ``classifier``;
- ``cls`` on RoBERTa-family encoders: ``classifier.dense`` + tanh + ``classifier.out_proj``
  on position 0 (relx encoders pad on the right, so position 0 is relx's first token);
- ``last_token`` on Llama-family decoders (``GenericForSequenceClassification``): ``score``
  without bias on the rightmost token that is not ``pad_token_id``, which is relx's last
  attended token as long as the input does not end in the pad token.

Anything else (``entity_start``, other architectures, LoRA, heads of old checkpoints)
keeps the headless backbone, and the card points at ``relx.load``. A LoRA run of a decoder
with the ``last_token`` head gets the same whole classifier as a second peft adapter,
``adapter_seq_cls/`` (relx/models/_export_peft.py).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn

from relx._io import atomic_write_json
from relx.errors import RelxWarning

__all__ = [
    "ExportPlan", "export_plan", "head_plan", "save_sequence_classifier", "load_saved_backbone",
]

#: Encoders whose sequence-classification head is relx's ``cls`` head, by head style.
_ENCODER_STYLES: dict[str, str] = {
    "bert": "bert_pooler",
    "roberta": "roberta_head",
    "xlm-roberta": "roberta_head",
    "camembert": "roberta_head",
}
#: Plain dense decoders whose ``*ForSequenceClassification`` is transformers'
#: ``GenericForSequenceClassification`` (``score``, no bias) and whose weights are saved as
#: they are in memory (no transformers 5 checkpoint conversion, unlike the MoE models).
_DECODER_TYPES: frozenset[str] = frozenset({"llama", "mistral", "qwen2", "qwen3"})

#: The largest safetensors file written; bigger models are sharded with an index, as
#: transformers' ``save_pretrained`` does.
_MAX_SHARD_SIZE = "5GB"


@dataclass(frozen=True)
class ExportPlan:
    """How the head maps onto a transformers class.

    Attributes:
        architecture: The transformers class name (``BertForSequenceClassification``).
        prefix: Its ``base_model_prefix`` (``bert``, ``roberta``, ``model``).
        style: ``bert_pooler``, ``roberta_head`` or ``score``.
    """

    architecture: str
    prefix: str
    style: str


def export_plan(info: Any, head: nn.Module) -> ExportPlan | None:
    """The plan for this model, or None when transformers has no head that gives relx's logits.

    Decided from the settings and the head's actual layers, so a resumed old checkpoint
    (cls head without dense, last_token head with bias) is saved headless as before.
    """
    if info.method != "full":
        return None
    return head_plan(info, head)


def head_plan(info: Any, head: nn.Module) -> ExportPlan | None:
    """:func:`export_plan` whatever the method: whether transformers' head is relx's head.

    A LoRA run of such a model gets a second, SEQ_CLS adapter for plain peft on top of that
    class (relx/models/_export_peft.py).
    """
    if getattr(info, "trust_remote_code", False):
        return None
    model_type = str(info.model_type)
    dense = getattr(head, "dense", None) is not None
    bias = getattr(getattr(head, "classifier", None), "bias", None) is not None
    if info.head == "cls" and model_type in _ENCODER_STYLES and dense and bias:
        style = _ENCODER_STYLES[model_type]
    elif info.head == "last_token" and model_type in _DECODER_TYPES and not dense and not bias:
        style = "score"
    else:
        return None
    import transformers
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES,
    )

    name = MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES.get(model_type)
    cls = getattr(transformers, name, None) if name else None
    if cls is None:
        return None
    if style == "score":
        from transformers.modeling_layers import GenericForSequenceClassification

        if not issubclass(cls, GenericForSequenceClassification):
            return None
    return ExportPlan(architecture=name, prefix=str(cls.base_model_prefix), style=style)


def _head_tensors(head: nn.Module, plan: ExportPlan) -> dict[str, torch.Tensor]:
    classifier = head.classifier
    if plan.style == "score":
        return {"score.weight": classifier.weight}
    dense = head.dense
    if plan.style == "bert_pooler":
        names = {f"{plan.prefix}.pooler.dense": dense, "classifier": classifier}
    else:
        names = {"classifier.dense": dense, "classifier.out_proj": classifier}
    return {f"{module}.{p}": getattr(layer, p) for module, layer in names.items()
            for p in ("weight", "bias")}


def save_sequence_classifier(
    backbone: nn.Module, head: nn.Module, info: Any, folder: Path, plan: ExportPlan
) -> None:
    """Write ``folder`` as a ``plan.architecture`` checkpoint: config.json + safetensors.

    The weights are the live tensors under the class's prefix (no copy beyond one shard at a
    time on CPU); the head stays float32. ``id2label``/``label2id`` are added afterwards by
    relx/models/_card.py like for every backbone folder.
    """
    from huggingface_hub import split_torch_state_dict_into_shards

    folder.mkdir(parents=True, exist_ok=True)
    config = copy.deepcopy(backbone.config)
    if hasattr(config, "quantization_config"):  # GGUF-loaded backbones (see _save_dequantized)
        delattr(config, "quantization_config")
    config.architectures = [plan.architecture]
    config.pad_token_id = info.pad_token_id
    if plan.style != "score":
        # transformers' dropout before the classifier; relx's head_dropout (eval: no effect).
        config.classifier_dropout = float(info.head_dropout)
    config.save_pretrained(folder)
    state = {f"{plan.prefix}.{k}": v for k, v in backbone.state_dict().items()}
    state.update(_head_tensors(head, plan))
    split = split_torch_state_dict_into_shards(state, max_shard_size=_MAX_SHARD_SIZE)
    for filename, keys in split.filename_to_tensors.items():
        shard = {k: state[k].detach().to("cpu").contiguous() for k in keys}
        path = folder / filename
        save_file(shard, str(path), metadata={"format": "pt"})
        del shard
    if split.is_sharded:
        total = sum(v.numel() * v.element_size() for v in state.values())
        index = {"metadata": {**split.metadata, "total_size": total},
                 "weight_map": split.tensor_to_filename}
        atomic_write_json(folder / "model.safetensors.index.json", index)


def _not_a_load_report(record: logging.LogRecord) -> bool:
    return "LOAD REPORT" not in str(record.msg)


@contextlib.contextmanager
def _quiet_load_report() -> Iterator[None]:
    """Drop transformers' LOAD REPORT while relx loads its own export (checked instead).

    A filter, not a higher level: transformers 5 runs its tensor-parallel plan check (and
    logs every layer of the model) when that logger's level is WARNING or above.
    """
    logger = logging.getLogger("transformers.modeling_utils")
    logger.addFilter(_not_a_load_report)
    try:
        yield
    finally:
        logger.removeFilter(_not_a_load_report)


def _is_head_key(key: str) -> bool:
    return key.split(".")[0] in ("classifier", "score") or ".pooler." in f".{key}"


def load_saved_backbone(folder: Path, *, dtype: torch.dtype, trust_remote_code: bool) -> nn.Module:
    """``AutoModel`` from a saved ``backbone/`` folder, headless or a classifier export.

    For an export, the head keys (``classifier.*``, ``score.*``, the pooler) are expected
    extras and transformers' report of them is noise; any other missing or unexpected key
    means a broken folder and is warned about, with the keys.
    """
    from transformers import AutoConfig, AutoModel

    architectures = list(getattr(AutoConfig.from_pretrained(
        folder, trust_remote_code=trust_remote_code), "architectures", None) or [])
    exported = any(a.endswith("ForSequenceClassification") for a in architectures)
    kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": trust_remote_code,
                              "use_safetensors": True}
    if not exported:
        return AutoModel.from_pretrained(folder, **kwargs)
    with _quiet_load_report():
        backbone, loading = AutoModel.from_pretrained(folder, output_loading_info=True, **kwargs)
    odd = sorted(k for k in (*loading.get("missing_keys", ()), *loading.get("unexpected_keys", ()))
                 if not _is_head_key(k))
    if odd:
        more = f" and {len(odd) - 8} more" if len(odd) > 8 else ""
        warnings.warn(f"{folder}: keys missing from or unexpected in the saved backbone:"
                      f" {odd[:8]}{more}", RelxWarning, stacklevel=3)
    return backbone
