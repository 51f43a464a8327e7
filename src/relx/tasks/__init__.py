"""relx.tasks: what a model is trained to predict, behind one protocol (docs/architecture.md).

``get_task("relation")`` (or ``"relx.task.relation.v1"``) returns the relation task; the
config's top-level ``task`` key names one. A new task is a new module here plus one
:func:`register_task` line below.
"""

from relx.tasks._protocol import Task, get_task, register_task, task_names
from relx.tasks._novelty import NOVELTY_LABELS, NOVELTY_TASK, NoveltyTask
from relx.tasks._relation import RELATION_TASK, RelationTask

register_task(RELATION_TASK)
register_task(NOVELTY_TASK)

__all__ = ["Task", "get_task", "register_task", "task_names", "RelationTask", "RELATION_TASK",
           "NoveltyTask", "NOVELTY_TASK", "NOVELTY_LABELS"]
