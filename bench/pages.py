"""Median response time of the main browser pages with the Flask test client.

    python -m bench.pages [STORE_PATH] [-n 50]

Opens the store read-only (default: CCKG_STORE), warms each page once (per-version caches),
then times ``n`` GETs per page and prints the median and the 90th percentile in ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

PAGES = [
    "/",
    "/?lang=de",
    "/search?q=Kompostierung",
    "/search?kind=solution&theme=municipal-services",
    "/explore",
    "/editor",
    "/match?text=composting+organic+waste",
    "/queries",
    "/dataset",
]


def main(argv: list[str] | None = None) -> None:
    from cckg.core.settings import Settings
    from cckg.core.store import EmbeddedStore
    from cckg.webapp import create_app

    ap = argparse.ArgumentParser()
    ap.add_argument("store", nargs="?", default=str(Settings.from_env().store_path))
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--extra", nargs="*", default=[], help="more paths, e.g. /id/city/…")
    args = ap.parse_args(argv)
    store = EmbeddedStore(Path(args.store), read_only=True)
    client = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store}).test_client()
    print(f"{'page':55} {'median ms':>10} {'p90 ms':>8}")
    for path in PAGES + args.extra:
        assert client.get(path).status_code == 200, path  # warm-up
        times = []
        for _ in range(args.n):
            t = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p90 = times[int(0.9 * len(times)) - 1]
        print(f"{path:55} {statistics.median(times):10.1f} {p90:8.1f}")


if __name__ == "__main__":
    main()
