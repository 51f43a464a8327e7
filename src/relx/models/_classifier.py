"""``RelationClassifier``: a backbone (plain, or wrapped by peft), our head, and its settings."""

from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn

from relx._io import atomic_write_json, follow_umask
from relx.errors import ConfigError, ModelError
from relx.models._constraint import TYPE_PAIR_MASK_FILE, TypePairMask
from relx.models._export import export_plan, save_sequence_classifier
from relx.models._export_peft import save_seq_cls_adapter, seq_cls_plan
from relx.models._heads import ClassificationHead
from relx.models._info import MODEL_INFO_FILE, ModelInfo
from relx.models._packed_attention import (
    PACKED_ATTENTION_CHOICES,
    VARLEN_IMPLEMENTATION,
    block_mask,
    packed_attention_from_env,
    register_varlen_attention,
    varlen_available,
    varlen_kwargs,
)
from relx.models._pooling import (
    first_token_index,
    last_token_index,
    positions_from_attention_mask,
)

__all__ = [
    "RelationClassifier",
    "pool_index_from_attention_mask",
    "BACKBONE_DIR",
    "ADAPTER_DIR",
    "ADAPTER_SEQ_CLS_DIR",
    "HEAD_FILE",
]

logger = logging.getLogger("relx.models")

#: Full fine-tuning: the whole backbone (config.json + model.safetensors).
BACKBONE_DIR = "backbone"
#: LoRA/QLoRA: peft's adapter (adapter_config.json + adapter_model.safetensors, including
#: the trainable rows of new marker tokens).
ADAPTER_DIR = "adapter"
#: LoRA of a Llama-family decoder with the ``last_token`` head: the same LoRA weights plus
#: the head as a peft SEQ_CLS adapter for ``*ForSequenceClassification`` (plain peft gets the
#: whole classifier; relx/models/_export_peft.py). relx itself loads ``adapter/`` only.
ADAPTER_SEQ_CLS_DIR = "adapter_seq_cls"
#: The classification head's weights (float32).
HEAD_FILE = "head.safetensors"

#: Attention implementations that keep packed examples apart. Decoders: transformers derives
#: the packed mask from position resets for all of these (flash: varlen from position ids);
#: encoders: only those that take relx's 4-D block mask, or relx's varlen.
_DECODER_PACKED_IMPLEMENTATIONS = frozenset({
    "sdpa", "eager", "flex_attention", "flash_attention_2", "flash_attention_3",
    "flash_attention_4", VARLEN_IMPLEMENTATION,
})
_ENCODER_PACKED_IMPLEMENTATIONS = frozenset({"sdpa", "eager", VARLEN_IMPLEMENTATION})


def pool_index_from_attention_mask(attention_mask: torch.Tensor, *, kind: str) -> torch.Tensor:
    """The head's flat pooled index for a padded batch (one example per row).

    For external callers that build their own batches: decoders read the last attended token,
    encoders the first (their [CLS]), whatever the padding side and whatever the pad id.

    Args:
        attention_mask: ``[N, T]``, 1 on real tokens.
        kind: ``encoder`` or ``decoder``.
    """
    if kind == "decoder":
        return last_token_index(attention_mask)
    if kind == "encoder":
        return first_token_index(attention_mask)
    raise ValueError(f"kind must be 'encoder' or 'decoder'; got {kind!r}")


def _save_dequantized(backbone: nn.Module, directory: Path) -> None:
    """Save a GGUF-loaded backbone as a plain transformers folder (config + safetensors).

    Why hand-rolled: transformers loads GGUF weights dequantized but keeps a GGUF
    "quantizer" on the model, and ``save_pretrained`` refuses such a model. Its weights are
    ordinary tensors, so config.json + model.safetensors is exactly what ``from_pretrained``
    reads back.
    """
    from safetensors.torch import save_model

    directory.mkdir(parents=True, exist_ok=True)
    config = copy.deepcopy(backbone.config)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.architectures = [type(backbone).__name__]
    config.save_pretrained(directory)
    save_model(backbone, str(directory / "model.safetensors"), metadata={"format": "pt"})


class RelationClassifier(nn.Module):
    """An entity-pair classifier: ``forward(batch) -> logits [N, num_labels]``.

    Built by :func:`relx.models.build_classifier` or :func:`relx.models.load_classifier`,
    not by hand. The batch follows the contract in docs/architecture.md: hidden states are
    flattened to ``[R*T, H]`` and read at ``pool_index`` (and ``entity_index``), so padded
    and packed batches go through the same code.

    Attributes:
        backbone: ``transformers`` base model (``AutoModel``), or a ``peft.PeftModel`` over it.
        head: The float32 :class:`ClassificationHead`.
        info: The resolved settings saved as ``relx_model.json``.
        tokenizer: The tokenizer the model was built with (pad and marker tokens set).
        type_pair_mask: Optional :class:`TypePairMask`, saved and loaded with the model.
    """

    def __init__(
        self,
        *,
        backbone: nn.Module,
        head: ClassificationHead,
        info: ModelInfo,
        tokenizer: Any = None,
        type_pair_mask: TypePairMask | None = None,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.info = info
        self.tokenizer = tokenizer
        self.type_pair_mask = type_pair_mask

    @property
    def labels(self) -> tuple[str, ...]:
        """Class order of the logits."""
        return tuple(self.info.labels)

    @property
    def num_labels(self) -> int:
        """Number of classes."""
        return len(self.info.labels)

    @property
    def kind(self) -> str:
        """``encoder`` or ``decoder``."""
        return self.info.kind

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Logits ``[N, num_labels]`` (float32) for a batch dict.

        ``labels`` in the batch is ignored (the loss is the trainer's). Without
        ``pool_index`` the batch must be padded (one example per row) and the index is
        computed from the attention mask. Position ids, when the batch has none, are computed
        from the attention mask so left-padded rows are read at the same positions as alone.

        Raises:
            ModelError: ``input_ids`` missing, or the head needs ``entity_index`` and the
                batch has none.
        """
        if "input_ids" not in batch:
            raise ModelError(
                f"batch has keys {sorted(batch)}; expected at least input_ids (see the batch"
                " contract in docs/architecture.md); build batches with relx.represent",
                code="E312",
            )
        # Checked before the forward pass: a missing index should not cost a backbone run.
        pool_index = batch.get("pool_index")
        if pool_index is None and "position_ids" in batch:
            raise ModelError(
                "packed batch (it has position_ids) without pool_index; expected the flat index"
                " of each example's pooled token; build packed batches with"
                " relx.represent.collate_packed",
                code="E312",
            )
        entity_index = batch.get("entity_index")
        if self.info.head == "entity_start" and entity_index is None:
            raise ModelError(
                "batch has no entity_index; the entity_start head needs the flat indices of the"
                " first marker token of A and B [N, 2]; encode with a marker style"
                " (relx.represent) or use head='cls'",
                code="E312",
            )
        input_ids = batch["input_ids"]
        attention_mask = batch.get("attention_mask")
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        kwargs: dict[str, Any] = {"input_ids": input_ids, "attention_mask": attention_mask}
        position_ids = batch.get("position_ids")
        if position_ids is not None:
            # Caller-given positions mean a packed batch (several examples per row, positions
            # restarting at 0): each example must attend only to itself.
            packed_kwargs = self._packed_inputs(position_ids, attention_mask, input_ids)
            position_ids = packed_kwargs.pop("position_ids")
            kwargs.update(packed_kwargs)
        elif self.info.pass_position_ids:
            position_ids = positions_from_attention_mask(attention_mask)
        if position_ids is not None:
            kwargs["position_ids"] = position_ids
        if self.info.kind == "decoder":
            kwargs["use_cache"] = False
        outputs = self.backbone(**kwargs)
        hidden = outputs.last_hidden_state if hasattr(outputs, "last_hidden_state") else outputs[0]
        if pool_index is None:
            pool_index = pool_index_from_attention_mask(attention_mask, kind=self.info.kind)
        return self.head(hidden, pool_index, entity_index)

    @property
    def pool(self) -> str:
        """Which token of an example the head reads: ``last`` (decoders) or ``first`` (encoders).

        What a caller passes as ``pool`` to ``relx.represent.collate_packed`` (or a batching
        mode's ``collate``): in a packed row the mask cannot tell where an example ends.
        """
        return "last" if self.info.kind == "decoder" else "first"

    @property
    def packed_attention(self) -> str:
        """The requested packed attention path (``auto``, ``sdpa_mask``, ``flex``, ``varlen``).

        Set by :meth:`set_packed_attention`; unset, ``RELX_PACKED_ATTENTION`` or ``auto``.
        See ``relx/models/_packed_attention.py`` for what each path does.
        """
        requested = getattr(self, "_packed_attention_requested", None)
        return requested if requested is not None else packed_attention_from_env()

    @property
    def packed_attention_used(self) -> str | None:
        """The path packed batches actually took (``None`` before the first packed forward)."""
        return getattr(self, "_packed_attention_resolved", None)

    def set_packed_attention(self, name: str) -> None:
        """Choose how packed examples are kept apart (decided again at the next packed forward).

        Raises:
            ConfigError: [E207] an unknown name.
            ModelError: [E313] ``flex`` on an encoder.
        """
        if name not in PACKED_ATTENTION_CHOICES:
            raise ConfigError(
                f"packed_attention: expected one of {list(PACKED_ATTENTION_CHOICES)}; got"
                f" {name!r}",
                code="E207",
            )
        self._packed_attention_requested = name
        self._packed_attention_resolved = None
        self.check_packed()

    def _base_model(self) -> Any:
        backbone = self.backbone
        if hasattr(backbone, "get_base_model"):
            backbone = backbone.get_base_model()
        return backbone

    def check_packed(self) -> None:
        """Raise ``ModelError`` [E313] at setup unless packed examples can be kept apart.

        Called by the packed batching mode's ``check_model`` (and before every packed
        forward), so a backbone whose attention cannot take packed rows fails before
        training starts, not in the middle of it.
        """
        implementation = getattr(self._base_config(), "_attn_implementation", None) or "eager"
        requested = self.packed_attention
        if self.info.kind == "encoder":
            if requested == "flex":
                raise ModelError(
                    "packed_attention 'flex' is for decoders (transformers builds no packed"
                    " BlockMask for bidirectional attention); use 'auto', 'varlen' or"
                    " 'sdpa_mask', or train.batching: padded",
                    code="E313",
                )
            supported = _ENCODER_PACKED_IMPLEMENTATIONS
        else:
            supported = _DECODER_PACKED_IMPLEMENTATIONS
        if implementation not in supported:
            raise ModelError(
                f"packed batches for {self.info.kind}s need attn_implementation in"
                f" {sorted(supported)}; the backbone uses {implementation!r}; load it with"
                f" attn_implementation='sdpa' or set train.batching: padded",
                code="E313",
            )

    def _resolve_packed_attention(self, device: torch.device) -> str:
        """Decide the packed path once (per request), switching the backbone if it needs to."""
        resolved = self.packed_attention_used
        if resolved is not None:
            return resolved
        requested = self.packed_attention
        base = self._base_model()
        functional = bool(getattr(base, "_can_set_attn_implementation", lambda: False)())
        if requested == "auto":
            resolved = (
                "varlen" if device.type == "cuda" and varlen_available() and functional
                else "sdpa_mask"
            )
        elif requested == "varlen" and not functional:
            logger.warning(
                "packed_attention 'varlen': %s does not follow transformers' attention"
                " interface; using 'sdpa_mask'", type(base).__name__,
            )
            resolved = "sdpa_mask"
        else:
            resolved = requested
        if resolved == "varlen":
            base.set_attn_implementation(register_varlen_attention())
        elif resolved == "flex":
            base.set_attn_implementation("flex_attention")
        implementation = getattr(base.config, "_attn_implementation", None)
        logger.info(
            "packed attention: %s (requested %s; attn_implementation %s)",
            resolved, requested, implementation,
        )
        self._packed_attention_resolved = resolved
        return resolved

    def _base_config(self) -> Any:
        return self._base_model().config

    def _packed_inputs(
        self,
        position_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        input_ids: torch.Tensor,
    ) -> dict[str, Any]:
        """Backbone kwargs (``position_ids``, ``attention_mask``, ...) that keep examples apart.

        ``sdpa_mask``/``flex`` decoders: no 2-D mask, so transformers derives a block-causal
        mask (or BlockMask) from the position resets. ``sdpa_mask`` encoders: an explicit 4-D
        block-diagonal mask (transformers passes 4-D masks through untouched). ``varlen``:
        ``cu_seq_lens_*`` for ``relx_varlen`` and a tiny 4-D placeholder mask, so transformers
        builds no mask at all. Models that number positions from the input ids (RoBERTa) get
        the same ``padding_idx + 1`` offset they would compute themselves.
        """
        self.check_packed()
        path = self._resolve_packed_attention(input_ids.device)
        config = self._base_config()
        mask = attention_mask.bool()
        example_positions = position_ids
        if not self.info.pass_position_ids:
            pad = int(config.pad_token_id)
            pads = torch.full_like(position_ids, pad)
            position_ids = torch.where(mask, position_ids + pad + 1, pads)
        out: dict[str, Any] = {"position_ids": position_ids}
        if path == "varlen":
            out.update(varlen_kwargs(example_positions))
            out["attention_mask"] = torch.ones(
                (position_ids.shape[0], 1, 1, 1), dtype=torch.bool, device=mask.device
            )
            return out
        if self.info.kind == "decoder":
            out["attention_mask"] = None
            return out
        allowed = block_mask(example_positions, causal=False)  # [R, 1, T, T]
        implementation = getattr(config, "_attn_implementation", None) or "eager"
        if implementation == "eager":
            dtype = next(
                (p.dtype for p in self.backbone.parameters() if p.is_floating_point()),
                torch.float32,
            )
            additive = torch.zeros(allowed.shape, dtype=dtype, device=mask.device)
            out["attention_mask"] = additive.masked_fill(~allowed, torch.finfo(dtype).min)
        else:
            out["attention_mask"] = allowed
        return out

    def trainable_parameter_names(self) -> list[str]:
        """Names of the parameters the optimizer will update."""
        return [name for name, p in self.named_parameters() if p.requires_grad]

    def parameter_counts(self) -> tuple[int, int]:
        """``(trainable, total)`` parameter counts (for the log line and doctor)."""
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        total = sum(p.numel() for p in self.parameters())
        return trainable, total

    def save(
        self,
        directory: str | os.PathLike[str],
        *,
        tokenizer: Any = None,
        representation: Mapping[str, Any] | None = None,
        card_metrics: Mapping[str, Any] | None = None,
        card_data: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write the model to ``directory`` (safetensors and JSON only).

        Layout: tokenizer files; ``backbone/`` (full) or ``adapter/`` (LoRA: peft adapter
        with the new marker-token rows); ``head.safetensors``; ``type_pair_mask.json`` when
        set; ``relx_model.json`` last. Everything is written to a temporary sibling first and
        moved in, and ``relx_model.json`` is removed first and written last, so a crash never
        leaves a directory that loads. Other files in ``directory`` (e.g. the trainer's
        ``checkpoint.json``) are left alone.

        Args:
            directory: Target directory (created).
            tokenizer: Defaults to the tokenizer the model was built with.
            representation: Representation settings (style, prompt, max_length_tokens...)
                to record in ``info.representation``, so inference rebuilds the same inputs
                from the model directory alone.
            card_metrics: Validation metrics for the model card (README.md).
            card_data: What the model was trained on, for the model card.

        The backbone (or adapter) folder also loads with plain transformers/peft: it holds
        the tokenizer, ``id2label``/``label2id``, and an adapter config with ``task_type`` and
        a relative base reference (relx.models._card). A full fine-tune whose head transformers
        also has (``cls`` on BERT/RoBERTa, ``last_token`` on Llama-family decoders) saves
        ``backbone/`` as that ``*ForSequenceClassification`` checkpoint, so it loads whole
        with ``AutoModelForSequenceClassification`` and as a backbone with ``AutoModel``
        (relx.models._export); ``head.safetensors`` is written in every case. A LoRA run of
        such a decoder (``last_token``) also gets ``adapter_seq_cls/``: the same adapter plus
        the head as ``score``, for plain peft over that class (relx.models._export_peft).

        Returns:
            The directory path.
        """
        tokenizer = tokenizer if tokenizer is not None else self.tokenizer
        if tokenizer is None:
            raise ModelError(
                "RelationClassifier.save: no tokenizer; expected the one from build_classifier;"
                " pass save(dir, tokenizer=tokenizer)",
                code="E332",
            )
        if representation is not None:
            self.info.representation = dict(representation)
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        (target / MODEL_INFO_FILE).unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(dir=target, prefix=".relx-save-") as tmp_name:
            tmp = Path(tmp_name)
            tokenizer.save_pretrained(tmp)
            plan = export_plan(self.info, self.head)
            if plan is not None:
                # The whole classifier in transformers' own layout (relx/models/_export.py).
                save_sequence_classifier(
                    self.backbone, self.head, self.info, tmp / BACKBONE_DIR, plan
                )
            elif self.info.method == "full" and self.info.gguf_file is not None:
                _save_dequantized(self.backbone, tmp / BACKBONE_DIR)
            elif self.info.method == "full":
                self.backbone.save_pretrained(tmp / BACKBONE_DIR)
            else:
                # The new marker rows are peft trainable tokens and go into the adapter file;
                # never the whole embedding matrix (save_embedding_layers would also ask the
                # hub for the base config).
                self.backbone.save_pretrained(tmp / ADAPTER_DIR, save_embedding_layers=False)
            seq_cls = seq_cls_plan(self.info, self.head)
            if seq_cls is not None:
                # The whole classifier for plain peft, beside relx's own adapter.
                seq_cls = save_seq_cls_adapter(
                    tmp / ADAPTER_DIR, self.head, self.info, tmp / ADAPTER_SEQ_CLS_DIR, seq_cls,
                    target / ADAPTER_SEQ_CLS_DIR,
                )
            from relx.models._card import write_interop_files

            write_interop_files(
                tmp, self.info, tokenizer, backbone_dir=BACKBONE_DIR, adapter_dir=ADAPTER_DIR,
                metrics=card_metrics, data=card_data, final_target=target, export=plan,
                seq_cls=seq_cls, seq_cls_dir=ADAPTER_SEQ_CLS_DIR,
            )
            head_state = {
                k: v.detach().to("cpu").contiguous() for k, v in self.head.state_dict().items()
            }
            save_file(head_state, str(tmp / HEAD_FILE), metadata={"format": "pt"})
            if self.type_pair_mask is not None:
                self.type_pair_mask.save(tmp / TYPE_PAIR_MASK_FILE)
            # safetensors (ours, peft's and transformers' saves) creates 0600 files: colleagues
            # on a shared cluster could not read the model. Every file follows the umask.
            follow_umask(tmp)
            for stale in (BACKBONE_DIR, ADAPTER_DIR, ADAPTER_SEQ_CLS_DIR, TYPE_PAIR_MASK_FILE):
                path = target / stale
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
            for entry in sorted(tmp.iterdir()):
                destination = target / entry.name
                if destination.is_dir():
                    shutil.rmtree(destination)
                os.replace(entry, destination)
        atomic_write_json(target / MODEL_INFO_FILE, self.info.to_json())
        return target
