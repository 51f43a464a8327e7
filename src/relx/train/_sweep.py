"""Hyper-parameter sweeps: a grid of ``--set`` overrides, expanded, written out, run, tabled.

``relx sweep CONFIG --grid train.lr=3e-5,2e-4 --grid model.lora.r=8,16 --out DIR`` expands
the Cartesian product of the grid (4 points here), validates every point's config before
anything trains (all problems at once), writes each one to ``DIR/configs/<point>.yaml`` so a
cluster scheduler can run them instead (``relx train DIR/configs/<point>.yaml --out ...`` or
``relx cv ...``), then runs them (each a cross-validation or a single training run) and
writes ``DIR/sweep.json`` with every point's parameters, status and scores.

A grid value is a YAML scalar or flow list, as in ``--set``; commas inside brackets do not
split values, so ``--grid 'model.lora.target_modules=[q_proj,v_proj],all-linear'`` has two
values. Finished points (``COMPLETE`` in their run or CV summary present) are skipped when
the sweep is started again.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from relx import __version__
from relx._io import atomic_write_json, atomic_write_text, read_json
from relx.errors import ConfigError
from relx.rundir import COMPLETE_MARKER, CV_SUMMARY_FILE, RUN_FORMAT_VERSION
from relx.train._config import RelxConfig, config_to_yaml
from relx.train._cv import cross_validate, fold_metrics, load_config_file
from relx.train._launch import Job, JobResult, parse_gpus, run_jobs

__all__ = ["SWEEP_FILE", "SweepPoint", "parse_grid", "expand_grid", "sweep"]

#: The sweep manifest and results, inside the sweep directory.
SWEEP_FILE = "sweep.json"


@dataclass
class SweepPoint:
    """One point of the grid: its name, its overrides and, once run, its outcome."""

    name: str
    overrides: list[str]
    params: dict[str, str]
    config_path: Path | None = None
    run_dir: Path | None = None
    status: str = "pending"
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The point as stored in ``sweep.json``."""
        return {
            "name": self.name,
            "params": self.params,
            "overrides": self.overrides,
            "config": str(self.config_path) if self.config_path else None,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "status": self.status,
            "metrics": self.metrics,
            "error": self.error,
            "seconds": self.seconds,
        }


def _split_values(text: str) -> list[str]:
    """Split on commas outside ``[...]``/``{...}`` (a flow list is one value)."""
    values: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    return values


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["train.lr=3e-5,2e-4", "model.lora.r=8,16"]`` -> ``{"train.lr": ["3e-5", "2e-4"], ...}``.

    Raises:
        ConfigError: an item without ``key=v1,v2``, an empty value, or a key given twice (E420).
    """
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, rest = item.partition("=")
        key = key.strip()
        values = _split_values(rest) if sep else []
        if not sep or not key or not values or any(v == "" for v in values):
            raise ConfigError(
                f"--grid {item!r}: expected KEY=V1,V2,... such as train.lr=3e-5,2e-4",
                code="E420",
                hint="relx sweep CONFIG --grid train.lr=3e-5,2e-4 --out sweep/",
            )
        if key in grid:
            raise ConfigError(
                f"--grid: key {key!r} is given twice; expected each key once with all its "
                "values",
                code="E420",
                hint=f"--grid {key}={','.join(grid[key] + values)}",
            )
        grid[key] = values
    return grid


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+_-]+", "_", text).strip("_") or "x"


def expand_grid(grid: dict[str, list[str]]) -> list[SweepPoint]:
    """The Cartesian product of ``grid``, in a stable order (first key varies slowest).

    Point names are ``{index:03d}_{leaf}-{value}_...`` with the last component of each key
    (``lr-3e-5_r-8``), safe as directory names.
    """
    keys = list(grid)
    points = []
    for index, combo in enumerate(itertools.product(*(grid[k] for k in keys))):
        params = dict(zip(keys, combo))
        label = "_".join(f"{k.rsplit('.', 1)[-1]}-{_slug(v)}" for k, v in params.items())
        points.append(
            SweepPoint(
                name=f"{index:03d}_{label}" if label else f"{index:03d}",
                overrides=[f"{k}={v}" for k, v in params.items()],
                params=params,
            )
        )
    return points


def _score_train(run_dir: Path) -> dict[str, Any]:
    m = fold_metrics(run_dir)
    return {name: m[name] for name in ("precision", "recall", "f1", "accuracy")}


def _score_cv(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        **{name: summary["mean"].get(name) for name in ("precision", "recall", "f1", "accuracy")},
        "f1_std": summary["std"].get("f1"),
        "n_folds": summary.get("n_folds"),
        "failed_folds": summary.get("failed_folds", []),
    }


def sweep(
    config: RelxConfig | str | os.PathLike[str],
    *,
    grid: dict[str, list[str]] | Sequence[str],
    out_dir: str | os.PathLike[str],
    overrides: Sequence[str] = (),
    mode: Literal["cv", "train"] = "cv",
    run: bool = True,
    folds: Sequence[int] | None = None,
    gpus: str | Sequence[str] | None = None,
    processes: int = 1,
    cpu: bool = False,
    train_fn: Callable[..., Any] | None = None,
    on_event: Callable[[str, SweepPoint], None] | None = None,
) -> list[SweepPoint]:
    """Expand, validate, write out and (unless ``run=False``) run a grid of configs.

    Args:
        config: A config, config file or preset name (the base of every point).
        grid: ``{key: [values]}`` or ``["key=v1,v2", ...]`` as given to ``--grid``.
        out_dir: The sweep directory.
        overrides: ``--set`` overrides applied to the base before the grid's.
        mode: ``cv`` runs each point as a cross-validation (``relx cv``), ``train`` as one
            training run (``relx train``; the config names its fold or train/val files).
        run: False only writes the configs and ``sweep.json`` (for a cluster scheduler).
        folds: With ``mode="cv"``, the folds to run (default: all).
        gpus: GPU indices: cv mode spreads each point's folds over them; train mode runs
            points concurrently, one per GPU (group).
        processes: GPUs per run (DDP through ``accelerate launch`` when > 1).
        cpu: Subprocess workers on CPU (tests).
        train_fn: Training function for in-process runs (default :func:`relx.train.train`).
        on_event: Called with ``("start"|"end"|"skip", point)``.

    Returns:
        The points with their status and metrics (also in ``out_dir/sweep.json``).

    Raises:
        ConfigError: a malformed grid, or invalid configs (every point's problems at once).
    """
    grid_dict = parse_grid(grid) if not isinstance(grid, dict) else {
        k: [str(v) for v in vs] for k, vs in grid.items()
    }
    points = expand_grid(grid_dict)
    out = Path(out_dir).resolve()

    # Validate every point before anything runs: a typo in the 7th point must not surface
    # after six hours of training.
    configs: dict[str, RelxConfig] = {}
    problems: list[str] = []
    for point in points:
        try:
            configs[point.name] = load_config_file(config, [*overrides, *point.overrides])
        except ConfigError as error:
            problems.append(f"point {point.name}: {error.message}")
    if problems:
        raise ConfigError(
            f"{len(problems)} of {len(points)} sweep points are invalid:\n  "
            + "\n  ".join(problems),
            code="E421",
            hint="relx config validate CONFIG --set KEY=VALUE  # checks one point",
        )

    for point in points:
        cfg = configs[point.name]
        for key in ("train_files", "val_files", "split_files", "corpus_files"):
            setattr(cfg.data, key, [str(Path(f).resolve()) for f in getattr(cfg.data, key)])
        point.config_path = out / "configs" / f"{point.name}.yaml"
        point.run_dir = out / point.name
        atomic_write_text(point.config_path, config_to_yaml(cfg))

    manifest: dict[str, Any] = {
        "format_version": RUN_FORMAT_VERSION,
        "relx_version": __version__,
        "kind": "sweep",
        "mode": mode,
        "config_source": None if isinstance(config, RelxConfig) else str(config),
        "overrides": list(overrides),
        "grid": grid_dict,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "status": "written" if not run else "running",
        "points": [p.to_json() for p in points],
    }
    atomic_write_json(out / SWEEP_FILE, manifest)
    if not run:
        return points

    gpu_list = parse_gpus(gpus)
    if mode == "train" and (gpu_list or processes > 1):
        _run_train_points_in_subprocesses(points, out, gpu_list, processes, cpu, on_event)
    else:
        for point in points:
            _run_point(point, configs[point.name], mode=mode, folds=folds, gpus=gpu_list,
                       processes=processes, cpu=cpu, train_fn=train_fn, on_event=on_event)
            manifest["points"] = [p.to_json() for p in points]
            atomic_write_json(out / SWEEP_FILE, manifest)

    manifest["points"] = [p.to_json() for p in points]
    manifest["status"] = "complete" if all(p.status != "failed" for p in points) else "failed"
    manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    atomic_write_json(out / SWEEP_FILE, manifest)
    return points


def _run_point(
    point: SweepPoint,
    cfg: RelxConfig,
    *,
    mode: str,
    folds: Sequence[int] | None,
    gpus: list[str],
    processes: int,
    cpu: bool,
    train_fn: Callable[..., Any] | None,
    on_event: Callable[[str, SweepPoint], None] | None,
) -> None:
    assert point.run_dir is not None  # set by sweep() before any point runs
    done = (point.run_dir / (CV_SUMMARY_FILE if mode == "cv" else COMPLETE_MARKER)).is_file()
    if done and mode == "cv":
        summary = read_json(point.run_dir / CV_SUMMARY_FILE)
        done = not summary.get("failed_folds")
    if done:
        point.status = "skipped"
        point.metrics = (_score_cv(read_json(point.run_dir / CV_SUMMARY_FILE)) if mode == "cv"
                         else _score_train(point.run_dir))
        if on_event:
            on_event("skip", point)
        return
    if on_event:
        on_event("start", point)
    started = time.monotonic()
    try:
        if mode == "cv":
            summary = cross_validate(cfg, out_dir=point.run_dir, folds=folds, gpus=gpus or None,
                                     processes=processes, cpu=cpu, train_fn=train_fn)
            point.metrics = _score_cv(summary)
            point.status = "failed" if summary.get("failed_folds") else "complete"
            if summary.get("failed_folds"):
                point.error = f"folds {summary['failed_folds']} failed"
        else:
            if train_fn is None:
                from relx.train._recipe import train as train_fn  # noqa: PLC0415 - import cycle
            resume = (point.run_dir / "checkpoints" / "last").is_dir()
            train_fn(cfg, run_dir=point.run_dir, resume=resume, progress=False)
            point.metrics = _score_train(point.run_dir)
            point.status = "complete"
    except KeyboardInterrupt:
        raise
    except Exception as error:  # noqa: BLE001 - one failed point must not stop the rest
        point.status = "failed"
        point.error = str(error).splitlines()[0] if str(error) else type(error).__name__
    point.seconds = time.monotonic() - started
    if on_event:
        on_event("end", point)


def _run_train_points_in_subprocesses(
    points: list[SweepPoint],
    out: Path,
    gpus: list[str],
    processes: int,
    cpu: bool,
    on_event: Callable[[str, SweepPoint], None] | None,
) -> None:
    by_name = {p.name: p for p in points}
    jobs = []
    for point in points:
        assert point.run_dir is not None and point.config_path is not None
        if (point.run_dir / COMPLETE_MARKER).is_file():
            point.status = "skipped"
            point.metrics = _score_train(point.run_dir)
            if on_event:
                on_event("skip", point)
            continue
        jobs.append(Job(point.name, point.config_path, point.run_dir,
                        resume=(point.run_dir / "checkpoints" / "last").is_dir()))

    def relay(kind: str, job: Job, result: JobResult | None) -> None:
        point = by_name[job.name]
        if result is not None:
            point.seconds = result.seconds
            if result.ok:
                point.status = "complete"
                point.metrics = _score_train(point.run_dir)  # type: ignore[arg-type]
            else:
                point.status = "failed"
                tail = [line for line in result.tail if line.strip()]
                point.error = f"exit code {result.returncode}" + (f": {tail[-1]}" if tail else "")
        if on_event:
            on_event(kind, point)

    run_jobs(jobs, log_dir=out / "logs", gpus=gpus, processes=processes, cpu=cpu, on_event=relay)
