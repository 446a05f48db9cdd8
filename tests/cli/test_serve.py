"""``cckg serve`` on granian (issue 18): several workers on an embedded store (read-only, the
store held by the main process), one worker that writes, the refusals, and a graceful stop
that leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from cckg.cli import main
from tests import ROOT
from tests.servers import free_port, wait_http

TOKEN = "serve-test-token-0123456789abcdef"
G = "https://w3id.org/cckg/graph/files/serve-test"
TRIPLE = b"<https://w3id.org/cckg/id/x/1> <http://www.w3.org/2000/01/rdf-schema#label> 'x' ."
COUNT_SOLUTIONS = (
    "SELECT (COUNT(?s) AS ?n) WHERE { ?s a <https://w3id.org/cckg/def/cckg#Solution> }"
)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _count(base: str, query: str) -> int:
    url = f"{base}/sparql?" + urllib.parse.urlencode({"query": query})
    status, _, body = _get(url, {"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


class Served:
    """A ``cckg serve`` process group on a free loopback port."""

    def __init__(self, store: Path, workers: int, log: Path, **env: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc = subprocess.Popen(  # noqa: S603 (our own CLI)
            [
                sys.executable,
                "-m",
                "cckg.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--threads",
                "4",
            ],  # fmt: skip
            env={
                **os.environ,
                "CCKG_STORE": str(store),
                "CCKG_RATE_LIMIT": "0",
                "CCKG_WARM_UP": "0",
                **env,
            },  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
            cwd=ROOT,
            start_new_session=True,
        )
        try:
            wait_http(f"{self.base}/health", timeout=120)
        except Exception:
            self.stop()
            raise

    def group(self) -> list[int]:
        """Every live process of the server's process group (main, workers, query processes)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) == self.proc.pid:
                    stat = (entry / "stat").read_text()
                    if stat.rsplit(")", 1)[1].split()[0] != "Z":
                        pids.append(int(entry.name))
            except (OSError, ProcessLookupError):
                continue
        return pids

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def store_copy(demo_store, tmp_path) -> Path:
    demo_store.backup(tmp_path / "store")
    return tmp_path / "store"


@pytest.mark.server
def test_two_workers_serve_an_embedded_store_read_only(store_copy, demo_store, tmp_path):
    expected = int(demo_store.select(COUNT_SOLUTIONS)[0]["n"])
    db = tmp_path / "mediation.sqlite"
    db.touch()  # a mediation database exists: the housekeeping has something to look at
    served = Served(
        store_copy,
        2,
        tmp_path / "serve.log",
        CCKG_MEDIATION_DB=str(db),
        CCKG_OUTBOX=str(tmp_path / "outbox"),
    )
    try:
        assert _count(served.base, COUNT_SOLUTIONS) == expected > 0
        status, headers, _ = _get(f"{served.base}/health")
        assert status == 200 and headers.get("server") == "granian"
        # The main process and two workers, each with (at least) one query process once used.
        for _ in range(4):
            assert _count(served.base, COUNT_SOLUTIONS) == expected
        assert len(served.group()) >= 3
        # The main process holds the store: a load must wait until the server stops.
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "cckg.cli", "load", str(ROOT / "ontology" / "regions.ttl")],
            env={**os.environ, "CCKG_STORE": str(store_copy)},
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert result.returncode == 2, result.stderr
        assert "Another process holds it" in result.stderr
    finally:
        code = served.stop()
    log = (tmp_path / "serve.log").read_text()
    first = log.splitlines()[0]
    assert first == f"Serving cckg on http://127.0.0.1:{served.port}/  (store: {store_copy})"
    assert "2 workers, each with the store open read-only" in log
    # The mediation housekeeping ran once at start, in one worker only (the lock holder).
    assert log.count("mediation: purged ") == 1, log
    assert "housekeeping failed" not in log
    assert "Traceback" not in log
    assert code == 0
    deadline = time.monotonic() + 30  # query processes exit when their parent is gone
    while served.group() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert served.group() == []


@pytest.mark.server
def test_one_worker_writes_and_serves_the_write_at_once(store_copy, tmp_path):
    served = Served(store_copy, 1, tmp_path / "serve.log", CCKG_ADMIN_TOKEN=TOKEN)
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}"
    try:
        assert _count(served.base, count) == 0
        assert _count(served.base, count) == 0  # now from the edge cache
        req = urllib.request.Request(  # noqa: S310 (loopback)
            f"{served.base}/data?graph={urllib.parse.quote(G)}",
            data=TRIPLE,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"},
            method="PUT",
        )
        with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310
            assert r.status in (200, 201, 204)
        assert _count(served.base, count) > 0
    finally:
        assert served.stop() == 0


def test_several_workers_refuse_writes_on_an_embedded_store(tmp_path):
    result = CliRunner().invoke(
        main,
        ["serve", "--workers", "2"],
        env={
            "CCKG_STORE": str(tmp_path / "store"),
            "CCKG_ADMIN_TOKEN": TOKEN,
            "CCKG_ENDPOINT": "",
        },  # fmt: skip
    )
    assert result.exit_code == 2
    assert "need --workers 1 on an embedded store" in result.output
    assert not (tmp_path / "store").exists()  # refused before anything was opened


def test_a_held_store_is_named(tmp_path):
    from cckg.core.store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "store")
    try:
        result = CliRunner().invoke(
            main, ["serve"], env={"CCKG_STORE": str(tmp_path / "store"), "CCKG_ENDPOINT": ""}
        )
    finally:
        store.close()
    assert result.exit_code == 1
    assert "Is another `cckg serve` or `cckg load` using it?" in result.output


@pytest.mark.server
def test_a_worker_takes_requests_once_warmed_up(store_copy, tmp_path):
    # Requests that arrive during the warm-up would share the GIL with it: the worker answers
    # only when it is done, so the first /health answer comes after the warm-up's line.
    log = tmp_path / "serve.log"
    served = Served(store_copy, 1, log, CCKG_WARM_UP="1")
    try:
        assert _get(f"{served.base}/health")[0] == 200
        assert "warmed up in" in log.read_text()
    finally:
        assert served.stop() == 0


@pytest.mark.parametrize("wait", ["soon", "-1", "nan"])
def test_a_bad_warm_up_wait_is_refused(tmp_path, wait):
    result = CliRunner().invoke(
        main,
        ["serve"],
        env={
            "CCKG_STORE": str(tmp_path / "store"),
            "CCKG_WARM_UP_WAIT_S": wait,
            "CCKG_ENDPOINT": "",
        },
    )
    assert result.exit_code == 2
    assert "CCKG_WARM_UP_WAIT_S must be a number of seconds" in result.output
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize(
    ("value", "seconds"), [(None, 120.0), ("", 120.0), (" 5 ", 5.0), ("0", 0.0)]
)
def test_the_warm_up_wait_is_read_once_for_the_server_and_its_workers(monkeypatch, value, seconds):
    """serve() checks it and each worker waits for it through the same reader: an empty value
    is the default there too (a worker used to stop on ``float("")``)."""
    from cckg.cli.serve import warm_up_wait

    if value is None:
        monkeypatch.delenv("CCKG_WARM_UP_WAIT_S", raising=False)
    else:
        monkeypatch.setenv("CCKG_WARM_UP_WAIT_S", value)
    assert warm_up_wait() == seconds
