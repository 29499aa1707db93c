"""The low-level graph: ``Pregel`` with nodes declared through ``NodeBuilder``."""

from nbpregel.pregel._context import get_config, get_stream_writer, interrupt
from nbpregel.pregel._node import NodeBuilder, PregelNode
from nbpregel.pregel.main import Pregel

__all__ = ["NodeBuilder", "Pregel", "PregelNode", "get_config", "get_stream_writer", "interrupt"]
