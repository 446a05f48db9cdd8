"""The exchange network between cities, as a networkx graph: who learnt from whom, and where
the evidence is.

Edges join two cities that share a piece of evidence: a good practice of one city with its
partner city (``solution``: a transferred solution), a project idea of one city with its partner
city (``partner``), or an event both took part in, as host or participant (``event``). An edge
keeps every piece of evidence (the IRI of the solution, project idea or event, its relation,
years and focus area); its weight is their number. A city's activity is the number of distinct
pieces of evidence it is part of. The links come from ``queries/network/list_exchange_links.rq``
(the unpaged form of the named query ``list_exchange_network``), read through the Store
interface.

The layout is deterministic (networkx spring layout with a fixed seed on nodes and edges in a
fixed order), so the server's SVG and the interactive view agree and tests can rely on it."""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import networkx as nx

from cckg.core.focus import dominant
from cckg.core.queries import helper
from cckg.core.query_jobs import neutralise_formula
from cckg.core.store import Store

RELATIONS = ("solution", "partner", "event")  # strongest first
SEED = 20141124  # the layout's seed (any fixed number: the date of the first dialogue event)


@dataclass(frozen=True)
class Link:
    city: str
    partner: str
    relation: str  # one of RELATIONS
    via: str  # the evidence: a solution, project idea or event


@dataclass(frozen=True)
class Evidence:
    via: str
    relation: str
    years: tuple[str, ...]  # the years it covers ("" unknown)
    focus: str  # focus area slug ("" none)


Describe = Callable[[str], tuple[tuple[str, ...], str]]  # via -> (years, focus)


def read_links(store: Store) -> list[Link]:
    """Every link of the network, in a stable order."""
    return [
        Link(str(r["city"]), str(r["partner"]), str(r["relation"]), str(r["via"]))
        for r in store.select(helper("network/list_exchange_links"))
    ]


def parse_years(text: str) -> tuple[int, int] | None:
    """``2017`` or ``2015-2018`` as an inclusive range; None when empty. Raises ValueError."""
    text = text.strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", text)
    if m is None:
        raise ValueError(f"year: expected YYYY or YYYY-YYYY, not {text[:20]!r}")
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    if lo > hi:
        raise ValueError("year: the first year of a range comes first")
    return lo, hi


def _in_years(evidence: Evidence, years: tuple[int, int] | None) -> bool:
    if years is None:
        return True
    return any(y.isdigit() and years[0] <= int(y) <= years[1] for y in evidence.years)


def build(
    links: Iterable[Link],
    describe: Describe,
    years: tuple[int, int] | None = None,
    relations: Iterable[str] = RELATIONS,
    city: str | None = None,
) -> nx.Graph:
    """The network of ``links`` whose evidence falls in ``years`` and ``relations``; with
    ``city``, only that city, the cities it exchanged with, and the links among them."""
    wanted = set(relations)
    graph = nx.Graph()
    seen: set[tuple[str, str, str]] = set()
    for link in links:
        if link.relation not in wanted:
            continue
        a, b = sorted((link.city, link.partner))
        if (a, b, link.via) in seen:
            continue
        found_years, focus = describe(link.via)
        evidence = Evidence(link.via, link.relation, found_years, focus)
        if not _in_years(evidence, years):
            continue
        seen.add((a, b, link.via))
        if graph.has_edge(a, b):
            graph[a][b]["evidence"].append(evidence)
        else:
            graph.add_edge(a, b, evidence=[evidence])
    if city is not None:
        keep = {city, *graph.neighbors(city)} if city in graph else set()
        graph = graph.subgraph(sorted(keep)).copy()
    _summarise(graph)
    return graph


def _summarise(graph: nx.Graph) -> None:
    """Edge weight, relations, years and focus; node activity and focus."""
    per_node: dict[str, dict[str, Evidence]] = {n: {} for n in graph.nodes}
    for a, b, data in graph.edges(data=True):
        evidence = sorted(data["evidence"], key=lambda e: (RELATIONS.index(e.relation), e.via))
        data["evidence"] = evidence
        data["weight"] = len(evidence)
        data["relations"] = [r for r in RELATIONS if any(e.relation == r for e in evidence)]
        data["years"] = sorted({y for e in evidence for y in e.years if y})
        data["focus"] = dominant(Counter(e.focus for e in evidence if e.focus))
        for e in evidence:
            per_node[a][e.via] = e
            per_node[b][e.via] = e
    for node, by_via in per_node.items():
        graph.nodes[node]["activity"] = len(by_via)
        graph.nodes[node]["focus"] = dominant(Counter(e.focus for e in by_via.values() if e.focus))


def layout(
    graph: nx.Graph, width: float, height: float, margin: float = 30.0
) -> dict[str, tuple[float, float]]:
    """Deterministic positions in a ``width`` × ``height`` box.

    Each connected component gets its own spring layout (fixed seed, nodes added in name
    order) in a square whose side grows with the root of its size; the squares are packed in
    rows, largest first. (One spring layout of the whole graph pushes the small components to
    the edges and squeezes the big one into the middle.)"""
    if graph.number_of_nodes() == 0:
        return {}
    components = sorted(
        (sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0])
    )
    total = graph.number_of_nodes()
    row_limit = max(math.sqrt(total) * 1.9, math.sqrt(len(components[0])))
    gap = 0.45
    placed: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for nodes in components:
        side = math.sqrt(len(nodes)) if len(nodes) > 2 else 0.6 * len(nodes)
        if x > 0 and x + side > row_limit:
            x, y, row_height = 0.0, y + row_height + gap, 0.0
        for node, (px, py) in _component_layout(graph.subgraph(nodes), side).items():
            placed[node] = (x + px, y + py)
        x += side + gap
        row_height = max(row_height, side)
    xs = [p[0] for p in placed.values()]
    ys = [p[1] for p in placed.values()]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = (width - 2 * margin) / max(x1 - x0, 1e-9)
    sy = (height - 2 * margin) / max(y1 - y0, 1e-9)
    s = min(sx, sy * 1.6) if y1 > y0 else sx
    sy = min(sy, s)
    ox = (width - (x1 - x0) * s) / 2
    oy = (height - (y1 - y0) * sy) / 2
    return {
        n: (round(ox + (p[0] - x0) * s, 1), round(oy + (p[1] - y0) * sy, 1))
        for n, p in placed.items()
    }


# networkx lays out 500 nodes or more with scipy's sparse matrices (not a dependency), and a
# force layout of thousands of cities in a request would take seconds anyway.
SPRING_MAX_NODES = 500


def _sunflower(component: nx.Graph, nodes: list[str]) -> dict[str, tuple[float, float]]:
    """Nodes on a sunflower spiral, the most connected at the centre: deterministic, even
    spacing, no dependency; for components too large for the spring layout."""
    ranked = sorted(nodes, key=lambda n: (-component.degree(n), n))
    golden = math.pi * (3 - math.sqrt(5))
    return {
        n: (math.sqrt(i + 0.5) * math.cos(i * golden), math.sqrt(i + 0.5) * math.sin(i * golden))
        for i, n in enumerate(ranked)
    }


def _component_layout(component: nx.Graph, side: float) -> dict[str, tuple[float, float]]:
    """One connected component laid out in a ``side`` × ``side`` square."""
    nodes = sorted(component.nodes)
    if len(nodes) == 1:
        return {nodes[0]: (side / 2, side / 2)}
    if len(nodes) == 2:
        return {nodes[0]: (0.0, side / 2), nodes[1]: (side, side / 2)}
    if len(nodes) >= SPRING_MAX_NODES:
        raw = _sunflower(component, nodes)
    else:
        ordered = nx.Graph()
        ordered.add_nodes_from(nodes)
        ordered.add_edges_from(sorted((min(a, b), max(a, b)) for a, b in component.edges))
        raw = nx.spring_layout(ordered, seed=SEED, iterations=150)
    xs = [p[0] for p in raw.values()]
    ys = [p[1] for p in raw.values()]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    return {
        n: (
            (p[0] - x0) / max(x1 - x0, 1e-9) * side,
            (p[1] - y0) / max(y1 - y0, 1e-9) * side,
        )
        for n, p in raw.items()
    }


def graphml(graph: nx.Graph, labels: dict[str, str]) -> bytes:
    """The network as GraphML: nodes with label, activity and focus area; edges with weight,
    relations, focus area, years and the evidence IRIs (space-separated)."""
    out = nx.Graph()
    for node, data in sorted(graph.nodes(data=True)):
        out.add_node(
            node,
            label=labels.get(node, node),
            activity=int(data["activity"]),
            focus=data["focus"],
            **({"x": float(data["x"]), "y": float(data["y"])} if "x" in data else {}),
        )
    for a, b, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        out.add_edge(a, b, **edge_fields(data))
    buffer = io.BytesIO()
    nx.write_graphml(out, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def edge_fields(data: dict) -> dict[str, object]:
    return {
        "weight": int(data["weight"]),
        "relations": " ".join(data["relations"]),
        "focus": data["focus"],
        "years": " ".join(data["years"]),
        "evidence": " ".join(e.via for e in data["evidence"]),
    }


def edges_csv(graph: nx.Graph, labels: dict[str, str]) -> str:
    """One row per edge: the two cities (IRI and label), weight, relations, focus area, years
    and the evidence IRIs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "source",
            "sourceLabel",
            "target",
            "targetLabel",
            "weight",
            "relations",
            "focus",
            "years",
            "evidence",
        ]
    )
    for a, b, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        a, b = sorted((a, b))
        fields = edge_fields(data)
        writer.writerow(
            [
                a,
                neutralise_formula(labels.get(a, a)),
                b,
                neutralise_formula(labels.get(b, b)),
                fields["weight"],
                fields["relations"],
                fields["focus"],
                fields["years"],
                fields["evidence"],
            ]
        )
    return buffer.getvalue()


def nodes_csv(graph: nx.Graph, labels: dict[str, str]) -> str:
    """One row per city: IRI, label, activity, degree and focus area."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", "label", "activity", "degree", "focus"])
    for node, data in sorted(graph.nodes(data=True)):
        writer.writerow(
            [
                node,
                neutralise_formula(labels.get(node, node)),
                data["activity"],
                graph.degree(node),
                data["focus"],
            ]
        )
    return buffer.getvalue()
