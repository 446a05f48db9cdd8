"""Latency of the entity pages per kind (need, offer, event, institution, theme, city, and
solution for comparison) over the real data store, in process (Flask test client):

    python -m bench.kind_pages [--store var/store] [-n 5] [--per-kind 25] [--no-warm]

The app is built over the store as ``cckg serve`` builds it, and warmed as its warm-up thread
does (the matcher's indexes, then every need's and offer's matches: ``kind_pages.warm_up``),
unless ``--no-warm``. For each kind, up to ``--per-kind`` pages (evenly spread over the kind's
things) are requested once ("first": nothing of the page cached yet, the per-version data
warm), then ``n`` times more with a distinct query string and rotating UI language
("render": the page is rendered anew each time; its body cache is bypassed). Prints the
median and 95th percentile in ms per kind (wall time; and CPU time of the serving thread
over all requests, which leaves out the waiting for a core on a shared machine), and the
machine's load average.
Target (issue 16): p95 < 300 ms on the real graph for every kind.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

from rdflib import URIRef

from cckg.core.namespaces import CCKG
from cckg.core.queries import helper
from cckg.core.store import EmbeddedStore

KINDS = {
    "need": CCKG.Need,
    "offer": CCKG.Offer,
    "event": CCKG.Event,
    "institution": CCKG.Institution,
    "theme": CCKG.Theme,
    "solution": CCKG.Solution,
}
LANGS = ("en", "de", "es", "fr", "pt", "ar")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def spread(items: list[str], k: int) -> list[str]:
    if len(items) <= k:
        return items
    step = len(items) / k
    return [items[int(i * step)] for i in range(k)]


def paths(store: EmbeddedStore, per_kind: int) -> dict[str, list[str]]:
    base = store.base_iri
    out = {}
    for kind, cls in KINDS.items():
        rows = store.select(helper("pages/kinds/list_things_by_type"), {"type": URIRef(cls)})
        things = [str(r["thing"]) for r in rows if str(r["thing"]).startswith(base + "id/")]
        out[kind] = ["/" + t[len(base) :] for t in spread(things, per_kind)]
    # cities the data names (their locator maps are drawn in the warm-up), and GeoNames cities
    # the data does not name (drawn on their first request)
    active = {str(r["city"]) for r in store.select(helper("pages/kinds/list_active_cities"))}
    rows = store.select(helper("pages/kinds/list_things_by_type"), {"type": URIRef(CCKG.City)})
    plain = [str(r["thing"]) for r in rows if str(r["thing"]) not in active]
    out["city"] = ["/" + t[len(base) :] for t in spread(sorted(active), per_kind)]
    out["city, other"] = ["/" + t[len(base) :] for t in spread(plain, per_kind)]
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default=os.environ.get("CCKG_STORE", "var/store"))
    ap.add_argument("-n", type=int, default=5, help="renders per page after the first")
    ap.add_argument("--per-kind", type=int, default=25)
    ap.add_argument("--no-warm", action="store_true", help="skip the serve-time warm-up")
    args = ap.parse_args(argv)

    from cckg.webapp import create_app, kind_pages
    from cckg.webapp.store import get_matcher

    store = EmbeddedStore(Path(args.store))
    app = create_app({"CCKG_STORE_OBJECT": store})
    logging.getLogger("cckg.access").setLevel(logging.WARNING)  # one line a request otherwise
    client = app.test_client()
    load_before = os.getloadavg()
    if not args.no_warm:
        started = time.perf_counter()
        get_matcher(app).warm_up()
        matched = kind_pages.warm_up(app)
        print(f"warm-up: {time.perf_counter() - started:.1f} s ({matched} needs and offers)")
    by_kind = paths(store, args.per_kind)
    heads = ("first p50", "first p95", "render p50", "render p95", "cpu p50", "cpu p95")
    print(f"{'kind':<12} {'pages':>5} " + " ".join(f"{h:>10}" for h in heads) + "  (ms)")
    for kind, kind_paths in by_kind.items():
        first, render, cpu = [], [], []
        for path in kind_paths:
            for i in range(args.n + 1):
                query = "" if i == 0 else f"?lang={LANGS[i % len(LANGS)]}&_bench={i}"
                started, cpu_started = time.perf_counter(), time.thread_time()
                resp = client.get(path + query)
                took = (time.perf_counter() - started) * 1000
                # CPU time of this thread (the test client serves in it): the wall time less
                # the waiting for a core on a shared machine
                cpu.append((time.thread_time() - cpu_started) * 1000)
                assert resp.status_code == 200, (path, resp.status_code)
                (first if i == 0 else render).append(took)
        figures = (statistics.median(first), p95(first), statistics.median(render or [0]),
                   p95(render or [0]), statistics.median(cpu), p95(cpu))  # fmt: skip
        print(f"{kind:<12} {len(kind_paths):>5} " + " ".join(f"{f:>10.1f}" for f in figures))
    load_after = os.getloadavg()
    print(
        f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after;"
        f" {os.cpu_count()} CPUs"
    )
    store.close()


if __name__ == "__main__":
    main()
