"""Classic vertex programs (spec §10) give the answers of plain textbook algorithms computed
here independently: shortest paths (Dijkstra), PageRank (power iteration), connected
components (union-find)."""

from __future__ import annotations

import asyncio
import heapq
import math
import operator
import random
from typing import Any

import pytest

from nbpregel.vertex import Vertex, VertexProgram, send, vote_to_halt

pytestmark = pytest.mark.timeout(60)


def shortest_paths(vertex: Vertex, messages: tuple[float, ...]) -> None:
    """The textbook program: improve, tell the neighbours, halt."""
    best = min(messages, default=math.inf)
    improved = best < vertex.value
    if improved:
        vertex.value = best
    if improved or (vertex.superstep == 0 and vertex.value < math.inf):
        for target, weight in vertex.edges.items():
            send(target, vertex.value + weight)
    vote_to_halt()


def random_weighted(n: int, degree: int, seed: int) -> list[tuple[int, int, float]]:
    rnd = random.Random(seed)
    return [
        (u, v, round(rnd.uniform(0.5, 5.0), 2))
        for u in range(n)
        for v in rnd.sample([w for w in range(n) if w != u], degree)
    ]


def dijkstra(edges: list[tuple[int, int, float]], n: int, source: int) -> dict[str, float]:
    out: dict[int, list[tuple[int, float]]] = {u: [] for u in range(n)}
    for u, v, w in edges:
        out[u].append((v, w))
    dist = dict.fromkeys(range(n), math.inf)
    dist[source] = 0.0
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, w in out[u]:
            if d + w < dist[v]:
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return {str(u): d for u, d in dist.items()}


@pytest.mark.parametrize("combiner", [min, None], ids=["combined", "plain"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shortest_paths_match_dijkstra(seed: int, combiner: Any) -> None:
    edges = random_weighted(60, 3, seed)
    program = VertexProgram(shortest_paths, edges, values=math.inf, combiner=combiner)
    result = program.compile().invoke({0: 0.0})
    expected = dijkstra(edges, 60, 0)
    assert result.keys() == expected.keys()
    for name, distance in expected.items():
        assert result[name] == pytest.approx(distance, abs=1e-9), name


def pagerank_program(supersteps: int) -> Any:
    def rank(vertex: Vertex, messages: tuple[float, ...]) -> None:
        if vertex.superstep > 0:
            vertex.value = 0.15 / vertex.num_vertices + 0.85 * sum(messages)
        if vertex.superstep < supersteps:
            vertex.send_to_neighbors(vertex.value / len(vertex.edges))
        else:
            vertex.vote_to_halt()

    return rank


def power_iteration(out: dict[int, list[int]], iterations: int) -> dict[str, float]:
    n = len(out)
    rank = dict.fromkeys(out, 1 / n)
    for _ in range(iterations):
        incoming = dict.fromkeys(out, 0.0)
        for u, targets in out.items():
            for v in targets:
                incoming[v] += rank[u] / len(targets)
        rank = {u: 0.15 / n + 0.85 * incoming[u] for u in out}
    return {str(u): r for u, r in rank.items()}


def test_pagerank_matches_a_power_iteration() -> None:
    rnd = random.Random(7)
    out = {u: rnd.sample([v for v in range(300) if v != u], 4) for u in range(300)}
    program = VertexProgram(pagerank_program(25), out, values=1 / 300, combiner=operator.add)
    result = program.compile().invoke({})
    expected = power_iteration(out, 25)
    assert max(abs(result[name] - rank) for name, rank in expected.items()) < 1e-12
    assert sum(result.values()) == pytest.approx(1.0)


def components(vertex: Vertex, messages: tuple[str, ...]) -> None:
    """Min-label propagation: each vertex ends with the smallest name in its component."""
    smallest = min(messages, default=vertex.id)
    if vertex.superstep == 0 or smallest < vertex.value:
        vertex.value = min(smallest, vertex.id if vertex.value is None else vertex.value)
        vertex.send_to_neighbors(vertex.value)
    vertex.vote_to_halt()


def union_find(pairs: list[tuple[str, str]], names: list[str]) -> dict[str, str]:
    parent = {name: name for name in names}

    def root(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {name: root(name) for name in names}


def test_connected_components_match_union_find() -> None:
    rnd = random.Random(3)
    names = [f"v{i:03d}" for i in range(120)]
    pairs = [tuple(rnd.sample(names, 2)) for _ in range(90)]
    both_ways = {(a, b) for a, b in pairs} | {(b, a) for a, b in pairs}
    program = VertexProgram(components, sorted(both_ways), vertices=names, combiner=min)
    assert program.compile().invoke({}) == union_find(pairs, names)  # type: ignore[arg-type]


def test_ainvoke_gives_what_invoke_gives() -> None:
    edges = random_weighted(30, 3, 9)
    app = VertexProgram(shortest_paths, edges, values=math.inf, combiner=min).compile()
    assert asyncio.run(app.ainvoke({5: 0.0})) == app.invoke({5: 0.0}) == dijkstra(edges, 30, 5)
