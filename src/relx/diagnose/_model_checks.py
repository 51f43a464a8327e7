"""Checks that need the model built: pooling under padding, predictions, base agreement,
plus the data checks that need only the tokenizer (truncation).

Models are built offline only (``local_files_only``); when the base model is not available
the checks are skipped with the reason, never downloaded.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from relx.diagnose._checkpoint import DECODER_MODEL_TYPES, CheckpointContext
from relx.diagnose._inventory import Inventory
from relx.diagnose._report import DoctorReport, Status
from relx.diagnose._thresholds import (
    BASE_AGREEMENT_WARN,
    DOCTOR_SAMPLE_SIZE,
    PADDING_LOGIT_ATOL_BY_DTYPE,
    dtype_tolerance,
    TRUNCATION_FAIL_SHARE,
    TRUNCATION_WARN_SHARE,
)
from relx.diagnose._truncation import measure_truncation, render_plain

__all__ = ["check_with_model", "build_plain_model"]

#: Sample inputs for the pooling check when no data is given: different lengths on purpose,
#: so that a padded batch really pads.
_SAMPLE_TEXTS = (
    "BRCA1 binds MDM2 in breast cancer cells.",
    "Aspirin reduced the risk of colorectal cancer in a large cohort of patients followed for ten years.",
    "TP53 mutations were associated with poor survival.",
    "Metformin",
)


def build_plain_model(inv: Inventory, ctx: CheckpointContext) -> tuple[Any, str]:
    """Build a plain transformers (+ PEFT) sequence classifier offline.

    Returns:
        ``(model, how)`` or ``(None, reason)`` when it cannot be built.
    """
    from transformers import AutoModelForSequenceClassification

    head = inv.head_weight()
    kwargs: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
    if head is not None:
        kwargs["num_labels"] = head.shape[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if inv.kind == "hf_checkpoint":
                return AutoModelForSequenceClassification.from_pretrained(str(inv.path), **kwargs).eval(), "hf"
            if inv.kind != "peft_checkpoint" or not ctx.base_model or ctx.base_config is None:
                return None, "; ".join(ctx.notes) or "no local base model"
            if ctx.gguf_file:
                kwargs["gguf_file"] = ctx.gguf_file
            base = AutoModelForSequenceClassification.from_pretrained(str(ctx.base_model), **kwargs)
            if ctx.tokenizer is not None and len(ctx.tokenizer) > base.get_input_embeddings().weight.shape[0]:
                base.resize_token_embeddings(len(ctx.tokenizer))
            from peft import PeftModel

            return PeftModel.from_pretrained(base, str(inv.path)).eval(), "peft"
    except Exception as error:  # noqa: BLE001 - reported as a skipped check
        return None, f"{type(error).__name__}: {str(error)[:200]}"


def _sample_texts(data: Path | None, ctx: CheckpointContext, n: int, prompt: bool) -> tuple[list[str], list[Any]]:
    if data is None:
        return list(_SAMPLE_TEXTS), []
    from relx.data import PairExample
    import json

    entries = json.loads(data.read_text(encoding="utf-8"))
    examples = [PairExample.from_json(e) for e in entries]
    step = max(1, len(examples) // n)
    sample = examples[::step][:n]
    return [render_plain(ex, prompt=prompt)[0] for ex in sample], examples


def _check_pooling(model: Any, tok: Any, texts: list[str], ctx: CheckpointContext, rep: DoctorReport,
                   model_type: str) -> list[torch.Tensor]:
    """Logits alone vs in right- and left-padded batches; which token the head reads."""
    sec = "pooling"
    texts = texts[:8]
    alone = []
    with torch.no_grad():
        for t in texts:
            enc = tok(t, return_tensors="pt", truncation=True, max_length=512)
            alone.append(model(**enc).logits[0].float())
        worst = {"right": 0.0, "left": 0.0}
        reads: dict[str, Any] = {}
        original_side = tok.padding_side
        try:
            for side in ("right", "left"):
                tok.padding_side = side
                enc = tok(texts, return_tensors="pt", padding=True, truncation=True, max_length=512)
                batch = model(**enc).logits.float()
                worst[side] = max(float((batch[i] - alone[i]).abs().max()) for i in range(len(texts)))
                if model_type in DECODER_MODEL_TYPES:
                    pad = (ctx.base_config or {}).get("pad_token_id")
                    ids = enc["input_ids"]
                    if pad is None:
                        pos = [ids.shape[1] - 1] * len(texts)
                    else:
                        mask = (ids != pad).int() * torch.arange(ids.shape[1])
                        pos = mask.argmax(-1).tolist()
                    last_real = [int(m.nonzero().max()) for m in enc["attention_mask"]]
                    wrong = sum(1 for p, q in zip(pos, last_real) if p != q)
                    reads[side] = {
                        "pooled_positions": pos, "last_real_positions": last_real, "wrong": wrong,
                        "pooled_tokens": [tok.convert_ids_to_tokens(int(ids[i, p])) for i, p in enumerate(pos)],
                    }
        finally:
            tok.padding_side = original_side
    dtype = _compute_dtype(model)
    atol = dtype_tolerance(PADDING_LOGIT_ATOL_BY_DTYPE, dtype)
    ev = {"max_abs_logit_diff": worst, "reads": reads, "n": len(texts), "dtype": dtype, "tolerance": atol}
    bad = [s for s, d in worst.items() if d > atol]
    if bad:
        detail = ""
        for side in bad:
            if side in reads and reads[side]["wrong"]:
                detail += (f"; {side} padding: head reads token {reads[side]['pooled_tokens'][0]!r}, not the "
                           f"last real token, for {reads[side]['wrong']}/{len(texts)} inputs")
        rep.add(
            "pooling.padding", sec, Status.FAIL,
            f"padding changes the logits: max |diff| right {worst['right']:.3g}, left {worst['left']:.3g}{detail}",
            evidence=ev,
            fix="pool the last attended token from the attention mask (relx does), or set "
            "model.config.pad_token_id = tokenizer.pad_token_id and pad on the side the model expects",
        )
    else:
        where = "last real token" if model_type in DECODER_MODEL_TYPES else "first token"
        rep.add("pooling.padding", sec, Status.PASS,
                f"logits {_agreement(max(worst.values()), atol, dtype)} alone and padded; head reads the {where}",
                evidence=ev)
    return alone


def check_with_model(
    inv: Inventory,
    ctx: CheckpointContext,
    rep: DoctorReport,
    *,
    run: Any = None,
    data: Path | None = None,
    sample_size: int | None = None,
) -> None:
    """Pooling, truncation, prediction distribution and base agreement checks."""
    n = sample_size or DOCTOR_SAMPLE_SIZE
    tok = ctx.tokenizer
    model_type = str((ctx.base_config or {}).get("model_type", ""))
    prompt = bool(run.uses_prompt) if run is not None else False
    max_length = run.get("max_length") if run is not None else None
    if max_length is None and inv.relx_meta:
        max_length = inv.relx_meta.get("max_length_tokens") or (inv.relx_meta.get("represent") or {}).get(
            "max_length_tokens") if isinstance(inv.relx_meta.get("represent", {}), dict) else None
    texts, examples = (list(_SAMPLE_TEXTS), [])
    if data is not None:
        texts, examples = _sample_texts(data, ctx, n, prompt)
    # Truncation needs only the tokenizer.
    if data is not None:
        if tok is None:
            rep.add("data.truncation", "data", Status.SKIP, "no tokenizer to measure truncation with")
        elif not max_length:
            rep.add("data.truncation", "data", Status.SKIP,
                    "max length unknown: pass --config with represent.max_length_tokens")
        else:
            style = (run.get("style") if run is not None else None) or (
                (inv.relx_meta or {}).get("representation") or {}).get("style")
            stats = measure_truncation(examples, tok, max_length=int(max_length), prompt=prompt,
                                       style=style if inv.relx_meta is not None else None)
            msg = (f"{stats.truncated}/{stats.n} inputs ({stats.share:.1%}) exceed {stats.max_length} tokens; "
                   f"prompt tail cut in {stats.tail_cut}, a marked mention cut in {stats.mention_cut}")
            if stats.cut_share > TRUNCATION_FAIL_SHARE:
                rep.add("data.truncation", "data", Status.FAIL, msg, evidence=stats.to_json(),
                        fix="raise max length, or truncate context around the entities (relx's entity-aware truncation)")
            elif stats.share > TRUNCATION_WARN_SHARE:
                rep.add("data.truncation", "data", Status.WARN, msg, evidence=stats.to_json(),
                        fix="raise max length if memory allows")
            else:
                rep.add("data.truncation", "data", Status.PASS, msg, evidence=stats.to_json())
    if inv.relx_meta is not None:
        _check_relx_model(inv, ctx, rep, texts=texts, examples=examples, run=run, n=n)
        return
    if tok is None:
        rep.add("pooling.padding", "pooling", Status.SKIP, "no tokenizer: model checks skipped")
        return
    model, how = build_plain_model(inv, ctx)
    if model is None:
        rep.add("pooling.padding", "pooling", Status.SKIP, f"model not buildable offline: {how}",
                fix="pass --base-model DIR (a local copy of the base model)")
        return
    if tok.pad_token_id is None:
        rep.add("pooling.padding", "pooling", Status.SKIP, "tokenizer has no pad token: batches impossible")
        return
    _check_pooling(model, tok, texts, ctx, rep, model_type)
    if data is not None and examples:
        _check_plain_predictions(model, tok, examples, ctx, rep, n=n, prompt=prompt,
                                 max_length=int(max_length or 512))
        if how == "peft":
            _check_base_agreement(model, tok, texts, rep)


def _check_plain_predictions(model: Any, tok: Any, examples: list[Any], ctx: CheckpointContext,
                             rep: DoctorReport, *, n: int, prompt: bool, max_length: int) -> None:
    """Predicted vs gold labels of a plain HF/PEFT classifier on a sample of --data."""
    from relx.diagnose._run import check_prediction_distribution
    from relx.labels import ALL_LABELS

    head = model.config.num_labels if hasattr(model, "config") else None
    labels = ctx.labels or (list(ALL_LABELS) if head in (None, len(ALL_LABELS)) else None)
    if labels is None:
        rep.add("data.class_collapse", "data", Status.SKIP,
                f"label order unknown for a {head}-output head: pass --config with data.labels")
        return
    step = max(1, len(examples) // n)
    sample = examples[::step][:n]
    records = []
    side0 = tok.padding_side
    tok.padding_side = "right"
    try:
        with torch.no_grad():
            for i in range(0, len(sample), 8):
                chunk = sample[i:i + 8]
                enc = tok([render_plain(ex, prompt=prompt)[0] for ex in chunk], return_tensors="pt",
                          padding=True, truncation=True, max_length=max_length)
                for ex, row in zip(chunk, model(**enc).logits):
                    records.append({"gold": ex.label, "pred": labels[int(row.argmax())]})
    finally:
        tok.padding_side = side0
    check_prediction_distribution(records, rep, source=f"{len(sample)} sampled --data pairs "
                                  "(rendered with @/# markers)")


def _check_base_agreement(model: Any, tok: Any, texts: list[str], rep: DoctorReport) -> None:
    """Share of inputs where base (adapter disabled) and fine-tuned predictions agree."""
    with torch.no_grad():
        enc = [tok(t, return_tensors="pt", truncation=True, max_length=512) for t in texts]
        tuned = [model(**e).logits[0] for e in enc]
        with model.disable_adapter():
            base = [model(**e).logits[0] for e in enc]
    _report_agreement(tuned, base, rep, what="base (adapter off)")


def _report_agreement(tuned: list[torch.Tensor], base: list[torch.Tensor], rep: DoctorReport, *, what: str) -> None:
    n = len(tuned)
    agree = sum(int(a.argmax() == b.argmax()) for a, b in zip(tuned, base)) / n
    diff = max(float((a - b).abs().max()) for a, b in zip(tuned, base))
    ev = {"agreement": agree, "max_abs_logit_diff": diff, "n": n, "compared_with": what}
    if agree > BASE_AGREEMENT_WARN and diff < 1e-4:
        rep.add("model.base_agreement", "model", Status.FAIL,
                f"fine-tuned and {what} agree on {agree:.0%} of {n} inputs with max |logit diff| {diff:.2g}: "
                "the adapter changes nothing", evidence=ev, fix="the adapter never trained; see adapter.lora_b")
    elif agree > BASE_AGREEMENT_WARN:
        rep.add("model.base_agreement", "model", Status.WARN,
                f"fine-tuned and {what} agree on {agree:.0%} of {n} inputs (max |logit diff| {diff:.2g})",
                evidence=ev, fix="the adapter barely changed predictions: lr too low or too few updates")
    else:
        rep.add("model.base_agreement", "model", Status.PASS,
                f"fine-tuned and {what} agree on {agree:.0%} of {n} inputs (max |logit diff| {diff:.2g})",
                evidence=ev)


def _agreement(diff: float, atol: float, dtype: str) -> str:
    """How two logit sets agree, in words: bf16 logits of differently padded batches differ
    by rounding (other kernels for other shapes), which is not "identical"."""
    if diff == 0:
        return "identical"
    return f"agree within the {dtype} tolerance (max |diff| {diff:.2g} <= {atol:g})"


def _compute_dtype(model: Any) -> str:
    """The dtype the backbone computes in (its first floating-point parameter)."""
    for p in model.parameters():
        if p.is_floating_point():
            return str(p.dtype).replace("torch.", "")
    return "float32"


def _relx_representation(inv: Inventory, run: Any) -> dict[str, Any]:
    """The representation a relx model was trained with: its own record, then the run config."""
    rep_cfg = dict((inv.relx_meta or {}).get("representation") or {})
    if run is not None:
        for key, name in (("style", "style"), ("prompt", "prompt"), ("max_length_tokens", "max_length")):
            value = run.get(name)
            if value is not None and key not in rep_cfg:
                rep_cfg[key] = value
    return rep_cfg


def _check_relx_model(inv: Inventory, ctx: CheckpointContext, rep: DoctorReport, *, texts: list[str],
                      examples: list[Any], run: Any, n: int) -> None:
    """Pooling, predictions and base agreement of a relx checkpoint, via relx.models' loader."""
    if inv.head_weight() is None:
        rep.add("pooling.padding", "pooling", Status.SKIP, "no head: the model cannot be rebuilt")
        return
    try:
        from relx.models import load_classifier

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, tok, info = load_classifier(inv.path)
    except Exception as error:  # noqa: BLE001 - reported as a failed/skipped check
        from relx.errors import RelxError

        status = Status.FAIL if isinstance(error, RelxError) else Status.SKIP
        rep.add("model.load", "model", status, f"load_classifier failed: {str(error)[:200]}",
                fix="pass --base-model DIR if the base model moved; else re-save the checkpoint")
        return
    rep.add("model.load", "model", Status.PASS,
            f"rebuilt with relx.models.load_classifier: {info.kind} {info.model_type}, head {info.head}, "
            f"method {info.method}")
    texts = texts[:8]
    if info.head == "entity_start":
        rep.add("pooling.padding", "pooling", Status.SKIP, "entity_start head: needs marker positions; "
                "covered by relx.models' own padding tests")
    else:
        _check_relx_pooling(model, tok, info, texts, rep)
    if examples:
        from relx.diagnose._run import check_prediction_distribution
        from relx.evaluate import predict_examples

        step = max(1, len(examples) // n)
        sample = examples[::step][:n]
        preds = predict_examples(model, tok, sample, representation=_relx_representation(inv, run) or None,
                                 device="cpu")
        check_prediction_distribution([p.to_json() for p in preds], rep,
                                      source=f"{len(sample)} sampled --data pairs")
    if info.method != "full" and hasattr(model, "backbone") and hasattr(model.backbone, "disable_adapter"):
        if info.head == "entity_start":
            # The head reads marker positions that plain sample texts do not have; the
            # adapter's own weights are judged by adapter.lora_b (all-zero B = never trained).
            rep.add("model.base_agreement", "model", Status.SKIP,
                    "entity_start head: base agreement needs marked pairs (pass --data SPLIT)")
        else:
            _check_relx_base_agreement(model, tok, texts, rep)


def _check_relx_pooling(model: Any, tok: Any, info: Any, texts: list[str], rep: DoctorReport) -> None:
    """relx pools by the attention mask: logits must not depend on padding side or amount."""
    with torch.no_grad():
        alone = []
        for t in texts:
            enc = tok(t, return_tensors="pt", truncation=True, max_length=512)
            alone.append(model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})[0])
        worst: dict[str, float] = {}
        reads: dict[str, list[str]] = {}
        side0 = tok.padding_side
        try:
            for side in ("right", "left"):
                tok.padding_side = side
                enc = tok(texts, return_tensors="pt", padding=True, truncation=True, max_length=512)
                out = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
                worst[side] = max(float((out[i] - alone[i]).abs().max()) for i in range(len(texts)))
                mask = enc["attention_mask"]
                pos = [int(m.nonzero().max() if info.kind == "decoder" else m.nonzero().min()) for m in mask]
                reads[side] = [tok.convert_ids_to_tokens(int(enc["input_ids"][i, p])) for i, p in enumerate(pos)]
        finally:
            tok.padding_side = side0
    dtype = _compute_dtype(model)
    atol = dtype_tolerance(PADDING_LOGIT_ATOL_BY_DTYPE, dtype)
    ev = {"max_abs_logit_diff": worst, "pooled_tokens": reads, "pool": "attention mask", "dtype": dtype,
          "tolerance": atol}
    which = "last attended token" if info.kind == "decoder" else "first token"
    if max(worst.values()) > atol:
        rep.add("pooling.padding", "pooling", Status.FAIL,
                f"padding changes the logits (max |diff| right {worst['right']:.3g}, left {worst['left']:.3g})",
                evidence=ev, fix="report this as a relx.models bug, with this checkpoint")
    else:
        rep.add("pooling.padding", "pooling", Status.PASS,
                f"head reads the {which} ({reads['right'][0]!r} for input 1); logits "
                f"{_agreement(max(worst.values()), atol, dtype)} alone and padded left/right", evidence=ev)


def _check_relx_base_agreement(model: Any, tok: Any, texts: list[str], rep: DoctorReport) -> None:
    """relx LoRA: the same saved head on the backbone with and without the adapter."""
    with torch.no_grad():
        encs = [tok(t, return_tensors="pt", truncation=True, max_length=512) for t in texts]
        batches = [{"input_ids": e["input_ids"], "attention_mask": e["attention_mask"]} for e in encs]
        tuned = [model(b)[0] for b in batches]
        with model.backbone.disable_adapter():
            base = [model(b)[0] for b in batches]
    _report_agreement(tuned, base, rep, what="the trained head on the base backbone (adapter off)")
