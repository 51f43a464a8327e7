"""The root typer app and the error boundary between the CLI and the library."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from relx import __version__
from relx.errors import LoggedRelxWarning, RelxError, RelxWarning

__all__ = ["app", "main", "console", "err_console"]

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="relx",
    help=(
        "Biomedical relation extraction: build entity-pair data from BioRED/LitCoin corpora, "
        "fine-tune encoders and LLMs (full, LoRA, QLoRA), cross-validate, evaluate by the "
        "field's protocols, and diagnose why a run underperforms.\n\n"
        "Example: relx quickstart"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"relx {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """relx command line."""


def _register_all() -> None:
    # Imported here so that `relx --help` lists every command; each module stays small.
    from relx.cli import cv, data, diagnose, errors, evaluate, train

    for module in (data, train, cv, evaluate, diagnose, errors):
        module.register(app)


_register_all()


def _quiet_transformers() -> None:
    """Silence transformers' per-load chatter on the command line (library calls keep it).

    Every checkpoint reload printed weight-loading progress bars and a "LOAD REPORT" about
    BERT's pooler, which relx drops on purpose (its cls head owns the pooler's dense layer).
    relx logs its own choices with their reasons; real problems still surface as errors.
    Cheap when transformers was not imported yet: its environment variable is read at import.
    """
    import os

    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def _plain_relx_warnings() -> None:
    """relx's own warnings on the command line as one line, ``warning <message>``.

    Python's default shows ``path/to/module.py:123: RelxWarning: ...`` and the source line
    that raised it: the place in relx's code, which is no use to someone whose input the
    warning is about. A ``LoggedRelxWarning`` is not printed at all: its log line is.
    Other warnings keep Python's format; ``catch_warnings`` blocks that
    record warnings (relx eval's report) are unaffected, since they replace the hook.
    """
    import warnings

    default = warnings.showwarning
    if getattr(default, "relx_plain", False):  # main() called again in one process
        return

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001, ANN202
        if issubclass(category, LoggedRelxWarning):
            return  # relx logged the same message (relx.errors.warn_and_log): print it once
        if issubclass(category, RelxWarning):
            from rich.markup import escape

            err_console.print(f"[yellow]warning[/] {escape(str(message))}", highlight=False,
                              soft_wrap=True)
            return
        default(message, category, filename, lineno, file, line)

    show.relx_plain = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def main() -> None:
    """Console entry point: run the app, turning user errors into one line + exit 1."""
    _quiet_transformers()
    _plain_relx_warnings()
    try:
        result = app(standalone_mode=False)
        # In non-standalone mode typer *returns* the code of a `typer.Exit(n)` raised by a
        # command (e.g. `relx doctor` exiting 1 on a failed check) instead of exiting.
        if result == 130:  # Ctrl-C: click turned the KeyboardInterrupt into a return code
            raise KeyboardInterrupt
        if isinstance(result, int) and result != 0:
            sys.exit(result)
    except RelxError as error:
        from rich.markup import escape  # messages hold [E401], [a, b]: not rich markup

        err_console.print(
            f"[bold red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True
        )
        if error.hint:
            err_console.print(
                f"[dim]hint:[/] {escape(error.hint)}", highlight=False, soft_wrap=True
            )
        sys.exit(1)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        from rich.markup import escape

        err_console.print(escape(interrupted_message()), highlight=False, soft_wrap=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as click_error:  # click usage errors carry their own formatting
        if isinstance(click_error, _click_exception_types()):
            click_error.show()
            # A path that does not exist is a user mistake like any other: exit 1, as the
            # README promises (click's own code for usage errors is 2).
            missing = "does not exist" in click_error.format_message()
            sys.exit(1 if missing else click_error.exit_code)
        raise


def interrupted_message() -> str:
    """One line for Ctrl-C: which directory was being written, and how to go on.

    The directories come from the locks this process holds (relx._lock): a run directory,
    a CV directory or a folds folder; ``sys.argv`` gives the command to repeat.
    """
    import shlex

    from relx._lock import held_locks

    held = held_locks()
    if not held:
        return "interrupted (Ctrl-C); nothing was being written"
    lock = held[0]
    args = sys.argv[1:]
    if lock.kind == "train":
        again = ["relx", *args] if "--resume" in args else ["relx", *args, "--resume"]
        return (f"interrupted (Ctrl-C): run {lock.directory} is unfinished; its last "
                f"checkpoint (if any) is kept; resume: {shlex.join(again)}")
    if lock.kind == "cv":
        return (f"interrupted (Ctrl-C): CV {lock.directory} is unfinished; finished folds are "
                f"kept and skipped; resume: {shlex.join(['relx', *args])}")
    return (f"interrupted (Ctrl-C) while writing {lock.directory} ({lock.kind}); nothing "
            f"there is complete; run again: {shlex.join(['relx', *args])}")


def _click_exception_types() -> tuple[type[Exception], ...]:
    """Usage-error classes of click and of the click copy that newer typer vendors.

    typer >= 0.20 ships its own click (``typer._click``): its usage errors are not
    ``click.ClickException``. Older typer has no such module.
    """
    types: list[type[Exception]] = []
    try:
        import click

        types.append(click.ClickException)
    except ImportError:
        pass
    try:
        from typer._click.exceptions import ClickException as VendoredClickException

        types.append(VendoredClickException)
    except ImportError:
        pass
    return tuple(types)
