"""The training recipe: :func:`train`, read top to bottom.

    config   = load_run_config(...)        the given config, or the run's own on --resume
    accel    = make_accelerator(...)       accelerate (DDP under torchrun/accelerate launch)
    config   = resolve_config(...)         every automatic choice, once (relx.train._config)
    writer   = open_run(...)               the run directory (main process)
    data     = setup_data(...)             fold/file selection (relx.data), the task's examples
    built    = setup_model(...)            backbone + head + tokenizer (relx.models)
    inputs   = encode_inputs(...)          token ids, targets, type-pair mask (relx.represent)
    schedule = plan_schedule(...)          every epoch's batches (the batching mode), step count
    optim    = setup_optimizer(...)        AdamW + lr schedule + class weights
    state    = start_or_resume(...)        LoopState, from checkpoints/last on --resume
    status   = run_loop(...)               relx.train._loop: step, evaluate, checkpoint
    summary  = finalize(...)               reload best, val predictions, summary, COMPLETE

Each step is a named function returning plain values (dataclasses); there is no callback
framework (torchtune recipes, nanoGPT). The task (relx.tasks) and the batching mode
(relx.represent) are chosen once from the config and passed down: adding a task or a
batching mode is a new module plus a registry entry, with no edit here or in the loop.

Resume: ``checkpoints/last`` (relx.train._checkpoint) holds model, optimizer, scheduler, RNG
and the loop position; batches are planned from ``seed + epoch``, so the data order is
recomputed, not stored. Resuming reproduces an uninterrupted run exactly on CPU.

Error codes (catalog: relx/error_codes.py): E406 the data gives nothing to train on, E414
gold labels outside ``data.labels``, E407 a checkpoint cannot be resumed (mismatched
parameters, changed data).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from relx import __version__, rundir
from relx._io import read_json
from relx._precision import use_float32_matmul
from relx.errors import ConfigError, RelxWarning, RunDirError, warn_and_log
from relx.train._checkpoint import is_checkpoint, load_last
from relx.train._balance import class_weight_tensor, plan_epoch
from relx.train._config import (
    RelxConfig,
    check_ready,
    config_to_yaml,
    effective_batch_size,
    load_config,
    mixed_precision_for,
    resolve_config,
    truncation_warning,
)
from relx.train._decision_step import tune_run_threshold
from relx.train._env import collect_environment
from relx.train._loop import LoopContext, run_loop
from relx.train._run import RunWriter
from relx.train._state import LoopState
from relx.train._tracking import TENSORBOARD_DIR, Progress, flat_config, tracker_names
from relx.train._validation import MINIMISED, validate

__all__ = [
    "train",
    "load_run_config",
    "make_accelerator",
    "open_run",
    "setup_data",
    "setup_model",
    "encode_inputs",
    "plan_schedule",
    "setup_optimizer",
    "start_or_resume",
    "finalize",
    "load_examples",
    "plan_batches",
    "RunData",
    "BuiltModel",
    "Inputs",
    "Schedule",
    "Optimization",
]

logger = logging.getLogger("relx.train")


# ----------------------------------------------------------------------- the recipe


def train(
    config: RelxConfig | dict[str, Any] | str | Path | None,
    *,
    run_dir: str | Path,
    resume: bool = False,
    progress: bool = True,
    max_steps_this_session: int | None = None,
) -> dict[str, Any]:
    """Train one model on one fold and write the run directory; return the summary.

    Args:
        config: A :class:`RelxConfig`, a raw dict, or a YAML path/preset. With ``resume``
            it may be ``None``: the run's own ``config.resolved.yaml`` is used (and always
            wins, so a resumed run is the run that was started).
        run_dir: The run directory (layout: :mod:`relx.rundir`).
        resume: Continue from ``run_dir/checkpoints/last`` (from step 0 when the run saved
            no checkpoint yet).
        progress: Show a rich progress bar (main process only).
        max_steps_this_session: Stop (saving ``last``) after this many optimizer steps in
            this call; the run is left resumable with status ``interrupted``. For tests and
            for time-limited jobs.

    Returns:
        The content of ``summary.json`` (status, best step and metrics, final validation
        metrics from the reloaded best checkpoint, counts and timings).

    Raises:
        ConfigError: invalid config or data. RunDirError: run directory problems.
    """
    from accelerate.utils import set_seed

    from relx.represent import get_batching
    from relx.tasks import get_task

    t_start = time.perf_counter()
    run_dir = Path(run_dir)
    config = load_run_config(config, run_dir=run_dir, resume=resume)
    auto_batching = config.train.batching == "auto"
    accelerator = make_accelerator(config, run_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RelxWarning)  # recorded in notes; logged already
        config = resolve_config(config, num_processes=accelerator.num_processes)
    writer = open_run(run_dir, accelerator=accelerator, resume=resume)
    try:
        task = get_task(config.task)
        batching = get_batching(config.train.batching)
        labels = list(task.labels(config.data.labels))
        set_seed(config.train.seed)  # python, numpy, torch (and CUDA): head init, dropout
        data = setup_data(config, task=task, labels=labels)
        built = setup_model(config, labels=labels, batching=batching,
                            fallback=auto_batching, device=accelerator.device)
        if built.batching is not batching:  # auto chose packed; the model cannot take it
            batching = built.batching
            config = config.model_copy(deep=True)
            config.train.batching = batching.name
        inputs = encode_inputs(config, data, built, task=task, labels=labels)
        schedule = plan_schedule(
            config, inputs, batching=batching, num_processes=accelerator.num_processes,
            negative_id=0 if task.negative_label is not None else None,
        )
        optim = setup_optimizer(config, built.model, schedule, inputs, labels=labels,
                                device=accelerator.device)
        # The scheduler is not prepared: accelerate would step it once per process.
        model, optimizer = accelerator.prepare(built.model, optim.optimizer)
        fingerprint = _fingerprint(config, data)
        state = start_or_resume(
            run_dir, resume=resume, accelerator=accelerator, model=model, optimizer=optimizer,
            scheduler=optim.scheduler, fingerprint=fingerprint, writer=writer,
        )
        # The resolved config, with what setup derived, written once.
        notes = [*built.notes, *inputs.notes, *schedule.notes, _selection_note(config)]
        config = config.model_copy(update={"notes": _merge(config.notes, notes)})
        _write_run_files(config, writer, accelerator, data, inputs)
        bar = Progress(
            total_steps=schedule.total_steps,
            start_step=state.global_step,
            enabled=progress and accelerator.is_main_process,
        )
        ctx = LoopContext(
            accelerator=accelerator,
            model=model,
            optimizer=optimizer,
            scheduler=optim.scheduler,
            settings=config.train,
            train_inputs=inputs.train,
            steps=schedule.steps,
            total_steps=schedule.total_steps,
            batching=batching,
            pad_token_id=built.pad_token_id,
            class_weight=None if optim.class_weight is None
            else optim.class_weight.to(accelerator.device),
            task=task,
            labels=labels,
            val_inputs=inputs.val_encoding.examples,
            val_examples=inputs.val_examples,
            mask=inputs.mask,
            eval_args=validation_batching(config),
            run_dir=run_dir,
            fingerprint=fingerprint,
            writer=writer,
            bar=bar,
            max_steps_this_session=max_steps_this_session,
            val_views=inputs.val_views,
        )
        try:
            status = run_loop(ctx, state)
        finally:
            bar.close()
        throughput = _throughput(ctx, batching)
        if status == "interrupted":
            if writer is not None:
                writer.flush()
                writer.finish("interrupted")
            accelerator.end_training()
            return {"status": "interrupted", "global_step": state.global_step,
                    "run_dir": str(run_dir)}
        # Free the training model and optimizer first: an 8B base must not be held twice.
        pad_token_id = built.pad_token_id
        best_predictions = ctx.best_predictions
        del ctx, model, optimizer, built, optim
        accelerator.free_memory()
        return finalize(
            config, run_dir, accelerator=accelerator, writer=writer, task=task, labels=labels,
            batching=batching, data=data, inputs=inputs, schedule=schedule, state=state,
            pad_token_id=pad_token_id, elapsed_since=t_start, throughput=throughput,
            best_predictions=best_predictions,
        )
    except BaseException as error:
        # Record how the run ended (a failed setup too, so the same command can start
        # again); checkpoints/last (if any) stays resumable.
        if writer is not None:
            writer.flush()
            writer.finish("interrupted" if isinstance(error, KeyboardInterrupt) else "failed")
        raise


# ------------------------------------------------------------------ 1. config and run


def load_run_config(
    config: RelxConfig | dict[str, Any] | str | Path | None, *, run_dir: Path, resume: bool
) -> RelxConfig:
    """The config to run: the given one (validated), or on ``--resume`` the run's own.

    On resume the given config, if any, is resolved like the saved one and compared after
    resolution (paths are absolute in both); a difference is warned about and ignored.

    Raises:
        ConfigError: [E404] no model or missing data files (``check_ready``).
    """
    if resume and (run_dir / rundir.CONFIG_FILE).is_file():
        saved = load_config(run_dir / rundir.CONFIG_FILE)
        if config is not None:
            given = config if isinstance(config, RelxConfig) else load_config(config)
            if _comparable(given, saved) != _comparable(saved, saved):
                message = (
                    f"{run_dir}: --resume continues the run as it was configured "
                    f"({rundir.CONFIG_FILE}); the given config/--set values differ and have "
                    f"no effect"
                )
                warn_and_log(logger, message, stacklevel=3)
        config = saved
    elif not isinstance(config, RelxConfig):
        config = load_config(config)
    check_ready(config)
    return config


def _comparable(config: RelxConfig, saved: RelxConfig) -> dict[str, Any]:
    """What must match for a resume: the resolved config minus notes, trackers and where
    relx was started from. Mixed precision is compared as the saved run resolved it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RelxWarning)
        if config.train.mixed_precision == "auto":
            config = config.model_copy(deep=True)
            config.train.mixed_precision = saved.train.mixed_precision
        resolved = resolve_config(config)
    return resolved.model_dump(exclude={"notes", "tracking", "working_directory"})


def make_accelerator(config: RelxConfig, run_dir: Path) -> Any:
    """accelerate's Accelerator for this run: devices, DDP, mixed precision, trackers."""
    from accelerate import Accelerator
    from accelerate.utils import ProjectConfiguration

    t = config.train
    use_float32_matmul(t.tf32)
    trackers = tracker_names(
        tensorboard=bool(config.tracking.tensorboard), mlflow=config.tracking.mlflow
    )
    return Accelerator(
        # cpu=True without CUDA: accelerate then runs gloo DDP under torchrun/accelerate
        # launch (otherwise every CPU process believes it is the only one).
        cpu=not torch.cuda.is_available(),
        # ``auto`` resolved here by the same rule resolve_config records (before this fix
        # an ``auto`` run was noted "bf16" but trained in fp32: accelerate got None).
        mixed_precision=mixed_precision_for(t.mixed_precision)[0],
        log_with=trackers or None,
        project_config=ProjectConfiguration(
            project_dir=str(run_dir), logging_dir=str(run_dir / TENSORBOARD_DIR)
        ),
    )


def open_run(run_dir: Path, *, accelerator: Any, resume: bool) -> RunWriter | None:
    """Create (or reopen) the run directory on the main process; others get ``None``."""
    main = accelerator.is_main_process
    writer = RunWriter(run_dir) if main else None
    if writer is not None:
        writer.start(resume=resume)
    accelerator.wait_for_everyone()
    if not resume and not main and not (run_dir / rundir.RUN_FILE).exists():
        raise RunDirError(f"{run_dir}: main process did not create the run", code="E601")
    return writer


# -------------------------------------------------------------------------- 2. data


@dataclass
class RunData:
    """The fold's examples as the task sees them (targets filled in) and their source."""

    train: list[Any]
    val: list[Any]
    source: dict[str, Any]


def load_examples(config: RelxConfig) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """The training and validation pair examples of this run's fold, and where they came from
    (``relx.data.select_fold`` on the config's data section).

    Raises:
        ConfigError: [E406] no training or validation examples.
    """
    from relx.data import select_fold

    d = config.data
    selection = select_fold(
        train_files=d.train_files, val_files=d.val_files, split_files=d.split_files,
        corpus_files=d.corpus_files, n_splits=d.n_splits, fold=d.fold, rotation=d.rotation,
        context=d.context, split_seed=d.split_seed,
    )
    for name, examples in (("training", selection.train), ("validation", selection.val)):
        if not examples:
            raise ConfigError(
                f"data: the {name} set is empty; expected pair examples in "
                f"{selection.source}. Fix: check the files (relx data stats FILE)",
                code="E406",
            )
    return selection.train, selection.val, selection.source


def setup_data(config: RelxConfig, *, task: Any, labels: Sequence[str]) -> RunData:
    """Select the fold's examples, keep those the task uses, give each the task's target.

    Raises:
        ConfigError: [E406] empty sets; [E414] targets outside ``labels``.
    """
    train_ex, val_ex, source = load_examples(config)

    def as_task_sees_it(examples: Sequence[Any]) -> list[Any]:
        out = []
        for ex in task.select(examples):
            target = task.target(ex)
            out.append(ex if target == ex.label else replace(ex, label=target))
        return out

    train_ex, val_ex = as_task_sees_it(train_ex), as_task_sees_it(val_ex)
    unknown = sorted({ex.label for ex in (*train_ex, *val_ex) if ex.label is not None}
                     - set(labels))
    if unknown:
        raise ConfigError(
            f"data.labels: expected every gold label in it; got examples labelled {unknown}. "
            f"Fix: add them to data.labels",
            code="E414",
        )
    return RunData(train=train_ex, val=val_ex, source=source)


# ------------------------------------------------------------------------- 3. model


@dataclass
class BuiltModel:
    """The classifier, its tokenizer and the pad id batches are filled with."""

    model: Any
    tokenizer: Any
    pad_token_id: int
    batching: Any = None  # the mode the model takes (auto's padded fallback)
    notes: list[str] = field(default_factory=list)
    #: Notes relx.models logged already as it chose them (``_build._choose``).


def tokens_per_microbatch(config: RelxConfig) -> int:
    """Tokens one training forward computes at most (the memory plan's ``N``): the token
    budget, else ``batch_size x max_length_tokens``."""
    t = config.train
    if t.max_tokens_per_batch is not None:
        return t.max_tokens_per_batch
    return t.batch_size * config.represent.max_length_tokens


def plan_gradient_checkpointing(config: RelxConfig, device: Any) -> tuple[bool, str]:
    """``model.gradient_checkpointing`` resolved: as set, or (``auto``) from the memory plan
    of relx.models (token budget, method, dtype, the card's memory); off without CUDA."""
    m = config.model
    if m.gradient_checkpointing is not True and m.gradient_checkpointing is not False:
        device = torch.device(device) if device is not None else torch.device("cpu")
        if device.type != "cuda":
            return False, "auto: no CUDA device"
        try:
            from transformers import AutoConfig

            from relx.models import plan_activation_checkpointing

            backbone_config = AutoConfig.from_pretrained(
                m.model_name_or_path, gguf_file=m.gguf_file
            )
            backbone_config = getattr(backbone_config, "text_config", backbone_config)
            dtype = m.dtype if m.dtype != "auto" else (
                "bfloat16" if torch.cuda.is_bf16_supported() else "float16")
            card = torch.cuda.get_device_properties(device).total_memory
            checkpoint, reason = plan_activation_checkpointing(
                backbone_config, tokens_per_microbatch(config), m.method, dtype, card,
                lora_dropout=m.lora.dropout if m.method != "full" else 0.0,
            )
        except Exception as error:  # an unreadable config must not stop training
            return False, f"auto: no memory plan ({type(error).__name__}: {error})"
        return checkpoint, f"auto: {reason}"
    return bool(m.gradient_checkpointing), "as configured"


def setup_model(
    config: RelxConfig,
    *,
    labels: Sequence[str],
    batching: Any,
    fallback: bool = False,
    device: Any = None,
) -> BuiltModel:
    """Build the classifier (relx.models) and check it takes the batching mode's batches.

    Args:
        fallback: ``train.batching`` was ``auto``: a model that cannot take the mode's
            batches is trained padded (noted) instead of failing.

    Raises:
        ModelError: the backbone cannot be built, or cannot take this mode's batches.
    """
    from relx.errors import ModelError
    from relx.models import build_classifier, compile_backbone
    from relx.represent import get_batching, marker_tokens
    from relx.tasks import get_task

    m = config.model
    checkpointing, why = plan_gradient_checkpointing(config, device)
    markers: tuple[str, ...] = (
        tuple(marker_tokens(config.represent.style)) if m.add_marker_tokens else ()
    )
    model, tokenizer = build_classifier(
        model_name_or_path=m.model_name_or_path,
        gguf_file=m.gguf_file,
        head=m.head,
        labels=list(labels),
        method=m.method,
        lora_r=m.lora.r,
        lora_alpha=m.lora.alpha,
        lora_dropout=m.lora.dropout,
        target_modules=m.lora.target_modules,
        marker_tokens=markers,
        dtype=m.dtype,
        gradient_checkpointing=checkpointing,
    )
    # dtype, pad token...: chosen by relx.models
    choices = [f"model.{name}={choice}"
               for name, choice in (getattr(model.info, "choices", None) or {}).items()]
    notes = list(choices)  # relx.models logged them when it chose
    if m.freeze_word_embeddings:
        _add_note(notes, freeze_word_embeddings(model))
    _add_note(notes, f"model.gradient_checkpointing={str(checkpointing).lower()} ({why})")
    try:
        batching.check_model(model)
    except ModelError as error:
        if not fallback:
            raise
        _add_note(notes, f"train.batching=padded (auto: the model cannot take packed batches: "
                     f"{error.message})")
        batching = get_batching("padded")
    # Saved with every checkpoint, so `relx predict` rebuilds the same inputs from the model.
    model.info.representation = {
        "style": config.represent.style,
        "prompt": config.represent.prompt,
        "max_length_tokens": config.represent.max_length_tokens,
        "use_chat_template": config.represent.use_chat_template,
        "context": config.data.context,
        "padding_side": "right",
        # The task's question line of the instruction prompt (relx.tasks).
        "prompt_question": get_task(config.task).prompt_question,
        "symmetric": config.represent.symmetric,
        # The autocast validation ran under: inference uses it on the same device type
        # (relx/evaluate/_predict.py, inference_autocast).
        "mixed_precision": mixed_precision_for(config.train.mixed_precision)[0],
        # And its float32 matmul precision (relx/_precision.py).
        "tf32": config.train.tf32,
    }
    compiled = compile_backbone(model, config.train.compile)
    if compiled:
        _add_note(notes, compiled)
    trainable, total = model.parameter_counts()
    _add_note(notes, f"parameters: {trainable:,} trainable of {total:,} "
                 f"({100 * trainable / max(total, 1):.2f}%)")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    return BuiltModel(model=model, tokenizer=tokenizer, pad_token_id=pad_id, batching=batching,
                      notes=notes)


def freeze_word_embeddings(model: Any) -> str:
    """Stop the backbone's word-embedding matrix from training; returns the note.

    Set before the optimizer is built (:func:`setup_optimizer` takes trainable parameters
    only), so the matrix gets neither gradients nor AdamW state, on resume too. LoRA
    backbones are frozen anyway: nothing to do there.
    """
    if model.info.method != "full":
        return (f"model.freeze_word_embeddings has no effect with method={model.info.method} "
                "(the base model is frozen)")
    weight = model.backbone.get_input_embeddings().weight
    weight.requires_grad_(False)
    return f"model.freeze_word_embeddings: {weight.numel():,} word-embedding weights fixed"


# ------------------------------------------------------------------------ 4. inputs


@dataclass
class Inputs:
    """Encoded examples: what the model trains on and validates on, and the type-pair mask."""

    train_encoding: Any  # EncodingResult of every training example
    val_encoding: Any
    train: list[Any]  # EncodedExample objects trained on (skip_masked_pairs applied)
    train_examples: list[Any]
    val_examples: list[Any]
    mask: Any
    notes: list[str] = field(default_factory=list)
    val_views: int = 1  # encodings per validation example (represent.symmetric: 2)


def encode_inputs(
    config: RelxConfig, data: RunData, built: BuiltModel, *, task: Any, labels: Sequence[str]
) -> Inputs:
    """Token ids and targets (relx.represent), the type-pair mask when the task uses it, and
    the training subset (``train.skip_masked_pairs``)."""
    from relx.models import TypePairMask
    from relx.represent import ORDER_VIEWS, both_orders, encode_examples

    r = config.represent
    enc_args = dict(
        style=r.style,
        prompt=r.prompt,
        labels=list(labels),
        max_length_tokens=r.max_length_tokens,
        chat_template=None if r.use_chat_template else False,
        question=task.prompt_question,
    )
    # represent.symmetric: both entity orders, adjacent (relx.represent.both_orders).
    views = ORDER_VIEWS if r.symmetric else 1
    ordered = both_orders if r.symmetric else list
    train_enc = encode_examples(ordered(data.train), built.tokenizer, **enc_args)
    val_enc = encode_examples(ordered(data.val), built.tokenizer, **enc_args)
    notes: list[str] = []
    for split, result in (("training", train_enc), ("validation", val_enc)):
        message = truncation_warning(config, result.n_truncated, len(result.examples), split=split)
        if message:
            warn_and_log(logger, message, stacklevel=3)  # logs it
            notes.append(f"warning: {message}")
    encoded = train_enc.examples
    use_mask = config.model.type_pair_constraint and task.uses_type_pair_mask
    mask = TypePairMask.from_examples(data.train, list(labels)) if use_mask else None
    built.model.type_pair_mask = mask
    if mask is not None and config.train.skip_masked_pairs:
        kept = [e for e in encoded if not mask.only_not(*e.type_pair)]
        _add_note(
            notes,
            f"train.skip_masked_pairs: trained on {len(kept):,} of {len(encoded):,} pairs; the "
            f"other {len(encoded) - len(kept):,} have an entity-type pair that never carries a "
            "relation in training, so the type-pair constraint predicts NOT for them anyway"
        )
        encoded = kept
    return Inputs(train_encoding=train_enc, val_encoding=val_enc, train=encoded,
                  train_examples=data.train, val_examples=data.val, mask=mask, notes=notes,
                  val_views=views)


# ---------------------------------------------------------------------- 5. schedule


@dataclass
class Schedule:
    """Every epoch's optimizer steps (micro-batches of example indices), fixed by
    ``seed + epoch``, and the optimizer step count."""

    steps: list[list[list[list[int]]]]  # [epoch][step][micro-batch] -> example indices
    steps_per_epoch: list[int]
    total_steps: int
    warmup_steps: int
    notes: list[str] = field(default_factory=list)


def plan_batches(
    lengths: Sequence[int],
    *,
    batch_size: int,
    max_tokens_per_batch: int | None,
    seed: int,
    batching: Any = "padded",
) -> list[list[int]]:
    """One epoch's batches (lists of example indices), deterministic for ``seed``: the
    batching mode's shuffled plan (padded: length-grouped under a token budget, else a
    seeded shuffle cut into ``batch_size`` chunks, the users' setup)."""
    from relx.represent import get_batching

    return get_batching(batching).plan(
        list(lengths), max_tokens=max_tokens_per_batch, max_batch_size=batch_size,
        shuffle=True, seed=seed,
    )


def plan_schedule(
    config: RelxConfig, inputs: Inputs, *, batching: Any, num_processes: int,
    negative_id: int | None = None,
) -> Schedule:
    """Plan every epoch's batches with the batching mode; count steps and warmup.

    ``negative_id``: class id of the task's negative class, for ``train.negative_sample``
    (relx.train._balance).
    """
    from relx.represent import get_batching

    t = config.train
    mode = get_batching(batching)
    lengths = [len(e.input_ids) for e in inputs.train]
    label_ids = [e.label for e in inputs.train]
    steps = [
        plan_epoch(lengths, label_ids, negative_id=negative_id, share=t.negative_sample,
                   seed=t.seed + epoch, planner=lambda sub, seed: mode.plan_steps(
                       sub, batch_size=t.batch_size, grad_accum_steps=t.grad_accum_steps,
                       num_processes=num_processes, max_tokens=t.max_tokens_per_batch,
                       seed=seed))
        for epoch in range(t.epochs)
    ]
    steps_per_epoch = [len(s) for s in steps]
    total_steps = sum(steps_per_epoch)
    if t.max_steps is not None:
        total_steps = min(total_steps, t.max_steps)
    warmup = (
        t.warmup_steps if t.warmup_steps is not None else math.ceil(t.warmup_ratio * total_steps)
    )
    note = (
        f"optimizer steps={total_steps} ({steps_per_epoch[0]} per epoch x {t.epochs} epochs"
        + (", capped by train.max_steps" if t.max_steps else "")
        + f"), warmup={warmup}; batching={mode.name}, "
        + f"{sum(len(s) for s in steps[0]) / max(len(steps[0]), 1):.2f} forwards per step"
    )
    logger.info(note)
    return Schedule(steps=steps, steps_per_epoch=steps_per_epoch,
                    total_steps=total_steps, warmup_steps=warmup, notes=[note])


# --------------------------------------------------------------------- 6. optimizer


@dataclass
class Optimization:
    """AdamW, its lr schedule and the per-class loss weights (``None`` = unweighted)."""

    optimizer: torch.optim.Optimizer
    scheduler: Any
    class_weight: torch.Tensor | None


def setup_optimizer(
    config: RelxConfig,
    model: Any,
    schedule: Schedule,
    inputs: Inputs,
    *,
    labels: Sequence[str],
    device: Any = None,
) -> Optimization:
    """AdamW with decay on matrices only, the configured lr schedule, class weights.

    On CUDA and CPU (``device``; accelerate moves the parameters there) AdamW is torch's
    fused kernel: one launch for all parameters instead of several per tensor. On CPU the
    default (a per-tensor Python loop) took ~20% of a MiniLM quickstart step; fused is about
    7x faster on the same update (measured on 22.7M parameters, 2 cores, 2026-12-03)."""
    from transformers import get_scheduler

    t = config.train
    # Decay only matrices (nanoGPT/HF practice): biases and norm weights are not decayed.
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": t.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=t.lr,
        **({"fused": True} if _fused_adamw(model, device) else {}),
    )
    scheduler = get_scheduler(
        t.scheduler if t.scheduler != "constant" else "constant_with_warmup",
        optimizer=optimizer,
        num_warmup_steps=schedule.warmup_steps,
        num_training_steps=schedule.total_steps,
    )
    weight = class_weight_tensor(t.class_weights, [e.label for e in inputs.train], len(labels))
    return Optimization(optimizer=optimizer, scheduler=scheduler, class_weight=weight)


def _fused_adamw(model: Any, device: Any) -> bool:
    """Fused AdamW when training runs on CUDA or CPU with floating-point trainable
    parameters (torch has fused CPU kernels since 2.4; other devices keep the default)."""
    if device is None or torch.device(device).type not in ("cuda", "cpu"):
        return False
    return all(p.is_floating_point() for p in model.parameters() if p.requires_grad)


# ------------------------------------------------------------------ 7. start/resume


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fingerprint(config: RelxConfig, data: RunData) -> dict[str, Any]:
    """What a checkpoint came from: relx version, config hash and data fingerprints."""
    bare = config.model_copy(update={"notes": [], "working_directory": None})
    return {
        "relx_version": __version__,
        "config_sha256": _sha256(config_to_yaml(bare)),
        "train_sha256": _sha256("\n".join(sorted(e.relation_id for e in data.train))),
        "val_sha256": _sha256("\n".join(sorted(e.relation_id for e in data.val))),
    }


def start_or_resume(
    run_dir: Path,
    *,
    resume: bool,
    accelerator: Any,
    model: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    fingerprint: dict[str, Any],
    writer: RunWriter | None,
) -> LoopState:
    """A fresh :class:`LoopState`, or the one of ``checkpoints/last`` with model, optimizer,
    scheduler and RNG restored (a resume before the first checkpoint starts at step 0).

    Raises:
        RunDirError: [E407] the data changed since the checkpoint, or the checkpoint does
            not fit the model.
    """
    last_dir = run_dir / rundir.DIR_LAST
    if not (resume and is_checkpoint(last_dir)):
        if resume:
            logger.info(f"{run_dir}: no checkpoint saved yet; starting from step 0")
            if writer is not None:
                writer.load_events(up_to_step=0)
        return LoopState()
    saved_meta = read_json(last_dir / rundir.CHECKPOINT_META_FILE)
    changed = [
        k for k in ("train_sha256", "val_sha256")
        if k in saved_meta and saved_meta[k] != fingerprint[k]
    ]
    if changed:
        raise RunDirError(
            f"{last_dir}: the data changed since the checkpoint ({', '.join(changed)} "
            f"differ); expected the same pair examples to resume",
            code="E407",
            hint="restore the original data files, or start a new run with another --out",
        )
    restored = load_last(
        last_dir, accelerator=accelerator, model=model, optimizer=optimizer, scheduler=scheduler
    )
    state = LoopState.from_json(restored)
    if writer is not None:
        writer.load_events(up_to_step=state.global_step)
    logger.info(f"resumed at optimizer step {state.global_step} (epoch {state.epoch})")
    return state


def _selection_note(config: RelxConfig) -> str:
    """The best-checkpoint rule, logged."""
    select = config.train.select_metric
    note = (
        f"best checkpoint = {'lowest' if select in MINIMISED else 'highest'} validation "
        f"{select}" + ("" if select in MINIMISED else " (ties: lower validation loss)")
        + ("; f1 = iKraph pair micro F1 over the positive labels" if select == "f1" else "")
    )
    logger.info(note)
    return note


def _add_note(notes: list[str], note: str) -> None:
    """Record a setup choice and log it, once, where it is made (the command line shows each
    note as it happens; the run's config keeps them all)."""
    logger.info(note)
    notes.append(note)


def _merge(notes: Sequence[str], more: Sequence[str]) -> list[str]:
    """``notes`` + the ones in ``more`` not already there (a resume brings the first run's);
    nothing is logged here: every note was logged where it was made."""
    out = list(notes)
    for note in more:
        if note not in out:
            out.append(note)
    return out


def _write_run_files(
    config: RelxConfig, writer: RunWriter | None, accelerator: Any, data: RunData, inputs: Inputs
) -> None:
    """config.resolved.yaml (once), environment.json, type_pair_mask.json, data.json."""
    if writer is not None:
        writer.write_config(config_to_yaml(config))
        writer.write_environment(collect_environment(
            num_processes=accelerator.num_processes, mixed_precision=config.train.mixed_precision
        ))
        if inputs.mask is not None:
            writer.write_json(rundir.TYPE_PAIR_FILE, inputs.mask.to_json())
        writer.write_json(
            rundir.DATA_FILE,
            {
                **data.source,
                "n_train": len(data.train),
                "n_val": len(data.val),
                "train_encoding": inputs.train_encoding.summary(),
                "val_encoding": inputs.val_encoding.summary(),
            },
        )
    if accelerator.log_with:  # the trackers make_accelerator enabled
        accelerator.init_trackers("relx", config=flat_config(config.model_dump(mode="json")))


# ---------------------------------------------------------------------- 8. finalize


#: Most examples per validation forward when a token budget sizes the batches (the budget
#: binds first; the cap only bounds the per-example bookkeeping of one forward).
EVAL_MAX_BATCH_SIZE = 1024


def validation_batching(config: RelxConfig) -> dict[str, Any]:
    """The batching arguments of every validation of a run (``predict_probabilities``).

    One function for training-time validation and the reload in :func:`finalize`: the same
    model and input then get the same inference batches, so the same numbers (bf16
    arithmetic depends on batch shapes). With ``train.eval_max_tokens`` the batches are
    sized by that token budget; without it, ``eval_batch_size`` (default 2 x batch_size)
    examples per forward, length-sorted (today's padded validation).
    """
    t = config.train
    if t.eval_max_tokens is not None:
        return {"max_tokens_per_batch": t.eval_max_tokens,
                "max_batch_size": t.eval_batch_size or EVAL_MAX_BATCH_SIZE}
    return {"max_tokens_per_batch": None, "max_batch_size": t.eval_batch_size or 2 * t.batch_size}


def _throughput(ctx: LoopContext, batching: Any) -> dict[str, Any]:
    """Training speed of this session for summary.json: real tokens and examples per second
    of the loop's wall time minus validation, peak CUDA memory reserved, the batching mode."""
    if ctx.device.type == "cuda":
        torch.cuda.synchronize(ctx.device)  # the loop's work is queued, not done
    wall = time.perf_counter() - ctx.loop_start
    train_s = max(wall - ctx.eval_seconds, 1e-9)
    out: dict[str, Any] = {
        "batching": batching.name,
        "train_seconds": train_s,
        "eval_seconds": ctx.eval_seconds,
        "train_tokens": ctx.tokens_this_session,
        "train_tokens_per_s": ctx.tokens_this_session / train_s,
        "train_examples_per_s": ctx.examples_this_session / train_s,
        "peak_memory_reserved_bytes": None,
    }
    if ctx.device.type == "cuda":
        out["peak_memory_reserved_bytes"] = int(torch.cuda.max_memory_reserved(ctx.device))
    return out


def reload_check(
    final: dict[str, Any],
    recorded: float | None,
    *,
    select: str,
    predictions: Sequence[int] | None,
    reloaded: Sequence[int],
    exact: bool,
) -> str | None:
    """The warning when the reloaded best checkpoint does not score as it did in training.

    Both validations run the same batches under the same autocast (:func:`validation_batching`,
    :func:`finalize`), so a healthy run reproduces its numbers. In float32 the metric must
    match to 1e-6. Under bf16/fp16 autocast kernels may still round differently, so the
    arg-max predictions are compared instead: a few flipped borderline examples
    (:data:`LOW_PRECISION_FLIP_SHARE`) are arithmetic; more means the saved model differs.
    """
    if recorded is None:
        return None
    if exact or predictions is None or len(predictions) != len(reloaded):
        if abs(final[select] - recorded) <= 1e-6:
            return None
        return (f"reloaded best checkpoint scores {select}={final[select]:.6f} but "
                f"{recorded:.6f} at training time; the saved model differs from the trained one")
    flipped = sum(a != b for a, b in zip(predictions, reloaded, strict=True))
    if flipped <= LOW_PRECISION_FLIP_SHARE * len(reloaded):
        return None
    return (f"reloaded best checkpoint changes {flipped} of {len(reloaded)} validation "
            f"predictions ({select}={final[select]:.6f}, {recorded:.6f} at training time; more "
            f"than {LOW_PRECISION_FLIP_SHARE:.1%} is not low-precision rounding); the saved "
            "model differs from the trained one")


#: Share of validation predictions a bf16/fp16 reload may flip (rounding on borderline
#: examples) before :func:`reload_check` calls the saved model different.
LOW_PRECISION_FLIP_SHARE = 0.005


def finalize(
    config: RelxConfig,
    run_dir: Path,
    *,
    accelerator: Any,
    writer: RunWriter | None,
    task: Any,
    labels: Sequence[str],
    batching: Any,
    data: RunData,
    inputs: Inputs,
    schedule: Schedule,
    state: LoopState,
    pad_token_id: int,
    elapsed_since: float,
    throughput: dict[str, Any] | None = None,
    best_predictions: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Reload best, predict validation, write predictions + summary, then ``COMPLETE``.

    The final validation predictions come from the *saved* best checkpoint, loaded fresh
    with load_classifier on the main process only. No DDP wrapper or stale reference to the
    training model is involved (a reload that scores the training model cannot happen), and
    the files users will load are the ones that are scored. It is validated exactly as
    during training: the same batches (:func:`validation_batching`) under the same
    autocast (the run's mixed precision; accelerate autocasts the training model's forward).
    """
    from accelerate.utils import broadcast_object_list

    from relx.evaluate import predictions_from_probs, write_predictions
    from relx.models import load_classifier

    t = config.train
    select = t.select_metric
    best_dir = run_dir / rundir.DIR_BEST
    summary: list[Any] = [None]
    if writer is not None:
        device = accelerator.device
        best_model, _, _ = load_classifier(best_dir, device=device)
        best_mask = getattr(best_model, "type_pair_mask", None) or inputs.mask
        with accelerator.autocast():
            probs, final = validate(
                best_model,
                inputs.val_encoding.examples,
                inputs.val_examples,
                task=task,
                labels=labels,
                pad_token_id=pad_token_id,
                device=device,
                batching=batching,
                mask=best_mask,
                views=inputs.val_views,
                **validation_batching(config),
            )
        problem = reload_check(
            final, state.best_value, select=select, predictions=best_predictions,
            reloaded=probs.argmax(dim=-1).tolist(),
            exact=t.mixed_precision == "no" and (
                config.model.dtype == "float32"
                or (config.model.dtype == "auto" and device.type == "cpu")
            ),
        )
        if problem:
            message = f"{best_dir}: {problem}"
            warn_and_log(logger, message, stacklevel=2)
        write_predictions(
            run_dir / rundir.VAL_PREDICTIONS_FILE,
            predictions_from_probs(inputs.val_examples, probs.numpy(), labels=labels),
        )
        writer.log({"event": "final", "step": state.global_step, **final})
        writer.flush()
        decision = tune_run_threshold(best_dir, probs, inputs.val_examples, task=task,
                                      labels=labels, enabled=t.tune_threshold)
        summary[0] = {
            "status": "complete",
            "run_dir": str(run_dir),
            "global_step": state.global_step,
            "total_steps": schedule.total_steps,
            "epochs_completed": state.epoch,
            "stopped_early": state.stopped_early,
            "select_metric": select,
            "task": task.name,
            "best": {
                "step": state.best_step,
                "epoch": state.best_epoch,
                "value": state.best_value,
                "metrics": state.best_metrics,
            },
            "final": final,
            **decision,
            "n_train": len(data.train),
            "n_val": len(data.val),
            "effective_batch_size": effective_batch_size(config, accelerator.num_processes),
            "lr": t.lr,
            "method": config.model.method,
            "num_processes": accelerator.num_processes,
            "truncated": {
                "train": inputs.train_encoding.n_truncated,
                "val": inputs.val_encoding.n_truncated,
                "train_lost_mention": inputs.train_encoding.n_lost_mention,
                "val_lost_mention": inputs.val_encoding.n_lost_mention,
            },
            "examples_seen": state.examples_seen,
            "elapsed_s": time.perf_counter() - elapsed_since,
            **(throughput or {}),
            "notes": list(config.notes),
        }
        writer.write_summary(summary[0])
        writer.finish("complete")  # COMPLETE is written last
        del best_model
    broadcast_object_list(summary, from_process=0)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return summary[0]

