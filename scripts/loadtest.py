#!/usr/bin/env python3
"""Bounded loopback load test: N client threads for T seconds against a running cckg server.

    python scripts/loadtest.py --url http://127.0.0.1:8000 --clients 50 --seconds 60 --pid PID
    python scripts/loadtest.py --mix redteam ...   # the hostile mix of issue 13

Mixed routes (health, search, match, linked data, SPARQL; some SPARQL queries are built to hit
the time limit). The ``redteam`` mix sends slow queries, named queries with empty parameters,
a new Host header on every VoID request, and dump requests (cold after each start).
Reports requests, responses by status, transport errors, p50/p99 latency,
/health latency measured by a separate prober, and the server's RSS (with --pid, from /proc).
Only loopback URLs are accepted; the run always stops after --seconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# A cross product: always exceeds the time limit.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ROUTES: list[tuple[int, str, str]] = [
    (10, "GET", "/health"),
    (15, "GET", "/api/search?q=waste"),
    (10, "GET", "/api/search?q=mobility&kind=solution"),
    (15, "GET", "/api/match?text=we+need+help+with+bio-waste+composting"),
    (10, "GET", "/id/solution/belo-horizonte-zona-30"),
    (5, "GET", "/id/solution/belo-horizonte-zona-30?_mediatype=text/turtle"),
    (10, "GET", "/sparql?query=" + urllib.parse.quote("SELECT * WHERE { ?s a ?t } LIMIT 50")),
    (5, "GET", "/sparql?query=" + urllib.parse.quote("SELECT * WHERE { ?s ?p")),  # 400
    (3, "GET", "/sparql?timeout=1&query=" + urllib.parse.quote(SLOW)),  # 503 on timeout
    (5, "GET", "/id/solution/no-such-thing"),  # 404
    (5, "GET", "/"),
]
REDTEAM: list[tuple[int, str, str]] = [
    (10, "GET", "/health"),
    (20, "GET", "/sparql?timeout=2&query=" + urllib.parse.quote(SLOW)),  # 503 on timeout
    (20, "GET", "/queries/get_city_by_geonames_id?geonamesId="),  # every city, capped
    (15, "GET", "/queries/list_solutions_by_theme?theme="),
    (15, "GET", "/.well-known/void"),  # with a new Host header each time
    (10, "GET", "/dumps/all.nq.gz"),
    (5, "GET", "/api/search?q=waste"),
    (5, "GET", "/"),
]
MIXES = {"default": ROUTES, "redteam": REDTEAM}
DELIBERATE = {200, 204, 304, 400, 404, 406, 413, 429, 503}


@dataclass
class Stats:
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # transport errors by exception type
    latencies: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self, pid: int | None = None) -> dict:
        lat = sorted(self.latencies)
        health = sorted(self.health)

        def pct(values: list[float], p: float) -> float | None:
            return (
                round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 1)
                if values
                else None
            )

        return {
            "requests": len(lat),
            "statuses": dict(sorted(self.statuses.items())),
            "transport_errors": dict(self.errors),
            "undeliberate": sum(n for s, n in self.statuses.items() if s not in DELIBERATE),
            "p50_ms": pct(lat, 0.50),
            "p99_ms": pct(lat, 0.99),
            "max_ms": pct(lat, 1.0),
            "health_p99_ms": pct(health, 0.99),
            "health_max_ms": pct(health, 1.0),
            "server_rss_mb": rss_mb(pid) if pid else None,
        }


def rss_mb(pid: int) -> float | None:
    """Resident set size of a process and its children (the SPARQL workers), in MB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1) if total else None


def _one(
    host: str, port: int, method: str, path: str, timeout: float, host_header: str | None = None
) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {"Accept": "application/json, */*;q=0.5"}
    if host_header:
        headers["Host"] = host_header
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def run(
    url: str, clients: int, seconds: float, pid: int | None = None, mix: str = "default"
) -> dict:
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only: give a http://127.0.0.1:PORT URL")
    host, port = parsed.hostname, parsed.port or 80
    routes = MIXES[mix]
    weights = [w for w, _, _ in routes]
    stats = Stats()
    deadline = time.monotonic() + seconds
    rng = random.Random(1)  # noqa: S311 (route mix, not security)

    def client() -> None:
        while time.monotonic() < deadline:
            _, method, path = rng.choices(routes, weights)[0]
            fresh_host = f"h{rng.randrange(10**9)}.example" if path.endswith("/void") else None
            t0 = time.perf_counter()
            try:
                status = _one(host, port, method, path, timeout=30, host_header=fresh_host)
            except Exception as e:  # count every transport failure by type
                with stats.lock:
                    stats.errors[type(e).__name__] += 1
                continue
            with stats.lock:
                stats.statuses[status] += 1
                stats.latencies.append(time.perf_counter() - t0)

    def prober() -> None:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                _one(host, port, "GET", "/health", timeout=10)
                stats.health.append(time.perf_counter() - t0)
            except Exception:
                stats.health.append(10.0)
            time.sleep(0.2)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    threads.append(threading.Thread(target=prober, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    return stats.summary(pid)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--pid", type=int, help="server PID, to report its RSS")
    ap.add_argument("--mix", choices=sorted(MIXES), default="default")
    args = ap.parse_args()
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 500:
        raise SystemExit("bounded runs only: --seconds <= 600, --clients <= 500")
    print(json.dumps(run(args.url, args.clients, args.seconds, args.pid, args.mix), indent=2))


if __name__ == "__main__":
    main()
