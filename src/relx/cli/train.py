"""CLI commands of the `train` stage: ``relx train`` and ``relx config show|fill|validate``.

Thin wrappers: parse, check that paths exist, call :mod:`relx.train`, print. The cv/sweep/
quickstart commands are registered by their own ``register_*`` helpers in the marked section
at the end of this file.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

__all__ = ["register", "register_train", "register_config"]

_SET_HELP = "Override a config value, dotted key = YAML scalar (repeatable), e.g. train.lr=2e-4."


def _load(config: str, overrides: list[str] | None):  # -> RelxConfig
    from relx.train import load_config

    return load_config(config, list(overrides or []))


def train_cli(
    config: str = typer.Argument(..., help="YAML config file or preset name."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory to create (or resume)."),
    overrides: list[str] = typer.Option(None, "--set", help=_SET_HELP),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from RUN_DIR/checkpoints/last (model, optimizer, "
        "scheduler, RNG, data order)."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    force: bool = typer.Option(
        False, "--force", help="Train into a non-empty --out folder that holds no relx run "
        "(its files may be overwritten)."
    ),
) -> None:
    """Train one model on one fold and write a self-describing run directory."""
    from relx import rundir
    from relx._guard import check_output_dir
    from relx.cli._app import console
    from relx.train import train

    check_output_dir(out, what="a run directory", force=force or resume,
                     is_relx_dir=lambda d: (d / rundir.RUN_FILE).is_file())
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cfg = None if resume and not config else _load(config, overrides)
    summary = train(cfg, run_dir=out, resume=resume, progress=progress)
    if json_out:
        console.print_json(json.dumps(summary))
        return
    _print_summary(summary, out)


def _print_summary(summary: dict, out: Path) -> None:
    from rich.table import Table

    from relx.cli._app import console

    table = Table(title=f"run {out}  ({summary.get('status')})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    final = summary.get("final") or summary.get("best", {}).get("metrics") or {}
    for key in ("precision", "recall", "f1", "accuracy"):
        if key in final:
            table.add_row(f"val {key}", f"{final[key]:.4f}")
    best = summary.get("best") or {}
    if best:
        table.add_row("best step", str(best.get("step")))
    table.add_row("optimizer steps", str(summary.get("global_step")))
    table.add_row("elapsed", f"{summary.get('elapsed_s', 0):.1f} s")
    console.print(table)


# ----------------------------------------------------------------- relx config ...

config_app = typer.Typer(
    name="config",
    help="Show, fill and validate training configs.\n\nExample: relx config show quickstart/minilm",
    no_args_is_help=True,
)


@config_app.command(
    "show", epilog="Example: relx config show quickstart/minilm --set train.lr=1e-4"
)
def config_show_cli(
    config: str = typer.Argument(..., help="YAML config file or preset name."),
    overrides: list[str] = typer.Option(None, "--set", help=_SET_HELP),
    comments: bool = typer.Option(False, "--comments", help="Describe every key in comments."),
) -> None:
    """Print the fully resolved config (every default and automatic choice filled in)."""
    import warnings

    from relx.train import config_to_yaml, resolve_config

    cfg = _load(config, overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are printed as notes in the YAML
        resolved = resolve_config(cfg)
    typer.echo(config_to_yaml(resolved, comments=comments), nl=False)


@config_app.command(
    "fill", epilog="Example: relx config fill my.yaml --from biored/minilm --set train.epochs=5"
)
def config_fill_cli(
    out: Path = typer.Argument(..., help="Where to write the filled config (YAML)."),
    base: str = typer.Option(
        None, "--from", help="Start from this config file or preset (default: all defaults)."
    ),
    overrides: list[str] = typer.Option(None, "--set", help=_SET_HELP),
) -> None:
    """Write a config with every key, its default and a comment saying what it does."""
    from relx._io import atomic_write_text
    from relx.cli._app import console
    from relx.train import config_to_yaml, load_config

    cfg = load_config(base, list(overrides or []))
    atomic_write_text(out, config_to_yaml(cfg, comments=True))
    console.print(f"[green]✔[/] wrote {out}")


@config_app.command(
    "validate", epilog="Example: relx config validate my.yaml --set train.lr=2e-4"
)
def config_validate_cli(
    config: str = typer.Argument(..., help="YAML config file or preset name."),
    overrides: list[str] = typer.Option(None, "--set", help=_SET_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check a config without training: schema, consistency, data files, warnings.

    Exits 1 with one line per problem when the config cannot run.
    """
    import warnings

    from relx.cli._app import console
    from relx.train import check_ready, resolve_config

    cfg = _load(config, overrides)
    check_ready(cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resolved = resolve_config(cfg)
    if json_out:
        console.print_json(json.dumps({"valid": True, "notes": resolved.notes}))
        return
    console.print(f"[green]✔[/] {config} is valid")
    for note in resolved.notes:
        mark = "[yellow]⚠[/]" if note.startswith("warning:") else "[dim]·[/]"
        console.print(f"{mark} {note.removeprefix('warning: ')}", highlight=False)


def register_train(app: typer.Typer) -> None:
    """Add ``relx train``."""
    app.command(
        "train",
        no_args_is_help=True,
        epilog="Example: relx train my.yaml --out runs/fold0 --set train.lr=2e-4 "
        "(continue an interrupted run: add --resume)",
    )(train_cli)


def register_config(app: typer.Typer) -> None:
    """Add ``relx config show|fill|validate``."""
    app.add_typer(config_app, name="config")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    register_train(app)
    register_config(app)
    for extra in _EXTRA_REGISTERS:
        extra(app)


# ======================================================================================
# cv / sweep / quickstart commands (owned by the cv engineer): define `register_cv(app)`
# etc. below and append them to _EXTRA_REGISTERS.
# ======================================================================================

_EXTRA_REGISTERS: list = []
