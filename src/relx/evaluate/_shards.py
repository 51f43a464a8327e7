"""Deterministic shards of a corpus: ``--shard K/N`` and one shard per launcher rank.

A document belongs to shard ``hash(doc_id) mod N`` with a stable hash (BLAKE2b of the id's
UTF-8 bytes, not Python's salted ``hash``), so the split depends only on the ids: not on
file order, on how the corpus is cut into files, or on the machine. Every rank reads all
inputs and keeps its own documents; parsing is cheap next to the model's forward passes.

Under ``torchrun`` / ``accelerate launch`` (``WORLD_SIZE`` > 1 in the environment) each rank
takes its own shard. Both compose: ``--shard K/N`` on each of N hosts (a SLURM array) with W
ranks per host gives shard ``K * W + RANK`` of ``N * W``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from relx.errors import ConfigError

__all__ = ["Shard", "parse_shard", "resolve_shard", "shard_of"]

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def shard_of(doc_id: str, n_shards: int) -> int:
    """The shard (``0 .. n_shards - 1``) a document id belongs to; stable everywhere."""
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n_shards


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based); ``Shard(0, 1)`` is the whole corpus."""

    index: int
    count: int

    def owns(self, doc_id: str) -> bool:
        """Whether this shard predicts the document with this id."""
        return self.count == 1 or shard_of(doc_id, self.count) == self.index

    @property
    def name(self) -> str:
        """Folder name of the shard's outputs, sortable: ``shard-00001-of-00004``."""
        return f"shard-{self.index:05d}-of-{self.count:05d}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(spec: str) -> Shard:
    """``"K/N"`` (0-based ``K`` < ``N``) -> :class:`Shard`.

    Raises:
        ConfigError: E510 for anything else, with an example.
    """
    match = _SPEC.match(spec)
    if not match:
        raise ConfigError(f"--shard {spec!r} is not K/N; expected e.g. --shard 0/4 (the first "
                          "of 4 shards; K counts from 0)", code="E510")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 0 <= index < count:
        raise ConfigError(f"--shard {spec}: expected 0 <= K < N (K counts from 0); e.g. the "
                          f"shards of N={max(count, 1)} are 0/{max(count, 1)} .. "
                          f"{max(count, 1) - 1}/{max(count, 1)}", code="E510")
    return Shard(index, count)


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name}={raw!r} is not an integer; expected "
                          "the launcher's value (torchrun/accelerate set it)",
                          code="E510") from None


def resolve_shard(spec: str | Shard | None, env: Mapping[str, str] | None = None) -> Shard:
    """This process's shard: ``--shard`` combined with the launcher's ``RANK``/``WORLD_SIZE``."""
    env = os.environ if env is None else env
    base = spec if isinstance(spec, Shard) else (parse_shard(spec) if spec else Shard(0, 1))
    world = _env_int(env, "WORLD_SIZE", 1)
    rank = _env_int(env, "RANK", 0)
    if world < 1 or not 0 <= rank < world:
        raise ConfigError(f"RANK={rank} WORLD_SIZE={world}: expected 0 <= RANK < WORLD_SIZE",
                          code="E510")
    return Shard(base.index * world + rank, base.count * world)
