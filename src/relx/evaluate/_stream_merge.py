"""``relx predict --merge OUTDIR --out FILE``: one file from a streaming prediction directory.

Chunks are concatenated in a deterministic order: shard 0's chunks in chunk order, then
shard 1's, and so on (within a chunk, documents keep input order). Only the chunks a
manifest lists are read, and every shard must be complete, so the merged file holds every
document exactly once. Memory is bounded by one chunk:

* JSONL and PubTator: the chunk files' bytes are appended as they are;
* BioC XML: the ``<document>`` elements of each chunk are appended inside one
  ``<collection>`` (the first chunk's header);
* BioC JSON: the ``documents`` of each chunk are appended to one collection object.

A writer's sidecar next to a chunk (``chunk-000000.pubtator<.extra>``) is merged the same
way, by bytes, into ``FILE<.extra>``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import IO, Any

from relx._io import atomic_open, read_json
from relx.errors import RunDirError
from relx.evaluate._stream_layout import CHUNK_SUFFIXES, read_identity, shard_layouts

__all__ = ["merge_predictions"]


def _append_bytes(handle: IO[bytes], path: Path) -> None:
    with open(path, "rb") as source:
        shutil.copyfileobj(source, handle, 1 << 20)


def _bioc_xml_parts(text: str, path: Path) -> tuple[str, str]:
    """``(header up to the first <document>, the documents)`` of one chunk's XML."""
    end = text.rfind("</collection>")
    first = text.find("<document>")
    if end == -1:
        raise RunDirError(f"{path}: no </collection>; expected a BioC XML chunk written by "
                          "relx predict", code="E619")
    if first == -1:  # a collection without documents
        return text[:end], ""
    return text[:first], text[first:end]


def merge_predictions(out_dir: str | os.PathLike[str],
                      out: str | os.PathLike[str]) -> dict[str, Any]:
    """Concatenate every shard's chunks of ``out_dir`` into ``out`` (written atomically).

    Returns:
        ``{"out", "format", "n_shards", "n_chunks", "n_documents", "n_pairs",
        "n_relations", "n_skipped_type_pair"}``.

    Raises:
        RunDirError: E620 not a streaming prediction directory; E619 a shard is missing or
            unfinished, or a chunk file is gone.
    """
    directory = Path(out_dir)
    identity = read_identity(directory)
    output_format = identity["output_format"]
    layouts = shard_layouts(directory, int(identity["n_shards"]))
    unfinished = [layout.name for layout in layouts if not layout.complete]
    if unfinished:
        listed = ", ".join(unfinished[:4]) + (" ..." if len(unfinished) > 4 else "")
        raise RunDirError(f"{directory}: {len(unfinished)} of {len(layouts)} shards are not "
                          f"finished ({listed}); expected every shard complete before merging",
                          code="E619", hint="run (or resume) the missing shards with the same "
                          "command and --shard K/N, then merge again")
    chunks = [(layout, record) for layout in layouts for record in layout.chunks]
    main_suffix = CHUNK_SUFFIXES[output_format]
    target = Path(out)
    sidecars: set[str] = set()
    for layout, record in chunks:
        stem = f"chunk-{record.index:06d}{main_suffix}"
        for name in record.files:
            if not (layout.folder / name).is_file():
                raise RunDirError(f"{layout.folder / name} is listed in the manifest but "
                                  "missing; expected the chunk file", code="E619",
                                  hint="delete the shard folder and run the shard again")
            if name != stem:
                sidecars.add(name[len(stem):])

    with atomic_open(target, "wb") as handle:
        if output_format in ("jsonl", "pubtator"):
            for layout, record in chunks:
                _append_bytes(handle, layout.folder / f"chunk-{record.index:06d}{main_suffix}")
        elif output_format == "bioc_xml":
            header_written = False
            for layout, record in chunks:
                path = layout.folder / f"chunk-{record.index:06d}{main_suffix}"
                header, documents = _bioc_xml_parts(path.read_text(encoding="utf-8"), path)
                if not header_written:
                    handle.write(header.encode("utf-8"))
                    header_written = True
                handle.write(documents.encode("utf-8"))
            handle.write(b"</collection>\n" if header_written else
                         b'<?xml version="1.0" encoding="UTF-8"?>\n<collection>'
                         b"</collection>\n")
        else:
            _merge_bioc_json(handle, [layout.folder / f"chunk-{record.index:06d}{main_suffix}"
                                      for layout, record in chunks])
    for extra in sorted(sidecars):
        with atomic_open(Path(f"{target}{extra}"), "wb") as handle:
            for layout, record in chunks:
                path = layout.folder / f"chunk-{record.index:06d}{main_suffix}{extra}"
                if path.is_file():
                    _append_bytes(handle, path)
    totals = {k: sum(getattr(r, k) for _, r in chunks)
              for k in ("n_documents", "n_pairs", "n_relations", "n_skipped_type_pair")}
    return {"out": str(target), "format": output_format, "n_shards": len(layouts),
            "n_chunks": len(chunks), **totals,
            "sidecars": [f"{target}{extra}" for extra in sorted(sidecars)]}


def _merge_bioc_json(handle: IO[bytes], paths: list[Path]) -> None:
    """One collection: the first chunk's collection fields, every chunk's documents."""
    head: dict[str, Any] | None = None
    first = True
    for path in paths:
        collection = read_json(path)
        if head is None:
            head = {k: v for k, v in collection.items() if k != "documents"}
            opening = json.dumps(head, ensure_ascii=False)[:-1]
            handle.write((opening + (", " if head else "") + '"documents": [\n').encode())
        for document in collection.get("documents", []):
            if not first:
                handle.write(b",\n")
            handle.write(json.dumps(document, ensure_ascii=False).encode("utf-8"))
            first = False
    if head is None:
        handle.write(b'{"documents": [\n')
    handle.write(b"\n]}\n")
