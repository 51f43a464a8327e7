"""Benchmark: read BioRED Train+Dev and build all candidate pairs (issue 2: < 5 s, 2 cores).

Each repeat starts cold: the per-process sentence cache is cleared, so every abstract is
segmented again, as in a fresh ``relx data build``. Reading and pair building are timed
separately; the wall-clock total is what the "Done when" bound applies to, and the CPU
time of the process is printed too, since a shared machine's load inflates wall time.

    python bench/bench_pairs.py [--biored DIR] [--repeats 3] [--splitter syntok|pysbd]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from relx.data import ProblemLog, build_pairs, read_corpus
from relx.data._sentences import _split_cached

DEFAULT_BIORED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "biored"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--biored", type=Path, default=DEFAULT_BIORED)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--splitter", default="syntok", choices=("syntok", "pysbd"))
    parser.add_argument("--context", default="multi_sentence")
    args = parser.parse_args()
    files = [args.biored / "Train.PubTator", args.biored / "Dev.PubTator"]

    runs = []
    for _ in range(args.repeats):
        _split_cached.cache_clear()
        log = ProblemLog()
        c0, t0 = time.process_time(), time.perf_counter()
        docs = read_corpus(files, log=log)
        t1 = time.perf_counter()
        pairs = build_pairs(docs, context=args.context, log=log, splitter=args.splitter)
        c2, t2 = time.process_time(), time.perf_counter()
        runs.append({"read_s": t1 - t0, "pairs_s": t2 - t1, "total_s": t2 - t0, "cpu_s": c2 - c0})
    print(json.dumps({
        "documents": len(docs),
        "pairs": len(pairs),
        "positive": sum(p.label != "NOT" for p in pairs),
        "splitter": args.splitter,
        "context": args.context,
        "repeats": args.repeats,
        "median_total_s": round(statistics.median(r["total_s"] for r in runs), 3),
        "min_total_s": round(min(r["total_s"] for r in runs), 3),
        # CPU seconds of this process: robust to other users of a shared machine.
        "median_cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 3),
        "median_read_s": round(statistics.median(r["read_s"] for r in runs), 3),
        "median_pairs_s": round(statistics.median(r["pairs_s"] for r in runs), 3),
        "cpus": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
