"""CLI commands of the `diagnose` stage: ``relx doctor`` and ``relx diff``.

Thin wrappers: parse, call :func:`relx.diagnose.doctor` / :func:`relx.diagnose.diff_runs`,
render (rich, ``--json``, ``--md``), exit 1 when a check failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

__all__ = ["register", "doctor_cli", "diff_cli"]

DOCTOR_EXAMPLE = "Example: relx doctor runs/lora_smollm2 --data splits/split_4.json"
DIFF_EXAMPLE = "Example: relx diff runs/lora_lr3e-5 runs/lora_lr2e-4 --md diff.md"

_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim", "info": "cyan"}


def _print_report(report) -> None:
    from rich.markup import escape

    from relx.cli._app import console
    from relx.diagnose import STATUS_SYMBOL

    console.print(f"[bold]relx doctor[/] {report.path} [dim]({report.kind})[/]")
    for section, checks in report.grouped():
        console.print(f"\n[bold underline]{escape(section)}[/]")
        for check in checks:
            style = _STYLE[check.status.value]
            console.print(
                f" [{style}]{STATUS_SYMBOL[check.status]}[/] [dim]{check.id}[/] {escape(check.message)}",
                highlight=False, soft_wrap=True,
            )
            if check.fix and check.status.value in ("fail", "warn"):
                console.print(f"     [dim]fix:[/] {escape(check.fix)}", highlight=False, soft_wrap=True)
    counts = report.counts()
    console.print(
        f"\n[green]{counts['pass']} passed[/], [yellow]{counts['warn']} warnings[/], "
        f"[red]{counts['fail']} failed[/], {counts['skip']} skipped"
    )


def _quiet_transformers() -> None:
    """Hide transformers' weight-loading bars and load reports: the checklist is the output."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers is a dependency
        pass


def doctor_cli(
    path: Path = typer.Argument(..., exists=True, file_okay=False, help="Run dir, checkpoint dir, or HF/PEFT save_pretrained dir."),
    base_model: Optional[str] = typer.Option(None, "--base-model", help="Local base model dir (when the checkpoint's reference is not local)."),
    data: Optional[Path] = typer.Option(None, "--data", exists=True, dir_okay=False, help="A split JSON: truncation share, predicted vs gold labels."),
    config: Optional[Path] = typer.Option(None, "--config", exists=True, dir_okay=False, help="The training config (YAML/JSON) of a bare checkpoint."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    md: Optional[Path] = typer.Option(None, "--md", help="Also write the checklist as Markdown to this file."),
    allow_pickle: bool = typer.Option(False, "--allow-pickle", help="Read *.pt/*.bin with torch.load(weights_only=True) instead of only listing them."),
    no_model: bool = typer.Option(False, "--no-model", help="Static checks only: never build the model."),
) -> None:
    """Say what is wrong with a run or a checkpoint: a checklist (✔/⚠/✘) with evidence and fixes.

    Exits 1 when any check fails, so it can gate CI.
    """
    from relx._io import atomic_write_text
    from relx.cli._app import console, err_console
    from relx.diagnose import doctor

    _quiet_transformers()
    # A spinner on stderr (terminals only): model checks load the checkpoint, per fold.
    with err_console.status(f"examining {path} ...") as status:
        report = doctor(
            path, base_model=base_model, data=data, config=config, allow_pickle=allow_pickle,
            build_model=not no_model, progress=lambda line: status.update(f"examining {path}: {line}"),
        )
    if md is not None:
        atomic_write_text(md, report.to_markdown())
    if as_json:
        console.print_json(json.dumps(report.to_json()))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_diff(result) -> None:
    from rich.markup import escape

    from relx.cli._app import console

    if result.headline:
        console.print(f"[bold red]{escape(result.headline)}[/]")
    console.print(f"[bold]relx diff[/] A={result.run_a}  B={result.run_b}")
    if result.per_fold:
        table = Table(title="Per fold")
        for col in ("fold", "F1 A", "F1 B", "B−A", "same docs"):
            table.add_column(col)
        for row in result.per_fold:
            cells = [row["fold"]] + ["—" if row[k] is None else f"{row[k]:{'+.4f' if k == 'delta' else '.4f'}}"
                                     for k in ("f1_a", "f1_b", "delta")]
            cells.append({True: "[green]yes[/]", False: "[red]NO[/]", None: "?"}[row["same_documents"]])
            table.add_row(*cells)
        console.print(table)
    comp = result.comparability
    if comp:
        table = Table(title="Comparability", show_lines=False)
        table.add_column("check", ratio=2, overflow="fold")
        table.add_column("same?", no_wrap=True)
        table.add_column("detail", ratio=5, overflow="fold")
        for item in comp:
            same = item["same"]
            mark = "[green]yes[/]" if same is True else "[red]NO[/]" if same is False else "[dim]?[/]"
            table.add_row(item["what"], mark, escape(item["detail"]))
        console.print(table)
    table = Table(title="Differences, ranked by likely impact")
    table.add_column("#", no_wrap=True)
    table.add_column("setting", ratio=2, overflow="fold")
    table.add_column("A", ratio=1, overflow="fold")
    table.add_column("B", ratio=1, overflow="fold")
    table.add_column("impact", no_wrap=True)
    table.add_column("why", ratio=4, overflow="fold")
    colors = {"HIGH": "bold red", "MEDIUM": "yellow", "LOW": "dim"}
    for i, item in enumerate(result.differences, 1):
        table.add_row(str(i), escape(item.name), escape(item.a_text), escape(item.b_text),
                      f"[{colors[item.impact]}]{item.impact}[/]", escape(item.reason))
    console.print(table)
    if result.results:
        table = Table(title="Results")
        table.add_column("", overflow="fold")
        for col in ("A", "B"):
            table.add_column(col, no_wrap=True)  # "0.8400 [0.812, 0.871]" stays on one line
        for row in result.results_rows():
            table.add_row(*(escape(c) for c in row))
        console.print(table)
    sample = result.results.get("disagreements") if result.results else None
    if sample:
        table = Table(title=f"Pairs where they disagree ({len(sample)} of {result.results.get('n_disagreements')})")
        for col in ("pair", "gold", "A", "B"):
            table.add_column(col)
        for row in sample:
            table.add_row(escape(str(row["id"])), str(row["gold"]), str(row["a"]), str(row["b"]))
        console.print(table)
    for note in result.notes:
        console.print(f"[dim]note:[/] {escape(note)}", highlight=False)


def diff_cli(
    run_a: Path = typer.Argument(..., exists=True, help="First run dir (or a config file of another tool)."),
    run_b: Path = typer.Argument(..., exists=True, help="Second run dir (or config file)."),
    md: Optional[Path] = typer.Option(None, "--md", help="Write the diff as Markdown to this file."),
    as_json: bool = typer.Option(False, "--json", help="Print the diff as JSON."),
    data: Optional[Path] = typer.Option(None, "--data", exists=True, dir_okay=False, help="Validation split JSON for truncation shares, when the configs do not name it."),
) -> None:
    """Explain why two runs differ: config differences ranked by likely impact, comparability, results."""
    from relx._io import atomic_write_text
    from relx.cli._app import console
    from relx.diagnose import diff_runs

    _quiet_transformers()
    result = diff_runs(run_a, run_b, data=data)
    if md is not None:
        atomic_write_text(md, result.to_markdown())
    if as_json:
        console.print_json(json.dumps(result.to_json()))
    else:
        _print_diff(result)


def register(app: typer.Typer) -> None:
    """Add ``doctor`` and ``diff`` to the root app."""
    # The example goes in the epilog so that it is the last thing --help prints.
    app.command("doctor", epilog=DOCTOR_EXAMPLE)(doctor_cli)
    app.command("diff", epilog=DIFF_EXAMPLE)(diff_cli)
