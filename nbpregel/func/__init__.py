"""The functional API: write a workflow as a function, and its steps as tasks.

``@entrypoint`` turns a function into a graph (run with ``invoke`` / ``stream``, checkpointed,
resumable); ``@task`` makes a function whose calls inside it run as concurrent, checkpointed
tasks. Code written for LangGraph ports by changing ``from langgraph.func import ...`` to
``from nbpregel.func import ...``.

Example:
    >>> from nbpregel.func import entrypoint, task
    >>> @task
    ... def shout(word: str) -> str:
    ...     return word.upper()
    >>> @entrypoint()
    ... def greet(name: str) -> str:
    ...     return shout(f"hello {name}").result()
    >>> greet.invoke("ada")
    'HELLO ADA'
    >>> list(greet.stream("bob"))
    [{'shout': 'HELLO BOB'}, {'greet': 'HELLO BOB'}]
"""

from nbpregel.func._entrypoint import entrypoint
from nbpregel.func._task import task

__all__ = ["entrypoint", "task"]
