"""The documented deployment (docs/deployment.md, ``deploy/nginx.conf``), run as written: nginx
with its cache in front of ``cckg serve --workers 2``, a real Oxigraph server behind (issue 18).

It checks what the cache promises: correct answers, a repeated query served from the cache
(``X-Cache-Status: HIT``), revalidation with the app's ETag, a write seen through the cache
within the documented bound (max-age + CCKG_VERSION_TTL_S), and private data never cached or
served to anyone without the token.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bench.nginx import nginx, nginx_binary
from tests import ROOT
from tests.servers import free_port, oxigraph_binary, wait_http
from tests.webapp.sparql.support import PRIVATE, SECRETS, SOLUTION_COUNT

pytestmark = [pytest.mark.server, pytest.mark.remote, pytest.mark.slow]

TOKEN = "deployment-test-token-0123456789abcdef"
MAX_AGE_S = 3  # CCKG_SPARQL_MAX_AGE_S in this test: short, so expiry can be waited for
TTL_S = 1  # CCKG_VERSION_TTL_S
G = "https://w3id.org/cckg/graph/files/deployment-test"
GRAPH_COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}"
JSON = {"Accept": "application/sparql-results+json"}


def _request(
    url: str, headers: dict[str, str] | None = None, data: bytes | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310 (loopback)
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _sparql(base: str, query: str, headers: dict[str, str] | None = None):
    url = f"{base}/sparql?" + urllib.parse.urlencode({"query": query})
    return _request(url, {**JSON, **(headers or {})})


def _n(body: bytes) -> int:
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def deployment(demo_store, tmp_path_factory):
    """Oxigraph server (the demo data, private graph included) <- cckg serve --workers 2 <-
    nginx with deploy/nginx.conf. Yields (nginx URL, app URL)."""
    if nginx_binary() is None:
        pytest.fail("nginx is not installed: run scripts/ensure-test-deps.sh (make test does)")
    tmp = tmp_path_factory.mktemp("deployment")
    oxi_port, app_port, proxy_port = free_port(), free_port(), free_port()
    store = f"http://127.0.0.1:{oxi_port}"
    oxi = subprocess.Popen(  # noqa: S603
        [
            oxigraph_binary(),
            "serve",
            "--location",
            str(tmp / "oxi"),
            "--bind",
            f"127.0.0.1:{oxi_port}",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    app = None
    try:
        wait_http(f"{store}/query?query=ASK%7B%7D")
        status, _, body = _request(
            f"{store}/store",
            {"Content-Type": "application/n-quads"},
            demo_store.export_nquads(),
            "POST",
        )
        assert status in (200, 201, 204), body
        env = {
            **os.environ,
            "CCKG_ENDPOINT": f"{store}/query",
            "CCKG_UPDATE_ENDPOINT": f"{store}/update",
            "CCKG_ADMIN_TOKEN": TOKEN,
            "CCKG_SPARQL_MAX_AGE_S": str(MAX_AGE_S),
            "CCKG_VERSION_TTL_S": str(TTL_S),
            "CCKG_RATE_LIMIT": "0",
            "CCKG_WARM_UP": "0",
        }
        app = subprocess.Popen(  # noqa: S603 (our own CLI)
            [
                sys.executable,
                "-m",
                "cckg.cli",
                "serve",
                "--port",
                str(app_port),
                "--workers",
                "2",
                "--threads",
                "4",
            ],  # fmt: skip
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp / "serve.log").open("wb"),
            cwd=ROOT,
        )
        app_base = f"http://127.0.0.1:{app_port}"
        wait_http(f"{app_base}/health", timeout=120)
        with nginx(tmp / "nginx", proxy_port, [f"127.0.0.1:{app_port}"]) as proxy:
            yield proxy, app_base, tmp / "nginx"
    finally:
        if app is not None:
            _stop(app)
        _stop(oxi)


def test_answers_through_the_cache_are_correct_and_repeated_ones_are_hits(deployment, demo_store):
    proxy, app, _ = deployment
    expected = int(demo_store.select(SOLUTION_COUNT)[0]["n"])
    status, headers, body = _sparql(proxy, SOLUTION_COUNT)
    assert status == 200 and _n(body) == expected > 0
    assert headers["x-cache-status"] in ("MISS", "EXPIRED", "HIT")
    assert "public" in headers["cache-control"] and headers["etag"].startswith('W/"')
    status, headers, again = _sparql(proxy, SOLUTION_COUNT)
    assert status == 200 and headers["x-cache-status"] == "HIT" and again == body
    # The app itself gives the same answer (the cache adds nothing of its own).
    assert _sparql(app, SOLUTION_COUNT)[2] == body
    # Accept is part of the key: CSV is another entry, never the cached JSON.
    status, headers, csv = _sparql(proxy, SOLUTION_COUNT, {"Accept": "text/csv"})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert csv.decode().splitlines()[1].strip() == str(expected)
    # A linked-data page is cached the same way.
    page = f"{proxy}/id/city/3197538"
    first = _request(page, {"Accept": "text/turtle"})
    second = _request(page, {"Accept": "text/turtle"})
    assert first[0] == second[0] == 200 and b"Kotor" in first[2]
    assert second[1]["x-cache-status"] == "HIT" and second[2] == first[2]


def test_an_expired_answer_is_revalidated_by_etag(deployment):
    proxy, _, _ = deployment
    query = SOLUTION_COUNT + " # revalidation"
    _sparql(proxy, query)
    assert _sparql(proxy, query)[1]["x-cache-status"] == "HIT"
    time.sleep(MAX_AGE_S + 1)
    status, headers, _ = _sparql(proxy, query)
    # The store did not change: the app answered 304 to nginx's If-None-Match.
    assert status == 200 and headers["x-cache-status"] == "REVALIDATED"


def test_a_write_through_the_app_is_seen_within_the_bound(deployment):
    proxy, _, _ = deployment
    status, _, body = _sparql(proxy, GRAPH_COUNT)
    assert status == 200 and _n(body) == 0
    assert _sparql(proxy, GRAPH_COUNT)[1]["x-cache-status"] == "HIT"
    triple = b"<https://w3id.org/cckg/id/x/1> <http://www.w3.org/2000/01/rdf-schema#label> 'x' ."
    status, headers, body = _request(
        f"{proxy}/data?graph={urllib.parse.quote(G)}",
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"},
        triple,
        "PUT",
    )
    written = time.monotonic()
    assert status in (200, 201, 204), body
    assert headers.get("x-cache-status") in (None, "BYPASS")
    # Within max-age the cache may still serve the old count (the documented staleness);
    # after max-age + the version TTL every worker answers with the new one.
    bound = MAX_AGE_S + TTL_S
    seen = None
    while time.monotonic() - written < bound + 60:  # generous: the machine may be busy
        status, headers, body = _sparql(proxy, GRAPH_COUNT)
        if status == 200 and _n(body) > 0:
            seen = time.monotonic() - written
            break
        assert time.monotonic() - written < bound + 60
        time.sleep(0.25)
    assert seen is not None
    # Every request after the bound gets the new count, from either worker or the cache.
    time.sleep(max(0.0, bound + 0.5 - (time.monotonic() - written)))
    for _ in range(6):
        assert _n(_sparql(proxy, GRAPH_COUNT)[2]) > 0


def test_private_data_is_never_cached_nor_served_without_the_token(deployment):
    proxy, _, prefix = deployment
    url = f"{proxy}/data?graph={urllib.parse.quote(PRIVATE)}"
    auth = {"Authorization": f"Bearer {TOKEN}", "Accept": "text/turtle"}
    status, headers, body = _request(url, auth)
    assert status == 200 and any(s.encode() in body for s in SECRETS)
    assert headers["cache-control"] == "private, no-store"
    assert headers.get("x-cache-status") in (None, "BYPASS")
    for headers in ({"Accept": "text/turtle"}, {}):
        status, _, body = _request(url, headers)
        assert status == 401 and not any(s.encode() in body for s in SECRETS)
    # The public endpoint does not reach it, cached or not.
    probe = f"SELECT ?o WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}"
    for _ in range(2):
        status, _, body = _sparql(proxy, probe)
        assert status == 200 and not any(s.encode() in body for s in SECRETS)
    # Nothing the cache holds on disk carries a secret.
    _sparql(proxy, SOLUTION_COUNT + " # fills the cache")
    cached = [p for p in Path(prefix, "cache").rglob("*") if p.is_file()]
    assert cached
    for path in cached:
        data = path.read_bytes()
        assert not any(s.encode() in data for s in SECRETS), path
