"""Token lengths of rendered inputs, and what a token limit would truncate.

Part of ``relx data stats --tokenizer``: the corpus counts come from :mod:`relx.data`, the
lengths from here, because measuring them needs the representation itself (markers, prompt,
entity-aware truncation). Keeping this in relx.represent lets the arrow run one way:
relx.represent uses relx.data, never the reverse.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relx.data import PairExample
from relx.errors import DataError
from relx.represent._encode import encode_examples
from relx.represent._markers import marker_tokens

__all__ = ["LENGTH_BUCKETS", "length_stats", "load_tokenizer"]

#: Upper bounds (tokens) of the length histogram: the usual max_length choices.
LENGTH_BUCKETS: tuple[int, ...] = (64, 128, 256, 384, 512, 1024)


def load_tokenizer(path: str | os.PathLike[str]) -> Any:
    """A fast tokenizer from a local folder or ``.gguf`` file (never from a hub).

    Raises:
        DataError: The path does not exist or holds no tokenizer (E117).
    """
    from transformers import AutoTokenizer

    p = Path(path)
    if not p.exists():
        raise DataError("tokenizer path not found; expected a local model folder or .gguf file",
                        path=str(p), code="E117")
    try:
        if p.is_file() and p.suffix == ".gguf":
            return AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name,
                                                 local_files_only=True, trust_remote_code=False)
        return AutoTokenizer.from_pretrained(str(p), local_files_only=True,
                                             trust_remote_code=False)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"no tokenizer could be loaded ({first}); expected a folder with "
                        "tokenizer.json or a .gguf file", path=str(p), code="E117") from None


def length_stats(
    examples: Sequence[PairExample],
    tokenizer: Any,
    *,
    max_length_tokens: int | None,
    style: str = "typed_entity_marker_punct",
    prompt: bool = False,
) -> dict[str, Any]:
    """Token lengths of the rendered inputs and what ``max_length_tokens`` would truncate.

    Uses :func:`relx.represent.encode_examples` itself, so the numbers are those of
    training: same markers, same prompt and chat template, same entity-aware truncation.
    Marker strings the style needs as special tokens are added to the tokenizer first, as
    the model builder does.

    Returns:
        The encoder's summary (``n_truncated``, ``n_lost_mention``, ``length_percentiles``
        ...) plus ``truncated_share``, ``lost_mention_share`` and a ``histogram``
        (``"<=64"``, ..., ``">1024"`` -> count) of lengths before truncation.
    """
    vocab = tokenizer.get_vocab()
    extra = [t for t in marker_tokens(style) if t not in vocab]
    if extra:  # as relx.models does, so that a marker counts as one token
        tokenizer.add_tokens(extra, special_tokens=True)
    result = encode_examples(list(examples), tokenizer, style=style, prompt=prompt,
                             max_length_tokens=max_length_tokens)
    summary = result.summary()
    n = len(result.examples)
    summary["truncated_share"] = result.n_truncated / n if n else 0.0
    summary["lost_mention_share"] = result.n_lost_mention / n if n else 0.0
    histogram: Counter[str] = Counter()
    for length in result.lengths_before:
        bucket = next((f"<={b}" for b in LENGTH_BUCKETS if length <= b), f">{LENGTH_BUCKETS[-1]}")
        histogram[bucket] += 1
    order = [f"<={b}" for b in LENGTH_BUCKETS] + [f">{LENGTH_BUCKETS[-1]}"]
    summary["histogram"] = {k: histogram[k] for k in order}
    return summary
