"""The vocabulary documents under ``/def/``: ontology, SHACL shapes, theme and region schemes.

Each is served by content negotiation (HTML or any RDF format) and by a fixed extension
(``/def/cckg.ttl``, ``/def/themes.jsonld``, …). Turtle is the source file itself, comments
included; other formats are serialised from it. Everything is read from the repository files
once per app and cached there. The ontology's HTML page is the site's own, inside its layout
(``cckg.webapp.ontology_outline``: each term with its live count, an example query and its
shape); ``cckg.core.ontology_docs`` keeps pyLODE's stand-alone rendering.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from cckg.core.resources import resource_dir
from cckg.core.settings import ONTOLOGY_NS
from cckg.webapp import conneg
from cckg.webapp.caching import cached, store_version
from cckg.webapp.i18n import current_lang
from cckg.webapp.linked import context_document, context_url, local_href
from cckg.webapp.ontology_outline import outline
from cckg.webapp.store import get_store

bp = Blueprint("definitions", __name__)


@dataclass(frozen=True)
class VocabDoc:
    name: str
    title: str
    files: tuple[Path, ...]
    html: str  # "ontology" (ontology.html), "scheme" (concept tree) or "source" (the Turtle text)


ONTOLOGY_DIR = resource_dir("ontology")
SHAPES_DIR = resource_dir("shapes")
DOCS = {
    d.name: d
    for d in (
        VocabDoc("cckg", "cckg ontology", (ONTOLOGY_DIR / "cckg.ttl",), "ontology"),
        VocabDoc(
            "shapes",
            "cckg SHACL shapes",
            (SHAPES_DIR / "cckg-shapes.ttl", SHAPES_DIR / "private-shapes.ttl"),
            "source",
        ),
        VocabDoc("themes", "Connective Cities themes", (ONTOLOGY_DIR / "themes.ttl",), "scheme"),
        VocabDoc(
            "regions", "Connective Cities world regions", (ONTOLOGY_DIR / "regions.ttl",), "scheme"
        ),
    )
}
BY_EXTENSION = {r.extension: r for r in conneg.REPRESENTATIONS}

_lock = threading.Lock()


@dataclass
class _Loaded:
    turtle: bytes  # the source file(s), concatenated
    graph: Graph
    etag: str


def _loaded(app: Flask, doc: VocabDoc) -> _Loaded:
    cache: dict[str, Any] = app.extensions.setdefault("cckg_def_docs", {})
    if doc.name not in cache:
        with _lock:
            if doc.name not in cache:
                # Turtle allows @prefix anywhere and the files use no blank-node labels, so the
                # concatenation is one valid document (tests check it parses to the union).
                turtle = b"\n".join(f.read_bytes() for f in doc.files)
                graph = Graph().parse(data=turtle, format="turtle")
                cache[doc.name] = _Loaded(turtle, graph, hashlib.sha256(turtle).hexdigest()[:20])
    return cache[doc.name]


@dataclass
class Concept:
    iri: str
    href: str | None
    label: str
    definition: str | None
    alt_labels: list[str]
    matches: list[tuple[str, str]]  # (label, IRI) of skos:closeMatch targets
    children: list[Concept]


def _match_label(iri: str) -> str:
    sdg = "http://metadata.un.org/sdg/"
    return f"SDG {iri[len(sdg) :]}" if iri.startswith(sdg) else iri


def concept_tree(
    graph: Graph, base: str, lang: str = "en"
) -> tuple[str, str | None, list[Concept]]:
    """(scheme title, description, top concepts with their narrower concepts) of a scheme file."""
    scheme = next(graph.subjects(RDF.type, SKOS.ConceptScheme))

    def text(node: Node, predicate: URIRef) -> str | None:
        values = [v for v in graph.objects(node, predicate) if isinstance(v, Literal)]
        chosen = (
            [v for v in values if v.language == lang]
            or [v for v in values if v.language in ("en", None)]
            or values
        )
        return str(sorted(chosen)[0]) if chosen else None

    def build(node: Node, seen: frozenset[Node]) -> Concept:
        children = sorted(
            (
                build(c, seen | {node})
                for c in set(graph.objects(node, SKOS.narrower))
                if c not in seen
            ),
            key=lambda c: c.label.casefold(),
        )
        alt = sorted(
            str(a)
            for a in graph.objects(node, SKOS.altLabel)
            if isinstance(a, Literal) and a.language == lang
        )
        matches = sorted(
            (text(m, SKOS.prefLabel) or _match_label(str(m)), str(m))
            for m in graph.objects(node, SKOS.closeMatch)
        )
        return Concept(
            str(node), local_href(str(node), base), text(node, SKOS.prefLabel) or str(node),
            text(node, SKOS.definition), alt, matches, children,
        )  # fmt: skip

    tops = sorted(
        (build(t, frozenset()) for t in set(graph.objects(scheme, SKOS.hasTopConcept))),
        key=lambda c: c.label.casefold(),
    )
    title = text(scheme, SKOS.prefLabel) or text(scheme, DCTERMS.title) or str(scheme)
    return title, text(scheme, DCTERMS.description), tops


def _serve(name: str, choice: conneg.Choice, fixed: bool) -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    doc = DOCS[name]
    loaded = _loaded(app, doc)
    media = choice.representation.media_type
    lang = current_lang() if media == conneg.HTML else ""
    # HTML pages show live counts: their tag changes with the store's content
    data = store_version(app).tag if media == conneg.HTML and doc.html != "source" else ""
    etag = f"{loaded.etag}-{hashlib.sha256((media + lang + data).encode()).hexdigest()[:8]}"
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    elif media == conneg.HTML:
        response = Response(_html(app, doc, loaded, lang), content_type="text/html; charset=utf-8")
    elif media == conneg.TURTLE:
        response = Response(loaded.turtle, content_type="text/turtle; charset=utf-8")
    else:
        body = conneg.serialize(loaded.graph, choice, context_url(), context_document())
        response = Response(body, content_type=choice.content_type)
    path = f"/def/{name}"
    if fixed:
        origin = current_app.config.get("CCKG_LD_CORS_ORIGIN", "*")
        if origin and media != conneg.HTML:
            response.headers["Access-Control-Allow-Origin"] = origin
    else:
        conneg.decorate(response, choice, path)
    response.set_etag(etag, weak=True)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _html(app: Flask, doc: VocabDoc, loaded: _Loaded, lang: str) -> str:
    alternates = [
        (r.title, r.media_type, url)
        for r, url in conneg.alternates(f"/def/{doc.name}", conneg.RDF_REPRESENTATIONS)
    ]
    if doc.html == "ontology":
        shapes = _loaded(app, DOCS["shapes"]).graph
        classes, properties = cached(
            f"def:cckg:{lang}", lambda: outline(loaded.graph, shapes, get_store(), lang), app
        )
        return render_template(
            "ontology.html",
            classes=classes,
            properties=properties,
            namespace=ONTOLOGY_NS,
            alternates=alternates,
        )
    if doc.html == "scheme":
        base = current_app.config["CCKG_BASE_IRI"]
        title, description, tops = concept_tree(loaded.graph, base, lang)
        counts = cached("def:concept-counts", _concept_counts, app)
        return render_template(
            "scheme.html",
            title=title,
            description=description,
            tops=tops,
            alternates=alternates,
            counts=counts,
        )
    sources = [(f.name, f.read_text(encoding="utf-8")) for f in doc.files]
    return render_template("source.html", title=doc.title, sources=sources, alternates=alternates)


CONCEPT_COUNTS = """
SELECT ?concept (COUNT(DISTINCT ?thing) AS ?n) WHERE {
  ?thing ?link ?concept .
  VALUES ?link { <https://w3id.org/cckg/def/cckg#theme> <https://w3id.org/cckg/def/cckg#region> }
} GROUP BY ?concept
"""


def _concept_counts() -> dict[str, int]:
    """How many things are tagged with each theme (or lie in each region)."""
    return {str(r["concept"]): int(r["n"]) for r in get_store().select(CONCEPT_COUNTS)}


@bp.get("/def/<name>")
def vocabulary(name: str) -> Response:
    if name not in DOCS:
        abort(404, description=f"no document /def/{name}; try one of: {', '.join(DOCS)}")
    return _serve(name, conneg.negotiate(), fixed=False)


@bp.get("/def/<name>.<ext>")
def vocabulary_file(name: str, ext: str) -> Response:
    if name not in DOCS or ext not in BY_EXTENSION:
        abort(404, description=f"no document /def/{name}.{ext}")
    representation = BY_EXTENSION[ext]
    return _serve(name, conneg.Choice(representation, representation.media_type, True), fixed=True)
