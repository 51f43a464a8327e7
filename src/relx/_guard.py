"""Output paths that would clobber something: checked before any work starts.

``relx predict RUN mine.pubtator --out mine.pubtator`` replaced the gold corpus, ``relx
train --out`` into a folder of the user's own files wrote over them, and an ``--out`` that
was a file or a dangling symlink failed only after every pair was built. These checks run
first, in the commands that write, and refuse with one line that names the path.

Codes: E613 output is an input · E614 output is the wrong kind of path (a file where a
folder goes, a folder where a file goes, a dangling symlink) · E615 a non-empty folder relx
did not write (``--force`` writes into it anyway).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from relx._lock import LOCK_FILE
from relx.errors import RunDirError

__all__ = ["check_output_file", "check_output_dir", "foreign_entries"]


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _dangling(path: Path) -> bool:
    return path.is_symlink() and not path.exists()


def check_output_file(
    out: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    option: str = "--out",
) -> None:
    """Refuse an output *file* that is one of ``inputs``, a folder, or a dangling symlink.

    Raises:
        RunDirError: E613 (an input) or E614 (wrong kind of path).
    """
    target = Path(out)
    for raw in inputs:
        source = Path(raw)
        if _same(target, source):
            raise RunDirError(
                f"{option} {target} is also an input; writing it would destroy that input; "
                "expected a new file",
                code="E613",
                hint=f"{option} {target.with_name(target.stem + '.pred' + target.suffix)}",
            )
    if _dangling(target):
        raise RunDirError(
            f"{option} {target} is a symlink to a missing file ({os.readlink(target)}); "
            "expected a file path (or remove the link)", code="E614",
        )
    if target.is_dir():
        raise RunDirError(f"{option} {target} is a folder; expected a file path",
                          code="E614", hint=f"{option} {target / 'predictions.out'}")
    if target.parent.exists() and not target.parent.is_dir():
        raise RunDirError(f"{option} {target}: its parent {target.parent} is a file; "
                          "expected a folder there", code="E614")


def foreign_entries(directory: Path, ours: Callable[[str], bool]) -> list[str]:
    """Names in ``directory`` relx would not have written (``ours(name)`` is False)."""
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir()
                  if p.name != LOCK_FILE and not ours(p.name))


def check_output_dir(
    out: str | os.PathLike[str],
    *,
    is_relx_dir: Callable[[Path], bool],
    what: str,
    force: bool = False,
    option: str = "--out",
) -> None:
    """Refuse an output *folder* that is a file, a dangling symlink, or someone else's.

    Args:
        out: The folder (it may not exist yet).
        is_relx_dir: Whether an existing non-empty folder was written by relx (a run
            directory has ``run.json``, a folds folder its ``manifest.json``...).
        what: What relx writes there, for the message (``"a run directory"``).
        force: Write into a non-empty foreign folder anyway.

    Raises:
        RunDirError: E614 (a file or a dangling symlink) or E615 (foreign, without force).
    """
    target = Path(out)
    if _dangling(target):
        raise RunDirError(
            f"{option} {target} is a symlink to a missing folder ({os.readlink(target)}); "
            f"expected a folder for {what} (create the target or remove the link)",
            code="E614",
        )
    if target.exists() and not target.is_dir():
        raise RunDirError(f"{option} {target} is an existing file; expected a folder for "
                          f"{what}", code="E614", hint=f"choose another {option}")
    if force or not target.is_dir():
        return
    entries = foreign_entries(target, lambda name: False)
    if entries and not is_relx_dir(target):
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3
                                          else "")
        raise RunDirError(
            f"{option} {target} is a non-empty folder relx did not write ({shown}); "
            f"expected a new or empty folder for {what}; relx would overwrite files there",
            code="E615",
            hint=f"choose another {option}, or add --force to write into it anyway",
        )
