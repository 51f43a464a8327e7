"""``write_report``: a self-contained HTML page and a Markdown summary of a run or CV directory.

The HTML embeds every plot as a base64 PNG and inlines its CSS, so it renders from a mail
attachment or an air-gapped cluster with no network. Plots use matplotlib's Agg canvas through
the object API (``Figure`` + ``FigureCanvasAgg``), never ``pyplot``: no global state, no
display needed, safe to call from a library. The Markdown summary carries the same tables and
links the same plots, written as PNG files next to it.

Contents: headline scores by both protocols with 95% CIs, learning curves (train loss with
its rolling median, validation F1 per fold), per-class P/R/F1 bars, the confusion-matrix
heatmap, one-vs-rest precision-recall curves per class drawn as steps, F1 against the
decision threshold, the CV fold table with mean ± std, per-entity-type-pair scores, a sample
of false positives and false negatives with their text, the doctor's findings, the versions
and commit, and the configuration (for a CV, the CV's: ``cv.json`` and what every fold
shared; relx.evaluate._report_sections).
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from relx import rundir
from relx._io import atomic_open, atomic_write_text
from relx.errors import RunDirError
from relx.evaluate._evaluate import detect_target, evaluate
from relx.evaluate._predictions import Prediction, read_predictions
from relx.evaluate._report_sections import (
    cv_config_text,
    doctor_findings,
    error_sample,
    provenance_rows,
    smoothed,
    threshold_f1,
    type_pair_rows,
)
from relx.labels import POSITIVE_LABELS

__all__ = ["write_report", "REPORT_HTML", "REPORT_MD", "read_curves"]

REPORT_HTML = "report.html"
REPORT_MD = "report.md"
_PLOTS_DIR = "plots"
_TRAIN_KINDS = {"train", "training", "step"}
_EVAL_KINDS = {"eval", "val", "validation", "evaluate"}


def read_curves(run: Path) -> dict[str, list[tuple[float, float]]]:
    """Train-loss and validation-F1 points ``(step, value)`` from a run's ``metrics.jsonl``.

    The reader is tolerant on purpose: an event's kind is read from ``event``/``split``/
    ``phase``, its x from ``step``/``global_step``, and values from ``loss``/``train_loss``
    and ``f1``/``val_f1``/``eval_f1``/``metrics.f1``, so runs written by earlier relx
    versions (or converted from other trainers) still plot.
    """
    path = run / rundir.METRICS_FILE
    curves: dict[str, list[tuple[float, float]]] = {"train_loss": [], "val_f1": []}
    if not path.is_file():
        return curves
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                continue  # a report never fails on one bad log line
            if not isinstance(event, dict):
                continue
            kind = str(event.get("event") or event.get("split") or event.get("phase") or "")
            step = event.get("step", event.get("global_step"))
            if not isinstance(step, (int, float)):
                continue
            metrics = event.get("metrics") if isinstance(event.get("metrics"), dict) else {}
            loss = event.get("train_loss")
            if loss is None and kind in _TRAIN_KINDS:
                loss = event.get("loss")
            f1 = event.get("val_f1", event.get("eval_f1"))
            if f1 is None and kind in _EVAL_KINDS:
                f1 = event.get("f1", metrics.get("f1"))
            if isinstance(loss, (int, float)):
                curves["train_loss"].append((float(step), float(loss)))
            if isinstance(f1, (int, float)):
                curves["val_f1"].append((float(step), float(f1)))
    return curves


# --------------------------------------------------------------------------- plots


def _figure(width: float = 6.4, height: float = 4.0):  # -> matplotlib Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _plot_curves(curves_by_run: dict[str, dict[str, list[tuple[float, float]]]]) -> bytes | None:
    if not any(c["train_loss"] or c["val_f1"] for c in curves_by_run.values()):
        return None
    figure = _figure(9.0, 3.6)
    ax_loss, ax_f1 = figure.subplots(1, 2)
    for name, curves in curves_by_run.items():
        if curves["train_loss"]:
            x, y = zip(*curves["train_loss"])
            line = ax_loss.plot(x, y, linewidth=0.5, alpha=0.25)[0]
            sx, sy = zip(*smoothed(curves["train_loss"]))
            ax_loss.plot(sx, sy, label=name, linewidth=1.4, color=line.get_color())
        if curves["val_f1"]:
            x, y = zip(*curves["val_f1"])
            ax_f1.plot(x, y, marker="o", markersize=3, label=name)
    ax_loss.set(title="train loss (faint: per step; line: rolling median)", xlabel="step", ylabel="loss")
    ax_f1.set(title="validation F1 (pair protocol)", xlabel="step", ylabel="F1")
    for ax in (ax_loss, ax_f1):
        ax.grid(alpha=0.3)
        if len(curves_by_run) > 1:
            ax.legend(fontsize=7)
    return _png(figure)


def _plot_threshold(points: list[tuple[float, float]]) -> bytes:
    figure = _figure(6.0, 3.6)
    ax = figure.subplots()
    x, y = zip(*points)
    ax.plot(x, y, marker="o", markersize=3)
    best = max(points, key=lambda p: p[1])
    ax.axvline(best[0], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="threshold on 1 - p(NOT)", ylabel="pair F1", ylim=(0, 1.02),
           title=f"F1 vs decision threshold (best {best[1]:.3f} at {best[0]:.2f})")
    ax.grid(alpha=0.3)
    return _png(figure)


def _plot_per_class(pair: dict[str, Any]) -> bytes:
    labels = list(pair["per_class"])
    values = {m: [pair["per_class"][lab][m] for lab in labels] for m in
              ("precision", "recall", "f1")}
    x = np.arange(len(labels))
    figure = _figure(9.0, 4.0)
    ax = figure.subplots()
    for i, (metric, ys) in enumerate(values.items()):
        ax.bar(x + (i - 1) * 0.27, ys, width=0.27, label=metric)
    supports = [pair["per_class"][lab]["support"] for lab in labels]
    ax.set_xticks(x, [f"{lab}\n(n={s})" for lab, s in zip(labels, supports)], fontsize=7,
                  rotation=20)
    ax.set(ylim=(0, 1.05), title="per-class precision / recall / F1 (pair protocol)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _png(figure)


def _plot_confusion(pair: dict[str, Any]) -> bytes:
    labels = pair["confusion"]["labels"]
    matrix = np.asarray(pair["confusion"]["matrix"], dtype=float)
    figure = _figure(7.5, 6.5)
    ax = figure.subplots()
    # Log colour scale: NOT/NOT dwarfs every other cell (about 87% of BioRED pairs).
    image = ax.imshow(np.log1p(matrix), cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            dark = np.log1p(count) > 0.6 * np.log1p(matrix.max())
            ax.text(j, i, f"{int(count)}", ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set(xlabel="predicted", ylabel="gold", title="confusion matrix (colour: log count)")
    figure.colorbar(image, ax=ax, shrink=0.7, label="log(1 + count)")
    return _png(figure)


def _plot_pr_curves(records: Sequence[Prediction], labels: Sequence[str]) -> bytes | None:
    if not records or any(r.probs is None for r in records):
        return None
    from sklearn.metrics import average_precision_score, precision_recall_curve

    gold = np.array([r.gold for r in records])
    figure = _figure(7.0, 5.0)
    ax = figure.subplots()
    drawn = 0
    for label in labels:
        truth = gold == label
        if not truth.any():
            continue
        scores = np.array([r.probs.get(label, 0.0) for r in records])  # type: ignore[union-attr]
        precision, recall, _ = precision_recall_curve(truth, scores)
        ap = average_precision_score(truth, scores)
        # Steps, not lines: precision between two operating points is not interpolable
        # (Davis & Goadrich 2006); average precision is the area under this step curve.
        ax.step(recall, precision, where="post", label=f"{label} (AP {ap:.2f}, n={int(truth.sum())})",
                linewidth=1.2)
        drawn += 1
    if not drawn:
        return None
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.05),
           title="precision-recall per class (one vs rest, from probs)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    return _png(figure)


# --------------------------------------------------------------------------- text


def _fmt_ci(metric: dict[str, Any]) -> str:
    ci = metric.get("ci", {}).get("f1")
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "-"


_SETTING_NAMES = {"pair": "pair", "pair_type": "pair + type", "pair_novelty": "pair + novelty",
                  "all": "pair + type + novelty"}


def _score_rows(scores: dict[str, Any]) -> list[list[str]]:
    rows = []
    pair = scores["pair"]
    rows.append(["pair protocol (iKraph, micro over 8 types)", f"{pair['precision']:.4f}",
                 f"{pair['recall']:.4f}", f"{pair['f1']:.4f}", _fmt_ci(pair)])
    po = pair["pair_only"]
    rows.append(["any relation vs NOT", f"{po['precision']:.4f}", f"{po['recall']:.4f}",
                 f"{po['f1']:.4f}", _fmt_ci(po)])
    for name, m in scores["document"]["settings"].items():
        rows.append([f"BioRED document: {_SETTING_NAMES[name]}", f"{m['precision']:.4f}",
                     f"{m['recall']:.4f}", f"{m['f1']:.4f}", _fmt_ci(m)])
    return rows


def _novelty_note(scores: dict[str, Any]) -> str:
    document = scores["document"]
    if not document["novelty_scored"]:
        return "Novelty settings not scored: no gold or no predicted novelty."
    return (f"Novelty settings: {document.get('novelty_unknown_gold', 0)} gold relations of "
            "unknown novelty left out (never read as No); "
            f"{document.get('novelty_missing_pred', 0)} predicted relations without a predicted "
            "novelty counted as mismatches.")


def _fold_settings(result: dict[str, Any]) -> list[str]:
    return [n for n in _SETTING_NAMES if f"document_{n}_f1" in result["fold_summary"]]


def _fold_header(result: dict[str, Any]) -> list[str]:
    return ["fold", "P", "R", "F1", "accuracy",
            *(f"doc {_SETTING_NAMES[n]} F1" for n in _fold_settings(result))]


def _fold_rows(result: dict[str, Any]) -> list[list[str]]:
    rows = []
    settings = _fold_settings(result)
    for name, scores in result["folds"].items():
        pair = scores["pair"]
        rows.append([name, f"{pair['precision']:.4f}", f"{pair['recall']:.4f}",
                     f"{pair['f1']:.4f}", f"{pair['accuracy']:.4f}",
                     *(f"{scores['document']['settings'][n]['f1']:.4f}" for n in settings)])
    s = result["fold_summary"]
    metrics = ["precision", "recall", "f1", "accuracy", *(f"document_{n}_f1" for n in settings)]
    rows.append(["mean ± std"] + [f"{s[m]['mean']:.4f} ± {s[m]['std']:.4f}" for m in metrics])
    return rows


def _per_class_rows(pair: dict[str, Any]) -> list[list[str]]:
    return [[lab, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}",
             str(m["support"]), str(m["predicted"])] for lab, m in pair["per_class"].items()]


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1000px;
color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
img.plot{max-width:100%;display:block;margin:.6em 0;border:1px solid #eee}
pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.85em}
.note{color:#666;font-size:.85em}
"""


def write_report(
    target: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    labels: Sequence[str] = POSITIVE_LABELS,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Write ``report.html`` (self-contained) and ``report.md`` (+ ``plots/*.png``).

    Args:
        target: A run directory or a CV directory.
        out_dir: Output directory (created).
        labels: Positive labels.
        n_bootstrap: Bootstrap resamples for the CIs in the tables.
        seed: Bootstrap seed.

    Returns:
        ``{"html": path, "markdown": path, "plots": [plot names], "kind": "run"|"cv"}``.

    Raises:
        RunDirError: E606 when the target is not a run or CV directory.
    """
    target = Path(target)
    out = Path(out_dir)
    kind = detect_target(target)
    if kind not in ("run", "cv"):
        raise RunDirError(
            f"{target} is a {kind}; a report needs a run or CV directory",
            code="E606",
            hint=f"relx eval {target}  # scores a file without a report",
        )
    result = evaluate(target, labels=labels, n_bootstrap=n_bootstrap, seed=seed)
    scores = result["scores"]
    if kind == "cv":
        runs = rundir.fold_dirs(target)
        records = [r for run in runs if (run / rundir.VAL_PREDICTIONS_FILE).is_file()
                   for r in read_predictions(run / rundir.VAL_PREDICTIONS_FILE)]
    else:
        runs = [target]
        records = read_predictions(target / rundir.VAL_PREDICTIONS_FILE)
    curves = {run.name if kind == "cv" else "run": read_curves(run) for run in runs}

    plots: dict[str, tuple[str, bytes]] = {}
    learning = _plot_curves(curves)
    if learning is not None:
        plots["learning_curves"] = ("Learning curves", learning)
    plots["per_class"] = ("Per-class precision, recall and F1", _plot_per_class(scores["pair"]))
    plots["confusion"] = ("Confusion matrix", _plot_confusion(scores["pair"]))
    pr = _plot_pr_curves(records, labels)
    if pr is not None:
        plots["pr_curves"] = ("Precision-recall curves per class", pr)
    by_threshold = threshold_f1(records)
    if by_threshold is not None:
        plots["f1_threshold"] = ("F1 against the decision threshold", _plot_threshold(by_threshold))

    if kind == "cv":
        config_text = cv_config_text(target)
    else:
        config_path = target / rundir.CONFIG_FILE
        config_text = config_path.read_text(encoding="utf-8") if config_path.is_file() else None

    title = f"relx report: {target.name} ({'cross-validation' if kind == 'cv' else 'run'})"
    score_header = ["protocol", "P", "R", "F1", "F1 95% CI"]
    boot = scores["bootstrap"]
    ci_note = (f"95% CIs from {boot['n_resamples']} bootstrap resamples of documents "
               f"(seed {boot['seed']})." if boot["n_resamples"] else "No CIs.")
    scope = "all folds pooled, " if kind == "cv" else ""
    counts = f"{scope}{scores['n_pairs']} pairs in {scores['n_documents']} documents"

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p class='note'>{html.escape(str(target))}: {html.escape(counts)}. "
             f"{html.escape(ci_note)} The pair protocol counts a wrong relation type as one "
             "false positive and one false negative.</p>",
             "<h2>Scores</h2>", _html_table(score_header, _score_rows(scores)),
             f"<p>accuracy {scores['pair']['accuracy']:.4f} (dominated by NOT)</p>",
             f"<p class='note'>{html.escape(_novelty_note(scores))}</p>"]
    md = [f"# {title}", "", f"`{target}`: {counts}. {ci_note}", "", "## Scores", "",
          _md_table(score_header, _score_rows(scores)), "",
          f"accuracy {scores['pair']['accuracy']:.4f} (dominated by NOT)", "",
          _novelty_note(scores), ""]
    if kind == "cv":
        fold_header = _fold_header(result)
        parts += ["<h2>Cross-validation folds</h2>",
                  _html_table(fold_header, _fold_rows(result))]
        md += ["## Cross-validation folds", "",
               _md_table(fold_header, _fold_rows(result)), ""]
    class_header = ["label", "P", "R", "F1", "support", "predicted"]
    parts += ["<h2>Per class</h2>", _html_table(class_header, _per_class_rows(scores["pair"]))]
    md += ["## Per class", "", _md_table(class_header, _per_class_rows(scores["pair"])), ""]
    sections: list[tuple[str, list[str], list[list[str]]]] = [
        ("Per entity-type pair (pair protocol)", ["type pair", "pairs", "gold relations", "P", "R", "F1"],
         type_pair_rows(records)),
    ]
    errors = error_sample(records, runs)
    for what in ("false positives", "false negatives"):
        sections.append((f"Sample of {what}", ["pair", "gold", "predicted", "text"], errors[what]))
    sections.append(("relx doctor findings", ["status", "check", "finding"], doctor_findings(target)))
    sections.append(("Versions and commit", ["what", "value", "runs"], provenance_rows(runs)))
    for heading, header, rows in sections:
        parts += [f"<h2>{html.escape(heading)}</h2>", _html_table(header, rows) if rows else
                  "<p class='note'>none</p>"]
        md += [f"## {heading}", "", _md_table(header, rows) if rows else "none", ""]

    parts.append("<h2>Plots</h2>")
    md += ["## Plots", ""]
    for name, (caption, png) in plots.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<h3>{html.escape(caption)}</h3><img class='plot' id='plot-{name}' "
                     f"alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>")
        with atomic_open(out / _PLOTS_DIR / f"{name}.png", "wb") as handle:
            handle.write(png)
        md += [f"![{caption}]({_PLOTS_DIR}/{name}.png)", ""]
    if learning is None:
        parts.append("<p class='note'>No learning curves: metrics.jsonl has no train loss or "
                     "validation F1 events.</p>")
    if pr is None:
        parts.append("<p class='note'>No precision-recall curves: the predictions carry no "
                     "probabilities.</p>")
    config_heading = "CV configuration" if kind == "cv" else "Resolved config"
    parts.append(f"<h2>{config_heading}</h2>")
    if config_text is None:
        parts.append(f"<p class='note'>no {rundir.CONFIG_FILE}</p>")
        md += [f"## {config_heading}", "", f"no {rundir.CONFIG_FILE}", ""]
    else:
        parts.append(f"<pre>{html.escape(config_text)}</pre>")
        md += [f"## {config_heading}", "", "```yaml", config_text.rstrip("\n"), "```", ""]
    parts.append("</body></html>")

    html_path = out / REPORT_HTML
    md_path = out / REPORT_MD
    atomic_write_text(html_path, "\n".join(parts))
    atomic_write_text(md_path, "\n".join(md))
    return {"html": str(html_path), "markdown": str(md_path), "plots": list(plots),
            "kind": kind}
