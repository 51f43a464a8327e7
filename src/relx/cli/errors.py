"""``relx errors [CODE]``: the error-code catalog (relx.error_codes) on the command line.

A user who sees ``[E115]`` can ask what it means without leaving the terminal; the same
table is docs/errors.md.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

__all__ = ["register", "errors_cli"]

ERRORS_EXAMPLE = "Example: relx errors E115"


def errors_cli(
    code: Optional[str] = typer.Argument(None, metavar="[CODE]",
                                         help="One code, e.g. E115; all codes when omitted."),
) -> None:
    """List relx's error codes and their meaning (or explain one code)."""
    from relx.cli._app import console
    from relx.error_codes import CATALOG, RANGES, lookup
    from relx.errors import ConfigError

    if code is not None:
        try:
            entry = lookup(code)
        except KeyError:
            raise ConfigError(f"{code!r} is not a relx error code; expected e.g. E115",
                              code="E000", hint="relx errors  # lists every code") from None
        console.print(f"[bold]{entry.code}[/] ({entry.error}): {escape(entry.meaning)}",
                      highlight=False)
        return
    table = Table(title="relx error codes (docs/errors.md)")
    for column in ("code", "stage", "raised as", "meaning"):
        table.add_column(column, overflow="fold")
    for entry in CATALOG:
        table.add_row(entry.code, RANGES[entry.code[1]].split(" (")[0], entry.error,
                      escape(entry.meaning))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``relx errors`` to the root app."""
    app.command("errors", epilog=ERRORS_EXAMPLE)(errors_cli)
