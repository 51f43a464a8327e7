"""Facts about a run read from its directory, and the run-level doctor checks.

The training engine's config schema may grow; this module reads it through aliases (dotted
suffixes such as ``train.lr`` or ``learning_rate``) so that it also reads the configs of other
tools (a Hugging Face ``TrainingArguments`` JSON, the origin run's (docs/origin.md) per-split JSON
configs) and keeps working while the schema evolves.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from relx import rundir
from relx.diagnose._curves import constant_predictor_f1, loss_trend, validation_learned
from relx.diagnose._report import DoctorReport, Status
from relx.diagnose._thresholds import (
    COLLAPSE_FAIL_MIN_GOLD_POSITIVES,
    COLLAPSE_FAIL_POSITIVE_RATIO,
    COLLAPSE_NOT_EXCESS,
    LOSS_FLAT_REL_CHANGE,
    LOSS_STILL_FALLING_REL_DROP,
    LR_RANGE_BY_METHOD,
    MAX_EFFECTIVE_BATCH,
    MIN_SUPPORT_FOR_NEVER_PREDICTED,
    MIN_TOTAL_UPDATES,
    RELOAD_F1_ATOL_BY_DTYPE,
    UNDERPERFORM_F1,
    dtype_tolerance,
    TRUNCATION_WARN_SHARE,
    WARMUP_MAX_SHARE,
)
from relx.errors import ConfigError, RunDirError
from relx.labels import NOT_LABEL

__all__ = ["RunFacts", "read_run", "read_config_only", "read_config_file", "flatten", "check_run",
           "FIELD_ALIASES", "lookup", "underperforms"]

#: Canonical field -> dotted-key suffixes that may hold it (first match wins).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "model": ("model.model_name_or_path", "model_name_or_path", "model.name", "base_model", "model_name",
              "model"),
    "method": ("model.method", "method", "finetune_method", "peft_method"),
    "learning_rate": ("train.lr", "train.learning_rate", "optim.lr", "learning_rate", "lr"),
    "batch_size": ("train.batch_size", "train.per_device_train_batch_size",
                   "per_device_train_batch_size", "train_batch_size", "batch_size"),
    "grad_accum": ("train.grad_accum_steps", "train.gradient_accumulation_steps", "train.grad_accum",
                   "gradient_accumulation_steps", "grad_accum"),
    "processes": ("train.processes", "train.num_processes", "num_processes", "world_size",
                  "n_gpus", "num_gpus"),
    "effective_batch": ("train.effective_batch_size", "effective_batch_size"),
    "epochs": ("train.epochs", "train.num_epochs", "num_train_epochs", "num_epochs", "epochs"),
    "max_length": ("represent.max_length_tokens", "max_length_tokens", "max_length", "max_len",
                   "max_seq_length"),
    "style": ("represent.style", "representation.style", "style", "marker_style", "input_format"),
    "prompt": ("represent.prompt", "representation.prompt", "prompt", "instruction_prompt",
               "use_prompt"),
    "lora_r": ("model.lora.r", "model.lora_r", "lora.r", "lora_r", "r"),
    "lora_alpha": ("model.lora.alpha", "model.lora_alpha", "lora.alpha", "lora_alpha", "alpha"),
    "target_modules": ("model.lora.target_modules", "model.target_modules", "target_modules"),
    "modules_to_save": ("modules_to_save",),
    "padding_side": ("padding_side",),
    "label_smoothing": ("train.label_smoothing", "label_smoothing", "label_smoothing_factor"),
    "warmup": ("train.warmup_steps", "train.warmup_ratio", "warmup_steps", "warmup_ratio", "warmup"),
    "best_metric": ("train.select_metric", "train.best_metric", "train.metric_for_best_model", "metric_for_best_model",
                    "best_metric", "select_metric"),
    "labels": ("model.labels", "data.labels", "labels"),
    "val_data": ("data.val_files", "data.val", "data.validation", "data.val_file", "val_file", "validation_file",
                 "val_data", "eval_file"),
    "train_data": ("data.train_files", "data.train", "data.train_files", "train_file", "train_files", "train_data"),
    "seed": ("train.seed", "seed"),
    "head": ("model.head", "head"),
    "tokenizer": ("model.tokenizer", "tokenizer_name", "tokenizer"),
    "gguf_file": ("model.gguf_file", "gguf_file"),
    "metric_definition": ("evaluate.metric", "metric", "eval_metric"),
    "class_weights": ("train.class_weights", "class_weights"),
    "mixed_precision": ("train.mixed_precision", "mixed_precision", "bf16", "fp16"),
    "dtype": ("model.dtype", "torch_dtype", "dtype"),
}


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay values."""
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) and value:
                out.update(flatten(value, name))
            else:
                out[name] = value
    return out


def lookup(flat: dict[str, Any], field_name: str) -> tuple[str | None, Any]:
    """Find a canonical field in a flattened config: ``(key, value)`` or ``(None, None)``."""
    for alias in FIELD_ALIASES[field_name]:
        if alias in flat:
            return alias, flat[alias]
        for key in flat:
            if key.endswith("." + alias):
                return key, flat[key]
    return None, None


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON config as a dict.

    Raises:
        ConfigError: the file does not parse or is not a mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            obj = json.loads(text)
        else:
            import yaml

            obj = yaml.safe_load(text)
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"{path}: expected a YAML/JSON config; got an unreadable file ({error})",
            code="E702", hint="relx config validate CONFIG",
        ) from error
    except Exception as error:  # yaml.YAMLError is not a ValueError
        raise ConfigError(f"{path}: invalid YAML ({error})", code="E702") from error
    if not isinstance(obj, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level; got {type(obj).__name__}",
                          code="E702")
    return obj


@dataclass
class RunFacts:
    """What relx knows about one run (or one config of another tool).

    Attributes:
        path: The run directory (or config file).
        config: The flattened config (dotted keys).
        metrics: Records of ``metrics.jsonl``.
        summary: ``summary.json`` (empty when absent).
        run_info: ``run.json`` (empty when absent).
        checkpoint_meta: ``checkpoints/best/checkpoint.json`` (empty when absent).
        predictions: Path of the validation predictions when present.
        n_train: Number of training examples when known.
    """

    path: Path
    config: dict[str, Any]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    run_info: dict[str, Any] = field(default_factory=dict)
    checkpoint_meta: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    predictions: Path | None = None
    n_train: int | None = None
    data_info: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """A canonical field's value (see :data:`FIELD_ALIASES`), or None."""
        return lookup(self.config, name)[1]

    @cached_property
    def prediction_records(self) -> list[dict[str, Any]]:
        """The records of :attr:`predictions` (none without it), read once for every check."""
        return _read_jsonl(self.predictions) if self.predictions is not None else []

    @property
    def method(self) -> str:
        """``full``, ``lora`` or ``qlora`` (LoRA when a rank is configured and no method is)."""
        method = self.get("method") or self.summary.get("method")
        if isinstance(method, str) and method:
            return method.lower()
        if self.get("lora_r") is not None or self.get("target_modules") is not None:
            return "lora"
        return "full"

    @property
    def learning_rate(self) -> float | None:
        """The configured peak learning rate."""
        lr = _as_float(self.get("learning_rate"))
        return lr if lr is not None else _as_float(self.summary.get("lr"))

    @property
    def processes(self) -> int:
        """Data-parallel processes (config, else devices recorded in environment.json)."""
        value = self.get("processes") or self.summary.get("num_processes")
        if value is not None:
            return int(value)
        for key in ("num_processes", "world_size"):
            if isinstance(self.environment.get(key), int):
                return int(self.environment[key])
        return 1

    @property
    def effective_batch(self) -> int | None:
        """per-device batch x accumulation x processes (or as recorded by the run)."""
        recorded = self.get("effective_batch") or self.summary.get("effective_batch_size")
        if recorded is not None:
            return int(recorded)
        batch = self.get("batch_size")
        if batch is None:
            return None
        return int(batch) * int(self.get("grad_accum") or 1) * self.processes

    @property
    def train_events(self) -> list[dict[str, Any]]:
        """The ``train`` (optimizer step) events of ``metrics.jsonl``."""
        return [r for r in self.metrics if r.get("event") == "train"]

    @property
    def updates_per_epoch(self) -> int | None:
        """Optimizer updates per epoch, from what the run did where it says so.

        Order: steps logged in the first epoch of ``metrics.jsonl``; ``summary.json``'s total
        steps over the epochs completed; only then ceil(training examples / effective batch),
        which overcounts when the run skipped pairs (``train.skip_masked_pairs``).
        """
        return self.updates_per_epoch_and_source[0]

    @property
    def updates_per_epoch_and_source(self) -> tuple[int | None, str]:
        """:attr:`updates_per_epoch` and where the number comes from."""
        events = self.train_events
        if events and any(float(e.get("epoch") or 0) >= 1 - 1e-9 for e in events):
            first = [e for e in events if float(e.get("epoch") or 0) <= 1 + 1e-9]
            return len(first), f"{rundir.METRICS_FILE} (steps of epoch 1)"
        total, epochs = self.summary.get("total_steps"), self.get("epochs")
        if isinstance(total, int) and isinstance(epochs, int) and epochs > 0:
            return math.ceil(total / epochs), f"{rundir.SUMMARY_FILE} (total_steps / epochs)"
        eff = self.effective_batch
        if eff is None or self.n_train is None or eff <= 0:
            return None, ""
        return math.ceil(self.n_train / eff), "config (training examples / effective batch)"

    @property
    def trained_examples_per_epoch(self) -> int | None:
        """Pairs the optimizer actually saw in epoch 1 (fewer than n_train when pairs were skipped)."""
        events = [e for e in self.train_events if float(e.get("epoch") or 0) <= 1 + 1e-9]
        counts = [e.get("examples") for e in events]
        if events and all(isinstance(c, int) for c in counts):
            return int(sum(counts))  # type: ignore[arg-type]
        return None

    @property
    def total_updates(self) -> int | None:
        """Optimizer updates of the whole run (recorded, else derived)."""
        total = self.summary.get("total_steps") or self.summary.get("global_step")
        if isinstance(total, int):
            return total
        upe, epochs = self.updates_per_epoch, self.get("epochs")
        return upe * int(epochs) if upe and isinstance(epochs, (int, float)) else None

    @property
    def compute_dtype(self) -> str:
        """``bfloat16``/``float16`` when the run computed in reduced precision, else ``float32``."""
        mp = str(self.environment.get("mixed_precision") or self.get("mixed_precision") or "").lower()
        if mp in ("bf16", "true"):
            return "bfloat16"
        if mp == "fp16":
            return "float16"
        dtype = str(self.checkpoint_dtype or self.get("dtype") or "").lower()
        return dtype if dtype in ("bfloat16", "float16") else "float32"

    @property
    def checkpoint_dtype(self) -> str | None:
        """The dtype the best checkpoint records in ``relx_model.json``."""
        info = _read_json_if(self.path / rundir.DIR_BEST / "relx_model.json") if self.path.is_dir() else {}
        value = info.get("dtype")
        return str(value) if value else None

    @property
    def class_weights_on(self) -> bool:
        """True when the loss weighted classes (``train.class_weights`` other than none)."""
        value = self.get("class_weights")
        return bool(value) and str(value).lower() not in ("none", "false", "no", "off")

    @property
    def best_val_f1(self) -> float | None:
        """The best validation F1 of the run (evaluations, else summary)."""
        f1s = [f for _, f in val_f1s(self.metrics)]
        if f1s:
            return max(f1s)
        final = self.summary.get("final")
        value = final.get("f1") if isinstance(final, dict) else None
        if isinstance(value, (int, float)):
            return float(value)
        if self.predictions is not None:
            # Another tool's run: score its saved predictions under relx's protocol.
            from relx.evaluate import pair_metrics

            pairs = [(r.get("gold"), r.get("pred")) for r in _read_jsonl(self.predictions)
                     if r.get("gold") is not None and r.get("pred") is not None]
            if pairs:
                return float(pair_metrics([g for g, _ in pairs], [p for _, p in pairs], warn=False)["f1"])
        return None

    @property
    def labels(self) -> list[str] | None:
        """The configured label set, when the config has one."""
        value = self.get("labels")
        return [str(v) for v in value] if isinstance(value, list) and value else None

    @property
    def base_model(self) -> str | None:
        """The base model reference of the config."""
        value = self.get("model")
        return str(value) if isinstance(value, str) else None

    @property
    def uses_prompt(self) -> bool:
        """True when inputs are wrapped in the instruction prompt."""
        value = self.get("prompt")
        if isinstance(value, str):
            return value.lower() not in ("", "none", "false", "no", "off")
        return bool(value)


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a crash; the run check reports the run as unfinished
        if isinstance(obj, dict):
            records.append(obj)
    return records


def _read_json_if(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return obj if isinstance(obj, dict) else {}


def read_config_only(path: Path) -> RunFacts:
    """RunFacts of a bare config file (another tool's, or a relx config)."""
    if not path.is_file():
        raise RunDirError(f"{path}: config file not found", code="E703",
                          hint="pass the run's config.resolved.yaml")
    facts = RunFacts(path=path, config=flatten(read_config_file(path)))
    facts.n_train = _count_examples(facts.get("train_data"), path.parent)
    return facts


def read_run(path: Path) -> RunFacts:
    """Read a relx run directory (or any directory with a config file inside).

    Raises:
        RunDirError: no config can be found in the directory.
    """
    config_path = path / rundir.CONFIG_FILE
    if not config_path.is_file():
        for alt in ("config.yaml", "config.json", "training_args.json"):
            if (path / alt).is_file():
                config_path = path / alt
                break
    config = flatten(read_config_file(config_path)) if config_path.is_file() else {}
    facts = RunFacts(path=path, config=config)
    if (path / rundir.METRICS_FILE).is_file():
        facts.metrics = _read_jsonl(path / rundir.METRICS_FILE)
    facts.summary = _read_json_if(path / rundir.SUMMARY_FILE)
    facts.run_info = _read_json_if(path / rundir.RUN_FILE)
    facts.environment = _read_json_if(path / rundir.ENV_FILE)
    facts.checkpoint_meta = _read_json_if(path / rundir.DIR_BEST / rundir.CHECKPOINT_META_FILE)
    facts.data_info = _read_json_if(path / rundir.DATA_FILE)
    if (path / rundir.VAL_PREDICTIONS_FILE).is_file():
        facts.predictions = path / rundir.VAL_PREDICTIONS_FILE
    for source in (facts.summary, facts.run_info):
        for key in ("n_train", "train_examples", "num_train_examples", "n_train_examples"):
            if isinstance(source.get(key), int):
                facts.n_train = source[key]
    if facts.n_train is None:
        facts.n_train = _count_examples(facts.get("train_data"), path)
    return facts


def _count_examples(value: Any, base: Path) -> int | None:
    """Count the entries of the training split file(s) a config names, when they exist."""
    paths = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    total = 0
    for item in paths:
        p = Path(item)
        if not p.is_absolute():
            p = base / p
        if not p.is_file():
            return None
        try:
            total += len(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
    return total or None


# --- training curves -------------------------------------------------------------------------

_F1_KEYS = ("val_f1", "eval_f1", "f1", "micro_f1", "val/f1", "eval/f1")
_LOSS_KEYS = ("loss", "train_loss", "train/loss")


def train_losses(metrics: list[dict[str, Any]]) -> list[float]:
    """Training-loss values in logged order (eval records excluded)."""
    out = []
    for rec in metrics:
        if str(rec.get("event", rec.get("split", "train"))) not in ("train", "step"):
            continue
        for key in _LOSS_KEYS:
            if isinstance(rec.get(key), (int, float)):
                out.append(float(rec[key]))
                break
    return out


def val_f1s(metrics: list[dict[str, Any]]) -> list[tuple[Any, float]]:
    """``(epoch or step, f1)`` of every evaluation record."""
    return [(rec.get("epoch", rec.get("step")), f1) for rec, f1 in _eval_records(metrics)]


def lr_verdict(method: str, lr: float | None) -> tuple[str, str]:
    """``(status, reason)`` of a learning rate against the method's usual range."""
    if lr is None:
        return "unknown", "no learning rate in the config"
    low, high = LR_RANGE_BY_METHOD.get(method, LR_RANGE_BY_METHOD["full"])
    if lr < low:
        other = [m for m, (lo, hi) in LR_RANGE_BY_METHOD.items() if lo <= lr <= hi and m != method]
        also = f" (a {other[0]} fine-tuning lr)" if other else ""
        return ("too_low", f"lr {lr:g} is {low / lr:.1f}x below the {method} range "
                f"{low:g}..{high:g}{also}")
    if lr > high:
        return "too_high", f"lr {lr:g} is {lr / high:.1f}x above the {method} range {low:g}..{high:g}"
    return "ok", f"lr {lr:g} is within the {method} range {low:g}..{high:g}"


def check_run(facts: RunFacts, rep: DoctorReport) -> None:
    """Run-level checks: status, lr vs method, effective batch, curves, best rule, collapse."""
    sec = "run"
    status = facts.run_info.get("status")
    complete = (facts.path / rundir.COMPLETE_MARKER).exists()
    if facts.path.is_dir():
        if complete or status == "complete":
            rep.add("run.status", sec, Status.PASS, f"run complete ({rundir.COMPLETE_MARKER} present)")
        else:
            rep.add(
                "run.status", sec, Status.WARN,
                f"run not complete (status={status!r}, no {rundir.COMPLETE_MARKER}): still running or crashed",
                evidence={"status": status}, fix="relx train CONFIG --resume",
            )
    if not facts.config:
        rep.add("run.config", sec, Status.FAIL, f"no {rundir.CONFIG_FILE} in the run directory",
                fix="the run is from another tool or was never started; pass --config")
        return
    _check_lr(facts, rep)
    _check_effective_batch(facts, rep)
    _check_warmup(facts, rep)
    _check_prompt(facts, rep)
    _check_curves(facts, rep)
    _check_best_rule(facts, rep)
    _check_best_reload(facts, rep)
    _check_recorded_truncation(facts, rep)
    if facts.predictions is not None:
        check_prediction_distribution(facts.prediction_records, rep, source=str(facts.predictions),
                                      class_weights_on=facts.class_weights_on)


def underperforms(facts: RunFacts) -> tuple[bool, str]:
    """Whether the run scored low enough that a suspicious setting is worth naming as the cause."""
    best = facts.best_val_f1
    if best is None:
        return False, "no validation F1 recorded"
    if best < UNDERPERFORM_F1:
        return True, f"best validation F1 {best:.3f} < {UNDERPERFORM_F1}"
    return False, f"best validation F1 {best:.3f}"


def _check_lr(facts: RunFacts, rep: DoctorReport) -> None:
    """lr vs the method's usual range: a warning (a setting, not a defect), named as the
    likely cause when the run also underperforms."""
    sec = "run"
    method, lr = facts.method, facts.learning_rate
    verdict, reason = lr_verdict(method, lr)
    low, high = LR_RANGE_BY_METHOD.get(method, LR_RANGE_BY_METHOD["full"])
    low_score, why = underperforms(facts)
    ev = {"method": method, "learning_rate": lr, "usual_range": [low, high], "underperforms": low_score,
          "performance": why}
    if verdict == "ok":
        rep.add("run.lr_method", sec, Status.PASS, reason, evidence=ev)
    elif verdict == "unknown":
        rep.add("run.lr_method", sec, Status.SKIP, reason, evidence=ev)
    else:
        msg = reason + (f"; likely cause of the low score ({why})" if low_score else "")
        rep.add(
            "run.lr_method", sec, Status.WARN, msg, evidence=ev,
            fix=f"use lr in {low:g}..{high:g} for {method} fine-tuning (relx default: "
            f"{'2e-4' if method != 'full' else '3e-5'})",
        )


def _check_effective_batch(facts: RunFacts, rep: DoctorReport) -> None:
    """Effective batch and the updates the run really made (from its own records)."""
    sec = "run"
    eff = facts.effective_batch
    upe, source = facts.updates_per_epoch_and_source
    seen = facts.trained_examples_per_epoch
    total = facts.total_updates
    ev = {"batch_size": facts.get("batch_size"), "grad_accum": facts.get("grad_accum"),
          "processes": facts.processes, "effective_batch": eff, "n_train": facts.n_train,
          "trained_examples_per_epoch": seen, "updates_per_epoch": upe, "updates_source": source,
          "total_updates": total, "epochs": facts.get("epochs"), "method": facts.method}
    if eff is None:
        rep.add("run.effective_batch", sec, Status.SKIP, "batch size not in the config", evidence=ev)
        return
    msg = (f"effective batch {eff} = {facts.get('batch_size')} x {facts.get('grad_accum') or 1} accum x "
           f"{facts.processes} process(es)")
    if upe is not None:
        on = seen if seen is not None else facts.n_train
        skipped = f" of {facts.n_train}" if seen is not None and facts.n_train and seen < facts.n_train else ""
        msg += f"; {upe} updates per epoch on {on}{skipped} training pairs"
        if total:
            msg += f", {total} in all"
    problems = []
    if eff > MAX_EFFECTIVE_BATCH:
        problems.append(f"above {MAX_EFFECTIVE_BATCH}")
    if total is not None and total < MIN_TOTAL_UPDATES:
        problems.append(f"fewer than {MIN_TOTAL_UPDATES} updates in all")
    if problems:
        usual = "8-32 for LoRA classifiers" if facts.method != "full" else "16-32 for full fine-tuning"
        rep.add("run.effective_batch", sec, Status.WARN, msg + " (" + "; ".join(problems) + ")",
                evidence=ev, fix=f"lower batch x accumulation ({usual}), train more epochs, or raise the lr with it")
    else:
        rep.add("run.effective_batch", sec, Status.PASS, msg, evidence=ev)


def _eval_point(rec: dict[str, Any]) -> str:
    """``epoch 2.00 (step 62)``: evaluations named in one unit, with the step beside it."""
    epoch, step = rec.get("epoch"), rec.get("step")
    if isinstance(epoch, (int, float)) and isinstance(step, int):
        return f"epoch {epoch:.2f} (step {step})"
    if isinstance(epoch, (int, float)):
        return f"epoch {epoch:g}"
    return f"step {step}" if step is not None else "?"


def _eval_records(metrics: list[dict[str, Any]]) -> list[tuple[dict[str, Any], float]]:
    out = []
    for rec in metrics:
        if rec.get("event") == "final":
            continue
        for key in _F1_KEYS:
            value = rec.get(key)
            if isinstance(value, dict):
                value = value.get("f1")
            if isinstance(value, (int, float)):
                out.append((rec, float(value)))
                break
    return out


def _chance_f1(facts: RunFacts) -> float | None:
    """Chance-level F1 on the run's validation set (its predictions' gold labels), if written."""
    if facts.predictions is None:
        return None
    gold: dict[str, int] = {}
    for record in facts.prediction_records:
        if record.get("gold") is not None:
            gold[str(record["gold"])] = gold.get(str(record["gold"]), 0) + 1
    return constant_predictor_f1(gold, negative=NOT_LABEL)


def _check_curves(facts: RunFacts, rep: DoctorReport) -> None:
    """Loss trend (smoothed windows) judged together with validation F1."""
    sec = "run"
    losses = train_losses(facts.metrics)
    evals = _eval_records(facts.metrics)
    learned, learned_why = validation_learned([f for _, f in evals], chance_f1=_chance_f1(facts))
    trend = loss_trend(losses)
    if trend is None:
        rep.add("run.loss_curve", sec, Status.SKIP, f"{len(losses)} training-loss records in "
                f"{rundir.METRICS_FILE}; too few for two smoothed windows")
    else:
        ev = {**trend.to_json(), "validation_learned": learned, "validation": learned_why}
        moved = f"{trend.start:.4g} -> {trend.end:.4g} ({-trend.total_drop:+.1%}, medians of {trend.window}-step windows)"
        if learned is False:
            rep.add("run.loss_curve", sec, Status.FAIL,
                    f"{learned_why} (training loss {moved}): the model did not learn the task",
                    evidence=ev, fix="check the lr for the method (LoRA: 1e-4..5e-4), that the trainable "
                    "parameters get gradients, and that the backbone is pretrained")
        elif trend.total_drop >= LOSS_FLAT_REL_CHANGE:
            if trend.end_drop > LOSS_STILL_FALLING_REL_DROP:
                rep.add("run.loss_curve", sec, Status.WARN,
                        f"training loss still falling at the end: {trend.before_end:.4g} -> {trend.end:.4g} over the "
                        f"last window ({trend.end_drop:.1%}); overall {moved}", evidence=ev,
                        fix="train more epochs (or a higher lr) if validation F1 also still rises")
            else:
                rep.add("run.loss_curve", sec, Status.PASS, f"training loss fell {moved}", evidence=ev)
        else:
            shape = "rose" if trend.total_drop < -LOSS_FLAT_REL_CHANGE else "stayed flat"
            if learned:
                rep.add("run.loss_curve", sec, Status.WARN,
                        f"training loss {shape} {moved}, but {learned_why}: the model learned; the loss is "
                        "noisy (class weights or a small batch make single steps spike)", evidence=ev,
                        fix="nothing needed if validation F1 is as expected; a lower lr smooths the loss")
            else:
                rep.add("run.loss_curve", sec, Status.FAIL,
                        f"training loss {shape} {moved} and no validation F1 shows learning: the model did "
                        "not learn", evidence=ev, fix="raise the lr (LoRA: 1e-4..5e-4), check that the "
                        "trainable parameters get gradients; evaluate with relx eval CHECKPOINT --data VAL")
    if not evals:
        rep.add("run.val_peak", sec, Status.SKIP, "no validation F1 records")
        return
    f1s = [f for _, f in evals]
    best_i = max(range(len(f1s)), key=lambda i: f1s[i])
    best_rec, best = evals[best_i]
    last_rec, last = evals[-1]
    at = best_rec.get("epoch", best_rec.get("step"))
    ev = {"curve": [[r.get("epoch"), r.get("step"), f] for r, f in evals], "best_at": at,
          "best_step": best_rec.get("step"), "best": best, "last": last}
    if best_i == len(f1s) - 1 and len(f1s) > 1 and best - f1s[-2] > 0.01:
        rep.add("run.val_peak", sec, Status.WARN,
                f"validation F1 peaks at the last evaluation, {_eval_point(best_rec)}: {best:.4f} "
                f"(previous {f1s[-2]:.4f}): still improving", evidence=ev, fix="train longer")
    else:
        rep.add("run.val_peak", sec, Status.PASS,
                f"validation F1 peaks at {_eval_point(best_rec)}: {best:.4f}; last, {_eval_point(last_rec)}: "
                f"{last:.4f}", evidence=ev)


#: Metrics that must not select a relation-extraction checkpoint, with the reason.
_BAD_SELECTION = {
    "loss": "validation loss ignores the decision rule and the class balance",
    "eval_loss": "validation loss ignores the decision rule and the class balance",
    "accuracy": "accuracy is dominated by NOT (87% of pairs)",
    "eval_accuracy": "accuracy is dominated by NOT (87% of pairs)",
}


def _check_best_rule(facts: RunFacts, rep: DoctorReport) -> None:
    sec = "run"
    key, metric = lookup(facts.config, "best_metric")
    meta = facts.checkpoint_meta
    metric = metric or facts.summary.get("select_metric") or meta.get("metric_name") or meta.get("metric")
    ev = {"config_key": key, "metric": metric, "checkpoint_meta": {k: meta.get(k) for k in
                                                                   ("step", "epoch", "metric", "value", "metric_value")}}
    if not metric:
        rep.add("run.best_rule", sec, Status.WARN,
                "the best-checkpoint metric is not recorded: which checkpoint is 'best' is unknown",
                evidence=ev, fix="select by the iKraph micro F1 over positive labels (relx default)")
        return
    name = str(metric).lower()
    if name in _BAD_SELECTION:
        rep.add("run.best_rule", sec, Status.WARN, f"best checkpoint selected by {metric}: {_BAD_SELECTION[name]}",
                evidence=ev, fix="select by micro F1 over positive labels")
    elif "inflat" in name or "exclud" in name or "positive_only" in name:
        rep.add("run.best_rule", sec, Status.FAIL,
                f"best checkpoint selected by {metric}: an F1 over gold-positive pairs only ignores every false positive",
                evidence=ev, fix="select by micro F1 over positive labels on all candidate pairs")
    else:
        where = f" (step {meta.get('step')}, epoch {meta.get('epoch')})" if meta else ""
        rep.add("run.best_rule", sec, Status.PASS, f"best checkpoint selected by {metric}{where}", evidence=ev)


def check_prediction_distribution(records: list[dict[str, Any]], rep: DoctorReport, *, source: str,
                                  class_weights_on: bool | None = None) -> None:
    """Predicted vs gold label distribution: collapse to NOT, classes never predicted."""
    sec = "data"
    pairs = [(r.get("gold"), r.get("pred")) for r in records if r.get("gold") is not None and "pred" in r]
    if not pairs:
        rep.add("data.class_collapse", sec, Status.SKIP, f"no gold-labelled predictions in {source}")
        return
    n = len(pairs)
    gold_counts: dict[str, int] = {}
    pred_counts: dict[str, int] = {}
    for g, p in pairs:
        gold_counts[str(g)] = gold_counts.get(str(g), 0) + 1
        pred_counts[str(p)] = pred_counts.get(str(p), 0) + 1
    gold_not = gold_counts.get(NOT_LABEL, 0) / n
    pred_not = pred_counts.get(NOT_LABEL, 0) / n
    never = sorted(label for label, c in gold_counts.items() if label != NOT_LABEL and pred_counts.get(label, 0) == 0)
    never_big = [lab for lab in never if gold_counts[lab] >= MIN_SUPPORT_FOR_NEVER_PREDICTED]
    ev = {"n": n, "gold": gold_counts, "pred": pred_counts, "gold_not_share": gold_not,
          "pred_not_share": pred_not, "never_predicted": never, "source": source}
    msg = f"on {n} pairs: predicted NOT {pred_not:.1%} vs gold NOT {gold_not:.1%}"
    if len(pred_counts) == 1:
        rep.add("data.class_collapse", sec, Status.FAIL, msg + f"; every pair predicted {next(iter(pred_counts))}",
                evidence=ev, fix="the model collapsed to one class: check lr, head training and class balance")
    elif pred_not - gold_not > COLLAPSE_NOT_EXCESS or never_big:
        extra = f"; never predicted: {', '.join(never_big)}" if never_big else ""
        gold_pos, pred_pos = 1 - gold_not, 1 - pred_not
        ratio = pred_pos / gold_pos if gold_pos else 1.0
        ev["positive_rate_ratio"] = ratio
        gold_relations = n - gold_counts.get(NOT_LABEL, 0)
        enough = gold_relations >= COLLAPSE_FAIL_MIN_GOLD_POSITIVES
        collapsed = (ratio < COLLAPSE_FAIL_POSITIVE_RATIO and enough) or bool(never_big)
        if not collapsed:
            extra += f"; predicts {ratio:.0%} of the gold relation rate (under-predicts, not collapsed"
            extra += ")" if enough else f"; {gold_relations} gold relations are too few to call a collapse)"
        rep.add("data.class_collapse", sec, Status.FAIL if collapsed else Status.WARN, msg + extra, evidence=ev,
                fix="the model under-predicts relations: check the lr for the method, train more epochs"
                + ("" if class_weights_on else ", or set train.class_weights: balanced"))
    elif never:
        rep.add("data.class_collapse", sec, Status.WARN, msg + f"; rare classes never predicted: {', '.join(never)}",
                evidence=ev, fix="expected for classes with a handful of examples"
                + ("" if class_weights_on else "; consider train.class_weights: balanced"))
    else:
        rep.add("data.class_collapse", sec, Status.PASS, msg + "; every gold class predicted", evidence=ev)


def _check_prompt(facts: RunFacts, rep: DoctorReport) -> None:
    """An instruction-tuned backbone fed bare marked text (the origin's root cause #2)."""
    model = (facts.base_model or "") + " " + str(facts.get("gguf_file") or "")
    instruct = any(w in model.lower() for w in ("instruct", "-chat", "_chat", "-it"))
    if not instruct:
        return
    if facts.uses_prompt:
        rep.add("run.prompt", "run", Status.PASS, "instruction-tuned backbone with the instruction prompt",
                evidence={"model": model.strip()})
    else:
        rep.add("run.prompt", "run", Status.WARN,
                "instruction-tuned backbone trained on bare marked text: the model is never told the task",
                evidence={"model": model.strip(), "prompt": facts.get("prompt")},
                fix="set represent.prompt: true (rendered with the model's chat template)")


def _check_best_reload(facts: RunFacts, rep: DoctorReport) -> None:
    """The reloaded best checkpoint must reproduce the F1 it was selected with."""
    best = facts.summary.get("best")
    final = facts.summary.get("final")
    if not isinstance(best, dict) or not isinstance(final, dict):
        return
    at_selection = (best.get("metrics") or {}).get("f1")
    reloaded = final.get("f1")
    if not isinstance(at_selection, (int, float)) or not isinstance(reloaded, (int, float)):
        return
    dtype = facts.compute_dtype
    atol = dtype_tolerance(RELOAD_F1_ATOL_BY_DTYPE, dtype)
    ev = {"f1_at_selection": at_selection, "f1_after_reload": reloaded, "best_step": best.get("step"),
          "best_epoch": best.get("epoch"), "dtype": dtype, "tolerance": atol}
    if abs(at_selection - reloaded) > atol:
        rep.add("run.best_reload", "run", Status.FAIL,
                f"the reloaded best checkpoint scores F1 {reloaded:.4f}, but {at_selection:.4f} when it was "
                f"selected (step {best.get('step')}): the reload does not restore the trained model",
                evidence=ev, fix="check which files the reload reads (adapter, head, embeddings) and the process "
                "that saved them; relx doctor CHECKPOINT shows what is missing")
    else:
        rep.add("run.best_reload", "run", Status.PASS,
                f"best checkpoint (step {best.get('step')}) reloaded reproduces its validation F1 {reloaded:.4f} "
                f"(within {atol:g}, {dtype})",
                evidence=ev)


def _check_recorded_truncation(facts: RunFacts, rep: DoctorReport) -> None:
    """Truncation the training engine recorded (relx runs), without needing --data."""
    rec = facts.summary.get("truncated")
    n_val, n_train = facts.summary.get("n_val"), facts.summary.get("n_train")
    if not isinstance(rec, dict) or not n_val:
        return
    val, lost = rec.get("val", 0) or 0, rec.get("val_lost_mention", 0) or 0
    share = val / n_val
    ev = {**rec, "n_val": n_val, "n_train": n_train, "max_length": facts.get("max_length"), "share": share}
    msg = (f"{val}/{n_val} validation inputs ({share:.1%}) truncated at {facts.get('max_length')} tokens "
           f"(entity-aware); {lost} lost a marked mention or the prompt tail")
    if lost:
        rep.add("data.truncation_recorded", "data", Status.FAIL, msg, evidence=ev,
                fix="raise represent.max_length_tokens: these inputs cannot be classified")
    elif share > TRUNCATION_WARN_SHARE:
        rep.add("data.truncation_recorded", "data", Status.WARN, msg, evidence=ev,
                fix="raise represent.max_length_tokens if memory allows (context sentences were cut)")
    else:
        rep.add("data.truncation_recorded", "data", Status.PASS, msg, evidence=ev)


def _check_warmup(facts: RunFacts, rep: DoctorReport) -> None:
    """Warmup as a share of all optimizer updates."""
    total = facts.total_updates
    key, value = lookup(facts.config, "warmup")
    if not total or value is None or not key:
        return
    steps = float(value) * total if "ratio" in key else float(value)
    share = steps / total
    ev = {"warmup_key": key, "warmup": value, "warmup_steps": steps, "total_updates": total, "share": share}
    if share > WARMUP_MAX_SHARE:
        rep.add("run.warmup", "run", Status.WARN,
                f"warmup {steps:.0f} of {total} updates ({share:.0%}): the lr stays below its peak for much of training",
                evidence=ev, fix="use warmup_ratio 0.06-0.1, or fewer warmup steps when the effective batch is large")
    else:
        rep.add("run.warmup", "run", Status.PASS, f"warmup {steps:.0f} of {total} updates ({share:.0%})", evidence=ev)
