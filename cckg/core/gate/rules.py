"""Rules about a write as a whole, which a shape of one source cannot see.

The SHACL shapes judge each source on its own; these rules judge what the write does to the
public dataset:

- **graph metadata**: PROV and load metadata about a graph (``prov:generatedAtTime``,
  ``cckg:contentHash`` …) are written by cckg's writer, never taken from data (a file claiming
  ``prov:generatedAtTime 2099`` would move the whole site's ``Last-Modified``);
- **personal data**: no contact data in a public graph, by IRI pattern as well as by property
  (the shapes forbid the properties): no ``mailto:``/``tel:`` IRI as a value, and no literal
  that reads as an e-mail address or phone number on a practitioner's IRI;
- **reserved graphs**: staging graphs are the store's own; the private graph is written only
  as a source's private part;
- **ownership**: each of our things (an IRI under the base: ``id/…``, ``def/…``) is described
  in one public graph only. A source may link to a thing another graph describes, but not give
  it a second kind, label or country, nor redefine an ontology term: each source would conform
  alone while the union would not;
- **deletions**: a thing that a write removes (a dropped graph, a record left out of a new
  version) must not stay linked from a graph the write leaves in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pyoxigraph as ox
from rdflib import Literal, URIRef

from cckg.core import iris
from cckg.core.gate.model import Location, ParsedSource, Violation
from cckg.core.gate.oxgraph import OxGraph
from cckg.core.settings import ONTOLOGY_NS
from cckg.core.sparql_text import term_n3
from cckg.core.store import Store, solutions

PROV = "http://www.w3.org/ns/prov#"
CCKG = "https://w3id.org/cckg/def/cckg#"
# What the writer states about each graph (cckg.core.writer.WRITER_METADATA), by predicate.
METADATA_PREDICATES = (
    f"{PROV}generatedAtTime",
    f"{PROV}wasDerivedFrom",
    f"{CCKG}loaderVersion",
    f"{CCKG}checksum",
    f"{CCKG}contentHash",
    "http://purl.org/dc/terms/identifier",
)
# Contact properties of common vocabularies (cckg:email and cckg:phone: the shapes).
CONTACT_PREDICATES = (
    "https://schema.org/email",
    "https://schema.org/telephone",
    "http://schema.org/email",
    "http://schema.org/telephone",
    "http://xmlns.com/foaf/0.1/mbox",
    "http://xmlns.com/foaf/0.1/mbox_sha1sum",
    "http://xmlns.com/foaf/0.1/phone",
    "http://www.w3.org/2006/vcard/ns#email",
    "http://www.w3.org/2006/vcard/ns#hasEmail",
    "http://www.w3.org/2006/vcard/ns#tel",
    "http://www.w3.org/2006/vcard/ns#hasTelephone",
)
EMAIL_RE = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()./-]{6,}$")
_CHUNK = 2000  # IRIs per VALUES block when asking the store


def _violation(
    src: ParsedSource, focus: str, field: str | None, message: str, value: str | None = None
) -> Violation:
    loc = src.locations.get(URIRef(focus)) or Location(str(src.path), record=focus)
    return Violation(loc, focus, field, message, value=value, shape="cckg:write-rules")


def _select(data: OxGraph, query: str) -> ox.QuerySolutions:
    return solutions(data.store.query(query))


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


# ---------------------------------------------------------------- per source


def metadata_claims(src: ParsedSource, data: OxGraph, base: str) -> list[Violation]:
    """Load metadata about one of our graphs, stated by the data itself."""
    values = " ".join(f"<{p}>" for p in METADATA_PREDICATES)
    rows = _select(
        data,
        f"SELECT ?g ?p ?o WHERE {{ VALUES ?p {{ {values} }} ?g ?p ?o "
        f"FILTER(STRSTARTS(STR(?g), {term_n3(Literal(base + 'graph/'))})) }}",
    )
    return [
        _violation(
            src,
            r["g"].value,
            _local(r["p"].value),
            "load metadata (PROV, content hash) is written by cckg when a graph is stored, "
            "never taken from the data",
            r["o"].value,
        )
        for r in rows
    ]


def personal_data(src: ParsedSource, data: OxGraph, base: str) -> list[Violation]:
    """Contact data in a public graph, whatever the subject's type."""
    found: list[Violation] = []
    values = " ".join(f"<{p}>" for p in CONTACT_PREDICATES)
    for r in _select(data, f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o }}"):
        found.append(
            _violation(
                src,
                r["s"].value,
                _local(r["p"].value),
                "contact data (personal data): it belongs in the private graph, never in a "
                "public one",
            )
        )
    # One scan of the data for both: mailto:/tel: links, and a practitioner's literals
    practitioner = term_n3(Literal(f"{base}id/practitioner/"))
    rows = _select(
        data,
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(IF(isLiteral(?o), "
        f"STRSTARTS(STR(?s), {practitioner}), "
        'isIRI(?o) && (STRSTARTS(STR(?o), "mailto:") || STRSTARTS(STR(?o), "tel:")))) }',
    )
    for r in rows:
        o = r["o"]
        if not isinstance(o, ox.Literal):
            found.append(
                _violation(
                    src,
                    r["s"].value,
                    _local(r["p"].value),
                    "a mailto: or tel: link is contact data: it belongs in the private graph, "
                    "never in a public one",
                    o.value,
                )
            )
            continue
        text = o.value.strip()
        if EMAIL_RE.search(text) or PHONE_RE.match(text):
            found.append(
                _violation(
                    src,
                    r["s"].value,
                    _local(r["p"].value),
                    "this value reads as a practitioner's e-mail address or phone number: it is "
                    "personal data, which belongs in the private graph, never in a public one",
                    text[:80],
                )
            )
    return found


def reserved_graph(src: ParsedSource, base: str) -> list[Violation]:
    """A source that would write a graph cckg keeps for itself."""
    name = str(iris.graph(src.graph_name, base))
    if name.startswith(f"{base}graph/staging/") or name == str(iris.private_graph(base)):
        return [
            Violation(
                Location(str(src.path)),
                name,
                None,
                "this graph is reserved: staging graphs belong to the store, and contact data "
                "goes to the private graph only as a source's private part",
                shape="cckg:write-rules",
            )
        ]
    return []


# ---------------------------------------------------------------- across the dataset


def _subjects(data: OxGraph) -> set[str]:
    """The IRIs a source describes (the records of ``…#part`` subjects count as theirs)."""
    rows = _select(data, "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }")
    return {r["s"].value for r in rows}


# ``_described_in`` on a store only this process writes (an embedded store): one query per
# thing up to this many things, else one scan of the other graphs' subjects.
_PER_THING_MAX = 5000


def _described_in(store: Store, things: Sequence[str], graphs: Sequence[str]) -> dict[str, str]:
    """Thing -> one of ``graphs`` that describes it (has it as a subject).

    A VALUES block of things joined with a VALUES block of graphs is evaluated badly by
    Oxigraph: 2,000 things against the 7 other graphs of the 1e6 bench store took 127 s (a
    busy 2-core machine), so a 1e6 load spent over an hour here. On an embedded store each
    thing is asked alone, its IRI in the query text (0.6 ms each), or, for many things, the
    other graphs' IRI subjects are read once and intersected (3 s for those 7 graphs). A
    remote store keeps the chunked query: one request per chunk, not one per thing."""
    out: dict[str, str] = {}
    if not graphs or not things:
        return out
    in_graphs = " ".join(term_n3(URIRef(g)) for g in graphs)
    if store.generation is None:
        for i in range(0, len(things), _CHUNK):
            values = " ".join(term_n3(URIRef(s)) for s in things[i : i + _CHUNK])
            rows = store.select(
                f"SELECT ?s (SAMPLE(?g) AS ?graph) WHERE {{ VALUES ?s {{ {values} }} "
                f"VALUES ?g {{ {in_graphs} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?s"
            )
            out.update((str(r["s"]), str(r["graph"])) for r in rows)
        return out
    if len(things) <= _PER_THING_MAX:
        for thing in things:
            found = store.select_terms(
                f"SELECT ?g WHERE {{ VALUES ?g {{ {in_graphs} }} "
                f"GRAPH ?g {{ {term_n3(URIRef(thing))} ?p ?o }} }} LIMIT 1"
            )
            if found:
                out[thing] = found[0]["g"].value
        return out
    wanted = set(things)
    for graph in graphs:
        subjects = store.select_terms(
            f"SELECT DISTINCT ?s WHERE {{ GRAPH {term_n3(URIRef(graph))} {{ ?s ?p ?o }} "
            "FILTER(isIRI(?s)) }"
        )
        for row in subjects:
            subject = row["s"].value
            if subject in wanted:
                out.setdefault(subject, graph)
    return out


def ownership(
    sources: Sequence[ParsedSource],
    datas: Sequence[OxGraph],
    store: Store | None,
    base: str,
    replaced: set[str],
) -> list[Violation]:
    """Subjects that two sources of the write, or a source and a stored graph the write keeps,
    both describe. ``replaced``: the graph IRIs this write replaces or drops."""
    found: list[Violation] = []
    claimed: dict[str, str] = {}
    own_graphs = {str(iris.graph(s.graph_name, base)) for s in sources}
    per_source = []
    for src, data in zip(sources, datas, strict=True):
        name = str(iris.graph(src.graph_name, base))
        subjects = {
            s
            for s in _subjects(data)
            if s.startswith((base, ONTOLOGY_NS)) and not s.startswith(f"{base}graph/")
        }
        per_source.append((src, name, subjects))
        for s in sorted(subjects):
            other = claimed.setdefault(s, name)
            if other != name:
                found.append(
                    _violation(src, s, None, f"{s} is also described by {other} in this load")
                )
    if store is None:
        return found
    # Only stored graphs this write leaves in place can own a subject (none on a full reload).
    others = sorted({str(g) for g in store.public_graphs()} - replaced - own_graphs)
    for src, _, subjects in per_source:
        owners = _described_in(store, sorted(subjects), others)
        for s, graph in sorted(owners.items()):
            found.append(
                _violation(
                    src,
                    s,
                    None,
                    f"{s} is described by the graph {graph}: a source may link to it, not "
                    "describe it again (a second type, label or country)",
                )
            )
    return found


def _typed_in(store: Store, graphs: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for g in graphs:
        rows = store.select(
            "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s a ?t } FILTER(isIRI(?s)) }",
            {"g": URIRef(g)},
            dataset="all",
        )
        found.update(str(r["s"]) for r in rows)
    return found


def deletions(
    datas_by_graph: dict[str, OxGraph | None], store: Store | None, base: str
) -> list[Violation]:
    """Things the write removes (typed in a replaced or dropped graph, typed nowhere after the
    write) that a graph the write keeps still links to. ``datas_by_graph``: graph IRI -> its
    new content, None for a drop."""
    if store is None or not datas_by_graph:
        return []
    stored = {str(g) for g in store.public_graphs()}
    touched = [g for g in datas_by_graph if g in stored]
    kept = sorted(stored - set(datas_by_graph))
    if not touched or not kept:  # nothing removed, or nothing left that could link to it
        return []
    before = _typed_in(store, touched)
    after: set[str] = set()
    for data in datas_by_graph.values():
        if data is not None:
            typed = _select(data, "SELECT DISTINCT ?s WHERE { ?s a ?t FILTER(isIRI(?s)) }")
            after.update(r["s"].value for r in typed)
    gone = sorted(before - after)
    found: list[Violation] = []
    in_kept = " ".join(term_n3(URIRef(g)) for g in kept)
    for i in range(0, len(gone), _CHUNK):
        values = " ".join(term_n3(URIRef(s)) for s in gone[i : i + _CHUNK])
        rows = store.select(
            f"SELECT ?o (SAMPLE(?s) AS ?by) (SAMPLE(?g) AS ?graph) WHERE {{ "
            f"VALUES ?o {{ {values} }} VALUES ?g {{ {in_kept} }} GRAPH ?g {{ ?s ?p ?o }} }} "
            "GROUP BY ?o"
        )
        for r in rows:
            thing = str(r["o"])
            found.append(
                Violation(
                    Location(str(r["graph"]), record=str(r["by"])),
                    thing,
                    None,
                    f"this write removes {thing}, which {r['by']} in {r['graph']} still "
                    "links to; change or remove that link first",
                    shape="cckg:write-rules",
                )
            )
    return found
