"""Benchmark: peak memory of streaming `relx predict` at two corpus sizes (issue 13).

Writes synthetic corpora (``relx.data.synthesize_documents``) as gzipped BioC JSON, builds a
tiny untrained BERT run (tests/tiny_models.py; quality is irrelevant here, the shapes and
the pipeline are real), then predicts each corpus in a fresh process with
``predict_stream(..., window=W)`` into a streaming directory and reports that process's
peak RSS, documents/s and pairs/s. Goal: peak RSS at 10x the documents within 1.3x.

    python bench/bench_predict_stream.py [--docs 2000 20000] [--window 500] [--workdir DIR]

On a shared, loaded CPU machine set ``OMP_NUM_THREADS=1``: two intra-op threads contending
for busy cores ran the tiny model ~13x slower (docs/benchmarks.md); the peaks compared are
unaffected.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_WRITE = """
import gzip, json, sys
from relx.data import documents_to_bioc
from relx.data._synth import synthesize_documents
import bioc.biocjson
n, path = int(sys.argv[1]), sys.argv[2]
with gzip.open(path, "wt", encoding="utf-8") as handle:
    json.dump(bioc.biocjson.toJSON(documents_to_bioc(synthesize_documents(n_docs=n, seed=1))),
              handle)
"""

_PREDICT = """
import json, resource, sys
from relx.evaluate import predict_stream
summary = predict_stream(sys.argv[1], [sys.argv[2]], out_dir=sys.argv[3], output_format="jsonl",
                         window=int(sys.argv[4]), batch_size=64, device="cpu")
summary["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(summary))
"""


def _env() -> dict[str, str]:
    paths = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "evaluate")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths + [os.environ.get(
        "PYTHONPATH", "")]), "TRANSFORMERS_VERBOSITY": "error"}


def _tiny_run(work: Path) -> Path:
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "evaluate")]
    from _evaluate_helpers import save_untrained_run

    from relx.data import write_pubtator
    from relx.data._synth import synthesize_documents

    corpus = work / "vocab.pubtator"
    write_pubtator(corpus, synthesize_documents(n_docs=200, seed=1))
    return save_untrained_run(work / "run", corpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="relx-bench-stream-"))
    work.mkdir(parents=True, exist_ok=True)
    run = _tiny_run(work)
    rows = []
    for n in args.docs:
        corpus = work / f"synth-{n}.BioC.JSON.gz"
        if not corpus.is_file():
            subprocess.run([sys.executable, "-c", _WRITE, str(n), str(corpus)], check=True,
                           env=_env())
        out = work / f"pred-{n}"
        shutil.rmtree(out, ignore_errors=True)
        done = subprocess.run([sys.executable, "-c", _PREDICT, str(run), str(corpus), str(out),
                               str(args.window)], check=True, env=_env(), capture_output=True,
                              text=True)
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        with gzip.open(corpus, "rb") as handle:
            size = sum(len(b) for b in iter(lambda: handle.read(1 << 20), b""))
        rows.append({"docs": n, "pairs": summary["n_pairs"],
                     "skipped_by_mask": summary["n_skipped_type_pair"],
                     "gz_mib": round(corpus.stat().st_size / 2**20, 1),
                     "json_mib": round(size / 2**20, 1),
                     "seconds": summary["seconds"], "docs_per_s": summary["documents_per_s"],
                     "pairs_per_s": summary["pairs_per_s"],
                     "peak_rss_mib": round(summary["peak_rss_mib"], 1)})
        print(json.dumps(rows[-1]), flush=True)
    if len(rows) >= 2:
        ratio = rows[-1]["peak_rss_mib"] / rows[0]["peak_rss_mib"]
        print(f"peak RSS ratio {rows[-1]['docs']} / {rows[0]['docs']} docs: {ratio:.3f} "
              f"(goal <= 1.3); window {args.window} documents")


if __name__ == "__main__":
    main()
