"""Linked-data pages /id/{kind}/{slug}, the JSON-LD context and the /def/ documents."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from pyld import jsonld
from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from cckg.core.settings import ONTOLOGY_NS
from cckg.webapp.jsonld import EXTERNAL_TERMS, term_iris

ID = "https://w3id.org/cckg/id/"
CCKG = ONTOLOGY_NS
ROSTOCK = "/id/city/2844588"
SOLUTION = "/id/solution/bizerte-composting"

RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}
ALL_TYPES = ["text/html", *RDF_TYPES]


def parse(resp, media_type: str) -> Graph:
    """The RDF of a response; JSON-LD through pyld with our context (see expand_jsonld)."""
    if media_type == "application/ld+json":
        return expand_jsonld(resp.get_json(), resp)
    return Graph().parse(data=resp.data, format=RDF_TYPES[media_type])


@pytest.fixture(scope="module")
def context_doc(app):
    return app.test_client().get("/context.jsonld").get_json()


_CONTEXT: dict = {}


def _loader(url: str, options=None):
    """Serves our /context.jsonld from the test client; refuses every other URL (offline)."""
    if url.endswith("/context.jsonld") and _CONTEXT:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": _CONTEXT,
        }
    raise jsonld.JsonLdError(
        f"refusing to load {url} in tests",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


@pytest.fixture(autouse=True, scope="module")
def _serve_context(context_doc):
    _CONTEXT.clear()
    _CONTEXT.update(context_doc)
    yield
    _CONTEXT.clear()


def expand_jsonld(doc: dict, resp=None) -> Graph:
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": _loader})
    return Graph().parse(data=nquads, format="nt")


# ---------------------------------------------------------------- conneg


@pytest.mark.parametrize("media_type", ALL_TYPES)
def test_accept_header_selects_the_representation(client, media_type):
    resp = client.get(ROSTOCK, headers={"Accept": media_type})
    assert resp.status_code == 200
    assert resp.mimetype == media_type
    if media_type == "text/html":
        assert "<h1><bdi>Rostock</bdi></h1>" in resp.get_data(as_text=True)
        return
    g = parse(resp, media_type)
    assert (URIRef(ID + "city/2844588"), RDFS.label, Literal("Rostock")) in g


def test_no_accept_header_and_browser_accept_give_html(client):
    assert client.get(ROSTOCK).mimetype == "text/html"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get(ROSTOCK, headers={"Accept": browser}).mimetype == "text/html"


def test_quality_values_are_honoured(client):
    resp = client.get(ROSTOCK, headers={"Accept": "text/html;q=0.5, text/turtle"})
    assert resp.mimetype == "text/turtle"
    resp = client.get(ROSTOCK, headers={"Accept": "application/json"})
    assert resp.mimetype == "application/json"
    assert resp.get_json()["@context"].endswith("/context.jsonld")


@pytest.mark.parametrize("media_type", ALL_TYPES)
def test_mediatype_parameter_overrides_accept(client, media_type):
    resp = client.get(
        f"{ROSTOCK}?_mediatype={quote(media_type, safe='')}", headers={"Accept": "text/html"}
    )
    assert resp.status_code == 200
    assert resp.mimetype == media_type


def test_mediatype_with_unencoded_plus(client):
    # "+" in a query string decodes to a space: accept it anyway
    resp = client.get(f"{ROSTOCK}?_mediatype=application/ld+json")
    assert resp.mimetype == "application/ld+json"


def test_headers_vary_content_location_link(client):
    resp = client.get(ROSTOCK, headers={"Accept": "text/turtle"})
    assert "Accept" in resp.headers["Vary"]
    assert resp.headers["Content-Location"] == f"{ROSTOCK}?_mediatype=text/turtle"
    link = resp.headers["Link"]
    assert f'<{ID}city/2844588>; rel="canonical"' in link
    for media_type in ALL_TYPES:
        if media_type == "text/turtle":
            continue
        url = f"{ROSTOCK}?_mediatype={quote(media_type, safe='/')}"
        assert f'<{url}>; rel="alternate"; type="{media_type}"' in link
    assert 'type="text/turtle"' not in link
    html = client.get(ROSTOCK)
    assert html.headers["Content-Location"] == f"{ROSTOCK}?_mediatype=text/html"


def test_alternate_urls_in_link_header_work(client):
    link = client.get(ROSTOCK).headers["Link"]
    urls = [part.split(">")[0].lstrip(" <") for part in link.split(",") if "alternate" in part]
    assert len(urls) == 4
    for url in urls:
        assert client.get(url).status_code == 200


# ---------------------------------------------------------------- errors


def test_unknown_thing_is_404(client):
    assert client.get("/id/solution/no-such-solution").status_code == 404
    assert (
        client.get("/id/solution/no-such-solution", headers={"Accept": "text/turtle"}).status_code
        == 404
    )


def test_unknown_kind_is_404(client):
    assert client.get("/id/planet/mars").status_code == 404


@pytest.mark.parametrize("slug", ["Bad_Slug", "UPPER", "-leading-hyphen", "a%20b", "x.ttl"])
def test_malformed_slug_is_400(client, slug):
    resp = client.get(f"/id/solution/{slug}")
    assert resp.status_code == 400
    assert "slug" in resp.get_data(as_text=True)


def test_unsupported_type_is_406_with_the_supported_list(client):
    resp = client.get(ROSTOCK, headers={"Accept": "image/png"})
    assert resp.status_code == 406
    body = resp.get_data(as_text=True)
    for media_type in ALL_TYPES:
        assert media_type in body
    assert client.get(f"{ROSTOCK}?_mediatype=text/csv").status_code == 406


# ---------------------------------------------------------------- the description


def test_description_has_outbound_parts_inbound_and_labels(client):
    g = Graph().parse(data=client.get(ROSTOCK, headers={"Accept": "text/turtle"}).data)
    rostock = URIRef(ID + "city/2844588")
    geometry = URIRef(ID + "city/2844588#geometry")
    bizerte = URIRef(ID + "solution/bizerte-composting")
    germany = URIRef(ID + "country/de")
    assert (rostock, URIRef(CCKG + "country"), germany) in g
    assert (germany, RDFS.label, Literal("Germany", lang="en")) in g  # label of a linked IRI
    assert any(g.triples((geometry, None, None)))  # hash-IRI part
    assert (bizerte, URIRef(CCKG + "partnerCity"), rostock) in g  # inbound link
    assert any(g.triples((bizerte, RDFS.label, None)))  # ... with its label


def test_theme_page_lists_labels_of_inbound_and_outbound_links(client):
    g = Graph().parse(data=client.get("/id/theme/mobility", headers={"Accept": "text/turtle"}).data)
    mobility = URIRef(ID + "theme/mobility")
    narrower = set(g.objects(mobility, SKOS.narrower))
    assert narrower
    for n in narrower:
        assert any(g.triples((n, SKOS.prefLabel, None)))


def test_inbound_links_are_capped(app, demo_store):
    from cckg.webapp.pages.linked_data import describe

    full = describe(demo_store, URIRef(ID + "country/de"))
    capped = describe(demo_store, URIRef(ID + "country/de"), inbound_cap=3)
    assert len(full.inbound_links) > 3 and not full.inbound_truncated
    assert len(capped.inbound_links) == 3 and capped.inbound_truncated
    subjects = {s for s, _ in capped.inbound_links}
    for s, _, _ in capped.graph.triples((None, RDFS.label, None)):
        assert s in subjects or s in set(capped.outbound.subjects()) | set(
            capped.outbound.objects()
        )


def test_html_page(client):
    html = client.get(SOLUTION).get_data(as_text=True)
    assert "<h1><bdi>Turning waste into a resource" in html
    assert 'href="/id/city/2844588"' in html  # our IRIs link to local pages
    assert ">Rostock</a>" in html  # ... with their labels
    assert "connective-cities.net" in html  # sources
    for fmt in ("Turtle", "JSON-LD", "RDF/XML", "N-Triples"):
        assert f">{fmt}</a>" in html
    assert "Linked from" in html


def test_html_of_a_geonames_city_credits_geonames(client):
    html = client.get(ROSTOCK).get_data(as_text=True)
    assert "https://sws.geonames.org/2844588/" in html
    assert "CC BY 4.0" in html


def test_practitioner_page_is_flagged_as_example(client, practitioners):
    html = client.get(practitioners[0]).get_data(as_text=True)
    assert "Fictional example" in html


# ---------------------------------------------------------------- caching


def test_etag_and_304(client):
    first = client.get(ROSTOCK, headers={"Accept": "text/turtle"})
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get(ROSTOCK, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert "Accept" in again.headers["Vary"]
    other = client.get(ROSTOCK, headers={"Accept": "application/ld+json", "If-None-Match": etag})
    assert other.status_code == 200  # another representation has another ETag
    assert other.headers["ETag"] != etag
    since = client.get(
        ROSTOCK,
        headers={"Accept": "text/turtle", "If-Modified-Since": first.headers["Last-Modified"]},
    )
    assert since.status_code == 304


def test_store_version_is_cached_and_invalidated(app, demo_store):
    from cckg.webapp import caching

    with app.app_context():
        v1 = caching.store_version(app)
        caching.version_cache(app)["probe"] = 1
        assert caching.store_version(app) == v1
        caching.invalidate(app)
        assert "probe" not in caching.version_cache(app)
        assert caching.store_version(app).tag == v1.tag  # same content, same version


# ---------------------------------------------------------------- privacy


@pytest.fixture(scope="module")
def practitioners(demo_store) -> list[str]:
    rows = demo_store.select(f"SELECT ?p WHERE {{ ?p a <{CCKG}Practitioner> }} ORDER BY ?p")
    return ["/" + str(r["p"])[len("https://w3id.org/cckg/") :] for r in rows]


@pytest.fixture(scope="module")
def private_values(demo_store) -> list[str]:
    rows = demo_store.select(
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
        {"g": URIRef("https://w3id.org/cckg/graph/private")},
        dataset="all",
    )
    values = [str(r["o"]) for r in rows]
    assert len(values) >= 13  # the fixture really has private data to leak
    return values


@pytest.mark.parametrize("media_type", ALL_TYPES)
def test_no_private_data_in_any_representation_of_any_practitioner(
    client, practitioners, private_values, media_type
):
    assert len(practitioners) >= 10
    for path in practitioners:
        resp = client.get(path, headers={"Accept": media_type})
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        for value in private_values:
            assert value not in body, f"{value} leaked on {path} ({media_type})"
        assert "cckg#email" not in body and "cckg#phone" not in body
        assert '"email"' not in body and '"phone"' not in body


# ---------------------------------------------------------------- JSON-LD


def test_context_defines_a_term_for_every_predicate_in_the_store(demo_store, context_doc):
    defined = term_iris(context_doc)
    rows = demo_store.select("SELECT DISTINCT ?p WHERE { ?s ?p ?o }")
    missing = sorted(str(r["p"]) for r in rows if str(r["p"]) not in defined)
    missing = [p for p in missing if p != "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"]
    assert not missing, f"add JSON-LD terms for {missing}"


def test_context_is_served_with_cors_and_etag(client):
    resp = client.get("/context.jsonld")
    assert resp.mimetype == "application/ld+json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert (
        client.get("/context.jsonld", headers={"If-None-Match": resp.headers["ETag"]}).status_code
        == 304
    )
    assert set(EXTERNAL_TERMS) <= set(resp.get_json()["@context"])


def _keys(node, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            out.add(k)
            if k != "@context":
                _keys(v, out)
    elif isinstance(node, list):
        for v in node:
            _keys(v, out)
    return out


JSONLD_PAGES = [
    ROSTOCK,
    SOLUTION,
    "/id/country/de",
    "/id/theme/mobility",
    "/id/region/mena",
    "/id/institution/greater-amman-municipality",
    "/id/event/2016-rostock-integrated-solid-waste-management",
    "/id/project-idea/2023-zanzibar-biocooling",
    "/id/need/2020-qalqilya-home-based-food-businesses",
    "/id/offer/mionica-volunteer-centre",
    "/id/practitioner/example-olena-pryklad",
    "/dataset",
    "/def/cckg",
    "/def/themes",
    "/def/shapes",
]


@pytest.mark.parametrize("path", JSONLD_PAGES)
def test_jsonld_expands_without_loss(client, context_doc, path):
    """pyld expands the document (context served locally, nothing remote) to exactly the
    triples of the Turtle representation: no term was dropped."""
    doc = client.get(path, headers={"Accept": "application/ld+json"}).get_json()
    assert doc["@context"] == "http://localhost/context.jsonld"
    expanded = expand_jsonld(doc)
    turtle = Graph().parse(data=client.get(path, headers={"Accept": "text/turtle"}).data)
    assert len(turtle) > 10
    assert isomorphic(expanded, turtle)
    if path.startswith("/id/"):
        terms = set(context_doc["@context"])
        undefined = {k for k in _keys(doc, set()) if not k.startswith("@") and k not in terms}
        assert not undefined, f"keys without a term: {undefined}"


def test_jsonld_puts_the_described_thing_first(client):
    doc = client.get(SOLUTION, headers={"Accept": "application/ld+json"}).get_json()
    assert doc["@graph"][0]["@id"] == ID + "solution/bizerte-composting"
    assert doc["@graph"][0]["@type"] == "Solution"


def test_jsonld_loader_refuses_remote_contexts():
    with pytest.raises(jsonld.JsonLdError):
        expand_jsonld({"@context": "https://schema.org/", "name": "x"})


# ---------------------------------------------------------------- /def/


@pytest.mark.slow
def test_ontology_docs_html_and_turtle(client):
    html = client.get("/def/cckg", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert 'id="City"' in html.get_data(as_text=True)  # pyLODE section for cckg:City
    ttl = client.get("/def/cckg", headers={"Accept": "text/turtle"})
    assert ttl.mimetype == "text/turtle" and "Accept" in ttl.headers["Vary"]
    assert b"# The Connective Cities Knowledge Graph ontology." in ttl.data  # the file itself
    g = Graph().parse(data=ttl.data, format="turtle")
    assert (URIRef(CCKG + "City"), RDFS.label, Literal("City", lang="en")) in g
    fixed = client.get("/def/cckg.ttl", headers={"Accept": "text/html"})
    assert fixed.mimetype == "text/turtle" and fixed.data == ttl.data
    for ext, media_type in (("jsonld", "application/ld+json"), ("rdf", "application/rdf+xml"),
                            ("nt", "application/n-triples")):  # fmt: skip
        assert client.get(f"/def/cckg.{ext}").mimetype == media_type
    assert client.get("/def/cckg.pdf").status_code == 404
    assert client.get("/def/nothing").status_code == 404


def test_shapes_document_is_both_shape_files(client):
    from cckg.core.resources import resource_dir

    ttl = client.get("/def/shapes", headers={"Accept": "text/turtle"})
    served = Graph().parse(data=ttl.data, format="turtle")
    union = Graph()
    for name in ("cckg-shapes.ttl", "private-shapes.ttl"):
        union.parse(resource_dir("shapes") / name, format="turtle")
    assert len(served) == len(union) and isomorphic(served, union)
    html = client.get("/def/shapes").get_data(as_text=True)
    assert '<pre class="source"><code>' in html and "private-shapes.ttl" in html


@pytest.mark.parametrize("name,top", [("themes", "/id/theme/municipal-services"),
                                      ("regions", "/id/region/mena")])  # fmt: skip
def test_scheme_documents(client, name, top):
    html = client.get(f"/def/{name}").get_data(as_text=True)
    assert f'href="{top}"' in html
    ttl = client.get(f"/def/{name}", headers={"Accept": "text/turtle"})
    assert any(
        Graph().parse(data=ttl.data, format="turtle").triples((None, SKOS.hasTopConcept, None))
    )
    assert client.get(f"/def/{name}.ttl").data == ttl.data


def test_live_server_serves_turtle(live_server):
    import urllib.request

    req = urllib.request.Request(live_server + ROSTOCK, headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback)
        assert resp.headers["Content-Type"].startswith("text/turtle")
        assert "Rostock" in resp.read().decode()
