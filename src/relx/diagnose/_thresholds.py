"""Named thresholds of every diagnosis, each with the reason for its value.

Changing one changes what ``relx doctor`` calls a failure; keep the reason next to it.
"""

from __future__ import annotations

__all__ = [
    "LR_RANGE_BY_METHOD",
    "MAX_EFFECTIVE_BATCH",
    "MIN_UPDATES_PER_EPOCH",
    "ZERO_NORM_ATOL",
    "PARTLY_ZERO_B_SHARE",
    "HEAD_INIT_STD_RTOL",
    "DEFAULT_INIT_STD",
    "PADDING_LOGIT_ATOL",
    "TRUNCATION_WARN_SHARE",
    "TRUNCATION_FAIL_SHARE",
    "COLLAPSE_NOT_EXCESS",
    "MIN_SUPPORT_FOR_NEVER_PREDICTED",
    "LOSS_FLAT_REL_CHANGE",
    "LOSS_STILL_FALLING_REL_DROP",
    "BASE_AGREEMENT_WARN",
    "DOCTOR_SAMPLE_SIZE",
    "DIFF_DISAGREEMENT_SAMPLE",
    "RELOAD_F1_ATOL",
    "RESCORE_F1_ATOL",
    "WARMUP_MAX_SHARE",
    "LOSS_WINDOW_SHARE",
    "LOSS_WINDOW_MIN",
    "VAL_LEARNED_F1",
    "VAL_LEARNED_GAIN",
    "UNDERPERFORM_F1",
    "MIN_TOTAL_UPDATES",
    "PADDING_LOGIT_ATOL_BY_DTYPE",
    "RELOAD_F1_ATOL_BY_DTYPE",
    "dtype_tolerance",
    "COLLAPSE_FAIL_POSITIVE_RATIO",
    "COLLAPSE_FAIL_MIN_GOLD_POSITIVES",
]

#: Usual learning-rate range per fine-tuning method (inclusive). Full fine-tuning of BERT-style
#: encoders uses 1e-5..5e-5 (Devlin et al. 2019, appendix A.3); LoRA needs roughly 10x more
#: because the low-rank update starts at zero and is scaled by alpha/r (Hu et al. 2021 used
#: 2e-4..5e-4; PEFT and QLoRA recipes use 1e-4..3e-4). The origin run's (docs/origin.md) run trained LoRA
#: at 3e-5 and lost 0.2 F1.
LR_RANGE_BY_METHOD: dict[str, tuple[float, float]] = {
    "full": (1e-5, 1e-4),
    "lora": (1e-4, 1e-3),
    "qlora": (1e-4, 1e-3),
}

#: Above this effective batch (per-device batch x accumulation x processes) a LoRA classifier
#: on a few thousand pairs gets too few updates per epoch; the training issue warns at the same
#: value, and the origin run's 16 x 4 x N GPUs (128-256) is the case it catches.
MAX_EFFECTIVE_BATCH = 64

#: Fewer optimizer updates than this per epoch means the schedule barely moves the weights
#: (a warmup of 100 steps alone would not finish in one epoch).
MIN_UPDATES_PER_EPOCH = 100

#: A tensor whose norm is below this is treated as exactly zero (float32 round-off of a
#: zero-initialised LoRA B is 0.0 exactly; a trained one is orders of magnitude larger).
ZERO_NORM_ATOL = 1e-8

#: If more than this share of LoRA B matrices is zero (but not all), some layers never got a
#: gradient (frozen by mistake, or target modules that the forward pass does not use).
PARTLY_ZERO_B_SHARE = 0.25

#: A head whose weight std is within this relative distance of the initialiser's std and whose
#: mean is ~0 looks like a fresh init. Loose on purpose: a few hundred Adam steps at 2e-4 move
#: the std of a 0.02-init head by a few percent only, so this can only warn, never fail.
HEAD_INIT_STD_RTOL = 0.02

#: ``initializer_range`` of Llama/BERT configs when the config does not say (transformers default).
DEFAULT_INIT_STD = 0.02

#: Logits of an input alone vs inside a padded batch may differ by float round-off only.
PADDING_LOGIT_ATOL = 1e-3

#: Share of truncated inputs that deserves a warning: the training issue warns at 5%.
TRUNCATION_WARN_SHARE = 0.05

#: Share of inputs whose markers or prompt tail are cut that fails: such inputs cannot be
#: classified at all (the origin's 256-token limit cut the Subject/Object tail of many prompts).
TRUNCATION_FAIL_SHARE = 0.05

#: Predicted ``NOT`` share above gold ``NOT`` share by this much (absolute) is a class collapse
#: towards ``NOT`` (the origin run: accuracy 0.884 with recall-starved F1 0.456).
COLLAPSE_NOT_EXCESS = 0.05

#: A positive class with at least this gold support that is never predicted is a failure to
#: learn it; rarer classes (Conversion has 3 BioRED examples) are only a warning.
MIN_SUPPORT_FOR_NEVER_PREDICTED = 20

#: Relative change of the mean training loss over the last quarter of logged steps below this
#: means the curve is flat (nothing more to gain, or never started: see the first value).
LOSS_FLAT_REL_CHANGE = 0.02

#: A relative drop above this over the last quarter of steps: still falling, train longer.
LOSS_STILL_FALLING_REL_DROP = 0.10

#: Base and fine-tuned models agreeing on more than this share of predictions means the
#: adapter changed almost nothing (the origin's investigate_checkpoint.py step 4).
BASE_AGREEMENT_WARN = 0.95

#: How many examples the model-based checks (pooling, collapse, agreement) run on: enough to
#: see a collapse, few enough for a CPU in seconds.
DOCTOR_SAMPLE_SIZE = 64

#: How many disagreeing pairs ``relx diff`` shows.
DIFF_DISAGREEMENT_SAMPLE = 10

#: The best checkpoint, reloaded after training, must reproduce the validation F1 it was
#: selected with; more than float noise means the reload went wrong (the origin's manual
#: reload under DDP was suspected of exactly this).
RELOAD_F1_ATOL = 1e-3

#: A reported F1 further than this from our rescoring of the same predictions was computed
#: under another definition (e.g. the inflated "excluding NOT" variant).
RESCORE_F1_ATOL = 5e-3

#: Warmup longer than this share of all optimizer updates keeps the lr below its peak for
#: much of training (the origin's 100 warmup steps at an effective batch of 256 were a large
#: part of its few hundred updates). Usual recipes warm up for 0-10%.
WARMUP_MAX_SHARE = 0.25

#: Training-loss trends are judged on medians of windows of this share of the logged steps
#: (at least ``LOSS_WINDOW_MIN`` steps): with balanced class weights a single step whose batch
#: holds a rare class spikes to 10-70x the typical loss (measured on the quickstart preset),
#: so the first step or a last-quarter mean says nothing about the trend.
LOSS_WINDOW_SHARE = 0.2
LOSS_WINDOW_MIN = 3

#: A validation F1 at or above this shows the model learned something whatever the training
#: loss did: predicting one positive class everywhere scores ~0.1-0.25 F1 at BioRED's ~14%
#: positive pairs, so 0.3 is above any degenerate predictor.
VAL_LEARNED_F1 = 0.3

#: ... or a validation F1 that rose by this much between the first and the best evaluation.
VAL_LEARNED_GAIN = 0.1

#: Below this best validation F1 a run "underperforms": a hyperparameter outside its usual
#: range is then named as the likely cause (BioRED pair F1 of reasonable models is 0.5-0.8).
UNDERPERFORM_F1 = 0.5

#: Fewer optimizer updates than this over the whole run barely moves a fresh head (the origin's
#: 16 x 4 accum x 4 GPUs made 20 updates); the quickstart preset makes ~90 and learns.
MIN_TOTAL_UPDATES = 50

#: Tolerances that follow the compute dtype: bf16 keeps 8 mantissa bits (relative error
#: ~4e-3 per op), so logits of a healthy bf16 model move by ~0.01-0.05 between padded and
#: unpadded batches (measured 0.04 on an H200 LoRA run), and a reloaded checkpoint can flip
#: a few borderline pairs. float32 differences are round-off only.
PADDING_LOGIT_ATOL_BY_DTYPE: dict[str, float] = {"float32": 1e-3, "float16": 2e-2, "bfloat16": 1e-1}
RELOAD_F1_ATOL_BY_DTYPE: dict[str, float] = {"float32": 1e-3, "float16": 1e-2, "bfloat16": 2e-2}


def dtype_tolerance(table: dict[str, float], dtype: str | None) -> float:
    """The tolerance of ``table`` for a dtype name (``bf16``, ``torch.bfloat16``, ``float32``...)."""
    name = str(dtype or "float32").lower().replace("torch.", "")
    name = {"bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32",
            "no": "float32"}.get(name, name)
    return table.get(name, table["float32"])

#: Predicting relations for fewer than this share of the gold relation rate is a collapse
#: towards NOT (a defect: fail); a smaller NOT excess (above ``COLLAPSE_NOT_EXCESS``) is a
#: warning, e.g. an under-trained quickstart fold at 2 epochs predicted 6.7% positives vs 13.8%
#: gold (F1 0.65), while the origin's collapsed run predicted a quarter of its relations.
COLLAPSE_FAIL_POSITIVE_RATIO = 1 / 3

#: ... judged only on at least this many gold relations; on fewer the rate is noise, and a
#: low one is a warning. The case study's SmolLM2 run (docs/case-study.md) predicted 39% of
#: the gold relation rate on its 8,661 validation pairs, but 23% (3 of 13) on the doctor's
#: 64-pair sample.
COLLAPSE_FAIL_MIN_GOLD_POSITIVES = 30
