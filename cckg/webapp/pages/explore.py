"""Browser pages that are not tied to one API: /explore, /editor (YASGUI) and the favicon."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request
from rdflib import Literal, URIRef
from werkzeug.wrappers import Response

from cckg.core.queries import helper, helper_source, named_queries
from cckg.core.sparql_text import substitute_term
from cckg.webapp.caching import cached
from cckg.webapp.i18n import current_lang
from cckg.webapp.store import get_search_index, get_store

bp = Blueprint("frontend", __name__)

CLASS_COUNTS = helper_source("pages/count_class_instances")
PROPERTY_COUNTS = helper_source("pages/count_property_uses")
GRAPHS = helper_source("pages/list_graphs")
GRAPH_SIZES = helper("internal/count_graph_triples")


def short(iri: str) -> str:
    """A compact name for a vocabulary IRI (the part after # or the last /)."""
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def _explore_data() -> dict[str, Any]:
    store = get_store()
    classes = [(str(r["class"]), int(r["n"])) for r in store.select(CLASS_COUNTS)]
    props = [(str(r["property"]), int(r["n"])) for r in store.select(PROPERTY_COUNTS)]
    sizes = {str(r["g"]): int(r["triples"]) for r in store.select(GRAPH_SIZES)}
    graphs: dict[str, dict[str, Any]] = {}
    for r in store.select(GRAPHS):
        g = graphs.setdefault(str(r["graph"]), {"iri": str(r["graph"]), "license": set()})
        g["loaded"] = str(r["loaded"])[:19].replace("T", " ")
        for key in ("checksum", "from", "source"):
            if key in r:
                g[key] = str(r[key])
        if "license" in r:
            g["license"].add(str(r["license"]))
    for g in graphs.values():
        g["triples"] = sizes.get(g["iri"], 0)
    return {"classes": classes, "properties": props, "graphs": list(graphs.values())}


def bars(pairs: list[tuple[str, int]], limit: int = 15) -> list[tuple[str, int, float]]:
    """(label, count, percent of the largest) for a CSS bar chart."""
    pairs = pairs[:limit]
    top = max((n for _, n in pairs), default=0) or 1
    return [(label, n, round(100 * n / top, 1)) for label, n in pairs]


@bp.get("/explore")
def explore() -> str:
    data = cached("frontend:explore", _explore_data)
    lang = current_lang()
    index = get_search_index()
    everything = index.search("", {}, page_size=1)
    solutions = index.search("", {"kind": "solution"}, page_size=1)
    top_themes = [  # only the top of the hierarchy, so bars do not double count
        (t, n) for t, n in solutions.facets["theme"] if not index.broader.get(t)
    ]
    return render_template(
        "explore.html",
        data=data,
        short=short,
        region_bars=bars([(index.label(r, lang), n) for r, n in everything.facets["region"]]),
        theme_bars=bars([(index.label(t, lang), n) for t, n in top_themes]),
        theme_links=[(t, index.label(t, lang)) for t, _ in top_themes],
        sparql={
            "classes": CLASS_COUNTS,
            "properties": PROPERTY_COUNTS,
            "graphs": GRAPHS,
        },
    )


def named_query_examples() -> list[dict[str, str]]:
    return [
        {"name": q.name, "title": q.title, "description": q.description, "text": q.text}
        for q in sorted(named_queries().values(), key=lambda q: q.title)
    ]


@bp.get("/editor")
def editor() -> str:
    examples = cached("frontend:examples", named_query_examples)
    chosen = request.args.get("example", "")
    query = request.args.get("query") or next(
        (e["text"] for e in examples if e["name"] == chosen),
        examples[0]["text"] if examples else "",
    )
    return render_template("editor.html", examples=examples, query=query, chosen=chosen)


@bp.get("/favicon.ico")
def favicon() -> Response:
    response = current_app.send_static_file("favicon.svg")
    response.mimetype = "image/svg+xml"
    response.cache_control.max_age = 86400
    return response


FACET_ORDER = ("theme", "kind", "country", "region", "status", "sdg", "year", "format")
FACET_TITLES = {
    "theme": ("Theme", "Thema", "Tema", "Thème"),
    "kind": ("Kind", "Art", "Tipo", "Type"),
    "country": ("Country", "Land", "País", "Pays"),
    "region": ("Region", "Region", "Región", "Région"),
    "status": ("Status", "Status", "Estado", "Statut"),
    "sdg": ("SDG", "SDG", "ODS", "ODD"),
    "year": ("Year", "Jahr", "Año", "Année"),
    "format": ("Format", "Format", "Formato", "Format"),
}


KIND_NAMES = {
    "solution": ("Solution", "Lösung", "Solución", "Solution"),
    "institution": ("Institution", "Institution", "Institución", "Institution"),
    "event": ("Event", "Veranstaltung", "Evento", "Événement"),
    "project-idea": ("Project idea", "Projektidee", "Idea de proyecto", "Idée de projet"),
    "need": ("Need", "Bedarf", "Necesidad", "Besoin"),
    "offer": ("Offer", "Angebot", "Oferta", "Offre"),
    "practitioner": (
        "Practitioner (example)",
        "Fachperson (Beispiel)",
        "Profesional (ejemplo)",
        "Praticien (exemple)",
    ),
}


def _search_url(args: dict[str, str], **changes: str | None) -> str:
    merged = {**args, **changes}  # ``args`` has no page: a new filter starts at page 1
    return "/search?" + urlencode({k: v for k, v in merged.items() if v})


@bp.app_template_global()
def search_facets(index: Any, result: Any, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Facet groups for the search page: labelled values with links that keep the other
    filters (toggling this one), themes in hierarchy order with their depth."""
    from cckg.webapp.i18n import UI_LANGS

    lang = current_lang()
    i = UI_LANGS.index(lang) if lang in UI_LANGS else 0
    args = {k: v for k, v in request.args.items() if k not in ("page",)}
    groups = []
    for name in FACET_ORDER:
        values = result.facets.get(name) or []
        if not values:
            continue
        counts = dict(values)
        if name == "theme":
            ordered = _theme_tree(index, counts)
        else:
            ordered = [(v, 0) for v, _ in values]
        items = []
        for value, depth in ordered:
            slug = value.rsplit("/", 1)[-1]
            on = filters.get(name) in (value, slug)
            label = index.label(value, lang) if "/" in value else value
            if name == "kind" and value in KIND_NAMES:
                label = KIND_NAMES[value][i]
            items.append(
                {
                    "label": label,
                    "count": counts[value],
                    "depth": min(depth, 2),
                    "on": on,
                    "url": _search_url(args, **{name: None if on else slug}),
                }
            )
        title = FACET_TITLES[name][i]
        groups.append({"name": name, "title": title, "items": items[:25]})
    return groups


def _theme_tree(index: Any, counts: dict[str, int]) -> list[tuple[str, int]]:
    """Themes depth-first from the roots, narrower under broader, largest first."""
    children: dict[str, list[str]] = {}
    roots = []
    for t in counts:
        parents = [p for p in index.broader.get(t, ()) if p in counts]
        if parents:
            children.setdefault(parents[0], []).append(t)
        else:
            roots.append(t)
    out: list[tuple[str, int]] = []

    def walk(t: str, depth: int) -> None:
        out.append((t, depth))
        for c in sorted(children.get(t, []), key=lambda c: -counts[c]):
            walk(c, depth + 1)

    for r in sorted(roots, key=lambda r: -counts[r]):
        walk(r, 0)
    return out


@bp.app_template_global()
def page_url(page: int) -> str:
    args = {k: v for k, v in request.args.items()}
    args["page"] = str(page)
    return "/search?" + urlencode(args)


# ---------------------------------------------------------------- entity sections

ENTITY_QUERIES = {
    "solution": helper_source("pages/get_solution_overview"),
    "city": helper_source("pages/get_city_overview"),
    "practitioner": helper_source("pages/get_practitioner_overview"),
}
_SAFE_IRI = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
_POINT = re.compile(r"POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)", re.I)


@bp.app_template_global()
def entity_view(iri: str, kind: str) -> dict[str, Any] | None:
    """Kind-specific facts for an entity page, with the SPARQL that produced them."""
    query = ENTITY_QUERIES.get(kind)
    if query is None:
        return None
    if not _SAFE_IRI.fullmatch(iri):
        return None
    lang = current_lang()
    # The IRI is substituted in place (serialised as an RDF term, not VALUES) so each UNION
    # branch starts from it: 10x faster on pyoxigraph.
    text = substitute_term(query, "this", URIRef(iri))
    rows = get_store().select(text)
    fields: dict[str, dict[str, dict[str, str]]] = {}  # field -> value -> lang -> label
    for r in rows:
        value = r["value"]
        labels = fields.setdefault(str(r["field"]), {}).setdefault(str(value), {})
        if isinstance(value, Literal):
            labels.setdefault(value.language or "", str(value))
        if "label" in r:
            labels.setdefault(getattr(r["label"], "language", None) or "", str(r["label"]))
    out: dict[str, Any] = {"kind": kind, "sparql": text}
    for name, values in fields.items():
        if name in ("summary", "outcome", "role"):  # texts: only the best language
            out[name] = [pick_label(_merge(values), lang)]
            continue
        out[name] = sorted(
            ({"iri": v, "label": pick_label(lbls, lang) or short(v)} for v, lbls in values.items()),
            key=lambda x: x["label"].casefold(),
        )
    if "wkt" in out:
        m = _POINT.search(out["wkt"][0]["iri"])
        if m:
            lon, lat = float(m.group(1)), float(m.group(2))
            out["point"] = {"lat": lat, "lon": lon, "x": (lon + 180) / 360 * 200,
                            "y": (90 - lat) / 180 * 100}  # fmt: skip
    if "population" in out:
        out["population"] = int(float(out["population"][0]["iri"]))
    return out


def _merge(values: dict[str, dict[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for lbls in values.values():
        for k, v in lbls.items():
            merged.setdefault(k, v)
    return merged


def pick_label(labels: dict[str, str], lang: str) -> str:
    """requested language → en → untagged → any (the documented chain)."""
    for key in (lang, "en", ""):
        if key in labels:
            return labels[key]
    return next(iter(labels.values()), "")
