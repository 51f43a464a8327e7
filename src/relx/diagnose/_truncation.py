"""Truncation share of a data split at a max length, and what truncation cuts.

Uses relx.represent's entity-aware encoder when it is available and the run is a relx run
(it never cuts markers or the prompt tail, and reports what it had to drop). For another
tool's config it measures what *plain right truncation* (the transformers default, and the
origin run's (docs/origin.md) setup) does: the tail of an instruction prompt (``Subject:``/``Object:``)
is the first thing cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relx.labels import ALL_LABELS

__all__ = ["TruncationStats", "measure_truncation", "render_plain"]

#: The instruction prompt of docs/formats.md §3, used to measure another tool's prompt lengths.
_PROMPT = (
    "You are a biomedical relation extraction model.\n"
    "Determine the relation between the subject and object from these types:\n"
    "{labels}\n\nText: {text}\nSubject: {a}\nObject: {b}"
)


@dataclass
class TruncationStats:
    """How many inputs exceed ``max_length`` and what the cut removes.

    Attributes:
        n: Inputs measured.
        max_length: The limit in tokens.
        truncated: Inputs longer than the limit.
        tail_cut: Inputs whose prompt tail (``Subject:``/``Object:``) falls past the limit.
        mention_cut: Inputs whose first marked mention of A or B falls past the limit.
        lengths: Token length of each input (before truncation).
        method: ``relx`` (entity-aware encoder) or ``right`` (plain right truncation).
    """

    n: int
    max_length: int
    truncated: int
    tail_cut: int
    mention_cut: int
    lengths: list[int]
    method: str

    @property
    def share(self) -> float:
        """Share of truncated inputs."""
        return self.truncated / self.n if self.n else 0.0

    @property
    def cut_share(self) -> float:
        """Share of inputs that lost their prompt tail or a marked mention."""
        return max(self.tail_cut, self.mention_cut) / self.n if self.n else 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON form with shares and length quantiles."""
        srt = sorted(self.lengths)
        q = (lambda f: srt[min(len(srt) - 1, int(f * len(srt)))]) if srt else (lambda f: None)
        return {"n": self.n, "max_length": self.max_length, "truncated": self.truncated,
                "share": round(self.share, 4), "tail_cut": self.tail_cut, "mention_cut": self.mention_cut,
                "cut_share": round(self.cut_share, 4), "method": self.method,
                "length_p50": q(0.5), "length_p95": q(0.95), "length_max": srt[-1] if srt else None}


def render_plain(example: Any, *, prompt: bool, labels: tuple[str, ...] = ALL_LABELS) -> tuple[str, int, int]:
    """Render an example the simple way: ``@ m @`` / ``# m #`` markers, optional prompt.

    Returns:
        ``(text, char offset of the first marked mention, char offset of the tail)``; the tail
        offset is ``len(text)`` without a prompt.
    """
    spans = sorted([(s, e, "@") for s, e, _ in example.entity_a] + [(s, e, "#") for s, e, _ in example.entity_b])
    out, pos, last = [], 0, -1
    first_marker_end = 0
    text = example.text
    for s, e, mark in spans:
        if s < last:
            continue  # overlapping mention: keep the first, as the simple renderers do
        out.append(text[pos:s])
        out.append(f"{mark} {text[s:e]} {mark}")
        pos = last = e
    out.append(text[pos:])
    marked = "".join(out)
    idx_a, idx_b = marked.find("@ "), marked.find("# ")
    first_marker_end = max(i for i in (idx_a, idx_b))  # both first mentions must survive
    if not prompt:
        return marked, first_marker_end, len(marked)
    a = text[example.entity_a[0][0]:example.entity_a[0][1]]
    b = text[example.entity_b[0][0]:example.entity_b[0][1]]
    full = _PROMPT.format(labels=", ".join(labels), text=marked, a=a, b=b)
    head = full.index("Text: ") + len("Text: ")
    return full, head + first_marker_end, full.rindex("\nSubject:")


def measure_truncation(examples: list[Any], tokenizer: Any, *, max_length: int, prompt: bool,
                       style: str | None = None) -> TruncationStats:
    """Measure plain right truncation of ``examples`` rendered with markers (and prompt).

    Args:
        examples: :class:`relx.data.PairExample` objects (or anything with ``text``,
            ``entity_a``, ``entity_b``).
        tokenizer: A transformers tokenizer (fast tokenizers give exact cut positions).
        max_length: The limit in tokens, special tokens included.
        prompt: Whether inputs are wrapped in the instruction prompt.
        style: A relx marker style: measure relx's entity-aware encoder instead of plain
            right truncation.
    """
    if style:
        # A relx model: measure what relx.represent's entity-aware truncation does (it never
        # cuts the tail or the first marked mentions unless they cannot fit at all).
        from relx.represent import encode_examples

        res = encode_examples(examples, tokenizer, style=style, prompt=prompt, max_length_tokens=max_length)
        lengths = [len(e.input_ids) for e in res.examples]
        return TruncationStats(n=len(lengths), max_length=max_length, truncated=res.n_truncated,
                               tail_cut=res.n_lost_mention if prompt else 0,
                               mention_cut=res.n_lost_mention, lengths=lengths, method="relx")
    truncated = tail_cut = mention_cut = 0
    lengths = []
    fast = bool(getattr(tokenizer, "is_fast", False))
    for ex in examples:
        text, mention_at, tail_at = render_plain(ex, prompt=prompt)
        enc = tokenizer(text, add_special_tokens=True, return_offsets_mapping=fast)
        ids = enc["input_ids"]
        lengths.append(len(ids))
        if len(ids) <= max_length:
            continue
        truncated += 1
        if fast:
            offsets = enc["offset_mapping"][:max_length]
            kept_chars = max((e for _, e in offsets), default=0)
        else:
            kept_chars = len(tokenizer.decode(ids[:max_length], skip_special_tokens=True))
        if prompt and kept_chars <= tail_at + len("\nSubject:"):
            tail_cut += 1  # right truncation cuts from the end: the Object/Subject lines go first
        if kept_chars < mention_at:
            mention_cut += 1
    return TruncationStats(n=len(lengths), max_length=max_length, truncated=truncated, tail_cut=tail_cut,
                           mention_cut=mention_cut, lengths=lengths, method="right")
