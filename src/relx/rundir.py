"""The run directory: the versioned contract between train, evaluate, predict, doctor and diff.

Layout (all names are the constants below; JSON/YAML/JSONL/safetensors only, never pickle)::

    RUN/
      run.json                 RUN_FILE: format version, relx version, kind (train|cv|sweep),
                               status (running|complete|failed), created/finished times
      config.resolved.yaml     CONFIG_FILE: the fully resolved config (every default filled in)
      environment.json         ENV_FILE: python/torch/transformers/peft/accelerate versions,
                               git revision, devices
      metrics.jsonl            METRICS_FILE: one JSON object per logged event (train/eval)
      checkpoints/best/        DIR_BEST: model files + checkpoint.json (CHECKPOINT_META_FILE)
      checkpoints/last/        DIR_LAST: same, plus optimizer/scheduler/RNG/data-order state
      predictions/val.jsonl    VAL_PREDICTIONS_FILE: relx prediction schema (relx.evaluate)
      summary.json             SUMMARY_FILE: final/best metrics
      data.json                DATA_FILE: which splits/files, example counts, truncation
      type_pair_mask.json      TYPE_PAIR_FILE: labels seen per entity-type pair (training)
      tensorboard/             TENSORBOARD_DIR: TensorBoard events (when enabled)
      COMPLETE                 COMPLETE_MARKER: written last; its absence = unfinished run
      novelty/                 NOVELTY_DIR: the novelty model (task novelty) trained on the same
                               data, a run directory of its own (docs/architecture.md)

A CV directory holds ``cv.json`` (CV_FILE), ``cv_summary.json`` (CV_SUMMARY_FILE) and one run
directory per fold, ``fold_{k}/``; trained with ``cv.tasks: [relation, novelty]`` it also
holds ``novelty/``, the novelty task's CV directory on the same folds (``novelty/fold_{k}/``).

Every file is written atomically (``relx._io``) and ``COMPLETE`` is written last, so a crash
never leaves a directory that looks finished.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "RUN_FORMAT_VERSION",
    "RUN_FILE",
    "CONFIG_FILE",
    "ENV_FILE",
    "METRICS_FILE",
    "CHECKPOINTS_DIR",
    "DIR_BEST",
    "DIR_LAST",
    "CHECKPOINT_META_FILE",
    "PREDICTIONS_DIR",
    "VAL_PREDICTIONS_FILE",
    "SUMMARY_FILE",
    "COMPLETE_MARKER",
    "CV_FILE",
    "CV_SUMMARY_FILE",
    "DATA_FILE",
    "TYPE_PAIR_FILE",
    "TENSORBOARD_DIR",
    "NOVELTY_DIR",
    "fold_dir_name",
    "fold_dirs",
]

#: Bumped whenever the layout or a file's schema changes incompatibly.
RUN_FORMAT_VERSION = 1

RUN_FILE = "run.json"
CONFIG_FILE = "config.resolved.yaml"
ENV_FILE = "environment.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINTS_DIR = "checkpoints"
DIR_BEST = "checkpoints/best"
DIR_LAST = "checkpoints/last"
CHECKPOINT_META_FILE = "checkpoint.json"
PREDICTIONS_DIR = "predictions"
VAL_PREDICTIONS_FILE = "predictions/val.jsonl"
SUMMARY_FILE = "summary.json"
COMPLETE_MARKER = "COMPLETE"
CV_FILE = "cv.json"
CV_SUMMARY_FILE = "cv_summary.json"
DATA_FILE = "data.json"
TYPE_PAIR_FILE = "type_pair_mask.json"
TENSORBOARD_DIR = "tensorboard"
NOVELTY_DIR = "novelty"


def fold_dir_name(fold: int) -> str:
    """Name of fold ``fold``'s run directory inside a CV directory."""
    return f"fold_{fold}"


def fold_dirs(path: Path) -> list[Path]:
    """The ``fold_{k}`` run directories of a CV directory, in fold order."""
    found = []
    for child in Path(path).iterdir():
        name = child.name
        if child.is_dir() and name.startswith("fold_") and name[5:].isdigit():
            found.append((int(name[5:]), child))
    return [p for _, p in sorted(found)]
