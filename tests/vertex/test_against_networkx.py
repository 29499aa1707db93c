"""The classic vertex programs against NetworkX, the reference the spec names (notebook.md §6):
shortest paths, connected components and PageRank run to convergence with an aggregator, on
random graphs."""

from __future__ import annotations

import math
import operator
import random

import networkx as nx
import pytest

from nbpregel.vertex import Vertex, VertexProgram

from .test_algorithms import components, random_weighted, shortest_paths

pytestmark = pytest.mark.timeout(60)
DAMPING = 0.85
TOLERANCE = 1e-13


@pytest.mark.parametrize("seed", [11, 12])
def test_shortest_paths_agree_with_networkx(seed: int) -> None:
    edges = random_weighted(150, 2, seed)
    result = (
        VertexProgram(shortest_paths, edges, values=math.inf, combiner=min)
        .compile()
        .invoke({0: 0.0})
    )
    graph = nx.DiGraph()
    graph.add_nodes_from(range(150))
    graph.add_weighted_edges_from(edges)
    reached = nx.single_source_dijkstra_path_length(graph, 0)
    assert {name for name, distance in result.items() if distance < math.inf} == {
        str(vertex) for vertex in reached
    }
    for vertex, distance in reached.items():
        assert result[str(vertex)] == pytest.approx(distance, abs=1e-9)


def test_components_agree_with_networkx() -> None:
    rnd = random.Random(5)
    names = [f"v{i:03d}" for i in range(200)]
    pairs = [tuple(rnd.sample(names, 2)) for _ in range(150)]
    graph = nx.Graph(pairs)
    graph.add_nodes_from(names)
    expected = {name: min(part) for part in nx.connected_components(graph) for name in part}
    both_ways = sorted({(a, b) for a, b in pairs} | {(b, a) for a, b in pairs})
    program = VertexProgram(components, both_ways, vertices=names, combiner=min)
    assert program.compile().invoke({}) == expected
    assert len(set(expected.values())) > 10  # many components, not one


def converging_pagerank(vertex: Vertex, messages: tuple[float, ...]) -> None:
    """PageRank until the largest change of a superstep (an aggregator) is below TOLERANCE."""
    if vertex.superstep > 0:
        rank = (1 - DAMPING) / vertex.num_vertices + DAMPING * sum(messages)
        vertex.aggregate("change", abs(rank - vertex.value))
        vertex.value = rank
    if vertex.superstep > 1 and vertex.aggregated("change") < TOLERANCE:
        vertex.vote_to_halt()
        return
    vertex.send_to_neighbors(vertex.value / len(vertex.edges))


def test_pagerank_to_convergence_agrees_with_networkx() -> None:
    rnd = random.Random(2010)
    links = {
        u: rnd.sample([v for v in range(400) if v != u], rnd.randint(1, 5)) for u in range(400)
    }
    program = VertexProgram(
        converging_pagerank,
        links,
        values=1 / len(links),
        combiner=operator.add,
        aggregators={"change": max},
    )
    result = program.compile().invoke({})
    graph = nx.DiGraph([(u, v) for u, targets in links.items() for v in targets])
    expected = nx.pagerank(graph, alpha=DAMPING, tol=1e-15, max_iter=1000)
    assert max(abs(result[str(u)] - rank) for u, rank in expected.items()) < 1e-9
    assert sum(result.values()) == pytest.approx(1.0, abs=1e-9)
