"""Encoding pair examples into token ids, with entity-aware truncation.

Every example is rendered (markers, optional instruction prompt, optional chat template) to
one string, and all strings are tokenized in large batches by the fast tokenizer with offset
mappings. The offsets locate the first marker token of A and of B (what the
``entity_start`` head reads) without any per-tokenizer special-casing, whether markers are
special tokens, punctuation merged with a space (``Ġ(@``) or word pieces.

Inputs longer than ``max_length_tokens`` are cut *entity-aware* (issue 3 item 2): only the
example text is cut, never the instruction, the ``Subject:``/``Object:`` tail, the
``entity_mask`` prefix or the first marked mention of A and B. Whole sentences farthest from
the two first mentions go first; if the sentences holding them are still too long, tokens
farthest from the two mentions go next. The users' 256-token runs lost the prompt tail in a
large share of inputs with plain right truncation (``truncation="right"`` reproduces that
for diagnosis).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from relx.data import PairExample
from relx.errors import ConfigError
from relx.labels import ALL_LABELS
from relx.represent._markers import RenderedText, get_style, render_example
from relx.represent._prompt import PromptTemplate, build_prompt_template

__all__ = [
    "EncodedExample",
    "EncodingResult",
    "IGNORE_LABEL",
    "encode_examples",
    "sentence_bounds",
]

#: Label id of an example without a gold label (prediction); PyTorch's cross-entropy ignore index.
IGNORE_LABEL = -100

#: Percentiles reported for input lengths: enough to pick ``max_length_tokens``.
_PERCENTILES = (50, 90, 95, 99)

# Tokenizer calls take this many strings at once: large enough for the Rust tokenizer's
# parallelism to pay off, small enough to keep memory flat on the whole corpus.
_TOKENIZE_CHUNK = 2048

# Sentence rule for truncation units (see sentence_bounds for why not syntok).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])")


@dataclass(slots=True)
class EncodedExample:
    """One model input.

    Attributes:
        input_ids: Token ids, special tokens and chat framing included, no padding.
        label: Class id in the configured label order (``IGNORE_LABEL`` when unlabelled).
        entity_token_index: Token positions of the first marker token of A and of B.
        type_pair: ``(type_a, type_b)``: for the type-pair label constraint.
        example_id: The pair example's ``relation_id``.
        truncated: The input was cut to fit ``max_length_tokens``.
        lost_mention: The input lacks the first marked mention of A or of B, or the prompt
            tail (only when even those alone do not fit, or under ``truncation="right"``).
    """

    input_ids: list[int]
    label: int
    entity_token_index: tuple[int, int]
    type_pair: tuple[str, str]
    example_id: str
    truncated: bool = False
    lost_mention: bool = False

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass(slots=True)
class EncodingResult:
    """Encoded examples plus what truncation did to them.

    Attributes:
        examples: One :class:`EncodedExample` per input example, same order.
        n_truncated: Inputs cut to fit ``max_length_tokens``.
        n_lost_mention: Inputs missing a first marked mention of A/B or the prompt tail.
        length_percentiles: ``p50``/``p90``/``p95``/``p99``/``max`` of input lengths in tokens
            *before* truncation (what ``max_length_tokens`` should be chosen from).
        max_length_tokens: The limit applied (``None``: none).
        style: Versioned name of the marker style used.
        prompt: Whether the instruction prompt was used.
        chat_template: Whether the tokenizer's chat template framed the prompt.
        truncation: ``"entity_aware"`` or ``"right"``.
        lengths_before: Token length of every input before truncation (input order), for
            histograms.
    """

    examples: list[EncodedExample]
    n_truncated: int
    n_lost_mention: int
    length_percentiles: dict[str, int]
    max_length_tokens: int | None
    style: str
    prompt: bool
    chat_template: bool
    truncation: str
    lengths_before: list[int] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (for ``relx data stats`` and run records)."""
        return {
            "n_examples": len(self.examples),
            "n_truncated": self.n_truncated,
            "n_lost_mention": self.n_lost_mention,
            "length_percentiles": dict(self.length_percentiles),
            "max_length_tokens": self.max_length_tokens,
            "style": self.style,
            "prompt": self.prompt,
            "chat_template": self.chat_template,
            "truncation": self.truncation,
        }


def sentence_bounds(text: str) -> list[int]:
    """Offsets where a sentence of ``text`` starts (after the first one), by a simple rule.

    Why not ``relx.data.split_sentences`` (syntok): it costs ~5 ms per text and pair texts
    are all different, so at 256 tokens (60% of BioRED Dev truncated) it tripled encoding
    time. Here a boundary only decides where a cut may fall, never what the model must
    keep (the first mentions and the tail are protected separately), and pair texts are
    already sentences joined by one space, so ``. `` + capital is a good enough rule.
    """
    return [m.end() for m in _SENTENCE_BREAK.finditer(text)]


def _label_ids(examples: Sequence[PairExample], labels: Sequence[str]) -> list[int]:
    index = {label: i for i, label in enumerate(labels)}
    if len(index) != len(labels):
        raise ConfigError(
            f"labels must be distinct; got {list(labels)}. Remove the duplicates.", code="E206"
        )
    out: list[int] = []
    for ex in examples:
        if ex.label is None or ex.label == "":
            out.append(IGNORE_LABEL)
            continue
        if ex.label not in index:
            raise ConfigError(
                f"example {ex.relation_id} has label {ex.label!r}, which is not in the "
                f"configured labels {list(labels)}. Add it to the labels or filter the data.",
                code="E206",
            )
        out.append(index[ex.label])
    return out


class _Offsets:
    """Token lookup by character position for one tokenized input."""

    def __init__(self, offsets: Sequence[tuple[int, int]]) -> None:
        # Special tokens have empty spans (0, 0) and are never a marker token.
        self.index = [i for i, (s, e) in enumerate(offsets) if e > s]
        self.starts = [offsets[i][0] for i in self.index]
        self.ends = [offsets[i][1] for i in self.index]

    def token_at(self, pos: int) -> int | None:
        """The token covering char ``pos``, else the first token starting after it."""
        k = bisect.bisect_right(self.ends, pos)  # first token whose end > pos
        if k >= len(self.index):
            return None
        return self.index[k]

    def count_in(self, start: int, end: int) -> int:
        """Number of tokens whose start lies in ``[start, end)``."""
        return bisect.bisect_left(self.starts, end) - bisect.bisect_left(self.starts, start)


@dataclass(slots=True)
class _Input:
    example: PairExample
    rendered: RenderedText
    text: str  # marked text (may be cut)
    first_a: int  # char offsets into ``text``
    first_b: int
    region_a: tuple[int, int]
    region_b: tuple[int, int]


def _wrap(template: PromptTemplate, item: _Input) -> tuple[str, int]:
    return template.wrap(item.text, subject=item.rendered.subject, object=item.rendered.object)


def _backend(tokenizer: Any) -> Any:
    """A private copy of the fast tokenizer's Rust backend with truncation and padding off.

    Calling the backend directly skips transformers' per-encoding Python conversion (a
    third of the time on BioRED Dev); the copy keeps the caller's tokenizer untouched, since
    its ``tokenizer.json`` may carry truncation/padding settings (MiniLM's says 128).
    """
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.no_truncation()
    backend.no_padding()
    return backend


def _tokenize(backend: Any, texts: list[str], add_special_tokens: bool) -> list[Any]:
    encodings: list[Any] = []
    for i in range(0, len(texts), _TOKENIZE_CHUNK):
        chunk = texts[i : i + _TOKENIZE_CHUNK]
        encodings.extend(backend.encode_batch(chunk, add_special_tokens=add_special_tokens))
    return encodings


def _units(item: _Input) -> list[tuple[int, int]]:
    """Sentence units of the marked text, as char ranges (the prefix is not a unit)."""
    r = item.rendered
    source = item.example.text
    mentions = [(s, e) for s, e, _ in (*item.example.entity_a, *item.example.entity_b)]
    cuts = [
        r.map_offset(b)
        for b in sentence_bounds(source)
        if not any(s < b < e for s, e in mentions)  # never split inside a mention
    ]
    bounds = [r.prefix_length, *cuts, len(r.text)]
    return [(s, e) for s, e in zip(bounds, bounds[1:]) if e > s]


def _keep_ranges(
    item: _Input, off: _Offsets, text_off: int, budget: int
) -> tuple[list[tuple[int, int]], bool]:
    """Char ranges of the marked text to keep within ``budget`` text tokens.

    Returns the ranges (sorted, prefix excluded) and whether a first mention had to go.
    """
    units = _units(item)
    counts = [off.count_in(text_off + s, text_off + e) for s, e in units]

    def unit_of(pos: int) -> int:
        return next(i for i, (s, e) in enumerate(units) if s <= pos < e)

    essential = {unit_of(item.region_a[0]), unit_of(item.region_b[0])}
    kept = set(range(len(units)))
    # Farthest from the nearest first mention goes first; ties: the later sentence first.
    order = sorted(
        (i for i in kept if i not in essential),
        key=lambda i: (-min(abs(i - j) for j in essential), -i),
    )
    total = sum(counts)
    for i in order:
        if total <= budget:
            break
        kept.discard(i)
        total -= counts[i]
    if total <= budget:
        return [units[i] for i in sorted(kept)], False

    # The sentences holding the mentions are too long themselves: drop tokens farthest
    # from the two first marked mentions, keeping the mentions (and as much around them).
    # A token belongs to the sentence holding its last character, clipped to it: a BPE
    # token such as "Ġ@" starts on the space before its sentence (or before the text) and
    # must still count as holding the marker. ``where`` keeps (unit, token number) so that
    # only neighbours within one sentence merge into one kept range.
    kept_units = [units[i] for i in sorted(kept)]
    tokens: list[tuple[int, int]] = []
    where: list[tuple[int, int]] = []
    for j, (s, e) in enumerate(zip(off.starts, off.ends)):
        s, e = s - text_off, e - text_off
        for u, (u0, u1) in enumerate(kept_units):
            if u0 <= e - 1 < u1:
                tokens.append((max(s, u0), e))
                where.append((u, j))
                break
    protected = (item.region_a, item.region_b)

    def distance(span: tuple[int, int]) -> int:
        # 0 inside a first marked mention; else 1 + the character gap to the nearest one.
        return min(
            0 if span[0] < r1 and r0 < span[1] else 1 + min(abs(span[0] - r1), abs(r0 - span[1]))
            for r0, r1 in protected
        )

    ranked = sorted(range(len(tokens)), key=lambda k: (distance(tokens[k]), k))
    keep_tokens = sorted(ranked[: max(budget, 0)])
    lost = any(distance(tokens[k]) == 0 for k in ranked[max(budget, 0) :])
    ranges: list[tuple[int, int]] = []
    prev = (-1, -2)
    for k in keep_tokens:
        s, e = tokens[k]
        unit, j = where[k]
        if ranges and unit == prev[0] and j == prev[1] + 1:
            ranges[-1] = (ranges[-1][0], e)
        else:
            ranges.append((s, e))
        prev = (unit, j)
    return ranges, lost


def _cut(item: _Input, ranges: list[tuple[int, int]]) -> tuple[_Input, bool]:
    """Rebuild the marked text from the kept ``ranges``; map the mention offsets."""
    text = item.text
    prefix = text[: item.rendered.prefix_length]
    pieces: list[tuple[int, int, int]] = []  # (old_start, old_end, new_start)
    out = prefix
    for s, e in ranges:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e <= s:
            continue
        if pieces:
            out += " "
        pieces.append((s, e, len(out)))
        out += text[s:e]

    def move(pos: int, *, end: bool = False) -> int | None:
        for s, e, n in pieces:
            if s <= pos < e or (end and s < pos <= e):
                return n + pos - s
        return None

    a0, a1 = move(item.region_a[0]), move(item.region_a[1], end=True)
    b0, b1 = move(item.region_b[0]), move(item.region_b[1], end=True)
    fa, fb = move(item.first_a), move(item.first_b)
    lost = None in (a0, a1, b0, b1, fa, fb)
    new = _Input(
        example=item.example,
        rendered=item.rendered,
        text=out,
        first_a=fa if fa is not None else 0,
        first_b=fb if fb is not None else 0,
        region_a=(a0 or 0, a1 or 0),
        region_b=(b0 or 0, b1 or 0),
    )
    return new, lost


def _percentiles(lengths: list[int]) -> dict[str, int]:
    if not lengths:
        return {**{f"p{p}": 0 for p in _PERCENTILES}, "max": 0}
    arr = np.asarray(lengths)
    out = {f"p{p}": int(np.ceil(np.percentile(arr, p))) for p in _PERCENTILES}
    out["max"] = int(arr.max())
    return out


def encode_examples(
    examples: Sequence[PairExample],
    tokenizer: Any,
    *,
    style: str,
    prompt: bool = False,
    labels: Sequence[str] = ALL_LABELS,
    max_length_tokens: int | None = 512,
    truncation: Literal["entity_aware", "right"] = "entity_aware",
    chat_template: bool | None = None,
) -> EncodingResult:
    """Turn pair examples into model inputs (token ids, label id, entity token positions).

    Args:
        examples: Pair examples (``relx.data``).
        tokenizer: A *fast* transformers tokenizer (offset mappings are required). Add
            :func:`~relx.represent.marker_tokens` to it before encoding if the model does.
        style: Marker style, short (``typed_entity_marker_punct``), aliased or versioned name.
        prompt: Wrap the marked text in the instruction prompt (docs/formats.md §3).
        labels: Label order; the label id is the index in it, and the prompt lists it.
        max_length_tokens: Limit per input, special tokens and framing included; ``None``
            disables truncation.
        truncation: ``"entity_aware"`` (default; see the module docstring) or ``"right"``
            (plain cut at the end, as transformers does: only to measure what it loses).
        chat_template: Frame the prompt with the tokenizer's chat template (``None``: when
            the tokenizer has one and ``prompt`` is on).

    Returns:
        The encoded examples in input order and the truncation counts.

    Raises:
        ConfigError: ``[E201]`` unknown style; ``[E203]`` chat template problems; ``[E204]``
            slow tokenizer or bad ``max_length_tokens``/``truncation``; ``[E205]`` an input
            whose fixed parts (prompt, tail, special tokens) alone exceed the limit;
            ``[E206]`` a label outside ``labels``.
        DataError: ``[E202]`` an example whose entity spans lie outside its text.
    """
    spec = get_style(style)
    fast = getattr(tokenizer, "is_fast", False)
    if not fast or getattr(tokenizer, "backend_tokenizer", None) is None:
        raise ConfigError(
            f"encode_examples needs a fast (Rust) tokenizer for offset mappings; got "
            f"{type(tokenizer).__name__}. Load it with "
            "AutoTokenizer.from_pretrained(..., use_fast=True).",
            code="E204",
        )
    if max_length_tokens is not None and max_length_tokens < 8:
        raise ConfigError(
            f"max_length_tokens must be an integer >= 8 or None; got {max_length_tokens}.",
            code="E204",
        )
    if truncation not in ("entity_aware", "right"):
        raise ConfigError(
            f"truncation must be 'entity_aware' or 'right'; got {truncation!r}.", code="E204"
        )
    label_ids = _label_ids(examples, labels)
    template = build_prompt_template(
        tokenizer, prompt=prompt, labels=labels, chat_template=chat_template
    )

    items: list[_Input] = []
    for ex in examples:
        r = render_example(ex, style=spec)
        items.append(_Input(ex, r, r.text, r.first_a[0], r.first_b[0], r.region_a, r.region_b))
    wrapped = [_wrap(template, it) for it in items]
    backend = _backend(tokenizer)
    encodings: list[Any] = _tokenize(backend, [w for w, _ in wrapped], template.add_special_tokens)
    text_offsets = [off for _, off in wrapped]
    lengths_before = [len(enc.ids) for enc in encodings]
    # Inputs cut to a plain id list (right truncation, or a hard cut as a last resort).
    plain: dict[int, tuple[list[int], list[tuple[int, int]]]] = {}
    truncated = [False] * len(items)
    lost = [False] * len(items)
    over = [] if max_length_tokens is None else [
        i for i, n in enumerate(lengths_before) if n > max_length_tokens
    ]
    has_tail = bool(template.tail)
    if truncation == "right":
        for i in over:
            ids, offsets, lost[i] = _truncate_right(
                encodings[i].ids,
                encodings[i].offsets,
                items[i],
                text_offsets[i],
                max_length_tokens,  # type: ignore[arg-type]
                has_tail,
            )
            plain[i] = (ids, offsets)
            truncated[i] = True
    elif over:
        results = _truncate_entity_aware(
            backend,
            template,
            [(items[i], text_offsets[i], encodings[i]) for i in over],
            max_length_tokens,  # type: ignore[arg-type]
        )
        for i, (item, text_off, enc, cut_ids, lost_i) in zip(over, results):
            items[i], text_offsets[i], truncated[i], lost[i] = item, text_off, True, lost_i
            if enc is not None:
                encodings[i] = enc
            else:
                plain[i] = cut_ids

    encoded: list[EncodedExample] = []
    for i, (ex, item, label) in enumerate(zip(examples, items, label_ids)):
        text_off = text_offsets[i]
        pos_a, pos_b = text_off + item.first_a, text_off + item.first_b
        if i in plain:
            ids, offsets = plain[i]
            ta = tb = None
        else:
            # Fast path: the Rust encoding maps a character to its token directly.
            ids, offsets = encodings[i].ids, encodings[i].offsets
            ta, tb = encodings[i].char_to_token(pos_a), encodings[i].char_to_token(pos_b)
        if ta is None or tb is None:
            off = _Offsets(offsets)
            ta, tb = off.token_at(pos_a), off.token_at(pos_b)
        if ta is None or tb is None or ta >= len(ids) or tb >= len(ids):
            lost[i] = True
            last = len(ids) - 1
            ta = last if ta is None or ta > last else ta
            tb = last if tb is None or tb > last else tb
        encoded.append(
            EncodedExample(
                input_ids=list(ids),
                label=label,
                entity_token_index=(ta, tb),
                type_pair=(ex.type_a, ex.type_b),
                example_id=ex.relation_id,
                truncated=truncated[i],
                lost_mention=lost[i],
            )
        )
    return EncodingResult(
        examples=encoded,
        n_truncated=sum(truncated),
        n_lost_mention=sum(lost),
        length_percentiles=_percentiles(lengths_before),
        max_length_tokens=max_length_tokens,
        style=spec.registry_name,
        prompt=prompt,
        chat_template=template.chat_template,
        truncation=truncation,
        lengths_before=lengths_before,
    )


def _truncate_right(
    ids: list[int], offsets: list, item: _Input, text_off: int, max_length: int, has_tail: bool
) -> tuple[list[int], list, bool]:
    """Plain right truncation; reports whether a first mention or the prompt tail was cut."""
    kept_ids, kept_off = ids[:max_length], offsets[:max_length]
    kept_end = max((e for _, e in kept_off), default=0)
    must_end = max(text_off + item.region_a[1], text_off + item.region_b[1])
    if has_tail:  # the Subject/Object tail and the chat framing after it
        must_end = max(must_end, max((e for _, e in offsets), default=0))
    return kept_ids, kept_off, kept_end < must_end


#: Re-tokenization rounds before entity-aware truncation gives up and cuts hard.
_MAX_ROUNDS = 8


def _truncate_entity_aware(
    backend: Any,
    template: PromptTemplate,
    inputs: list[tuple[_Input, int, Any]],
    max_length: int,
) -> list[tuple[_Input, int, Any, tuple[list[int], list] | None, bool]]:
    """Cut the marked text (only) of each input until the whole input fits ``max_length``.

    Args:
        backend: The Rust tokenizer (truncation off).
        template: How inputs are framed.
        inputs: ``(item, offset of the marked text in the input string, encoding)`` each.
        max_length: The token limit.

    Returns:
        Per input ``(cut item, new text offset, encoding or None, (ids, offsets) of a hard
        cut or None, lost_mention)``.

    Raises:
        ConfigError: ``[E205]`` when the fixed parts alone exceed ``max_length``.
    """
    states: list[list[Any]] = []  # [item, text_off, offsets lookup, text-token budget]
    for item, text_off, enc in inputs:
        off = _Offsets(enc.offsets)
        text_start = text_off + item.rendered.prefix_length
        text_tokens = off.count_in(text_start, text_off + len(item.text))
        fixed = len(enc.ids) - text_tokens
        budget = max_length - fixed
        if budget <= 0:
            raise ConfigError(
                f"example {item.example.relation_id}: the input without its text already takes "
                f"{fixed} tokens (prompt, Subject/Object tail, special tokens), more than "
                f"max_length_tokens={max_length}. Raise max_length_tokens (e.g. to {fixed + 256}).",
                code="E205",
            )
        states.append([item, text_off, off, budget])
    results: list[Any] = [None] * len(inputs)
    pending = list(range(len(inputs)))
    # Token counts of cut pieces are estimates (merges differ at new boundaries), so all
    # candidates are re-tokenized in one batch and the misses retried with a tighter budget;
    # nearly all fit in the first round.
    for round_ in range(_MAX_ROUNDS):
        if not pending:
            break
        candidates = []
        for k in pending:
            item, text_off, off, budget = states[k]
            ranges, lost_here = _keep_ranges(item, off, text_off, budget)
            cut, lost_cut = _cut(item, ranges)
            full, new_off = _wrap(template, cut)
            candidates.append((cut, new_off, full, lost_here or lost_cut))
        encs = _tokenize(backend, [c[2] for c in candidates], template.add_special_tokens)
        still: list[int] = []
        for k, (cut, new_off, _, lost), enc in zip(pending, candidates, encs):
            if len(enc.ids) <= max_length:
                results[k] = (cut, new_off, enc, None, lost)
                continue
            states[k][3] -= len(enc.ids) - max_length
            if states[k][3] <= 0 or round_ == _MAX_ROUNDS - 1:
                # Could not converge (pathological tokenizer): hard cut, reported as lost.
                ids, offsets, _ = _truncate_right(
                    enc.ids, enc.offsets, cut, new_off, max_length, bool(template.tail)
                )
                results[k] = (cut, new_off, None, (ids, offsets), True)
            else:
                still.append(k)
        pending = still
    return results
