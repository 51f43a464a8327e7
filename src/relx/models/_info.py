"""``relx_model.json``: everything needed to rebuild a saved classifier from its files alone."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

from relx.errors import ModelError, RelxWarning

__all__ = ["ModelInfo", "MODEL_INFO_FILE", "MODEL_FORMAT_VERSION"]

#: Written last by ``RelationClassifier.save``: its presence marks a complete model directory.
MODEL_INFO_FILE = "relx_model.json"
#: Bumped whenever the saved layout or this schema changes incompatibly. 2: ``cls`` heads
#: have a dense+tanh layer and ``last_token`` heads no bias (the shapes of transformers' own
#: heads, relx/models/_heads.py), and full fine-tunes of BERT/RoBERTa/Llama-family models
#: save ``backbone/`` as a ``*ForSequenceClassification`` checkpoint (relx/models/_export.py).
#: An older relx would fail on such a head, so it is told to upgrade instead; this relx reads
#: format 1 unchanged (the head's layout comes from head.safetensors' keys).
MODEL_FORMAT_VERSION = 2


@dataclass
class ModelInfo:
    """The resolved model settings, saved as ``relx_model.json``.

    Attributes:
        base_model: Hub name or absolute local path of the backbone (the GGUF's folder for
            GGUF backbones).
        gguf_file: GGUF file name inside ``base_model``, or None.
        kind: ``encoder`` or ``decoder``.
        model_type: The backbone config's ``model_type`` (``bert``, ``llama``...).
        head: ``cls``, ``entity_start`` or ``last_token``.
        method: ``full``, ``lora`` or ``qlora``.
        labels: Class order of the logits.
        marker_tokens: Marker strings added as special tokens (new ids in ``new_token_ids``).
        new_token_ids: Ids of tokens relx added to the vocabulary (trainable, saved).
        base_vocab_size: Embedding rows of the untouched backbone (checked at load).
        vocab_size: Embedding rows after resize.
        pad_token_id / pad_token: The pad token set in tokenizer and model config.
        dtype: Backbone dtype (``float32``/``bfloat16``/``float16``); the head is float32.
        hidden_size: Backbone hidden size.
        head_dropout: Dropout on the pooled vector.
        pass_position_ids: Whether forward passes position ids computed from the mask.
        lora: LoRA settings (r, alpha, dropout, target_modules) or None.
        trust_remote_code: Passed to transformers on load.
        representation: Free-form representation config stored by the trainer (style,
            prompt, max_length_tokens, padding_side) so inference rebuilds the same inputs.
        choices: Automatic choices with their reasons (``{"dtype": "float32 (auto: ...)"}``).
        versions: Library versions at save time.
    """

    base_model: str
    kind: str
    model_type: str
    head: str
    method: str
    labels: list[str]
    hidden_size: int
    base_vocab_size: int
    vocab_size: int
    pad_token_id: int | None
    pad_token: str | None
    dtype: str
    gguf_file: str | None = None
    marker_tokens: list[str] = field(default_factory=list)
    new_token_ids: list[int] = field(default_factory=list)
    head_dropout: float = 0.0
    pass_position_ids: bool = True
    lora: dict[str, Any] | None = None
    trust_remote_code: bool = False
    representation: dict[str, Any] = field(default_factory=dict)
    choices: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    format_version: int = MODEL_FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any], *, source: str) -> ModelInfo:
        """Parse ``relx_model.json``; ``source`` names the file in errors.

        Raises:
            ModelError: newer format version or missing/unknown keys.
        """
        version = obj.get("format_version", MODEL_FORMAT_VERSION)
        if not isinstance(version, int) or version > MODEL_FORMAT_VERSION:
            raise ModelError(
                f"{source}: format_version {version!r} is newer than this relx reads"
                f" ({MODEL_FORMAT_VERSION}); upgrade relx (pip install -U relx)",
                code="E331",
            )
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(obj) - known)
        if unknown:
            # Same format version, newer relx: extra keys are additive by the versioning rule,
            # so warn and read on rather than refuse a model that loads fine.
            warnings.warn(
                f"{source}: ignoring keys {unknown} this relx does not know (written by a newer"
                " relx?); upgrade relx (pip install -U relx) to use them",
                RelxWarning,
                stacklevel=3,
            )
        try:
            return cls(**{k: v for k, v in obj.items() if k in known})
        except TypeError as error:
            raise ModelError(
                f"{source}: {error}; expected a relx_model.json written by RelationClassifier.save",
                code="E331",
            ) from error
