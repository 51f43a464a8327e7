"""Doctor check: does the checkpoint ask to run its own Python code?

A shared or downloaded run directory can carry an ``auto_map`` and a ``.py`` file; relx
never runs them unless the user passes ``--trust-remote-code`` (relx.models'
``load_classifier``), and doctor says that the checkpoint asks, so that nobody adds the flag
without looking.
"""

from __future__ import annotations

from pathlib import Path

from relx.diagnose._report import DoctorReport, Status

__all__ = ["check_remote_code"]


def check_remote_code(checkpoint: Path, report: DoctorReport) -> None:
    """Add ``files.remote_code``: WARN when the checkpoint asks for remote code, else PASS."""
    from relx.models import remote_code_request

    reasons = remote_code_request(checkpoint)
    python = sorted(str(p.relative_to(checkpoint)) for p in checkpoint.rglob("*.py"))
    if reasons:
        report.add(
            "files.remote_code", "files", Status.WARN,
            f"the checkpoint asks to run its own Python code ({'; '.join(reasons)}"
            + (f"; ships {', '.join(python[:3])}" if python else "")
            + "); relx did not run it",
            evidence={"reasons": reasons, "python_files": python},
            fix="read those files first; only if you trust them, add --trust-remote-code to "
            "relx predict / relx eval",
        )
    else:
        report.add("files.remote_code", "files", Status.PASS,
                   "asks to run no code of its own (no auto_map, trust_remote_code unset)")
