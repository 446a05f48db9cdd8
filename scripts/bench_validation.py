"""Validation throughput: pySHACL (the current gate) vs the fast engine, on GeoNames cities.

    .venv/bin/python scripts/bench_validation.py [--runs 3] [--pyshacl-triples 20000]

Both engines validate the way the loader gate (validate_source) does: the source graph, the
ontology's class hierarchy and the rdf:type of linked countries as context; results only
about the source's own subjects.

* fast engine (cckg.core.gate.engine): the whole cities graph (~555k triples), the same given
  as N-Triples bytes (as a loader that writes N-Triples would), and a doubled graph (~1.1M
  triples: every city again as ``city/<id>-2``); median of ``--runs`` runs.
* pySHACL: a sample of whole cities of at least ``--pyshacl-triples`` triples only (the full
  graph takes many minutes), median of ``--runs`` runs; its triples/s is EXTRAPOLATED to the
  full graph, assuming linear cost.

Wall-clock and CPU time are both printed: on a shared machine wall time depends on the load
(printed too), CPU time much less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pyshacl
from rdflib import RDF, Graph, URIRef

from cckg.core.gate.context import ValidationContext
from cckg.core.gate.engine import CompiledShapes, validate_graph_fast
from cckg.core.gate.model import Location
from cckg.core.gate.pyshacl_check import violations_from
from cckg.core.gate.shapes import class_hierarchy, load_shapes
from cckg.loaders import city_source, reference

ROOT = Path(__file__).resolve().parent.parent
CITY = "https://w3id.org/cckg/id/city/"


def _locate(node) -> Location:
    return Location("bench", record=str(node))


def _measure(label: str, triples: int, runs: int, fn: Callable[[], int]) -> tuple[float, float]:
    walls, cpus = [], []
    for i in range(runs):
        w, c = time.perf_counter(), time.process_time()
        found = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
        print(
            f"  {label} run {i + 1}: {walls[-1]:.2f} s wall, {cpus[-1]:.2f} s CPU, "
            f"{found} violations",
            flush=True,
        )
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return triples / wall, triples / cpu


def _sample(graph: Graph, min_triples: int) -> Graph:
    """Whole cities (with their geometry node) until ``min_triples`` triples."""
    out = Graph()
    for city in sorted(
        set(graph.subjects(RDF.type, URIRef("https://w3id.org/cckg/def/cckg#City")))
    ):
        for node in (city, URIRef(f"{city}#geometry")):
            for t in graph.triples((node, None, None)):
                out.add(t)
        if len(out) >= min_triples:
            break
    return out


def _doubled(graph: Graph) -> Graph:
    """The cities twice: the copy's city and geometry IRIs get a "-2" (valid city slugs)."""
    out = Graph()
    for s, p, o in graph:
        out.add((s, p, o))
        out.add((_renamed(s), p, _renamed(o)))
    return out


def _renamed(node):
    if isinstance(node, URIRef) and node.startswith(CITY):
        base, sep, frag = str(node).partition("#")
        return URIRef(f"{base}-2{sep}{frag}")
    return node


def _fast_rows(
    cities: Graph, compiled: CompiledShapes, context: ValidationContext, runs: int, doubled: bool
) -> list[tuple[str, float, float, str]]:
    """The fast engine on the cities (and twice the cities), from a Graph and from bytes."""
    rows = []
    graphs = [("cities", cities)]
    if doubled:
        graphs.append(("cities x2", _doubled(cities)))
    for name, graph in graphs:
        n = len(graph)
        print(f"fast engine, {name}: {n:,} triples", flush=True)
        wall, cpu = _measure(
            "fast",
            n,
            runs,
            lambda g=graph: len(
                validate_graph_fast(g, compiled, context.hierarchy, context.types, _locate)
            ),
        )
        rows.append((f"fast engine, {name} ({n:,} triples)", wall, cpu, "measured"))
        if name == "cities":  # a loader that writes N-Triples itself skips our rdflib pass
            data = graph.serialize(format="nt", encoding="utf-8")
            print(f"fast engine, {name} as N-Triples bytes (serialising not timed)", flush=True)
            wall, cpu = _measure(
                "fast",
                n,
                runs,
                lambda d=data: len(
                    validate_graph_fast(d, compiled, context.hierarchy, context.types, _locate)
                ),
            )
            rows.append((f"fast engine, {name}, N-Triples input", wall, cpu, "measured"))
    return rows


def _pyshacl_rows(
    cities: Graph, shapes: Graph, context: ValidationContext, runs: int, sample_size: int
) -> list[tuple[str, float, float, str]]:
    """pySHACL on a sample (the whole cities graph would take hours), and its extrapolation."""
    sample = _sample(cities, sample_size)
    own = {str(s) for s in sample.subjects()}

    def run_pyshacl() -> int:  # as validate_source does it for one batch
        _conforms, results, _text = pyshacl.validate(
            context.graph_for(sample),
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
        )
        return len([v for v in violations_from(results, _locate, shapes) if v.focus in own])

    print(f"pySHACL (current gate), sample: {len(sample):,} triples", flush=True)
    wall, cpu = _measure("pySHACL", len(sample), runs, run_pyshacl)
    full = len(cities)
    return [
        (f"pySHACL, {len(sample):,}-triple sample", wall, cpu, "measured"),
        (
            f"pySHACL, cities ({full:,} triples)",
            wall,
            cpu,
            f"EXTRAPOLATED: ~{full / wall / 60:.0f} min wall",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pyshacl-triples", type=int, default=20_000)
    parser.add_argument("--no-doubled", action="store_true", help="skip the ~1.1M-triple run")
    args = parser.parse_args()

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print("building the reference data (not timed) ...", flush=True)
    # an rdflib Graph of the cities, as the pySHACL side needs
    cities = Graph().parse(data=city_source.cities().public.ntriples(), format="nt")
    types: dict[URIRef, set[URIRef]] = {}
    for s, o in reference.countries().public.subject_objects(RDF.type):
        types.setdefault(s, set()).add(o)
    context = ValidationContext(
        class_hierarchy(Graph().parse(ROOT / "ontology" / "cckg.ttl")), types
    )
    shapes = load_shapes()
    w = time.perf_counter()
    compiled = CompiledShapes(shapes)
    print(f"shapes compiled once in {time.perf_counter() - w:.2f} s")

    rows = _fast_rows(cities, compiled, context, args.runs, not args.no_doubled)
    rows += _pyshacl_rows(cities, shapes, context, args.runs, args.pyshacl_triples)

    print(f"\nload average at end: {os.getloadavg()[0]:.2f}; medians of {args.runs} runs")
    print(f"{'':45} {'triples/s (wall)':>17} {'triples/s (CPU)':>16}")
    for label, wall, cpu, note in rows:
        print(f"{label:45} {wall:17,.0f} {cpu:16,.0f}  {note}")


if __name__ == "__main__":
    main()
