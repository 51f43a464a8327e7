"""Reading user text files as UTF-8, with a one-line error when they are not.

Every corpus, split and prediction file relx reads is UTF-8 (a BOM is tolerated). A file
in another encoding used to surface as a ``UnicodeDecodeError`` traceback from deep inside
a reader; here it becomes a :class:`~relx.errors.DataError` that names the file, the line,
the encoding when it is recognisable (UTF-16 has a BOM or NUL bytes between ASCII), and the
command that converts it.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import zlib
from pathlib import Path

from relx.errors import DataError

__all__ = ["GZIP_MAGIC", "read_utf8", "open_utf8", "check_not_utf16", "looks_utf16",
           "is_gzip", "read_file_bytes", "read_head"]

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

#: The first two bytes of every gzip member.
GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` starts with the gzip magic bytes (whatever its name)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == GZIP_MAGIC
    except (FileNotFoundError, IsADirectoryError):
        return False


def _unreadable(path: Path, error: OSError, what: str) -> DataError:
    """E109 for a path that is missing or a folder (where a file was expected)."""
    problem = "is a folder" if isinstance(error, IsADirectoryError) else "file not found"
    return DataError(f"{problem}; expected {what}", path=str(path), code="E109")


def _gzip_error(path: Path, error: Exception, what: str) -> DataError:
    return DataError(f"cannot decompress gzip ({type(error).__name__}: {error}); expected "
                     f"{what} (a complete gzip file; a truncated download?)", path=str(path),
                     code="E109", hint=f"check it with: gzip -t {path}")


def read_file_bytes(path: str | os.PathLike[str], *, what: str) -> bytes:
    """The bytes of ``path``, decompressed when it is gzip (by magic bytes, not by name).

    Raises:
        DataError: E109 when the file is missing, a folder, or a broken gzip file.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except (FileNotFoundError, IsADirectoryError) as error:
        raise _unreadable(p, error, what) from None
    if data[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise _gzip_error(p, error, what) from None
    return data


def read_head(path: str | os.PathLike[str], size: int, *, what: str) -> bytes:
    """The first ``size`` bytes of ``path``'s content (decompressed when it is gzip).

    Raises:
        DataError: E109 when the file is missing, a folder, or a broken gzip file.
    """
    p = Path(path)
    try:
        with open(p, "rb") as raw:
            if raw.read(2) != GZIP_MAGIC:
                raw.seek(0)
                return raw.read(size)
            raw.seek(0)
            try:
                with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                    return unzipped.read(size)
            except (OSError, EOFError, zlib.error) as error:
                raise _gzip_error(p, error, what) from None
    except (FileNotFoundError, IsADirectoryError) as error:
        raise _unreadable(p, error, what) from None


def looks_utf16(head: bytes) -> bool:
    """Whether bytes start like UTF-16 text: a UTF-16 BOM, or ASCII interleaved with NULs."""
    if head.startswith(codecs.BOM_UTF32_LE) or head.startswith(codecs.BOM_UTF32_BE):
        return False
    if head.startswith(_UTF16_BOMS):
        return True
    sample = head[:64]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > len(even) * 0.8 or odd.count(0) > len(odd) * 0.8


def check_not_utf16(path: str | os.PathLike[str], head: bytes, *, what: str) -> None:
    """Raise the "UTF-16, expected UTF-8" error for ``path`` when ``head`` looks UTF-16."""
    if looks_utf16(head):
        raise DataError(
            f"file is UTF-16 encoded; expected UTF-8 text ({what})", path=str(path),
            code="E109",
            hint=f"convert it: iconv -f UTF-16 -t UTF-8 {path} > {Path(path).stem}.utf8"
            f"{Path(path).suffix}",
        )


def read_utf8(path: str | os.PathLike[str], *, what: str) -> str:
    """The text of ``path`` decoded as UTF-8 (BOM dropped; gzip decompressed first).

    Args:
        path: The file.
        what: What the file should be, for the message (e.g. ``"a PubTator file"``).

    Raises:
        DataError: E109 when the file is missing, UTF-16, binary or not UTF-8 (with the
            line of the first bad byte).
    """
    p = Path(path)
    data = read_file_bytes(p, what=what)
    check_not_utf16(p, data[:4096], what=what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        if b"\x00" in data[:4096]:
            problem = f"binary data (NUL bytes; byte 0x{byte:02x} is not UTF-8)"
        else:
            problem = f"not UTF-8 text (byte 0x{byte:02x} at offset {exc.start})"
        raise DataError(
            f"{problem}; expected {what} in UTF-8", path=str(p), line=line, code="E109",
            hint=f"if it is Latin-1 text, convert it: iconv -f LATIN1 -t UTF-8 {p} > "
            f"{p.stem}.utf8{p.suffix}",
        ) from None


def open_utf8(
    path: str | os.PathLike[str], *, what: str, newline: str = "\n"
) -> io.StringIO:
    """:func:`read_utf8` as a file-like object (for ``csv`` and ``json`` readers)."""
    return io.StringIO(read_utf8(path, what=what), newline=newline)
