"""The dataset description (VoID + DCAT) and the gzipped N-Quads dumps of the public graphs.

``/.well-known/void`` and ``/dataset`` describe the dataset: triple counts per public named graph
(each a ``void:subset``), sources and licences per graph, vocabularies, example resources, the
SPARQL endpoint and one ``dcat:Distribution`` per dump. Dumps are built on first request from
the public graphs only (never the private graph), and kept in memory until the store's content
changes (see ``cckg.webapp.caching``).

Licences: GeoNames data is CC BY 4.0; what the project itself wrote (ontology, schemes,
fictional examples) is CC BY 4.0; the curated facts are paraphrased from public web pages whose
licence is not stated, so no licence is claimed for them: their ``dcterms:rights`` says to check
the sources (each record links its page with ``dcterms:source``).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, VOID, XSD

from cckg.core import iris
from cckg.core.queries import helper
from cckg.core.settings import ONTOLOGY_NS
from cckg.core.store import Store
from cckg.webapp import caching, conneg
from cckg.webapp.i18n import current_lang
from cckg.webapp.linked import rdf_response
from cckg.webapp.store import get_store
from cckg.webapp.versions import latest_version

bp = Blueprint("dataset", __name__)

CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
NQUADS_TYPE = URIRef("https://www.iana.org/assignments/media-types/application/n-quads")
GZIP_TYPE = URIRef("https://www.iana.org/assignments/media-types/application/gzip")
SD = "http://www.w3.org/ns/sparql-service-description#"


@dataclass(frozen=True)
class GraphPolicy:
    """Licence and source of the graphs whose name starts with ``prefix`` (first match wins)."""

    prefix: str
    license: URIRef | None
    rights: str
    source: URIRef | None = None


POLICIES: tuple[GraphPolicy, ...] = (
    GraphPolicy(
        "reference/geonames-cities",
        CC_BY,
        "© GeoNames (geonames.org), CC BY 4.0: credit GeoNames wherever you show or pass on "
        "these cities.",
        URIRef("https://www.geonames.org/"),
    ),
    GraphPolicy(
        "curated/",
        None,
        "Facts paraphrased from public web pages, mostly connective-cities.net; every record "
        "links its page with dcterms:source. The pages do not state a licence: see the sources "
        "before reusing these facts.",
        URIRef("https://www.connective-cities.net/"),
    ),
    GraphPolicy(
        "examples/", CC_BY, "Fictional demonstration data written by the cckg project, CC BY 4.0."
    ),
    GraphPolicy("ontology/", CC_BY, "Written by the cckg project, CC BY 4.0."),
    GraphPolicy(
        "reference/", None, "Reference data: see the terms of the source named by dcterms:source."
    ),
)
DEFAULT_POLICY = GraphPolicy("", None, "See the source of this graph.")
DATASET_RIGHTS = (
    "Licences differ per named graph (see each void:subset): GeoNames cities and the project's "
    "own ontology, schemes and examples are CC BY 4.0; the curated facts come from public pages "
    "whose licence is not stated. Personal contact data is never published."
)


def policy_for(name: str) -> GraphPolicy:
    return next((p for p in POLICIES if name.startswith(p.prefix)), DEFAULT_POLICY)


@dataclass
class GraphInfo:
    iri: str
    name: str  # e.g. curated/solutions
    title: str
    triples: int
    policy: GraphPolicy
    sources: list[str]
    generated: str | None
    dump_url: str


@dataclass
class DatasetInfo:
    graphs: list[GraphInfo]
    triples: int
    classes: list[tuple[str, int, str]]  # (class IRI, instances, example instance)
    vocabularies: list[str]
    properties: int
    examples: list[str]


def graph_name(iri: str, base: str) -> str:
    prefix = f"{base}graph/"
    return iri[len(prefix) :] if iri.startswith(prefix) else iri


GROUP_TITLES = {
    "curated": "Curated data",
    "examples": "Fictional examples",
    "ontology": "Vocabulary",
    "reference": "Reference data",
}


def _title(name: str) -> str:
    group, _, rest = name.partition("/")
    return f"{GROUP_TITLES.get(group, group)}: {rest.replace('-', ' ')}" if rest else name


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def dataset_info(store: Store, base: str) -> DatasetInfo:
    """Counts and metadata of the public graphs (the caller caches it per store version)."""
    counts = {
        str(r["g"]): int(r["triples"])
        for r in store.select(helper("internal/count_graph_triples"), dataset="public")
    }
    meta: dict[str, dict[str, list[Any]]] = {}
    for r in store.select(helper("internal/get_graph_metadata"), dataset="public"):
        meta.setdefault(str(r["g"]), {}).setdefault(str(r["p"]), []).append(r["o"])
    graphs = []
    for iri in sorted(counts):
        name = graph_name(iri, base)
        m = meta.get(iri, {})
        policy = policy_for(name)
        sources = sorted({str(s) for s in m.get(str(DCTERMS.source), [])})
        if policy.source and str(policy.source) not in sources:
            sources.append(str(policy.source))
        titles = m.get(str(DCTERMS.title), [])
        title = str(titles[0]) if titles else _title(name)
        generated = m.get(str(PROV.generatedAtTime), [None])[0]
        dump = url_for("dataset.graph_dump", name=f"{name}.nq.gz", _external=True)
        graphs.append(
            GraphInfo(iri, name, title, counts[iri], policy, sources,
                      str(generated) if generated else None, dump)
        )  # fmt: skip
    predicates = [str(r["p"]) for r in store.select(helper("internal/count_dataset_predicates"))]
    class_rows = store.select(helper("internal/count_dataset_classes"), dataset="public")
    classes = sorted(
        (str(r["class"]), int(r["entities"]), str(r["example"]))
        for r in class_rows
        if str(r["class"]).startswith(ONTOLOGY_NS)
    )
    vocabularies = sorted(
        {_namespace(p) for p in predicates} | {_namespace(c) for c, _, _ in classes}
    )
    examples = [ex for _, _, ex in classes if iris.split(ex, base)][:8]
    return DatasetInfo(
        graphs, sum(counts.values()), classes, vocabularies, len(set(predicates)), examples
    )


def void_graph(info: DatasetInfo, base: str, version: caching.StoreVersion) -> Graph:
    """The VoID + DCAT description as RDF."""
    g = Graph()
    ds = URIRef(f"{base}dataset")
    sparql = URIRef(request.url_root + "sparql")  # the SPARQL blueprint's route
    all_dump = URIRef(url_for("dataset.all_dump", _external=True))
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("Connective Cities Knowledge Graph", lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "Proven local solutions for sustainable urban development, the cities, institutions "
        "and practitioners behind them, events, project ideas, and needs and offers of "
        "know-how.", lang="en")))  # fmt: skip
    g.add((ds, DCTERMS.rights, Literal(DATASET_RIGHTS, lang="en")))
    g.add((ds, DCAT.landingPage, URIRef(url_for("dataset.dataset_page", _external=True))))
    g.add((ds, FOAF.homepage, URIRef(request.host_url)))
    if version.last_modified is not None:
        g.add(
            (
                ds,
                DCTERMS.modified,
                Literal(version.last_modified.isoformat(), datatype=XSD.dateTime),
            )
        )
    g.add((ds, VOID.triples, Literal(info.triples)))
    g.add((ds, VOID.classes, Literal(len(info.classes))))
    g.add((ds, VOID.properties, Literal(info.properties)))
    g.add((ds, VOID.uriSpace, Literal(f"{base}id/")))
    g.add((ds, VOID.sparqlEndpoint, sparql))
    g.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/N-Quads")))
    for vocab in info.vocabularies:
        g.add((ds, VOID.vocabulary, URIRef(vocab)))
    for example in info.examples:
        g.add((ds, VOID.exampleResource, URIRef(example)))
    for cls, n, _ in info.classes:
        part = BNode()
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(n)))
    service = sparql
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, sparql))
    g.add((service, DCAT.servesDataset, ds))
    g.add((ds, DCAT.accessService, service))
    _distribution(g, ds, all_dump, "All public graphs as gzipped N-Quads")
    g.add((ds, VOID.dataDump, all_dump))
    for gi in info.graphs:
        sub = URIRef(gi.iri)
        g.add((ds, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, URIRef(SD + "name"), sub))
        g.add((sub, DCTERMS.identifier, Literal(gi.name)))
        g.add((sub, DCTERMS.title, Literal(gi.title, lang="en")))
        g.add((sub, VOID.triples, Literal(gi.triples)))
        g.add((sub, DCTERMS.rights, Literal(gi.policy.rights, lang="en")))
        if gi.policy.license is not None:
            g.add((sub, DCTERMS.license, gi.policy.license))
        for source in gi.sources:
            g.add((sub, DCTERMS.source, URIRef(source)))
        if gi.generated:
            g.add((sub, PROV.generatedAtTime, Literal(gi.generated, datatype=XSD.dateTime)))
        dump = URIRef(gi.dump_url)
        g.add((sub, VOID.dataDump, dump))
        _distribution(g, sub, dump, f"Graph {gi.name} as gzipped N-Quads")
    return g


def _distribution(g: Graph, dataset: URIRef, url: URIRef, title: str) -> None:
    g.add((dataset, DCAT.distribution, url))
    g.add((url, RDF.type, DCAT.Distribution))
    g.add((url, DCTERMS.title, Literal(title, lang="en")))
    g.add((url, DCAT.downloadURL, url))
    g.add((url, DCAT.mediaType, NQUADS_TYPE))
    g.add((url, DCAT.compressFormat, GZIP_TYPE))


# ---------------------------------------------------------------- dumps


def nquads(store: Store, graphs: Iterable[URIRef]) -> bytes:
    """N-Quads of the given graphs, each quad naming its graph (as ``export_nquads`` writes
    them on every backend: no parsing and writing again, which held the GIL for seconds in a
    server thread on the real graph)."""
    return store.export_nquads(list(graphs))


def dump_gz(graphs: list[URIRef], key: str) -> bytes:
    def compute() -> bytes:
        return gzip.compress(nquads(get_store(), graphs), compresslevel=6, mtime=0)

    return caching.cached(f"dump:{key}", compute)


def _dump_response(data: bytes, filename: str, version: caching.StoreVersion) -> Response:
    # application/gzip and no Content-Encoding: clients must keep the bytes gzipped (with
    # Content-Encoding: gzip they would unpack a file that is still called .nq.gz).
    response = Response(data, content_type="application/gzip")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.set_etag(caching.etag_for(version, "dump", filename))
    if version.last_modified is not None:
        response.last_modified = version.last_modified
    response.cache_control.public = True
    # (returns the response itself, typed as werkzeug's)
    response.make_conditional(request, accept_ranges=True, complete_length=len(data))
    return response


@bp.get("/dumps/all.nq.gz")
def all_dump() -> Response:
    version = caching.store_version()
    graphs = get_store().public_graphs()
    return _dump_response(dump_gz(graphs, "all"), "cckg-all.nq.gz", version)


@bp.get("/dumps/<path:name>")
def graph_dump(name: str) -> Response:
    if not name.endswith(".nq.gz"):
        abort(404, description="dumps are /dumps/all.nq.gz and /dumps/{graph name}.nq.gz")
    graph_path = name[: -len(".nq.gz")]
    base = current_app.config["CCKG_BASE_IRI"]
    public = {graph_name(str(g), base): g for g in get_store().public_graphs()}
    if graph_path not in public:
        abort(404, description=f"no public graph named {graph_path!r}; see /dataset")
    version = caching.store_version()
    filename = "cckg-" + graph_path.replace("/", "-") + ".nq.gz"
    return _dump_response(dump_gz([public[graph_path]], graph_path), filename, version)


# ---------------------------------------------------------------- the description


def _info() -> DatasetInfo:
    """Counted once per store version, whatever the Host header: the URLs that depend on it
    are made when the description is rendered."""
    base = current_app.config["CCKG_BASE_IRI"]
    return caching.cached("dataset_info", lambda: dataset_info(get_store(), base))


@bp.get("/dataset")
def dataset_page() -> Response:
    return _describe()


@bp.get("/.well-known/void")
def well_known_void() -> Response:
    return _describe()


def _describe() -> Response:
    choice = conneg.negotiate()
    version = caching.store_version()
    lang = current_lang() if choice.representation.media_type == conneg.HTML else ""
    etag = caching.etag_for(
        version, request.host_url, request.path, choice.content_type, lang, latest_version()
    )
    offered = conneg.REPRESENTATIONS
    if caching.not_modified(etag, version):
        response = Response(status=304)
        conneg.decorate(response, choice, request.path, offered)
        return caching.set_validators(response, etag, version)
    base = current_app.config["CCKG_BASE_IRI"]
    info = _info()
    if choice.representation.media_type != conneg.HTML:
        graph = void_graph(info, base, version)
        return rdf_response(graph, choice, request.path, offered, etag, version)
    alternates = [
        (r.title, r.media_type, url)
        for r, url in conneg.alternates(request.path, conneg.RDF_REPRESENTATIONS)
    ]
    html = render_template(
        "dataset.html",
        info=info,
        base=base,
        version=version,
        alternates=alternates,
        sparql=request.script_root + "/sparql",
        all_dump=url_for("dataset.all_dump"),
        rights=DATASET_RIGHTS,
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    conneg.decorate(response, choice, request.path, offered)
    return caching.set_validators(response, etag, version)
