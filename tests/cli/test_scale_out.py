"""The documented scale-out (docs/deployment.md): several ``cckg serve`` workers, one external
SPARQL store. Each worker keeps its own per-version caches (ETags, rendered /id pages); a write
made through one worker must reach readers of every other worker, and no worker may publish
contact data.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from cckg.core import iris
from tests import ROOT
from tests.servers import free_port, oxigraph_binary, wait_http

pytestmark = [pytest.mark.slow, pytest.mark.remote]

TOKEN = "scale-out-test-token-0123456789abcdef"
KOTOR = "https://w3id.org/cckg/id/city/3197538"


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def cluster(demo_store, tmp_path_factory):
    """An Oxigraph server holding the demo data, and two ``cckg serve`` workers on it."""
    tmp = tmp_path_factory.mktemp("scale-out")
    port = free_port()
    oxi = subprocess.Popen(  # noqa: S603
        [oxigraph_binary(), "serve", "--location", str(tmp / "oxi"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[subprocess.Popen] = []
    try:
        store_url = f"http://127.0.0.1:{port}"
        wait_http(f"{store_url}/query?query=ASK%7B%7D")
        status, body = _post(
            f"{store_url}/store",
            demo_store.export_nquads(),
            {"Content-Type": "application/n-quads"},
        )
        assert status in (200, 201, 204), body
        env = {
            **os.environ,
            "CCKG_ENDPOINT": f"{store_url}/query",
            "CCKG_UPDATE_ENDPOINT": f"{store_url}/update",
            "CCKG_ADMIN_TOKEN": TOKEN,
            "CCKG_VERSION_TTL_S": "0",  # re-check the shared store's version on every request
            "CCKG_RATE_LIMIT": "0",
        }
        bases = []
        for _ in range(2):
            wport = free_port()
            workers.append(
                subprocess.Popen(  # noqa: S603 (our own CLI)
                    [
                        sys.executable,
                        "-m",
                        "cckg.cli",
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(wport),
                        "--threads",
                        "4",
                    ],  # fmt: skip
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp / f"worker-{wport}.log").open("wb"),
                    cwd=ROOT,
                )
            )
            bases.append(f"http://127.0.0.1:{wport}")
        for base in bases:
            wait_http(f"{base}/health", timeout=60)
        yield bases
    finally:
        for proc in [*workers, oxi]:
            _stop(proc)


def test_workers_agree_on_pages_and_validators(cluster):
    a, b = cluster
    accept = {"Accept": "text/turtle"}
    pages = [_get(f"{base}/id/city/3197538", accept) for base in (a, b, a, b)]
    assert all(status == 200 for status, _, _ in pages)
    assert len({body for _, _, body in pages}) == 1 and b"Kotor" in pages[0][2]
    etags = {headers["etag"] for _, headers, _ in pages}
    assert len(etags) == 1
    # A validator from one worker revalidates on the other.
    status, _, body = _get(f"{b}/id/city/3197538", {**accept, "If-None-Match": etags.pop()})
    assert status == 304 and body == b""


def test_a_write_through_one_worker_reaches_the_other(cluster):
    a, b = cluster
    accept = {"Accept": "text/turtle"}
    _, before_headers, before = _get(f"{b}/id/city/3197538", accept)
    _get(f"{b}/id/city/3197538", accept)  # cached on worker b now
    update = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        'INSERT { GRAPH ?g { ?c rdfs:label "Kotor (Scale-out)"@sr } }\n'
        f"WHERE {{ GRAPH ?g {{ ?c rdfs:label ?l }} FILTER(?c = <{KOTOR}>) }}"
    )
    status, body = _post(
        f"{a}/update",
        urllib.parse.urlencode({"update": update}).encode(),
        {
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert status == 200, body
    status, after_headers, after = _get(f"{b}/id/city/3197538", accept)
    assert status == 200 and b"Kotor (Scale-out)" in after and b"Kotor (Scale-out)" not in before
    assert after_headers["etag"] != before_headers["etag"]
    old = _get(f"{b}/id/city/3197538", {**accept, "If-None-Match": before_headers["etag"]})
    assert old[0] == 200
    query = urllib.parse.urlencode({"query": f'ASK {{ <{KOTOR}> ?p "Kotor (Scale-out)"@sr }}'})
    for base in (a, b):
        status, _, answer = _get(f"{base}/sparql?{query}", {"Accept": "application/json"})
        assert status == 200 and b"true" in answer


def test_no_worker_publishes_contact_data(cluster, demo_store):
    rows = demo_store.select(
        "SELECT DISTINCT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
        {"g": iris.private_graph()},
        dataset="all",
    )
    secrets = {str(r["o"]).removeprefix("mailto:").removeprefix("tel:") for r in rows}
    secrets = {v for v in secrets if "@" in v or v.startswith("+")}
    people = sorted({str(r["s"]) for r in rows if "/id/practitioner/" in str(r["s"])})
    assert secrets and people, "the demo data has contact details to look for"
    dump = urllib.parse.urlencode(
        {"query": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"}
    )
    paths = [people[0].removeprefix("https://w3id.org/cckg"), f"/sparql?{dump}", "/dumps/all.nq.gz"]
    for base in cluster:
        for path in paths:
            status, _, body = _get(f"{base}{path}", {"Accept": "text/turtle"})
            if path.endswith(".gz") and status == 200:
                body = gzip.decompress(body)
            assert status == 200, (base, path, status)
            assert not any(s.encode() in body for s in secrets), (base, path)
