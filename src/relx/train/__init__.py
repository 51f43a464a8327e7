"""Training: the typed config, the training loop and the run directory.

``load_config`` reads YAML + ``--set`` overrides into a validated :class:`RelxConfig`;
``resolve_config`` fills every automatic choice (logged, recorded in ``notes``);
``train(config, run_dir=...)`` runs the loop and writes a self-describing run directory
(``relx.rundir``).
"""

from relx.train._config import (
    FULL_DEFAULT_LR,
    LORA_DEFAULT_LR,
    LORA_MIN_LR,
    MAX_EFFECTIVE_BATCH,
    MAX_TRUNCATED_SHARE,
    CVConfig,
    DataConfig,
    LoraSection,
    ModelConfig,
    RelxConfig,
    RepresentConfig,
    TrackingConfig,
    TrainSection,
    apply_overrides,
    check_ready,
    check_truncation,
    config_from_dict,
    config_to_yaml,
    default_lr,
    effective_batch_size,
    load_config,
    resolve_config,
    val_split_index,
)
from relx.train._recipe import load_examples, plan_batches, train
from relx.train._run import RunWriter, is_complete, read_metrics, read_run, read_summary

# Cross-validation, sweeps, presets and multi-GPU launching (the cv engineer's modules).
from relx.train._cv import (
    QUICKSTART_PRESET,
    FoldOutcome,
    cross_validate,
    fold_metrics,
    fold_splits,
    load_config_file,
    quickstart,
    quickstart_cpu_slots,
    summarize_folds,
)
from relx.train._launch import Job, JobResult, parse_gpus, run_jobs, worker_command
from relx.train._presets import (
    PRESETS_DIR,
    expand_package_paths,
    list_presets,
    preset_path,
    resolve_config_path,
    resolve_package_path,
)
from relx.train._sweep import SWEEP_FILE, SweepPoint, expand_grid, parse_grid, sweep

__all__ = [
    "FULL_DEFAULT_LR",
    "LORA_DEFAULT_LR",
    "LORA_MIN_LR",
    "MAX_EFFECTIVE_BATCH",
    "MAX_TRUNCATED_SHARE",
    "CVConfig",
    "DataConfig",
    "LoraSection",
    "ModelConfig",
    "RelxConfig",
    "RepresentConfig",
    "TrackingConfig",
    "TrainSection",
    "apply_overrides",
    "check_ready",
    "check_truncation",
    "config_from_dict",
    "config_to_yaml",
    "default_lr",
    "effective_batch_size",
    "load_config",
    "resolve_config",
    "val_split_index",
    # the loop and the run directory
    "train",
    "load_examples",
    "plan_batches",
    "RunWriter",
    "is_complete",
    "read_metrics",
    "read_run",
    "read_summary",
    # cv / sweep / presets / launch
    "QUICKSTART_PRESET",
    "FoldOutcome",
    "cross_validate",
    "fold_metrics",
    "fold_splits",
    "load_config_file",
    "quickstart",
    "quickstart_cpu_slots",
    "summarize_folds",
    "Job",
    "JobResult",
    "parse_gpus",
    "run_jobs",
    "worker_command",
    "PRESETS_DIR",
    "expand_package_paths",
    "list_presets",
    "preset_path",
    "resolve_config_path",
    "resolve_package_path",
    "SWEEP_FILE",
    "SweepPoint",
    "expand_grid",
    "parse_grid",
    "sweep",
]
