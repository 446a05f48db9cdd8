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

from cckg import __version__, iris
from cckg.settings import DEFAULT_BASE_IRI, ONTOLOGY_NS, PROJECT_ROOT
from cckg.store import Store
from loaders.model import ParsedSource, SourceError
from loaders.validate import (
    ValidationContext,
    Violation,
    class_hierarchy,
    dangling_links,
    load_private_shapes,
    load_shapes,
    validate_source,
)

CCKG_CHECKSUM = URIRef(ONTOLOGY_NS + "checksum")
CCKG_LOADER_VERSION = URIRef(ONTOLOGY_NS + "loaderVersion")
CCKG_CONTENT_HASH = URIRef(ONTOLOGY_NS + "contentHash")

# Parsers by file suffix, imported lazily (module path, function name).
PARSERS: dict[str, tuple[str, str]] = {
    ".csv": ("loaders.tabular", "parse_file"),
    ".yaml": ("loaders.tabular", "parse_file"),
    ".yml": ("loaders.tabular", "parse_file"),
    ".ttl": ("loaders.rdf_source", "parse_rdf_file"),
    ".nt": ("loaders.rdf_source", "parse_rdf_file"),
    ".jsonld": ("loaders.rdf_source", "parse_rdf_file"),
    ".json": ("loaders.rdf_source", "parse_rdf_file"),
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
        from loaders.model import Location

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


def default_paths(root: Path = PROJECT_ROOT) -> list[Path]:
    """Everything ``cckg load`` loads without arguments, besides the reference builders."""
    paths = [
        root / "ontology" / name for name in ONTOLOGY_FILES if (root / "ontology" / name).exists()
    ]
    data = root / "data"
    for path in sorted(data.rglob("*")):
        if path.is_file() and path.suffix.lower() in PARSERS and not path.name.startswith("."):
            paths.append(path)
    return paths


def checksum(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def content_hash(*graphs: Graph) -> str:
    """Order-independent hash of the triples a source would write."""
    lines: list[bytes] = []
    for g in graphs:
        lines.extend(g.serialize(format="nt", encoding="utf-8").splitlines())
    return "sha256:" + hashlib.sha256(b"\n".join(sorted(set(lines)))).hexdigest()


def provenance(source: ParsedSource, base: str, when: datetime, digest: str) -> Graph:
    """PROV metadata about a source's graph, stored in that graph."""
    g = Graph()
    name = iris.graph(source.graph_name, base)
    g.add((name, RDF.type, PROV.Entity))
    g.add((name, PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime)))
    g.add((name, CCKG_LOADER_VERSION, Literal(f"cckg {__version__}")))
    g.add((name, DCTERMS.identifier, Literal(source.graph_name)))
    g.add((name, PROV.wasDerivedFrom, Literal(_display_path(source.path))))
    file_digest = checksum(source.path) if source.path.exists() else None
    if file_digest:
        g.add((name, CCKG_CHECKSUM, Literal(f"sha256:{file_digest}")))
    g.add((name, CCKG_CONTENT_HASH, Literal(digest)))
    return g


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


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
        from loaders.fast_shacl import CompiledShapes

        # Compiled once per loader: the SPARQL-compiled SHACL engine (see loaders/validate.py).
        self.shapes = CompiledShapes(shapes if shapes is not None else load_shapes())
        private = load_private_shapes()
        self.private_shapes = CompiledShapes(private) if len(private) else None
        if ontology is None:
            ontology = Graph()
            for name in ONTOLOGY_FILES:
                path = PROJECT_ROOT / "ontology" / name
                if path.exists():
                    ontology.parse(path, format="turtle")
        self.ontology = ontology
        self.quiet = quiet or not sys.stderr.isatty()

    # -- context ---------------------------------------------------------------

    def _types(self, sources: list[ParsedSource]) -> dict[URIRef, set[URIRef]]:
        types: dict[URIRef, set[URIRef]] = {}
        for g in [self.ontology, *(s.public for s in sources)]:
            for s, _, o in g.triples((None, RDF.type, None)):
                if isinstance(s, URIRef) and isinstance(o, URIRef):
                    types.setdefault(s, set()).add(o)
        needed = set()
        for src in sources:
            from loaders.validate import linked_nodes

            needed |= {n for n in linked_nodes(src.public) if n not in types}
            needed |= {n for n in src.references if n not in types}
        if needed and self.store is not None:
            types.update(self._store_types(sorted(needed)))
        return types

    def _store_types(self, nodes: list[URIRef]) -> dict[URIRef, set[URIRef]]:
        from cckg.sparql_text import term_n3

        out: dict[URIRef, set[URIRef]] = {}
        for i in range(0, len(nodes), 500):
            values = " ".join(term_n3(n) for n in nodes[i : i + 500])
            rows = self.store.select(
                f"SELECT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t }}", dataset="all"
            )
            for row in rows:
                out.setdefault(row["s"], set()).add(row["t"])
        return out

    # -- validate / load -----------------------------------------------------------

    def validate(self, sources: list[ParsedSource]) -> list[Violation]:
        types = self._types(sources)
        context = ValidationContext(class_hierarchy(self.ontology), types)
        violations: list[Violation] = []
        total = sum(len(s.public) for s in sources)
        bar = _progress(total, "validating", self.quiet)
        for src in sources:
            violations.extend(dangling_links(src, lambda iri: iri in types))
            violations.extend(validate_source(src, self.shapes, context, bar.update))
            if len(src.private) and self.private_shapes is not None:
                violations.extend(
                    validate_source(
                        ParsedSource(
                            src.path, src.graph_name, src.private, locations=src.locations
                        ),
                        self.private_shapes,
                        context,
                    )
                )
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
            from loaders.model import Location

            raise SourceError(
                "two sources would write the same graph: " + ", ".join(sorted(dupes)),
                Location(", ".join(str(s.path) for s in sources if s.graph_name in dupes)),
            )
        violations = self.validate(sources)
        if violations:
            raise LoadRejectedError(violations)
        stored = self._stored_hashes()
        graphs: dict[URIRef, list[Graph]] = {}
        report = LoadReport()
        for src in sources:
            gname = iris.graph(src.graph_name, self.base)
            digest = content_hash(src.public)
            for _, _, cls in src.public.triples((None, RDF.type, None)):
                report.classes[str(cls)] = report.classes.get(str(cls), 0) + 1
            if stored.get(gname) == digest:
                report.unchanged.append(str(gname))  # same triples: keep the stored graph
                continue
            prov = provenance(src, self.base, started, digest)
            graphs[gname] = [src.public, prov]
            report.graphs[str(gname)] = len(src.public) + len(prov)
        private = self._merged_private(sources)
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

    def _merged_private(self, sources: list[ParsedSource]) -> Graph | None:
        """Current private graph minus the loaded sources' subjects, plus their new data."""
        if not any(len(s.private) for s in sources):
            return None
        subjects = {
            s for src in sources for s in set(src.public.subjects()) | set(src.private.subjects())
        }
        merged = Graph()
        existing = self.store.construct(
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?private { ?s ?p ?o } }",
            {"private": iris.private_graph(self.base)},
            dataset="all",
        )
        for t in existing:
            if t[0] not in subjects and t[1] != CCKG_CONTENT_HASH:
                merged.add(t)
        for src in sources:
            for t in src.private:
                merged.add(t)
        return merged


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
        from loaders import reference

        ids = None if all_cities else reference.referenced_city_ids(sources, base)
        sources.extend(reference.all_reference(base, ids))
    return sources
