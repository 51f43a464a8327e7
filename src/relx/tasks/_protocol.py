"""The task protocol and its registry: what a model is trained to predict (docs/architecture.md).

A task owns everything that used to be the hard-coded assumption "class 0 is ``NOT``, the
rest are the 8 relation types": the label set and its negative class, which examples it
trains and validates on, where each example's target comes from, the prompt's question,
whether the type-pair mask applies, how predictions are scored and which fields it writes
into prediction files. Training, CV, ``relx eval``, ``relx predict`` and the predictions
reader ask the task; none of them imports a fixed label list.

Adding a task (e.g. BioRED's novelty setting) is a new module with a class satisfying
:class:`Task` plus one :func:`register_task` call in ``relx/tasks/__init__.py``; the training
recipe and the loop are not edited.

Error codes (catalog: relx/error_codes.py): E415 unknown task name, E416 labels the task
cannot use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from relx.errors import ConfigError

__all__ = ["Task", "register_task", "get_task", "task_names"]


@runtime_checkable
class Task(Protocol):
    """The contract of a task. Implementations are small, stateless and importable without
    torch (config validation resolves the task)."""

    #: Versioned registry name, e.g. ``relx.task.relation.v1``; a behaviour change is a new
    #: version, so a saved run keeps meaning what it meant.
    name: str
    #: The config shorthand (``task: relation``).
    short_name: str
    #: Class 0 when not ``None`` (``NOT`` for relation); ``None`` when every class is real
    #: (novelty's ``No``/``Novel``). Metrics exclude it as a label.
    negative_label: str | None
    #: Whether the type-pair mask (labels seen per entity-type pair) applies to the logits.
    uses_type_pair_mask: bool
    #: The instruction prompt's question line (represent.prompt) for this task.
    prompt_question: str
    #: Prediction-file fields this task fills (relx.evaluate's prediction schema).
    prediction_fields: tuple[str, ...]

    def labels(self, config_labels: Sequence[str] | None) -> tuple[str, ...]:
        """The class order of the model (``data.labels`` when given, checked; else the
        task's default). Raises ConfigError [E416] for labels the task cannot use."""
        ...

    def select(self, examples: Sequence[Any]) -> list[Any]:
        """The examples this task trains and validates on (relation: all of them)."""
        ...

    def target(self, example: Any) -> str | None:
        """The example's gold class name; ``None`` = unknown (never silently negative)."""
        ...

    def score(
        self, gold: Sequence[str | None], pred: Sequence[str], labels: Sequence[str]
    ) -> dict[str, Any]:
        """Metrics training selects on: at least ``f1``, ``precision``, ``recall``,
        ``accuracy`` (plus whatever else the task reports, e.g. ``per_class_f1``)."""
        ...


_REGISTRY: dict[str, Task] = {}


def register_task(task: Task, *, replace: bool = False) -> Task:
    """Make ``task`` available as ``task: <task.name>`` (or its ``short_name``)."""
    taken = {t.short_name for t in _REGISTRY.values() if t.name != task.name}
    if not replace and (task.name in _REGISTRY or task.short_name in taken):
        raise ValueError(f"task {task.name!r} ({task.short_name!r}) is registered already")
    _REGISTRY[task.name] = task
    return task


def get_task(name: str | Task | None = None) -> Task:
    """The task called ``name``: a registry name, a short name, or ``None`` (the relation
    task, relx's default). A task object is returned as it is.

    Raises:
        ConfigError: [E415] no task of that name.
    """
    if name is None:
        name = "relation"
    if not isinstance(name, str):
        return name
    if name in _REGISTRY:
        return _REGISTRY[name]
    for task in _REGISTRY.values():
        if task.short_name == name:
            return task
    raise ConfigError(
        f"task: expected one of {', '.join(task_names())}; got {name!r}",
        code="E415",
        hint="task: relation  # the default",
    )


def task_names() -> list[str]:
    """Every accepted task name: short names, then registry names, in registration order."""
    return [t.short_name for t in _REGISTRY.values()] + list(_REGISTRY)
