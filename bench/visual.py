"""Latency of the map, the exchange network and the dashboard over HTTP, against a running
server (``cckg serve``):

    python -m bench.visual http://127.0.0.1:5000 [-n 20]

Each page is requested once cold (the first request after a start builds the per-version
caches: points, network layout, charts), then ``n`` times; prints the cold time and the median
and 95th percentile of the warm requests in ms. With ``--uncached`` every request has its own
query string, so each is rendered anew (the per-version data stays cached).
Target (issue): p95 < 300 ms on the real graph.
"""

from __future__ import annotations

import argparse
import statistics
import time
import urllib.request

PAGES = [
    "/map",
    "/map?kind=solution",
    "/map?kind=solution&country=de",
    "/network",
    "/network?year=2017",
    "/network.graphml",
    "/explore",
    "/api/search?format=geojson",
    "/id/city/184745",
]


def fetch(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:  # noqa: S310 (a URL the user gave)
        r.read()
        assert r.status == 200, (url, r.status)
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("base", help="the server, e.g. http://127.0.0.1:5000")
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument(
        "--uncached",
        action="store_true",
        help="a distinct query string per request, so no rendered body is reused",
    )
    args = ap.parse_args(argv)
    print(f"{'page':<34} {'cold':>8} {'median':>8} {'p95':>8}  (ms, n={args.n})")
    for path in PAGES:
        cold = fetch(args.base + path)
        sep = "&" if "?" in path else "?"
        warm = [
            fetch(args.base + path + (f"{sep}_bench={i}" if args.uncached else ""))
            for i in range(args.n)
        ]
        print(f"{path:<34} {cold:8.1f} {statistics.median(warm):8.1f} {p95(warm):8.1f}")


if __name__ == "__main__":
    main()
