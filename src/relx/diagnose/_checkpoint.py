"""Static checks of a checkpoint: files, adapter, head, tokenizer vs model.

None of these builds the model: tensors are read one at a time from safetensors, configs
from JSON. They reproduce, as a checklist, what the origin run's (docs/origin.md)
``investigate_checkpoint.py`` did by hand (file integrity, non-zero LoRA B, head present,
added tokens, pad id) and add what it missed.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from relx.diagnose._inventory import TOKENIZER_FILES, Inventory
from relx.diagnose._report import DoctorReport, Status
from relx.diagnose._thresholds import (
    DEFAULT_INIT_STD,
    HEAD_INIT_STD_RTOL,
    PARTLY_ZERO_B_SHARE,
    ZERO_NORM_ATOL,
)
from relx.labels import ALL_LABELS

__all__ = ["CheckpointContext", "resolve_context", "check_checkpoint"]

#: Model types that pool a decoder's last token (padding side and pad id matter for them).
DECODER_MODEL_TYPES: tuple[str, ...] = (
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "phi", "phi3",
    "gpt2", "gpt_neox", "falcon", "mixtral", "olmo", "olmo2", "smollm3", "granite",
)


@dataclass
class CheckpointContext:
    """What the checks know beyond the checkpoint's own files.

    Attributes:
        base_model: Base model reference (local dir, GGUF dir, or hub name) if known.
        gguf_file: GGUF file name inside ``base_model`` when the base is a GGUF.
        base_config: The base model's config as a dict, when it could be read offline.
        labels: The label set the head should have, when known (run config, relx meta,
            ``id2label``); ``None`` means assume relx's 9 BioRED labels.
        labels_source: Where ``labels`` came from.
        tokenizer: The checkpoint's tokenizer when loadable.
        notes: Why something could not be resolved (shown in skip messages).
    """

    base_model: str | None = None
    gguf_file: str | None = None
    base_config: dict[str, Any] | None = None
    labels: list[str] | None = None
    labels_source: str = ""
    tokenizer: Any = None
    notes: list[str] = field(default_factory=list)

    @property
    def model_config(self) -> dict[str, Any]:
        """The config that governs the model (base config, overlaid later by checkpoint's)."""
        return dict(self.base_config or {})


def _load_base_config(base: str, gguf_file: str | None) -> dict[str, Any] | None:
    """Read a base model's config without any network access; None if not available."""
    path = Path(base)
    if path.is_dir() and (path / "config.json").is_file() and not gguf_file:
        import json

        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    try:
        from transformers import AutoConfig

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kwargs: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
            if gguf_file:
                kwargs["gguf_file"] = gguf_file
            return AutoConfig.from_pretrained(base, **kwargs).to_dict()
    except Exception:  # noqa: BLE001 - any failure means "not available offline"
        return None


def resolve_context(
    inv: Inventory,
    *,
    base_model: str | None = None,
    fallback_base_model: str | None = None,
    labels: list[str] | None = None,
    labels_source: str = "",
) -> CheckpointContext:
    """Find the base model, its config, the expected labels and the tokenizer.

    The base is, in order: ``base_model`` (the user's ``--base-model``), the checkpoint's own
    record (``relx_model.json``, ``adapter_config.json``), then ``fallback_base_model`` (the
    run config's). Hub names are resolved from the local cache only, never downloaded.
    """
    ctx = CheckpointContext(labels=labels, labels_source=labels_source)
    meta = inv.relx_meta or {}
    meta_model = meta.get("model") if isinstance(meta.get("model"), dict) else {}
    ctx.gguf_file = meta.get("gguf_file") or meta_model.get("gguf_file")
    ctx.base_model = (
        base_model
        or meta.get("base_model")
        or meta.get("model_name_or_path")
        or meta_model.get("model_name_or_path")
        or meta.get("base_model_name_or_path")
        or (inv.adapter_config or {}).get("base_model_name_or_path")
        or fallback_base_model
    )
    if ctx.base_model:
        ctx.base_config = _load_base_config(str(ctx.base_model), ctx.gguf_file)
        if ctx.base_config is None:
            ctx.notes.append(f"base model {ctx.base_model!r} is not available offline")
    elif inv.model_config is not None:
        ctx.base_config = dict(inv.model_config)
    else:
        ctx.notes.append("no base model reference (pass --base-model)")
    if inv.model_config is not None and ctx.base_config is not None:
        ctx.base_config = {**ctx.base_config, **inv.model_config}
    if inv.relx_meta is not None and ctx.base_config is not None:
        # relx sets the pad id in the model config at build time (not in the base's files),
        # and records it; the base vocabulary is recorded too.
        if "pad_token_id" in meta:
            ctx.base_config["pad_token_id"] = meta["pad_token_id"]
        if isinstance(meta.get("base_vocab_size"), int):
            ctx.base_config["vocab_size"] = meta["base_vocab_size"]
    if ctx.labels is None:
        meta_labels = meta.get("labels") or meta_model.get("labels")
        if isinstance(meta_labels, list) and meta_labels:
            ctx.labels, ctx.labels_source = [str(x) for x in meta_labels], "relx_model.json"
        else:
            id2label = (inv.model_config or {}).get("id2label")
            if isinstance(id2label, dict) and len(id2label) > 2:
                ordered = sorted(id2label.items(), key=lambda kv: int(kv[0]))
                ctx.labels, ctx.labels_source = [v for _, v in ordered], "config.json id2label"
    if inv.tokenizer_files:
        ctx.tokenizer = _load_tokenizer(inv, ctx)
    return ctx


def _load_tokenizer(inv: Inventory, ctx: CheckpointContext) -> Any:
    from transformers import AutoTokenizer

    folders = sorted({(inv.path / f).parent for f in inv.tokenizer_files}, key=lambda p: len(p.parts))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return AutoTokenizer.from_pretrained(
                str(folders[0]), local_files_only=True, trust_remote_code=False
            )
    except Exception as error:  # noqa: BLE001 - reported as a check, not raised
        ctx.notes.append(f"tokenizer not loadable: {type(error).__name__}: {error}")
        return None


# --- files -----------------------------------------------------------------------------------


def _check_files(inv: Inventory, ctx: CheckpointContext, rep: DoctorReport, allow_pickle: bool) -> None:
    sec = "files"
    missing = []
    if inv.kind == "peft_checkpoint":
        if inv.adapter_config is None:
            missing.append("adapter_config.json")
        if not any(t.file.name.startswith("adapter_model") for t in inv.tensors):
            missing.append("adapter_model.safetensors")
    elif inv.kind == "hf_checkpoint" and not inv.tensors:
        missing.append("model.safetensors")
    elif inv.kind == "unknown":
        rep.add(
            "files.present", sec, Status.FAIL,
            "no adapter_config.json, config.json or relx_model.json: not a checkpoint",
            evidence={"files": sorted(p.name for p in inv.path.iterdir())[:20]},
            fix="point relx doctor at a run directory, checkpoints/best, or a save_pretrained folder",
        )
        return
    if missing:
        rep.add(
            "files.present", sec, Status.FAIL, f"missing {', '.join(missing)}",
            evidence={"missing": missing}, fix="save with model.save_pretrained(dir) (safetensors)",
        )
    else:
        rep.add(
            "files.present", sec, Status.PASS,
            f"{inv.kind}: {len(inv.tensors)} tensors in "
            f"{len({t.file for t in inv.tensors})} safetensors file(s)",
            evidence={"kind": inv.kind, "tensors": len(inv.tensors)},
        )
    if inv.tokenizer_files:
        rep.add(
            "files.tokenizer", sec, Status.PASS if ctx.tokenizer is not None else Status.FAIL,
            f"tokenizer files {', '.join(sorted(set(Path(f).name for f in inv.tokenizer_files)))}"
            + ("" if ctx.tokenizer is not None else " present but not loadable"),
            evidence={"files": inv.tokenizer_files, "notes": ctx.notes},
            fix="" if ctx.tokenizer is not None else "save the tokenizer again: tokenizer.save_pretrained(dir)",
        )
    else:
        rep.add(
            "files.tokenizer", sec, Status.WARN,
            f"no tokenizer files ({', '.join(TOKENIZER_FILES[:2])}); the base model's tokenizer "
            "will be used, losing any added marker tokens",
            fix="save the tokenizer with the checkpoint: tokenizer.save_pretrained(dir)",
        )
    if inv.broken:
        rep.add(
            "files.loadable", sec, Status.FAIL,
            f"{len(inv.broken)} file(s) cannot be read: "
            + "; ".join(f"{f} ({e[:80]})" for f, e in inv.broken[:3]),
            evidence={"broken": inv.broken}, fix="re-save the checkpoint; the files are corrupt or truncated",
        )
    else:
        rep.add("files.loadable", sec, Status.PASS, "every JSON and safetensors file parses")
    for file in inv.pickled:
        _check_pickle(file, inv, rep, allow_pickle)
    if not inv.pickled:
        rep.add("files.pickle", sec, Status.PASS, "no pickled files (*.pt, *.bin): safetensors/JSON only")


def _check_pickle(file: Path, inv: Inventory, rep: DoctorReport, allow_pickle: bool) -> None:
    rel = str(file.relative_to(inv.path))
    size = file.stat().st_size
    evidence: dict[str, Any] = {"file": rel, "bytes": size}
    fix = (
        "save weights with safetensors and state as JSON (relx does); convert with "
        "`relx doctor --allow-pickle` only for files you trust"
    )
    if not allow_pickle:
        rep.add(
            "files.pickle", "files", Status.FAIL,
            f"{rel} ({size} bytes) is a pickle: loading it can run arbitrary code; not opened",
            evidence=evidence, fix=fix,
        )
        return
    try:
        obj = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - the failure is the finding
        rep.add(
            "files.pickle", "files", Status.FAIL,
            f"{rel} is a pickle that needs arbitrary objects (weights_only=True refused: "
            f"{type(error).__name__})",
            evidence=evidence, fix=fix,
        )
        return
    summary = _summarise_object(obj)
    evidence["content"] = summary
    rep.add(
        "files.pickle", "files", Status.WARN,
        f"{rel} is a pickle, read with weights_only=True: {str(summary)[:120]}",
        evidence=evidence, fix=fix,
    )


def _summarise_object(obj: Any, depth: int = 0) -> Any:
    if isinstance(obj, torch.Tensor):
        return f"tensor{list(obj.shape)}"
    if isinstance(obj, dict) and depth < 2:
        return {str(k): _summarise_object(v, depth + 1) for k, v in list(obj.items())[:20]}
    if isinstance(obj, (list, tuple)):
        return f"{type(obj).__name__}[{len(obj)}]"
    if isinstance(obj, (int, float, str, bool)) or obj is None:
        return obj
    return type(obj).__name__


# --- adapter ---------------------------------------------------------------------------------


def _check_adapter(inv: Inventory, ctx: CheckpointContext, rep: DoctorReport) -> None:
    sec = "adapter"
    cfg = inv.adapter_config
    pairs = inv.lora_pairs()
    if cfg is None and not pairs:
        return
    cfg = cfg or {}
    r = cfg.get("r")
    alpha = cfg.get("lora_alpha")
    targets = cfg.get("target_modules")
    if isinstance(targets, str):
        targets_list = [targets]
    else:
        targets_list = sorted(targets or [])
    scaling = (alpha / (math.sqrt(r) if cfg.get("use_rslora") else r)) if r and alpha else None
    rep.add(
        "adapter.config", sec, Status.INFO,
        f"{cfg.get('peft_type', 'LORA')} r={r} alpha={alpha} (scale {scaling if scaling is None else round(scaling, 3)}), "
        f"dropout={cfg.get('lora_dropout')}, targets={','.join(targets_list) or '?'}, "
        f"task_type={cfg.get('task_type')}",
        evidence={
            "r": r, "lora_alpha": alpha, "scaling": scaling, "target_modules": targets_list,
            "modules_to_save": cfg.get("modules_to_save"), "use_rslora": cfg.get("use_rslora"),
            "use_dora": cfg.get("use_dora"), "task_type": cfg.get("task_type"),
        },
    )
    # Targets in the config that have no saved LoRA tensors never took part in training.
    saved_modules = {m.split(".")[-1] for m in pairs}
    if targets_list and targets_list != ["all-linear"]:
        unmatched = [t for t in targets_list if t not in saved_modules and not any(
            m.endswith(t) for m in pairs)]
        if unmatched:
            rep.add(
                "adapter.targets", sec, Status.FAIL,
                f"target modules {unmatched} have no LoRA tensors in the checkpoint",
                evidence={"unmatched": unmatched, "saved_modules": sorted(saved_modules)},
                fix="check target_modules against the model's module names (model.named_modules())",
            )
        else:
            rep.add(
                "adapter.targets", sec, Status.PASS,
                f"{len(pairs)} LoRA layers over modules {sorted(saved_modules)}",
                evidence={"layers": len(pairs), "modules": sorted(saved_modules)},
            )
    if r and pairs:
        bad_rank = [m for m, ab in pairs.items() if "A" in ab and ab["A"].shape[0] != r
                    and str(m.split(".")[-1]) not in (cfg.get("rank_pattern") or {})]
        if bad_rank:
            rep.add(
                "adapter.rank", sec, Status.FAIL,
                f"{len(bad_rank)} LoRA A matrices do not have r={r} rows (e.g. {bad_rank[0]})",
                evidence={"modules": bad_rank[:10]}, fix="adapter_config.json and weights come from different runs",
            )
    # modules_to_save must include the head, else the (random) head is not saved.
    mts = cfg.get("modules_to_save") or []
    head = inv.head_weight()
    head_names = {"score", "classifier", "head", "relx_head"}
    if cfg and inv.relx_meta is not None:
        # relx saves its head in head.safetensors beside the adapter, never through peft's
        # modules_to_save: judging the adapter config alone would contradict relx's own saving.
        has_head = (inv.path / "head.safetensors").is_file() or head is not None
        rep.add(
            "adapter.modules_to_save", sec, Status.PASS if has_head else Status.FAIL,
            "relx checkpoint: the head is saved in head.safetensors, not through modules_to_save"
            if has_head else "relx checkpoint without head.safetensors: the trained head is missing",
            evidence={"modules_to_save": mts, "head_file": has_head},
            fix="" if has_head else "re-save the model with RelationClassifier.save",
        )
    elif cfg:
        if any(m in head_names for m in mts) or head is not None:
            rep.add(
                "adapter.modules_to_save", sec, Status.PASS,
                f"modules_to_save={mts}" + (f"; head saved as {head.key}" if head else ""),
                evidence={"modules_to_save": mts, "head_key": head.key if head else None},
            )
        elif inv.relx_meta is None:
            rep.add(
                "adapter.modules_to_save", sec, Status.FAIL,
                f"modules_to_save={mts or None} lacks the classification head (score/classifier)"
                " and no head weights are saved",
                evidence={"modules_to_save": mts},
                fix='LoraConfig(modules_to_save=["score"]) (decoders) or ["classifier"] '
                "(encoders), or task_type=\"SEQ_CLS\"; relx does this by construction",
            )
    _check_lora_weights(pairs, scaling, rep)


def _check_lora_weights(
    pairs: dict[str, dict[str, Any]], scaling: float | None, rep: DoctorReport
) -> None:
    sec = "adapter"
    if not pairs:
        rep.add(
            "adapter.lora_b", sec, Status.FAIL, "adapter config present but no LoRA tensors saved",
            fix="save with PeftModel.save_pretrained(dir)",
        )
        return
    rows = []
    for module, ab in sorted(pairs.items()):
        if "A" not in ab or "B" not in ab:
            continue
        a, b = ab["A"].load(), ab["B"].load()
        # ||B A||_F computed through the r x r Gram matrices: cheap even for 4096-wide layers.
        gram = (b.T @ b) @ (a @ a.T)
        delta = float(torch.sqrt(torch.clamp(torch.trace(gram), min=0.0)))
        rows.append({
            "module": module,
            "a_norm": float(a.norm()),
            "b_norm": float(b.norm()),
            "b_abs_max": float(b.abs().max()) if b.numel() else 0.0,
            "delta_norm": delta * (scaling or 1.0),
            "finite": bool(torch.isfinite(a).all() and torch.isfinite(b).all()),
        })
    if not rows:
        return
    zero = [r for r in rows if r["b_norm"] <= ZERO_NORM_ATOL]
    non_finite = [r["module"] for r in rows if not r["finite"]]
    b_norms = sorted(r["b_norm"] for r in rows)
    a_norms = sorted(r["a_norm"] for r in rows)
    deltas = sorted(r["delta_norm"] for r in rows)
    evidence = {
        "layers": len(rows),
        "zero_b_layers": len(zero),
        "b_norm_min": b_norms[0], "b_norm_median": b_norms[len(b_norms) // 2], "b_norm_max": b_norms[-1],
        "per_layer": [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()} for r in rows[:64]],
    }
    if non_finite:
        rep.add(
            "adapter.lora_b", sec, Status.FAIL, f"{len(non_finite)} LoRA layers hold NaN/inf",
            evidence={"modules": non_finite[:10]}, fix="training diverged: lower the lr, enable gradient clipping",
        )
    elif len(zero) == len(rows):
        rep.add(
            "adapter.lora_b", sec, Status.FAIL,
            f"all {len(rows)} LoRA B matrices are exactly zero: the adapter never trained "
            "(it is the identity; the model equals its base)",
            evidence=evidence,
            fix="check that the optimizer got the LoRA parameters, that the lr is not 0, and "
            "that the saved checkpoint is the trained model, not the one before training",
        )
    elif len(zero) / len(rows) > PARTLY_ZERO_B_SHARE:
        rep.add(
            "adapter.lora_b", sec, Status.WARN,
            f"{len(zero)}/{len(rows)} LoRA B matrices are zero: those layers never got a gradient",
            evidence={**evidence, "zero_modules": [r["module"] for r in zero][:10]},
            fix="check target_modules and layers_to_transform; unused modules get no gradient",
        )
    else:
        rep.add(
            "adapter.lora_b", sec, Status.PASS,
            f"LoRA B norms over {len(rows)} layers: min {b_norms[0]:.3g}, median "
            f"{b_norms[len(b_norms) // 2]:.3g}, max {b_norms[-1]:.3g} ({len(zero)} zero)",
            evidence=evidence,
        )
    rep.add(
        "adapter.lora_stats", sec, Status.INFO,
        f"A norm median {a_norms[len(a_norms) // 2]:.3g}; scaled update ||(alpha/r) B A|| "
        f"median {deltas[len(deltas) // 2]:.3g}, max {deltas[-1]:.3g}",
        evidence={"a_norm_median": a_norms[len(a_norms) // 2], "delta_norm_median": deltas[len(deltas) // 2],
                  "delta_norm_max": deltas[-1]},
    )


# --- head ------------------------------------------------------------------------------------


def _check_head(inv: Inventory, ctx: CheckpointContext, rep: DoctorReport) -> None:
    sec = "head"
    head = inv.head_weight()
    full_model = inv.kind == "hf_checkpoint"
    if head is None:
        rep.add(
            "head.present", sec, Status.FAIL,
            "no classification head weights (score/classifier/head) in any saved file: "
            "loading will put a freshly initialised random head on top",
            evidence={"tensor_files": sorted({t.file.name for t in inv.tensors})},
            fix="save the head with the adapter (modules_to_save=[\"score\"]) or keep the relx "
            "head file next to the adapter",
        )
        return
    rep.add(
        "head.present", sec, Status.PASS, f"head {head.key} {list(head.shape)} in {head.file.name}",
        evidence={"key": head.key, "shape": list(head.shape), "file": head.file.name},
    )
    labels = ctx.labels
    source = ctx.labels_source
    if labels is None:
        labels, source = list(ALL_LABELS), "assumed: relx's 9 BioRED labels"
    rows = head.shape[0]
    if rows != len(labels):
        rep.add(
            "head.shape", sec, Status.FAIL,
            f"head has {rows} outputs but the label set ({source}) has {len(labels)}",
            evidence={"head_rows": rows, "labels": labels, "labels_source": source},
            fix="build the classifier with num_labels=len(labels) and the same label order",
        )
    else:
        rep.add(
            "head.shape", sec, Status.PASS, f"{rows} outputs = {len(labels)} labels ({source})",
            evidence={"head_rows": rows, "labels_source": source},
        )
    w = head.load()
    if not bool(torch.isfinite(w).all()):
        rep.add("head.trained", sec, Status.FAIL, "head weights hold NaN/inf",
                fix="training diverged: lower the lr, enable gradient clipping")
        return
    std, mean = float(w.std()), float(w.mean())
    evidence: dict[str, Any] = {"std": std, "mean": mean, "abs_max": float(w.abs().max()),
                                "row_norms": [float(x) for x in w.norm(dim=1)]}
    if float(w.abs().max()) <= ZERO_NORM_ATOL:
        rep.add("head.trained", sec, Status.FAIL, "head weights are all zero",
                evidence=evidence, fix="the head was never trained or saved after zero-init")
        return
    if inv.relx_meta is not None:
        # relx heads are torch nn.Linear: U(-b, b) with b = 1/sqrt(fan_in). A fresh head has no
        # weight outside that bound; any training step pushes the weights near it beyond.
        bound = 1.0 / math.sqrt(w.shape[1])
        beyond = float((w.abs() > bound * (1 + 1e-6)).float().mean())
        evidence.update({"init": "uniform", "init_bound": bound, "share_beyond_init_bound": beyond})
        if beyond == 0.0:
            rep.add("head.trained", sec, Status.WARN,
                    f"every head weight lies inside the init bound ±{bound:.4g} (std {std:.4g}): "
                    "indistinguishable from a fresh nn.Linear init",
                    evidence=evidence, fix="the head did not train: check that it is trainable and saved")
        else:
            rep.add("head.trained", sec, Status.PASS,
                    f"{beyond:.1%} of head weights beyond the init bound ±{bound:.4g}: moved from init",
                    evidence=evidence)
        return
    init_std = float((ctx.base_config or {}).get("initializer_range") or DEFAULT_INIT_STD)
    evidence.update({"init": "normal", "init_std": init_std})
    if abs(std - init_std) / init_std < HEAD_INIT_STD_RTOL and abs(mean) < init_std / 10:
        rep.add(
            "head.trained", sec, Status.PASS if full_model else Status.WARN,
            f"head weight std {std:.4g} is within {HEAD_INIT_STD_RTOL:.0%} of the init std "
            f"{init_std:g} (mean {mean:.2g}): indistinguishable from a fresh init by its statistics",
            evidence=evidence,
            fix="if it was trained only briefly this is expected; otherwise check that the head "
            "was trainable and is the one saved",
        )
    else:
        rep.add(
            "head.trained", sec, Status.PASS,
            f"head weight std {std:.4g} vs init std {init_std:g} (mean {mean:.2g}): moved from init",
            evidence=evidence,
        )


# --- tokenizer vs model ----------------------------------------------------------------------


def _check_tokenizer(inv: Inventory, ctx: CheckpointContext, rep: DoctorReport) -> None:
    sec = "tokenizer"
    tok = ctx.tokenizer
    if tok is None:
        rep.add("tokenizer.vocab", sec, Status.SKIP, "no loadable tokenizer in the checkpoint",
                evidence={"notes": ctx.notes})
        return
    cfg = ctx.base_config
    n_tok = len(tok)
    base_rows = None
    if cfg is not None:
        text_cfg = cfg.get("text_config") if isinstance(cfg.get("text_config"), dict) else cfg
        base_rows = text_cfg.get("vocab_size")
    saved = [t for t in inv.embedding_tensors() if len(t.shape) == 2 and "delta" not in t.key]
    trainable_idx = (inv.adapter_config or {}).get("trainable_token_indices")
    token_deltas = [t for t in inv.embedding_tensors() if "trainable_tokens" in t.key]
    saved_rows = max((t.shape[0] for t in saved), default=None)
    rows = saved_rows or base_rows
    # Models resized on load: relx records the resized size; peft trainable tokens name new ids.
    meta_vocab = (inv.relx_meta or {}).get("vocab_size")
    if isinstance(meta_vocab, int) and rows is not None:
        rows = max(rows, meta_vocab)
    if isinstance(trainable_idx, list) and trainable_idx and rows is not None:
        rows = max(rows, max(int(i) for i in trainable_idx) + 1)
    if rows is None:
        rep.add("tokenizer.vocab", sec, Status.SKIP,
                f"tokenizer has {n_tok} tokens; embedding size unknown ({'; '.join(ctx.notes) or 'no config'})",
                evidence={"tokenizer_len": n_tok})
    elif n_tok > rows:
        rep.add(
            "tokenizer.vocab", sec, Status.FAIL,
            f"tokenizer has {n_tok} tokens but the embedding has {rows} rows: ids >= {rows} "
            "index out of range (or silently alias on some kernels)",
            evidence={"tokenizer_len": n_tok, "embedding_rows": rows},
            fix="model.resize_token_embeddings(len(tokenizer)) after adding tokens, and save the embeddings",
        )
    else:
        rep.add(
            "tokenizer.vocab", sec, Status.PASS,
            f"tokenizer {n_tok} tokens <= {rows} embedding rows"
            + (" (saved)" if saved_rows else " (base config)"),
            evidence={"tokenizer_len": n_tok, "embedding_rows": rows},
        )
    # Tokens added beyond the base vocabulary need their trained embeddings saved.
    if base_rows is not None:
        added = {i: str(t) for i, t in tok.added_tokens_decoder.items() if i >= base_rows}
        if not added:
            rep.add("tokenizer.added_tokens", sec, Status.PASS,
                    f"no tokens beyond the base vocabulary ({base_rows})",
                    evidence={"base_vocab": base_rows})
        else:
            covered = (saved_rows is not None and saved_rows > max(added)) or bool(token_deltas) or bool(
                trainable_idx)
            names = list(added.values())
            if covered:
                rep.add("tokenizer.added_tokens", sec, Status.PASS,
                        f"{len(added)} added tokens ({', '.join(names[:6])}) with embeddings saved",
                        evidence={"added": added})
            else:
                rep.add(
                    "tokenizer.added_tokens", sec, Status.FAIL,
                    f"{len(added)} tokens added beyond the base vocabulary ({base_rows}) "
                    f"({', '.join(names[:6])}) but no embeddings saved: on load they get "
                    "random (or no) vectors",
                    evidence={"added": added, "base_vocab": base_rows},
                    fix='save the resized embeddings (LoraConfig(modules_to_save=["score", '
                    '"embed_tokens"]) or trainable_token_indices), or use marker strings that '
                    "the base vocabulary already has (entity_marker_punct)",
                )
    else:
        rep.add("tokenizer.added_tokens", sec, Status.SKIP,
                "base vocabulary size unknown: cannot tell which tokens were added",
                evidence={"notes": ctx.notes}, fix="pass --base-model DIR")
    # Pad id: tokenizer vs model config.
    tok_pad = tok.pad_token_id
    model_pad = None if cfg is None else cfg.get("pad_token_id")
    model_type = (cfg or {}).get("model_type", "")
    is_decoder = model_type in DECODER_MODEL_TYPES or (inv.relx_meta or {}).get("kind") == "decoder"
    eos = tok.eos_token_id
    evidence = {"tokenizer_pad_id": tok_pad, "config_pad_id": model_pad, "eos_id": eos,
                "padding_side": tok.padding_side, "model_type": model_type}
    if tok_pad is None:
        rep.add(
            "tokenizer.pad", sec, Status.FAIL if is_decoder else Status.WARN,
            "tokenizer has no pad token: batches cannot be padded (transformers refuses "
            "batch size > 1 for sequence classification)",
            evidence=evidence,
            fix="set tokenizer.pad_token and model.config.pad_token_id to the same id (relx does)",
        )
    elif cfg is None:
        rep.add("tokenizer.pad", sec, Status.SKIP, f"tokenizer pad id {tok_pad}; model config unknown",
                evidence=evidence, fix="pass --base-model DIR")
    elif model_pad is None or model_pad != tok_pad:
        status = Status.FAIL if (is_decoder or inv.relx_meta is None) else Status.WARN
        rep.add(
            "tokenizer.pad", sec, status,
            f"pad_token_id differs: tokenizer {tok_pad} vs model config {model_pad}: "
            "transformers finds the pooled token by the config's pad id, so padded inputs "
            "are read at the wrong position",
            evidence=evidence,
            fix="model.config.pad_token_id = tokenizer.pad_token_id before training and saving",
        )
    else:
        rep.add("tokenizer.pad", sec, Status.PASS, f"pad id {tok_pad} in tokenizer and model config",
                evidence=evidence)
    if is_decoder:
        note = ""
        status = Status.PASS
        if tok_pad is not None and tok_pad == eos:
            if inv.relx_meta is None:
                note = ("; pad = eos: transformers pools the last non-pad token by id, so an eos "
                        "ending an input is treated as padding")
                status = Status.WARN
            else:
                note = "; pad = eos is safe here: relx pools the last attended token (attention mask)"
        rep.add(
            "tokenizer.padding_side", sec, status,
            f"padding_side={tok.padding_side} for decoder {model_type}{note}",
            evidence=evidence,
            fix="pool by the attention mask (relx does) or use a dedicated pad token"
            if status is Status.WARN else "",
        )
    else:
        rep.add("tokenizer.padding_side", sec, Status.INFO,
                f"padding_side={tok.padding_side} (encoder: the head reads the first token)",
                evidence=evidence)


def check_checkpoint(
    inv: Inventory, ctx: CheckpointContext, rep: DoctorReport, *, allow_pickle: bool = False
) -> None:
    """Run every static checkpoint check and append them to ``rep``."""
    _check_files(inv, ctx, rep, allow_pickle)
    if inv.kind == "unknown":
        return
    _check_adapter(inv, ctx, rep)
    _check_head(inv, ctx, rep)
    _check_tokenizer(inv, ctx, rep)
