"""Sentence splitting with character spans, never inside a mention.

The ``multi_sentence`` context (docs/formats.md §2) keeps the title plus only the abstract
sentences that mention A or B, so every pair needs its document's sentences. Two rule-based
splitters that ship their rules (no downloads) are supported:

* ``syntok`` (default): ~2 ms per BioRED abstract. Pair building of BioRED Train+Dev must
  take < 5 s on a 2-core machine (issue 2), and pysbd alone spends ~3.5 s of that.
* ``pysbd``: ~7 ms per abstract (its abbreviation pass compiles hundreds of regexes per
  text). We call its processor directly and locate sentences with ``str.find`` instead of
  ``Segmenter.segment``'s per-sentence regex search, which costs as much again.

On BioRED Dev the two disagree on ~3% of boundaries. pysbd's extra splits are often wrong
in biomedical text ("(p. Glu104X)", "(proband 1) and", "c.*557G>A"); syntok's misses are
mostly unit abbreviations ("20 min. After"). A missed split only adds context, while a
wrong split can drop the clause that carries the relation, hence the default. Both keep
"e.g.", "i.v.", "et al.", "vs." and decimals inside sentences (tests/data/test_sentences_*).

Each abstract is segmented once and cached by text (every pair of a document, and
repeated builds in one process, reuse it). Sentences whose boundary falls inside a mention
are merged, so a mention is never cut.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Sequence

from relx.data._document import Document
from relx.errors import ConfigError

__all__ = [
    "SPLITTERS",
    "DEFAULT_SPLITTER",
    "split_sentences",
    "sentence_spans",
    "merge_spans_around",
]

#: Sentence splitters :func:`split_sentences` accepts.
SPLITTERS: tuple[str, ...] = ("syntok", "pysbd")
#: The default splitter; see the module docstring for why.
DEFAULT_SPLITTER = "syntok"

#: Texts segmented and kept per process and splitter: BioRED has 600 abstracts, and
#: relx.represent also segments the pair texts it has to truncate.
_CACHE_SIZE = 16384

CharSpan = tuple[int, int]


@functools.lru_cache(maxsize=1)
def _pysbd_segmenter():  # noqa: ANN202 - pysbd has no type hints
    import pysbd  # imported lazily: it compiles its rules at import

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def _pysbd_starts(text: str) -> list[int]:
    starts: list[int] = []
    pos = 0
    for piece in _pysbd_segmenter().processor(text).process():
        piece = piece.strip()
        if not piece:
            continue
        found = text.find(piece, pos)
        if found < 0:  # pysbd rewrote the piece: merge it into the previous sentence
            continue
        starts.append(found)
        pos = found + len(piece)
    return starts


def _syntok_starts(text: str) -> list[int]:
    try:
        from syntok.segmenter import analyze  # lazily: most relx commands never split
    except ImportError as exc:  # a dependency of relx; only a hand-made env lacks it
        raise ImportError("the default sentence splitter needs syntok: pip install syntok "
                          "(or pass splitter='pysbd' / --splitter pysbd)") from exc

    return [sentence[0].offset for paragraph in analyze(text) for sentence in paragraph if sentence]


def _check_splitter(splitter: str) -> None:
    if splitter not in SPLITTERS:
        raise ConfigError(
            f"splitter must be one of {', '.join(SPLITTERS)}; got {splitter!r}. "
            f"Use {DEFAULT_SPLITTER} unless you need to reproduce a pysbd-built split.",
            code="E112",
        )


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _split_cached(text: str, splitter: str) -> tuple[CharSpan, ...]:
    if not text.strip():
        return ()
    raw = _syntok_starts(text) if splitter == "syntok" else _pysbd_starts(text)
    # Keep only sentence *starts*: each sentence runs to the next start, so no character
    # is ever lost, whatever a splitter drops or rewrites.
    starts: list[int] = []
    for start in raw:
        if 0 <= start < len(text) and (not starts or start > starts[-1]):
            starts.append(start)
    first = len(text) - len(text.lstrip())
    if not starts or starts[0] > first:
        starts.insert(0, first)
    elif starts[0] < first:
        starts[0] = first
    spans: list[CharSpan] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        spans.append((start, start + len(text[start:end].rstrip())))
    return tuple(spans)


def split_sentences(text: str, *, splitter: str = DEFAULT_SPLITTER) -> list[CharSpan]:
    """Split ``text`` into sentences as ``(start, end)`` character spans.

    Spans exclude the surrounding whitespace and cover every non-space character of
    ``text``, in order. Results are cached by text.

    Args:
        text: One abstract (or any plain text).
        splitter: ``syntok`` (default, fast) or ``pysbd``.

    Returns:
        The sentence spans; ``[]`` for blank text.

    Raises:
        ConfigError: ``splitter`` is not one of :data:`SPLITTERS`.
    """
    _check_splitter(splitter)
    return list(_split_cached(text, splitter))


def merge_spans_around(spans: Sequence[CharSpan], cuts: Iterable[CharSpan]) -> list[CharSpan]:
    """Merge adjacent sentence spans wherever a boundary would cut one of ``cuts``.

    Args:
        spans: Sentence spans in order, non-overlapping.
        cuts: Spans that must stay inside one sentence (mention offsets).

    Returns:
        The merged spans; unchanged when no mention crosses a boundary.
    """
    if len(spans) < 2:
        return list(spans)
    starts = [s for s, _ in spans]
    join_next = [False] * len(spans)
    for start, end in cuts:
        if end <= start:
            continue
        first = max(bisect.bisect_right(starts, start) - 1, 0)
        last = max(bisect.bisect_right(starts, end - 1) - 1, 0)
        for k in range(first, last):
            join_next[k] = True
    merged: list[CharSpan] = []
    current_start = spans[0][0]
    for k, (_, end) in enumerate(spans):
        if not join_next[k]:
            merged.append((current_start, end))
            if k + 1 < len(spans):
                current_start = spans[k + 1][0]
    return merged


def sentence_spans(document: Document, *, splitter: str = DEFAULT_SPLITTER) -> list[CharSpan]:
    """The document's sentences as spans into :attr:`Document.text`.

    The title is always the first sentence (docs/formats.md §2 keeps it whole); the abstract
    is split with ``splitter``; sentences are merged where a boundary falls inside a
    mention, so every mention lies inside exactly one span. A document without an
    abstract (e.g. rebuilt from split JSON) has its text split, the first sentence
    standing for the title.

    Args:
        document: A document whose mention offsets index ``document.text``.
        splitter: ``syntok`` (default) or ``pysbd``.

    Returns:
        Spans in text order; the first one is the title (when the title is not blank).

    Raises:
        ConfigError: ``splitter`` is not one of :data:`SPLITTERS`.
    """
    _check_splitter(splitter)
    spans: list[CharSpan] = []
    if document.title and not document.abstract:
        # No abstract: a document rebuilt from split JSON keeps its whole text as "title"
        # (the title is not recoverable there); its first sentence stands for the title.
        spans.extend(_split_cached(document.title, splitter))
    elif document.title:
        spans.append((0, len(document.title)))
    if document.abstract:
        shift = len(document.title) + 1
        spans.extend((s + shift, e + shift) for s, e in _split_cached(document.abstract, splitter))
    return merge_spans_around(spans, ((m.start, m.end) for m in document.mentions))
