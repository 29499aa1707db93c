"""Classic vertex-centric Pregel, for teaching BSP: ``compute(vertex, messages)`` for every
active vertex, ``send``, ``vote_to_halt``, combiners and aggregators, on the same superstep loop
as every other graph (so streams, checkpoints and the notebook views work unchanged).

Example:
    >>> import operator
    >>> from nbpregel.vertex import VertexProgram
    >>> def rank(vertex, messages):
    ...     if vertex.superstep > 0:
    ...         vertex.value = 0.15 / vertex.num_vertices + 0.85 * sum(messages)
    ...     if vertex.superstep < 20:
    ...         vertex.send_to_neighbors(vertex.value / len(vertex.edges))
    ...     else:
    ...         vertex.vote_to_halt()
    >>> cycle = VertexProgram(rank, {"a": ["b"], "b": ["c"], "c": ["a"]}, values=1 / 3,
    ...                       combiner=operator.add)
    >>> {name: round(value, 3) for name, value in cycle.compile().invoke({}).items()}
    {'a': 0.333, 'b': 0.333, 'c': 0.333}
"""

from nbpregel.vertex._graph import VertexGraph
from nbpregel.vertex._program import DEFAULT_MAX_SUPERSTEPS, VertexProgram
from nbpregel.vertex._vertex import Vertex, aggregate, send, vote_to_halt

__all__ = [
    "DEFAULT_MAX_SUPERSTEPS",
    "Vertex",
    "VertexGraph",
    "VertexProgram",
    "aggregate",
    "send",
    "vote_to_halt",
]
