"""Stores the benchmark runs against, built once and cached under var/bench/.

* base store of a size: what ``cckg load`` would hold before the generated file arrives —
  the ontology graphs (cckg, themes, regions) and the reference sets (countries, languages,
  SDGs, and the GeoNames cities of the size's city pool). It gives the validated load the
  link targets it checks against.
* query store of a size: the base store plus the generated file in its own named graph
  (bulk-loaded: the validated load of the same file is measured separately).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from bench import generate
from cckg.core import iris
from cckg.core.gate.model import ParsedSource
from cckg.core.settings import DEFAULT_BASE_IRI

STORE_VERSION = 3  # bump when the base store's content changes (3: themes.ttl closure)


def _ready(path: Path, meta: dict) -> bool:
    marker = path / "bench-store.json"
    return marker.exists() and json.loads(marker.read_text()) == meta


def _mark(path: Path, meta: dict) -> None:
    (path / "bench-store.json").write_text(json.dumps(meta))


def context_sources(target: int, base: str = DEFAULT_BASE_IRI) -> list[ParsedSource]:
    """The ParsedSources a generated dataset of ``target`` triples links into."""
    from cckg.loaders import city_source, reference
    from cckg.loaders.pipeline import default_paths, parse_path

    ontology = [p for p in default_paths() if p.parent.name == "ontology"]
    sources = [parse_path(p, base) for p in ontology]
    ids = {c.geonames_id for c in generate.city_pool(target)}
    sources += [
        reference.countries(base),
        reference.languages(base),
        reference.sdgs(base),
        city_source.cities(base, only=ids),
    ]
    return sources


def base_store(
    target: int, cache_dir: Path = generate.CACHE_DIR, log: Callable[[str], None] = print
) -> Path:
    """The cached base store of a size (see the module docstring)."""
    path = cache_dir / f"base-{generate.size_label(target)}"
    meta = {"version": STORE_VERSION, "generator": generate.GENERATOR_VERSION, "target": target}
    if _ready(path, meta):
        return path
    log(f"building the base store (reference context) for {target:,} triples -> {path}")
    shutil.rmtree(path, ignore_errors=True)
    t0 = time.perf_counter()
    store = ox.Store(str(path))
    for src in context_sources(target):
        data = src.public.serialize(format="nt", encoding="utf-8")
        _load_graph(store, src, data)
    store.flush()
    store.optimize()
    del store
    _mark(path, meta)
    log(f"  base store ready in {time.perf_counter() - t0:.1f} s")
    return path


def _load_graph(store: ox.Store, src: ParsedSource, data: bytes | Path) -> None:
    """Bulk-load a source's triples into its graph, with the PROV metadata the loader writes
    (the web app's ETags and Last-Modified derive from it)."""
    from cckg.core.writer import Origin, provenance

    graph_iri = iris.graph(src.graph_name)
    graph = ox.NamedNode(graph_iri)
    if isinstance(data, Path):
        digest = hashlib.sha256(data.read_bytes()).hexdigest()
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
    else:
        digest = hashlib.sha256(data).hexdigest()
        store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
    origin = Origin.of_file(src.graph_name, src.path)
    prov = provenance(graph_iri, origin, datetime.now(UTC), f"sha256:{digest}")
    store.bulk_load(
        prov.serialize(format="nt", encoding="utf-8"),
        format=ox.RdfFormat.N_TRIPLES,
        to_graph=graph,
    )


def nquads_dump(store_path: Path) -> Path:
    """An N-Quads dump of a cached store (what the rdflib engine loads), cached beside it."""
    meta = json.loads((store_path / "bench-store.json").read_text())
    out = store_path.with_name(store_path.name + ".nq")
    stamp = out.with_suffix(".nq.json")
    if out.exists() and stamp.exists() and json.loads(stamp.read_text()) == meta:
        return out
    store = ox.Store.read_only(str(store_path))
    tmp = out.with_name(out.name + ".tmp")
    store.dump(str(tmp), format=ox.RdfFormat.N_QUADS)
    del store
    tmp.replace(out)
    stamp.write_text(json.dumps(meta))
    return out


def generated_graph(nt_path: Path) -> str:
    """The graph ``cckg load FILE`` writes a file into."""
    return str(iris.graph(f"files/{nt_path.stem}"))


def query_store(
    target: int,
    nt_path: Path,
    cache_dir: Path = generate.CACHE_DIR,
    log: Callable[[str], None] = print,
) -> Path:
    """The cached query store of a size: base store + the generated file."""
    path = cache_dir / f"query-{generate.size_label(target)}"
    meta = {
        "version": STORE_VERSION,
        "generator": generate.GENERATOR_VERSION,
        "target": target,
        "file": nt_path.name,
    }
    if _ready(path, meta):
        return path
    base = base_store(target, cache_dir, log)
    log(f"building the query store for {target:,} triples -> {path}")
    shutil.rmtree(path, ignore_errors=True)
    copy_store(base, path)
    store = ox.Store(str(path))
    src = ParsedSource(nt_path, f"files/{nt_path.stem}", Graph())
    _load_graph(store, src, nt_path)
    store.flush()
    store.optimize()
    del store
    _mark(path, meta)
    return path


def copy_store(src: Path, dst: Path) -> None:
    """A consistent copy of a closed store directory."""
    shutil.copytree(src, dst)


def count_quads(path: Path) -> int:
    store = ox.Store.read_only(str(path))
    try:
        return len(store)
    finally:
        del store
