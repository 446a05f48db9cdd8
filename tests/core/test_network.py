"""The exchange network (``cckg.core.network``): edges from links and their evidence, year,
relation and city filters, a deterministic layout, and the GraphML and CSV exports."""

from __future__ import annotations

import csv
import io

import networkx as nx
import pytest

from cckg.core import network as net

A, B, C, D = (f"https://w3id.org/cckg/id/city/{n}" for n in ("a", "b", "c", "d"))
SOL, IDEA, EVENT = (
    "https://w3id.org/cckg/id/solution/s1",
    "https://w3id.org/cckg/id/project-idea/p1",
    "https://w3id.org/cckg/id/event/e1",
)
LINKS = [
    net.Link(A, B, "solution", SOL),
    net.Link(B, A, "solution", SOL),  # the same link seen from the other side
    net.Link(A, B, "partner", IDEA),
    net.Link(A, C, "event", EVENT),
    net.Link(B, C, "event", EVENT),
    net.Link(C, B, "event", EVENT),
    net.Link(C, D, "event", EVENT),
]
FACTS = {
    SOL: (("2017", "2018", "2019"), "municipal-services"),
    IDEA: (("2016",), "good-urban-governance"),
    EVENT: (("2021",), "municipal-services"),
}


def describe(via: str) -> tuple[tuple[str, ...], str]:
    return FACTS[via]


def test_edges_carry_their_evidence_once():
    g = net.build(LINKS, describe)
    assert g.number_of_nodes() == 4 and g.number_of_edges() == 4
    ab = g[A][B]
    assert [e.via for e in ab["evidence"]] == [SOL, IDEA]
    assert ab["weight"] == 2 and ab["relations"] == ["solution", "partner"]
    assert ab["years"] == ["2016", "2017", "2018", "2019"]
    assert ab["focus"] == "good-urban-governance"  # a tie: the order of the focus areas
    assert g.nodes[A]["activity"] == 3 and g.nodes[D]["activity"] == 1


def test_year_relation_and_city_filters():
    assert set(net.build(LINKS, describe, years=(2018, 2018)).edges) == {(A, B)}
    assert net.build(LINKS, describe, years=(2021, 2030)).number_of_edges() == 3
    assert net.build(LINKS, describe, years=(1990, 1991)).number_of_nodes() == 0
    only_events = net.build(LINKS, describe, relations=["event"])
    assert not only_events.has_edge(A, B) and only_events.has_edge(B, C)
    ego = net.build(LINKS, describe, city=D)
    assert set(ego.nodes) == {C, D} and ego.number_of_edges() == 1
    assert (
        net.build(LINKS, describe, city="https://w3id.org/cckg/id/city/zz").number_of_nodes() == 0
    )


@pytest.mark.parametrize(
    "text,expected", [("", None), ("2017", (2017, 2017)), ("2015-2018", (2015, 2018))]
)
def test_parse_years(text, expected):
    assert net.parse_years(text) == expected


@pytest.mark.parametrize("text", ["17", "2018-2015", "2017-", "abcd", "2017-18"])
def test_parse_years_refuses(text):
    with pytest.raises(ValueError):
        net.parse_years(text)


def test_layout_is_deterministic_and_inside_the_box():
    g = net.build(LINKS, describe)
    first = net.layout(g, 500, 300)
    again = net.layout(net.build(list(reversed(LINKS)), describe), 500, 300)
    assert first == again
    assert all(0 <= x <= 500 and 0 <= y <= 300 for x, y in first.values())
    assert net.layout(nx.Graph(), 500, 300) == {}


def test_graphml_round_trip():
    g = net.build(LINKS, describe)
    for node, (x, y) in net.layout(g, 500, 300).items():
        g.nodes[node]["x"], g.nodes[node]["y"] = x, y
    back = nx.read_graphml(io.BytesIO(net.graphml(g, {A: "Alpha"})))
    assert back.number_of_nodes() == 4 and back.number_of_edges() == 4
    assert back.nodes[A]["label"] == "Alpha" and back.nodes[B]["label"] == B
    assert back[A][B]["weight"] == 2 and back[A][B]["evidence"].split() == [SOL, IDEA]


def test_csv_tables():
    g = net.build(LINKS, describe)
    edges = list(csv.DictReader(io.StringIO(net.edges_csv(g, {A: "=Alpha"}))))
    assert len(edges) == 4
    ab = next(r for r in edges if {r["source"], r["target"]} == {A, B})
    assert ab["weight"] == "2" and ab["relations"] == "solution partner"
    assert ab["sourceLabel"].startswith("'")  # never a spreadsheet formula
    nodes = list(csv.DictReader(io.StringIO(net.nodes_csv(g, {}))))
    assert {r["id"]: r["degree"] for r in nodes}[C] == "3"


def test_a_component_too_large_for_the_spring_layout_is_laid_out_without_scipy():
    # 10^6-triple data has components of thousands of cities; networkx's spring layout needs
    # scipy from 500 nodes on, which is not a dependency (it failed with a 500 on /network).
    graph = nx.barabasi_albert_graph(size := net.SPRING_MAX_NODES + 100, 2, seed=1)
    graph = nx.relabel_nodes(graph, {n: f"city-{n:04d}" for n in graph})
    positions = net.layout(graph, 800, 600)
    assert len(positions) == size
    assert positions == net.layout(graph, 800, 600)  # deterministic
    assert len(set(positions.values())) == size  # no two cities on one spot
    hub = max(graph, key=graph.degree)
    centre = (
        sum(x for x, _ in positions.values()) / size,
        sum(y for _, y in positions.values()) / size,
    )
    leaf = min(graph, key=graph.degree)
    dist = lambda n: (positions[n][0] - centre[0]) ** 2 + (positions[n][1] - centre[1]) ** 2  # noqa: E731
    assert dist(hub) < dist(leaf)  # the most connected city in the middle
    for x, y in positions.values():
        assert 0 <= x <= 800 and 0 <= y <= 600
