"""/network: the exchange network between cities (``cckg.core.network``), drawn on the server.

Cities are nodes sized by activity and coloured by the focus area of their exchanges; edges
join cities that share a transferred solution, a partner link or an event, coloured likewise.
Filters: ``year`` (``2017`` or ``2015-2018``), ``relation`` (solution, partner, event; repeat
for several) and ``city`` (its exchange partners only). The SVG works without JavaScript: an
edge links to its evidence in the table below, a node to the city's page. ``network.js``
draws the same graph, at the same positions, with Cytoscape.js (zoom, pan, an edge's evidence
on click) from ``/network.json``. Exports for network analysis: ``/network.graphml`` (GraphML:
networkx, Gephi, Cytoscape) and ``/network.csv?table=edges|nodes``."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import networkx as nx
from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext
from rdflib import URIRef

from cckg.core import iris
from cckg.core import network as net
from cckg.core.focus import focus_of
from cckg.core.i18n import N_
from cckg.webapp.caching import cached
from cckg.webapp.errors import WebError
from cckg.webapp.i18n import current_lang
from cckg.webapp.page_cache import cached_page
from cckg.webapp.pages.geo import focus_legend
from cckg.webapp.store import get_search_index, get_store, local_path

bp = Blueprint("network", __name__)

WIDTH, HEIGHT = 1000.0, 640.0
# Links drawn and listed on /network and in /network.json: the strongest ones. At 1e6 triples
# the network has 47k links; drawing and listing them all took 8-10 s a page (and no one can
# read them). The GraphML and CSV exports hold them all.
MAX_LINKS = 1000
RELATION_NAMES = {
    "solution": N_("transferred solution"),
    "partner": N_("partner city of a project idea"),
    "event": N_("shared event"),
}


@dataclass(frozen=True)
class NetworkArgs:
    years: tuple[int, int] | None
    year_text: str
    relations: tuple[str, ...]
    city: str | None  # the city's IRI

    def query(self, **extra: str) -> str:
        params: list[tuple[str, str]] = []
        if self.year_text:
            params.append(("year", self.year_text))
        if set(self.relations) != set(net.RELATIONS):
            params += [("relation", r) for r in self.relations]
        if self.city:
            params.append(("city", self.city.rsplit("/", 1)[-1]))
        params += list(extra.items())
        return urlencode(params)


def network_args() -> NetworkArgs:
    """The filters of the query string, checked (400 naming the parameter)."""
    year_text = request.args.get("year", "").strip()
    try:
        years = net.parse_years(year_text)
    except ValueError as e:
        raise WebError(str(e)) from e
    chosen = [r.strip() for r in request.args.getlist("relation") if r.strip()]
    bad = [r for r in chosen if r not in net.RELATIONS]
    if bad:
        raise WebError(f"relation: {bad[0][:30]!r} is not one of {', '.join(net.RELATIONS)}")
    relations = tuple(r for r in net.RELATIONS if r in chosen) or net.RELATIONS
    city = None
    raw_city = request.args.get("city", "").strip()
    if raw_city:
        base = current_app.config["CCKG_BASE_IRI"]
        if raw_city.startswith(f"{base}id/city/"):
            raw_city = raw_city.rsplit("/", 1)[-1]
        try:
            city = str(iris.thing("city", raw_city, base))
        except ValueError as e:
            raise WebError(f"city: {e}") from e
    return NetworkArgs(years, year_text, relations, city)


# ---------------------------------------------------------------- the graph


def _describe() -> net.Describe:
    """Years and focus area of a piece of evidence, from the search index's documents."""
    index = get_search_index()
    base = get_store().base_iri

    def describe(via: str) -> tuple[tuple[str, ...], str]:
        doc = index.docs.get(via)
        if doc is None:
            return (), ""
        start, end = doc.start[:4], (doc.end or doc.start)[:4]
        if start.isdigit() and end.isdigit() and int(start) <= int(end) <= int(start) + 60:
            years = tuple(str(y) for y in range(int(start), int(end) + 1))
        else:
            years = (start,) if start.isdigit() else ()
        return years, focus_of(doc.themes, index.with_broader, base)

    return describe


def graph_for(a: NetworkArgs, width: float = WIDTH, height: float = HEIGHT) -> nx.Graph:
    """The filtered network with positions (node attributes ``x``, ``y``), once per store
    version and filter."""

    def compute() -> nx.Graph:
        links = cached("network:links", lambda: net.read_links(get_store()))
        graph = net.build(links, _describe(), a.years, a.relations, a.city)
        for node, (x, y) in net.layout(graph, width, height).items():
            graph.nodes[node]["x"], graph.nodes[node]["y"] = x, y
        return graph

    key = f"network:{a.year_text}:{','.join(a.relations)}:{a.city or ''}:{width}x{height}"
    return cached(key, compute)


def strongest(graph: nx.Graph) -> nx.Graph:
    """``graph`` itself, or when it has more than ``MAX_LINKS`` links, the view of its
    ``MAX_LINKS`` strongest links (by weight; ties by the cities' IRIs) and their cities."""
    if graph.number_of_edges() <= MAX_LINKS:
        return graph
    chosen = heapq.nlargest(
        MAX_LINKS, graph.edges(data="weight"), key=lambda e: (e[2], str(e[0]), str(e[1]))
    )
    return graph.edge_subgraph((a, b) for a, b, _ in chosen)


def labels_for(graph: nx.Graph, lang: str) -> dict[str, str]:
    index = get_search_index()
    out = {n: index.label(n, lang) for n in graph.nodes}
    for _, _, data in graph.edges(data=True):
        for e in data["evidence"]:
            out.setdefault(e.via, index.label(e.via, lang))
    return out


def _anchor(a: str, b: str) -> str:
    tail = lambda iri: iri.rstrip("/").rsplit("/", 1)[-1]  # noqa: E731
    return "".join(c if c.isalnum() or c == "-" else "_" for c in f"e-{tail(a)}-{tail(b)}")


def view(graph: nx.Graph, labels: dict[str, str], scale: float = 1.0) -> dict[str, Any]:
    """What the SVG template draws: nodes (radius by activity) and edges (width by weight)."""
    base = get_store().base_iri
    nodes = []
    for node, d in sorted(graph.nodes(data=True), key=lambda nd: -nd[1]["activity"]):
        nodes.append(
            {
                "iri": node,
                "x": d["x"],
                "y": d["y"],
                "r": round((4 + 2.2 * math.sqrt(d["activity"])) * scale, 1),
                "focus": d["focus"] or "none",
                "label": labels.get(node, node),
                "href": local_path(node, base),
                "activity": d["activity"],
                "degree": graph.degree(node),
            }
        )
    ranked = sorted(nodes, key=lambda n: (-n["activity"], n["label"]))
    shown = {n["iri"] for n in ranked[: max(12, len(nodes) // 4)]}
    for n in nodes:
        n["labelled"] = n["iri"] in shown
    nodes.reverse()  # big nodes drawn last, on top
    edges = []
    for a, b, d in sorted(graph.edges(data=True), key=lambda e: (e[2]["weight"], e[0], e[1])):
        a, b = sorted((a, b))
        evidence = [
            {
                "iri": e.via,
                "label": labels.get(e.via, e.via),
                "url": local_path(e.via, base),
                "relation": e.relation,
                "years": f"{e.years[0]}–{e.years[-1]}" if len(e.years) > 1 else "".join(e.years),
            }
            for e in d["evidence"]
        ]
        edges.append(
            {
                "id": _anchor(a, b),
                "source": a,
                "target": b,
                "x1": graph.nodes[a]["x"],
                "y1": graph.nodes[a]["y"],
                "x2": graph.nodes[b]["x"],
                "y2": graph.nodes[b]["y"],
                "width": round(min(1 + math.log2(d["weight"]) * 1.2, 6) * scale, 2),
                "weight": d["weight"],
                "focus": d["focus"] or "none",
                "relation": d["relations"][0],
                "relations": d["relations"],
                "source_label": labels.get(a, a),
                "target_label": labels.get(b, b),
                "evidence": evidence,
            }
        )
    return {"nodes": nodes, "edges": edges}


def _years_available() -> list[str]:
    graph = graph_for(NetworkArgs(None, "", net.RELATIONS, None))
    return sorted({y for _, _, d in graph.edges(data=True) for y in d["years"]}, reverse=True)


# ---------------------------------------------------------------- routes


@bp.get("/network")
def network_page() -> Response:
    a = network_args()
    return cached_page("network", lambda: _render_network(a))


def _render_network(a: NetworkArgs) -> str:
    lang = current_lang()
    whole = graph_for(a)
    graph = strongest(whole)
    labels = labels_for(graph, lang)
    drawn = view(graph, labels)
    edges_by_weight = sorted(drawn["edges"], key=lambda e: (-e["weight"], e["source_label"]))
    return render_template(
        "network.html",
        args=a,
        net=drawn,
        total_nodes=whole.number_of_nodes(),
        total_edges=whole.number_of_edges(),
        table=edges_by_weight,
        width=WIDTH,
        height=HEIGHT,
        years=_years_available(),
        relations=[(r, RELATION_NAMES[r], r in a.relations) for r in net.RELATIONS],
        city_label=labels.get(a.city, "") if a.city else "",
        legend=focus_legend(lang),
        graphml_url="/network.graphml?" + a.query(),
        edges_csv_url="/network.csv?" + a.query(table="edges"),
        nodes_csv_url="/network.csv?" + a.query(table="nodes"),
        json_url="/network.json?" + a.query(),
    )


@bp.get("/network.json")
def network_json() -> Response:
    """The graph for Cytoscape.js: elements with the server's positions and the evidence."""
    a = network_args()
    lang = current_lang()
    graph = strongest(graph_for(a))
    drawn = view(graph, labels_for(graph, lang))
    nodes = [
        {
            "data": {k: n[k] for k in ("label", "activity", "degree", "focus", "href")}
            | {"id": n["iri"], "size": n["r"] * 2},
            "position": {"x": n["x"], "y": n["y"]},
        }
        for n in drawn["nodes"]
    ]
    edges = [
        {
            "data": {
                "id": e["id"],
                "source": e["source"],
                "target": e["target"],
                "weight": e["weight"],
                "width": e["width"],
                "focus": e["focus"],
                "relation": e["relation"],
                "label": f"{e['source_label']} – {e['target_label']}",
            }
        }
        for e in drawn["edges"]
    ]
    return jsonify({"elements": {"nodes": nodes, "edges": edges}})


@bp.get("/network.graphml")
def network_graphml() -> Response:
    a = network_args()
    graph = graph_for(a)
    body = net.graphml(graph, labels_for(graph, "en"))
    response = Response(body, content_type="application/graphml+xml; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="cckg-network.graphml"'
    return response


@bp.get("/network.csv")
def network_csv() -> Response:
    a = network_args()
    table = request.args.get("table", "edges")
    if table not in ("edges", "nodes"):
        raise WebError(f"table: expected edges or nodes, not {table[:20]!r}")
    graph = graph_for(a)
    labels = labels_for(graph, "en")
    body = net.edges_csv(graph, labels) if table == "edges" else net.nodes_csv(graph, labels)
    response = Response(body, content_type="text/csv; charset=utf-8")
    name = f"cckg-network-{table}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.app_template_global()
def city_network(iri: str) -> dict[str, Any] | None:
    """The "exchanged with" network of a city page (its partners and the links among them),
    or None when the city exchanged with no one."""
    a = NetworkArgs(None, "", net.RELATIONS, str(URIRef(iri)))
    graph = graph_for(a, 480.0, 300.0)
    if graph.number_of_edges() == 0:
        return None
    lang = current_lang()
    drawn = view(graph, labels_for(graph, lang), scale=0.8)
    for n in drawn["nodes"]:
        n["labelled"] = True
    drawn["link"] = "/network?" + a.query()
    drawn["width"], drawn["height"] = 480.0, 300.0
    drawn["partners"] = sorted(
        (n for n in drawn["nodes"] if n["iri"] != iri), key=lambda n: n["label"].casefold()
    )
    return drawn


@bp.app_template_global()
def relation_name(relation: str) -> str:
    return gettext(RELATION_NAMES[relation]) if relation in RELATION_NAMES else relation
