"""BioC XML and BioC JSON readers and writers (BioRED ``*.BioC.XML``, ``Dev.BioC.JSON``).

Parsing and serialising go through the ``bioc`` package (it reads BioRED's XML cleanly,
Train.BioC.XML in ~0.2 s; its JSON reader needs a small tolerant front end, see
:func:`_collection_from_json`); this module only maps BioC's passages / annotations /
relations onto :class:`~relx.data._document.Document` and back.

Mapping (docs/formats.md §1): the first passage (``infons.type == "title"``) is the title; the
later passages, placed at their document-global ``offset`` , make the abstract, so offsets
keep indexing ``title + " " + abstract``. An annotation's ``identifier`` infon may be
composite (``a,b``) or ``-``; each ``location`` becomes one mention. A relation's infons are
``type``, ``entity1``, ``entity2``, ``novel`` (``Novel``/``No``) and, for relations
predicted by relx, ``score``.

BioC parsers give no line numbers, so problems name the file and the document id.
"""

from __future__ import annotations

import datetime
import io
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

import bioc
import bioc.biocjson
import bioc.biocxml
from lxml import etree  # bioc's own XML backend; imported only for its error types

from relx._io import atomic_write_text
from relx.data._document import NO_CONCEPT, Document, Mention, Relation
from relx.data._problems import ProblemLog
from relx.data._pubtator import split_concept_ids
from relx.data._validate import check_document
from relx._text import check_not_utf16, open_utf8, read_file_bytes
from relx.errors import DataError

__all__ = [
    "read_bioc_xml",
    "read_bioc_json",
    "write_bioc_xml",
    "write_bioc_json",
    "documents_from_bioc",
    "documents_to_bioc",
]

#: Infon keys tried, in order, for an annotation's concept ID (BioRED uses ``identifier``;
#: other PubTator exports capitalise it).
_ID_KEYS = ("identifier", "Identifier")
_NOVEL = {"Novel": True, "No": False, "": None, NO_CONCEPT: None}


def _document_from_bioc(bdoc: bioc.BioCDocument, path: str, log: ProblemLog) -> Document | None:
    doc_id = str(bdoc.id)
    passages = sorted(bdoc.passages, key=lambda p: p.offset)
    if not passages:
        log.report("E101", "document has no passage; expected a title passage (and an "
                   "abstract passage)", path=path, doc_id=doc_id)
        return None
    title_passage, rest = passages[0], passages[1:]
    if title_passage.offset != 0:
        log.report("E110", f"first passage starts at offset {title_passage.offset}; expected 0 "
                   "(the title); offsets are kept as given", path=path, doc_id=doc_id)
    title = title_passage.text or ""
    text = " " * title_passage.offset + title
    for passage in rest:
        if passage.offset < len(text):
            log.report("E110", f"passage at offset {passage.offset} overlaps the text before it "
                       f"(which ends at {len(text)}); expected increasing, non-overlapping "
                       "passage offsets; the passage is skipped", path=path, doc_id=doc_id)
            continue
        text += " " * (passage.offset - len(text)) + (passage.text or "")
    title = text[: title_passage.offset + len(title)]
    abstract = text[len(title) + 1 :]

    mentions: list[Mention] = []
    for passage in passages:
        for ann in passage.annotations:
            etype = ann.infons.get("type", "")
            raw_ids = next((ann.infons[k] for k in _ID_KEYS if k in ann.infons), "")
            ids = split_concept_ids(str(raw_ids))
            if len(ann.locations) != 1:
                # A discontinuous annotation's text spans its pieces; each piece keeps the
                # document text at its own location so the span check stays meaningful.
                for loc in ann.locations:
                    s, e = loc.offset, loc.offset + loc.length
                    mentions.append(Mention(s, e, text[s:e], etype, ids))
                continue
            loc = ann.locations[0]
            start, end = loc.offset, loc.offset + loc.length
            mentions.append(Mention(start, end, ann.text or "", etype, ids))

    relations: list[Relation] = []
    for rel in bdoc.relations:
        inf = rel.infons
        a, b = inf.get("entity1"), inf.get("entity2")
        if (a is None or b is None) and len(rel.nodes) == 2:
            a, b = rel.nodes[0].refid, rel.nodes[1].refid
        if not a or not b or "type" not in inf:
            log.report("E101", f"relation {rel.id!r} lacks 'type', 'entity1' or 'entity2' "
                       "infons; expected all three", path=path, doc_id=doc_id)
            continue
        novel_raw = str(inf.get("novel", "")).strip()
        if novel_raw not in _NOVEL:
            log.report("E101", f"relation {rel.id!r} has novel={novel_raw!r}; expected 'Novel' "
                       "or 'No'", path=path, doc_id=doc_id)
            continue
        score: float | None = None
        if "score" in inf:
            try:
                score = float(inf["score"])
            except ValueError:
                log.report("E101", f"relation {rel.id!r} has score={inf['score']!r}; expected a "
                           "number", path=path, doc_id=doc_id)
                continue
        relations.append(Relation(str(inf["type"]), str(a).strip(), str(b).strip(),
                                  _NOVEL[novel_raw], score))

    doc = Document(doc_id=doc_id, title=title, abstract=abstract, mentions=mentions,
                   relations=relations, source=path)
    return check_document(doc, log)


def documents_from_bioc(
    collection: bioc.BioCCollection, *, path: str = "<bioc>", log: ProblemLog | None = None
) -> list[Document]:
    """Map a parsed BioC collection onto checked documents."""
    log = log if log is not None else ProblemLog()
    docs = [_document_from_bioc(bdoc, path, log) for bdoc in collection.documents]
    return [d for d in docs if d is not None]


def _load(path: str | os.PathLike[str], loader: Callable[[TextIO], bioc.BioCCollection],
          what: str, *, binary: bool = False) -> bioc.BioCCollection:
    p = Path(path)
    try:
        if binary:
            # XML carries its own encoding declaration (ISO-8859-1 is valid XML): lxml reads
            # the bytes and honours it; decoding as UTF-8 first would reject such a file.
            data = read_file_bytes(p, what=f"a {what} file")  # gzip decompressed
            check_not_utf16(p, data[:4096], what=what)
            return loader(io.BytesIO(data))  # type: ignore[arg-type]
        return loader(open_utf8(p, what=f"a {what} file"))
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"file not found; expected a {what} file", path=str(p),
                        code="E109") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON ({exc.msg}, column {exc.colno}); expected a {what} "
                        "file", path=str(p), line=exc.lineno, code="E109") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"not a {what} collection (missing or malformed {exc}); expected "
                        "documents with passages", path=str(p), code="E109") from None
    except (etree.LxmlError, ValueError) as exc:  # bad XML, or a non-integer offset
        line = getattr(exc, "lineno", None)
        detail = str(exc).split("\n")[0]
        raise DataError(f"cannot parse as {what} ({type(exc).__name__}: {detail}); expected a "
                        f"well-formed {what} collection (pass the format explicitly if this "
                        "file is another format)",
                        path=str(p), line=line, code="E109") from None


def read_bioc_xml(
    path: str | os.PathLike[str], *, log: ProblemLog | None = None
) -> list[Document]:
    """Read a BioC XML collection (BioRED ``Train.BioC.XML``).

    Raises:
        DataError: E109 when the file is missing or not BioC XML; any problem when strict.
    """
    collection = _load(path, bioc.biocxml.load, "BioC XML", binary=True)
    return documents_from_bioc(collection, path=str(path), log=log)


def _collection_from_json(handle: TextIO) -> bioc.BioCCollection:
    """Build a BioC collection from BioC JSON, tolerating absent ``infons``.

    Hand-rolled because ``bioc.biocjson.load`` requires an ``infons`` key on every
    document and passage, and BioRED's own ``Dev.BioC.JSON`` has none there (KeyError).
    """
    obj = json.load(handle)
    collection = bioc.BioCCollection()
    collection.source = obj.get("source", "")
    collection.date = obj.get("date", "")
    collection.key = obj.get("key", "")
    collection.infons.update(obj.get("infons") or {})
    for jdoc in obj["documents"]:
        collection.add_document(bioc_document_from_json(jdoc))
    return collection


def bioc_document_from_json(jdoc: dict[str, Any]) -> bioc.BioCDocument:
    """One BioC JSON document object -> a ``BioCDocument`` (absent ``infons`` tolerated).

    Shared by :func:`read_bioc_json` and the streaming reader (``relx.data._stream``),
    which decodes one document object at a time.
    """
    bdoc = bioc.BioCDocument()
    bdoc.id = str(jdoc["id"])
    bdoc.infons.update(jdoc.get("infons") or {})
    for jp in jdoc.get("passages") or []:
        passage = bioc.BioCPassage()
        passage.offset = int(jp.get("offset", 0))
        passage.text = jp.get("text")
        passage.infons.update(jp.get("infons") or {})
        for ja in jp.get("annotations") or []:
            ann = bioc.BioCAnnotation()
            ann.id = str(ja.get("id", ""))
            ann.text = ja.get("text")
            ann.infons.update(ja.get("infons") or {})
            for jl in ja.get("locations") or []:
                ann.add_location(bioc.BioCLocation(int(jl["offset"]), int(jl["length"])))
            passage.add_annotation(ann)
        bdoc.add_passage(passage)
    for jr in jdoc.get("relations") or []:
        rel = bioc.BioCRelation()
        rel.id = str(jr.get("id", ""))
        rel.infons.update(jr.get("infons") or {})
        for jn in jr.get("nodes") or []:
            rel.add_node(bioc.BioCNode(str(jn.get("refid", "")), str(jn.get("role", ""))))
        bdoc.add_relation(rel)
    return bdoc


def read_bioc_json(
    path: str | os.PathLike[str], *, log: ProblemLog | None = None
) -> list[Document]:
    """Read a BioC JSON collection (BioRED ``Dev.BioC.JSON``).

    Raises:
        DataError: E109 when the file is missing or not BioC JSON; any problem when strict.
    """
    collection = _load(path, _collection_from_json, "BioC JSON")
    return documents_from_bioc(collection, path=str(path), log=log)


def _bioc_annotation(ann_id: int, m: Mention) -> bioc.BioCAnnotation:
    ann = bioc.BioCAnnotation()
    ann.id = str(ann_id)
    ann.infons["identifier"] = ",".join(m.concept_ids) if m.concept_ids else NO_CONCEPT
    ann.infons["type"] = m.entity_type
    ann.add_location(bioc.BioCLocation(m.start, m.end - m.start))
    ann.text = m.text
    return ann


def documents_to_bioc(
    documents: Iterable[Document], *, source: str = "relx"
) -> bioc.BioCCollection:
    """Build a BioC collection in BioRED's layout (title + abstract passage per document).

    Each mention goes into the passage that contains its start; relation infons carry
    ``novel`` only when known and ``score`` only when set (predicted relations).
    """
    collection = bioc.BioCCollection()
    collection.source = source
    collection.date = datetime.date.today().isoformat()
    collection.key = "BioC.key"
    for doc in documents:
        bdoc = bioc.BioCDocument()
        bdoc.id = doc.doc_id
        title = bioc.BioCPassage()
        title.infons["type"] = "title"
        title.offset = 0
        title.text = doc.title
        abstract = bioc.BioCPassage()
        abstract.infons["type"] = "abstract"
        abstract.offset = len(doc.title) + 1
        abstract.text = doc.abstract
        for i, m in enumerate(doc.mentions):
            target = title if m.start < abstract.offset or not doc.abstract else abstract
            target.add_annotation(_bioc_annotation(i, m))
        bdoc.add_passage(title)
        if doc.abstract:
            bdoc.add_passage(abstract)
        for i, r in enumerate(doc.relations):
            rel = bioc.BioCRelation()
            rel.id = f"R{i}"
            rel.infons["entity1"] = r.concept_a
            rel.infons["entity2"] = r.concept_b
            rel.infons["type"] = r.relation_type
            if r.novel is not None:
                rel.infons["novel"] = "Novel" if r.novel else "No"
            if r.score is not None:
                rel.infons["score"] = repr(float(r.score))
            bdoc.add_relation(rel)
        collection.add_document(bdoc)
    return collection


def write_bioc_xml(path: str | os.PathLike[str], documents: Iterable[Document]) -> None:
    """Write documents as BioC XML, atomically."""
    atomic_write_text(path, bioc.biocxml.dumps(documents_to_bioc(documents)))


def write_bioc_json(path: str | os.PathLike[str], documents: Iterable[Document]) -> None:
    """Write documents as BioC JSON, atomically."""
    obj: Any = bioc.biocjson.toJSON(documents_to_bioc(documents))
    atomic_write_text(path, json.dumps(obj, indent=1, ensure_ascii=False) + "\n")
