"""The one typed training config: schema, YAML loading, dotted overrides, validation.

Every knob of a run lives here, with its default and a description, in one place
(spaCy's "no hidden defaults", torchtune's typed configs). A config is loaded from YAML,
patched with ``--set section.key=value`` overrides (values parsed as YAML scalars, so
``2e-4`` is a float and ``[q_proj, v_proj]`` a list), validated, and then *resolved*:
every automatic choice (the method-aware learning rate, mixed precision, the effective
batch size) is filled in, logged with its reason and recorded in ``notes``, so the
``config.resolved.yaml`` saved with a run says exactly what ran.

Validation collects **all** problems before anything is loaded and raises one
:class:`~relx.errors.ConfigError` whose message holds one line per problem, each naming the
key (and the YAML file:line when known), what was expected, what was received and the fix.

Relative data paths are made absolute when the config is loaded (YAML paths against the
YAML file's folder, ``--set`` and dict paths against the working directory, which the
resolved config records), so ``config.resolved.yaml`` means the same files wherever a
``--resume`` is started from.

Error codes (E4xx, config/training):
    E401 invalid value(s) · E402 unreadable YAML · E403 malformed ``--set`` override ·
    E404 inconsistent data section · E405 config file not found (E415/E416, unknown task or
    labels the task cannot use, come from relx.tasks and are reported as E404 lines).
"""

from __future__ import annotations

import copy
import logging
import math
import os
from pathlib import Path
from collections.abc import Sequence
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from relx.data import val_split_index
from relx.errors import ConfigError, RelxError, warn_and_log

__all__ = [
    "DataConfig",
    "RepresentConfig",
    "LoraSection",
    "ModelConfig",
    "TrainSection",
    "CVConfig",
    "TrackingConfig",
    "RelxConfig",
    "load_config",
    "check_ready",
    "config_from_dict",
    "apply_overrides",
    "resolve_config",
    "config_to_yaml",
    "default_lr",
    "effective_batch_size",
    "check_truncation",
    "truncation_warning",
    "val_split_index",
    "DATA_PATH_KEYS",
    "LORA_DEFAULT_LR",
    "FULL_DEFAULT_LR",
    "LORA_MIN_LR",
    "MAX_EFFECTIVE_BATCH",
    "MAX_TRUNCATED_SHARE",
]

logger = logging.getLogger("relx.train")
# Library code is silent unless the application configures logging (the CLI does).
logger.addHandler(logging.NullHandler())

#: LoRA/QLoRA adapters are small low-rank updates and need ~10x the full fine-tuning lr;
#: 2e-4 is the QLoRA paper's (Dettmers et al. 2023) and PEFT examples' default. The users'
#: LoRA run at 3e-5 reached F1 0.456 vs ~0.65 at 2e-4 (docs/origin.md).
LORA_DEFAULT_LR = 2e-4
#: Full fine-tuning of BERT-style encoders: 2e-5..5e-5 (Devlin et al. 2019, Appendix A.3).
FULL_DEFAULT_LR = 3e-5
#: Below this a LoRA run barely moves its adapters (docs/origin.md, root cause 1).
LORA_MIN_LR = 1e-4
#: Above this, with a fine-tuning lr, updates per epoch get few and small
#: (docs/origin.md, cause 4).
MAX_EFFECTIVE_BATCH = 64
#: More than this share of inputs cut at max_length_tokens means the model often cannot see
#: the pair (the users' 256-token limit cut the prompt tail of a large share; docs/formats.md §3).
MAX_TRUNCATED_SHARE = 0.05

#: The data keys that hold file paths (made absolute at load time).
DATA_PATH_KEYS = ("train_files", "val_files", "split_files", "corpus_files")

STYLES = (
    "entity_mask",
    "entity_marker",
    "entity_marker_punct",
    "entity_marker_punkt",
    "typed_entity_marker",
    "typed_entity_marker_punct",
    "subject_object_marker",
)


class _Section(BaseModel):
    # extra="forbid": a typo such as `train.learning_rate` must fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataConfig(_Section):
    """Where the pair examples come from and which fold this run is."""

    train_files: list[str] = Field(
        default_factory=list,
        description="Files to train on: iKraph split JSON (split_k.json) or any corpus format "
        "relx.data reads (PubTator, BioC XML/JSON, LitCoin). Use with val_files.",
    )
    val_files: list[str] = Field(
        default_factory=list,
        description="Files to validate (select the best checkpoint) on; same formats as "
        "train_files.",
    )
    split_files: list[str] = Field(
        default_factory=list,
        description="The K split files of a cross-validation (split_0.json..split_{K-1}.json, in "
        "order). Fold f validates on split (f + rotation) mod K and trains on the others.",
    )
    corpus_files: list[str] = Field(
        default_factory=list,
        description="Corpus files to divide into n_splits document-level splits (relx.data); "
        "then used like split_files.",
    )
    n_splits: int = Field(
        5, ge=2, description="K, the number of document-level splits (corpus_files, split_files)."
    )
    fold: int = Field(0, ge=0, description="Which fold this run is, 0..n_splits-1.")
    rotation: int = Field(
        4,
        ge=0,
        description="Fold f validates on split (f + rotation) mod K; 4 is the users' protocol "
        "(fold 0 validates on split_4, docs/formats.md §2).",
    )
    context: Literal["multi_sentence", "document"] = Field(
        "multi_sentence",
        description="Pair context when building pairs from a corpus: the title plus the sentences "
        "mentioning A or B (iKraph), or the whole document.",
    )
    split_seed: int = Field(
        0, description="Seed of the document-to-split assignment (corpus_files)."
    )
    labels: list[str] | None = Field(
        None,
        description="Class order of the model; None = the task's labels (relation: NOT and the "
        "8 BioRED types; NOT must come first).",
    )


class RepresentConfig(_Section):
    """How a pair becomes model input (relx.represent)."""

    style: Literal[STYLES] = Field(  # type: ignore[valid-type]
        "typed_entity_marker_punct",
        description="Entity marking style (docs/formats.md §3); typed_entity_marker_punct needs "
        "no new "
        "tokens and was the best in Zhou & Chen 2021.",
    )
    prompt: bool = Field(
        False,
        description="Wrap the marked text in the instruction prompt (for instruction-tuned LLMs).",
    )
    max_length_tokens: int = Field(
        512,
        ge=8,
        description="Maximum input length in tokens; longer inputs lose context sentences, never "
        "the entities or the prompt tail.",
    )
    use_chat_template: bool = Field(
        True,
        description="Render the prompt through the tokenizer's chat template when it has one.",
    )
    symmetric: bool = Field(
        False,
        description="Relations are undirected: train on both entity orders (A,B and B,A, same "
        "label) and predict the mean probabilities of both orders (recorded with the model).",
    )


class LoraSection(_Section):
    """LoRA adapter settings (method lora/qlora only)."""

    r: int = Field(16, ge=1, description="LoRA rank (peft lora_r).")
    alpha: float = Field(32, gt=0, description="LoRA alpha; the update is scaled by alpha / r.")
    dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the LoRA branch.")
    target_modules: str | list[str] = Field(
        "all-linear",
        description="Modules that get adapters: 'all-linear' or a list such as [q_proj, v_proj].",
    )


class ModelConfig(_Section):
    """Which backbone, which head, which fine-tuning method (relx.models.build_classifier)."""

    model_name_or_path: str | None = Field(
        None, description="Hub name or local folder of the backbone (required)."
    )
    gguf_file: str | None = Field(
        None, description="GGUF file name inside model_name_or_path to load the weights from."
    )
    head: Literal["auto", "cls", "entity_start", "last_token"] = Field(
        "auto",
        description="Which hidden states the classifier reads: auto = cls for encoders, "
        "last_token for decoders.",
    )
    method: Literal["full", "lora", "qlora"] = Field(
        "full",
        description="Fine-tuning method: all weights, LoRA adapters, or LoRA on a 4-bit base.",
    )
    lora: LoraSection = Field(default_factory=LoraSection, description="LoRA settings.")
    add_marker_tokens: bool = Field(
        False,
        description="Add the style's marker strings as special tokens (resizes the embeddings).",
    )
    freeze_word_embeddings: bool = Field(
        False,
        description="Full fine-tuning: keep the backbone's word-embedding matrix fixed (no "
        "gradient, no AdamW state). On small data it costs little (the markers of "
        "typed_entity_marker_punct are ordinary tokens) and on MiniLM it is half the weights: "
        "a quickstart fold trained in 45-51 s instead of 57 s on 2 CPU cores, same F1. Not "
        "with add_marker_tokens (their new rows must train).",
    )
    type_pair_constraint: bool = Field(
        True,
        description="At prediction, allow only labels seen in training for the pair's entity "
        "types (NOT always allowed).",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Backbone weight dtype; auto = float32 on CPU, bf16 where supported."
    )
    gradient_checkpointing: Literal["auto", True, False] = Field(
        "auto",
        description="Activation checkpointing (about a third more compute, much less memory): "
        "auto = only when a micro-batch of the token budget would not fit the card "
        "(relx.models.plan_activation_checkpointing; off on CPU), true/false = always/never.",
    )


class TrainSection(_Section):
    """The optimisation loop (relx.train.train)."""

    lr: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Peak learning rate; None = 2e-4 for lora/qlora, 3e-5 for full fine-tuning.",
    )
    epochs: int = Field(3, ge=1, description="Passes over the training examples.")
    batch_size: int = Field(16, ge=1, description="Examples per forward pass (per process).")
    grad_accum_steps: int = Field(1, ge=1, description="Forward passes per optimizer step.")
    max_tokens_per_batch: int | None = Field(
        None,
        ge=1,
        description="Token budget per batch, counted as the batching mode computes (padded: "
        "padded length x examples); with it batches are length-grouped and hold up to "
        "batch_size examples. None = fixed batch_size.",
    )
    batching: str = Field(
        "auto",
        description="Batching mode (relx.represent.get_batching), chosen once per run: padded = "
        "one example per row, right-padded; packed = many examples per row, micro-batches "
        "sized by real tokens (max_tokens_per_batch); auto = packed on CUDA when the model "
        "keeps packed examples apart, padded elsewhere (the choice is recorded in notes).",
    )
    eval_max_tokens: int | None = Field(
        None,
        ge=1,
        description="Token budget per forward pass at validation (the batching mode's count); "
        "None = 2 x max_tokens_per_batch with packed batching (inference keeps no "
        "activations), else eval_batch_size examples per forward (today's padded batches).",
    )
    log_every_steps: int = Field(
        10,
        ge=1,
        description="Read the training losses back from the device every N optimizer steps "
        "(one host-device sync per N steps, not per step); every step is still logged.",
    )
    warmup_ratio: float = Field(
        0.0, ge=0, le=1, description="Share of optimizer steps spent warming up the lr."
    )
    warmup_steps: int | None = Field(
        None, ge=0, description="Warmup in optimizer steps; overrides warmup_ratio when set."
    )
    scheduler: Literal["linear", "cosine", "constant"] = Field(
        "linear", description="LR decay after warmup (transformers get_scheduler)."
    )
    weight_decay: float = Field(0.01, ge=0, description="AdamW decoupled weight decay.")
    label_smoothing: float = Field(0.0, ge=0, lt=1, description="Cross-entropy label smoothing.")
    class_weights: Literal["none", "balanced", "sqrt"] = Field(
        "none",
        description="Weight the loss per class: balanced = n / (K * count), as sklearn's; "
        "sqrt = the square root of that (milder on rare classes).",
    )
    negative_sample: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Keep this share of the NOT training pairs per epoch, re-drawn each epoch "
        "from seed + epoch; None = all of them. Validation always scores every pair.",
    )
    tune_threshold: bool = Field(
        True,
        description="After training, tune the NOT threshold on the best checkpoint's "
        "validation predictions and save it with the model (decision.json): relx predict "
        "uses it unless --threshold is given. The best checkpoint is still chosen by arg-max.",
    )
    max_grad_norm: float | None = Field(
        1.0, gt=0, description="Clip the gradient norm to this; None = no clipping."
    )
    eval_every_steps: int | None = Field(
        None, ge=1, description="Evaluate every N optimizer steps; None = at the end of each epoch."
    )
    skip_masked_pairs: bool = Field(
        True,
        description="Train only on pairs whose entity-type pair carries a relation somewhere in "
        "the training data. The others are always predicted NOT by model.type_pair_constraint, "
        "so training on them is wasted compute (about a quarter of BioRED's pairs, as iKraph "
        "filters them). Validation still scores every pair. Ignored without the constraint.",
    )
    early_stopping_patience: int | None = Field(
        None, ge=1, description="Stop after N evaluations without improvement; None = never."
    )
    select_metric: Literal["f1", "precision", "recall", "accuracy", "loss"] = Field(
        "f1",
        description="Metric that picks the best checkpoint: f1 = iKraph pair micro F1 over the "
        "positive labels (NOT excluded as a label); loss is minimised, the others maximised.",
    )
    seed: int = Field(42, description="Seed of initialisation, dropout and data order.")
    mixed_precision: Literal["auto", "no", "bf16", "fp16"] = Field(
        "auto", description="Autocast precision: auto = bf16 on GPUs that support it, else no."
    )
    tf32: bool = Field(
        True,
        description="On CUDA, float32 matrix multiplies use TF32 tensor cores (torch's "
        "float32 matmul precision 'high'); false = exact fp32 ('highest'): MiniLM trained "
        "1.24x slower that way on an H200. Eval and predict use the run's setting.",
    )

    compile: Literal["no", "default", "reduce-overhead", "max-autotune-no-cudagraphs"] = Field(
        "no",
        description="torch.compile the backbone for training and validation "
        "(relx/models/_compile.py): fewer, fused kernels and no module Python per step, for "
        "models the host cannot keep busy; costs compile time on the first batches. "
        "default/reduce-overhead (also CUDA graphs)/max-autotune-no-cudagraphs are "
        "torch.compile's modes; true = default; no = eager.",
    )

    @field_validator("mixed_precision", mode="before")
    @classmethod
    def _yaml_no_is_no(cls, value: Any) -> Any:
        """YAML 1.1 reads a bare ``no`` (``--set train.mixed_precision=no``) as false."""
        return "no" if value is False else value

    @field_validator("compile", mode="before")
    @classmethod
    def _compile_bool(cls, value: Any) -> Any:
        """``true``/``yes`` = torch.compile's default mode, ``false``/``no`` = eager."""
        if isinstance(value, bool):
            return "default" if value else "no"
        return value
    eval_batch_size: int | None = Field(
        None, ge=1, description="Examples per forward pass at evaluation; None = 2 x batch_size."
    )
    max_steps: int | None = Field(
        None, ge=1, description="Stop after this many optimizer steps in total (None = epochs)."
    )


class CVConfig(_Section):
    """Cross-validation (relx cv)."""

    n_splits: int | None = Field(
        None, ge=2, description="Number of folds; None = data.n_splits (or the split file count)."
    )
    folds: list[int] | None = Field(None, description="Folds to run; None = all of them.")
    tasks: list[str] | None = Field(
        None,
        description="Tasks trained per fold on identical folds (relx.tasks), e.g. [relation, "
        "novelty]: the config's own task in DIR/fold_k/, every other one as a CV directory of "
        "its own in DIR/<task>/ (e.g. DIR/novelty/fold_k/); None = only the config's task.",
    )


class TrackingConfig(_Section):
    """Experiment trackers (progress bars are always on in the CLI)."""

    tensorboard: bool | None = Field(
        None, description="Log to TensorBoard (accelerate tracker); None = on if installed."
    )
    mlflow: bool = Field(False, description="Log to MLflow (needs the mlflow package).")


class RelxConfig(_Section):
    """A complete relx training config; ``notes`` is filled by relx when resolving."""

    task: str = Field(
        "relation",
        description="What the model predicts (relx.tasks): relation (default) or a registry "
        "name such as relx.task.relation.v1; resolved to the versioned name.",
    )
    data: DataConfig = Field(default_factory=DataConfig, description="Input data and fold.")
    represent: RepresentConfig = Field(
        default_factory=RepresentConfig, description="Input representation."
    )
    model: ModelConfig = Field(default_factory=ModelConfig, description="Backbone and method.")
    train: TrainSection = Field(default_factory=TrainSection, description="Optimisation loop.")
    cv: CVConfig = Field(default_factory=CVConfig, description="Cross-validation.")
    tracking: TrackingConfig = Field(default_factory=TrackingConfig, description="Trackers.")
    working_directory: str | None = Field(
        None,
        description="Written by relx: the directory relx was started from (relative paths "
        "given on the command line were resolved against it).",
    )
    notes: list[str] = Field(
        default_factory=list,
        description="Written by relx: every automatic choice and warning, with its reason.",
    )


# --------------------------------------------------------------------------- loading


def _yaml_lines(text: str) -> dict[str, int]:
    """Map dotted keys to their 1-based line in a YAML text (for file:line messages)."""
    lines: dict[str, int] = {}
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lines

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = f"{prefix}{key_node.value}"
                lines[key] = key_node.start_mark.line + 1
                walk(value_node, key + ".")

    walk(root, "")
    return lines


class _Origin:
    """Where each value came from, so a message can say ``file:line`` or ``(from --set)``."""

    def __init__(self, path: str | None = None, lines: dict[str, int] | None = None) -> None:
        self.path = path
        self.lines = lines or {}
        self.overridden: set[str] = set()

    def where(self, key: str) -> str:
        if key in self.overridden:
            return f"{key} (from --set)"
        probe = key
        while probe:
            if probe in self.lines and self.path:
                return f"{self.path}:{self.lines[probe]}: {key}"
            probe = probe.rpartition(".")[0]
        return key


def _parse_scalar(text: str) -> Any:
    # YAML scalars, so `2e-4` -> float, `true` -> bool, `null` -> None, `[a, b]` -> list.
    # PyYAML's YAML 1.1 resolver reads `2e-4` as a string (it wants `2.0e-4`); fix that case.
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return value
    return value


def _fix_yaml_floats(obj: Any) -> Any:
    """Turn strings like ``2e-4`` (a string to PyYAML's YAML 1.1) into floats."""
    if isinstance(obj, dict):
        return {k: _fix_yaml_floats(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fix_yaml_floats(v) for v in obj]
    numeric_start = isinstance(obj, str) and obj and (obj[0].isdigit() or obj[0] in "+-.")
    if numeric_start and "e" in obj.lower():
        try:
            return float(obj)
        except ValueError:
            return obj
    return obj


def apply_overrides(raw: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides to a raw config dict (a deep copy is returned).

    Raises:
        ConfigError: [E403] an override without ``=`` or with an empty key.
    """
    out = copy.deepcopy(raw)
    for item in overrides:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(
                f"--set {item!r}: expected KEY=VALUE with a dotted key such as train.lr=2e-4; "
                f"got no '=' or an empty key",
                code="E403",
                hint="relx config show CONFIG  # lists every key",
            )
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = _parse_scalar(value)
    return out


def _format_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe_error(err: dict[str, Any], origin: _Origin) -> str:
    """One line for one pydantic error: location, expected, got, fix."""
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-", "literal[")))
    kind = err["type"]
    got = _format_value(err.get("input"))
    where = origin.where(loc)
    if kind == "extra_forbidden":
        section, _, name = loc.rpartition(".")
        return unknown_key_problem(where, name, _allowed_keys(section), section=section)
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return (
            f"{where}: expected one of {expected}; got {got}. Fix: use one of the allowed values."
        )
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{where}: {err['msg'].lower()}; got {got}. Fix: use a value in range."
    if kind == "missing":
        return f"{where}: required; got nothing. Fix: set it in the YAML or with --set {loc}=..."
    return f"{where}: {err['msg'].lower()}; got {got}. Fix: give a value of the expected type."


def unknown_key_problem(where: str, name: str, allowed: Sequence[str], *,
                        section: str = "") -> str:
    """The one line for an unknown config key: the single place unknown keys are reported,
    with "did you mean" (or the relx name of a Hugging Face ``TrainingArguments`` name)."""
    from relx.train._aliases import unknown_key_message

    dotted = f"{section}.{name}" if section else name
    hint = unknown_key_message(dotted, _dotted_keys(RelxConfig))
    return (
        f"{where}: {hint}; expected one of {', '.join(allowed)}. "
        f"Fix: rename or remove it (relx config fill shows every key)."
    )


def _dotted_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every dotted key of the schema (``train.lr``, ``model.lora.r``, ...)."""
    keys: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += _dotted_keys(annotation, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def _allowed_keys(section: str) -> list[str]:
    model: type[BaseModel] = RelxConfig
    for part in [p for p in section.split(".") if p]:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            break
    return list(model.model_fields)


def _raise_problems(problems: list[str], code: str) -> None:
    head = "1 config problem" if len(problems) == 1 else f"{len(problems)} config problems"
    error = ConfigError(
        f"{head}:\n  " + "\n  ".join(problems),
        code=code,
        hint="relx config validate CONFIG [--set ...]  # checks without training",
    )
    error.problems = problems  # type: ignore[attr-defined]
    raise error


def config_from_dict(
    raw: dict[str, Any] | None,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    path: str | None = None,
    _lines: dict[str, int] | None = None,
) -> RelxConfig:
    """Validate a raw config dict (plus ``--set`` overrides); collect every problem.

    Raises:
        ConfigError: [E401] type/range/unknown-key problems, [E404] inconsistent data section;
            the message has one line per problem.
    """
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path or 'config'}: expected a YAML mapping of sections (data, model, train, ...); "
            f"got {type(raw).__name__}",
            code="E402",
        )
    origin = _Origin(path, _lines)
    for item in overrides:
        origin.overridden.add(item.partition("=")[0].strip())
    merged = _fix_yaml_floats(apply_overrides(raw, overrides))
    # Paths still relative here came from --set or a dict: relative to the working directory.
    merged = _resolve_data_paths(merged, Path.cwd())
    try:
        config = RelxConfig.model_validate(merged)
    except ValidationError as exc:
        _raise_problems([_describe_error(e, origin) for e in exc.errors()], "E401")
    problems = _check_semantics(config, origin)
    if problems:
        _raise_problems(problems, "E404")
    return config


def load_config(
    source: str | Path | dict[str, Any] | RelxConfig | None = None,
    overrides: list[str] | tuple[str, ...] = (),
) -> RelxConfig:
    """Load a config from a YAML file (or dict, or config) and apply dotted overrides.

    Relative data paths in a YAML file are resolved against the file's folder, so a config
    next to its data works from any working directory.

    Raises:
        ConfigError: [E405] missing file, [E402] unreadable YAML, [E401]/[E404] invalid values.
    """
    if isinstance(source, RelxConfig):
        raw = source.model_dump(mode="json")
        return config_from_dict(raw, overrides=overrides)
    if source is None or isinstance(source, dict):
        return config_from_dict(source or {}, overrides=overrides)
    path = Path(source)
    if not path.is_file():
        path = _preset_or_missing(path)
    if not path.is_file():
        from relx.train._aliases import suggest_preset
        from relx.train._presets import list_presets

        raise ConfigError(
            f"{path}: config file not found; expected a YAML file or a preset "
            f"({suggest_preset(str(source), list_presets())})",
            code="E405",
            hint="relx config fill new.yaml  # writes a config with every default",
        )
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"{where}: not valid YAML ({problem}); fix the syntax", code="E402"
        ) from None
    raw = _resolve_data_paths(raw, path.parent)
    raw = _expand_package_paths(raw)
    return config_from_dict(raw, overrides=overrides, path=str(path), _lines=_yaml_lines(text))


def _preset_or_missing(path: Path) -> Path:
    """A shipped preset named ``path`` (``quickstart/minilm``), else ``path`` unchanged."""
    try:
        from relx.train._presets import preset_path
    except ImportError:  # presets not shipped in this build
        return path
    try:
        return preset_path(str(path))
    except ConfigError:
        return path


def _expand_package_paths(raw: Any) -> Any:
    """Resolve ``pkg:<module>/<sub>`` model paths of presets (see relx.train._presets)."""
    if not isinstance(raw, dict):
        return raw
    try:
        from relx.train._presets import expand_package_paths
    except ImportError:
        return raw
    return expand_package_paths(raw)


def _resolve_data_paths(raw: Any, base: Path) -> Any:
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
        return raw
    raw = copy.deepcopy(raw)
    data = raw["data"]
    for key in DATA_PATH_KEYS:
        files = data.get(key)
        if isinstance(files, str):
            files = [files]
            data[key] = files
        if isinstance(files, list):
            data[key] = [
                os.path.abspath(base / f) if isinstance(f, str) and f else f for f in files
            ]
    if isinstance(data.get("split_files"), list):
        from relx.train._aliases import expand_split_files

        # The folder `relx data build` wrote stands for its split_0.json .. split_{K-1}.json.
        data["split_files"] = expand_split_files(data["split_files"])
    return raw


def _check_semantics(config: RelxConfig, origin: _Origin) -> list[str]:
    """Cross-field checks that a per-field schema cannot express; all problems at once."""
    problems: list[str] = []
    d = config.data
    sources = [
        name
        for name, files in (
            ("train_files/val_files", d.train_files or d.val_files),
            ("split_files", d.split_files),
            ("corpus_files", d.corpus_files),
        )
        if files
    ]
    if len(sources) > 1:
        problems.append(
            f"{origin.where('data')}: expected one data source; got {' and '.join(sources)}. "
            f"Fix: keep train_files+val_files, or split_files, or corpus_files."
        )
    if d.train_files and not d.val_files:
        problems.append(
            f"{origin.where('data.val_files')}: required with train_files; got nothing. "
            f"Fix: add the validation split, e.g. --set data.val_files=[split_4.json]."
        )
    if d.val_files and not d.train_files:
        problems.append(
            f"{origin.where('data.train_files')}: required with val_files; got nothing. "
            f"Fix: add the training files."
        )
    if d.split_files and len(d.split_files) < 2:
        problems.append(
            f"{origin.where('data.split_files')}: expected at least 2 split files; got "
            f"{len(d.split_files)}. Fix: list split_0.json..split_{{K-1}}.json."
        )
    n_splits = len(d.split_files) if d.split_files else d.n_splits
    if (d.split_files or d.corpus_files) and d.fold >= n_splits:
        problems.append(
            f"{origin.where('data.fold')}: expected 0..{n_splits - 1} (K={n_splits}); got "
            f"{d.fold}. Fix: pick a fold below the number of splits."
        )
    problems.extend(_check_task(config, origin))
    if config.train.batching not in ("padded", "auto"):  # padded is always registered
        from relx.represent import get_batching

        try:
            get_batching(config.train.batching)
        except RelxError as error:
            problems.append(f"{origin.where('train.batching')}: {error.message.split(': ', 1)[1]}")
    if config.cv.folds is not None:
        k = config.cv.n_splits or n_splits
        bad = [f for f in config.cv.folds if not 0 <= f < k]
        if bad:
            problems.append(
                f"{origin.where('cv.folds')}: expected folds in 0..{k - 1}; got {bad}. "
                f"Fix: drop the folds outside the range."
            )
    if config.model.freeze_word_embeddings and config.model.add_marker_tokens:
        problems.append(
            f"{origin.where('model.freeze_word_embeddings')}: cannot be true with "
            f"model.add_marker_tokens (the new marker rows would never train). Fix: set one "
            f"of them to false, or use a style whose markers are ordinary tokens "
            f"(typed_entity_marker_punct)."
        )
    if config.model.gguf_file and not config.model.model_name_or_path:
        problems.append(
            f"{origin.where('model.model_name_or_path')}: required with gguf_file; got nothing. "
            f"Fix: set the folder that holds the GGUF file."
        )
    return problems


def _check_task(config: RelxConfig, origin: _Origin) -> list[str]:
    """The task exists and accepts ``data.labels`` (the task owns its label rules)."""
    from relx.tasks import get_task

    try:
        task = get_task(config.task)
    except RelxError as error:
        return [f"{origin.where('task')}: {error.message.split(': ', 1)[1]}"]
    for name in config.cv.tasks or []:  # checked before fold 0 trains, not after
        try:
            get_task(name)
        except RelxError as error:
            return [f"{origin.where('cv.tasks')}: {error.message.split(': ', 1)[1]}"]
    if config.data.labels is None:
        return []
    try:
        task.labels(config.data.labels)
    except RelxError as error:
        return [f"{origin.where('data.labels')}: {error.message.split(': ', 1)[1]}"]
    return []


def check_ready(config: RelxConfig) -> None:
    """Checks that only a run needs (a model and data), not ``config show``/``fill``.

    Raises:
        ConfigError: [E404] no model or no data source, one line per problem.
    """
    problems = []
    if not config.model.model_name_or_path:
        problems.append(
            "model.model_name_or_path: required to train; got nothing. Fix: --set "
            "model.model_name_or_path=PATH_OR_HUB_NAME."
        )
    else:
        problems += _local_model_problems(config.model.model_name_or_path, config.model.gguf_file)
    d = config.data
    if not (d.train_files or d.split_files or d.corpus_files):
        problems.append(
            "data: expected train_files+val_files, split_files or corpus_files; got none. "
            "Fix: --set data.split_files=[split_0.json,...] (relx data build makes them)."
        )
    for key in ("train_files", "val_files", "split_files", "corpus_files"):
        missing = [f for f in getattr(d, key) if not Path(f).exists()]
        if missing:
            problems.append(
                f"data.{key}: expected existing files; got missing {', '.join(missing[:3])}"
                + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
                + ". "
                f"Fix: check the paths (relative paths resolve against the config file)."
            )
    if problems:
        _raise_problems(problems, "E404")


def _looks_local(name: str) -> bool:
    """True when ``name`` can only be a local path, never a hub name (``org/name``)."""
    return (
        os.path.isabs(name)
        or name.startswith((".", "~"))
        or "\\" in name
        or name.count("/") >= 2
        or name.endswith(".gguf")
    )


def _local_model_problems(name: str, gguf_file: str | None) -> list[str]:
    """A model path that is meant to be local must exist (before any data is read).

    A hub name (``meta-llama/Llama-3.1-8B-Instruct``) is left to the loader; an absolute or
    relative path that does not exist would otherwise reach the hub client and fail with its
    "Repo id must be in the form ..." message.
    """
    path = Path(name).expanduser()
    if not _looks_local(name) or (gguf_file is not None and Path(gguf_file).is_absolute()):
        return []
    if not path.exists():
        parent = next((p for p in path.parents if p.exists()), None)
        return [
            f"model.model_name_or_path: expected an existing local model folder; got {name}, "
            f"which does not exist (nearest existing parent: {parent}). Fix: --set "
            "model.model_name_or_path=/path/to/folder (a save_pretrained folder with "
            "config.json, or a folder holding the model.gguf_file), e.g. "
            "/models/Meta-Llama-3.1-8B-Instruct."
        ]
    if path.is_dir() and gguf_file is None and not (path / "config.json").is_file() \
            and (path / "params.json").is_file():
        return [
            f"model.model_name_or_path: {name} holds Meta's original checkpoint layout "
            "(params.json, consolidated.*.pth), not a Hugging Face folder; expected config.json "
            "and *.safetensors. Fix: point at the Hugging Face download (huggingface-cli "
            "download meta-llama/Llama-3.1-8B-Instruct --local-dir DIR), not its original/ "
            "subfolder."
        ]
    return []


# --------------------------------------------------------------------------- resolving


def default_lr(method: str) -> float:
    """The method-aware default learning rate (see :data:`LORA_DEFAULT_LR`)."""
    return FULL_DEFAULT_LR if method == "full" else LORA_DEFAULT_LR


def effective_batch_size(config: RelxConfig, num_processes: int = 1) -> int:
    """Examples per optimizer step: batch_size x grad_accum_steps x processes."""
    return config.train.batch_size * config.train.grad_accum_steps * num_processes


def _note(config: RelxConfig, message: str, *, warn: bool = False) -> None:
    """Log an automatic choice or a warning and record it in ``config.notes`` (once)."""
    if warn:
        warn_and_log(logger, message, stacklevel=3)
        message = f"warning: {message}"
    else:
        logger.info(message)
    if message not in config.notes:
        config.notes = [*config.notes, message]


def mixed_precision_for(value: str) -> tuple[str, str]:
    """The mixed precision a run uses for a configured ``train.mixed_precision`` and why.

    The one place ``auto`` is decided: :func:`resolve_config` records it in the notes and
    the recipe's Accelerator autocasts with it (relx/train/_recipe.py, ``make_accelerator``),
    so the precision written in the run directory is the precision the run trained in.
    """
    if value != "auto":
        return value, "configured"
    return _detect_mixed_precision()


def _detect_mixed_precision() -> tuple[str, str]:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return "no", "torch missing"
    if torch.cuda.is_available():
        major, minor = torch.cuda.get_device_capability(0)
        if torch.cuda.is_bf16_supported():
            return "bf16", f"CUDA SM {major}{minor} supports bf16"
        return "fp16", f"CUDA SM {major}{minor} lacks bf16"
    return "no", "no CUDA device; CPU autocast is slower than fp32 here"


def _detect_batching() -> tuple[str, str]:
    """``auto`` batching before the model is built: packed on CUDA, padded on the CPU.

    Why not packed on the CPU: there the block masks cost more than the padding they save,
    and the CPU path is the exact, pinned reference. The recipe falls back to padded (noted)
    when the built model cannot keep packed examples apart (``check_model``).
    """
    import torch

    if torch.cuda.is_available():
        return "packed", "CUDA device; padding-free micro-batches by real tokens"
    return "padded", "no CUDA device; padded rows are the CPU reference path"


def resolve_config(config: RelxConfig, *, num_processes: int = 1) -> RelxConfig:
    """Fill every automatic choice, log it with its reason, and record it in ``notes``.

    Returns a new config; the input is not changed. Idempotent: resolving a resolved
    config changes nothing, so ``config.resolved.yaml`` loads back to the same run.
    Warnings (:class:`~relx.errors.RelxWarning`) go to ``notes`` too.
    """
    from relx.tasks import get_task

    config = config.model_copy(deep=True)
    t = config.train
    task = get_task(config.task)
    if config.task != task.name:
        config.task = task.name
        _note(config, f"task={task.name} (from task: {task.short_name}; versioned name)")
    if config.data.labels is None:
        config.data.labels = list(task.labels(None))
        _note(config, f"data.labels: the {task.short_name} task's {len(config.data.labels)} "
                      f"classes ({', '.join(config.data.labels)})")
    if config.working_directory is None:
        config.working_directory = os.getcwd()
    if t.lr is None:
        t.lr = default_lr(config.model.method)
        _note(
            config,
            f"train.lr={t.lr:g} (auto: method={config.model.method}; "
            + ("LoRA adapters need ~10x the full fine-tuning lr)" if config.model.method != "full"
               else "full fine-tuning of a pretrained encoder)"),
        )
    elif config.model.method != "full" and t.lr < LORA_MIN_LR:
        _note(
            config,
            f"train.lr={t.lr:g} is low for method={config.model.method}: LoRA runs usually "
            f"use 1e-4..5e-4 (default {LORA_DEFAULT_LR:g}); adapters may barely train",
            warn=True,
        )
    if t.mixed_precision == "auto":
        value, reason = mixed_precision_for(t.mixed_precision)
        t.mixed_precision = value  # type: ignore[assignment]
        _note(config, f"train.mixed_precision={value} (auto: {reason})")
    if t.batching == "auto":
        t.batching, reason = _detect_batching()
        _note(config, f"train.batching={t.batching} (auto: {reason})")
    if t.batching == "packed" and t.eval_max_tokens is None and t.max_tokens_per_batch:
        t.eval_max_tokens = 2 * t.max_tokens_per_batch
        _note(config, f"train.eval_max_tokens={t.eval_max_tokens} (auto: 2 x "
                      "max_tokens_per_batch; inference keeps no activations)")
    eff = effective_batch_size(config, num_processes)
    _note(
        config,
        f"effective batch={eff} (batch_size {t.batch_size} x grad_accum_steps "
        f"{t.grad_accum_steps} x processes {num_processes})",
    )
    if eff > MAX_EFFECTIVE_BATCH:
        _note(
            config,
            f"effective batch {eff} > {MAX_EFFECTIVE_BATCH}: few, small updates per epoch; "
            f"lower grad_accum_steps/batch_size or raise train.lr",
            warn=True,
        )
    if config.model.method == "full" and config.model.lora != LoraSection():
        _note(
            config,
            "model.lora is set but has no effect with model.method=full",
            warn=True,
        )
    if config.tracking.tensorboard is None:
        import importlib.util

        has_tb = importlib.util.find_spec("tensorboard") is not None
        config.tracking.tensorboard = has_tb
        _note(
            config,
            f"tracking.tensorboard={str(has_tb).lower()} (auto: tensorboard "
            f"{'installed' if has_tb else 'not installed'})",
        )
    return config


def truncation_warning(
    config: RelxConfig, n_truncated: int, n_total: int, *, split: str
) -> str | None:
    """The warning when ``max_length_tokens`` cuts more than 5% of a split's inputs, else None.

    Checked after encoding, where the value is used (the schema cannot know lengths).
    """
    if n_total <= 0 or n_truncated / n_total <= MAX_TRUNCATED_SHARE:
        return None
    return (
        f"represent.max_length_tokens={config.represent.max_length_tokens} truncates "
        f"{n_truncated}/{n_total} ({n_truncated / n_total:.1%}) {split} inputs (> "
        f"{MAX_TRUNCATED_SHARE:.0%}); raise it or use a shorter context"
    )


def check_truncation(config: RelxConfig, n_truncated: int, n_total: int, *, split: str) -> None:
    """:func:`truncation_warning`, warned and recorded in ``config.notes``."""
    message = truncation_warning(config, n_truncated, n_total, split=split)
    if message:
        _note(config, message, warn=True)


def config_to_yaml(config: RelxConfig, *, comments: bool = False) -> str:
    """Serialise a config to YAML, every default filled in (``comments`` adds descriptions)."""
    data = config.model_dump(mode="json")
    if not comments:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)
    lines: list[str] = []

    def emit(model: type[BaseModel], values: dict[str, Any], indent: int) -> None:
        pad = "  " * indent
        for name, field in model.model_fields.items():
            value = values[name]
            description = field.description or ""
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                lines.append(f"{pad}# {description}")
                lines.append(f"{pad}{name}:")
                emit(annotation, value, indent + 1)
                continue
            lines.append(f"{pad}# {description}")
            dumped = yaml.safe_dump({name: value}, default_flow_style=True, width=math.inf)
            lines.append(pad + dumped.strip()[1:-1].strip())

    emit(RelxConfig, data, 0)
    return "\n".join(lines) + "\n"
