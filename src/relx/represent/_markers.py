"""Entity marker styles: how a pair example's mentions of A and B are shown to a model.

Six styles (docs/formats.md §3, Zhou & Chen 2021 naming) mark *every* mention of A and of B in
place. They register under versioned names (``relx.repr.<style>.v1``) so that a run config
written today still resolves after a style changes: a changed style gets a ``.v2`` entry and
the short name moves to it, while ``.v1`` keeps its exact old behaviour.

Overlapping mentions are resolved by one deterministic rule (:func:`resolve_mentions`):

1. Within one entity, duplicate spans collapse and of two overlapping spans the longer is
   kept (ties: the earlier one).
2. Between A and B, a span that *contains* the other (or equals it: BioRED's composite
   mentions such as ``MODY`` naming three genes give A and B the very same span) nests: the
   longer span's markers go outside, A outside B on equal spans. Nothing is lost, so each
   entity keeps a marker of its own (195 pairs of BioRED Train would otherwise lose B).
3. Spans that cross (overlap without containment) cannot nest: A wins, the B span is dropped.
4. ``entity_mask`` replaces the mention text, so it cannot nest either: A wins on any
   overlap, and if every mention of B was dropped, B's "first marker" is the A marker that
   absorbed it (the model still reads B's type name there only if the types agree).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from relx.data import PairExample
from relx.errors import ConfigError, DataError
from relx.labels import ENTITY_TYPES

__all__ = [
    "MarkerStyle",
    "RenderedText",
    "REPRESENTATIONS",
    "STYLE_ALIASES",
    "STYLE_NAMES",
    "get_style",
    "marker_tokens",
    "render_example",
    "resolve_mentions",
]

_TYPE = "{type}"


@dataclass(frozen=True, slots=True)
class MarkerStyle:
    """One marker style: the strings written around (or instead of) a mention.

    ``{type}`` in a marker string is replaced by the mention's entity type. Markers carry
    their own inner spaces (``"@ * {type} * "``) and none outside, so a mention written
    ``(PAH)`` becomes ``(@ * GeneOrGeneProduct * PAH @)`` (docs/formats.md §3).

    Attributes:
        name: The short style name used in configs (``typed_entity_marker_punct``).
        registry_name: The versioned name (``relx.repr.typed_entity_marker_punct.v1``).
        a_open, a_close, b_open, b_close: Marker strings for mentions of A and of B.
        replaces_mention: ``entity_mask``: the mention text is replaced by ``a_open``/``b_open``.
        mention_prefix: ``entity_mask``: prefix ``"{first A}, {first B}, "`` so that the
            surface forms the mask hides are not lost (the users' setup).
        special_tokens: Marker strings worth adding to a tokenizer as special tokens
            (bracketed markers; punctuation is already in every vocabulary).
    """

    name: str
    registry_name: str
    a_open: str
    a_close: str
    b_open: str
    b_close: str
    replaces_mention: bool = False
    mention_prefix: bool = False
    special_tokens: tuple[str, ...] = field(default=())

    def open_marker(self, role: str, entity_type: str) -> str:
        """The string written before a mention of ``role`` (``"a"`` or ``"b"``)."""
        return (self.a_open if role == "a" else self.b_open).replace(_TYPE, entity_type)

    def close_marker(self, role: str, entity_type: str) -> str:
        """The string written after a mention of ``role``."""
        return (self.a_close if role == "a" else self.b_close).replace(_TYPE, entity_type)


def _v1(name: str, *args: str, **kwargs: object) -> MarkerStyle:
    return MarkerStyle(name, f"relx.repr.{name}.v1", *args, **kwargs)  # type: ignore[arg-type]


_STYLES_V1: tuple[MarkerStyle, ...] = (
    _v1("entity_mask", _TYPE, "", _TYPE, "", replaces_mention=True, mention_prefix=True),
    _v1(
        "entity_marker",
        "[E1] ",
        " [/E1]",
        "[E2] ",
        " [/E2]",
        special_tokens=("[E1]", "[/E1]", "[E2]", "[/E2]"),
    ),
    _v1("entity_marker_punct", "@ ", " @", "# ", " #"),
    _v1(
        "typed_entity_marker",
        "[{type}] ",
        " [/{type}]",
        "[{type}] ",
        " [/{type}]",
        special_tokens=("[{type}]", "[/{type}]"),
    ),
    _v1("typed_entity_marker_punct", "@ * {type} * ", " @", "# ^ {type} ^ ", " #"),
    _v1(
        "subject_object_marker",
        "[SUBJECT] ",
        " [/SUBJECT]",
        "[OBJECT] ",
        " [/OBJECT]",
        special_tokens=("[SUBJECT]", "[/SUBJECT]", "[OBJECT]", "[/OBJECT]"),
    ),
)

#: Every registered style by versioned name; short names resolve to the latest version.
REPRESENTATIONS: dict[str, MarkerStyle] = {s.registry_name: s for s in _STYLES_V1}

#: Short name -> versioned name of its current implementation.
_LATEST: dict[str, str] = {s.name: s.registry_name for s in _STYLES_V1}

#: Other spellings accepted in configs (the users' scripts write ``punkt``).
STYLE_ALIASES: dict[str, str] = {"entity_marker_punkt": "entity_marker_punct"}

#: The six short style names, in docs/formats.md §3 order.
STYLE_NAMES: tuple[str, ...] = tuple(s.name for s in _STYLES_V1)


def get_style(style: str | MarkerStyle) -> MarkerStyle:
    """Resolve a short, aliased or versioned style name to its implementation.

    Raises:
        ConfigError: ``[E201]`` for an unknown name; the message lists the valid ones.
    """
    if isinstance(style, MarkerStyle):
        return style
    name = STYLE_ALIASES.get(style, style)
    if name in _LATEST:
        return REPRESENTATIONS[_LATEST[name]]
    if name in REPRESENTATIONS:
        return REPRESENTATIONS[name]
    valid = ", ".join((*STYLE_NAMES, *STYLE_ALIASES, *REPRESENTATIONS))
    raise ConfigError(
        f"represent.style must be one of {valid}; got {style!r}. "
        "Use a short name such as typed_entity_marker_punct.",
        code="E201",
    )


def marker_tokens(
    style: str | MarkerStyle, entity_types: Iterable[str] = ENTITY_TYPES
) -> tuple[str, ...]:
    """Marker strings of ``style`` that a tokenizer should learn as special tokens.

    Bracketed markers (``[E1]``, ``[GeneOrGeneProduct]``, ``[SUBJECT]``) would otherwise be
    split into word pieces, so the model could not read "start of A" from one embedding.
    Punctuation styles and ``entity_mask`` return ``()``: their strings are ordinary text.
    The order is deterministic so resized embeddings line up across runs.
    """
    spec = get_style(style)
    out: list[str] = []
    for token in spec.special_tokens:
        if _TYPE in token:
            out.extend(token.replace(_TYPE, t) for t in entity_types)
        else:
            out.append(token)
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class _Mark:
    start: int
    end: int
    role: str  # "a" | "b"
    entity_type: str


def resolve_mentions(
    entity_a: Sequence[tuple[int, int, str]],
    entity_b: Sequence[tuple[int, int, str]],
    *,
    allow_nesting: bool = True,
) -> list[_Mark]:
    """Apply the module's overlap rule; return the mentions to mark, sorted by start.

    Args:
        entity_a: Spans ``(start, end, type)`` of A.
        entity_b: Spans of B.
        allow_nesting: False for styles that replace the mention (``entity_mask``): then
            any A/B overlap drops the B span.
    """

    def dedupe(spans: Sequence[tuple[int, int, str]], role: str) -> list[_Mark]:
        # Longer first, then earlier: a greedy pass keeps the longer of two overlapping spans.
        ordered = sorted(set(spans), key=lambda s: (-(s[1] - s[0]), s[0], s[1], s[2]))
        kept: list[_Mark] = []
        for start, end, etype in ordered:
            if end <= start:
                continue
            if all(end <= k.start or start >= k.end for k in kept):
                kept.append(_Mark(start, end, role, etype))
        return kept

    marks_a = dedupe(entity_a, "a")
    marks = list(marks_a)
    for b in dedupe(entity_b, "b"):
        keep = True
        for a in marks_a:
            if b.end <= a.start or b.start >= a.end:
                continue
            nested = (a.start <= b.start and b.end <= a.end) or (
                b.start <= a.start and a.end <= b.end
            )
            if not (allow_nesting and nested):
                keep = False
                break
        if keep:
            marks.append(b)
    return sorted(marks, key=lambda m: (m.start, -m.end, m.role))


@dataclass(frozen=True, slots=True)
class RenderedText:
    """A pair example's text with A and B marked.

    Attributes:
        text: The marked text (with the ``entity_mask`` prefix when the style has one).
        first_a: Char span in ``text`` of the first marker of A (its open marker; for
            ``entity_mask`` the type name standing for the mention). Its first token is
            what the ``entity_start`` head reads.
        first_b: Same for B.
        region_a: Char span of A's whole first marked mention (markers included): the part
            truncation must keep.
        region_b: Same for B.
        subject: Surface text of A's first mention (the prompt's ``Subject:``).
        object: Surface text of B's first mention (the prompt's ``Object:``).
        n_marked_a: Number of mentions of A marked.
        n_marked_b: Number of mentions of B marked.
        prefix_length: Characters of ``text`` before the example text proper (the
            ``entity_mask`` mention prefix); truncation never cuts them.
        edits: ``(orig_start, orig_end, new_start, new_end)`` per inserted or replaced
            piece, sorted; lets callers map offsets of the source text (sentence bounds).
    """

    text: str
    first_a: tuple[int, int]
    first_b: tuple[int, int]
    region_a: tuple[int, int]
    region_b: tuple[int, int]
    subject: str
    object: str
    n_marked_a: int
    n_marked_b: int
    prefix_length: int
    edits: tuple[tuple[int, int, int, int], ...]

    def map_offset(self, pos: int) -> int:
        """Map an offset of the source text that lies outside any mention into ``text``.

        Markers written exactly at ``pos`` count as after it, so a sentence starting with a
        mention starts before its open marker.
        """
        shift = self.prefix_length
        for orig_start, orig_end, new_start, new_end in self.edits:
            if orig_start >= pos:
                break
            shift += (new_end - new_start) - (orig_end - orig_start)
        return pos + shift


def _first_mention(spans: Sequence[tuple[int, int, str]], text: str) -> str:
    start, end, _ = min(spans, key=lambda s: (s[0], -s[1]))
    return text[start:end]


def render_example(example: PairExample, *, style: str | MarkerStyle) -> RenderedText:
    """Mark every mention of A and B in ``example.text`` with ``style``.

    Markers go in place, with no space added outside them; overlapping mentions follow the
    rule in this module's docstring. The result records where the first marker of A and B
    sit, so the encoder can find their token positions from offsets.

    Raises:
        ConfigError: ``[E201]`` unknown style.
        DataError: ``[E202]`` when A or B has no mention inside the text.
    """
    spec = get_style(style)
    text = example.text
    for role, spans in (("A", example.entity_a), ("B", example.entity_b)):
        if not spans or any(s < 0 or e > len(text) or e <= s for s, e, _ in spans):
            raise DataError(
                f"example {example.relation_id}: entity {role} needs at least one span inside "
                f"its text (length {len(text)}); got {list(spans)}. Rebuild the split with "
                "`relx data build`.",
                code="E202",
            )
    marks = resolve_mentions(
        example.entity_a, example.entity_b, allow_nesting=not spec.replaces_mention
    )
    subject = _first_mention(example.entity_a, text)
    obj = _first_mention(example.entity_b, text)
    prefix = f"{subject}, {obj}, " if spec.mention_prefix else ""

    # Events: an open marker at a mark's start, a close marker at its end. Closes before
    # opens at the same offset (adjacent mentions); among opens the outer (longer, then A)
    # first; among closes the inner first. This yields well-nested markers.
    events: list[tuple[int, int, tuple, _Mark]] = []
    for m in marks:
        rank = 0 if m.role == "a" else 1
        events.append((m.start, 1, (-m.end, rank), m))
        events.append((m.end, 0, (-m.start, -rank), m))
    events.sort(key=lambda e: (e[0], e[1], e[2]))

    pieces: list[str] = [prefix]
    length = len(prefix)
    cursor = 0
    open_at: dict[_Mark, int] = {}
    first_mark: dict[str, _Mark] = {}
    first_marker: dict[str, tuple[int, int]] = {}
    region: dict[str, tuple[int, int]] = {}
    edits: list[tuple[int, int, int, int]] = []
    for pos, kind, _, m in events:
        if spec.replaces_mention:
            if kind == 0:
                continue  # the whole mention was replaced at its open event
            chunk = text[cursor:pos]
            pieces.append(chunk)
            length += len(chunk)
            mask = spec.open_marker(m.role, m.entity_type)
            edits.append((m.start, m.end, length, length + len(mask)))
            if m.role not in first_marker:
                first_marker[m.role] = (length, length + len(mask))
                region[m.role] = (length, length + len(mask))
            pieces.append(mask)
            length += len(mask)
            cursor = m.end
            continue
        chunk = text[cursor:pos]
        pieces.append(chunk)
        length += len(chunk)
        cursor = pos
        if kind == 1:
            marker = spec.open_marker(m.role, m.entity_type)
        else:
            marker = spec.close_marker(m.role, m.entity_type)
        edits.append((pos, pos, length, length + len(marker)))
        if kind == 1:
            open_at[m] = length
            if m.role not in first_mark:
                first_mark[m.role] = m
                first_marker[m.role] = (length, length + len(marker))
        elif first_mark.get(m.role) is m:
            region[m.role] = (open_at[m], length + len(marker))
        pieces.append(marker)
        length += len(marker)
    pieces.append(text[cursor:])
    rendered = "".join(pieces)

    n_a = sum(1 for m in marks if m.role == "a")
    n_b = sum(1 for m in marks if m.role == "b")
    if "b" not in first_marker:
        # entity_mask only: every B mention overlapped an A mention and was dropped; B is
        # then read at the A mask that absorbed its first mention (documented rule 4).
        first_b_span = min(example.entity_b, key=lambda s: (s[0], -s[1]))
        absorbing = next(
            (e for e in edits if e[0] < first_b_span[1] and first_b_span[0] < e[1]), edits[0]
        )
        first_marker["b"] = (absorbing[2], absorbing[3])
        region["b"] = (absorbing[2], absorbing[3])
    return RenderedText(
        text=rendered,
        first_a=first_marker["a"],
        first_b=first_marker["b"],
        region_a=region["a"],
        region_b=region["b"],
        subject=subject,
        object=obj,
        n_marked_a=n_a,
        n_marked_b=n_b,
        prefix_length=len(prefix),
        edits=tuple(edits),
    )
