"""What ran a run: package versions, git revision, devices (``environment.json``).

A result is only reproducible when its software is known (spaCy/torchtune save it with
every run); ``relx diff`` and ``relx doctor`` compare these fields between runs.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["collect_environment", "git_revision", "package_versions"]

#: Packages whose versions change numbers (training, tokenisation, metrics).
TRACKED_PACKAGES = (
    "relx",
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "safetensors",
    "tokenizers",
    "scikit-learn",
    "numpy",
    "pydantic",
    "bitsandbytes",
)


def package_versions() -> dict[str, str | None]:
    """Installed versions of :data:`TRACKED_PACKAGES` (``None`` when not installed)."""
    versions: dict[str, str | None] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_revision(path: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    """The git commit (and whether the tree is dirty) of the relx source, if it is a checkout.

    Returns ``None`` outside a git checkout or without git; never raises.
    """
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def _devices() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "cuda_available": torch.cuda.is_available(),
        "cuda_version": torch.version.cuda,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpus": [],
    }
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            info["gpus"].append(
                {
                    "index": i,
                    "name": props.name,
                    "memory_gib": round(props.total_memory / 2**30, 1),
                    "capability": f"{props.major}.{props.minor}",
                }
            )
    return info


def collect_environment(*, num_processes: int = 1, mixed_precision: str = "no") -> dict[str, Any]:
    """The content of ``environment.json``: versions, git revision, devices, launch."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "git": git_revision(),
        "devices": _devices(),
        "num_processes": num_processes,
        "mixed_precision": mixed_precision,
        "argv": sys.argv,
    }
