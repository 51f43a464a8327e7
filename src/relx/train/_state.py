"""The loop state: where training stands, all of it JSON, saved in ``checkpoints/last``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["LoopState"]


@dataclass
class LoopState:
    """Position and best-so-far of a training run (``trainer_state.json`` holds it)."""

    global_step: int = 0
    epoch: int = 0
    #: Batches of ``epoch``'s plan already consumed (the plan is recomputed from the seed).
    batch_in_epoch: int = 0
    best_value: float | None = None
    best_step: int | None = None
    best_epoch: float | None = None
    best_metrics: dict[str, Any] | None = None
    evals_without_improvement: int = 0
    stopped_early: bool = False
    examples_seen: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> LoopState:
        """The state saved by :meth:`to_json` (other keys of the file are ignored)."""
        return cls(**{f.name: obj[f.name] for f in fields(cls) if f.name in obj})
