"""A LoRA run's adapter as a peft SEQ_CLS adapter: the whole classifier with plain peft.

Why: relx's own adapter (``adapter/``) wraps the headless ``AutoModel`` (task_type
FEATURE_EXTRACTION, relx/models/_card.py) and the head lives in ``head.safetensors``, so
plain peft gets the backbone only. Where transformers' head computes relx's logits (the
``last_token`` head of the decoders in relx/models/_export.py ``_DECODER_TYPES``: ``score``
without bias), a second folder, ``adapter_seq_cls/``, holds the same LoRA weights for a
``*ForSequenceClassification`` base plus the head as ``score``:

    base = AutoModelForSequenceClassification.from_pretrained(BASE, num_labels=N, pad_token_id=P)
    model = PeftModel.from_pretrained(base, "PATH/adapter_seq_cls")

Key layout, checked against ``get_peft_model(LlamaForSequenceClassification, SEQ_CLS)
.save_pretrained`` on peft 0.21 (tests/models/test_interop_plain_hf.py does the round trip):

- ``base_model.model.<k>`` of the AutoModel adapter (LoRA ``...lora_A.weight``, the marker
  rows ``embed_tokens.token_adapter.trainable_tokens_delta``) becomes
  ``base_model.model.<prefix>.<k>``, ``<prefix>`` the class's ``base_model_prefix`` (``model``);
- relx's ``classifier.weight`` becomes ``base_model.model.score.weight`` (peft saves a
  ``modules_to_save`` module without its ``modules_to_save.default`` infix);
- the config is the AutoModel adapter's with ``task_type: SEQ_CLS``, ``modules_to_save:
  ["classifier", "score"]`` (what peft's SEQ_CLS model writes) and no ``auto_mapping``.

New marker tokens: their trained rows are peft trainable tokens (values, not deltas) and
carry over; the base needs the embedding rows first (``resize_token_embeddings``), which the
card says. relx's own loader never reads this folder; ``adapter/`` stays as it was.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from relx._io import atomic_write_json
from relx.models._card import base_reference
from relx.models._export import head_plan

__all__ = ["SeqClsPlan", "seq_cls_plan", "save_seq_cls_adapter", "SEQ_CLS_TASK_TYPE"]

logger = logging.getLogger("relx.models")

SEQ_CLS_TASK_TYPE = "SEQ_CLS"
#: What ``PeftModelForSequenceClassification`` puts in ``modules_to_save`` (peft 0.21).
_SEQ_CLS_MODULES = ("classifier", "score")
#: peft's prefix of every saved key of a ``PeftModel`` (LoRA tuner + the wrapped model).
_PEFT_PREFIX = "base_model.model."
_ADAPTER_CONFIG = "adapter_config.json"
_ADAPTER_WEIGHTS = "adapter_model.safetensors"


@dataclass(frozen=True)
class SeqClsPlan:
    """The SEQ_CLS adapter of a LoRA run, or why there is none.

    Attributes:
        architecture: The transformers class the adapter goes on
            (``LlamaForSequenceClassification``).
        prefix: Its ``base_model_prefix`` (``model``).
        num_labels: ``score``'s rows.
        pad_token_id: The id transformers' head skips to find the last token.
        resize_to: Embedding rows the base needs before the adapter (new marker tokens),
            None when the base already has them.
        gguf_file: The GGUF file inside the base folder, when the base is one.
        skipped: Why no adapter was written (the card says it); None when written.
    """

    architecture: str
    prefix: str
    num_labels: int
    pad_token_id: int | None
    resize_to: int | None = None
    gguf_file: str | None = None
    skipped: str | None = None


def seq_cls_plan(info: Any, head: nn.Module) -> SeqClsPlan | None:
    """The plan for a LoRA run whose head transformers has, else None (nothing to say).

    Same condition as the full fine-tune's export (relx/models/_export.py ``export_plan``)
    for the ``score`` head, on ``method="lora"`` (a GGUF base too: transformers dequantizes
    it into the ``*ForSequenceClassification`` class as it does into ``AutoModel``). QLoRA
    (a 4-bit base, CUDA only) is skipped with a reason: that round trip is not checked.
    """
    if info.method not in ("lora", "qlora"):
        return None
    export = head_plan(info, head)
    if export is None or export.style != "score":
        return None
    resize = int(info.vocab_size) if int(info.vocab_size) != int(info.base_vocab_size) else None
    plan = SeqClsPlan(architecture=export.architecture, prefix=export.prefix,
                      num_labels=len(info.labels), pad_token_id=info.pad_token_id, resize_to=resize,
                      gguf_file=getattr(info, "gguf_file", None))
    if info.method == "qlora":
        return replace(plan, skipped="a QLoRA run (4-bit base): the plain-peft round trip"
                       " is not checked")
    return plan


def _skip(plan: SeqClsPlan, reason: str) -> SeqClsPlan:
    logger.info("no SEQ_CLS adapter for plain peft: %s", reason)
    return replace(plan, skipped=reason)


def save_seq_cls_adapter(
    adapter_dir: Path, head: nn.Module, info: Any, folder: Path, plan: SeqClsPlan, final_dir: Path
) -> SeqClsPlan:
    """Write ``folder`` from the saved ``adapter_dir`` (peft's own files) and the head.

    ``final_dir``: where ``folder`` will live once save() moves it in (the base reference is
    relative to it). Returns ``plan``, with ``skipped`` set when the adapter cannot be
    represented for the ``*ForSequenceClassification`` base (nothing is written then).
    """
    if plan.skipped is not None:
        return _skip(plan, plan.skipped)
    config_path, weights_path = adapter_dir / _ADAPTER_CONFIG, adapter_dir / _ADAPTER_WEIGHTS
    if not config_path.is_file() or not weights_path.is_file():
        return _skip(plan, f"{adapter_dir.name}/ has no {_ADAPTER_CONFIG} + {_ADAPTER_WEIGHTS}")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA" or config.get("modules_to_save"):
        return _skip(plan, f"the adapter is {config.get('peft_type')} with modules_to_save="
                     f"{config.get('modules_to_save')}; expected LoRA without modules_to_save")
    state = load_file(str(weights_path))
    odd = [k for k in state if not k.startswith(_PEFT_PREFIX)]
    if odd:
        return _skip(plan, f"adapter keys outside {_PEFT_PREFIX!r} ({odd[:3]}) have no place in"
                     f" {plan.architecture}")
    rows = [k for k in state if "trainable_tokens_delta" in k]
    if bool(config.get("trainable_token_indices")) != bool(rows):
        return _skip(plan, f"trainable_token_indices={config.get('trainable_token_indices')} but"
                     f" {len(rows)} saved token-row tensors: the marker rows would not carry over")
    head_key = f"{_PEFT_PREFIX}score.weight"
    weights = {f"{_PEFT_PREFIX}{plan.prefix}.{k[len(_PEFT_PREFIX):]}": v for k, v in state.items()}
    weights[head_key] = head.classifier.weight.detach().to("cpu", torch.float32).contiguous()
    config.update({
        "task_type": SEQ_CLS_TASK_TYPE,
        "modules_to_save": list(_SEQ_CLS_MODULES),
        "auto_mapping": None,  # AutoPeftModelForSequenceClassification goes by task_type
        "base_model_name_or_path": base_reference(str(info.base_model), final_dir),
    })
    folder.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(folder / _ADAPTER_WEIGHTS), metadata={"format": "pt"})
    atomic_write_json(folder / _ADAPTER_CONFIG, config)
    return plan
