"""Streaming corpus input: documents one at a time from many files, folders or globs.

:func:`read_corpus` returns a list, which is right for BioRED (600 abstracts) and wrong for
PubTator3's dump of all of PubMed (about 36 million abstracts in many gzipped BioC JSON /
PubTator files). :class:`DocumentStream` yields the same checked :class:`Document` objects
with bounded memory:

* inputs are files, folders (every file below, sorted, hidden files skipped) or glob
  patterns (``**`` allowed), expanded in the given order;
* each file may be gzip-compressed (recognised by its magic bytes, not its name) and its
  format is detected per file from its (decompressed) first kilobytes;
* PubTator is cut into document blocks (a blank line or a new ``PMID|t|`` line) and each
  block goes through the one PubTator parser (:func:`relx.data.parse_pubtator`), with line
  numbers shifted back to the file's own;
* BioC XML is read with lxml's ``iterparse``, one ``<document>`` element at a time (each
  element is freed after use), and mapped by the BioC reader's own document mapping;
* BioC JSON is read by :class:`_JsonDocumentArray`, a small incremental scanner over the
  ``documents`` array (see there why it is hand-written);
* LitCoin triples and split JSON are small by nature and are read whole (``read_corpus``).

Problems name the file and the line (PubTator) or the document id (BioC), as the readers do.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from relx.data._document import Document
from relx.data._problems import ProblemLog
from relx._text import GZIP_MAGIC
from relx.errors import DataError

__all__ = ["STREAM_FORMATS", "DocumentStream", "expand_inputs", "iter_documents",
           "open_corpus_file"]

#: Formats read incrementally; the others are read whole, file by file.
STREAM_FORMATS: tuple[str, ...] = ("pubtator", "bioc_xml", "bioc_json")

_SNIFF_BYTES = 8192
_GLOB_CHARS = frozenset("*?[")


def expand_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files named by ``paths``: files as given, folders recursively, globs expanded.

    Order is deterministic (input order; sorted within a folder or a glob) and a file named
    twice is kept once.

    Raises:
        DataError: E109 for a missing path or a glob that matches no file.
    """
    out: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)

    for raw in paths:
        text = os.fspath(raw)
        p = Path(text)
        if p.is_dir() and _is_litcoin_folder(p):
            add(p)  # a LitCoin triple is read as one unit
        elif p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not found:
                raise DataError("folder holds no files; expected corpus files (PubTator, BioC "
                                "XML/JSON, gzipped or not)", path=text, code="E109")
            for f in found:
                add(f)
        elif p.is_file():
            add(p)
        elif _GLOB_CHARS & set(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            files = [m for m in matches if m.is_file()]
            if not files:
                raise DataError("glob pattern matches no file; expected e.g. "
                                "'corpus/*.BioC.JSON.gz' (quote it so the shell passes it "
                                "through)", path=text, code="E109")
            for f in files:
                add(f)
        else:
            raise DataError("file not found; expected a corpus file, a folder or a glob "
                            "pattern", path=text, code="E109")
    return out


@contextlib.contextmanager
def open_corpus_file(path: Path) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """``(decompressed binary stream, raw file)`` of a corpus file, gzip or not.

    The raw file's ``tell()`` is the compressed position, which measures progress.
    """
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise DataError("file not found; expected a corpus file", path=str(path),
                        code="E109") from None
    try:
        magic = raw.read(2)
        raw.seek(0)
        if magic == GZIP_MAGIC:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped, raw
        else:
            yield raw, raw
    finally:
        raw.close()


def _detect(path: Path) -> str:
    from relx.data._read import format_from_head

    with open_corpus_file(path) as (stream, _):
        try:
            head = stream.read(_SNIFF_BYTES)
        except (OSError, EOFError) as error:
            raise DataError(f"cannot read as gzip ({error}); expected a gzip-compressed or "
                            "plain corpus file", path=str(path), code="E109") from None
    return format_from_head(head.decode("utf-8-sig", errors="replace"), path)


def _is_litcoin_folder(folder: Path) -> bool:
    from relx.data._read import litcoin_role

    return any(litcoin_role(f) for f in sorted(folder.iterdir()) if f.is_file())


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    return path.stat().st_size


class _ShiftedLog(ProblemLog):
    """A problem sink that adds ``offset`` to line numbers, then forwards to ``inner``.

    PubTator blocks are parsed one at a time; the parser numbers lines from 1 within the
    block, this puts them back at their place in the file.
    """

    def __init__(self, inner: ProblemLog, offset: int) -> None:
        super().__init__(strict=inner.strict)
        self.inner = inner
        self.offset = offset

    def report(self, code: str, message: str, *, path: str | None = None,
               line: int | None = None, doc_id: str | None = None) -> None:
        self.inner.report(code, message, path=path,
                          line=None if line is None else line + self.offset, doc_id=doc_id)


def _is_title_line(line: bytes) -> bool:
    bar = line.find(b"|")
    if bar <= 0 or line[bar + 1:bar + 3] != b"t|":
        return False
    tab = line.find(b"\t")
    return tab == -1 or bar < tab


def _decode(line: bytes, path: Path, lineno: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start} of the line); "
                        "expected a PubTator text file", path=str(path), line=lineno,
                        code="E109") from None


def _iter_pubtator(stream: IO[bytes], path: Path, log: ProblemLog) -> Iterator[Document]:
    from relx.data._pubtator import parse_pubtator

    block: list[str] = []
    block_start = 1
    ended = True  # whether the block's last line had its line end in the file

    def flush() -> list[Document]:
        if not block:
            return []
        # The parser reports a file that ends mid-line as truncated; a block keeps its end.
        text = "\n".join(block) + ("\n" if ended else "")
        docs = parse_pubtator(text, path=str(path), log=_ShiftedLog(log, block_start - 1))
        for doc in docs:
            if doc.line is not None:
                doc.line += block_start - 1
        block.clear()
        return docs

    lineno = 0
    for lineno, raw in enumerate(stream, start=1):  # binary lines split on b"\n" only
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            yield from flush()
            block_start = lineno + 1
            continue
        if block and _is_title_line(raw):
            yield from flush()
            block_start = lineno
        ended = raw.endswith(b"\n")
        block.append(_decode(raw.rstrip(b"\n"), path, lineno))
    yield from flush()


def _iter_bioc_xml(stream: IO[bytes], path: Path, log: ProblemLog) -> Iterator[Document]:
    import bioc.biocxml
    from lxml import etree

    from relx.data._bioc import _document_from_bioc

    context = etree.iterparse(stream, events=("end",), tag="document", recover=False,
                              huge_tree=True)
    try:
        for _, element in context:
            # bioc's own parser reads the one document (its streaming reader keeps the whole
            # tree and reads annotations at 'start' events, before their children exist).
            text = b"<collection>" + etree.tostring(element) + b"</collection>"
            element.clear()
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
            collection = bioc.biocxml.loads(text.decode("utf-8"))
            for bdoc in collection.documents:
                doc = _document_from_bioc(bdoc, str(path), log)
                if doc is not None:
                    yield doc
    except etree.XMLSyntaxError as exc:
        raise DataError(f"cannot parse as BioC XML ({exc.msg}); expected a well-formed BioC "
                        "XML collection", path=str(path), line=exc.lineno, code="E109") from None


class _JsonDocumentArray:
    """Yield the objects of a BioC JSON collection's ``documents`` array, one at a time.

    Why hand-written: the standard library has no incremental JSON reader, and the PyPI one
    (``ijson``) would be a new dependency whose fast path is a compiled yajl backend, for a
    job that needs only this: find the top-level ``"documents"`` key and decode its elements
    one by one with ``json.JSONDecoder.raw_decode`` (the C scanner ``json.load`` uses), so
    a collection of millions of documents is never held whole. Text is read in blocks; an
    element cut by the block end is retried with more text (the block doubles), so a
    document of any size decodes. Other top-level keys (``source``, ``date``, ``infons``)
    are decoded and dropped. Line numbers of JSON errors are counted from consumed text.
    """

    _BLOCK = 1 << 20

    def __init__(self, stream: IO[str], path: Path) -> None:
        self.stream = stream
        self.path = path
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line of buffer[0] in the file
        self.decoder = json.JSONDecoder()

    # ------------------------------------------------------------------ buffer handling
    def _more(self, at_least: int = 0) -> bool:
        if self.eof:
            return False
        # Drop what has been consumed before growing the buffer.
        self.line += self.buffer.count("\n", 0, self.pos)
        self.buffer = self.buffer[self.pos:]
        self.pos = 0
        chunk = self.stream.read(max(self._BLOCK, at_least))
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def _skip_ws(self) -> str:
        """The next non-space character (not consumed); ``""`` at the end of the file."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._more():
                return ""

    def _expect(self, chars: str, what: str) -> str:
        char = self._skip_ws()
        if not char or char not in chars:
            got = repr(char) if char else "the end of the file"
            raise self._error(f"expected {what}; got {got}")
        self.pos += 1
        return char

    def _value(self) -> Any:
        self._skip_ws()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                line = self.line + self.buffer.count("\n", 0, exc.pos)  # before compacting
                if self._more(at_least=len(self.buffer)):  # maybe only cut: read more, retry
                    continue
                raise DataError(f"not valid JSON ({exc.msg}); expected a BioC JSON collection",
                                path=str(self.path), line=line, code="E109") from None
            # A number at the very end of the buffer may continue in the next block.
            if end == len(self.buffer) and not self.eof and isinstance(value, (int, float)):
                if self._more(at_least=len(self.buffer)):
                    continue
            self.pos = end  # the buffer is compacted only when more text is read
            return value

    def _error(self, message: str) -> DataError:
        line = self.line + self.buffer.count("\n", 0, self.pos)
        return DataError(f"{message} (a BioC JSON collection is {{..., \"documents\": [...]}})",
                         path=str(self.path), line=line, code="E109")

    # ------------------------------------------------------------------ the scan
    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._skip_ws() == "\ufeff":
            self.pos += 1
        self._expect("{", "'{' at the start of a BioC JSON collection")
        found = False
        if self._skip_ws() == "}":
            self.pos += 1
        else:
            while True:
                key = self._value()
                if not isinstance(key, str):
                    raise self._error(f"expected an object key; got {key!r}")
                self._expect(":", "':' after a key")
                if key == "documents":
                    found = True
                    yield from self._documents()
                else:
                    self._value()
                if self._expect(",}", "',' or '}' in the collection object") == "}":
                    break
        if not found:
            raise DataError("BioC JSON collection has no 'documents' array; expected "
                            "{\"documents\": [{\"id\": ..., \"passages\": [...]}, ...]}",
                            path=str(self.path), code="E109")

    def _documents(self) -> Iterator[dict[str, Any]]:
        self._expect("[", "'[' opening the documents array")
        if self._skip_ws() == "]":
            self.pos += 1
            return
        while True:
            value = self._value()
            if not isinstance(value, dict):
                raise self._error(f"expected document objects in the documents array; got a "
                                  f"{type(value).__name__}")
            yield value
            if self._expect(",]", "',' or ']' in the documents array") == "]":
                return


def _iter_bioc_json(stream: IO[bytes], path: Path, log: ProblemLog) -> Iterator[Document]:
    import io

    from relx.data._bioc import _document_from_bioc, bioc_document_from_json

    text = io.TextIOWrapper(stream, encoding="utf-8-sig")
    for jdoc in _JsonDocumentArray(text, path):
        try:
            bdoc = bioc_document_from_json(jdoc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            doc_id = jdoc.get("id") if isinstance(jdoc, dict) else None
            raise DataError(f"document {doc_id!r} is not a BioC JSON document (missing or "
                            f"malformed {exc}); expected 'id' and 'passages' with offsets",
                            path=str(path), code="E109") from None
        doc = _document_from_bioc(bdoc, str(path), log)
        if doc is not None:
            yield doc


_READERS: dict[str, Callable[[IO[bytes], Path, ProblemLog], Iterator[Document]]] = {
    "pubtator": _iter_pubtator,
    "bioc_xml": _iter_bioc_xml,
    "bioc_json": _iter_bioc_json,
}


class DocumentStream:
    """Documents of many corpus files, read lazily; knows its progress in bytes.

    Args:
        paths: Files, folders or glob patterns (see :func:`expand_inputs`).
        format: Force one format for every file (default: detected per file).
        log: Problem sink (lenient by default; strict raises at the first problem).
        dedupe: Drop a document whose id was already yielded (E108), as ``read_corpus``
            does. The set of seen ids grows with the documents yielded (~100 bytes each);
            pass ``keep=`` to dedupe only the documents one shard keeps.
        keep: Yield only the documents for which ``keep(doc)`` is true (a shard's share);
            applied before deduplication.

    Attributes:
        files: The expanded input files.
        total_bytes: Their size on disk (compressed size for gzip files).
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        format: str | None = None,  # noqa: A002 - the name read_corpus uses
        log: ProblemLog | None = None,
        dedupe: bool = True,
        keep: Callable[[Document], bool] | None = None,
    ) -> None:
        from relx.data._read import FORMATS

        if format is not None and format not in FORMATS:
            raise DataError(f"format={format!r} is not a corpus format; expected one of "
                            f"{', '.join(FORMATS)}; omit it to detect the format per file",
                            code="E109")
        self.files = expand_inputs(paths)
        self.format = format
        self.log = log if log is not None else ProblemLog()
        self.dedupe = dedupe
        self.keep = keep
        self.total_bytes = sum(_size(f) for f in self.files)
        self._done_bytes = 0
        self._current: IO[bytes] | None = None
        self.n_read = 0  # documents read from the files (before keep/dedupe)

    @property
    def bytes_read(self) -> int:
        """Bytes of the input files consumed so far (for progress and ETA)."""
        current = 0
        if self._current is not None:
            with contextlib.suppress(ValueError, OSError):
                current = self._current.tell()
        return self._done_bytes + current

    def format_of(self, path: Path) -> str:
        """The format ``path`` is read as (a folder in the inputs is a LitCoin triple)."""
        if path.is_dir():
            return "litcoin"
        return self.format or _detect(path)

    def _file_documents(self, path: Path) -> Iterator[Document]:
        fmt = self.format_of(path)
        reader = _READERS.get(fmt)
        if reader is None:  # litcoin / split_json: small files, read whole
            from relx.data._read import read_corpus

            yield from read_corpus([path], format=fmt, log=self.log)
            return
        with open_corpus_file(path) as (stream, raw):
            self._current = raw
            try:
                yield from reader(stream, path, self.log)
            except (EOFError, gzip.BadGzipFile, OSError) as error:
                raise DataError(f"cannot read ({type(error).__name__}: {error}); expected a "
                                "complete corpus file (a truncated download?)",
                                path=str(path), code="E109") from None
            finally:
                self._current = None

    def __iter__(self) -> Iterator[Document]:
        seen: dict[str, tuple[str | None, int | None]] = {}
        for path in self.files:
            for doc in self._file_documents(path):
                self.n_read += 1
                if self.keep is not None and not self.keep(doc):
                    continue
                if self.dedupe:
                    first = seen.get(doc.doc_id)
                    if first is not None:
                        where = (first[0] or "an earlier input") + (
                            f":{first[1]}" if first[1] is not None else "")
                        self.log.report("E108", f"duplicate document id {doc.doc_id} (first "
                                        f"read at {where}); expected each document once; the "
                                        "first copy is kept", path=doc.source, line=doc.line,
                                        doc_id=doc.doc_id)
                        continue
                    seen[doc.doc_id] = (doc.source, doc.line)
                yield doc
            self._done_bytes += _size(path)


def iter_documents(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    format: str | None = None,  # noqa: A002
    log: ProblemLog | None = None,
) -> Iterator[Document]:
    """Documents of files, folders or globs, one at a time (see :class:`DocumentStream`)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return iter(DocumentStream(paths, format=format, log=log))
