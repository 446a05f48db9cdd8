"""Dereferenceable things: ``/id/{kind}/{slug}`` in HTML, Turtle, JSON-LD, RDF/XML, N-Triples.

A thing's description is every public triple with the thing as subject (plus the triples of its
hash-IRI parts, e.g. ``{iri}#geometry``), its inbound links (capped), and the labels of every IRI
it links to or is linked from. Both halves come from CONSTRUCT queries in ``queries/internal/``
run on the public dataset only, so the private graph (practitioners' e-mail and phone) can never
appear. ``describe()`` and ``resource_page()`` are reusable by other views.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS, XSD
from rdflib.term import Node

from cckg.core import iris
from cckg.core.queries import helper, helper_source
from cckg.core.sparql_text import substitute_term
from cckg.core.store import Store, sorted_terms
from cckg.webapp import caching, conneg
from cckg.webapp.i18n import current_lang
from cckg.webapp.linked import (
    CCKG_IS_EXAMPLE,
    GEONAMES,
    LABEL_PREDICATES,
    best_label,
    context_document,
    fallback_label,
    local_href,
    merge_labels,
    not_modified_response,
    pick_label,
    property_label,
    property_labels,
    rdf_response,
    short,
    short_iri,
)
from cckg.webapp.store import get_store
from cckg.webapp.versions import latest_version

bp = Blueprint("linked_data", __name__)

DEFAULT_INBOUND_CAP = 500


# ---------------------------------------------------------------- the description


@dataclass
class Description:
    iri: URIRef
    graph: Graph  # everything served in RDF
    outbound: Graph  # the same graph (kept as a name for views reading the thing's triples)
    inbound_links: list[tuple[URIRef, URIRef]]  # (subject, predicate), capped
    inbound_truncated: bool

    def __len__(self) -> int:
        return len(self.graph)


def describe(store: Store, iri: URIRef, inbound_cap: int = DEFAULT_INBOUND_CAP) -> Description:
    """The public description of ``iri``; empty when the store knows nothing about it."""
    bindings = {"thing": iri}
    outbound = store.construct(helper("internal/describe_outbound"), bindings, dataset="public")
    inbound = store.construct(helper("internal/describe_inbound"), bindings, dataset="public")
    links = sorted(
        {
            (s, p)
            for s, p, o in inbound
            if o == iri and isinstance(s, URIRef) and isinstance(p, URIRef)
        },
        key=lambda sp: (str(sp[1]), str(sp[0])),
    )
    kept = links[:inbound_cap]
    subjects = {s for s, _ in kept}
    # One graph for both: inbound triples and their labels never have the thing as subject,
    # so views that read the thing's own triples from ``outbound`` are unaffected.
    graph = outbound
    for s, p in kept:
        graph.add((s, p, iri))
    for subj, pred, obj in inbound:
        if subj in subjects and pred in LABEL_PREDICATES:
            graph.add((subj, pred, obj))
    return Description(iri, graph, outbound, kept, len(links) > inbound_cap)


# ---------------------------------------------------------------- the HTML view model


@dataclass
class Value:
    text: str
    href: str | None = None  # links: where to go (our own IRIs become local paths)
    iri: str | None = None
    lang: str | None = None
    datatype: str | None = None  # short form, e.g. xsd:date


@dataclass
class Row:
    predicate: str
    label: str
    href: str | None
    values: list[Value] = field(default_factory=list)


@dataclass
class Part:
    iri: str
    anchor: str
    rows: list[Row]


@dataclass
class ResourcePage:
    iri: str
    label: str
    types: list[Value]
    rows: list[Row]
    parts: list[Part]
    inbound: list[Row]
    inbound_truncated: bool
    inbound_cap: int
    sources: list[Value]
    is_example: bool
    alternates: list[tuple[str, str, str]]  # (title, media type, url)


def _value(graph: Graph, node: Node, base: str, lang: str = "en") -> Value:
    if isinstance(node, URIRef):
        iri = str(node)
        label = best_label(graph, node, lang) or short_iri(iri)
        if label == iri:
            label = fallback_label(iri) if local_href(iri, base) else iri
        return Value(label, local_href(iri, base) or iri, iri)
    if isinstance(node, Literal):
        datatype = None
        if node.datatype and node.datatype != XSD.string:
            datatype = short_iri(str(node.datatype))
        return Value(str(node), lang=node.language, datatype=datatype)
    return Value(str(node))


def _sort_key(v: Value) -> tuple[str, str]:
    return (v.text.casefold(), v.lang or "")


def _rows(
    graph: Graph,
    subject: URIRef,
    base: str,
    labels: dict[str, str],
    skip: AbstractSet[URIRef],
    lang: str = "en",
) -> list[Row]:
    by_predicate: dict[str, list[Value]] = {}
    for p, o in graph.predicate_objects(subject):
        if p in skip:
            continue
        by_predicate.setdefault(str(p), []).append(_value(graph, o, base, lang))
    order = {str(RDFS.label): 0, str(SKOS.prefLabel): 0, str(DCTERMS.description): 1}
    rows = [
        Row(p, property_label(p, labels), local_href(p, base) or p, sorted(vs, key=_sort_key))
        for p, vs in by_predicate.items()
    ]
    return sorted(rows, key=lambda r: (order.get(r.predicate, 2), r.label.casefold(), r.predicate))


def resource_page(
    description: Description,
    base: str,
    property_labels: dict[str, str],
    alternates: list[tuple[str, str, str]],
    inbound_cap: int = DEFAULT_INBOUND_CAP,
    lang: str = "en",
) -> ResourcePage:
    """Turn a description into what ``resource.html`` shows (generic for every kind).

    Labels are chosen in ``lang`` where the data has them, else English / untagged.
    """
    g, iri = description.outbound, description.iri
    full = description.graph
    types = sorted((_value(g, t, base, lang) for t in g.objects(iri, RDF.type)), key=_sort_key)
    sources = sorted((_value(g, s, base) for s in g.objects(iri, DCTERMS.source)), key=_sort_key)
    for same in sorted_terms(g.objects(iri, OWL.sameAs)):  # GeoNames must be credited (CC BY 4.0)
        if str(same).startswith(GEONAMES):
            sources.append(Value("GeoNames (geonames.org), CC BY 4.0", str(same), str(same)))
    rows = _rows(g, iri, base, property_labels, {RDF.type, DCTERMS.source}, lang)
    prefix = f"{iri}#"
    parts = [
        Part(str(o), str(o)[len(prefix) :], _rows(g, o, base, property_labels, set(), lang))
        for o in sorted(
            {o for o in g.objects(iri, None) if isinstance(o, URIRef) and o.startswith(prefix)}
        )
    ]
    for row in rows:  # link hash parts to their section on this page
        for v in row.values:
            if v.iri and v.iri.startswith(prefix):
                v.href, v.text = "#" + v.iri[len(prefix) :], v.iri[len(prefix) :]
    inbound: dict[str, list[Value]] = {}
    for s, p in description.inbound_links:
        inbound.setdefault(str(p), []).append(_value(full, s, base, lang))
    inbound_rows = sorted(
        (
            Row(p, property_label(p, property_labels), local_href(p, base) or p, vs)
            for p, vs in inbound.items()
        ),
        key=lambda r: (r.label.casefold(), r.predicate),
    )
    for row in inbound_rows:
        row.values.sort(key=_sort_key)
    example = any(
        isinstance(o, Literal) and o.toPython() is True for o in g.objects(iri, CCKG_IS_EXAMPLE)
    )
    label = best_label(g, iri, lang) or fallback_label(str(iri))
    return ResourcePage(
        str(iri), label, types, rows, parts, inbound_rows, description.inbound_truncated,
        inbound_cap, sources, example, alternates,
    )  # fmt: skip


# ---------------------------------------------------------------- app-level resources


# ---------------------------------------------------------------- routes


@bp.get("/id/<kind>/<slug>")
def thing(kind: str, slug: str) -> Response:
    if kind not in iris.KINDS:
        abort(404, description=f"unknown kind {kind!r}; expected one of {', '.join(iris.KINDS)}")
    base = current_app.config["CCKG_BASE_IRI"]
    try:
        iri = iris.thing(kind, slug, base)
    except iris.BadSlugError as e:
        abort(400, description=str(e))
    version = caching.store_version()
    page_lang = current_lang()
    # A rendered page depends on the store version, the query string (``_mediatype``, ``lang``;
    # HTML forms echo it), the Accept header, the UI language and the host (absolute links).
    # With all of them in the key, a repeated request skips negotiation and rendering.
    cited = latest_version()  # the page's "Cite this" box names the latest release
    key = (
        version.tag,
        request.full_path,
        request.host_url,
        request.headers.get("Accept", ""),
        page_lang,
        cited,
    )
    bodies = caching.body_cache("id")
    hit = bodies.get(key)
    if hit is not None:
        headers = list(hit.headers)
        if caching.not_modified(hit.etag, version):
            return Response(status=304, headers=headers)
        return Response(hit.body, content_type=hit.content_type, headers=headers)
    choice = conneg.negotiate()
    lang = page_lang if choice.representation.media_type == conneg.HTML else ""
    etag = caching.etag_for(version, request.path, choice.content_type, lang, cited)
    offered = conneg.REPRESENTATIONS
    if caching.not_modified(etag, version):
        return not_modified_response(choice, request.path, offered, etag, version, str(iri))
    cap = int(current_app.config.get("CCKG_LD_INBOUND_CAP", DEFAULT_INBOUND_CAP))
    description = describe(get_store(), iri, cap)
    if not len(description):
        abort(404, description=f"nothing is known about {iri}")
    if choice.representation.media_type != conneg.HTML:
        response = rdf_response(
            description.graph, choice, request.path, offered, etag, version, str(iri)
        )
    else:
        alternates = [
            (r.title, r.media_type, url)
            for r, url in conneg.alternates(request.path, conneg.RDF_REPRESENTATIONS)
        ]
        page = resource_page(description, base, property_labels(), alternates, cap, lang)
        response = Response(render_template("resource.html", page=page, kind=kind))
        response.content_type = "text/html; charset=utf-8"
        conneg.decorate(response, choice, request.path, offered, str(iri))
        caching.set_validators(response, etag, version)
    kept = tuple(
        (k, v) for k, v in response.headers.items() if k not in ("Content-Type", "Content-Length")
    )
    bodies.put(key, response.get_data(), response.content_type, kept, etag)
    return response


@bp.get("/context.jsonld")
def context() -> Response:
    body = json.dumps(context_document(), indent=2, sort_keys=True).encode("utf-8")
    response = Response(body, content_type="application/ld+json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:20])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    origin = current_app.config.get("CCKG_LD_CORS_ORIGIN", "*")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.make_conditional(request)  # (returns the response, typed as werkzeug's)
    return response


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
            out[name] = [pick_label(merge_labels(values), lang)]
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
