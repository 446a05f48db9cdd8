"""Real servers for the tests: a free loopback port, waiting for HTTP, an Oxigraph server, a
Virtuoso on a fresh database, the remote stores as one parametrised fixture, and the app behind
a real WSGI server (waitress). Registered as a plugin by ``tests/conftest.py``."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cckg.core.store import EmbeddedStore, RemoteStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()  # noqa: S310 (loopback test server)
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def oxigraph_binary() -> str:
    exe = shutil.which("oxigraph") or str(Path(os.sys.executable).parent / "oxigraph")
    if not Path(exe).exists():
        pytest.fail("the oxigraph server is not installed (pip install oxigraph)")
    return exe


@pytest.fixture
def oxigraph_server(tmp_path):
    """A real Oxigraph server on a free loopback port; stopped by PID afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [
            oxigraph_binary(),
            "serve",
            "--location",
            str(tmp_path / "oxi"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/query?query=ASK%7B%7D")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---------------------------------------------------------------- Virtuoso

VIRTUOSO_INI = """\
[Database]
DatabaseFile = ./db/virtuoso.db
ErrorLogFile = ./db/virtuoso.log
LockFile = ./db/virtuoso.lck
TransactionFile = ./db/virtuoso.trx
xa_persistent_file = ./db/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = ./db/virtuoso-temp.db
TransactionFile = ./db/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = .
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 10
MaxClientConnections = 10
[SPARQL]
ResultSetMaxRows = 1000
MaxQueryExecutionTime = 60
"""
# ResultSetMaxRows is 10,000 in TESTING.md: 1,000 here makes results the store cuts short
# (which RemoteStore pages through) cheap to produce in tests.


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def require_tool(name: str, package: str) -> str:
    """The tool's path; a missing tool skips the test, but fails it in CI (``CI`` set), where
    scripts/ensure-test-deps.sh must have installed it."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed (apt-get install -y {package})"
        if in_ci():
            pytest.fail(f"{reason}: required in CI, scripts/ensure-test-deps.sh installs it")
        pytest.skip(reason)
    return path


@dataclass
class Virtuoso:
    """A running ``virtuoso-t`` on loopback: anonymous /sparql reads and (granted) writes."""

    proc: subprocess.Popen
    isql: str
    sql_port: int
    base: str
    workdir: Path
    system_graphs: set[str] = field(default_factory=set)

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"

    def sql(self, statement: str, timeout: float = 30) -> str:
        out = subprocess.run(
            [self.isql, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statement}"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if out.returncode != 0 or "*** Error" in out.stdout + out.stderr:
            raise RuntimeError(f"isql {statement!r}: {out.stdout}{out.stderr}")
        return out.stdout

    def post(self, **fields: str) -> dict:
        req = urllib.request.Request(
            self.sparql,
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Accept": "application/sparql-results+json"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310 (loopback test server)
            return json.loads(r.read())

    def graph_sizes(self) -> dict[str, int]:
        count = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        rows = self.post(query=count)
        return {b["g"]["value"]: int(b["n"]["value"]) for b in rows["results"]["bindings"]}

    def reset(self) -> None:
        """Remove every graph a test wrote. Virtuoso deletes only ~4,000 triples a second, so
        beyond a few thousand a global RDF reset (~1 s, keeps grants and system graphs) wins."""
        extra = {g: n for g, n in self.graph_sizes().items() if g not in self.system_graphs}
        if sum(extra.values()) > 3000:
            self.sql("RDF_GLOBAL_RESET();")
            self.system_graphs = set(self.graph_sizes())  # as the reset recreated them
        elif extra:
            self.post(update=" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in sorted(extra)))

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.sql("shutdown;", timeout=15)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass  # isql loses its connection while the server goes down
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory) -> Virtuoso:
    """One Virtuoso for the session, on a fresh database in a temporary folder, loopback
    only, on free ports (never its default 1111/8890); stopped by its PID at the end."""
    server = require_tool("virtuoso-t", "virtuoso-opensource")
    isql = require_tool("isql-vt", "virtuoso-opensource")
    workdir = tmp_path_factory.mktemp("virtuoso")
    (workdir / "db").mkdir()
    sql_port, http_port = free_port(), free_port()
    (workdir / "virtuoso.ini").write_text(
        VIRTUOSO_INI.format(sql_port=sql_port, http_port=http_port)
    )
    log = (workdir / "virtuoso.out").open("wb")
    proc = subprocess.Popen(
        [server, "+configfile", "virtuoso.ini", "+foreground"],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    v = Virtuoso(proc, isql, sql_port, f"http://127.0.0.1:{http_port}", workdir)
    try:
        try:
            wait_http(f"{v.sparql}?query=ASK%7B%7D", timeout=60)
        except RuntimeError:
            tail = (workdir / "virtuoso.out").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"virtuoso-t did not start (exit {proc.poll()}):\n{tail}") from None
        v.sql('GRANT SPARQL_UPDATE TO "SPARQL";')  # anonymous /sparql may then write
        v.system_graphs = set(v.graph_sizes())
        yield v
    finally:
        v.stop()
        log.close()


@pytest.fixture
def virtuoso(virtuoso_server) -> Virtuoso:
    """The session's Virtuoso, with no graph but its own system graphs."""
    virtuoso_server.reset()
    return virtuoso_server


@dataclass
class SparqlServer:
    """A SPARQL 1.1 server under test: its query and update endpoints."""

    kind: str
    query: str
    update: str

    def store(self, **kwargs) -> RemoteStore:
        return RemoteStore(self.query, self.update, **kwargs)


VIRTUOSO_PARAM = pytest.param("virtuoso", marks=[pytest.mark.remote, pytest.mark.virtuoso])
OXIGRAPH_PARAM = pytest.param("oxigraph", marks=pytest.mark.remote)


@pytest.fixture(params=[OXIGRAPH_PARAM, VIRTUOSO_PARAM])
def sparql_server(request) -> SparqlServer:
    """Each remote store in turn, empty: a real Oxigraph server, a real Virtuoso."""
    return _sparql_server(request, request.param)


def _sparql_server(request, kind: str) -> SparqlServer:
    if kind == "oxigraph":
        base = request.getfixturevalue("oxigraph_server")
        return SparqlServer(kind, f"{base}/query", f"{base}/update")
    v = request.getfixturevalue("virtuoso")
    return SparqlServer(kind, v.sparql, v.sparql)


@pytest.fixture(scope="session")
def live_server(app):
    """The app behind a real WSGI server (waitress) on a free loopback port."""

    from waitress.server import create_server

    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=8, ident="cckg-test")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/health")
    yield base
    server.close()


@pytest.fixture(params=["embedded", OXIGRAPH_PARAM, VIRTUOSO_PARAM])
def store(request, tmp_path):
    """Each backend in turn, empty: the same tests must pass on all of them."""
    if request.param == "embedded":
        s = EmbeddedStore(tmp_path / "store")
        yield s
        s.close()
    else:
        yield _sparql_server(request, request.param).store()
