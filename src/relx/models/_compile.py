"""``train.compile``: ``torch.compile`` of a classifier's backbone, for training and validation.

Why: on one H200 the ``biored/minilm`` step (32 examples) takes ~24 ms where its matrix
multiplies need a few, and bf16 autocast, which only adds cast kernels, made it 2.8x slower
(docs/benchmarks.md, "GPU speed, issue 10"): the step is bound by the host launching
thousands of small kernels through transformers' Python modules. ``torch.compile`` fuses the
elementwise work into few Triton kernels and runs the graph without the modules' Python;
``reduce-overhead`` also replays CUDA graphs (one per batch shape). Whether it pays is
measured, not assumed (``bench/profile_train.py``, docs/benchmarks.md); it stays off by
default until it does.

The backbone is compiled in place (``nn.Module.compile``), not wrapped: its state-dict keys,
``save_pretrained`` and peft's adapter files stay exactly those of the eager model, and the
one backbone object serves the training forwards and the validation forwards alike.
accelerate's own ``dynamo_backend`` is not used because it compiles the object ``prepare``
returns, which relx unwraps for validation and saving (relx/train/_loop.py), so those paths
would run eager.

Shapes: ``dynamic=None`` (torch's default): the first batch shape compiles static, the first
new shape recompiles with symbolic sizes, later shapes reuse it, so length-grouped or packed
batches cost about two compiles per mode (training, validation).
"""

from __future__ import annotations

from typing import Any, Literal

from relx.errors import ConfigError

__all__ = ["COMPILE_MODES", "CompileMode", "compile_backbone"]

CompileMode = Literal["no", "default", "reduce-overhead", "max-autotune-no-cudagraphs"]
#: ``no`` = eager; the others are ``torch.compile``'s own mode names.
COMPILE_MODES: tuple[str, ...] = ("no", "default", "reduce-overhead",
                                  "max-autotune-no-cudagraphs")


def compile_backbone(model: Any, mode: str) -> str | None:
    """Compile ``model.backbone`` in place with ``torch.compile`` ``mode``; return the run note.

    ``mode="no"`` leaves the model eager and returns None.

    Raises:
        ConfigError: ``[E207]`` an unknown mode.
    """
    if mode not in COMPILE_MODES:
        raise ConfigError(
            f"train.compile: expected one of {list(COMPILE_MODES)}; got {mode!r}", code="E207"
        )
    if mode == "no":
        return None
    import torch

    model.backbone.compile(mode=mode, dynamic=None)
    return (f"train.compile={mode} (torch {torch.__version__}: the backbone runs compiled;"
            " the first batches of training and of validation include compile time)")
