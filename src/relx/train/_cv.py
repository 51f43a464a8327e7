"""Cross-validation: every fold of the users' rotation, one run directory each, one summary.

The users' protocol (docs/formats.md §2): K document-level splits; fold ``f`` trains on the
other K-1 splits and validates on split ``(f + 4) mod K`` (``data.rotation``; fold 0
validates on ``split_4``). :func:`cross_validate` runs the requested folds, each a plain
:func:`relx.train.train` run in ``DIR/fold_{k}`` (in this process, or as subprocesses one
per GPU, or data-parallel over N GPUs through ``accelerate launch``), then scores every
fold's saved validation predictions with the iKraph pair protocol (``relx.evaluate``) and
writes ``DIR/cv_summary.json``: per fold and mean ± std of precision, recall and F1, and
per-class F1.

Layout of a CV directory (names from :mod:`relx.rundir`)::

    DIR/
      cv.json              CV_FILE: what was asked (config source, folds, K, rotation), status
      splits/              split_0.json..split_{K-1}.json when the config named a corpus
      configs/fold_{k}.yaml  the resolved-per-fold config each fold ran with (a scheduler can
                           run these itself: ``relx train DIR/configs/fold_2.yaml --out ...``)
      logs/fold_{k}.log    worker output (subprocess modes) or the traceback of a failed fold
      fold_{k}/            a complete relx run directory
      cv_summary.json      CV_SUMMARY_FILE
      novelty/             with ``cv.tasks: [relation, novelty]``: the novelty task's CV
                           directory on the same folds (relx.train._cv_tasks)

Resumable: a fold whose ``COMPLETE`` marker exists is not trained again; an unfinished fold
with a ``last`` checkpoint resumes from it.
"""

from __future__ import annotations

import logging
import math
import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relx import __version__
from relx._io import atomic_write_json, atomic_write_text, read_json
from relx._lock import lock_directory, release_directory
from relx.errors import ConfigError, RelxError
from relx.labels import NOT_LABEL, POSITIVE_LABELS
from relx.rundir import (
    COMPLETE_MARKER,
    CONFIG_FILE,
    CV_FILE,
    CV_SUMMARY_FILE,
    DIR_LAST,
    RUN_FORMAT_VERSION,
    SUMMARY_FILE,
    VAL_PREDICTIONS_FILE,
    fold_dir_name,
)
from relx.train._config import (
    RelxConfig,
    config_to_yaml,
    load_config,
    val_split_index,
)
from relx.train._cv_tasks import other_tasks, task_cv_config
from relx.train._launch import Job, JobResult, parse_gpus, run_jobs
from relx.train._presets import resolve_config_path, resolve_package_path

__all__ = [
    "FoldOutcome",
    "load_config_file",
    "fold_splits",
    "summarize_folds",
    "fold_metrics",
    "cross_validate",
    "quickstart",
    "QUICKSTART_PRESET",
]

logger = logging.getLogger("relx.train")

#: Metrics summarised across folds (mean ± sample std), all iKraph pair protocol.
SUMMARY_METRICS = ("precision", "recall", "f1", "accuracy")

SPLITS_DIR = "splits"
CONFIGS_DIR = "configs"
LOGS_DIR = "logs"

TrainFn = Callable[..., Any]


def load_config_file(
    source: str | os.PathLike[str] | RelxConfig | dict[str, Any],
    overrides: Sequence[str] = (),
) -> RelxConfig:
    """Load a config file *or a preset name*, apply ``--set`` overrides, expand ``pkg:`` paths.

    The one entry point the cv/sweep/quickstart commands and the subprocess workers use, so
    that ``relx cv biored/minilm`` and ``relx cv my.yaml`` behave the same.

    Raises:
        ConfigError: unknown file/preset, invalid YAML or values (one line per problem).
    """
    if isinstance(source, (RelxConfig, dict)):
        config = load_config(source, list(overrides))
    else:
        config = load_config(resolve_config_path(source), list(overrides))
    path = config.model.model_name_or_path
    if path:
        resolved = resolve_package_path(path)
        if resolved != path:
            config.model.model_name_or_path = resolved
    return config


def fold_splits(fold: int, n_splits: int, rotation: int = 4) -> tuple[list[int], int]:
    """Train and validation split indices of ``fold``: ``([others], (fold + rotation) % K)``.

    >>> fold_splits(0, 5)
    ([0, 1, 2, 3], 4)
    >>> fold_splits(1, 5)
    ([1, 2, 3, 4], 0)
    """
    val = val_split_index(fold, n_splits, rotation)
    return [i for i in range(n_splits) if i != val], val


@dataclass
class FoldOutcome:
    """What happened to one fold: ``complete``, ``skipped`` (already complete) or ``failed``."""

    fold: int
    status: str
    run_dir: Path
    val_split: int
    seconds: float | None = None
    error: str | None = None
    log_path: Path | None = None
    devices: str = ""


# --------------------------------------------------------------------------- metrics


def run_positive_labels(run_dir: Path) -> tuple[str, ...]:
    """The positive labels of a run, asked of its task (``config.resolved.yaml``); the
    built-in relation types when the run has no readable config."""
    from relx.tasks import get_task

    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        return POSITIVE_LABELS
    config = load_config(path)
    task = get_task(config.task)
    scored = getattr(task, "scored_labels", None)  # novelty: F1 of Novel, not of both classes
    if scored:
        return tuple(scored)
    return tuple(lab for lab in task.labels(config.data.labels) if lab != task.negative_label)


def fold_metrics(
    run_dir: Path,
    *,
    labels: Sequence[str] | None = None,
    gold_pred_out: tuple[list[str], list[str]] | None = None,
) -> dict[str, Any]:
    """Score a finished fold's ``predictions/val.jsonl`` by the iKraph pair protocol.

    Rescoring the saved predictions (rather than trusting each run's own summary) makes the
    CV table use one metric definition for every fold, whatever wrote the run.

    Args:
        run_dir: A complete run directory.
        labels: Positive labels of the protocol; None = the run's task's (run_positive_labels).
        gold_pred_out: Lists to which the gold and predicted labels are appended.

    Raises:
        RunDirError/DataError: the predictions file is missing or malformed.
    """
    from relx.evaluate import pair_metrics, read_predictions

    records = read_predictions(run_dir / VAL_PREDICTIONS_FILE)
    gold = [r.gold or NOT_LABEL for r in records]
    pred = [r.pred for r in records]
    if gold_pred_out is not None:  # the caller pools every fold's predictions
        gold_pred_out[0].extend(gold)
        gold_pred_out[1].extend(pred)
    if labels is None:
        labels = run_positive_labels(run_dir)
    return pair_metrics(gold, pred, labels=labels, warn=False)


def _mean_std(values: Sequence[float]) -> dict[str, float]:
    n = len(values)
    mean = sum(values) / n if n else math.nan
    # Sample standard deviation (ddof=1), as CV tables in papers report; 0 for one fold.
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "std": std}


def summarize_folds(
    per_fold: dict[int, dict[str, Any]],
    *,
    labels: Sequence[str] = POSITIVE_LABELS,
    pooled: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Per-fold and mean ± std (sample std) of P/R/F1/accuracy, and per-class F1.

    Args:
        per_fold: fold -> :func:`relx.evaluate.pair_metrics`-style dict (``precision``,
            ``recall``, ``f1``, ``accuracy``, ``per_class``).
        labels: Positive labels whose per-class F1 is summarised.
        pooled: Optional metrics over all folds' predictions concatenated.

    Returns:
        A JSON-ready dict with ``folds`` (per fold), ``mean``/``std`` (per metric),
        ``per_class`` (label -> per-fold F1, mean, std, total support) and ``pooled``.
    """
    folds = sorted(per_fold)
    out: dict[str, Any] = {
        "protocol": "ikraph_pair",
        "n_folds": len(folds),
        "folds": {},
        "mean": {},
        "std": {},
        "per_class": {},
    }
    for k in folds:
        m = per_fold[k]
        out["folds"][str(k)] = {
            **{name: float(m.get(name, math.nan)) for name in SUMMARY_METRICS},
            "n": int(m.get("n", 0)),
            "per_class_f1": {
                lab: float(m.get("per_class", {}).get(lab, {}).get("f1", 0.0)) for lab in labels
            },
        }
    for name in SUMMARY_METRICS:
        stats = _mean_std([out["folds"][str(k)][name] for k in folds])
        out["mean"][name] = stats["mean"]
        out["std"][name] = stats["std"]
    for lab in labels:
        f1s = [out["folds"][str(k)]["per_class_f1"][lab] for k in folds]
        support = sum(
            int(per_fold[k].get("per_class", {}).get(lab, {}).get("support", 0)) for k in folds
        )
        out["per_class"][lab] = {"f1": f1s, **_mean_std(f1s), "support": support}
    if pooled is not None:
        out["pooled"] = {name: float(pooled.get(name, math.nan)) for name in SUMMARY_METRICS}
    return out


# --------------------------------------------------------------------------- data


def _build_splits(config: RelxConfig, out: Path, n_splits: int) -> list[str]:
    """Build ``split_0..split_{K-1}.json`` from ``data.corpus_files`` under ``out``, once.

    Uses ``relx.data``'s fold builder (document-level, stratified so that rare relation
    types spread over the folds, seeded by ``data.split_seed``), which also writes a
    ``manifest.json`` with the source hashes. Reused when the manifest is already there
    (resumability): the builder writes the manifest last, so its presence means whole files.
    """
    from relx.data import MANIFEST_FILE, build_folds, split_file_name

    paths = [out / split_file_name(k) for k in range(n_splits)]
    if (out / MANIFEST_FILE).is_file() and all(p.is_file() for p in paths):
        return [str(p) for p in paths]
    result = build_folds(list(config.data.corpus_files), out_dir=out, n_folds=n_splits,
                         context=config.data.context, seed=config.data.split_seed,
                         force=True)  # relx's own folder; an interrupted build has no manifest
    return [str(p) for p in result.files]


# --------------------------------------------------------------------------- orchestration


def _fold_config(config: RelxConfig, fold: int) -> RelxConfig:
    fold_config = config.model_copy(deep=True)
    fold_config.data.fold = fold
    fold_config.cv.folds = [fold]
    return fold_config


def _train_in_process(
    train_fn: TrainFn, config: RelxConfig, run_dir: Path, *, resume: bool, progress: bool
) -> None:
    train_fn(config, run_dir=run_dir, resume=resume, progress=progress)


def cross_validate(
    config: RelxConfig | str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str],
    overrides: Sequence[str] = (),
    folds: Sequence[int] | None = None,
    gpus: str | Sequence[str] | None = None,
    processes: int = 1,
    cpu: bool = False,
    cpu_slots: int = 0,
    progress: bool = False,
    train_fn: TrainFn | None = None,
    on_event: Callable[[str, FoldOutcome], None] | None = None,
) -> dict[str, Any]:
    """Run the folds of a cross-validation and summarise them.

    Args:
        config: A config, a config file or a preset name.
        out_dir: The CV directory (created; reused to resume).
        overrides: ``--set`` overrides applied to a file/preset config.
        folds: Folds to run; default ``cv.folds``, else all K.
        gpus: GPU indices; folds run concurrently, one subprocess per GPU (or per group of
            ``processes`` GPUs).
        processes: GPUs per fold; > 1 trains each fold data-parallel via ``accelerate launch``.
        cpu: Run subprocess workers on CPU (gloo DDP when ``processes`` > 1); for tests.
        cpu_slots: Without ``gpus``: run up to this many folds side by side on the CPU, one
            subprocess each with ``cores // cpu_slots`` threads (relx.train._launch.cpu_threads).
        progress: Show the training loop's progress bars (in-process mode).
        train_fn: The training function (default :func:`relx.train.train`); tests pass a stub.
        on_event: Called with ``("start"|"end"|"skip", outcome)`` per fold (CLI progress).

    Returns:
        The CV summary (also written to ``out_dir/cv_summary.json``), with ``outcomes``
        listing each fold's status, time and error.

    Raises:
        ConfigError: no split files or corpus, bad fold numbers (E412/E413), bad --gpus.
    """
    out = Path(out_dir).resolve()
    config_source = None if isinstance(config, RelxConfig) else str(config)
    cfg = load_config_file(config, overrides) if not isinstance(config, RelxConfig) else (
        load_config_file(config, overrides) if overrides else config.model_copy(deep=True)
    )
    gpu_list = parse_gpus(gpus)
    d = cfg.data
    if d.train_files or d.val_files:
        raise ConfigError(
            "data: relx cv needs data.split_files or data.corpus_files; got train_files/"
            "val_files (a single split, no folds)",
            code="E412",
            hint="relx data build CORPUS --out splits/ then --set data.split_files=[...], or "
            "--set data.corpus_files=[CORPUS] data.train_files=[] data.val_files=[]",
        )
    if d.split_files:
        n_splits = len(d.split_files)
        if cfg.cv.n_splits is not None and cfg.cv.n_splits != n_splits:
            raise ConfigError(
                f"cv.n_splits={cfg.cv.n_splits} but data.split_files lists {n_splits} files; "
                "expected them to agree",
                code="E412",
                hint="drop cv.n_splits (it defaults to the number of split files)",
            )
    elif d.corpus_files:
        n_splits = cfg.cv.n_splits or d.n_splits
    else:
        raise ConfigError(
            "data: relx cv needs data.split_files or data.corpus_files; got neither",
            code="E412",
            hint="--set data.corpus_files=[Train.PubTator]",
        )
    wanted = list(folds) if folds is not None else (cfg.cv.folds or list(range(n_splits)))
    bad = [f for f in wanted if not 0 <= int(f) < n_splits]
    if bad or len(set(wanted)) != len(wanted):
        raise ConfigError(
            f"--folds: expected distinct folds in 0..{n_splits - 1} (K={n_splits}); got {wanted}",
            code="E413",
            hint=f"--folds {','.join(str(k) for k in range(min(2, n_splits)))}",
        )
    lock_directory(out, kind="cv")  # creates it; one relx cv per directory (relx._lock)
    # Absolute data paths: the per-fold configs are reloaded from DIR/configs/, where
    # relative paths would resolve against the wrong folder.
    for key in ("split_files", "corpus_files"):
        setattr(cfg.data, key, [str(Path(f).resolve()) for f in getattr(cfg.data, key)])
    if d.corpus_files:
        cfg.data.split_files = _build_splits(cfg, out / SPLITS_DIR, n_splits)
        cfg.data.corpus_files = []
    cfg.data.n_splits = n_splits
    cfg.cv.n_splits = n_splits

    cv_info: dict[str, Any] = {
        "format_version": RUN_FORMAT_VERSION,
        "relx_version": __version__,
        "kind": "cv",
        "status": "running",
        "config_source": config_source,
        "overrides": list(overrides),
        "n_splits": n_splits,
        "rotation": cfg.data.rotation,
        "folds": wanted,
        "split_files": cfg.data.split_files,
        "gpus": gpu_list,
        "cpu_slots": cpu_slots,
        "processes": processes,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write_json(out / CV_FILE, cv_info)

    outcomes: dict[int, FoldOutcome] = {}
    todo: list[tuple[int, Path, bool]] = []
    for k in wanted:
        run_dir = out / fold_dir_name(k)
        val = val_split_index(k, n_splits, cfg.data.rotation)
        atomic_write_text(out / CONFIGS_DIR / f"{fold_dir_name(k)}.yaml",
                          config_to_yaml(_fold_config(cfg, k)))
        if (run_dir / COMPLETE_MARKER).exists():
            outcomes[k] = FoldOutcome(k, "skipped", run_dir, val)
            if on_event:
                on_event("skip", outcomes[k])
            continue
        resume = (run_dir / DIR_LAST).is_dir()
        todo.append((k, run_dir, resume))

    if gpu_list or processes > 1 or (cpu_slots > 0 and len(todo) > 1):
        jobs = [
            Job(name=fold_dir_name(k), config_path=out / CONFIGS_DIR / f"{fold_dir_name(k)}.yaml",
                run_dir=run_dir, resume=resume)
            for k, run_dir, resume in todo
        ]
        by_name = {fold_dir_name(k): k for k, _, _ in todo}

        def relay(kind: str, job: Job, result: JobResult | None) -> None:
            k = by_name[job.name]
            outcome = FoldOutcome(k, "running", job.run_dir,
                                  val_split_index(k, n_splits, cfg.data.rotation))
            if result is not None:
                outcome.status = "complete" if result.ok else "failed"
                outcome.seconds = result.seconds
                outcome.log_path = result.log_path
                outcome.devices = result.devices
                if not result.ok:
                    last = [line for line in result.tail if line.strip()]
                    outcome.error = (f"exit code {result.returncode}"
                                     + (f": {last[-1].strip()}" if last else ""))
                outcomes[k] = outcome
            if on_event:
                on_event(kind, outcome)

        run_jobs(jobs, log_dir=out / LOGS_DIR, gpus=gpu_list, processes=processes, cpu=cpu,
                 cpu_slots=0 if gpu_list else cpu_slots, on_event=relay)
    else:
        if train_fn is None:
            from relx.train._recipe import train as train_fn  # noqa: PLC0415 - import cycle
        for k, run_dir, resume in todo:
            outcome = FoldOutcome(k, "running", run_dir,
                                  val_split_index(k, n_splits, cfg.data.rotation))
            if on_event:
                on_event("start", outcome)
            started = time.monotonic()
            try:
                _train_in_process(train_fn, _fold_config(cfg, k), run_dir, resume=resume,
                                  progress=progress)
                outcome.status = "complete"
            except KeyboardInterrupt:
                raise
            except Exception as error:  # noqa: BLE001 - one failed fold must not lose the others
                outcome.status = "failed"
                outcome.error = str(error).splitlines()[0] if str(error) else type(error).__name__
                log_path = out / LOGS_DIR / f"{fold_dir_name(k)}.log"
                atomic_write_text(log_path, traceback.format_exc())
                outcome.log_path = log_path
                if not isinstance(error, RelxError):
                    logger.error("fold %d failed with a bug:\n%s", k, traceback.format_exc())
            outcome.seconds = time.monotonic() - started
            outcomes[k] = outcome
            if on_event:
                on_event("end", outcome)

    summary = _summarize_dir(out, wanted, outcomes)
    for task in other_tasks(cfg):  # cv.tasks: the same folds for each further task
        summary.setdefault("tasks", {})[task.short_name] = cross_validate(
            task_cv_config(cfg, task), out_dir=out / task.short_name, folds=wanted, gpus=gpus,
            processes=processes, cpu=cpu, progress=progress, train_fn=train_fn,
            on_event=on_event)
    cv_info["status"] = "complete" if not summary["failed_folds"] else "failed"
    cv_info["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    atomic_write_json(out / CV_SUMMARY_FILE, summary)
    atomic_write_json(out / CV_FILE, cv_info)
    release_directory(out)
    return summary


def _summarize_dir(
    out: Path, folds: Sequence[int], outcomes: dict[int, FoldOutcome]
) -> dict[str, Any]:
    from relx.evaluate import cross_fitted_summary, pair_metrics

    per_fold: dict[int, dict[str, Any]] = {}
    gold_all: list[str] = []
    pred_all: list[str] = []
    failed: list[int] = []
    for k in folds:
        outcome = outcomes.get(k)
        run_dir = out / fold_dir_name(k)
        if outcome is None or outcome.status == "failed" or not (run_dir / COMPLETE_MARKER).exists():
            failed.append(k)
            if outcome is not None and outcome.status != "failed":
                outcome.status = "failed"
                outcome.error = outcome.error or f"{run_dir / COMPLETE_MARKER} missing after training"
            continue
        per_fold[k] = fold_metrics(run_dir, gold_pred_out=(gold_all, pred_all))
    labels = run_positive_labels(out / fold_dir_name(min(per_fold))) if per_fold else None
    pooled = pair_metrics(gold_all, pred_all, labels=labels or POSITIVE_LABELS, warn=False) \
        if gold_all else None
    summary = summarize_folds(per_fold, labels=labels or POSITIVE_LABELS, pooled=pooled)
    summary["failed_folds"] = failed
    summary["threshold_cross_fitted"] = cross_fitted_summary(
        {str(k): out / fold_dir_name(k) / VAL_PREDICTIONS_FILE for k in per_fold})
    summary["outcomes"] = {
        str(k): {
            "status": o.status,
            "val_split": o.val_split,
            "seconds": o.seconds,
            "error": o.error,
            "log": str(o.log_path) if o.log_path else None,
            "devices": o.devices,
            "run_dir": str(o.run_dir),
        }
        for k, o in sorted(outcomes.items())
    }
    for k in per_fold:
        summary_path = out / fold_dir_name(k) / SUMMARY_FILE
        if summary_path.is_file():
            try:
                run_summary = read_json(summary_path)
            except (OSError, ValueError):
                continue
            summary["folds"][str(k)]["run_summary"] = {
                key: run_summary[key] for key in ("best_step", "best_epoch", "train_seconds")
                if key in run_summary
            }
    return summary


# --------------------------------------------------------------------------- quickstart

#: The preset `relx quickstart` cross-validates.
QUICKSTART_PRESET = "quickstart/minilm"
#: Where the quickstart's corpus goes inside its output directory.
QUICKSTART_CORPUS = "data/synthetic.pubtator"
#: Synthetic documents the quickstart writes: 48 give about 2.5 minutes on 2 CPU cores
#: (quickstart/minilm.yaml has the measurements); ``--docs`` changes it.
QUICKSTART_DOCS = 48
#: Folds the quickstart trains side by side on a CPU-only machine (the preset has 3).
QUICKSTART_CPU_SLOTS = 3


def quickstart(
    *,
    out_dir: str | os.PathLike[str],
    overrides: Sequence[str] = (),
    folds: Sequence[int] | None = None,
    n_docs: int | None = None,
    seed: int = 0,
    progress: bool = False,
    train_fn: TrainFn | None = None,
    on_event: Callable[[str, FoldOutcome], None] | None = None,
) -> dict[str, Any]:
    """Write the synthetic corpus and cross-validate the ``quickstart/minilm`` preset on it.

    The corpus is written once (``out_dir/data/synthetic.pubtator``) and reused, so a second
    call resumes the CV instead of starting over on different data.

    Args:
        out_dir: Where the corpus, splits, fold runs and summary go.
        overrides: ``--set`` overrides on top of the preset (e.g. fewer epochs).
        folds: Folds to run (default all of the preset's 3).
        n_docs: Synthetic documents (default :data:`QUICKSTART_DOCS`).
        seed: Seed of the synthetic corpus.
        progress: Show the training progress bars.
        train_fn: Training function (tests may stub it).
        on_event: Per-fold callback, as for :func:`cross_validate`.

    Returns:
        The CV summary.
    """
    import json

    from relx.data import write_synthetic_corpus

    out = Path(out_dir).resolve()
    corpus = out / QUICKSTART_CORPUS
    if not corpus.is_file():
        write_synthetic_corpus(corpus, seed=seed,
                               n_docs=QUICKSTART_DOCS if n_docs is None else n_docs)
    # JSON is valid YAML: a quoted flow list survives any character in the path.
    corpus_override = f"data.corpus_files={json.dumps([str(corpus)])}"
    return cross_validate(
        QUICKSTART_PRESET,
        out_dir=out,
        overrides=[corpus_override, *overrides],
        folds=folds,
        cpu_slots=quickstart_cpu_slots() if train_fn is None else 0,
        progress=progress,
        train_fn=train_fn,
        on_event=on_event,
    )


def quickstart_cpu_slots() -> int:
    """Folds the quickstart trains side by side: all of them on a machine without CUDA.

    Measured on 2 cores (2026-12-03): the preset's 3 folds as 3 one-thread processes took
    147 s, one after another in this process with 2 threads 177 s (relx/train/_launch.py
    ``cpu_threads``); each process holds its own MiniLM and AdamW state (~1.5 GB). With a
    GPU the folds train in this process, one after another, as before.
    """
    import torch

    return 0 if torch.cuda.is_available() else QUICKSTART_CPU_SLOTS
