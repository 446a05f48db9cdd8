"""The SHACL gate: every reason to refuse a set of parsed sources, or none.

One gate for every write: ``cckg load`` (through ``cckg.loaders.pipeline.Loader``) and the web
app's ``/data`` and ``/update`` pass their sources through :meth:`Gate.check`. Each source's
public triples are validated in one fast-engine run on their own store, its private triples
against the private shapes, and its references must exist in the load or in the store.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from rdflib import Graph

from cckg.core.gate.context import TypeLookup, ValidationContext, graph_types, linked_nodes
from cckg.core.gate.context import store_types as store_type_lookup
from cckg.core.gate.engine import CompiledShapes, validate_graph_fast
from cckg.core.gate.model import ParsedSource, Violation, locator
from cckg.core.gate.oxgraph import OxGraph, as_oxgraph
from cckg.core.gate.shapes import class_hierarchy, load_ontology, load_private_shapes, load_shapes
from cckg.core.gate.validate import dangling_links, validate_source
from cckg.core.store import Store


class Progress(Protocol):
    """A progress bar (tqdm's interface): the gate reports triples validated."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> object: ...


class Silent:
    """No progress shown."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


# (total triples, description) -> a progress bar
ProgressFactory = Callable[[int, str], Progress]


class Gate:
    """The shapes (compiled once) and the ontology the gate validates against."""

    def __init__(self, shapes: Graph | None = None, ontology: Graph | None = None) -> None:
        # Compiled once per gate: the SPARQL-compiled SHACL engine (see core/gate/engine.py).
        self.shapes = CompiledShapes(shapes if shapes is not None else load_shapes())
        private = load_private_shapes()
        self.private_shapes = CompiledShapes(private) if len(private) else None
        self.ontology = ontology if ontology is not None else load_ontology()
        self.hierarchy = class_hierarchy(self.ontology)
        self._ontology_types = graph_types([self.ontology])

    def lookup(self, sources: list[ParsedSource], store: Store | None) -> TypeLookup:
        """The types of linked nodes for one load: the ontology, the sources, the store."""
        store_types = store_type_lookup(store) if store is not None else None
        return TypeLookup(self._ontology_types, sources, store_types)

    def validate(self, sources: list[ParsedSource], store: Store | None) -> list[Violation]:
        """Every reason to refuse these sources (an empty list: they may be written)."""
        datas = [as_oxgraph(src.public) for src in sources]
        # an RDF file's own OxGraph is used up by validation (keep: it stays readable)
        keep = [d is src.public for src, d in zip(sources, datas, strict=True)]
        return self.check(sources, datas, self.lookup(sources, store), keep)

    def check(
        self,
        sources: list[ParsedSource],
        datas: list[OxGraph],
        lookup: TypeLookup,
        keep: list[bool] | None = None,
        progress: ProgressFactory | None = None,
        before_write: Callable[[], object] | None = None,
    ) -> list[Violation]:
        """The SHACL gate: each source in one engine run on its own store (``datas``, the
        sources' public triples; used up unless ``keep`` says so, the default).
        ``before_write`` is called before a run first writes to a source's store (until then
        other threads may read it); an exception it raises ends the check."""
        violations: list[Violation] = []
        bar = (progress or _no_progress)(sum(len(d) for d in datas), "validating")
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
                before_write=partial(_first_write, data, before_write),
            )
            violations.extend(v for v in found if v.severity != "Warning")
            violations.extend(self._private(src, lookup))
            bar.update(size)
        bar.close()
        return violations

    def _private(self, src: ParsedSource, lookup: TypeLookup) -> list[Violation]:
        """The violations of a source's private triples (contact data)."""
        if not len(src.private) or self.private_shapes is None:
            return []
        context = ValidationContext(self.hierarchy, lookup.types(sorted(linked_nodes(src.private))))
        private = ParsedSource(src.path, src.graph_name, src.private, locations=src.locations)
        return validate_source(private, self.private_shapes, context)


def _first_write(data: OxGraph, before_write: Callable[[], object] | None) -> None:
    data.wait_dump()  # the dump reads the data alone
    if before_write is not None:
        before_write()


def _no_progress(total: int, desc: str) -> Progress:
    return Silent()
