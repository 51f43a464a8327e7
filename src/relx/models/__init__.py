"""The model factory: backbones, heads, LoRA/QLoRA, the type-pair constraint, save/load.

``build_classifier`` turns flat settings into a :class:`RelationClassifier` (an
``AutoModel`` backbone, optionally wrapped by peft, plus our own float32 head that reads
hidden states at the batch's flat ``pool_index``/``entity_index``). ``RelationClassifier.save``
and ``load_classifier`` round-trip it through safetensors and JSON only.

Error codes (E3xx): E301 method/LoRA settings, E302 head, E303 backbone kind, E304 QLoRA
backend missing, E305 backbone/config/tokenizer not loadable (or moved), E306 no pad token
possible, E308 labels, E309 LoRA target modules, E311 dtype, E312 batch keys, E313 packed
batch on an unsupported attention implementation, E320-E322 type-pair mask, E330 not a
complete model directory, E331 relx_model.json unreadable or newer, E332 save without a
tokenizer, E333 base model differs from the one trained on.
"""

from relx.models._build import (
    METHODS,
    build_classifier,
    detect_kind,
    load_classifier,
    remote_code_request,
)
from relx.models._classifier import (
    ADAPTER_DIR,
    ADAPTER_SEQ_CLS_DIR,
    BACKBONE_DIR,
    HEAD_FILE,
    RelationClassifier,
    pool_index_from_attention_mask,
)
from relx.models._compile import COMPILE_MODES, compile_backbone
from relx.models._constraint import TYPE_PAIR_MASK_FILE, TypePairMask
from relx.models._ensemble import FoldEnsemble
from relx.models._heads import DECODER_HEADS, ENCODER_HEADS, HEADS, ClassificationHead
from relx.models._inference import (
    ProbabilityChunk,
    iter_probabilities,
    predict_probabilities,
)
from relx.models._views import iter_view_probabilities, predict_view_probabilities
from relx.models._memory import (
    MemoryEstimate,
    estimate_training_memory,
    plan_activation_checkpointing,
)
from relx.models._packed_attention import PACKED_ATTENTION_CHOICES
from relx.models._info import MODEL_FORMAT_VERSION, MODEL_INFO_FILE, ModelInfo
from relx.models._pooling import (
    first_token_index,
    gather_flat,
    last_token_index,
    positions_from_attention_mask,
)

__all__ = [
    "FoldEnsemble",
    "iter_view_probabilities",
    "predict_view_probabilities",
    "iter_probabilities",
    "MemoryEstimate",
    "estimate_training_memory",
    "plan_activation_checkpointing",
    "PACKED_ATTENTION_CHOICES",
    "predict_probabilities",
    "ProbabilityChunk",
    "build_classifier",
    "compile_backbone",
    "COMPILE_MODES",
    "load_classifier",
    "remote_code_request",
    "detect_kind",
    "RelationClassifier",
    "ClassificationHead",
    "ModelInfo",
    "TypePairMask",
    "pool_index_from_attention_mask",
    "last_token_index",
    "first_token_index",
    "positions_from_attention_mask",
    "gather_flat",
    "METHODS",
    "HEADS",
    "ENCODER_HEADS",
    "DECODER_HEADS",
    "MODEL_INFO_FILE",
    "MODEL_FORMAT_VERSION",
    "TYPE_PAIR_MASK_FILE",
    "BACKBONE_DIR",
    "ADAPTER_DIR",
    "ADAPTER_SEQ_CLS_DIR",
    "HEAD_FILE",
]
