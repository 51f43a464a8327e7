"""The output directory of a streaming ``relx predict``: identity, shards, chunk manifests.

Layout (docs/predictions.md)::

    OUTDIR/
      predict.json                      what the run is: inputs, model, output format,
                                        threshold, window, shard count (IDENTITY_FILE)
      shard-00000-of-00002/
        manifest.json                   finished chunks, in order, with their counts
        chunk-000000.jsonl              one file per chunk of WINDOW documents
        chunk-000001.jsonl
      shard-00001-of-00002/ ...

A chunk file is written atomically, then the manifest (also atomically) lists it: a chunk
is finished exactly when the manifest names it. A run killed at any point restarts with the
same command: it skips the documents of the finished chunks and rewrites the chunk it was
in, so every document is written exactly once. ``predict.json`` is written by the first run
and compared by every later one (resume or another rank), which refuses to mix outputs of
a different command.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relx._io import atomic_write_json, read_json
from relx.errors import RunDirError
from relx.evaluate._shards import Shard

__all__ = [
    "IDENTITY_FILE",
    "SHARD_MANIFEST_FILE",
    "STREAM_FORMAT_VERSION",
    "CHUNK_SUFFIXES",
    "ChunkRecord",
    "ShardLayout",
    "claim_directory",
    "input_identity",
    "model_identity",
    "read_identity",
    "shard_layouts",
]

IDENTITY_FILE = "predict.json"
SHARD_MANIFEST_FILE = "manifest.json"
STREAM_FORMAT_VERSION = 1
_KIND = "relx.predict.stream"

#: File suffix of a chunk per output format.
CHUNK_SUFFIXES: dict[str, str] = {
    "jsonl": ".jsonl",
    "pubtator": ".pubtator",
    "bioc_xml": ".bioc.xml",
    "bioc_json": ".bioc.json",
}


def input_identity(files: list[Path]) -> list[dict[str, Any]]:
    """Each input file's absolute path, size and modification time (cheap, no hashing).

    Hashing PubMed-sized inputs would cost as much as reading them; a changed size or
    modification time is what tells a different input apart in practice (as make does).
    """
    out = []
    for f in files:
        stat = f.stat()  # a LitCoin folder: the folder's own entry (changes with its files)
        out.append({"path": str(f.resolve()), "size": stat.st_size,
                    "mtime_ns": stat.st_mtime_ns})
    return out


def model_identity(checkpoint: Path) -> dict[str, Any]:
    """The model directory, its files' sizes and the hash of its small JSON files."""
    files: dict[str, int] = {}
    digest = hashlib.sha256()
    for f in sorted(p for p in checkpoint.rglob("*") if p.is_file()):
        rel = f.relative_to(checkpoint).as_posix()
        files[rel] = f.stat().st_size
        if f.suffix == ".json" and f.stat().st_size < (1 << 20):
            digest.update(rel.encode() + b"\0" + f.read_bytes())
    return {"path": str(checkpoint.resolve()), "files": files, "json_sha256": digest.hexdigest()}


def read_identity(out_dir: Path) -> dict[str, Any]:
    """``predict.json`` of a streaming prediction directory.

    Raises:
        RunDirError: E620 when ``out_dir`` is not one.
    """
    path = out_dir / IDENTITY_FILE
    if not path.is_file():
        raise RunDirError(f"{out_dir} is not a streaming prediction directory (no "
                          f"{IDENTITY_FILE}); expected the --out of a `relx predict` run "
                          "with several inputs, a folder/glob, a directory --out or --shard",
                          code="E620")
    identity = read_json(path)
    if identity.get("kind") != _KIND or identity.get("format_version") != STREAM_FORMAT_VERSION:
        raise RunDirError(f"{path}: kind {identity.get('kind')!r} format version "
                          f"{identity.get('format_version')!r}; expected {_KIND!r} version "
                          f"{STREAM_FORMAT_VERSION} (written by another relx version?)",
                          code="E620")
    return identity


def _difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "inputs" and isinstance(a, list) and isinstance(b, list):
            paths_a = [i.get("path") for i in a]
            paths_b = [i.get("path") for i in b]
            if paths_a != paths_b:
                return (f"inputs differ (then {len(a)} files starting {paths_a[:1]}, now "
                        f"{len(b)} starting {paths_b[:1]})")
            for x, y in zip(a, b):
                if x != y:
                    return f"input {x['path']} changed since (size or modification time)"
        if key == "model":
            return f"model differs (then {a.get('path')}, now {b.get('path')}, or its files)"
        return f"{key} differs (then {a!r}, now {b!r})"
    return "nothing"


def claim_directory(out_dir: Path, identity: dict[str, Any]) -> None:
    """Record ``identity`` in ``out_dir`` or check that it is the one recorded.

    Raises:
        RunDirError: E614 ``out_dir`` is a file; E615 a foreign non-empty folder; E618 it
            holds the outputs of a different
            command (other inputs, model, format, threshold, window or shard count).
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise RunDirError(f"--out {out_dir} is a file; the streaming layout (several inputs, "
                          "a folder/glob input, --shard or a launcher) writes a directory",
                          code="E614", hint=f"pass a directory, e.g. --out "
                          f"{out_dir.parent / 'predictions'}/, and merge it with `relx predict "
                          "--merge DIR --out FILE`")
    identity = {"kind": _KIND, "format_version": STREAM_FORMAT_VERSION, **identity}
    path = out_dir / IDENTITY_FILE
    if path.is_file():
        recorded = read_identity(out_dir)
        if recorded != identity:
            raise RunDirError(
                f"{out_dir} holds predictions of a different command: "
                f"{_difference(recorded, identity)}; a resume must repeat the first command",
                code="E618",
                hint="repeat the original command to resume, or pick a new --out (or delete "
                     f"{out_dir}) to start over",
            )
        return
    # Ranks started together may see each other's shard folders or temporary identity file.
    foreign = [p for p in out_dir.iterdir() if not (
        p.name.startswith("shard-") or p.name.startswith(f".{IDENTITY_FILE}.")
        or p.name == IDENTITY_FILE)] if out_dir.is_dir() else []
    if foreign:
        raise RunDirError(f"--out {out_dir} is a non-empty directory without {IDENTITY_FILE}; "
                          "expected a new or empty directory (or one a previous `relx "
                          "predict` wrote)", code="E615", hint="pick a new --out")
    atomic_write_json(path, identity)


@dataclass
class ChunkRecord:
    """One finished chunk of a shard (an entry of the shard's manifest)."""

    index: int
    files: list[str]
    n_documents: int
    n_pairs: int
    n_skipped_type_pair: int
    n_relations: int
    first_document: str
    last_document: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ShardLayout:
    """The folder and manifest of one shard; chunks are committed one at a time."""

    out_dir: Path
    name: str
    index: int
    count: int
    chunks: list[ChunkRecord] = field(default_factory=list)
    complete: bool = False

    @property
    def folder(self) -> Path:
        return self.out_dir / self.name

    @property
    def manifest_path(self) -> Path:
        return self.folder / SHARD_MANIFEST_FILE

    @classmethod
    def open(cls, out_dir: Path, name: str, index: int, count: int) -> ShardLayout:
        """The shard's state on disk (empty when new); stray temporary files are removed."""
        layout = cls(out_dir, name, index, count)
        layout.folder.mkdir(parents=True, exist_ok=True)
        for stray in layout.folder.glob(".*.tmp"):  # a write killed before its rename
            with contextlib.suppress(FileNotFoundError):
                stray.unlink()
        if layout.manifest_path.is_file():
            data = read_json(layout.manifest_path)
            if (data.get("shard"), data.get("n_shards")) != (index, count):
                raise RunDirError(f"{layout.manifest_path} is shard {data.get('shard')} of "
                                  f"{data.get('n_shards')}; expected {index} of {count}",
                                  code="E618")
            layout.chunks = [ChunkRecord(**c) for c in data.get("chunks", [])]
            layout.complete = bool(data.get("complete"))
        return layout

    def chunk_file(self, index: int, output_format: str) -> Path:
        return self.folder / f"chunk-{index:06d}{CHUNK_SUFFIXES[output_format]}"

    def files_of_chunk(self, index: int) -> list[str]:
        """The chunk's file and any sidecar a writer put beside it (``chunk-N.<...>``)."""
        prefix = f"chunk-{index:06d}."
        return sorted(p.name for p in self.folder.iterdir()
                      if p.name.startswith(prefix) and p.is_file())

    def totals(self) -> dict[str, int]:
        keys = ("n_documents", "n_pairs", "n_skipped_type_pair", "n_relations")
        return {k: sum(getattr(c, k) for c in self.chunks) for k in keys}

    def commit(self) -> None:
        """Write the manifest atomically: the chunks it lists are the finished ones."""
        atomic_write_json(self.manifest_path, {
            "shard": self.index,
            "n_shards": self.count,
            "complete": self.complete,
            "totals": self.totals(),
            "chunks": [c.to_json() for c in self.chunks],
        })


def shard_layouts(out_dir: Path, n_shards: int) -> list[ShardLayout]:
    """Every shard's layout as on disk (for merging); missing shards come back empty."""
    layouts = []
    for index in range(n_shards):
        layout = ShardLayout(out_dir, Shard(index, n_shards).name, index, n_shards)
        if layout.manifest_path.is_file():
            data = read_json(layout.manifest_path)
            layout.chunks = [ChunkRecord(**c) for c in data.get("chunks", [])]
            layout.complete = bool(data.get("complete"))
        layouts.append(layout)
    return layouts
