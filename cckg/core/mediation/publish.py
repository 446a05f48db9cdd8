"""What the public graph receives of a reviewed submission, written through the one Writer.

Approved needs go to ``{base}graph/submissions/needs``, offers to
``{base}graph/submissions/offers``: one ``cckg:Need`` / ``cckg:Offer`` per submission, IRI
``{base}id/need/submitted-{id}``, with an English title and one in the writer's language, the
reviewed text, themes, city, country and working languages, and its provenance::

    <need> dcterms:dateSubmitted "…" ; dcterms:dateAccepted "…" ;
        prov:wasGeneratedBy <need#review> ; prov:wasAttributedTo <need#moderator> .
    <need#review> a prov:Activity ; prov:startedAtTime "…confirmed" ; prov:endedAtTime "…approved" ;
        prov:wasAssociatedWith <need#moderator> .
    <need#moderator> a prov:Agent ; dcterms:identifier "moderator:3" .

Never a name, an institution typed by the person, or an e-mail address: those stay in the
workflow database. The Writer validates the whole graph (shapes, dataset rules) and records
the graph's PROV; a write based on a graph that changed meanwhile fails (409).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, XSD

from cckg.core import i18n, iris
from cckg.core.gate.model import LoadRejectedError, Location, ParsedSource
from cckg.core.i18n import N_
from cckg.core.mediation.model import MediationError
from cckg.core.mediation.reads import pick_label, theme_labels
from cckg.core.store import Store
from cckg.core.writer import (
    CCKG_CONTENT_HASH,
    Origin,
    Write,
    WriteConflictError,
    Writer,
    strip_metadata,
    write_lock,
)

CCKG = "https://w3id.org/cckg/def/cckg#"
GRAPHS = {"need": "submissions/needs", "offer": "submissions/offers"}
CLASSES = {"need": URIRef(CCKG + "Need"), "offer": URIRef(CCKG + "Offer")}
TITLES = {
    "need": N_("%(city)s seeks know-how: %(themes)s"),
    "offer": N_("Know-how from %(city)s: %(themes)s"),
}


def thing_iri(sub: dict[str, Any], base: str) -> URIRef:
    return iris.thing(sub["kind"], f"submitted-{sub['id']}", base)


def title(store: Store, sub: dict[str, Any], lang: str) -> str:
    """The generated title of a submission in ``lang`` (city and theme labels)."""
    names = [pick_label(theme_labels(store, t), lang) for t in sub["themes"]]
    template = i18n.gettext_in(lang, TITLES[sub["kind"]])
    return template % {"city": sub.get("city_label") or "", "themes": ", ".join(names)}


def _time(value: str) -> Literal:
    return Literal(value, datatype=XSD.dateTime)


def describe(store: Store, sub: dict[str, Any], moderator: str, when: str) -> Graph:
    """The public description of one approved submission (no personal data)."""
    base = store.base_iri
    s = thing_iri(sub, base)
    lang = sub["lang"]
    g = Graph()
    g.add((s, RDF.type, CLASSES[sub["kind"]]))
    g.add((s, RDFS.label, Literal(sub["title_en"] or title(store, sub, "en"), lang="en")))
    if lang != "en":
        g.add((s, RDFS.label, Literal(title(store, sub, lang), lang=lang)))
    g.add((s, DCTERMS.description, Literal(sub["public_text"], lang=lang)))
    for theme in sub["themes"]:
        g.add((s, URIRef(CCKG + "theme"), URIRef(theme)))
    city = URIRef(sub["city"])
    g.add((s, URIRef(CCKG + "city"), city))
    if sub["kind"] == "need":
        g.add((s, URIRef(CCKG + "neededBy"), city))
    else:
        g.add((s, URIRef(CCKG + "offeredBy"), URIRef(sub["offered_by"])))
    if sub.get("country"):
        g.add((s, URIRef(CCKG + "country"), URIRef(sub["country"])))
    for code in sub["languages"]:
        g.add((s, URIRef(CCKG + "language"), iris.language(code)))
    g.add((s, DCTERMS.dateSubmitted, _time(sub["created_at"])))
    g.add((s, DCTERMS.dateAccepted, _time(when)))
    review, agent = URIRef(f"{s}#review"), URIRef(f"{s}#moderator")
    g.add((s, PROV.wasGeneratedBy, review))
    g.add((s, PROV.wasAttributedTo, agent))  # one hop from the record: its page shows it
    g.add((review, RDF.type, PROV.Activity))
    g.add((review, PROV.startedAtTime, _time(sub["confirmed_at"])))
    g.add((review, PROV.endedAtTime, _time(when)))
    g.add((review, PROV.wasAssociatedWith, agent))
    g.add((agent, RDF.type, PROV.Agent))
    g.add((agent, DCTERMS.identifier, Literal(moderator)))
    return g


def _stored(store: Store, name: URIRef) -> tuple[Graph, str | None]:
    """The graph's triples without the writer's metadata, and its content hash."""
    g = store.construct(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": name}, dataset="all"
    )
    content = g.value(name, CCKG_CONTENT_HASH)
    return strip_metadata(name, g), (str(content) if content is not None else None)


def _without(g: Graph, s: URIRef) -> Graph:
    """``g`` without the subject ``s`` and its parts (``s#…``)."""
    out = Graph()
    prefix = f"{s}#"
    for t in g:
        if t[0] == s or str(t[0]).startswith(prefix):
            continue
        out.add(t)
    return out


def _writable(writer: Writer) -> Store:
    """The writer's store, when it can be written here; a 503 refusal when this server process
    has it open read-only (one of several workers, ``cckg serve --workers N``)."""
    store = writer.store
    assert store is not None
    if getattr(store, "read_only", False):
        raise MediationError(
            N_(
                "This server cannot publish right now (its data is read-only). "
                "Please try again later."
            ),
            503,
        )
    return store


def _write(
    writer: Writer, kind: str, data: Graph | None, expected: str | None, route: str, record: str
) -> None:
    store = writer.store
    assert store is not None
    graph_name = GRAPHS[kind]
    name = iris.graph(graph_name, store.base_iri)
    if data is None:
        write = Write([], [], [name], {name: expected})
    else:
        locations = {
            s: Location(route, record=record) for s in set(data.subjects()) if isinstance(s, URIRef)
        }
        src = ParsedSource(Path(route), graph_name, data, locations=locations)
        write = Write([src], [Origin(graph_name, route)], [], {name: expected})
    try:
        writer.write(write, skip_unchanged=False)
    except LoadRejectedError as e:
        details = "; ".join(str(v.message) for v in e.violations[:5])
        raise MediationError(
            N_("The record cannot be published: %(details)s"), 422, details=details
        ) from e
    except WriteConflictError as e:
        raise MediationError(
            N_("Someone changed the data meanwhile. Please try again."), 409
        ) from e


def publish(writer: Writer, sub: dict[str, Any], moderator: str, when: str) -> str:
    """Add (or replace) the submission's public description; its IRI."""
    store = _writable(writer)
    s = thing_iri(sub, store.base_iri)
    name = iris.graph(GRAPHS[sub["kind"]], store.base_iri)
    with write_lock(store):  # the read of the graph and its write: one step
        current, expected = _stored(store, name)
        data = _without(current, s)
        data += describe(store, sub, moderator, when)
        _write(writer, sub["kind"], data, expected, "POST /review", sub["id"])
    return str(s)


def withdraw(writer: Writer, iri: str, kind: str, record: str) -> None:
    """Remove a published submission (its writer erased it with their data)."""
    store = _writable(writer)
    name = iris.graph(GRAPHS[kind], store.base_iri)
    with write_lock(store):
        current, expected = _stored(store, name)
        data = _without(current, URIRef(iri))
        if len(data) == len(current):
            return
        _write(writer, kind, data if len(data) else None, expected, "POST /my-data", record)
