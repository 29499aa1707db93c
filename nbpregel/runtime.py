"""What a running node can reach besides its state: the run's context, the store, and more.

Declare a ``runtime`` parameter on a node (``def node(state, runtime: Runtime[Ctx])``), or call
:func:`get_runtime` inside it. ``Runtime.context`` is what the run was given as
``invoke(..., context=...)``; ``Runtime.store`` is the graph's ``compile(store=...)``.
"""

from nbpregel.errors import InvalidContextError
from nbpregel.pregel._control import RunControl
from nbpregel.pregel._runtime import ExecutionInfo, Runtime, get_runtime

__all__ = ["ExecutionInfo", "InvalidContextError", "RunControl", "Runtime", "get_runtime"]
