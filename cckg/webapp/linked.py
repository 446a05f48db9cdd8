"""Linked-data helpers the pages share: our IRIs as local links, compact names and labels,
the JSON-LD context, and RDF responses with content negotiation and validators."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, current_app, url_for
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from cckg.core.prefixes import PREFIXES
from cckg.core.queries import helper
from cckg.core.settings import ONTOLOGY_NS
from cckg.webapp import caching, conneg
from cckg.webapp.jsonld import build_context
from cckg.webapp.store import get_store

LABEL_PREDICATES = (SKOS.prefLabel, RDFS.label)
GEONAMES = "https://sws.geonames.org/"
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


def short(iri: str) -> str:
    """A compact name for a vocabulary IRI (the part after # or the last /)."""
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def pick_label(labels: dict[str, str], lang: str) -> str:
    """requested language → en → untagged → any (the documented chain)."""
    for key in (lang, "en", ""):
        if key in labels:
            return labels[key]
    return next(iter(labels.values()), "")


def merge_labels(values: dict[str, dict[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for lbls in values.values():
        for k, v in lbls.items():
            merged.setdefault(k, v)
    return merged


_init_lock = threading.Lock()


def context_document(app: Flask | None = None) -> dict[str, Any]:
    """The JSON-LD context, built once per app from the ontology."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    ctx = app.extensions.get("cckg_jsonld_context")
    if ctx is None:
        with _init_lock:
            ctx = app.extensions.setdefault("cckg_jsonld_context", build_context())
    return ctx


def context_url() -> str:
    return url_for("linked_data.context", _external=True)


def property_labels() -> dict[str, str]:
    """Property IRI -> English label (from the ontology in the store), once per store version."""

    def compute() -> dict[str, str]:
        rows = get_store().select(helper("internal/list_property_labels"), dataset="public")
        out: dict[str, str] = {}
        for r in sorted(rows, key=lambda r: (_language(r["label"]) != "en", str(r["label"]))):
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


def _language(term: Node) -> str | None:
    return term.language if isinstance(term, Literal) else None


def not_modified_response(
    choice: conneg.Choice,
    path: str,
    offered: Iterable[conneg.Representation],
    etag: str,
    version: caching.StoreVersion,
    canonical: str | None = None,
) -> Response:
    response = Response(status=304)
    conneg.decorate(response, choice, path, tuple(offered), canonical)
    return caching.set_validators(response, etag, version)
