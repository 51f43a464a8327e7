"""Input representations: marked text, instruction prompts, encoding and batching.

``PairExample`` (``relx.data``) -> :func:`render_example` (markers) -> :func:`encode_examples`
(prompt/chat template, tokens, entity-aware truncation) -> :func:`collate_padded` or
:func:`collate_packed` (the batch contract of docs/architecture.md), chosen once per run by a
batching mode (:func:`get_batching`) -> ``relx.models``.
:func:`length_stats` measures rendered token lengths for ``relx data stats --tokenizer``.
"""

from relx.represent._batch import collate_packed, collate_padded, length_grouped_batches
from relx.represent._batching import (
    BatchingMode,
    PaddedBatching,
    batching_names,
    get_batching,
    register_batching,
)
from relx.represent._packing import (
    DEFAULT_ROW_TOKENS,
    PackedBatching,
    first_fit_decreasing,
    plan_steps,
    split_by_budget,
)
from relx.represent._encode import (
    IGNORE_LABEL,
    EncodedExample,
    EncodingResult,
    encode_examples,
    sentence_bounds,
)
from relx.represent._lengths import LENGTH_BUCKETS, length_stats, load_tokenizer
from relx.represent._markers import (
    REPRESENTATIONS,
    STYLE_ALIASES,
    STYLE_NAMES,
    MarkerStyle,
    RenderedText,
    get_style,
    marker_tokens,
    render_example,
    resolve_mentions,
)
from relx.represent._prompt import (
    PROMPT_HEAD,
    PromptTemplate,
    build_prompt,
    build_prompt_template,
)

from relx.represent._symmetric import ORDER_VIEWS, both_orders, iter_both_orders, swap_entities

__all__ = [
    "ORDER_VIEWS",
    "both_orders",
    "iter_both_orders",
    "swap_entities",
    "BatchingMode",
    "PaddedBatching",
    "PackedBatching",
    "DEFAULT_ROW_TOKENS",
    "first_fit_decreasing",
    "plan_steps",
    "split_by_budget",
    "batching_names",
    "get_batching",
    "register_batching",
    "IGNORE_LABEL",
    "LENGTH_BUCKETS",
    "PROMPT_HEAD",
    "REPRESENTATIONS",
    "STYLE_ALIASES",
    "STYLE_NAMES",
    "EncodedExample",
    "EncodingResult",
    "MarkerStyle",
    "PromptTemplate",
    "RenderedText",
    "build_prompt",
    "build_prompt_template",
    "collate_packed",
    "collate_padded",
    "encode_examples",
    "get_style",
    "length_grouped_batches",
    "length_stats",
    "load_tokenizer",
    "marker_tokens",
    "render_example",
    "resolve_mentions",
    "sentence_bounds",
]
