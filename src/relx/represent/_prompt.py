"""The instruction-prompt variant, inside the tokenizer's own chat template when it has one.

Instruction-tuned decoders were trained to read a task inside their chat format; feeding them
bare marked text (the users' first Llama run) wastes that. The prompt text is docs/formats.md §3
verbatim; the label list is written in the configured label order so that the class index
order and the order the model reads agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from relx.errors import ConfigError

__all__ = [
    "PROMPT_HEAD",
    "PromptTemplate",
    "build_prompt",
    "build_prompt_template",
]

#: docs/formats.md §3; ``{labels}`` is the comma-separated label list.
PROMPT_HEAD = (
    "You are a biomedical relation extraction model.\n"
    "Determine the relation between the subject and object from these types:\n"
    "{labels}\n"
    "\n"
    "Text: "
)
#: The tail that truncation must never cut (the users' 256-token limit cut it off).
PROMPT_TAIL = "\nSubject: {subject}\nObject: {object}"

# A string no corpus contains; the chat template is rendered once around it and split, so
# that per-example prompts are plain string concatenation (fast, and offsets stay exact).
_SENTINEL = "\u2063RELX_CONTENT\u2063"


def build_prompt(
    marked_text: str, *, subject: str, object: str, labels: Sequence[str]  # noqa: A002
) -> str:
    """The instruction prompt around ``marked_text`` (without any chat template).

    Args:
        marked_text: The example text with A and B marked.
        subject: Surface form of A's first mention.
        object: Surface form of B's first mention.
        labels: The label list in the configured order.
    """
    return (
        PROMPT_HEAD.format(labels=", ".join(labels))
        + marked_text
        + PROMPT_TAIL.format(subject=subject, object=object)
    )


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """How a model input string is assembled around the marked text.

    ``before + marked_text + tail(subject, object) + after`` is the full input. ``before`` and
    ``after`` hold the chat template's framing (empty without a template); the instruction
    head sits at the end of ``before``.

    Attributes:
        before: Everything up to the marked text.
        tail: ``PROMPT_TAIL`` (empty when no prompt is used).
        after: The chat template's closing part (generation prompt included).
        chat_template: Whether the tokenizer's chat template was used.
        add_special_tokens: Whether the tokenizer should add its own special tokens; False
            when a chat template already wrote them (Llama's BOS would otherwise appear twice).
    """

    before: str
    tail: str
    after: str
    chat_template: bool
    add_special_tokens: bool

    def wrap(self, marked_text: str, *, subject: str, object: str) -> tuple[str, int]:  # noqa: A002
        """The full input string and the offset where ``marked_text`` starts in it."""
        tail = self.tail.format(subject=subject, object=object) if self.tail else ""
        return self.before + marked_text + tail + self.after, len(self.before)


def _has_chat_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def build_prompt_template(
    tokenizer: Any,
    *,
    prompt: bool,
    labels: Sequence[str],
    chat_template: bool | None = None,
) -> PromptTemplate:
    """Decide how inputs are framed for ``tokenizer``.

    Args:
        tokenizer: A transformers tokenizer.
        prompt: Wrap the marked text in the instruction prompt.
        labels: Configured label order (written into the prompt).
        chat_template: Use the tokenizer's chat template (``None``: when it has one and
            ``prompt`` is on). The template gets one user message and
            ``add_generation_prompt=True``, as at chat time.

    Raises:
        ConfigError: ``[E203]`` chat template requested but the tokenizer has none, or it
            cannot render a single user message.
    """
    if not prompt:
        if chat_template:
            raise ConfigError(
                "represent.chat_template=true needs represent.prompt=true; got prompt=false. "
                "Turn the prompt on or drop chat_template.",
                code="E203",
            )
        return PromptTemplate("", "", "", chat_template=False, add_special_tokens=True)
    head = PROMPT_HEAD.format(labels=", ".join(labels))
    use_chat = _has_chat_template(tokenizer) if chat_template is None else chat_template
    if not use_chat:
        return PromptTemplate(head, PROMPT_TAIL, "", chat_template=False, add_special_tokens=True)
    if not _has_chat_template(tokenizer):
        raise ConfigError(
            "represent.chat_template=true but tokenizer "
            f"{getattr(tokenizer, 'name_or_path', '?')!r} has no chat template. "
            "Set chat_template=false (plain prompt) or use an instruct model.",
            code="E203",
        )
    try:
        framed = tokenizer.apply_chat_template(
            [{"role": "user", "content": _SENTINEL}], tokenize=False, add_generation_prompt=True
        )
    except Exception as error:  # jinja errors vary by template; report them as config errors
        raise ConfigError(
            f"the chat template of {getattr(tokenizer, 'name_or_path', '?')!r} cannot render one "
            f"user message: {error}. Set represent.chat_template=false.",
            code="E203",
        ) from error
    if not isinstance(framed, str) or framed.count(_SENTINEL) != 1:
        raise ConfigError(
            "the chat template did not place the user message verbatim exactly once; "
            "set represent.chat_template=false.",
            code="E203",
        )
    pre, post = framed.split(_SENTINEL)
    return PromptTemplate(
        pre + head, PROMPT_TAIL, post, chat_template=True, add_special_tokens=False
    )
