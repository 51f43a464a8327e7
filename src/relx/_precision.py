"""float32 matrix multiplies on CUDA: TF32 tensor cores or exact IEEE fp32 (``train.tf32``).

PyTorch's default is exact fp32 matmuls ("highest"), which on an H100/H200 run on the CUDA
cores at a small fraction of the tensor cores' rate. The biored/minilm preset trains in fp32
(bf16 autocast costs that 22M encoder more in cast kernels than it saves); with TF32 one
epoch of BioRED went from 21.6 s to 17.4 s on one H200, same F1 (docs/benchmarks.md,
"MiniLM: TF32 matmuls, and folds side by side"). TF32 keeps fp32's range with a 10-bit
mantissa in the multiply, the precision bf16 autocast already accepts with 7.

One function decides it for training (relx/train/_recipe.py, ``make_accelerator``) and for
inference on a saved run (relx/evaluate/_predict.py), so a checkpoint is scored with the
matmul precision it validated under. It is a process-wide torch setting; relx sets it, it
never changes a user's own setting when ``tf32`` is None (a run saved before the option).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["float32_matmul", "use_float32_matmul", "float32_matmul_scope"]


def float32_matmul(tf32: bool | None) -> str | None:
    """torch's float32 matmul precision name for ``train.tf32`` (None = leave as is)."""
    if tf32 is None:
        return None
    return "high" if tf32 else "highest"


def use_float32_matmul(tf32: bool | None) -> None:
    """Set the process's float32 matmul precision for ``train.tf32`` (CPU matmuls unchanged)."""
    import torch

    precision = float32_matmul(tf32)
    if precision is not None:
        torch.set_float32_matmul_precision(precision)


@contextlib.contextmanager
def float32_matmul_scope(tf32: bool | None) -> Iterator[None]:
    """``use_float32_matmul`` for a block, the previous setting restored after it."""
    import torch

    before = torch.get_float32_matmul_precision()
    use_float32_matmul(tf32)
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)
