"""The training loop, written out in one function: :func:`train`.

Read :func:`train` top to bottom: config -> run directory -> data -> model -> encoding ->
batches -> optimizer/scheduler -> (resume) -> for each optimizer step: forward, loss,
accumulation, clipping, step, eval, checkpoint -> reload best -> validation predictions ->
summary -> ``COMPLETE``. There is no callback framework (torchtune recipes, nanoGPT).

Loss normalisation (so runs with different accumulation/process counts are comparable):
an optimizer step consumes a *window* of ``grad_accum_steps x num_processes`` batches whose
total example count ``N`` is known before the window starts (batches are planned per epoch).
Each micro-batch contributes ``sum(CE) / N`` (times ``num_processes``, because DDP averages
gradients over processes), so the step's gradient is exactly the mean over the window's
examples, whatever the batch sizes (length-grouped batches differ in size) and however the
window is split into micro-batches.

Resume: ``checkpoints/last`` holds the model (``RelationClassifier.save``), the trainable
parameters, the optimizer state (flattened to safetensors, never pickled), the scheduler
state, RNG states and the loop position as JSON. Batches are planned from ``seed + epoch``,
so the data order is recomputed, not stored. Resuming reproduces an uninterrupted run
exactly on CPU.

Error codes: E406 the data gives nothing to train on / labels outside ``data.labels``,
E407 a checkpoint cannot be resumed (mismatched parameters).
"""

from __future__ import annotations

import hashlib
import logging
import math
from contextlib import nullcontext
import random
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from relx import __version__, rundir
from relx._io import atomic_write_json, read_json
from relx.errors import ConfigError, RelxWarning, RunDirError
from relx.train._config import (
    RelxConfig,
    check_ready,
    check_truncation,
    config_to_yaml,
    effective_batch_size,
    load_config,
    resolve_config,
    val_split_index,
)
from relx.train._env import collect_environment
from relx.train._run import RunWriter, now_iso
from relx.train._tracking import TENSORBOARD_DIR, Progress, flat_config, tracker_names

__all__ = ["train", "load_examples", "plan_batches", "TRAINER_STATE_FILE"]

logger = logging.getLogger("relx.train")

#: Loop position, best-so-far and scheduler state of ``checkpoints/last`` (JSON).
TRAINER_STATE_FILE = "trainer_state.json"
#: Trainable parameters + optimizer tensors of ``checkpoints/last`` (safetensors).
TRAINER_TENSORS_FILE = "trainer_state.safetensors"
#: Per-process RNG states (``{rank}`` filled in).
RNG_FILE = "rng_state_{rank}.safetensors"
#: Type-pair mask of the run (also saved inside every checkpoint by the model).
TYPE_PAIR_FILE = rundir.TYPE_PAIR_FILE

# Metrics where lower is better; the others are maximised.
_MINIMISED = {"loss"}


# --------------------------------------------------------------------------------- data


def _read_examples(paths: Sequence[str], *, context: str) -> list[Any]:
    """Pair examples from split JSON files or any corpus format relx.data reads."""
    from relx.data import build_pairs
    from relx.data._read import detect_format, read_corpus
    from relx.data._split import read_split

    examples: list[Any] = []
    for path in paths:
        if detect_format(path) == "split_json":
            examples.extend(read_split(path))
        else:
            examples.extend(build_pairs(read_corpus([path]), context=context))
    return examples


def _corpus_splits(config: RelxConfig) -> list[list[Any]]:
    """Divide a corpus into ``n_splits`` document-level splits (relx.data's fold assignment).

    The same stratified assignment ``relx data build`` writes to disk, computed in memory,
    so a ``relx train`` on a corpus and a ``relx cv`` on the built splits see the same folds.
    """
    from relx.data import build_document_pairs
    from relx.data._folds import assign_document_folds
    from relx.data._read import read_corpus

    d = config.data
    by_doc = {
        doc.doc_id: build_document_pairs(doc, context=d.context)
        for doc in read_corpus(list(d.corpus_files))
    }
    fold_of = assign_document_folds(by_doc, n_folds=d.n_splits, seed=d.split_seed)
    splits: list[list[Any]] = [[] for _ in range(d.n_splits)]
    for doc_id, examples in by_doc.items():
        splits[fold_of[doc_id]].extend(examples)
    return splits


def load_examples(config: RelxConfig) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """The training and validation pair examples of this run's fold, and where they came from.

    Fold ``f`` of ``K`` splits validates on split ``(f + rotation) mod K`` and trains on the
    others (the users' protocol: fold 0 validates on split_4).

    Raises:
        ConfigError: [E406] no training or validation examples.
    """
    d = config.data
    if d.train_files:
        train_ex = _read_examples(d.train_files, context=d.context)
        val_ex = _read_examples(d.val_files, context=d.context)
        source = {"train_files": list(d.train_files), "val_files": list(d.val_files)}
    else:
        if d.split_files:
            splits = [_read_examples([p], context=d.context) for p in d.split_files]
            names = list(d.split_files)
        else:
            splits = _corpus_splits(config)
            names = [f"split_{i}" for i in range(len(splits))]
        k = len(splits)
        v = val_split_index(d.fold, k, d.rotation)
        val_ex = splits[v]
        train_ex = [ex for i, split in enumerate(splits) if i != v for ex in split]
        source = {
            "fold": d.fold,
            "n_splits": k,
            "val_split": names[v],
            "train_splits": [n for i, n in enumerate(names) if i != v],
        }
    for name, examples in (("training", train_ex), ("validation", val_ex)):
        if not examples:
            raise ConfigError(
                f"data: the {name} set is empty; expected pair examples in "
                f"{source}. Fix: check the files (relx data stats FILE)",
                code="E406",
            )
    return train_ex, val_ex, source


def plan_batches(
    lengths: Sequence[int],
    *,
    batch_size: int,
    max_tokens_per_batch: int | None,
    seed: int,
) -> list[list[int]]:
    """One epoch's batches (lists of example indices), deterministic for ``seed``.

    With a token budget, batches are length-grouped (``relx.represent``'s
    ``length_grouped_batches``): similar lengths share a batch, so little compute goes to
    padding. Without one, a seeded shuffle cut into ``batch_size`` chunks (the users' setup).
    """
    if max_tokens_per_batch is not None:
        from relx.represent import length_grouped_batches

        return [
            list(b)
            for b in length_grouped_batches(
                list(lengths),
                max_tokens_per_batch=max_tokens_per_batch,
                max_batch_size=batch_size,
                shuffle=True,
                seed=seed,
            )
        ]
    order = np.random.default_rng(seed).permutation(len(lengths)).tolist()
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _class_weights(labels: Sequence[int], num_labels: int) -> torch.Tensor:
    """sklearn's "balanced" weights n / (K * count); absent classes get 1 (never a target)."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_labels)
    present = counts > 0
    weights = np.ones(num_labels, dtype=np.float64)
    weights[present] = len(labels) / (present.sum() * counts[present])
    return torch.tensor(weights, dtype=torch.float32)


# ------------------------------------------------------------------------ checkpoints


def _flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split ``optimizer.state_dict()`` into tensors (safetensors) and JSON.

    Hand-rolled because torch.save would pickle; the optimizer state is a flat
    ``{param_index: {name: tensor|number}}`` plus JSON-ready ``param_groups``.
    """
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entry in state["state"].items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if not key.startswith("optim."):
            continue
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = value
    for index, entry in meta.get("scalars", {}).items():
        state.setdefault(int(index), {}).update(entry)
    return {"state": state, "param_groups": meta["param_groups"]}


def _rng_state() -> dict[str, torch.Tensor]:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            state[f"cuda.{i}"] = s
    np_state = np.random.get_state()
    state["numpy.keys"] = torch.from_numpy(np.asarray(np_state[1], dtype=np.int64))
    return state


def _rng_meta() -> dict[str, Any]:
    np_state = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    return {
        "numpy": [np_state[0], int(np_state[2]), int(np_state[3]), float(np_state[4])],
        "python": [py_version, list(py_state), py_gauss],
    }


def _set_rng(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["torch"])
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("cuda."))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    name, pos, has_gauss, cached = meta["numpy"]
    keys = tensors["numpy.keys"].numpy().astype(np.uint32)
    np.random.set_state((name, keys, pos, has_gauss, cached))
    version, state, gauss = meta["python"]
    random.setstate((version, tuple(state), gauss))


def _save_last(
    directory: Path,
    *,
    accelerator: Any,
    model: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    loop_state: dict[str, Any],
    checkpoint_meta: dict[str, Any],
) -> None:
    """Write ``checkpoints/last``: model files, trainer tensors + JSON, one RNG file per rank.

    ``checkpoint.json`` is removed first and written last, so a half-written ``last`` is
    never taken for a resumable one.
    """
    rank = accelerator.process_index
    if accelerator.is_main_process:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / rundir.CHECKPOINT_META_FILE).unlink(missing_ok=True)
    accelerator.wait_for_everyone()
    rng_meta = _rng_meta()
    save_file(_rng_state(), str(directory / RNG_FILE.format(rank=rank)))
    atomic_write_json(directory / f"rng_state_{rank}.json", rng_meta)
    if accelerator.is_main_process:
        unwrapped = accelerator.unwrap_model(model)
        unwrapped.save(directory)
        # The trainable parameters again, by name: resuming rebuilds the model with
        # build_classifier (trainable flags, peft wrapping) and loads these into it, so it
        # never depends on how an inference load sets requires_grad.
        tensors = {
            f"param.{name}": p.detach().cpu().contiguous()
            for name, p in unwrapped.named_parameters()
            if p.requires_grad
        }
        optim_tensors, optim_meta = _flatten_optimizer(optimizer.state_dict())
        tensors.update(optim_tensors)
        tmp = directory / f".{TRAINER_TENSORS_FILE}.tmp"
        save_file(tensors, str(tmp))
        tmp.replace(directory / TRAINER_TENSORS_FILE)
        scaler = getattr(accelerator, "scaler", None)
        atomic_write_json(
            directory / TRAINER_STATE_FILE,
            {
                **loop_state,
                "optimizer": optim_meta,
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else None,
            },
        )
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        atomic_write_json(directory / rundir.CHECKPOINT_META_FILE, checkpoint_meta)
    accelerator.wait_for_everyone()


def _load_last(
    directory: Path,
    *,
    accelerator: Any,
    model: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
) -> dict[str, Any]:
    """Restore ``checkpoints/last`` into a freshly built model/optimizer/scheduler.

    Raises:
        RunDirError: [E407] the checkpoint's parameters do not match the model.
    """
    state = read_json(directory / TRAINER_STATE_FILE)
    tensors = load_file(str(directory / TRAINER_TENSORS_FILE))
    unwrapped = accelerator.unwrap_model(model)
    params = dict(unwrapped.named_parameters())
    saved = {k[len("param.") :]: v for k, v in tensors.items() if k.startswith("param.")}
    expected = {n for n, p in params.items() if p.requires_grad}
    if set(saved) != expected:
        missing = sorted(expected - set(saved))[:3]
        extra = sorted(set(saved) - expected)[:3]
        raise RunDirError(
            f"{directory}: checkpoint parameters do not match the model built from the config "
            f"(missing {missing}, unexpected {extra}); expected the same model settings",
            code="E407",
            hint="resume with the run's own config.resolved.yaml, or start a new run",
        )
    with torch.no_grad():
        for name, value in saved.items():
            params[name].copy_(value.to(params[name].device, params[name].dtype))
    optimizer.load_state_dict(_unflatten_optimizer(tensors, state["optimizer"]))
    scheduler.load_state_dict(state["scheduler"])
    scaler = getattr(accelerator, "scaler", None)
    if scaler is not None and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    rank = accelerator.process_index
    rng_path = directory / RNG_FILE.format(rank=rank)
    if rng_path.is_file():
        _set_rng(load_file(str(rng_path)), read_json(directory / f"rng_state_{rank}.json"))
    return state


# --------------------------------------------------------------------------- evaluation


@torch.no_grad()
def _predict_probs(
    model: Any,
    encoded: Sequence[Any],
    *,
    batch_size: int,
    pad_token_id: int,
    device: torch.device,
    mask: Any = None,
) -> tuple[torch.Tensor, float]:
    """Class probabilities for encoded examples (input order) and their mean CE loss.

    Sorted by length into batches (less padding), then put back in input order. The loss is
    computed before the type-pair mask (the model's own calibration); probabilities after.
    """
    from relx.represent import collate_padded

    was_training = model.training
    model.eval()
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
    probs = torch.zeros(len(encoded), model.num_labels)
    loss_sum, n_labelled = 0.0, 0
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        chunk = [encoded[i] for i in idx]
        batch = collate_padded(chunk, pad_token_id=pad_token_id, padding_side="right")
        labels = batch.pop("labels", None)
        batch = {k: v.to(device) for k, v in batch.items()}
        logits = model(batch).float()
        if labels is not None:
            labels = labels.to(device)
            valid = labels >= 0
            if valid.any():
                loss_sum += float(F.cross_entropy(logits[valid], labels[valid], reduction="sum"))
                n_labelled += int(valid.sum())
        if mask is not None:
            logits = mask.apply(logits, [e.type_pair for e in chunk])
        probs[idx] = torch.softmax(logits, dim=-1).cpu()
    model.train(was_training)
    return probs, loss_sum / max(n_labelled, 1)


def _score(
    probs: torch.Tensor, examples: Sequence[Any], labels: Sequence[str], loss: float
) -> dict[str, Any]:
    """iKraph pair metrics (relx.evaluate) of arg-max predictions, plus the loss."""
    from relx.evaluate import pair_metrics

    pred = [labels[i] for i in probs.argmax(dim=-1).tolist()]
    gold = [ex.label for ex in examples]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an untrained model predicting no positive is normal
        metrics = pair_metrics(gold, pred, labels=[lab for lab in labels if lab != labels[0]])
    return {
        "precision": metrics["precision"],
        "recall": metrics["recall"],
        "f1": metrics["f1"],
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics.get("macro_f1"),
        "tp": metrics["tp"],
        "fp": metrics["fp"],
        "fn": metrics["fn"],
        "loss": loss,
        "per_class_f1": {k: v["f1"] for k, v in metrics["per_class"].items()},
    }


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _add_note(config: RelxConfig, message: str) -> None:
    """Log a derived fact and record it in the resolved config's notes (once)."""
    logger.info(message)
    if message not in config.notes:
        config.notes = [*config.notes, message]


def _better(metrics: dict[str, Any], best: dict[str, Any] | None, metric: str) -> bool:
    """The best-checkpoint rule: a better ``metric``; on a tie, a lower validation loss.

    The tie-break matters early on, when several evaluations all score F1 = 0: the model
    with the lower loss is the more trained one, not the first.
    """
    if best is None:
        return True
    value, previous = metrics[metric], best[metric]
    if metric in _MINIMISED:
        return value < previous
    return value > previous or (value == previous and metrics["loss"] < best["loss"])


# --------------------------------------------------------------------------------- train


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
        resume: Continue from ``run_dir/checkpoints/last``.
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
    from accelerate import Accelerator
    from accelerate.utils import ProjectConfiguration, broadcast_object_list, set_seed

    from relx.models import TypePairMask, build_classifier, load_classifier
    from relx.represent import collate_padded, encode_examples, marker_tokens

    t_start = time.perf_counter()
    run_dir = Path(run_dir)

    # ---- 1. config: the saved one on resume, else validated + resolved -------------------
    if resume and (run_dir / rundir.CONFIG_FILE).is_file():
        saved = load_config(run_dir / rundir.CONFIG_FILE)
        if config is not None:
            given = load_config(config) if not isinstance(config, RelxConfig) else config
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RelxWarning)
                ours = resolve_config(given).model_dump(exclude={"notes", "tracking"})
            if ours != saved.model_dump(exclude={"notes", "tracking"}):
                message = (
                    f"{run_dir}: --resume continues the run as it was configured "
                    f"({rundir.CONFIG_FILE}); the given config/--set values differ and have "
                    f"no effect"
                )
                warnings.warn(message, RelxWarning, stacklevel=2)
                logger.warning(message)
        config = saved
    elif not isinstance(config, RelxConfig):
        config = load_config(config)
    check_ready(config)
    t = config.train

    trackers = tracker_names(
        tensorboard=bool(config.tracking.tensorboard), mlflow=config.tracking.mlflow
    )
    accelerator = Accelerator(
        # cpu=True without CUDA: accelerate then runs gloo DDP under torchrun/accelerate
        # launch (otherwise every CPU process believes it is the only one).
        cpu=not torch.cuda.is_available(),
        mixed_precision=t.mixed_precision if t.mixed_precision != "auto" else None,
        log_with=trackers or None,
        project_config=ProjectConfiguration(
            project_dir=str(run_dir), logging_dir=str(run_dir / TENSORBOARD_DIR)
        ),
    )
    main = accelerator.is_main_process
    n_proc = accelerator.num_processes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RelxWarning)  # recorded in notes; logged already
        config = resolve_config(config, num_processes=n_proc)
    t = config.train
    labels = list(config.data.labels)

    # ---- 2. run directory (main process writes; others only read) ----------------------
    writer = RunWriter(run_dir) if main else None
    if main:
        writer.start(resume=resume)
    accelerator.wait_for_everyone()
    if not resume and not main and not (run_dir / rundir.RUN_FILE).exists():
        raise RunDirError(f"{run_dir}: main process did not create the run", code="E601")

    # ---- 3. data, model, encoding ----------------------------------------------------------
    set_seed(t.seed)  # python, numpy, torch (and CUDA): head init, dropout
    train_ex, val_ex, data_source = load_examples(config)
    unknown = sorted({ex.label for ex in (*train_ex, *val_ex)} - set(labels))
    if unknown:
        raise ConfigError(
            f"data.labels: expected every gold label in it; got examples labelled {unknown}. "
            f"Fix: add them to data.labels",
            code="E406",
        )
    m = config.model
    style = config.represent.style
    markers: tuple[str, ...] = tuple(marker_tokens(style)) if m.add_marker_tokens else ()
    model, tokenizer = build_classifier(
        model_name_or_path=m.model_name_or_path,
        gguf_file=m.gguf_file,
        head=m.head,
        labels=labels,
        method=m.method,
        lora_r=m.lora.r,
        lora_alpha=m.lora.alpha,
        lora_dropout=m.lora.dropout,
        target_modules=m.lora.target_modules,
        marker_tokens=markers,
        dtype=m.dtype,
    )
    for name, choice in (getattr(model.info, "choices", None) or {}).items():
        _add_note(config, f"model.{name}={choice}")  # dtype, pad token...: chosen by relx.models
    # Saved with every checkpoint, so `relx predict` rebuilds the same inputs from the model.
    model.info.representation = {
        "style": style,
        "prompt": config.represent.prompt,
        "max_length_tokens": config.represent.max_length_tokens,
        "use_chat_template": config.represent.use_chat_template,
        "context": config.data.context,
        "padding_side": "right",
    }
    chat = None if config.represent.use_chat_template else False
    enc_args = dict(
        style=style,
        prompt=config.represent.prompt,
        labels=labels,
        max_length_tokens=config.represent.max_length_tokens,
        chat_template=chat,
    )
    train_enc = encode_examples(train_ex, tokenizer, **enc_args)
    val_enc = encode_examples(val_ex, tokenizer, **enc_args)
    for split, result in (("training", train_enc), ("validation", val_enc)):
        check_truncation(config, result.n_truncated, len(result.examples), split=split)
    encoded = train_enc.examples
    mask = TypePairMask.from_examples(train_ex, labels) if m.type_pair_constraint else None
    model.type_pair_mask = mask
    if mask is not None and t.skip_masked_pairs:
        kept = [e for e in encoded if not mask.only_not(*e.type_pair)]
        _add_note(
            config,
            f"train.skip_masked_pairs: trained on {len(kept):,} of {len(encoded):,} pairs; the "
            f"other {len(encoded) - len(kept):,} have an entity-type pair that never carries a "
            "relation in training, so the type-pair constraint predicts NOT for them anyway",
        )
        encoded = kept
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    trainable, total = model.parameter_counts()
    _add_note(
        config,
        f"parameters: {trainable:,} trainable of {total:,} "
        f"({100 * trainable / max(total, 1):.2f}%)",
    )

    # What a checkpoint came from (style: checkpoints carry config hash + data fingerprint).
    fingerprint = {
        "relx_version": __version__,
        "config_sha256": _sha256(config_to_yaml(config.model_copy(update={"notes": []}))),
        "train_sha256": _sha256("\n".join(sorted(e.relation_id for e in train_ex))),
        "val_sha256": _sha256("\n".join(sorted(e.relation_id for e in val_ex))),
    }

    # ---- 4. batch plan: every epoch's batches, fixed by seed + epoch -----------------------
    lengths = [len(e.input_ids) for e in encoded]
    plans = [
        plan_batches(
            lengths,
            batch_size=t.batch_size,
            max_tokens_per_batch=t.max_tokens_per_batch,
            seed=t.seed + epoch,
        )
        for epoch in range(t.epochs)
    ]
    window = t.grad_accum_steps * n_proc  # batches per optimizer step, all processes
    steps_per_epoch = [math.ceil(len(p) / window) for p in plans]
    total_steps = sum(steps_per_epoch)
    if t.max_steps is not None:
        total_steps = min(total_steps, t.max_steps)
    warmup = (
        t.warmup_steps if t.warmup_steps is not None else math.ceil(t.warmup_ratio * total_steps)
    )
    _add_note(
        config,
        f"optimizer steps={total_steps} ({steps_per_epoch[0]} per epoch x {t.epochs} epochs"
        + (", capped by train.max_steps" if t.max_steps else "")
        + f"), warmup={warmup}",
    )

    # ---- 5. optimizer, scheduler, class weights ----------------------------------------------
    from transformers import get_scheduler

    # Decay only matrices (nanoGPT/HF practice): biases and norm weights are not decayed.
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": t.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=t.lr,
    )
    scheduler = get_scheduler(
        t.scheduler if t.scheduler != "constant" else "constant_with_warmup",
        optimizer=optimizer,
        num_warmup_steps=warmup,
        num_training_steps=total_steps,
    )
    weight = None
    if t.class_weights == "balanced":
        weight = _class_weights([e.label for e in encoded], len(labels))
    # The scheduler is not prepared: accelerate would step it once per process.
    model, optimizer = accelerator.prepare(model, optimizer)
    device = accelerator.device
    if weight is not None:
        weight = weight.to(device)

    # ---- 6. fresh start or resume ----------------------------------------------------------------
    loop: dict[str, Any] = {
        "global_step": 0,
        "epoch": 0,
        "batch_in_epoch": 0,
        "best_value": None,
        "best_step": None,
        "best_epoch": None,
        "best_metrics": None,
        "evals_without_improvement": 0,
        "stopped_early": False,
        "examples_seen": 0,
    }
    last_dir = run_dir / rundir.DIR_LAST
    best_dir = run_dir / rundir.DIR_BEST
    if resume:
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
        restored = _load_last(
            last_dir, accelerator=accelerator, model=model, optimizer=optimizer, scheduler=scheduler
        )
        loop.update({k: restored[k] for k in loop if k in restored})
        if main:
            writer.load_events(up_to_step=loop["global_step"])
        logger.info(f"resumed at optimizer step {loop['global_step']} (epoch {loop['epoch']})")
    if main:
        writer.write_config(config_to_yaml(config))
        writer.write_environment(
            collect_environment(num_processes=n_proc, mixed_precision=t.mixed_precision)
        )
        if mask is not None:
            writer.write_json(TYPE_PAIR_FILE, mask.to_json())
        writer.write_json(
            rundir.DATA_FILE,
            {
                **data_source,
                "n_train": len(train_ex),
                "n_val": len(val_ex),
                "train_encoding": train_enc.summary(),
                "val_encoding": val_enc.summary(),
            },
        )
    if trackers:
        accelerator.init_trackers("relx", config=flat_config(config.model_dump(mode="json")))

    bar = Progress(
        total_steps=total_steps, start_step=loop["global_step"], enabled=progress and main
    )
    eval_bs = t.eval_batch_size or 2 * t.batch_size
    select = t.select_metric
    _add_note(
        config,
        f"best checkpoint = {'lowest' if select in _MINIMISED else 'highest'} validation "
        f"{select}" + ("" if select in _MINIMISED else " (ties: lower validation loss)")
        + ("; f1 = iKraph pair micro F1 over the positive labels" if select == "f1" else ""),
    )
    steps_this_session = 0
    status = "complete"

    def evaluate_and_checkpoint(epoch_done: float) -> bool:
        """Eval on main (see below), log, keep best, save last; True = stop early.

        Evaluation runs on the main process only, on the *unwrapped* module: the metric
        needs every validation example in one place, and no DDP collective runs inside the
        inner module's forward, so the other ranks simply wait. The decision (improved,
        stop) is broadcast so every rank takes the same branch.
        """
        step = loop["global_step"]
        decision = [None]
        if main:
            probs, val_loss = _predict_probs(
                accelerator.unwrap_model(model),
                val_enc.examples,
                batch_size=eval_bs,
                pad_token_id=pad_id,
                device=device,
                mask=mask,
            )
            metrics = _score(probs, val_ex, labels, val_loss)
            value = metrics[select]
            improved = _better(metrics, loop["best_metrics"], select)
            writer.log({"event": "eval", "step": step, "epoch": epoch_done, **metrics})
            if accelerator.trackers:
                accelerator.log({f"val/{k}": metrics[k] for k in ("f1", "precision", "recall",
                                                                  "loss")}, step=step)
            bar.message(
                f"step {step}  val f1 {metrics['f1']:.4f}  P {metrics['precision']:.4f}  "
                f"R {metrics['recall']:.4f}  loss {val_loss:.4f}" + ("  *best" if improved else "")
            )
            decision = [{"improved": improved, "value": value, "metrics": metrics}]
        broadcast_object_list(decision, from_process=0)
        result = decision[0]
        if result["improved"]:
            loop.update(
                best_value=result["value"],
                best_step=step,
                best_epoch=epoch_done,
                best_metrics={k: v for k, v in result["metrics"].items() if k != "per_class_f1"},
                evals_without_improvement=0,
            )
            # The best checkpoint is chosen and written by the main process only.
            if main:
                (best_dir / rundir.CHECKPOINT_META_FILE).unlink(missing_ok=True)
                accelerator.unwrap_model(model).save(best_dir)
                atomic_write_json(
                    best_dir / rundir.CHECKPOINT_META_FILE,
                    {
                        "kind": "best",
                        "step": step,
                        "epoch": epoch_done,
                        "select_metric": select,
                        "value": result["value"],
                        "metrics": loop["best_metrics"],
                        "saved": now_iso(),
                        **fingerprint,
                    },
                )
            accelerator.wait_for_everyone()
        else:
            loop["evals_without_improvement"] += 1
        patience = t.early_stopping_patience
        stop = patience is not None and loop["evals_without_improvement"] >= patience
        if stop:
            loop["stopped_early"] = True
        save_last_checkpoint()
        return stop

    def save_last_checkpoint() -> None:
        _save_last(
            last_dir,
            accelerator=accelerator,
            model=model,
            optimizer=optimizer,
            scheduler=scheduler,
            loop_state=dict(loop),
            checkpoint_meta={
                "kind": "last",
                "step": loop["global_step"],
                "epoch": loop["epoch"],
                "batch_in_epoch": loop["batch_in_epoch"],
                "saved": now_iso(),
                **fingerprint,
            },
        )
        if main:
            writer.flush()

    def session_over() -> bool:
        """The test/time-limit hook: this call's share of optimizer steps is done."""
        return max_steps_this_session is not None and steps_this_session >= max_steps_this_session

    # ---- 7. the loop -----------------------------------------------------------------------------
    model.train()
    stop = loop["stopped_early"] or loop["global_step"] >= total_steps
    try:
        while not stop and loop["epoch"] < t.epochs:
            epoch = loop["epoch"]
            plan = plans[epoch]
            while loop["batch_in_epoch"] < len(plan):
                start = loop["batch_in_epoch"]
                window_batches = plan[start : start + window]
                # N: examples in this optimizer step over all processes (module docstring).
                n_window = sum(len(b) for b in window_batches)
                loss_sum = torch.zeros((), device=device)
                for micro in range(t.grad_accum_steps):
                    # Rank r takes batches micro*P + r of the window. A rank left without a
                    # batch (the epoch's last window) runs a batch with weight 0, so every
                    # rank runs the same forward/backward count (DDP would hang otherwise).
                    slot = micro * n_proc + accelerator.process_index
                    real = slot < len(window_batches)
                    if not real and n_proc == 1:
                        break
                    idx = window_batches[slot] if real else window_batches[0]
                    batch = collate_padded(
                        [encoded[i] for i in idx], pad_token_id=pad_id, padding_side="right"
                    )
                    batch = {k: v.to(device) for k, v in batch.items()}
                    targets = batch.pop("labels")
                    last_micro = micro == t.grad_accum_steps - 1 or (
                        n_proc == 1 and slot + 1 >= len(window_batches)
                    )
                    # Gradients are all-reduced only on the window's last micro-batch.
                    sync_ctx = accelerator.no_sync(model) if not last_micro else nullcontext()
                    with sync_ctx:
                        # forward (autocast by accelerate under mixed precision)
                        logits = model(batch).float()
                        # loss: sum of per-example CE over this micro-batch, divided by the
                        # window's example count N; times P because DDP averages gradients.
                        ce = F.cross_entropy(
                            logits,
                            targets,
                            weight=weight,
                            label_smoothing=t.label_smoothing,
                            reduction="sum",
                        )
                        scale = (n_proc / n_window) if real else 0.0
                        accelerator.backward(ce * scale)
                    if real:
                        loss_sum += ce.detach()
                # clipping (unscales fp16 gradients first), then step
                grad_norm = None
                if t.max_grad_norm is not None:
                    grad_norm = accelerator.clip_grad_norm_(model.parameters(), t.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                loop["global_step"] += 1
                loop["batch_in_epoch"] = start + len(window_batches)
                loop["examples_seen"] += n_window
                steps_this_session += 1
                step = loop["global_step"]
                # mean training loss per example of this step, over all processes
                step_loss = float(accelerator.reduce(loss_sum, reduction="sum")) / n_window
                lr = scheduler.get_last_lr()[0]
                if main:
                    event = {
                        "event": "train",
                        "step": step,
                        "epoch": epoch + loop["batch_in_epoch"] / len(plan),
                        "loss": step_loss,
                        "lr": lr,
                        "examples": n_window,
                    }
                    if grad_norm is not None:
                        event["grad_norm"] = float(grad_norm)
                    writer.log(event)
                    if accelerator.trackers:
                        accelerator.log({"train/loss": step_loss, "train/lr": lr}, step=step)
                    bar.update(step=step, loss=step_loss, lr=lr, examples=n_window)
                epoch_end = loop["batch_in_epoch"] >= len(plan)
                epoch_progress = epoch + loop["batch_in_epoch"] / len(plan)
                if epoch_end:
                    loop["epoch"] += 1
                    loop["batch_in_epoch"] = 0
                last_step = step >= total_steps
                every = t.eval_every_steps
                due = (every is not None and step % every == 0) or (every is None and epoch_end)
                if due or last_step:
                    stop = evaluate_and_checkpoint(epoch_progress)
                if last_step:
                    stop = True
                if stop or epoch_end:
                    break
                if session_over():
                    break
            if session_over():
                if not stop and loop["global_step"] < total_steps:
                    status = "interrupted"
                    save_last_checkpoint()
                break
    except BaseException as error:
        # Record how the run ended; checkpoints/last (if any) stays resumable.
        if main:
            writer.flush()
            writer.finish("interrupted" if isinstance(error, KeyboardInterrupt) else "failed")
        raise
    finally:
        bar.close()

    if status == "interrupted":
        if main:
            writer.flush()
            writer.finish("interrupted")
        accelerator.end_training()
        return {
            "status": "interrupted",
            "global_step": loop["global_step"],
            "run_dir": str(run_dir),
        }

    # ---- 8. reload best, predict validation, summary ------------------------------------------
    # The final validation predictions come from the *saved* best checkpoint, loaded fresh
    # with load_classifier on the main process only. No DDP wrapper or stale reference to the
    # training model is involved (the origin document's reload bug cannot happen), and the
    # files users will load are the ones that are scored.
    summary: list[Any] = [None]
    # Free the training model and optimizer first: an 8B base must not be held twice.
    model = optimizer = None
    accelerator.free_memory()
    if main:
        best_model, _, _ = load_classifier(best_dir, device=device)
        best_mask = getattr(best_model, "type_pair_mask", None) or mask
        probs, val_loss = _predict_probs(
            best_model, val_enc.examples, batch_size=eval_bs, pad_token_id=pad_id,
            device=device, mask=best_mask,
        )
        final = _score(probs, val_ex, labels, val_loss)
        recorded = loop["best_value"]
        if recorded is not None and abs(final[select] - recorded) > 1e-6:
            message = (
                f"{best_dir}: reloaded best checkpoint scores {select}={final[select]:.6f} but "
                f"{recorded:.6f} at training time; the saved model differs from the trained one"
            )
            warnings.warn(message, RelxWarning, stacklevel=2)
            logger.warning(message)
        from relx.evaluate import predictions_from_probs, write_predictions

        write_predictions(
            run_dir / rundir.VAL_PREDICTIONS_FILE,
            predictions_from_probs(val_ex, probs.numpy(), labels=labels),
        )
        writer.log({"event": "final", "step": loop["global_step"], **final})
        writer.flush()
        elapsed = time.perf_counter() - t_start
        summary[0] = {
            "status": "complete",
            "run_dir": str(run_dir),
            "global_step": loop["global_step"],
            "total_steps": total_steps,
            "epochs_completed": loop["epoch"],
            "stopped_early": loop["stopped_early"],
            "select_metric": select,
            "best": {
                "step": loop["best_step"],
                "epoch": loop["best_epoch"],
                "value": loop["best_value"],
                "metrics": loop["best_metrics"],
            },
            "final": final,
            "n_train": len(train_ex),
            "n_val": len(val_ex),
            "effective_batch_size": effective_batch_size(config, n_proc),
            "lr": t.lr,
            "method": m.method,
            "num_processes": n_proc,
            "truncated": {
                "train": train_enc.n_truncated,
                "val": val_enc.n_truncated,
                "train_lost_mention": train_enc.n_lost_mention,
                "val_lost_mention": val_enc.n_lost_mention,
            },
            "examples_seen": loop["examples_seen"],
            "elapsed_s": elapsed,
            "notes": list(config.notes),
        }
        writer.write_config(config_to_yaml(config))
        writer.write_summary(summary[0])
        writer.finish("complete")  # COMPLETE is written last
        del best_model
    broadcast_object_list(summary, from_process=0)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return summary[0]
