"""The checklist a diagnosis produces: one :class:`Check` per measured fact.

A check is a value, not a print: the library builds a :class:`DoctorReport` and the CLI
renders it (rich, JSON, Markdown). Each check carries the *evidence* (numbers) that led to
its status and the *fix*, so a reader never has to rerun anything to see why.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Status", "Check", "DoctorReport"]


class Status(str, enum.Enum):
    """Outcome of one check. Only ``FAIL`` makes ``relx doctor`` exit non-zero."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    #: Could not be checked (missing input, model not buildable); says what would enable it.
    SKIP = "skip"
    #: A fact worth showing that is neither good nor bad (e.g. the adapter's rank).
    INFO = "info"


#: Symbols of the house checklist style (style.md habit 12).
STATUS_SYMBOL: dict[Status, str] = {
    Status.PASS: "✔",
    Status.WARN: "⚠",
    Status.FAIL: "✘",
    Status.SKIP: "·",
    Status.INFO: "ℹ",
}


@dataclass
class Check:
    """One line of the checklist.

    Attributes:
        id: Stable dotted id (``head.present``) that tests, docs and CI filters can cite.
        section: Group shown as a heading (``files``, ``adapter``, ``head``, ...).
        status: The outcome.
        message: The measured fact, one line, with numbers.
        evidence: The numbers behind ``message`` (JSON-serialisable).
        fix: What to do about it (empty when nothing is to be done).
    """

    id: str
    section: str
    status: Status
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form (status as its string value)."""
        return {
            "id": self.id,
            "section": self.section,
            "status": self.status.value,
            "message": self.message,
            "evidence": _jsonable(self.evidence),
            "fix": self.fix,
        }


@dataclass
class DoctorReport:
    """Everything ``relx doctor`` found about one path.

    Attributes:
        path: What was examined.
        kind: ``relx_run``, ``relx_cv``, ``relx_checkpoint``, ``peft_checkpoint``,
            ``hf_checkpoint`` or ``unknown``.
        checks: The checklist in the order it was produced.
    """

    path: str
    kind: str
    checks: list[Check] = field(default_factory=list)

    def add(
        self,
        id: str,
        section: str,
        status: Status,
        message: str,
        *,
        evidence: dict[str, Any] | None = None,
        fix: str = "",
    ) -> Check:
        """Append a check and return it."""
        check = Check(id, section, status, message, dict(evidence or {}), fix)
        self.checks.append(check)
        return check

    def get(self, check_id: str) -> list[Check]:
        """All checks with this id (a few ids repeat, e.g. one per pickled file)."""
        return [c for c in self.checks if c.id == check_id]

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status."""
        out = {s.value: 0 for s in Status}
        for check in self.checks:
            out[check.status.value] += 1
        return out

    @property
    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if c.status is Status.FAIL]

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings allowed): the CI exit-code rule."""
        return not self.failed

    def grouped(self) -> list[tuple[str, list[Check]]]:
        """Checks grouped by section, sections in order of first appearance."""
        groups: dict[str, list[Check]] = {}
        for check in self.checks:
            groups.setdefault(check.section, []).append(check)
        return list(groups.items())

    def to_json(self) -> dict[str, Any]:
        """JSON form: path, kind, summary counts, ok, and every check."""
        return {
            "path": self.path,
            "kind": self.kind,
            "ok": self.ok,
            "counts": self.counts(),
            "checks": [c.to_json() for c in self.checks],
        }

    def to_markdown(self) -> str:
        """A Markdown checklist (for CI logs and issue comments)."""
        lines = [f"# relx doctor: `{self.path}` ({self.kind})"]
        for section, checks in self.grouped():
            lines += ["", f"## {section}", ""]
            for check in checks:
                line = f"- {STATUS_SYMBOL[check.status]} **{check.id}**: {check.message}"
                if check.fix and check.status in (Status.FAIL, Status.WARN):
                    line += f" — *fix:* {check.fix}"
                lines.append(line)
        counts = self.counts()
        lines += [
            "",
            f"**{counts['pass']} passed, {counts['warn']} warnings, {counts['fail']} failed, "
            f"{counts['skip']} skipped**",
        ]
        return "\n".join(lines) + "\n"


def _jsonable(value: Any) -> Any:
    """Turn numpy/torch scalars and tuples into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "item") and callable(value.item):
        try:
            return _jsonable(value.item())
        except (ValueError, RuntimeError):
            pass
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)
