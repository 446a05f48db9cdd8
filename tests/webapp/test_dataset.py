"""The VoID/DCAT description and the gzipped N-Quads dumps of the public graphs."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

# Plain namespaces: pytest probes module globals, and rdflib's closed DCAT warns on that.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")

BASE = "https://w3id.org/cckg/"
PRIVATE = URIRef(BASE + "graph/private")
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
DATASET = URIRef(BASE + "dataset")


@pytest.fixture(scope="module")
def void(client_module) -> Graph:
    resp = client_module.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200 and resp.mimetype == "text/turtle"
    return Graph().parse(data=resp.data, format="turtle")


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


@pytest.fixture(scope="module")
def store_counts(demo_store) -> dict[URIRef, int]:
    """Quads per named graph, read from pyoxigraph directly (private graph included)."""
    raw = demo_store.raw
    return {
        URIRef(g.value): sum(1 for _ in raw.quads_for_pattern(None, None, None, g))
        for g in raw.named_graphs()
        if isinstance(g, ox.NamedNode)
    }


@pytest.fixture(scope="module")
def private_values(demo_store) -> list[str]:
    rows = demo_store.select("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": PRIVATE}, "all")
    assert rows
    return [str(r["o"]) for r in rows]


def test_void_counts_per_graph_equal_the_store(void, store_counts):
    subsets = set(void.objects(DATASET, VOID.subset))
    public = {g for g in store_counts if g != PRIVATE and "/staging/" not in g}
    assert subsets == public
    for g in public:
        assert void.value(g, VOID.triples) == Literal(store_counts[g])
    total = sum(store_counts[g] for g in public)
    assert void.value(DATASET, VOID.triples) == Literal(total)
    assert PRIVATE not in set(void.subjects()) | set(void.objects())


def test_void_licences_sources_and_links(void):
    geonames = URIRef(BASE + "graph/reference/geonames-cities")
    assert void.value(geonames, DCTERMS.license) == CC_BY
    assert URIRef("https://www.geonames.org/") in set(void.objects(geonames, DCTERMS.source))
    solutions = URIRef(BASE + "graph/curated/solutions")
    assert void.value(solutions, DCTERMS.license) is None  # not ours to license
    assert "licence" in str(void.value(solutions, DCTERMS.rights))
    assert URIRef("https://www.connective-cities.net/") in set(
        void.objects(solutions, DCTERMS.source)
    )
    assert void.value(URIRef(BASE + "graph/ontology/cckg"), DCTERMS.license) == CC_BY
    assert void.value(URIRef(BASE + "graph/examples/practitioners"), DCTERMS.license) == CC_BY
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://localhost/sparql")
    assert str(void.value(DATASET, VOID.uriSpace)) == BASE + "id/"
    vocabularies = set(void.objects(DATASET, VOID.vocabulary))
    assert URIRef("https://w3id.org/cckg/def/cckg#") in vocabularies
    assert URIRef("http://www.w3.org/2004/02/skos/core#") in vocabularies
    examples = set(void.objects(DATASET, VOID.exampleResource))
    assert examples and all(str(e).startswith(BASE + "id/") for e in examples)
    dists = set(void.objects(DATASET, DCAT.distribution))
    assert URIRef("http://localhost/dumps/all.nq.gz") in dists
    for g in void.objects(DATASET, VOID.subset):
        (dist,) = void.objects(g, DCAT.distribution)
        assert (dist, RDF.type, DCAT.Distribution) in void
        assert void.value(dist, DCAT.downloadURL) == dist
        assert str(dist).endswith(".nq.gz")


def test_dataset_page_conneg(client_module):
    html = client_module.get("/dataset")
    assert html.mimetype == "text/html"
    text = html.get_data(as_text=True)
    assert "curated/solutions" in text and "/dumps/all.nq.gz" in text
    assert "GeoNames" in text
    jsonld = client_module.get("/dataset", headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "application/ld+json"
    assert jsonld.get_json()["@context"] == "http://localhost/context.jsonld"
    # (lossless expansion of this JSON-LD is checked in test_linked_data.py)
    ttl = client_module.get("/dataset", headers={"Accept": "text/turtle"})
    assert "Accept" in ttl.headers["Vary"]
    assert ttl.headers["Content-Location"] == "/dataset?_mediatype=text/turtle"


def _quads(data: bytes) -> Dataset:
    ds = Dataset()
    ds.parse(data=gzip.decompress(data).decode("utf-8"), format="nquads")
    return ds


def _check_download(resp, filename: str) -> None:
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in resp.headers  # the bytes stay gzipped on disk
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert resp.data[:2] == b"\x1f\x8b"


@pytest.mark.slow
def test_full_dump_is_public_nquads(client_module, store_counts, private_values):
    resp = client_module.get("/dumps/all.nq.gz")
    _check_download(resp, "cckg-all.nq.gz")
    ds = _quads(resp.data)
    graphs = {c.identifier for c in ds.contexts() if len(c)}
    public = {g for g in store_counts if g != PRIVATE and "/staging/" not in g}
    assert graphs == public  # every quad names its graph, and only public graphs appear
    assert sum(len(ds.graph(g)) for g in public) == sum(store_counts[g] for g in public)
    for term in ("email", "phone"):  # the ontology declares them; no data may use them
        assert not any(ds.quads((None, URIRef(f"https://w3id.org/cckg/def/cckg#{term}"), None)))
    text = gzip.decompress(resp.data).decode("utf-8")
    for value in private_values:
        assert value not in text


@pytest.mark.slow
def test_graph_dumps(client_module, store_counts):
    for g, n in store_counts.items():
        name = str(g)[len(BASE + "graph/") :]
        resp = client_module.get(f"/dumps/{name}.nq.gz")
        if g == PRIVATE:
            assert resp.status_code == 404
            continue
        _check_download(resp, f"cckg-{name.replace('/', '-')}.nq.gz")
        ds = _quads(resp.data)
        assert len(ds.graph(g)) == n
        assert {c.identifier for c in ds.contexts() if len(c)} == {g}


@pytest.mark.parametrize(
    "path",
    ["/dumps/private.nq.gz", "/dumps/staging/x.nq.gz", "/dumps/nothing.nq.gz", "/dumps/curated"],
)
def test_no_dump_of_private_or_unknown_graphs(client_module, path):
    assert client_module.get(path).status_code == 404


def test_dump_is_cached_and_conditional(client_module):
    first = client_module.get("/dumps/curated/events.nq.gz")
    second = client_module.get("/dumps/curated/events.nq.gz")
    assert first.data == second.data  # gzip without a timestamp: identical bytes
    etag = first.headers["ETag"]
    again = client_module.get("/dumps/curated/events.nq.gz", headers={"If-None-Match": etag})
    assert again.status_code == 304
    part = client_module.get("/dumps/curated/events.nq.gz", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.data) == 10
