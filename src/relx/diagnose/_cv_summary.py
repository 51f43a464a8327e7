"""One summary across the folds of a CV directory: what a reader checks first.

The per-fold checklists stay in the report (prefixed ``fold_k/``); this adds, at the top, the
F1 across folds and, per check id, in how many folds it failed or warned, so that one bad
fold and a warning every fold shares read differently.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from relx import rundir
from relx.diagnose._report import Check, DoctorReport, Status

__all__ = ["summarise_folds"]


def _fold_f1(fold: Path) -> float | None:
    try:
        summary = json.loads((fold / rundir.SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    final = summary.get("final") if isinstance(summary, dict) else None
    value = final.get("f1") if isinstance(final, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def summarise_folds(folds: list[Path], fold_reports: dict[str, DoctorReport]) -> list[Check]:
    """Summary checks (section ``cv``) of a CV directory's fold reports."""
    out: list[Check] = []
    f1s = {f.name: _fold_f1(f) for f in folds}
    known = {k: v for k, v in f1s.items() if v is not None}
    if known:
        values = list(known.values())
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        worst = min(known, key=known.__getitem__)
        out.append(Check("cv.f1", "cv", Status.INFO,
                         f"validation F1 {statistics.mean(values):.3f} ± {sd:.3f} over {len(values)} fold(s); "
                         f"lowest {worst} {known[worst]:.3f}", {"per_fold": f1s, "mean": statistics.mean(values),
                                                               "sd": sd}))
    by_id: dict[str, dict[str, list[str]]] = {}
    for name, report in fold_reports.items():
        for check in report.checks:
            if check.status in (Status.FAIL, Status.WARN):
                by_id.setdefault(check.id, {"fail": [], "warn": []})[check.status.value].append(name)
    n = len(fold_reports)
    failed = {cid: v["fail"] for cid, v in by_id.items() if v["fail"]}
    warned = {cid: v["warn"] for cid, v in by_id.items() if v["warn"]}
    if failed:
        text = "; ".join(f"{cid} in {len(names)}/{n} ({', '.join(sorted(names))})" for cid, names in failed.items())
        out.append(Check("cv.failures", "cv", Status.FAIL, f"failed checks: {text}", {"failed": failed},
                         "see the fold sections below"))
    else:
        out.append(Check("cv.failures", "cv", Status.PASS, f"no check failed in any of the {n} folds", {}))
    if warned:
        text = "; ".join(f"{cid} in {len(names)}/{n}" for cid, names in warned.items())
        out.append(Check("cv.warnings", "cv", Status.INFO, f"warnings: {text}", {"warned": warned}))
    return out
