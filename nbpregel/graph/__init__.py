"""Graph builders: ``StateGraph`` and the data ``get_graph()`` returns."""

from nbpregel.constants import END, START
from nbpregel.graph._compiled import CompiledStateGraph
from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
from nbpregel.graph.message import MessagesState, add_messages
from nbpregel.graph.state import StateGraph

__all__ = [
    "END",
    "START",
    "CompiledStateGraph",
    "DrawableEdge",
    "DrawableGraph",
    "DrawableNode",
    "MessagesState",
    "StateGraph",
    "add_messages",
]
