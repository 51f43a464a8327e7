"""``build_classifier`` and ``load_classifier``: one place maps flat settings to a model.

The mapping from arguments to components is kept here, visible top to bottom (torchtune
model builders): resolve the backbone source, load it, decide kind/head/dtype/pad (each
automatic choice logged with its reason), add marker tokens, wrap with peft, attach the head.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import inspect
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from relx._io import read_json
from relx.errors import ConfigError, ModelError, RelxWarning
from relx.models._classifier import ADAPTER_DIR, BACKBONE_DIR, HEAD_FILE, RelationClassifier
from relx.models._constraint import TYPE_PAIR_MASK_FILE, TypePairMask
from relx.models._export import load_saved_backbone
from relx.models._heads import (
    DECODER_HEADS,
    ENCODER_HEADS,
    HEADS,
    ClassificationHead,
    head_from_state_dict,
)
from relx.models._info import MODEL_INFO_FILE, ModelInfo

__all__ = [
    "build_classifier", "load_classifier", "remote_code_request", "detect_kind", "METHODS",
]

logger = logging.getLogger("relx.models")

METHODS: tuple[str, ...] = ("full", "lora", "qlora")

_DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float16": torch.float16,
    "fp16": torch.float16,
}
_DTYPE_NAMES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}

# Encoders whose embeddings number positions from the input ids themselves (offset by
# padding_idx + 1, RoBERTa style): passing 0-based position ids would shift them, while their
# own rule is already padding-proof.
_POSITIONS_FROM_INPUT_IDS = frozenset(
    {
        "roberta",
        "xlm-roberta",
        "xlm-roberta-xl",
        "camembert",
        "longformer",
        "data2vec-text",
        "roberta-prelayernorm",
        "xmod",
        "ibert",
        "esm",
        "mpnet",
        "bart",
    }
)


def _choose(choices: dict[str, str], key: str, value: Any, reason: str) -> None:
    """Log an automatic choice with its reason and record it for relx_model.json."""
    line = f"{value} ({reason})"
    choices[key] = line
    logger.info("%s=%s", key, line)


def _versions() -> dict[str, str]:
    out = {}
    for name in ("relx", "torch", "transformers", "peft"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - dev installs
            out[name] = "unknown"
    return out


def detect_kind(config: Any) -> tuple[str, str]:
    """Encoder or decoder, from a transformers config, with the reason.

    Why: the head and the pooled position depend on it, and the config is the only source
    that works for hub names, local folders and GGUF files alike (GGUF configs carry no
    ``architectures``).

    Returns:
        ``(kind, reason)``.

    Raises:
        ModelError: encoder-decoder models (T5, BART) or an unknown model type.
    """
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )

    model_type = getattr(config, "model_type", None)
    if getattr(config, "is_encoder_decoder", False):
        raise ModelError(
            f"model_type {model_type!r} is an encoder-decoder; relx builds encoder (BERT-style)"
            " or decoder (Llama-style) classifiers; pick one of those backbones",
            code="E303",
        )
    architectures = list(getattr(config, "architectures", None) or [])
    if getattr(config, "is_decoder", False):
        return "decoder", "config.is_decoder=True"
    if any(a.endswith("ForCausalLM") for a in architectures):
        return "decoder", f"config.architectures={architectures}"
    if model_type in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
        return "encoder", f"model_type={model_type!r} is a masked-LM encoder"
    if model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return "decoder", f"model_type={model_type!r} is a causal LM"
    raise ModelError(
        f"cannot tell whether model_type {model_type!r} (architectures {architectures}) is an"
        " encoder or a decoder; expected a masked-LM or causal-LM model type known to"
        " transformers; use a BERT-style or Llama-style backbone",
        code="E303",
    )


def _resolve_source(
    model_name_or_path: str | os.PathLike[str], gguf_file: str | None
) -> tuple[str, str | None]:
    """Hub name or absolute local path, and the GGUF file name inside it."""
    path = Path(model_name_or_path).expanduser()
    if gguf_file is None and path.suffix == ".gguf" and path.is_file():
        logger.info("gguf_file=%s (model_name_or_path points at a GGUF file)", path.name)
        return str(path.parent.resolve()), path.name
    if gguf_file is not None and Path(gguf_file).is_absolute():
        gguf = Path(gguf_file)
        return str(gguf.parent.resolve()), gguf.name
    if path.exists():
        if gguf_file is not None and not (path / gguf_file).is_file():
            raise ModelError(
                f"gguf_file {gguf_file!r} not found in {path}; expected a .gguf file in that"
                " folder; check the file name (ls the folder)",
                code="E305",
            )
        return str(path.resolve()), gguf_file
    return str(model_name_or_path), gguf_file


def _resolve_dtype(dtype: str, method: str, choices: dict[str, str]) -> torch.dtype:
    if dtype != "auto":
        if dtype not in _DTYPES:
            raise ConfigError(
                f"dtype must be one of {['auto', *_DTYPES]}; got {dtype!r}; use 'auto' to let"
                " relx pick from the method and hardware",
                code="E311",
            )
        if method == "full" and _DTYPES[dtype] != torch.float32:
            warnings.warn(
                f"dtype={dtype!r} with method='full' trains half-precision weights: AdamW updates"
                " smaller than the weights' precision are lost; prefer dtype='auto' (float32"
                " weights) with mixed precision in the trainer",
                RelxWarning,
                stacklevel=3,
            )
        return _DTYPES[dtype]
    cuda_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if method == "full":
        chosen, reason = torch.float32, "auto: full fine-tuning keeps float32 weights"
    elif method == "qlora":
        chosen = torch.bfloat16 if cuda_bf16 else torch.float16
        reason = "auto: QLoRA compute dtype, " + ("CUDA supports bf16" if cuda_bf16 else "no bf16")
    elif cuda_bf16:
        chosen, reason = torch.bfloat16, "auto: LoRA frozen base in bf16, CUDA supports bf16"
    else:
        chosen, reason = torch.float32, "auto: no CUDA bf16 support, float32 base"
    _choose(choices, "dtype", _DTYPE_NAMES[chosen], reason)
    return chosen


def _quantization_config(compute_dtype: torch.dtype) -> Any:
    """4-bit NF4 with double quantization (the QLoRA paper's recipe), or a clear error."""
    missing = []
    if importlib.util.find_spec("bitsandbytes") is None:
        missing.append("the bitsandbytes package (pip install bitsandbytes)")
    if not torch.cuda.is_available():
        missing.append("a CUDA GPU (torch.cuda.is_available() is False)")
    if missing:
        raise ModelError(
            "method='qlora' needs a 4-bit base, which needs " + " and ".join(missing)
            + "; use method='lora' on this machine",
            code="E304",
        )
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute_dtype,
    )


def _load_backbone(
    source: str,
    *,
    gguf_file: str | None,
    dtype: torch.dtype,
    trust_remote_code: bool,
    quantization_config: Any = None,
) -> nn.Module:
    from transformers import AutoModel

    kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": trust_remote_code}
    if gguf_file is not None:
        kwargs["gguf_file"] = gguf_file
    if quantization_config is not None:
        kwargs["quantization_config"] = quantization_config
        kwargs["device_map"] = {"": torch.cuda.current_device()}
    try:
        return AutoModel.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as error:
        raise ModelError(
            f"cannot load backbone {source!r}"
            + (f" (gguf_file={gguf_file!r})" if gguf_file else "")
            + f": {_first_line(error)}; expected"
            " a hub name, a local folder with config.json, or a folder and gguf_file",
            code="E305",
            hint="check model_name_or_path; offline machines need a local folder or GGUF file",
        ) from error


def _load_config(source: str, *, gguf_file: str | None, trust_remote_code: bool) -> Any:
    from transformers import AutoConfig

    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if gguf_file is not None:
        kwargs["gguf_file"] = gguf_file
    try:
        return AutoConfig.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as error:
        raise ModelError(
            f"cannot load the config of backbone {source!r}"
            + (f" (gguf_file={gguf_file!r})" if gguf_file else "")
            + f": {_first_line(error)}; expected a hub name, a local folder with config.json,"
            " or a folder and gguf_file",
            code="E305",
            hint="check model_name_or_path; offline machines need a local folder or GGUF file",
        ) from error


def _load_tokenizer(source: str, *, gguf_file: str | None, trust_remote_code: bool) -> Any:
    from transformers import AutoTokenizer

    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if gguf_file is not None:
        kwargs["gguf_file"] = gguf_file
    try:
        return AutoTokenizer.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as error:
        raise ModelError(
            f"cannot load tokenizer of {source!r}: {_first_line(error)}; expected tokenizer"
            " files next to the model",
            code="E305",
        ) from error


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _drop_pooler(backbone: nn.Module, choices: dict[str, str]) -> nn.Module | None:
    """Remove a BERT-style pooler from the backbone; return it (the cls head starts from it).

    The backbone never runs its pooler: the ``cls`` head owns that dense+tanh layer
    (relx/models/_heads.py), initialised from the pooler's weights. Left in the backbone it
    would be an unused trainable module (DDP's "unused parameters" error) and LoRA
    "all-linear" would adapt it for nothing.
    """
    pooler = getattr(backbone, "pooler", None)
    if pooler is not None:
        backbone.pooler = None
        _choose(choices, "pooler", "removed",
                "relx heads read token states; the cls head owns the pooler's dense layer")
    return pooler


def _set_pad(tokenizer: Any, backbone: nn.Module, choices: dict[str, str]) -> None:
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token
            reason = (
                "tokenizer had no pad token; pad = eos as for SmolLM2/Llama (safe: pooling"
                " reads the attention mask, not the pad id)"
            )
        elif tokenizer.unk_token is not None:
            tokenizer.pad_token = tokenizer.unk_token
            reason = "tokenizer had no pad or eos token; pad = unk"
        else:
            raise ModelError(
                "tokenizer has no pad, eos or unk token; expected one to pad batches with;"
                " add a pad token to the tokenizer files",
                code="E306",
            )
    else:
        reason = "from the tokenizer"
    backbone.config.pad_token_id = tokenizer.pad_token_id
    _choose(choices, "pad_token", f"{tokenizer.pad_token!r} id {tokenizer.pad_token_id}", reason)


def _add_marker_tokens(
    tokenizer: Any, backbone: nn.Module, marker_tokens: Sequence[str], choices: dict[str, str]
) -> list[int]:
    """Add markers as special tokens, resize the embeddings; return the ids of new tokens."""
    vocab = tokenizer.get_vocab()
    new = [t for t in dict.fromkeys(marker_tokens) if t not in vocab]
    present = [t for t in dict.fromkeys(marker_tokens) if t in vocab]
    if present:
        _choose(choices, "markers_in_vocab", present, "already single tokens; not added")
    if not new:
        return []
    # Special tokens are never split or lower-cased by the tokenizer, so "[E1]" stays one id.
    tokenizer.add_tokens(new, special_tokens=True)
    ids = [int(tokenizer.convert_tokens_to_ids(t)) for t in new]
    rows = backbone.get_input_embeddings().weight.shape[0]
    if max(ids) >= rows:
        backbone.resize_token_embeddings(len(tokenizer))
        reason = f"resized from {rows} for {len(new)} marker tokens"
        _choose(choices, "vocab_size", len(tokenizer), reason)
    return ids


def _accepts_position_ids(backbone: nn.Module) -> bool:
    try:
        return "position_ids" in inspect.signature(backbone.forward).parameters
    except (TypeError, ValueError):  # pragma: no cover - exotic forwards
        return False


def _check_labels(labels: Sequence[str]) -> list[str]:
    labels = [str(x) for x in labels]
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ConfigError(
            f"labels must be at least 2 distinct names; got {labels}; use relx.labels.ALL_LABELS",
            code="E308",
        )
    return labels


def _wrap_lora(
    backbone: nn.Module,
    *,
    lora_r: int,
    lora_alpha: int,
    lora_dropout: float,
    target_modules: str | Sequence[str],
    new_token_ids: list[int],
    init_lora_weights: bool,
) -> nn.Module:
    from peft import LoraConfig, get_peft_model

    targets = target_modules if isinstance(target_modules, str) else list(target_modules)
    config = LoraConfig(
        r=lora_r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        target_modules=targets,
        bias="none",
        init_lora_weights=init_lora_weights,
        # The new marker rows (and only those) train and are saved in the adapter file.
        trainable_token_indices=new_token_ids or None,
    )
    try:
        with warnings.catch_warnings():
            # peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing`; the
            # FutureWarning is theirs to fix and says nothing to a relx user.
            warnings.filterwarnings("ignore", "`is_gradient_checkpointing`", FutureWarning)
            return get_peft_model(backbone, config)
    except ValueError as error:
        raise ConfigError(
            f"target_modules={target_modules!r}: {str(error).splitlines()[0]}; expected"
            " 'all-linear' or names of linear layers of this backbone (e.g. q_proj, v_proj"
            " for Llama; query, value for BERT)",
            code="E309",
        ) from error


def build_classifier(
    *,
    model_name_or_path: str | os.PathLike[str],
    labels: Sequence[str],
    head: str = "auto",
    method: str = "full",
    lora_r: int = 16,
    lora_alpha: int = 32,
    lora_dropout: float = 0.05,
    target_modules: str | Sequence[str] = "all-linear",
    gguf_file: str | None = None,
    marker_tokens: Sequence[str] = (),
    dtype: str = "auto",
    head_dropout: float | None = None,
    init_lora_weights: bool = True,
    gradient_checkpointing: bool = False,
    trust_remote_code: bool = False,
) -> tuple[RelationClassifier, Any]:
    """Build an entity-pair classifier and its tokenizer.

    Args:
        model_name_or_path: Hub name, local folder, or folder of a GGUF file (or the .gguf
            file itself).
        labels: Class order of the logits (``relx.labels.ALL_LABELS``: ``NOT`` is class 0).
        head: ``auto`` (encoder -> ``cls``, decoder -> ``last_token``), ``cls``,
            ``entity_start`` (encoders) or ``last_token`` (decoders).
        method: ``full``, ``lora`` or ``qlora`` (4-bit base; needs bitsandbytes and CUDA).
        lora_r: LoRA rank.
        lora_alpha: LoRA scaling numerator (scale = alpha / r).
        lora_dropout: Dropout on the LoRA path.
        target_modules: ``"all-linear"`` or module names to adapt.
        gguf_file: GGUF file name inside ``model_name_or_path`` (dequantized on load).
        marker_tokens: Marker strings to add as special tokens (embeddings resized; new rows
            trainable and saved).
        dtype: ``auto`` or ``float32``/``bfloat16``/``float16`` for the backbone. The head is
            always float32.
        head_dropout: Dropout on the pooled vector; None = the backbone's
            ``hidden_dropout_prob`` for encoders, 0 for decoders.
        init_lora_weights: peft's flag; False gives a non-identity LoRA (tests).
        gradient_checkpointing: Trade compute for memory on long prompts.
        trust_remote_code: Passed to transformers (off by default: never run hub code).

    Returns:
        ``(model, tokenizer)``; the tokenizer has its pad token and markers set, identically
        to the model config.

    Raises:
        ConfigError: an argument is out of range.
        ModelError: the backbone cannot be loaded, its kind is unsupported, or qlora lacks
            its backend.
    """
    labels = _check_labels(labels)
    if method not in METHODS:
        raise ConfigError(f"method must be one of {list(METHODS)}; got {method!r}", code="E301")
    if head != "auto" and head not in HEADS:
        raise ConfigError(f"head must be one of {['auto', *HEADS]}; got {head!r}", code="E302")
    if method != "full" and (lora_r < 1 or lora_alpha <= 0 or not 0 <= lora_dropout < 1):
        raise ConfigError(
            f"LoRA settings out of range: lora_r={lora_r} (>= 1), lora_alpha={lora_alpha} (> 0),"
            f" lora_dropout={lora_dropout} (in [0, 1)); typical: r=16, alpha=32, dropout=0.05",
            code="E301",
        )
    choices: dict[str, str] = {}
    source, gguf_file = _resolve_source(model_name_or_path, gguf_file)
    torch_dtype = _resolve_dtype(dtype, method, choices)
    quantization = _quantization_config(torch_dtype) if method == "qlora" else None

    # Kind and head are checked from the config before any weight is read (an 8B load
    # takes minutes; a wrong head should fail in a second).
    kind, kind_reason = detect_kind(
        _load_config(source, gguf_file=gguf_file, trust_remote_code=trust_remote_code)
    )
    _choose(choices, "kind", kind, kind_reason)
    if head == "auto":
        head = "cls" if kind == "encoder" else "last_token"
        _choose(choices, "head", head, f"auto: default head of the {kind}")
    allowed = ENCODER_HEADS if kind == "encoder" else DECODER_HEADS
    if head not in allowed:
        why = (
            "a causal decoder's early tokens never see the rest of the input"
            if kind == "decoder"
            else "an encoder's [CLS] and marker tokens already see the whole input"
        )
        raise ConfigError(
            f"head={head!r} does not fit this {kind} ({source}); expected one of"
            f" {list(allowed)} ({why}); set head='auto'",
            code="E302",
        )
    backbone = _load_backbone(
        source,
        gguf_file=gguf_file,
        dtype=torch_dtype,
        trust_remote_code=trust_remote_code,
        quantization_config=quantization,
    )
    tokenizer = _load_tokenizer(source, gguf_file=gguf_file, trust_remote_code=trust_remote_code)
    pooler = _drop_pooler(backbone, choices)
    _set_pad(tokenizer, backbone, choices)
    base_vocab_size = int(backbone.get_input_embeddings().weight.shape[0])
    new_token_ids = _add_marker_tokens(tokenizer, backbone, marker_tokens, choices)
    pass_position_ids = _accepts_position_ids(backbone) and (
        kind == "decoder" or backbone.config.model_type not in _POSITIONS_FROM_INPUT_IDS
    )
    if gradient_checkpointing:
        # Non-reentrant checkpointing works with frozen inputs (LoRA) and DDP.
        checkpoint_kwargs = {"use_reentrant": False}
        if hasattr(backbone, "activation_checkpointing_enable"):  # transformers >= 5.2x name
            backbone.activation_checkpointing_enable(
                activation_checkpointing_kwargs=checkpoint_kwargs
            )
        else:
            backbone.gradient_checkpointing_enable(gradient_checkpointing_kwargs=checkpoint_kwargs)
    if method == "qlora":
        from peft import prepare_model_for_kbit_training

        backbone = prepare_model_for_kbit_training(
            backbone, use_gradient_checkpointing=gradient_checkpointing
        )
    if method != "full":
        if gradient_checkpointing:
            backbone.enable_input_require_grads()
        backbone = _wrap_lora(
            backbone,
            lora_r=lora_r,
            lora_alpha=lora_alpha,
            lora_dropout=lora_dropout,
            target_modules=target_modules,
            new_token_ids=new_token_ids,
            init_lora_weights=init_lora_weights,
        )
    base = backbone if method == "full" else backbone.get_base_model()
    config = base.config
    hidden_size = int(config.hidden_size)
    if head_dropout is None:
        if kind == "encoder":
            head_dropout = float(getattr(config, "hidden_dropout_prob", 0.0) or 0.0)
            _choose(choices, "head_dropout", head_dropout, "auto: backbone hidden_dropout_prob")
        else:
            head_dropout = 0.0
            _choose(choices, "head_dropout", 0.0, "auto: decoders train without dropout")
    classification_head = ClassificationHead(
        pooling=head, hidden_size=hidden_size, num_labels=len(labels), dropout=head_dropout
    )
    if classification_head.dense is not None:
        std = float(getattr(config, "initializer_range", 0.02) or 0.02)
        source_of_dense = classification_head.init_dense(getattr(pooler, "dense", None), std=std)
        _choose(choices, "head_dense", "dense+tanh", f"initialised from {source_of_dense}")
    del pooler
    if quantization is not None:
        classification_head.to(torch.device("cuda", torch.cuda.current_device()))
    lora_settings = {
        "r": lora_r,
        "alpha": lora_alpha,
        "dropout": lora_dropout,
        "target_modules": (
            target_modules if isinstance(target_modules, str) else list(target_modules)
        ),
    }
    info = ModelInfo(
        base_model=source,
        gguf_file=gguf_file,
        kind=kind,
        model_type=str(config.model_type),
        head=head,
        method=method,
        labels=labels,
        hidden_size=hidden_size,
        base_vocab_size=base_vocab_size,
        vocab_size=int(base.get_input_embeddings().weight.shape[0]),
        pad_token_id=tokenizer.pad_token_id,
        pad_token=tokenizer.pad_token,
        dtype=_DTYPE_NAMES[torch_dtype],
        marker_tokens=list(dict.fromkeys(marker_tokens)),
        new_token_ids=new_token_ids,
        head_dropout=float(head_dropout),
        pass_position_ids=pass_position_ids,
        lora=None if method == "full" else lora_settings,
        trust_remote_code=trust_remote_code,
        choices=choices,
        versions=_versions(),
    )
    model = RelationClassifier(
        backbone=backbone, head=classification_head, info=info, tokenizer=tokenizer
    )
    trainable, total = model.parameter_counts()
    logger.info(
        "built %s %s classifier: %d of %d parameters trainable", method, kind, trainable, total
    )
    return model, tokenizer


def load_classifier(
    directory: str | os.PathLike[str],
    *,
    device: str | torch.device | None = None,
    is_trainable: bool = False,
    base_model: str | os.PathLike[str] | None = None,
    trust_remote_code: bool = False,
) -> tuple[RelationClassifier, Any, ModelInfo]:
    """Rebuild a classifier saved by :meth:`RelationClassifier.save` from its files alone.

    A model directory is data, never code: ``trust_remote_code`` comes only from the caller
    (the user's ``--trust-remote-code`` or their own training config), never from the
    directory's ``relx_model.json``. A directory that asks for it (that flag, or an
    ``auto_map`` in a config) gets a warning naming the files and how to allow it, and is
    loaded without running its Python; a model that cannot load without it fails (E334).

    Full models load their saved backbone; LoRA models load the base from the recorded
    reference (hub name, folder or GGUF), resize to the saved vocabulary, then apply the
    adapter (which restores the marker-token rows) and the head.

    Args:
        directory: The saved model directory (holds ``relx_model.json``).
        device: Where to put the model (default: stays on CPU; QLoRA is always on CUDA).
        is_trainable: Keep LoRA adapters trainable (resuming training); default eval mode.
        base_model: LoRA/QLoRA only: where the base lives now, when it moved since training
            (another machine, another cache). The recorded GGUF file name is kept unless
            this points at a .gguf file. Checked against the recorded vocabulary size.
        trust_remote_code: Let transformers import Python shipped with the model (its
            ``auto_map`` classes). Only pass ``True`` for a model you trust.

    Returns:
        ``(model, tokenizer, info)``; the model is in eval mode unless ``is_trainable``.

    Raises:
        ModelError: not a complete relx model directory, newer format, base mismatch.
    """
    root = Path(directory)
    info_path = root / MODEL_INFO_FILE
    if not info_path.is_file():
        raise ModelError(
            f"{root}: no {MODEL_INFO_FILE}; expected a model directory written by"
            " RelationClassifier.save (an interrupted save leaves none); point at"
            " RUN/checkpoints/best",
            code="E330",
        )
    info = ModelInfo.from_json(read_json(info_path), source=str(info_path))
    asks = remote_code_request(root)
    if asks and not trust_remote_code:
        warnings.warn(
            f"{root}: the model asks to run its own Python code ({'; '.join(asks)}); it was "
            "NOT run. Pass --trust-remote-code (load_classifier(..., trust_remote_code=True)) "
            "only if you trust where this model came from",
            RelxWarning,
            stacklevel=2,
        )
    try:
        return _load_saved(root, info, info_path, device=device, is_trainable=is_trainable,
                           base_model=base_model, trust_remote_code=trust_remote_code)
    except ValueError as error:
        if asks and not trust_remote_code and "trust_remote_code" in str(error):
            raise ModelError(
                f"{root}: the model needs its own Python code to load ({'; '.join(asks)}); "
                "expected a model transformers can load without it; relx runs a model's code "
                "only when asked",
                code="E334",
                hint="if you trust this model: add --trust-remote-code to the command",
            ) from None
        raise


def remote_code_request(directory: str | os.PathLike[str]) -> list[str]:
    """Why a saved model directory asks to run its own code (empty when it does not).

    Looks at ``relx_model.json``'s ``trust_remote_code`` and at an ``auto_map`` in any
    ``config.json`` / ``tokenizer_config.json`` of the directory and its ``backbone/`` and
    ``adapter/`` folders. Reads JSON only; imports nothing.
    """
    root = Path(directory)
    reasons: list[str] = []
    try:
        if read_json(root / MODEL_INFO_FILE).get("trust_remote_code"):
            reasons.append(f"{MODEL_INFO_FILE} sets trust_remote_code")
    except (OSError, ValueError, AttributeError):
        pass
    for folder in (root, root / BACKBONE_DIR, root / ADAPTER_DIR):
        for name in ("config.json", "tokenizer_config.json"):
            path = folder / name
            try:
                config = read_json(path) if path.is_file() else {}
            except (OSError, ValueError):
                continue
            if isinstance(config, dict) and config.get("auto_map"):
                reasons.append(f"{path.relative_to(root)} has an auto_map")
    return reasons


#: Weight files that are pickles: loading one can run arbitrary code, so relx never does.
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


def _refuse_pickled_weights(folder: Path) -> None:
    """A saved backbone holds safetensors only (RelationClassifier.save writes them).

    Raises:
        ModelError: [E335] the folder's weights are pickles (``pytorch_model.bin``...).
    """
    if not folder.is_dir() or any(folder.glob("*.safetensors")):
        return
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in _PICKLE_SUFFIXES)
    if pickles:
        raise ModelError(
            f"{folder}: backbone weights are pickle files ({', '.join(pickles)}); expected "
            "model.safetensors (relx never unpickles: a pickle can run code)",
            code="E335",
            hint="convert them where you trust the file: transformers' save_pretrained("
            "safe_serialization=True)",
        )


def _load_saved(
    root: Path,
    info: ModelInfo,
    info_path: Path,
    *,
    device: str | torch.device | None,
    is_trainable: bool,
    base_model: str | os.PathLike[str] | None,
    trust_remote_code: bool,
) -> tuple[RelationClassifier, Any, ModelInfo]:
    from transformers import AutoTokenizer

    torch_dtype = _DTYPES[info.dtype]
    if info.method == "full":
        _refuse_pickled_weights(root / BACKBONE_DIR)
    tokenizer = AutoTokenizer.from_pretrained(root, trust_remote_code=trust_remote_code)
    if info.method == "full" and base_model is not None:
        warnings.warn(
            f"load_classifier(base_model={str(base_model)!r}) has no effect: {root} holds a"
            " fully fine-tuned backbone of its own; drop the argument",
            RelxWarning,
            stacklevel=2,
        )
    if info.method == "full":
        backbone = load_saved_backbone(
            root / BACKBONE_DIR, dtype=torch_dtype, trust_remote_code=trust_remote_code
        )
        if getattr(backbone, "pooler", None) is not None:
            backbone.pooler = None
    else:
        from peft import PeftModel

        quantization = _quantization_config(torch_dtype) if info.method == "qlora" else None
        source, gguf_file = info.base_model, info.gguf_file
        if base_model is not None:
            moved = Path(base_model).expanduser()
            if moved.suffix == ".gguf":
                source, gguf_file = str(moved.parent.resolve()), moved.name
            else:
                source = str(moved.resolve()) if moved.exists() else str(base_model)
            logger.info(
                "base_model=%s (given to load_classifier; recorded %s)", source, info.base_model
            )
        if Path(source).is_absolute() and not Path(source).exists():
            raise ModelError(
                f"{info_path}: base model folder {source} no longer exists; expected the base"
                " the adapter was trained on; pass load_classifier(..., base_model=NEW_PATH)",
                code="E305",
            )
        backbone = _load_backbone(
            source,
            gguf_file=gguf_file,
            dtype=torch_dtype,
            trust_remote_code=trust_remote_code,
            quantization_config=quantization,
        )
        rows = int(backbone.get_input_embeddings().weight.shape[0])
        if rows != info.base_vocab_size:
            raise ModelError(
                f"{info_path}: base {info.base_model!r} has {rows} embedding rows but the model"
                f" was trained on one with {info.base_vocab_size}; expected the same base model;"
                " restore the original base files",
                code="E333",
            )
        if getattr(backbone, "pooler", None) is not None:
            backbone.pooler = None
        backbone.config.pad_token_id = info.pad_token_id
        if quantization is not None:
            from peft import prepare_model_for_kbit_training

            # As at build time: it upcasts the non-quantized weights to float32, which the
            # trained adapter saw; skipping it would change the logits.
            backbone = prepare_model_for_kbit_training(backbone, use_gradient_checkpointing=False)
        if info.vocab_size != rows:
            backbone.resize_token_embeddings(info.vocab_size, mean_resizing=False)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "`is_gradient_checkpointing`", FutureWarning)
            backbone = PeftModel.from_pretrained(
                backbone, root / ADAPTER_DIR, is_trainable=is_trainable
            )
    backbone.config.pad_token_id = info.pad_token_id
    head = head_from_state_dict(
        load_file(str(root / HEAD_FILE)),
        pooling=info.head,
        hidden_size=info.hidden_size,
        num_labels=len(info.labels),
        dropout=info.head_dropout,
    )
    mask_path = root / TYPE_PAIR_MASK_FILE
    mask = TypePairMask.load(mask_path) if mask_path.is_file() else None
    model = RelationClassifier(
        backbone=backbone, head=head, info=info, tokenizer=tokenizer, type_pair_mask=mask
    )
    if info.method == "qlora":
        head.to(torch.device("cuda", torch.cuda.current_device()))
    elif device is not None:
        model.to(device)
    if not is_trainable:
        model.requires_grad_(False)
    model.train(is_trainable)
    return model, tokenizer, info
