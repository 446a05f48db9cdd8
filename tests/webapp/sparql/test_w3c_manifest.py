"""A replay of the W3C protocol manifest.

W3C protocol manifest (tests/data/w3c-protocol/manifest.ttl): every query case passes. The
deviations are the update cases, because /sparql is read-only and refuses updates with 400:
``update_dataset_default_graph``, ``update_dataset_default_graphs``,
``update_dataset_named_graphs``, ``update_dataset_full``, ``update_post_form``,
``update_post_direct`` and ``update_base_uri`` expect 2xx. The ``bad_update_*`` cases expect
4xx and get 400, but because every update is refused, not because of the specific defect
each case tests.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import RDF
from rdflib.query import Result

from cckg.core.store import EmbeddedStore
from cckg.webapp import create_app
from cckg.webapp.pages.sparql import close_pool
from tests.webapp.sparql.support import (
    CCKG,
    PRIVATE,
    W3C_DIR,
    assert_no_secrets,
    free_port,
    raw_call,
)

# ---------------------------------------------------------------- W3C protocol manifest


MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
UPDATE_DEVIATIONS = {
    "update_dataset_default_graph",
    "update_dataset_default_graphs",
    "update_dataset_named_graphs",
    "update_dataset_full",
    "update_post_form",
    "update_post_direct",
    "update_base_uri",
}
RESULT_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = RESULT_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"application/rdf+xml", "text/turtle", "application/n-triples"}


def _manifest_cases() -> list[tuple[str, list[dict]]]:
    g = Graph().parse(W3C_DIR / "manifest.ttl", format="turtle")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    cases = []
    for entry in g.items(g.value(manifest, MF.entries)):
        name = str(entry).rsplit("#", 1)[-1]
        action = g.value(entry, MF.action)
        requests = []
        for req in g.items(g.value(action, HT.requests)):
            headers = (
                {
                    str(g.value(h, HT.fieldName)): str(g.value(h, HT.fieldValue))
                    for h in g.items(g.value(req, HT.headers))
                }
                if g.value(req, HT.headers)
                else {}
            )
            body = g.value(g.value(req, HT.body), CNT.chars) if g.value(req, HT.body) else None
            resp = g.value(req, HT.resp)
            requests.append(
                {
                    "method": str(g.value(req, HT.methodName)),
                    "path": str(g.value(req, HT.absolutePath)).replace("/sparql/", "/sparql", 1),
                    "headers": headers,
                    "body": None if body is None else str(body),
                    "status": {
                        str(s).removeprefix(HTS)[0] for s in g.objects(resp, MF.expectedStatus)
                    },
                    "format": str(g.value(resp, MF.expectedFormat) or ""),
                    "boolean": g.value(resp, MF.expectedBoolean),
                }
            )
        cases.append((name, requests))
    return cases


W3C_CASES = _manifest_cases()


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory) -> Iterator[str]:
    """The app over a store holding the manifest's graphs (plus a private graph), behind
    waitress, so the protocol cases run against a real server."""
    from waitress.server import create_server

    path = tmp_path_factory.mktemp("w3c") / "store"
    store = EmbeddedStore(path)
    for n in (1, 2, 3):
        store.raw.load(
            (W3C_DIR / f"data{n}.nt").read_bytes(),
            format=ox.RdfFormat.N_TRIPLES,
            to_graph=ox.NamedNode(f"http://kasei.us/2009/09/sparql/data/data{n}.rdf"),
        )
    store.raw.add(
        ox.Quad(
            ox.NamedNode("http://ex/p"),
            ox.NamedNode(f"{CCKG}email"),
            ox.Literal("w3c@example.org"),
            ox.NamedNode(PRIVATE),
        )
    )
    w3c_app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store})
    server = create_server(w3c_app, host="127.0.0.1", port=free_port(), threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    yield base
    close_pool(w3c_app)
    server.close()
    store.close()


@pytest.mark.parametrize(("name", "requests"), W3C_CASES, ids=[c[0] for c in W3C_CASES])
def test_w3c_protocol_manifest(w3c_server, name, requests):
    for i, req in enumerate(requests):
        charset = "utf-16" if "UTF-16" in req["headers"].get("content-type", "") else "utf-8"
        body = None if req["body"] is None else req["body"].encode(charset)
        status, headers, data = raw_call(
            w3c_server, req["method"], req["path"], body, req["headers"]
        )
        assert b"Traceback" not in data
        if name in UPDATE_DEVIATIONS:
            # Deviation: the endpoint is read-only; the update is refused, never executed.
            assert i == 0 and status == 400 and b"read-only" in data
            return
        assert str(status)[0] in req["status"], (name, status, data[:300])
        ctype = headers.get("content-type", "").split(";")[0]
        if req["format"] == "boolean":
            assert ctype in RESULT_TYPES
            fmt = "json" if ctype.endswith("json") else "xml"
            answer = Result.parse(io.BytesIO(data), format=fmt).askAnswer
            if req["boolean"] is not None:
                assert answer is req["boolean"].toPython(), (name, data)
        elif req["format"] == "tabular":
            assert ctype in TABULAR_TYPES
        elif req["format"] == "RDF":
            assert ctype in RDF_TYPES
            Graph().parse(
                data=data,
                format={"text/turtle": "turtle", "application/rdf+xml": "xml"}.get(ctype, "nt"),
            )
        assert_no_secrets(data)
