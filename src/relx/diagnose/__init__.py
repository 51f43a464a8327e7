"""Diagnosis as a product: ``doctor`` says what is wrong with a run or checkpoint, ``diff``
why one run scored lower than another, ranked by likely impact, with the evidence.

Every finding of the origin run (docs/origin.md: a LoRA at a full-fine-tuning learning rate, a huge
effective batch, no instruction prompt, a cut prompt tail, left padding with pad = eos, a
manually reloaded best checkpoint, class collapse to ``NOT``, an adapter that never trained)
is a check here.

Check ids (stable; ``--json`` reports them, CI can filter on them):

- files: ``files.present``, ``files.tokenizer``, ``files.loadable``, ``files.pickle``,
  ``files.checkpoint``
- adapter: ``adapter.config``, ``adapter.targets``, ``adapter.rank``, ``adapter.modules_to_save``,
  ``adapter.lora_b`` (all-zero B = never trained), ``adapter.lora_stats``
- head: ``head.present``, ``head.shape``, ``head.trained`` (vs a fresh init)
- tokenizer: ``tokenizer.vocab``, ``tokenizer.added_tokens``, ``tokenizer.pad``,
  ``tokenizer.padding_side``
- model: ``model.load``, ``model.base_agreement``; pooling: ``pooling.padding``
- data: ``data.truncation``, ``data.truncation_recorded``, ``data.class_collapse``
- run: ``run.status``, ``run.config``, ``run.lr_method``, ``run.effective_batch``,
  ``run.warmup``, ``run.prompt``, ``run.loss_curve``, ``run.val_peak``, ``run.best_rule``, ``run.best_reload``,
  ``run.cv``
- cv (a CV directory, before the per-fold checks): ``cv.f1`` (mean ± sd across folds),
  ``cv.failures`` (per check id, in how many folds it failed), ``cv.warnings``

Calibration: tests/diagnose/test_doctor_run_zoo.py trains healthy runs with relx's own loop
(quickstart recipe, full and LoRA) that must pass, and derives broken ones that must fail the
check naming their cause. A setting outside its usual range is a warning; failures are kept
for defects (did not learn, checkpoint does not restore, collapsed, broken head/tokenizer).

Error codes: E701 not a directory, E702 unreadable config, E703 config not found, E704 not a
run directory (diff).
"""

from relx.diagnose._checkpoint import CheckpointContext, check_checkpoint, resolve_context
from relx.diagnose._diff import DiffItem, RunDiff, diff_runs
from relx.diagnose._doctor import doctor, find_checkpoint
from relx.diagnose._inventory import Inventory, scan_directory
from relx.diagnose._report import STATUS_SYMBOL, Check, DoctorReport, Status
from relx.diagnose._run import RunFacts, lr_verdict, read_config_only, read_run
from relx.diagnose._truncation import TruncationStats, measure_truncation

__all__ = [
    "STATUS_SYMBOL",
    "Check",
    "DiffItem",
    "RunDiff",
    "diff_runs",
    "CheckpointContext",
    "DoctorReport",
    "Inventory",
    "RunFacts",
    "Status",
    "TruncationStats",
    "check_checkpoint",
    "doctor",
    "find_checkpoint",
    "lr_verdict",
    "measure_truncation",
    "read_config_only",
    "read_run",
    "resolve_context",
    "scan_directory",
]
