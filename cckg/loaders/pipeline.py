"""parse -> validate -> one atomic write, with PROV metadata on every graph written."""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, XSD

from cckg import __version__
from cckg.core import iris
from cckg.core.resources import display_path, resource_dir
from cckg.core.settings import DEFAULT_BASE_IRI, ONTOLOGY_NS
from cckg.core.store import Store
from cckg.loaders import content
from cckg.loaders.context import TypeLookup, graph_types
from cckg.loaders.model import ParsedSource, SourceError
from cckg.loaders.oxgraph import OxGraph
from cckg.loaders.validate import (
    ValidationContext,
    Violation,
    class_hierarchy,
    dangling_links,
    linked_nodes,
    load_private_shapes,
    load_shapes,
    locator,
    validate_source,
)

CCKG_CHECKSUM = URIRef(ONTOLOGY_NS + "checksum")
CCKG_LOADER_VERSION = URIRef(ONTOLOGY_NS + "loaderVersion")
CCKG_CONTENT_HASH = URIRef(ONTOLOGY_NS + "contentHash")

# Parsers by file suffix, imported lazily (module path, function name).
PARSERS: dict[str, tuple[str, str]] = {
    ".csv": ("cckg.loaders.tabular", "parse_file"),
    ".yaml": ("cckg.loaders.tabular", "parse_file"),
    ".yml": ("cckg.loaders.tabular", "parse_file"),
    ".ttl": ("cckg.loaders.rdf_source", "parse_rdf_file"),
    ".nt": ("cckg.loaders.rdf_source", "parse_rdf_file"),
    ".nq": ("cckg.loaders.rdf_source", "parse_rdf_file"),
    ".jsonld": ("cckg.loaders.rdf_source", "parse_rdf_file"),
    ".json": ("cckg.loaders.rdf_source", "parse_rdf_file"),
}
ONTOLOGY_FILES = ("cckg.ttl", "themes.ttl", "regions.ttl")


class LoadRejectedError(Exception):
    """The data does not conform (exit code 1); nothing was written."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__(f"{len(violations)} violation(s)")


@dataclass
class LoadReport:
    graphs: dict[str, int] = field(default_factory=dict)  # graph IRI -> triples written
    classes: dict[str, int] = field(default_factory=dict)  # class IRI -> instances written
    unchanged: list[str] = field(default_factory=list)  # graphs whose triples were already stored
    private_triples: int = 0
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def parse_path(path: Path, base: str = DEFAULT_BASE_IRI) -> ParsedSource:
    """Parse one source file with the parser its suffix names."""
    entry = PARSERS.get(path.suffix.lower())
    if entry is None:
        from cckg.loaders.model import Location

        raise SourceError(
            f"unsupported file type {path.suffix or '(none)'!r}; expected one of "
            + ", ".join(sorted(PARSERS)),
            Location(str(path)),
        )
    module, func = entry
    parse = getattr(importlib.import_module(module), func)
    if path.parent.name == "ontology" and path.name in ONTOLOGY_FILES:
        return parse(path, base, graph_name=f"ontology/{path.stem}")
    return parse(path, base)


def default_paths() -> list[Path]:
    """Everything ``cckg load`` loads without arguments, besides the reference builders."""
    ontology = resource_dir("ontology")
    paths = [ontology / name for name in ONTOLOGY_FILES if (ontology / name).exists()]
    data = resource_dir("data")
    for path in sorted(data.rglob("*")):
        if path.is_file() and path.suffix.lower() in PARSERS and not path.name.startswith("."):
            paths.append(path)
    return paths


def checksum(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def content_hash(*graphs: Graph) -> str:
    """Order-independent hash of the triples a source would write (see loaders/content.py)."""
    return content.digest(OxGraph.from_graphs(graphs).ntriples())


def provenance(source: ParsedSource, base: str, when: datetime, digest: str) -> Graph:
    """PROV metadata about a source's graph, stored in that graph."""
    g = Graph()
    name = iris.graph(source.graph_name, base)
    g.add((name, RDF.type, PROV.Entity))
    g.add((name, PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime)))
    g.add((name, CCKG_LOADER_VERSION, Literal(f"cckg {__version__}")))
    g.add((name, DCTERMS.identifier, Literal(source.graph_name)))
    g.add((name, PROV.wasDerivedFrom, Literal(display_path(source.path))))
    file_digest = checksum(source.path) if source.path.exists() else None
    if file_digest:
        g.add((name, CCKG_CHECKSUM, Literal(f"sha256:{file_digest}")))
    g.add((name, CCKG_CONTENT_HASH, Literal(digest)))
    return g


class Loader:
    """Validates parsed sources against the shapes and writes them in one transaction."""

    def __init__(
        self,
        store: Store | None,
        base: str = DEFAULT_BASE_IRI,
        shapes: Graph | None = None,
        ontology: Graph | None = None,
        quiet: bool = True,
    ):
        self.store = store
        self.base = base
        from cckg.loaders.fast_shacl import CompiledShapes

        # Compiled once per loader: the SPARQL-compiled SHACL engine (see loaders/validate.py).
        self.shapes = CompiledShapes(shapes if shapes is not None else load_shapes())
        private = load_private_shapes()
        self.private_shapes = CompiledShapes(private) if len(private) else None
        if ontology is None:
            ontology = Graph()
            for name in ONTOLOGY_FILES:
                path = resource_dir("ontology") / name
                if path.exists():
                    ontology.parse(path, format="turtle")
        self.ontology = ontology
        self.hierarchy = class_hierarchy(ontology)
        self._ontology_types = graph_types([ontology])
        self.quiet = quiet or not sys.stderr.isatty()

    # -- context ---------------------------------------------------------------

    def _lookup(self, sources: list[ParsedSource]) -> TypeLookup:
        store_types = self._store_types if self.store is not None else None
        return TypeLookup(self._ontology_types, sources, store_types)

    def _store_types(self, nodes: list[URIRef]) -> dict[URIRef, set[URIRef]]:
        from cckg.core.sparql_text import term_n3

        out: dict[URIRef, set[URIRef]] = {}
        for i in range(0, len(nodes), 5000):
            values = " ".join(term_n3(n) for n in nodes[i : i + 5000])
            rows = self.store.select(
                f"SELECT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t }}", dataset="all"
            )
            for row in rows:
                out.setdefault(row["s"], set()).add(row["t"])
        return out

    # -- validate / load -----------------------------------------------------------

    def validate(self, sources: list[ParsedSource]) -> list[Violation]:
        """Every reason to refuse these sources (an empty list: they may be loaded)."""
        datas = [as_oxgraph(src.public) for src in sources]
        # an RDF file's own OxGraph is used up by validation (keep: it stays readable)
        keep = [d is src.public for src, d in zip(sources, datas, strict=True)]
        return self._gate(sources, datas, self._lookup(sources), keep)

    def _gate(
        self,
        sources: list[ParsedSource],
        datas: list[OxGraph],
        lookup: TypeLookup,
        keep: list[bool] | None = None,
    ) -> list[Violation]:
        """The SHACL gate: each source in one fast_shacl run on its own store (used up)."""
        from cckg.loaders.fast_shacl import validate_graph_fast

        violations: list[Violation] = []
        bar = _progress(sum(len(d) for d in datas), "validating", self.quiet)
        for i, (src, data) in enumerate(zip(sources, datas, strict=True)):
            if src.references:
                lookup.types(sorted(src.references))
                violations.extend(dangling_links(src, lookup.exists))
            size = len(data)
            store = data.take_store(keep=True if keep is None else keep[i])
            found = validate_graph_fast(
                store,
                self.shapes,
                self.hierarchy,
                lookup,
                locator(src),
                workers=2,
                before_write=data.wait_dump,  # the dump reads the data alone
            )
            violations.extend(v for v in found if v.severity != "Warning")
            if len(src.private) and self.private_shapes is not None:
                context = ValidationContext(
                    self.hierarchy, lookup.types(sorted(linked_nodes(src.private)))
                )
                private = ParsedSource(
                    src.path, src.graph_name, src.private, locations=src.locations
                )
                violations.extend(validate_source(private, self.private_shapes, context))
            bar.update(size)
        bar.close()
        return violations

    def load(self, sources: list[ParsedSource]) -> LoadReport:
        """Validate everything, then replace each source's graph in one store update."""
        if self.store is None:
            raise RuntimeError("no store to load into")
        started = datetime.now(UTC)
        names = [s.graph_name for s in sources]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            from cckg.loaders.model import Location

            raise SourceError(
                "two sources would write the same graph: " + ", ".join(sorted(dupes)),
                Location(", ".join(str(s.path) for s in sources if s.graph_name in dupes)),
            )
        lookup = self._lookup(sources)
        datas = [as_oxgraph(src.public) for src in sources]
        report = LoadReport()
        for data in datas:  # before validation adds context to their stores
            data.start_dump()  # N-Triples to hash and write, while the gate runs
            for cls, n in data.class_counts().items():
                report.classes[cls] = report.classes.get(cls, 0) + n
        violations = self._gate(sources, datas, lookup)
        if violations:
            raise LoadRejectedError(violations)
        stored = self._stored_hashes()
        graphs: dict[URIRef, list[Graph | bytes]] = {}
        for src, data in zip(sources, datas, strict=True):
            gname = iris.graph(src.graph_name, self.base)
            digest = content.digest(data.ntriples())
            if stored.get(gname) == digest:
                report.unchanged.append(str(gname))  # same triples: keep the stored graph
                continue
            prov = provenance(src, self.base, started, digest)
            graphs[gname] = [data.ntriples(), prov]
            report.graphs[str(gname)] = len(data) + len(prov)
        private = self._merged_private(sources, datas)
        if private is not None:
            pname = iris.private_graph(self.base)
            digest = content_hash(private)
            report.private_triples = len(private)
            if stored.get(pname) != digest:
                marker = Graph()
                marker.add((pname, CCKG_CONTENT_HASH, Literal(digest)))
                graphs[pname] = [private, marker]
        if graphs:
            self.store.replace_graphs(graphs)
        report.seconds = (datetime.now(UTC) - started).total_seconds()
        return report

    def _stored_hashes(self) -> dict[URIRef, str]:
        rows = self.store.select(
            "SELECT ?g ?h WHERE { GRAPH ?g { ?g ?p ?h } }",
            {"p": CCKG_CONTENT_HASH},
            dataset="all",
        )
        return {r["g"]: str(r["h"]) for r in rows}

    def _merged_private(self, sources: list[ParsedSource], datas: list[OxGraph]) -> Graph | None:
        """Current private graph minus the loaded sources' subjects, plus their new data."""
        if not any(len(s.private) for s in sources):
            return None
        keys = set().union(*(d.subject_keys() for d in datas))
        subjects = {s for src in sources for s in src.private.subjects()}
        merged = Graph()
        existing = self.store.construct(
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?private { ?s ?p ?o } }",
            {"private": iris.private_graph(self.base)},
            dataset="all",
        )
        for t in existing:
            s = t[0]
            if t[1] == CCKG_CONTENT_HASH or s in subjects:
                continue
            if isinstance(s, URIRef) and f"<{s}>".encode() in keys:
                continue
            merged.add(t)
        for src in sources:
            for t in src.private:
                merged.add(t)
        return merged


def as_oxgraph(data: Graph | OxGraph) -> OxGraph:
    """A source's public triples as an OxGraph (rdflib graphs are copied into one)."""
    return data if isinstance(data, OxGraph) else OxGraph.from_graphs([data])


def _progress(total: int, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="triples", disable=quiet, file=sys.stderr, leave=False)


def parse_all(
    paths: Iterable[Path], base: str, with_reference: bool, all_cities: bool = True
) -> list[ParsedSource]:
    """Parse files (and the reference builders); the first unreadable input raises SourceError.

    With ``all_cities=False`` only the GeoNames cities the sources link to are built.
    """
    sources = [parse_path(p, base) for p in paths]
    if with_reference:
        from cckg.loaders import reference

        ids = None if all_cities else reference.referenced_city_ids(sources, base)
        sources += reference.all_reference(base, city_ids=ids)
    return sources
