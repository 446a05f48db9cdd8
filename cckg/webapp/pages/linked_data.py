"""Dereferenceable things: ``/id/{kind}/{slug}`` in HTML, Turtle, JSON-LD, RDF/XML, N-Triples.

A thing's description is every public triple with the thing as subject (plus the triples of its
hash-IRI parts, e.g. ``{iri}#geometry``), its inbound links (capped), and the labels of every IRI
it links to or is linked from. Both halves come from CONSTRUCT queries in ``queries/internal/``
run on the public dataset only, so the private graph (practitioners' e-mail and phone) can never
appear. ``describe()`` and ``resource_page()`` are reusable by other views.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS, XSD
from rdflib.term import Node

from cckg.core import iris
from cckg.core.queries import helper
from cckg.core.settings import ONTOLOGY_NS
from cckg.webapp import caching, conneg
from cckg.webapp.jsonld import PREFIXES, build_context
from cckg.webapp.store import get_store

bp = Blueprint("linked_data", __name__)

DEFAULT_INBOUND_CAP = 500
GEONAMES = "https://sws.geonames.org/"
LABEL_PREDICATES = (SKOS.prefLabel, RDFS.label)
CCKG_IS_EXAMPLE = URIRef(ONTOLOGY_NS + "isExample")
ONTOLOGY_BASE = ONTOLOGY_NS.split("def/")[0]  # https://w3id.org/cckg/
# Readable names for external properties that the ontology only declares (no rdfs:label).
PROPERTY_NAMES = {
    str(RDF.type): "type",
    str(RDFS.label): "label",
    str(SKOS.prefLabel): "preferred label",
    str(SKOS.altLabel): "also known as",
    str(SKOS.closeMatch): "close match",
    str(DCTERMS.description): "description",
    str(DCTERMS.source): "source",
    "http://www.w3.org/2002/07/owl#sameAs": "same as",
    "http://www.opengis.net/ont/geosparql#hasGeometry": "geometry",
    "http://www.opengis.net/ont/geosparql#asWKT": "WKT",
}


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


def describe(store: Any, iri: URIRef, inbound_cap: int = DEFAULT_INBOUND_CAP) -> Description:
    """The public description of ``iri``; empty when the store knows nothing about it."""
    bindings = {"thing": iri}
    outbound = store.construct(helper("internal/describe_outbound"), bindings, dataset="public")
    inbound = store.construct(helper("internal/describe_inbound"), bindings, dataset="public")
    links = sorted(
        {(s, p) for s, p, o in inbound if o == iri and isinstance(s, URIRef)},
        key=lambda sp: (str(sp[1]), str(sp[0])),
    )
    kept = links[:inbound_cap]
    subjects = {s for s, _ in kept}
    # One graph for both: inbound triples and their labels never have the thing as subject,
    # so views that read the thing's own triples from ``outbound`` are unaffected.
    graph = outbound
    for s, p in kept:
        graph.add((s, p, iri))
    for s, p, o in inbound:
        if s in subjects and p in LABEL_PREDICATES:
            graph.add((s, p, o))
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


def local_href(iri: str, base: str) -> str | None:
    """A path on this server for our own IRIs (things, ontology, schemes), else None."""
    for prefix in (base, ONTOLOGY_BASE):
        if iri.startswith(prefix):
            rest = iri[len(prefix) :]
            if rest.startswith(("id/", "def/")):
                return "/" + rest
    return None


def short_iri(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def best_label(graph: Graph, node: Node, lang: str = "en") -> str | None:
    """The node's label in ``lang``, else English, else untagged, else any (stable choice)."""
    labels = [o for p in LABEL_PREDICATES for o in graph.objects(node, p) if isinstance(o, Literal)]
    if not labels:
        return None
    for wanted in (lang, "en", None):
        matching = sorted(str(lbl) for lbl in labels if (lbl.language or None) == wanted)
        if matching:
            return matching[0]
    return sorted(str(lbl) for lbl in labels)[0]


def fallback_label(iri: str) -> str:
    local = re.split(r"[#/]", iri.rstrip("/"))[-1]
    return local or iri


def property_label(iri: str, labels: dict[str, str]) -> str:
    if iri in labels:
        return labels[iri]
    if iri in PROPERTY_NAMES:
        return PROPERTY_NAMES[iri]
    local = fallback_label(iri)
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).lower()


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
    graph: Graph, subject: URIRef, base: str, labels: dict[str, str], skip, lang: str = "en"
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
    for same in sorted(g.objects(iri, OWL.sameAs)):  # GeoNames must be credited (CC BY 4.0)
        if str(same).startswith(GEONAMES):
            sources.append(Value("GeoNames (geonames.org), CC BY 4.0", str(same), str(same)))
    rows = _rows(g, iri, base, property_labels, {RDF.type, DCTERMS.source}, lang)
    prefix = f"{iri}#"
    parts = [
        Part(str(o), str(o)[len(prefix) :], _rows(g, o, base, property_labels, set(), lang))
        for o in sorted({o for o in g.objects(iri, None) if str(o).startswith(prefix)})
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


_init_lock = threading.Lock()


def context_document(app: Flask | None = None) -> dict[str, Any]:
    """The JSON-LD context, built once per app from the ontology."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    ctx = app.extensions.get("cckg_jsonld_context")
    if ctx is None:
        with _init_lock:
            ctx = app.extensions.setdefault("cckg_jsonld_context", build_context())
    return ctx


def ui_lang() -> str:
    """The language of the HTML pages (the site's language switch), English without it."""
    try:
        from cckg.webapp.i18n import current_lang
    except ImportError:  # pragma: no cover (the i18n module is optional for these pages)
        return "en"
    return current_lang()


def context_url() -> str:
    return url_for("linked_data.context", _external=True)


def property_labels() -> dict[str, str]:
    """Property IRI -> English label (from the ontology in the store), once per store version."""

    def compute() -> dict[str, str]:
        rows = get_store().select(helper("internal/list_property_labels"), dataset="public")
        out: dict[str, str] = {}
        for r in sorted(rows, key=lambda r: (r["label"].language != "en", str(r["label"]))):
            out.setdefault(str(r["p"]), str(r["label"]))
        return out

    return caching.cached("property_labels", compute)


def rdf_response(
    graph: Graph,
    choice: conneg.Choice,
    path: str,
    offered: Iterable[conneg.Representation],
    etag: str,
    version: caching.StoreVersion,
    canonical: str | None = None,
) -> Response:
    body = conneg.serialize(graph, choice, context_url(), context_document(), canonical)
    content_type = choice.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = Response(body, content_type=content_type)
    conneg.decorate(response, choice, path, tuple(offered), canonical)
    return caching.set_validators(response, etag, version)


def _not_modified_response(choice, path, offered, etag, version, canonical=None) -> Response:
    response = Response(status=304)
    conneg.decorate(response, choice, path, tuple(offered), canonical)
    return caching.set_validators(response, etag, version)


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
    page_lang = ui_lang()
    # A rendered page depends on the store version, the query string (``_mediatype``, ``lang``;
    # HTML forms echo it), the Accept header, the UI language and the host (absolute links).
    # With all of them in the key, a repeated request skips negotiation and rendering.
    key = (
        version.tag,
        request.full_path,
        request.host_url,
        request.headers.get("Accept", ""),
        page_lang,
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
    etag = caching.etag_for(version, request.path, choice.content_type, lang)
    offered = conneg.REPRESENTATIONS
    if caching.not_modified(etag, version):
        return _not_modified_response(choice, request.path, offered, etag, version, str(iri))
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
    import hashlib
    import json

    body = json.dumps(context_document(), indent=2, sort_keys=True).encode("utf-8")
    response = Response(body, content_type="application/ld+json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:20])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    origin = current_app.config.get("CCKG_LD_CORS_ORIGIN", "*")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response.make_conditional(request)
