"""Several tasks per cross-validation: one config, identical folds, one CV directory.

``cv.tasks: [relation, novelty]`` trains, for every fold, the config's own task in
``DIR/fold_k/`` and every other task as a CV directory of its own in ``DIR/<short name>/``
(``DIR/novelty/fold_k/``, with its own ``cv.json``, configs, logs and ``cv_summary.json``).
The other tasks reuse the already resolved split files and rotation, so fold k of each task
trains and validates on exactly the same documents. ``relx eval DIR`` joins
``DIR/novelty/fold_k`` to ``DIR/fold_k`` (relx.evaluate.novelty_run_dir) and scores all four
BioRED settings.
"""

from __future__ import annotations

from typing import Any

__all__ = ["other_tasks", "task_cv_config"]


def other_tasks(config: Any) -> list[Any]:
    """The tasks of ``cv.tasks`` besides the config's own, in order (unknown names: E408)."""
    from relx.tasks import get_task

    own = get_task(config.task).name
    seen = {own}
    out = []
    for name in config.cv.tasks or []:
        task = get_task(name)
        if task.name not in seen:
            seen.add(task.name)
            out.append(task)
    return out


def task_cv_config(config: Any, task: Any) -> Any:
    """The CV config of ``task`` on the same resolved folds: its own labels, no further tasks."""
    task_config = config.model_copy(deep=True)
    task_config.task = task.name
    task_config.data.labels = None  # the task's own classes (filled by the task)
    task_config.cv.tasks = None
    return task_config
