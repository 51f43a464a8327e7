"""Sections of ``relx report`` that a researcher expects beyond the headline scores.

Each function returns data (rows, a PNG, a text block) that :mod:`relx.evaluate._report`
places in the HTML and Markdown: the CV configuration (what was asked, not fold 0's
resolved file), smoothed loss curves, precision-recall drawn as steps, F1 against the
decision threshold, per-entity-type-pair scores, a sample of false positives and false
negatives with their text, the doctor's findings, and the versions and commit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from relx import rundir
from relx.evaluate._metrics import pair_metrics
from relx.evaluate._predictions import Prediction
from relx.labels import NOT_LABEL

__all__ = ["cv_config_text", "smoothed", "threshold_f1", "type_pair_rows", "error_sample",
           "doctor_findings", "provenance_rows", "THRESHOLDS"]

#: Decision thresholds of the F1-vs-threshold plot (relation iff 1 - p(NOT) >= t).
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def cv_config_text(cv_dir: Path) -> str | None:
    """The CV's configuration: ``cv.json`` (source, overrides, K, folds) and the shared
    per-fold config with the fold-specific keys marked, instead of fold 0's file."""
    path = cv_dir / rundir.CV_FILE
    if not path.is_file():
        return None
    import yaml

    info = json.loads(path.read_text(encoding="utf-8"))
    shown = {k: info.get(k) for k in ("config_source", "overrides", "n_splits", "rotation", "folds",
                                      "split_files", "processes", "created", "relx_version") if k in info}
    text = "# cv.json (what was asked)\n" + yaml.safe_dump(shown, sort_keys=False)
    folds = sorted(p for p in cv_dir.glob("fold_*") if (p / rundir.CONFIG_FILE).is_file())
    if folds:
        configs = [yaml.safe_load((p / rundir.CONFIG_FILE).read_text(encoding="utf-8")) or {} for p in folds]
        data = dict(configs[0].get("data") or {})
        differing = [k for k in data if any((c.get("data") or {}).get(k) != data[k] for c in configs[1:])]
        for k in differing:
            data[k] = f"<per fold: {', '.join(str((c.get('data') or {}).get(k)) for c in configs)}>"
        shared = {**configs[0], "data": data}
        shared.pop("notes", None)
        text += (f"\n# the configuration every fold ran with ({len(folds)} folds; keys that differ "
                 "between folds marked <per fold>)\n" + yaml.safe_dump(shared, sort_keys=False))
    return text


def smoothed(points: list[tuple[float, float]], window: int | None = None) -> list[tuple[float, float]]:
    """Rolling median of a loss curve (window ~5% of the points, at least 5): single steps of a
    class-weighted loss spike 10-70x, the median shows the trend."""
    if len(points) < 5:
        return points
    window = window or max(5, len(points) // 20)
    ys = np.array([y for _, y in points])
    half = window // 2
    med = [float(np.median(ys[max(0, i - half): i + half + 1])) for i in range(len(ys))]
    return [(x, m) for (x, _), m in zip(points, med)]


def _thresholded(records: Sequence[Prediction], t: float) -> list[str]:
    out = []
    for r in records:
        probs = r.probs or {}
        positive = {k: v for k, v in probs.items() if k != NOT_LABEL}
        if positive and 1.0 - probs.get(NOT_LABEL, 0.0) >= t:
            out.append(max(positive, key=positive.__getitem__))
        else:
            out.append(NOT_LABEL)
    return out


def threshold_f1(records: Sequence[Prediction]) -> list[tuple[float, float]] | None:
    """Pair-protocol F1 at each decision threshold, from the saved probabilities."""
    scored = [r for r in records if r.gold is not None]
    if not scored or any(r.probs is None for r in scored):
        return None
    gold = [r.gold or NOT_LABEL for r in scored]
    return [(float(t), float(pair_metrics(gold, _thresholded(scored, float(t)), warn=False)["f1"]))
            for t in THRESHOLDS]


def type_pair_rows(records: Sequence[Prediction]) -> list[list[str]]:
    """P/R/F1 per entity-type pair (unordered), most gold relations first."""
    groups: dict[str, list[Prediction]] = {}
    for r in records:
        if r.gold is None:
            continue
        key = " – ".join(sorted((r.type_a or "?", r.type_b or "?")))
        groups.setdefault(key, []).append(r)
    rows = []
    for key, recs in groups.items():
        m = pair_metrics([r.gold or NOT_LABEL for r in recs], [r.pred for r in recs], warn=False)
        n_gold = sum(1 for r in recs if r.gold not in (None, NOT_LABEL))
        rows.append((n_gold, [key, str(len(recs)), str(n_gold), f"{m['precision']:.3f}", f"{m['recall']:.3f}",
                              f"{m['f1']:.3f}"]))
    return [row for _, row in sorted(rows, key=lambda x: -x[0])]


def _texts(runs: Sequence[Path]) -> dict[str, str]:
    """Example id -> input text, from the validation split each run records in data.json."""
    from relx.data import read_split

    out: dict[str, str] = {}
    for run in runs:
        try:
            info = json.loads((run / rundir.DATA_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        val = info.get("val_split") or info.get("val_files")
        for path in (val if isinstance(val, list) else [val] if val else []):
            try:
                out.update({str(ex.relation_id): ex.text for ex in read_split(path)})
            except Exception:  # noqa: BLE001 - a moved split only costs the text column
                continue
    return out


def error_sample(records: Sequence[Prediction], runs: Sequence[Path], n: int = 8) -> dict[str, list[list[str]]]:
    """Up to ``n`` false positives and false negatives (pair protocol), with their text."""
    texts = _texts(runs)

    def row(r: Prediction) -> list[str]:
        text = texts.get(str(r.id), "(text not found: validation split moved)")
        return [str(r.id), str(r.gold), r.pred, text if len(text) <= 300 else text[:297] + "..."]

    fp = [r for r in records if r.pred != NOT_LABEL and r.pred != r.gold and r.gold is not None]
    fn = [r for r in records if r.gold not in (None, NOT_LABEL) and r.pred != r.gold]
    step = lambda xs: xs[:: max(1, len(xs) // n)][:n]  # noqa: E731 - spread over the file
    return {"false positives": [row(r) for r in step(fp)], "false negatives": [row(r) for r in step(fn)],
            "counts": [[str(len(fp)), str(len(fn))]]}


def doctor_findings(target: Path) -> list[list[str]]:
    """Failures and warnings of ``relx doctor`` (static and run checks; no model is built)."""
    from relx.diagnose import Status, doctor

    try:
        report = doctor(target, build_model=False)
    except Exception as error:  # noqa: BLE001 - the report still renders
        return [["error", "doctor", str(error)[:200]]]
    rows = [[c.status.value, c.id if c.section.startswith(("cv", "run", "data", "files", "head", "adapter",
                                                           "tokenizer")) else f"{c.section}/{c.id}",
             c.message] for c in report.checks if c.status in (Status.FAIL, Status.WARN)
            or c.section == "cv"]
    return rows or [["pass", "all", "no failure or warning"]]


def provenance_rows(runs: Sequence[Path]) -> list[list[str]]:
    """Versions and git commit the runs were produced with (environment.json)."""
    rows: dict[tuple[str, str], list[str]] = {}
    for run in runs:
        try:
            env = json.loads((run / rundir.ENV_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        git = env.get("git") or {}
        items = [("git commit", f"{git.get('commit') or '?'}" + (" (dirty)" if git.get("dirty") else ""))]
        items += [(k, str(v)) for k, v in (env.get("packages") or {}).items() if v]
        items += [("python", str(env.get("python"))), ("mixed precision", str(env.get("mixed_precision")))]
        for name, value in items:
            rows.setdefault((name, value), []).append(run.name)
    n = len(runs)
    return [[name, value, "all" if len(where) == n else ", ".join(where)] for (name, value), where in rows.items()]
