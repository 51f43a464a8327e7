"""Hand-written pair examples shared by the representation tests (imported by name)."""

from __future__ import annotations

from relx.data import PairExample

#: docs/formats.md §3's example sentence: A = PAH (gene), B = phenylketonuria (disease).
PAH_TEXT = "Phenylalanine hydroxylase (PAH) deficiency results in phenylketonuria."

#: A minimal ChatML-like template: enough to check that prompts go through the template.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def span(text: str, mention: str, entity_type: str, occurrence: int = 0) -> tuple[int, int, str]:
    """The character span of the ``occurrence``-th ``mention`` in ``text``."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(mention, start + 1)
    return (start, start + len(mention), entity_type)


def make_example(
    text: str,
    entity_a: list[tuple[int, int, str]],
    entity_b: list[tuple[int, int, str]],
    *,
    label: str = "Association",
    relation_id: str = "True.1.0",
) -> PairExample:
    """A pair example with the given spans (document 1)."""
    return PairExample(
        abstract_id=1,
        relation_id=relation_id,
        entity_a_id="A",
        entity_b_id="B",
        label=label,
        novel=False,
        text=text,
        entity_a=entity_a,
        entity_b=entity_b,
        document_id="1",
    )
