"""Where a ``relx train`` step spends its time: torch.profiler around the CLI itself.

Issue 10's open question is *why* relx's shipped presets leave the GPU idle (MiniLM: ~24 ms
per optimizer step where the matrix multiplies need a few; the 8B preset: ~0.64 s per step of
~2.7k tokens where ~0.15 s would saturate the card; docs/benchmarks.md, "GPU speed"). This
bench answers it for the path a user runs: it runs ``relx <argv>`` in this process (no edit of
relx) with ``torch.profiler`` stepped by a global optimizer-step hook, skips the first
``--skip`` steps (compilation, allocator warm-up), records ``--steps`` steps, and writes:

* ``profile_summary.json``: per recorded step the wall time, the device (kernel) time, the
  kernel launches and CPU-side operator calls; the device-busy fraction (kernel time / wall:
  well under 1 means the host cannot feed the GPU, i.e. launch/Python-bound); the top
  operators by device time and by CPU self time.
* ``profile_ops.txt``: torch's own ``key_averages`` tables (device time, CPU time).
* ``trace.json.gz`` with ``--trace`` (chrome://tracing or https://ui.perfetto.dev).

Usage (the relx argv after ``--``; give ``train.max_steps`` so the run ends soon after)::

    python bench/profile_train.py --out OUT --skip 10 --steps 5 -- \
        train biored/minilm --out RUN --no-progress --set train.max_steps=20 ...

On CPU the same code runs (no device rows): ``--skip 1 --steps 2`` on a tiny model is the
smoke test.
"""

from __future__ import annotations

import argparse
import atexit
import gzip
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # this checkout's relx


def _device_time(event: Any) -> float:
    """Self device time (µs) of a key_averages row, across torch versions."""
    for name in ("self_device_time_total", "self_cuda_time_total"):
        if hasattr(event, name):
            return float(getattr(event, name))
    return 0.0


def _top(rows: list[Any], key: Any, n: int) -> list[dict[str, Any]]:
    ranked = sorted(rows, key=key, reverse=True)[:n]
    return [
        {
            "op": row.key,
            "calls": int(row.count),
            "device_ms": round(_device_time(row) / 1e3, 3),
            "cpu_self_ms": round(float(row.self_cpu_time_total) / 1e3, 3),
        }
        for row in ranked
    ]


def summarise(prof: Any, step_walls: list[float]) -> dict[str, Any]:
    """Per-step figures and the top operators of the recorded steps."""
    from torch.autograd import DeviceType

    events = prof.events()
    kernels = [e for e in events if getattr(e, "device_type", None) == DeviceType.CUDA]
    cpu_ops = [e for e in events if getattr(e, "device_type", None) == DeviceType.CPU]
    kernel_us = sum(float(getattr(e, "device_time", 0.0) or 0.0) for e in kernels)
    steps = max(len(step_walls), 1)
    wall_ms = sum(step_walls) * 1e3
    rows = list(prof.key_averages())
    return {
        "steps_recorded": len(step_walls),
        "step_wall_ms": [round(w * 1e3, 2) for w in step_walls],
        "mean_step_wall_ms": round(wall_ms / steps, 2),
        "mean_step_kernel_ms": round(kernel_us / 1e3 / steps, 2),
        "device_busy_fraction": round(kernel_us / 1e3 / wall_ms, 3) if wall_ms and kernels else None,
        "kernels_per_step": round(len(kernels) / steps, 1),
        "cpu_ops_per_step": round(len(cpu_ops) / steps, 1),
        "top_by_device_time": _top(rows, _device_time, 25),
        "top_by_cpu_self_time": _top(rows, lambda r: float(r.self_cpu_time_total), 25),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="results folder")
    parser.add_argument("--skip", type=int, default=10, help="optimizer steps before recording")
    parser.add_argument("--steps", type=int, default=5, help="optimizer steps recorded")
    parser.add_argument("--trace", action="store_true", help="also write trace.json.gz")
    parser.add_argument("argv", nargs=argparse.REMAINDER, help="-- then relx's arguments")
    args = parser.parse_args()
    relx_argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not relx_argv:
        parser.error("give relx's arguments after --, e.g. -- train biored/minilm --out RUN ...")
    if args.skip < 1 or args.steps < 1:
        parser.error("--skip and --steps must be at least 1")

    import torch
    from torch.optim.optimizer import register_optimizer_step_post_hook
    from torch.profiler import ProfilerActivity, profile, schedule

    cuda = torch.cuda.is_available()
    args.out.mkdir(parents=True, exist_ok=True)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    prof = profile(
        activities=activities,
        # skip-1 steps ignored, one warm-up step, then the recorded ones (one cycle)
        schedule=schedule(wait=args.skip - 1, warmup=1, active=args.steps, repeat=1),
    )
    state: dict[str, Any] = {"step": 0, "last": None, "walls": [], "done": False}

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    def on_step(optimizer: Any, _args: Any, _kwargs: Any) -> None:
        # A step ends at its optimizer.step(); one sync per step only while profiling.
        if state["done"]:
            return
        sync()
        now = time.perf_counter()
        recording = args.skip <= state["step"] < args.skip + args.steps
        if recording and state["last"] is not None:
            state["walls"].append(now - state["last"])
        state["last"] = now
        state["step"] += 1
        prof.step()
        if state["step"] >= args.skip + args.steps:
            finish()

    def finish() -> None:
        if state["done"]:
            return
        state["done"] = True
        prof.stop()
        if not state["walls"]:
            print(f"profile_train: the run made {state['step']} optimizer steps; need"
                  f" {args.skip + args.steps} (raise train.max_steps)", file=sys.stderr)
            return
        summary = {"argv": relx_argv, "device": torch.cuda.get_device_name() if cuda else "cpu",
                   "torch": torch.__version__, "skip": args.skip,
                   **summarise(prof, state["walls"])}
        if cuda:
            summary["peak_reserved_bytes"] = torch.cuda.max_memory_reserved()
        (args.out / "profile_summary.json").write_text(json.dumps(summary, indent=1))
        sort = "self_cuda_time_total" if cuda else "self_cpu_time_total"
        table = prof.key_averages().table(sort_by=sort, row_limit=60)
        cpu_table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=40)
        (args.out / "profile_ops.txt").write_text(table + "\n\n" + cpu_table)
        if args.trace:
            raw = args.out / "trace.json"
            prof.export_chrome_trace(str(raw))
            with raw.open("rb") as src, gzip.open(args.out / "trace.json.gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            raw.unlink()
        print(f"profile_train: {json.dumps({k: summary[k] for k in ('mean_step_wall_ms', 'mean_step_kernel_ms', 'device_busy_fraction', 'kernels_per_step', 'cpu_ops_per_step')})}",
              file=sys.stderr)

    register_optimizer_step_post_hook(on_step)
    atexit.register(finish)
    prof.start()
    sys.argv = ["relx", *relx_argv]
    from relx.cli import main as relx_main

    relx_main()


if __name__ == "__main__":
    main()
