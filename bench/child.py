"""One measured load in its own process (so its peak RSS is its own): ``python -m bench.child``.

Modes (each prints one JSON line; ``seconds`` excludes interpreter start-up and imports):

* ``validated FILE`` — ``cckg load FILE`` (the CLI, in-process) into the store named by
  ``CCKG_STORE``: parse + SHACL gate + write. Reports the CLI's own timing and which SHACL
  engine did the work (calls counted on pySHACL and on the fast engine, ``cckg.core.gate.engine``).
  The matcher's sentence vectors, which ``cckg load`` computes after the write, are left out
  (``Loader(vectors=False)``): they are derived data, not the validated load, and at 1e6 they
  take tens of CPU-minutes, so every run stopped at the cap inside them.
* ``rdflib FILE`` — plain ``rdflib.Graph().parse(FILE)`` into memory, nothing else.
* ``oxigraph FILE DIR`` — ``pyoxigraph.Store(DIR).bulk_load(FILE)`` without validation.
* ``fast-shacl FILE STORE`` — SHACL validation only with ``cckg.core.gate.engine`` and the same
  context the loader gathers (link targets' types from STORE, the class hierarchy).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path


def _emit(**fields) -> None:
    from bench.util import peak_rss_kb

    print(json.dumps({**fields, "peak_rss_kb": peak_rss_kb()}), flush=True)


def _mark(fields: dict) -> None:
    """A progress line on the real stdout (the CLI's own output is redirected)."""
    print(json.dumps(fields), file=sys.__stdout__, flush=True)


def _started() -> float:
    """Mark the start of the measured work (the parent reads it if it stops us at the cap)."""
    _mark({"started_at": time.time()})
    return time.perf_counter()


def _count_calls(module, name: str, counter: dict[str, int], key: str) -> None:
    original = getattr(module, name)

    def counted(*args, **kwargs):
        counter[key] += 1
        return original(*args, **kwargs)

    setattr(module, name, counted)


class _Progress:
    """Stands in for the loader's progress bar: one JSON line per validated batch, so that a
    run stopped at the cap still tells how far the SHACL gate got."""

    def __init__(self, total: int = 0, *args, **kwargs):
        self.total = total
        self.done = 0
        _mark({"gate_started_at": time.time(), "total": total})

    def update(self, n: int = 1) -> None:
        self.done += n
        _mark({"gate_done": self.done, "at": time.time()})

    def close(self) -> None:
        pass


def _without_vectors(pipeline) -> None:
    """The loader as ``cckg load`` makes it, with the sentence vectors left out."""
    original = pipeline.Loader.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.vectors = False

    pipeline.Loader.__init__ = init


def validated(path: str) -> None:
    from cckg.cli import main
    from cckg.core.gate import engine, pyshacl_check
    from cckg.loaders import pipeline

    pipeline._progress = _Progress  # if the loader still reports progress this way
    _without_vectors(pipeline)
    calls = {"pyshacl": 0, "fast_shacl": 0}
    _count_calls(pyshacl_check, "shacl_validate", calls, "pyshacl")
    _count_calls(engine.CompiledShapes, "validate", calls, "fast_shacl")
    out = io.StringIO()
    started = _started()
    code = 0
    with contextlib.redirect_stdout(out):
        try:
            main(["load", path, "--format", "json", "--quiet"], standalone_mode=False)
        except SystemExit as e:
            code = int(e.code or 0)
    wall = time.perf_counter() - started
    text = out.getvalue()
    report = json.loads(text[text.index("{") :]) if "{" in text else {}
    engine = "+".join(k for k, n in calls.items() if n) or "none"
    _emit(
        seconds=report.get("seconds", wall),
        wall_seconds=wall,
        exit_code=code,
        conforms=report.get("conforms"),
        triples=sum(report.get("graphs", {}).values()),
        engine=engine,
        calls=calls,
    )


def rdflib_load(path: str) -> None:
    from rdflib import Graph

    started = _started()
    g = Graph()
    g.parse(path, format="nt")
    _emit(seconds=time.perf_counter() - started, triples=len(g))


def oxigraph_load(path: str, directory: str) -> None:
    import pyoxigraph as ox

    started = _started()
    store = ox.Store(directory)
    store.bulk_load(
        path=path, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:x-bench:graph")
    )
    store.flush()
    seconds = time.perf_counter() - started
    _emit(seconds=seconds, triples=len(store))


def fast_shacl_validate(path: str, store_path: str) -> None:
    import pyoxigraph as ox
    from rdflib import URIRef

    from cckg.core.gate.context import store_types
    from cckg.core.gate.engine import CompiledShapes
    from cckg.core.gate.shapes import class_hierarchy, load_ontology, load_shapes
    from cckg.core.store import EmbeddedStore

    store = EmbeddedStore(Path(store_path), read_only=True)
    ontology = load_ontology()  # as the gate reads it
    started = _started()
    compiled = CompiledShapes(load_shapes())
    data = Path(path).read_bytes()
    scratch = ox.Store()
    scratch.load(data, format=ox.RdfFormat.N_TRIPLES)
    rows = scratch.query("SELECT DISTINCT ?o WHERE { ?s ?p ?o FILTER(isIRI(?o)) }")
    linked = [URIRef(r["o"].value) for r in rows]
    del scratch
    types = store_types(store)(linked)  # what the gate asks the store for
    results = compiled.validate(data, class_hierarchy(ontology), types)
    _emit(seconds=time.perf_counter() - started, violations=len(results))


def main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "validated":
        validated(*args)
    elif mode == "rdflib":
        rdflib_load(*args)
    elif mode == "oxigraph":
        oxigraph_load(*args)
    elif mode == "fast-shacl":
        fast_shacl_validate(*args)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
