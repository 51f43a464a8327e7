"""Collecting input problems: report and skip by default, fail fast under ``--strict``.

Readers and the pair builder never print; they hand each problem to a
:class:`ProblemLog`. In lenient mode the log keeps it (the CLI prints a summary); in strict
mode the first problem raises :class:`~relx.errors.DataError`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from relx.errors import DataError

__all__ = ["Problem", "ProblemLog"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in an input: where, what, and a stable code.

    Codes (the data catalog):
        E101 malformed line · E102 offsets outside the text · E103 mention text does not
        match its span · E104 unknown entity type · E105 unknown relation type · E106
        relation concept without a mention · E107 self-relation · E108 duplicate document
        id · E109 unreadable or unrecognised file · E110 other inconsistency.
        Raised directly (options of the pair/fold/stats tools): E111 unknown context ·
        E112 unknown sentence splitter · E113 bad synthetic corpus size · E114 bad fold
        count · E115 bad fold file · E116 folds folder missing · E117 tokenizer not loadable ·
        E118 unknown format name · E119 no usable input ·
        E120 pairs lost (0 pairs built, or split files rebuilt as a corpus lost some).
        Every code's meaning:
        relx.error_codes (docs/errors.md).
    """

    code: str
    message: str
    path: str | None = None
    line: int | None = None
    doc_id: str | None = None

    def __str__(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}"
        if self.doc_id is not None:
            where += f" (document {self.doc_id})" if where else f"document {self.doc_id}"
        return f"{where}: [{self.code}] {self.message}" if where else f"[{self.code}] {self.message}"


@dataclass
class ProblemLog:
    """Accumulates :class:`Problem` s; raises on the first one when ``strict``."""

    strict: bool = False
    problems: list[Problem] = field(default_factory=list)

    def report(
        self,
        code: str,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        doc_id: str | None = None,
    ) -> None:
        """Record a problem, or raise it as a :class:`DataError` in strict mode."""
        problem = Problem(code, message, path, line, doc_id)
        if self.strict:
            where = f" (document {doc_id})" if doc_id is not None else ""
            raise DataError(f"{message}{where}", path=path, line=line, code=code,
                            hint="drop --strict to report and skip such problems")
        self.problems.append(problem)

    def counts(self) -> Counter[str]:
        """Number of problems per code."""
        return Counter(p.code for p in self.problems)

    def __len__(self) -> int:
        return len(self.problems)
