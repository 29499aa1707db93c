"""The status a run loop ends with (or ``running`` while it has not)."""

__all__ = ["RunStatus"]


class RunStatus:
    """How a run ended (or that it has not)."""

    RUNNING = "running"
    DONE = "done"
    INTERRUPTED = "interrupted"
    ERROR = "error"
    DRAINED = "drained"  # stopped between supersteps, as its ``RunControl`` asked
