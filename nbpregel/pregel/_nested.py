"""Subgraphs: a graph run from inside a running task nests under that task's run.

A compiled graph added as a node, or invoked from inside a node's function, runs as a child of
the task that started it:

- its checkpoints live in the same thread under the child namespace ``node:task_id`` (nested
  deeper for subgraphs of subgraphs; a second graph invoked by the same task gets ``…|1``);
- it uses the parent's checkpointer unless it has its own (``checkpointer=False`` opts out);
- when the parent task runs again (after an interrupt or an error), the child continues from its
  own latest checkpoint instead of starting over, and receives the parent's answer;
- its stream chunks reach the parent's stream, prefixed with its namespace, when the caller asked
  for ``subgraphs=True``;
- an interrupt inside it pauses the parent (``GraphInterrupt`` unwinds the parent task).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nbpregel.channels.base import MISSING
from nbpregel.constants import (
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    NS_END,
    NS_SEP,
)
from nbpregel.pregel._context import CURRENT, ResumeMap, WorkerRun
from nbpregel.types import Command

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop

__all__ = ["Nesting", "nesting"]


@dataclasses.dataclass(slots=True)
class Nesting:
    """What a child run inherits from the task that started it.

    Attributes:
        parent: the parent's run.
        ns: the child's namespace, one part per level (``("sub:<task id>",)``).
        config: the parent's config, addressed at the child's namespace (latest checkpoint).
        saver: the checkpointer the child uses (``None`` for none).
        answer: the parent's resume answer meant for this child, or ``MISSING``.
    """

    parent: RunLoop
    ns: tuple[str, ...]
    config: dict[str, Any]
    saver: Any
    answer: Any

    @property
    def ns_str(self) -> str:
        """The namespace as saved with checkpoints: parts joined with ``|``."""
        return NS_SEP.join(self.ns)

    @property
    def parents(self) -> dict[str, str]:
        """Checkpoint metadata ``parents``: each enclosing namespace -> its current checkpoint."""
        above = self.parent.persistence
        return {**above.parents, self.parent.ns_str: above.checkpoint_id}

    def child_config(self, own: Mapping[str, Any] | None) -> dict[str, Any]:
        """The child's config: the caller's own settings, addressed at the child's namespace."""
        own = dict(own or {})
        # A time-travelling parent's checkpoint id is not the child's (it has its own history).
        mine = {
            k: v for k, v in own.pop("configurable", {}).items() if k != CONFIG_KEY_CHECKPOINT_ID
        }
        configurable = {**mine, **self.config["configurable"]}
        return {**self.config, **own, "configurable": configurable}

    def child_input(self, input: Any, has_history: bool) -> Any:
        """What the child starts from: its input, or (when it ran before) a continuation.

        A child that already has checkpoints in its namespace was paused or failed inside this
        same parent task: it continues from where it stopped, answering its interrupt with the
        parent's resume value when there is one.
        """
        if not has_history:
            return input
        if self.answer is not MISSING:
            return Command(resume=self.answer)
        return None


def nesting(checkpointer: Any) -> Nesting | None:
    """The nesting of a run started now, or ``None`` for a top-level run.

    Args:
        checkpointer: the child graph's own setting: a saver, ``None`` (inherit the parent's)
            or ``False`` (keep no checkpoints).
    """
    runtime = CURRENT.get()
    if runtime is None or isinstance(runtime.loop, WorkerRun):
        return None  # a top-level run (in a task shipped to another process: on its own)
    parent = runtime.loop
    task = runtime.task
    own = f"{task.name}{NS_END}{task.id}"
    ns = (*parent.ns, own) if runtime.nested == 0 else (*parent.ns, own, str(runtime.nested))
    runtime.nested += 1
    answer = runtime.next_resume
    runtime.next_resume = MISSING
    configurable = {
        key: value
        for key, value in parent.run_config.get("configurable", {}).items()
        if key != CONFIG_KEY_CHECKPOINT_ID
    }
    configurable[CONFIG_KEY_CHECKPOINT_NS] = NS_SEP.join(ns)
    config = {**parent.run_config, "configurable": configurable}
    if checkpointer is False:
        saver = None
    elif checkpointer is not None:
        saver = checkpointer
    else:
        saver = parent.persistence.saver
    return Nesting(
        parent=parent,
        ns=ns,
        config=config,
        saver=saver,
        answer=dict(answer) if isinstance(answer, ResumeMap) else answer,
    )
