"""HTTP throughput (wrk, loopback only, bounded runs) and cold start of ``cckg serve``,
against the Oxigraph server on the same store and the same query."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench import util
from bench.generate import CACHE_DIR
from bench.nginx import nginx
from cckg.cli.serve import warm_up_wait

SIMPLE_SELECT = (
    "SELECT ?s ?label WHERE { ?s a <https://w3id.org/cckg/def/cckg#Solution> ; "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 10"
)
RESULTS_JSON = "application/sparql-results+json"
LD_PATH = "/id/solution/gen-1"  # a generated solution: exists at every size
LOG_DIR = CACHE_DIR / "logs"
# Servers measured for throughput start without the warm-up: the bench stores are bulk-loaded
# without sentence vectors, and a worker encoding them all (tens of CPU-minutes at 1e6) holds
# the GIL the requests wait for. The cold start keeps it (it is what `cckg serve` does).
QUIET = {"CCKG_WARM_UP": "0"}
CACHES_OFF = {"CCKG_BODY_CACHE": "0", "CCKG_EDGE_CACHE": "0"}


@dataclass
class WrkRun:
    rps: float  # good answers (2xx/3xx) per second: refusals (503) are not throughput
    requests: int
    bad: int  # responses that were not 2xx/3xx, plus socket errors
    p50_ms: float | None
    p99_ms: float | None


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, headers: dict[str, str], seconds: float, connections: int = 10) -> WrkRun:
    """One bounded wrk run (2 threads) against a loopback URL."""
    exe = shutil.which("wrk")
    if exe is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("load tests stay on the loopback interface")
    args = [exe, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    proc = subprocess.run(  # noqa: S603 (fixed arguments, loopback URL)
        [*args, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    out = proc.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    socket = r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
    for m in re.finditer(socket, out):
        bad += sum(int(x) for x in m.groups())
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    non_2xx = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    if requests:
        rps *= (requests - non_2xx) / requests
    return WrkRun(
        round(rps, 1),
        requests,
        bad,
        _ms(pct["50"]) if "50" in pct else None,
        _ms(pct["99"]) if "99" in pct else None,
    )


def throughput(url: str, headers: dict[str, str], seconds: float, runs: int) -> dict[str, Any]:
    """Median requests/s of ``runs`` wrk runs, with every run kept."""
    done = [wrk(url, headers, seconds) for _ in range(runs)]
    return {
        "rps": round(util.median([r.rps for r in done]), 1),
        "runs": [asdict(r) for r in done],
        "bad_responses": sum(r.bad for r in done),
    }


# ---------------------------------------------------------------- servers


def _log(name: str):
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return (LOG_DIR / f"{name}.log").open("ab")


def start_cckg(
    store: Path | None,
    port: int,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    threads: int | None = None,
) -> subprocess.Popen:
    """``cckg serve`` on ``store`` (None: the remote store ``extra_env`` names)."""
    env = {"CCKG_RATE_LIMIT": "0", **(extra_env or {})}
    if store is not None:
        env["CCKG_STORE"] = str(store)
    args = [str(util.VENV_BIN / "cckg"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with _log("cckg-serve") as log:
        return subprocess.Popen(  # noqa: S603 (our own CLI)
            [*args, "--workers", str(workers), *(["--threads", str(threads)] if threads else [])],
            stdout=log,
            stderr=log,
            env={**os.environ, **env},
            start_new_session=True,
        )


def _healthy(base: str) -> bool:
    return util.http_get(f"{base}/health", timeout=2)[0] == 200


@contextmanager
def cckg_server(
    store: Path | None,
    ready_timeout: float = 120,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    threads: int | None = None,
) -> Iterator[tuple[str, float]]:
    """``cckg serve`` on a free loopback port: yields (base URL, seconds until /health 200)."""
    port = util.free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = start_cckg(store, port, extra_env, workers, threads)
    try:
        ready = util.wait_until(lambda: _healthy(base), ready_timeout)
        if ready is None:
            raise RuntimeError(f"cckg serve did not answer /health within {ready_timeout} s")
        yield base, time.perf_counter() - started
    finally:
        util.stop(proc)


@contextmanager
def oxigraph_server(store: Path, timeout_s: float | None = None) -> Iterator[str]:
    """``oxigraph serve`` (union default graph, like our public dataset) on a free port."""
    port = util.free_port()
    base = f"http://127.0.0.1:{port}"
    args = [str(util.VENV_BIN / "oxigraph"), "serve", "--location", str(store)]
    args += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    if timeout_s:
        args += ["--timeout-s", str(max(1, round(timeout_s)))]
    with _log("oxigraph-serve") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)  # noqa: S603
    try:
        ok = util.wait_until(
            lambda: util.http_get(f"{base}/query?query=ASK%7B%7D", timeout=2)[0] == 200, 60
        )
        if ok is None:
            raise RuntimeError("oxigraph serve did not come up within 60 s")
        yield base
    finally:
        util.stop(proc)


# ---------------------------------------------------------------- the phases


def cold_start(store: Path, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Seconds from starting ``cckg serve`` to its first ``GET /health`` 200: without the
    warm-up (median of ``runs``), and once as served, a worker warming up first (for at most
    ``CCKG_WARM_UP_WAIT_S``, the default unless the environment sets it)."""
    times = []
    for _ in range(runs):
        with cckg_server(store, extra_env=QUIET) as (_, ready):
            times.append(ready)
    log(f"  cold start, no warm-up: {', '.join(f'{t:.2f} s' for t in times)}")
    wait = warm_up_wait()
    with cckg_server(store, ready_timeout=wait + 120) as (_, warmed):
        pass
    log(f"  cold start, warm-up (at most {wait:.0f} s): {warmed:.2f} s")
    return {
        "seconds": round(util.median(times), 3),
        "runs": [round(t, 3) for t in times],
        "warmed_seconds": round(warmed, 3),
        "warm_up_wait_s": wait,
    }


def http_phase(
    store: Path, seconds: float, runs: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """/sparql and /id throughput of cckg serve, then the Oxigraph server on the same query."""
    out: dict[str, Any] = {"query": SIMPLE_SELECT, "path": LD_PATH, "seconds": seconds}
    sparql_qs = f"query={quote(SIMPLE_SELECT)}"
    with cckg_server(store, extra_env=QUIET) as (base, _):
        # Warm up: starts the query worker pool and fills the per-version caches.
        status, _, _ = util.http_get(f"{base}/sparql?{sparql_qs}", {"Accept": RESULTS_JSON}, 60)
        out["sparql_status"] = status
        out["cckg_sparql"] = throughput(
            f"{base}/sparql?{sparql_qs}", {"Accept": RESULTS_JSON}, seconds, runs
        )
        log(f"  cckg /sparql: {out['cckg_sparql']['rps']} req/s")
        pages = {"turtle": "text/turtle", "html": "text/html"}
        for name, accept in pages.items():
            status, headers, _ = util.http_get(f"{base}{LD_PATH}", {"Accept": accept}, 60)
            out[f"id_{name}_status"] = status
            if status != 200:
                out[f"id_{name}"] = {"rps": None, "note": f"GET {LD_PATH} answered {status}"}
                continue
            out[f"id_{name}"] = throughput(f"{base}{LD_PATH}", {"Accept": accept}, seconds, runs)
            log(f"  cckg {LD_PATH} ({name}): {out[f'id_{name}']['rps']} req/s")
            etag = headers.get("etag")
            if name == "turtle":
                if not etag:
                    out["id_304"] = {"rps": None, "note": "no ETag on the page"}
                    continue
                cond = {"Accept": accept, "If-None-Match": etag}
                status, _, _ = util.http_get(f"{base}{LD_PATH}", cond, 60)
                out["id_304_status"] = status
                if status != 304:
                    out["id_304"] = {"rps": None, "note": f"If-None-Match answered {status}"}
                    continue
                out["id_304"] = throughput(f"{base}{LD_PATH}", cond, seconds, runs)
                log(f"  cckg {LD_PATH} (304): {out['id_304']['rps']} req/s")
        # The floor of the Python HTTP stack (granian + Flask + access log): a route that
        # does no work through Flask.
        out["health"] = throughput(f"{base}/health", {}, seconds, runs)
        log(f"  cckg /health: {out['health']['rps']} req/s")
    # The same requests with the per-version body caches off: what the engine path costs.
    with cckg_server(store, extra_env={**QUIET, **CACHES_OFF}) as (base, _):
        util.http_get(f"{base}/sparql?{sparql_qs}", {"Accept": RESULTS_JSON}, 60)
        out["cckg_sparql_uncached"] = throughput(
            f"{base}/sparql?{sparql_qs}", {"Accept": RESULTS_JSON}, seconds, runs
        )
        log(f"  cckg /sparql, no cache: {out['cckg_sparql_uncached']['rps']} req/s")
        util.http_get(f"{base}{LD_PATH}", {"Accept": "text/turtle"}, 60)
        out["id_turtle_uncached"] = throughput(
            f"{base}{LD_PATH}", {"Accept": "text/turtle"}, seconds, runs
        )
        log(f"  cckg {LD_PATH} (turtle), no cache: {out['id_turtle_uncached']['rps']} req/s")
    with oxigraph_server(store) as base:
        out["oxigraph_sparql"] = throughput(
            f"{base}/query?{sparql_qs}", {"Accept": RESULTS_JSON}, seconds, runs
        )
        log(f"  oxigraph /query: {out['oxigraph_sparql']['rps']} req/s")
        describe = f"DESCRIBE <https://w3id.org/cckg{LD_PATH}>"
        out["oxigraph_describe"] = throughput(
            f"{base}/query?query={quote(describe)}", {"Accept": "text/turtle"}, seconds, runs
        )
        log(f"  oxigraph DESCRIBE (turtle): {out['oxigraph_describe']['rps']} req/s")
    return out


def deployment_phase(
    store: Path, seconds: float, runs: int, log: Callable[[str], None], workers: int = 2
) -> dict[str, Any]:
    """The deployment of docs/deployment.md, measured side by side on the same query:
    ``cckg serve --workers N`` on the embedded store (read-only workers), nginx with
    ``deploy/nginx.conf`` in front of it (repeated queries), the same server with every answer
    cache off, the Oxigraph server, and ``cckg serve --workers N`` on that Oxigraph server (the
    remote store)."""
    out: dict[str, Any] = {"query": SIMPLE_SELECT, "workers": workers, "seconds": seconds}
    url_qs = f"query={quote(SIMPLE_SELECT)}"
    accept = {"Accept": RESULTS_JSON}
    with cckg_server(store, extra_env=QUIET, workers=workers) as (base, _):
        _warm(f"{base}/sparql?{url_qs}", accept, workers)
        out["sparql"] = throughput(f"{base}/sparql?{url_qs}", accept, seconds, runs)
        log(f"  cckg serve --workers {workers} /sparql: {out['sparql']['rps']} req/s")
        out["health"] = throughput(f"{base}/health", {}, seconds, runs)
        log(f"  cckg serve --workers {workers} /health: {out['health']['rps']} req/s")
        port = int(base.rsplit(":", 1)[1])
        prefix = CACHE_DIR / "nginx"
        shutil.rmtree(prefix, ignore_errors=True)
        with nginx(prefix, util.free_port(), [f"127.0.0.1:{port}"]) as proxy:
            url = f"{proxy}/sparql?{url_qs}"
            util.http_get(url, accept, 60)
            status, headers, _ = util.http_get(url, accept, 60)
            out["nginx_status"] = status
            out["nginx_cache_status"] = headers.get("x-cache-status")
            out["nginx_sparql"] = throughput(url, accept, seconds, runs)
            log(f"  nginx cache /sparql: {out['nginx_sparql']['rps']} req/s")
    # Every answer computed: a request holds a heavy-route slot (threads - 2 per worker) while
    # it runs, and the kernel need not spread the 10 connections evenly over the workers;
    # 12 threads give each worker a slot for every connection (no 503 refusals measured).
    with cckg_server(store, extra_env={**QUIET, **CACHES_OFF}, workers=workers, threads=12) as (
        base,
        _,
    ):
        _warm(f"{base}/sparql?{url_qs}", accept, workers)
        out["sparql_uncached"] = throughput(f"{base}/sparql?{url_qs}", accept, seconds, runs)
        log(
            f"  cckg serve --workers {workers} /sparql, caches off: {out['sparql_uncached']['rps']}"
        )
    with oxigraph_server(store) as oxigraph:
        out["oxigraph_sparql"] = throughput(f"{oxigraph}/query?{url_qs}", accept, seconds, runs)
        log(f"  oxigraph /query: {out['oxigraph_sparql']['rps']} req/s")
        remote = {**QUIET, "CCKG_ENDPOINT": f"{oxigraph}/query"}
        # Requests to a remote store wait on it, not on a core: twice the threads (and so the
        # heavy-route slots, threads - 2), as docs/deployment.md advises.
        with cckg_server(None, extra_env=remote, workers=workers, threads=16) as (base, _):
            _warm(f"{base}/sparql?{url_qs}", accept, workers)
            out["remote_sparql"] = throughput(f"{base}/sparql?{url_qs}", accept, seconds, runs)
            log(f"  cckg serve on the Oxigraph server /sparql: {out['remote_sparql']['rps']}")
    return out


def _warm(url: str, headers: dict[str, str], workers: int) -> None:
    """A few requests first, so that every worker has answered once (started its query
    processes, filled its caches): connections are spread over the workers by the kernel."""
    for _ in range(4 * workers):
        util.http_get(url, headers, 60)
