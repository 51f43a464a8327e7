"""``diff_runs``: the origin run's (docs/origin.md) error analysis, generated.

Two runs (relx run directories, or config files of another tool) are compared on:

1. comparability first: same validation documents, same metric definition, same label set;
2. their configs: only the differences, each with an impact rating and a one-line reason,
   ranked, plus derived quantities (effective batch, updates per epoch, lr relative to the
   method's range, truncation share, trainable parameters);
3. their results, when predictions exist: P/R/F1 with CIs, the paired bootstrap p-value when
   both predicted the same pairs, per-class deltas, and a sample of disagreeing pairs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relx import rundir
from relx.diagnose._run import FIELD_ALIASES, RunFacts, lookup, lr_verdict, read_config_only, read_run
from relx.diagnose._thresholds import (
    DIFF_DISAGREEMENT_SAMPLE,
    MAX_EFFECTIVE_BATCH,
    RESCORE_F1_ATOL,
    TRUNCATION_WARN_SHARE,
)
from relx.errors import RunDirError

__all__ = ["DiffItem", "RunDiff", "diff_runs", "IMPACT_SCORE"]

#: Impact rating -> base rank score; items are sorted by score (higher first).
IMPACT_SCORE = {"HIGH": 300, "MEDIUM": 200, "LOW": 100}

#: Config keys that differ between any two runs without affecting results.
_NOISE_SUFFIXES = ("out", "output_dir", "run_name", "notes", "logging_dir", "tracking.tensorboard",
                   "tracking.mlflow", "eval_batch_size", "created", "fold", "cv.folds")


@dataclass
class DiffItem:
    """One difference between the runs.

    Attributes:
        name: Canonical setting (``learning_rate``) or the config key for unknown settings.
        a: Value in run A.
        b: Value in run B.
        impact: ``HIGH``, ``MEDIUM`` or ``LOW``.
        reason: One line: why it matters (or why it probably does not).
        score: Rank score (impact + how extreme the difference is).
        derived: True for quantities computed from several settings.
    """

    name: str
    a: Any
    b: Any
    impact: str
    reason: str
    score: float = 0.0
    derived: bool = False

    @property
    def a_text(self) -> str:
        """``a`` for a table cell."""
        return _fmt(self.a)

    @property
    def b_text(self) -> str:
        """``b`` for a table cell."""
        return _fmt(self.b)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "a": self.a, "b": self.b, "impact": self.impact,
                "reason": self.reason, "derived": self.derived}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-2 or abs(value) >= 1e4 else f"{value:.4g}"
    if isinstance(value, list):
        return ",".join(_fmt(v) for v in value)
    return "—" if value is None else str(value)


@dataclass
class RunDiff:
    """The result of :func:`diff_runs`."""

    run_a: str
    run_b: str
    comparability: list[dict[str, Any]] = field(default_factory=list)
    differences: list[DiffItem] = field(default_factory=list)
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: The one line to read first (e.g. the runs are not comparable); empty when none.
    headline: str = ""
    #: CV directories: one row per fold present in both (fold, F1 A, F1 B, same documents).
    per_fold: list[dict[str, Any]] = field(default_factory=list)

    def item(self, name: str) -> DiffItem | None:
        """The difference named ``name``, if any."""
        return next((d for d in self.differences if d.name == name), None)

    def results_rows(self) -> list[tuple[str, str, str]]:
        """Rows for a results table: P/R/F1 with CIs, then the paired test."""
        rows: list[tuple[str, str, str]] = []
        a, b = self.results.get("a") or {}, self.results.get("b") or {}
        for metric in ("precision", "recall", "f1"):
            rows.append((metric, _metric_cell(a, metric), _metric_cell(b, metric)))
        paired = self.results.get("paired")
        if paired:
            rows.append(("paired bootstrap", f"ΔF1 (A−B) {paired['delta']:+.4f}", f"p = {paired['p_value']:.4f}"))
        for label, d in (self.results.get("per_class_delta") or {}).items():
            if not d.get("present", True):
                continue
            rows.append((f"F1 {label}", f"{d['a']:.3f}", f"{d['b']:.3f} ({d['delta']:+.3f} B−A)"))
        return rows

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "run_a": self.run_a, "run_b": self.run_b, "headline": self.headline, "per_fold": self.per_fold,
            "comparability": self.comparability,
            "differences": [d.to_json() for d in self.differences], "derived": self.derived,
            "results": self.results, "notes": self.notes,
        }

    def to_markdown(self) -> str:
        """The diff as a Markdown report (the origin run's (docs/origin.md) tables, generated)."""
        out = ["# relx diff", ""]
        if self.headline:
            out += [f"**{self.headline}**", ""]
        out += [f"- **A**: `{self.run_a}`", f"- **B**: `{self.run_b}`", ""]
        if self.per_fold:
            out += ["## Per fold", "", "| fold | F1 A | F1 B | B−A | same validation docs |", "|---|---|---|---|---|"]
            for row in self.per_fold:
                out.append(f"| {row['fold']} | {_f(row['f1_a'])} | {_f(row['f1_b'])} | {_f(row['delta'], '+.4f')} | "
                           f"{ {True: 'yes', False: '**NO**', None: '?'}[row['same_documents']] } |")
            out.append("")
        if self.comparability:
            out += ["## Comparability", "", "| check | same? | detail |", "|---|---|---|"]
            for c in self.comparability:
                same = {True: "yes", False: "**NO**", None: "?"}[c["same"]]
                out.append(f"| {c['what']} | {same} | {c['detail']} |")
            out.append("")
        out += ["## Differences, ranked by likely impact", "",
                "| # | setting | A | B | impact | why |", "|---|---|---|---|---|---|"]
        for i, d in enumerate(self.differences, 1):
            out.append(f"| {i} | {d.name} | {d.a_text} | {d.b_text} | **{d.impact}** | {d.reason} |")
        if self.results:
            out += ["", "## Results", "", "| | A | B |", "|---|---|---|"]
            for row in self.results_rows():
                out.append("| " + " | ".join(row) + " |")
            sample = self.results.get("disagreements") or []
            if sample:
                out += ["", "### Pairs where they disagree (sample)", "",
                        "| pair | gold | A | B |", "|---|---|---|---|"]
                for s in sample:
                    out.append(f"| {s['id']} | {s['gold']} | {s['a']} | {s['b']} |")
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def _f(value: float | None, spec: str = ".4f") -> str:
    return "—" if value is None else format(value, spec)


def _metric_cell(res: dict[str, Any], metric: str) -> str:
    if metric not in res:
        return "—"
    ci = (res.get("ci") or {}).get(metric)
    return f"{res[metric]:.4f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def _facts(path: Path) -> RunFacts:
    if path.is_dir():
        if (path / rundir.CV_FILE).is_file() and not (path / rundir.CONFIG_FILE).is_file():
            raise RunDirError(
                f"{path}: a CV directory; expected two CV directories or two run directories",
                code="E704", hint=f"relx diff {path / rundir.fold_dir_name(0)} OTHER/{rundir.fold_dir_name(0)}",
            )
        if not any((path / f).is_file() for f in (rundir.CONFIG_FILE, "config.yaml", "config.json",
                                                   "training_args.json")):
            raise RunDirError(
                f"{path}: expected a run directory with {rundir.CONFIG_FILE}; got none",
                code="E704", hint="relx diff runs/A runs/B  (run directories of relx train)",
            )
        return read_run(path)
    return read_config_only(path)


# --- config differences ---------------------------------------------------------------------


def _ratio(a: float, b: float) -> float:
    lo, hi = sorted((abs(a), abs(b)))
    return hi / lo if lo else float("inf")


def _canonical_items(fa: RunFacts, fb: RunFacts, tr: dict[str, Any]) -> tuple[list[DiffItem], set[str]]:
    """Differences in settings relx knows, with impact; also the config keys they consumed."""
    items: list[DiffItem] = []
    used: set[str] = set()
    for name in FIELD_ALIASES:
        ka, _ = lookup(fa.config, name)
        kb, _ = lookup(fb.config, name)
        used.update(k for k in (ka, kb) if k)
    # Learning rate relative to the method's usual range: the origin's root cause #1.
    lr_a, lr_b = fa.learning_rate, fb.learning_rate
    va, ra = lr_verdict(fa.method, lr_a)
    vb, rb = lr_verdict(fb.method, lr_b)
    if lr_a != lr_b or fa.method != fb.method:
        if (va == "ok") != (vb == "ok"):
            bad = ra if va != "ok" else rb
            items.append(DiffItem("learning_rate (vs method)", lr_a, lr_b, "HIGH",
                                  f"{bad}; the other run is in range", IMPACT_SCORE["HIGH"] + 90))
        elif lr_a and lr_b and _ratio(lr_a, lr_b) >= 3:
            items.append(DiffItem("learning_rate (vs method)", lr_a, lr_b, "MEDIUM",
                                  f"{_ratio(lr_a, lr_b):.1f}x apart ({ra}; {rb})", IMPACT_SCORE["MEDIUM"] + 50))
        else:
            items.append(DiffItem("learning_rate (vs method)", lr_a, lr_b, "LOW",
                                  f"{ra}; {rb}", IMPACT_SCORE["LOW"] + 50))
    # Effective batch: root cause #4, ranked right after the lr when one side is huge.
    ea, eb = fa.effective_batch, fb.effective_batch
    if ea != eb and ea and eb:
        big = max(ea, eb)
        # The origin's case: one run at or above the warning level and >= 4x the other.
        if big >= MAX_EFFECTIVE_BATCH and _ratio(ea, eb) >= 4:
            items.append(DiffItem("effective_batch", ea, eb, "HIGH",
                                  f"{_ratio(ea, eb):.0f}x apart; {big} >= {MAX_EFFECTIVE_BATCH}: "
                                  f"{_ratio(ea, eb):.0f}x fewer updates per epoch, each averaged over more "
                                  "examples (with a low lr the model barely moves)",
                                  IMPACT_SCORE["HIGH"] + 80, derived=True))
        else:
            impact = "MEDIUM" if _ratio(ea, eb) >= 2 else "LOW"
            items.append(DiffItem("effective_batch", ea, eb, impact,
                                  f"{_ratio(ea, eb):.1f}x apart (batch x accumulation x processes)",
                                  IMPACT_SCORE[impact] + 40, derived=True))
    ua, ub = fa.updates_per_epoch, fb.updates_per_epoch
    if ua != ub and ua and ub:
        impact = "MEDIUM" if _ratio(ua, ub) >= 4 else "LOW"
        items.append(DiffItem("updates_per_epoch", ua, ub, impact,
                              f"{_ratio(ua, ub):.1f}x apart: optimizer steps per pass over the data",
                              IMPACT_SCORE[impact] + 30, derived=True))
    if fa.method != fb.method:
        items.append(DiffItem("method", fa.method, fb.method, "HIGH",
                              "full fine-tuning vs adapters: different lr ranges and capacity",
                              IMPACT_SCORE["HIGH"] + 60))
    # Input format: the origin's root cause #2 (an instruct model without its instruction).
    if fa.uses_prompt != fb.uses_prompt:
        model = (fa.base_model or fb.base_model or "").lower()
        instruct = "instruct" in model or "chat" in model
        items.append(DiffItem("instruction prompt", fa.uses_prompt, fb.uses_prompt, "HIGH" if instruct else "MEDIUM",
                              "an instruction-tuned model reads the task from the prompt; without it the "
                              "model does not know what to classify" if instruct else
                              "prompt vs bare marked text changes what the pooled token summarises",
                              IMPACT_SCORE["HIGH" if instruct else "MEDIUM"] + 20))
    simple = [
        ("model", "MEDIUM", 70, "different backbones"),
        ("style", "MEDIUM", 25, "marker style changes what the head reads around the entities"),
        ("lora_r", "LOW", 20, "rank rarely matters above 8 for classification heads"),
        ("lora_alpha", "LOW", 25, "alpha/r scales the adapter update: acts like an lr factor"),
        ("target_modules", "MEDIUM", 10, "more target modules: more trainable parameters, which need an adequate lr"),
        ("padding_side", "MEDIUM", 5, "decides which token a decoder's head reads unless pooling uses the mask"),
        ("head", "MEDIUM", 15, "which hidden state(s) the classifier reads"),
        ("epochs", "LOW", 15, "more epochs matter only if the validation curve was still rising"),
        ("label_smoothing", "LOW", 10, "small regulariser"),
        ("warmup", "LOW", 5, "warmup matters only when it is a large share of the updates"),
        ("best_metric", "MEDIUM", 0, "which checkpoint is reported as best"),
        ("seed", "LOW", 0, "seed noise; compare with CIs"),
        ("modules_to_save", "LOW", 0, "both should save the head"),
    ]
    for name, impact, bonus, reason in simple:
        a, b = fa.get(name), fb.get(name)
        if a != b and not (a is None and b is None):
            if name == "target_modules" and isinstance(a, list) and isinstance(b, list) and sorted(a) == sorted(b):
                continue
            items.append(DiffItem(name, a, b, impact, reason, IMPACT_SCORE[impact] + bonus))
    # Max length together with the truncation it causes.
    ma, mb = fa.get("max_length"), fb.get("max_length")
    if ma != mb:
        share = [tr.get("a", {}).get("share"), tr.get("b", {}).get("share")]
        cut = [tr.get("a", {}).get("cut_share"), tr.get("b", {}).get("cut_share")]
        worst = max((s for s in share if s is not None), default=None)
        if worst is not None and worst > TRUNCATION_WARN_SHARE:
            items.append(DiffItem("max_length", ma, mb, "MEDIUM",
                                  f"truncated inputs: A {_pct(share[0])}, B {_pct(share[1])}; prompt tail or "
                                  f"marked mention cut: A {_pct(cut[0])}, B {_pct(cut[1])}",
                                  IMPACT_SCORE["MEDIUM"] + 45))
        else:
            detail = (f"truncated inputs: A {_pct(share[0])}, B {_pct(share[1])}"
                      if worst is not None else "truncation share unknown (no validation data found)")
            items.append(DiffItem("max_length", ma, mb, "LOW", detail, IMPACT_SCORE["LOW"] + 35))
    return items, used


def _pct(x: float | None) -> str:
    return "?" if x is None else f"{x:.1%}"


def _other_items(fa: RunFacts, fb: RunFacts, used: set[str]) -> list[DiffItem]:
    """Differences in keys relx does not rate: LOW, listed last."""
    items = []
    for key in sorted(set(fa.config) | set(fb.config)):
        if key in used or any(key == s or key.endswith("." + s) for s in _NOISE_SUFFIXES):
            continue
        a, b = fa.config.get(key), fb.config.get(key)
        if a != b:
            items.append(DiffItem(key, a, b, "LOW", "not known to affect F1 much", IMPACT_SCORE["LOW"]))
    return items


# --- derived quantities ---------------------------------------------------------------------


def _trainable_params(path: Path) -> int | None:
    """Saved trainable parameters of a run's best checkpoint (adapter + head, or all weights)."""
    from relx.diagnose._doctor import find_checkpoint
    from relx.diagnose._inventory import scan_directory

    ckpt = find_checkpoint(path) if path.is_dir() else None
    if ckpt is None:
        return None
    inv = scan_directory(ckpt)
    total = 0
    for t in inv.tensors:
        n = 1
        for s in t.shape:
            n *= s
        total += n
    return total or None


def _truncation(facts: RunFacts, data: Path | None) -> dict[str, Any]:
    """Truncation share of the validation inputs: recorded by the run, else measured."""
    recorded = facts.summary.get("truncated")
    n_val = facts.summary.get("n_val")
    if isinstance(recorded, dict) and isinstance(n_val, int) and n_val:
        val = recorded.get("val", 0) or 0
        lost = recorded.get("val_lost_mention", 0) or 0
        return {"share": val / n_val, "cut_share": lost / n_val, "n": n_val, "truncated": val,
                "max_length": facts.get("max_length"), "lost_mention_or_tail": lost,
                "method": "recorded by relx (entity-aware truncation)"}
    max_length = facts.get("max_length")
    if not max_length:
        return {}
    files = data and [data]
    if not files:
        val = facts.get("val_data")
        val = val if isinstance(val, list) else [val] if isinstance(val, str) else []
        base = facts.path if facts.path.is_dir() else facts.path.parent
        files = [p if p.is_absolute() else base / p for p in map(Path, val)]
    files = [f for f in files if f.is_file()]
    tok = _tokenizer_for(facts)
    if not files or tok is None:
        return {}
    from relx.data import PairExample
    from relx.diagnose._truncation import measure_truncation

    examples = []
    for f in files:
        examples += [PairExample.from_json(e) for e in json.loads(f.read_text(encoding="utf-8"))]
    stats = measure_truncation(examples, tok, max_length=int(max_length), prompt=facts.uses_prompt)
    out = stats.to_json()
    out["method"] = "measured: plain right truncation"
    return out


def _tokenizer_for(facts: RunFacts) -> Any:
    """The run's tokenizer: from its checkpoint, else the config's tokenizer/model path (local only)."""
    import warnings

    from transformers import AutoTokenizer

    from relx.diagnose._doctor import find_checkpoint

    candidates = []
    if facts.path.is_dir():
        ckpt = find_checkpoint(facts.path)
        if ckpt is not None:
            candidates.append(str(ckpt))
    for name in ("tokenizer", "model"):
        value = facts.get(name)
        if isinstance(value, str):
            candidates.append(value)
    for cand in candidates:
        if not Path(cand).exists():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return AutoTokenizer.from_pretrained(cand, local_files_only=True, trust_remote_code=False)
        except Exception:  # noqa: BLE001 - try the next candidate
            continue
    return None


# --- comparability and results --------------------------------------------------------------


def _load_predictions(facts: RunFacts) -> list[Any] | None:
    if facts.predictions is None:
        return None
    from relx.evaluate import read_predictions

    return read_predictions(facts.predictions)


def _comparability(fa: RunFacts, fb: RunFacts, pa: list[Any] | None, pb: list[Any] | None) -> list[dict[str, Any]]:
    out = []
    if pa is not None and pb is not None:
        da, db = {p.document_id for p in pa}, {p.document_id for p in pb}
        same = da == db
        detail = f"{len(da)} vs {len(db)} documents" + ("" if same else f", {len(da & db)} shared")
        out.append({"what": "same validation documents", "same": same, "detail": detail})
        ka, kb = {p.id for p in pa}, {p.id for p in pb}
        out.append({"what": "same candidate pairs", "same": ka == kb,
                    "detail": f"{len(ka)} vs {len(kb)} pairs, {len(ka & kb)} shared"})
    else:
        va, vb = fa.get("val_data"), fb.get("val_data")
        out.append({"what": "same validation documents", "same": (va == vb) if va and vb else None,
                    "detail": f"{va} vs {vb}" if va or vb else "no predictions and no validation file in the configs"})
    ma = fa.summary.get("select_metric") or fa.get("metric_definition")
    mb = fb.summary.get("select_metric") or fb.get("metric_definition")
    defined = [fa.path.is_dir() and bool(fa.summary), fb.path.is_dir() and bool(fb.summary)]
    if all(defined):
        out.append({"what": "same metric definition", "same": True,
                    "detail": "both relx runs: iKraph pair protocol (micro F1 over positive labels, all pairs)"})
    else:
        out.append({"what": "same metric definition", "same": None,
                    "detail": "one run was not scored by relx: its F1 may be the inflated 'excluding NOT' "
                    "variant; rescore its predictions with relx eval" + (f" ({ma} vs {mb})" if ma or mb else "")})
    la, lb = fa.labels, fb.labels
    if pa is not None and pb is not None:
        la = la or sorted({p.gold for p in pa if p.gold} | {p.pred for p in pa})
        lb = lb or sorted({p.gold for p in pb if p.gold} | {p.pred for p in pb})
    out.append({"what": "same label set", "same": (sorted(la) == sorted(lb)) if la and lb else None,
                "detail": f"{len(la)} vs {len(lb)} labels" if la and lb else "label set not recorded"})
    return out


def reported_f1(facts: RunFacts) -> tuple[float | None, str]:
    """The F1 a run reports for itself (relx summary, or a HF Trainer results file)."""
    final = facts.summary.get("final")
    if isinstance(final, dict) and isinstance(final.get("f1"), (int, float)):
        return float(final["f1"]), "summary.json final.f1"
    for key in ("eval_f1", "f1"):
        if isinstance(facts.summary.get(key), (int, float)):
            return float(facts.summary[key]), f"summary.json {key}"
    if facts.path.is_dir():
        for name in ("all_results.json", "eval_results.json", "results.json"):
            path = facts.path / name
            if path.is_file():
                try:
                    obj = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if isinstance(obj, dict) and isinstance(obj.get("eval_f1"), (int, float)):
                    return float(obj["eval_f1"]), f"{name} eval_f1"
    return None, ""


def _rescore(side: str, facts: RunFacts, preds: list[Any] | None) -> dict[str, Any] | None:
    """Compare a run's reported F1 with our protocol on its own predictions."""
    reported, source = reported_f1(facts)
    if reported is None or not preds:
        return None
    from relx.evaluate import inflated_metrics, pair_metrics

    scored = [p for p in preds if p.gold is not None]
    gold, pred = [p.gold for p in scored], [p.pred for p in scored]
    ours = float(pair_metrics(gold, pred, warn=False)["f1"])
    try:
        inflated = float(inflated_metrics(gold, pred)["f1"])
    except Exception:  # noqa: BLE001 - only evidence
        inflated = None
    same = abs(ours - reported) <= RESCORE_F1_ATOL
    detail = f"run {side} reports F1 {reported:.4f} ({source}); our protocol on its predictions: {ours:.4f}"
    if not same and inflated is not None and abs(inflated - reported) <= RESCORE_F1_ATOL:
        detail += f"; it matches the INFLATED 'excluding NOT' F1 ({inflated:.4f})"
    return {"what": f"run {side}'s F1 under our protocol", "same": same, "detail": detail,
            "reported": reported, "rescored": ours, "inflated": inflated}


def _results(pa: list[Any], pb: list[Any], notes: list[str]) -> dict[str, Any]:
    from relx.evaluate import bootstrap_ci, count_table, pair_metrics, paired_bootstrap

    res: dict[str, Any] = {}
    per_class = {}
    for side, preds in (("a", pa), ("b", pb)):
        gold = [p.gold or "NOT" for p in preds if p.gold is not None]
        pred = [p.pred for p in preds if p.gold is not None]
        m = pair_metrics(gold, pred, warn=False)
        ci = bootstrap_ci(count_table([p for p in preds if p.gold is not None]), n_resamples=1000)
        res[side] = {"precision": m["precision"], "recall": m["recall"], "f1": m["f1"],
                     "accuracy": m["accuracy"], "n": m["n"],
                     "ci": {k: v for k, v in ci["intervals"].get("pair", {}).items()}}
        per_class[side] = m["per_class"]
    labels = sorted(set(per_class["a"]) | set(per_class["b"]))
    res["per_class_delta"] = {
        lab: {"a": per_class["a"].get(lab, {}).get("f1", 0.0), "b": per_class["b"].get(lab, {}).get("f1", 0.0),
              "delta": per_class["b"].get(lab, {}).get("f1", 0.0) - per_class["a"].get(lab, {}).get("f1", 0.0),
              "present": any(per_class[s].get(lab, {}).get(k, 0) for s in ("a", "b") for k in ("support", "predicted"))}
        for lab in labels
    }
    ids_a = {p.id: p for p in pa}
    ids_b = {p.id: p for p in pb}
    if set(ids_a) == set(ids_b):
        try:
            res["paired"] = paired_bootstrap(pa, pb, n_resamples=1000)
        except Exception as error:  # noqa: BLE001 - e.g. different gold labels: say so, keep going
            notes.append(f"paired bootstrap not possible: {error}")
        dis = [pid for pid in ids_a if ids_a[pid].pred != ids_b[pid].pred]
        res["n_disagreements"] = len(dis)
        res["disagreements"] = [
            {"id": pid, "gold": ids_a[pid].gold, "a": ids_a[pid].pred, "b": ids_b[pid].pred}
            for pid in dis[:DIFF_DISAGREEMENT_SAMPLE]
        ]
    else:
        notes.append("the runs predicted different pairs: no paired test; compare the CIs")
    return res


def diff_runs(run_a: str | Path, run_b: str | Path, *, data: str | Path | None = None) -> RunDiff:
    """Compare two runs (or two configs of another tool) and rank their differences.

    Args:
        run_a: Run directory or config file (YAML/JSON) of run A.
        run_b: Same for run B.
        data: Validation split to measure truncation on when the runs did not record it and
            their configs do not name an existing file.

    Returns:
        A :class:`RunDiff`; ``differences`` are sorted by likely impact, highest first.

    Raises:
        RunDirError: a path is neither a run directory nor a config file.
    """
    pa_path, pb_path = Path(run_a), Path(run_b)
    if _is_cv_dir(pa_path) and _is_cv_dir(pb_path):
        return _diff_cv(pa_path, pb_path, Path(data) if data else None)
    fa, fb = _facts(pa_path), _facts(pb_path)
    result = RunDiff(run_a=str(pa_path), run_b=str(pb_path))
    data_path = Path(data) if data else None
    tr = {"a": _truncation(fa, data_path), "b": _truncation(fb, data_path)}
    items, used = _canonical_items(fa, fb, tr)
    items += _other_items(fa, fb, used)
    result.differences = sorted(items, key=lambda d: -d.score)
    for side, facts, path in (("a", fa, pa_path), ("b", fb, pb_path)):
        verdict, reason = lr_verdict(facts.method, facts.learning_rate)
        result.derived[side] = {
            "method": facts.method,
            "learning_rate": facts.learning_rate,
            "lr_vs_method": verdict,
            "lr_reason": reason,
            "effective_batch": facts.effective_batch,
            "updates_per_epoch": facts.updates_per_epoch,
            "n_train": facts.n_train,
            "truncation": tr[side],
            "trainable_params": _trainable_params(path),
        }
    ta, tb = result.derived["a"]["trainable_params"], result.derived["b"]["trainable_params"]
    if ta and tb and ta != tb:
        impact = "MEDIUM" if _ratio(ta, tb) >= 2 else "LOW"
        result.differences.append(DiffItem("trainable_params", ta, tb, impact,
                                           f"{_ratio(ta, tb):.1f}x apart (saved adapter + head)",
                                           IMPACT_SCORE[impact], derived=True))
        result.differences.sort(key=lambda d: -d.score)
    for side in ("a", "b"):
        t = tr[side]
        if t:
            result.notes.append(
                f"run {side.upper()}: {t.get('truncated')}/{t.get('n')} validation inputs "
                f"({t.get('share', 0):.1%}) truncated at {t.get('max_length', 'the max length')} tokens"
                + (f"; prompt tail cut in {t['tail_cut']}" if t.get("tail_cut") else "")
                + f" ({t.get('method')})")
    pa, pb = _load_predictions(fa), _load_predictions(fb)
    result.comparability = _comparability(fa, fb, pa, pb)
    if pa is not None and pb is not None:
        result.results = _results(pa, pb, result.notes)
    for side, facts, preds in (("A", fa, pa), ("B", fb, pb)):
        item = _rescore(side, facts, preds)
        if item is not None:
            result.comparability.append(item)
    missing = [s for s, p in (("A", pa), ("B", pb)) if p is None]
    if missing:
        result.notes.append(f"no validation predictions for run {' and '.join(missing)}: results not compared "
                            "(relx eval CHECKPOINT --data SPLIT writes them)")
    _rank_data_first(result, fa, fb)
    return result


def _data_files(facts: RunFacts, role: str) -> list[str] | None:
    """The split files a run trained (``train``) or validated (``val``) on, as recorded."""
    info = facts.data_info
    value = info.get("val_split" if role == "val" else "train_splits") if info else None
    if value is None:
        value = facts.get("val_data" if role == "val" else "train_data")
    if value is None:
        return None
    return sorted(str(v) for v in (value if isinstance(value, list) else [value]))


def _content_keys(facts: RunFacts, files: list[str]) -> list[str]:
    """What the files hold (sha256 of each, where readable), so that two copies of the same
    splits in different folders are the same data."""
    import hashlib

    base = facts.path if facts.path.is_dir() else facts.path.parent
    keys = []
    for name in files:
        path = Path(name) if Path(name).is_absolute() else base / name
        try:
            keys.append(hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError:
            keys.append(name)
    return sorted(keys)


def _is_cv_dir(path: Path) -> bool:
    return path.is_dir() and (path / rundir.CV_FILE).is_file() and not (path / rundir.CONFIG_FILE).is_file()


def _fold_dirs(path: Path) -> dict[str, Path]:
    return {p.name: p for p in rundir.fold_dirs(path) if (p / rundir.CONFIG_FILE).is_file()}


def _diff_cv(a: Path, b: Path, data: Path | None) -> RunDiff:
    """Two CV directories: settings from one fold pair, results pooled over the folds both
    have, and one row per fold (a fold pair validated on different documents is flagged)."""
    fa_dirs, fb_dirs = _fold_dirs(a), _fold_dirs(b)
    common = sorted(set(fa_dirs) & set(fb_dirs), key=lambda n: int(n.split("_")[-1]) if n.split("_")[-1].isdigit() else 0)
    if not common:
        raise RunDirError(f"{a} and {b}: expected two CV directories with the same fold_k run directories; "
                          f"got folds {sorted(fa_dirs)} vs {sorted(fb_dirs)}", code="E704",
                          hint=f"relx cv CONFIG --out DIR writes {rundir.fold_dir_name(0)} ... "
                          f"{rundir.fold_dir_name(4)}; or diff one fold each: relx diff A/{rundir.fold_dir_name(0)} "
                          f"B/{rundir.fold_dir_name(0)}")
    first = diff_runs(fa_dirs[common[0]], fb_dirs[common[0]], data=data)
    result = RunDiff(run_a=str(a), run_b=str(b), differences=first.differences, derived=first.derived)
    pooled_a: list[Any] = []
    pooled_b: list[Any] = []
    for name in common:
        fa, fb = read_run(fa_dirs[name]), read_run(fb_dirs[name])
        pa, pb = _load_predictions(fa), _load_predictions(fb)
        row: dict[str, Any] = {"fold": name, "f1_a": None, "f1_b": None, "delta": None, "same_documents": None}
        if pa is not None and pb is not None:
            from relx.evaluate import pair_metrics

            row["f1_a"] = float(pair_metrics([p.gold or "NOT" for p in pa], [p.pred for p in pa], warn=False)["f1"])
            row["f1_b"] = float(pair_metrics([p.gold or "NOT" for p in pb], [p.pred for p in pb], warn=False)["f1"])
            row["delta"] = row["f1_b"] - row["f1_a"]
            row["same_documents"] = {p.document_id for p in pa} == {p.document_id for p in pb}
            pooled_a += pa
            pooled_b += pb
        result.per_fold.append(row)
    if missing := sorted(set(fa_dirs) ^ set(fb_dirs)):
        result.notes.append(f"folds in only one directory, not compared: {', '.join(missing)}")
    result.comparability = _comparability(read_run(fa_dirs[common[0]]), read_run(fb_dirs[common[0]]),
                                          pooled_a or None, pooled_b or None)
    for c in result.comparability:
        if c["what"] in ("same validation documents", "same candidate pairs"):
            c["detail"] = f"pooled over {len(common)} fold(s): " + c["detail"]
    if pooled_a and pooled_b:
        result.results = _results(pooled_a, pooled_b, result.notes)
        result.results["pooled_over"] = common
    different = [r["fold"] for r in result.per_fold if r["same_documents"] is False]
    if different:
        result.headline = (f"NOT COMPARABLE: {len(different)} fold pair(s) validated on different documents "
                           f"({', '.join(different)}): the two CVs split the corpus differently")
    return result


def _rank_data_first(result: RunDiff, fa: RunFacts, fb: RunFacts) -> None:
    """Different validation (or training) data is the first thing to say, and outranks every
    hyperparameter: two runs scored on different documents differ by the data alone."""
    docs = next((c for c in result.comparability if c["what"] == "same validation documents"), None)
    items: list[DiffItem] = []
    if docs is not None and docs["same"] is False:
        result.headline = (f"NOT COMPARABLE: the runs are validated on different documents ({docs['detail']}); "
                           "their F1 difference is mostly the data, not the settings below")
        items.append(DiffItem("validation documents", _data_files(fa, "val") or "—", _data_files(fb, "val") or "—",
                              "HIGH", f"different validation documents ({docs['detail']}): scores are not "
                              "comparable; compare runs on the same split (or whole CV directories)",
                              IMPACT_SCORE["HIGH"] + 1000))
    ta, tb = _data_files(fa, "train"), _data_files(fb, "train")
    if ta and tb and ta != tb and _content_keys(fa, ta) != _content_keys(fb, tb):
        items.append(DiffItem("training data", ta, tb, "HIGH", "trained on different files: a data difference",
                              IMPACT_SCORE["HIGH"] + 900))
    if not items:
        return
    names = {i.name for i in items}
    result.differences = items + [d for d in result.differences if d.name not in names and
                                  d.name not in ("val_data", "train_data")]
