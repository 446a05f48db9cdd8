"""A fast SHACL engine for the part of SHACL our shapes use, compiled to SPARQL on pyoxigraph.

pySHACL walks every focus node and value node in Python and needs many minutes for the
555k-triple GeoNames cities. Here each shape is compiled once (:class:`CompiledShapes`) into a
few SPARQL SELECT queries that return only violating rows; a validation run loads the data,
plus the context pySHACL would see, into a fresh in-memory pyoxigraph ``Store`` and runs them.
The gate's entry point is :func:`validate_graph_fast`.

The engine is split by job: ``compiler.py`` (shapes -> units) with ``constraints.py`` (one
SPARQL expression per constraint) builds the compiled form of ``compiled.py``; ``run.py``
loads data plus context into a store and evaluates the units; this module is the API.

Supported (anything else raises ``NotImplementedError`` when the shapes are compiled, and a
shape that is referenced but undefined raises ``ValueError``, so that no shape is ever
skipped silently):

* targets: ``sh:targetClass`` (with the ``rdfs:subClassOf*`` closure of data plus hierarchy),
  ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, implicit class targets;
* paths: IRIs, ``sh:inversePath``, sequences, ``sh:alternativePath``,
  ``sh:zeroOrMorePath``, ``sh:oneOrMorePath``, ``sh:zeroOrOnePath``;
* ``sh:class``, ``sh:datatype``, ``sh:nodeKind``, ``sh:min/maxInclusive``,
  ``sh:min/maxExclusive``, ``sh:min/maxLength``, ``sh:pattern`` (+ ``sh:flags``),
  ``sh:languageIn``, ``sh:uniqueLang``, ``sh:in``, ``sh:hasValue``, ``sh:closed``
  (+ ``sh:ignoredProperties``, on node shapes), ``sh:node``, ``sh:property``, ``sh:not``,
  ``sh:and``, ``sh:or``, ``sh:xone``;
* ``sh:minCount`` (up to 5), ``sh:maxCount`` (any; up to 4 inside ``sh:node``/``sh:or``/...),
  ``sh:qualifiedValueShape`` with ``sh:qualifiedMinCount`` (up to 5) / ``sh:qualifiedMaxCount``
  (as ``sh:maxCount``), not ``sh:qualifiedValueShapesDisjoint``;
* SHACL-SPARQL: ``sh:sparql`` constraints with a ``SELECT ?vars WHERE {...}`` on node shapes,
  ``sh:prefixes``, ``{?var}`` / ``{$var}`` message templates;
* ``sh:deactivated``, ``sh:severity``, ``sh:message`` (every language kept).

Semantics follow pySHACL 0.40 (the tests compare result for result), including where it
computes in Python: a literal fits ``sh:datatype`` only if rdflib reads it as well-formed
(``Literal.ill_typed`` plus pySHACL's value-type check), ``sh:uniqueLang`` ignores case,
``(rdf:type, rdfs:Resource)`` is allowed on closed shapes. Deliberate differences: regexes are
SPARQL ``REGEX`` (XPath flags; Python's ``$`` also matches before a final newline),
``sh:languageIn`` uses ``langMatches``, ``"x"`` and ``"x"^^xsd:string`` are one term (RDF 1.1),
and results are de-duplicated (pySHACL repeats a shared property shape's results per parent).
``restrict_to_subjects`` keeps the results whose focus node is a subject of the data, as
the pySHACL path (``pyshacl_check.py``) does with pySHACL's report; it is not pySHACL's
``focus_nodes`` option, which also drops every value node that is not itself a listed focus
node inside ``sh:or``/``sh:node``/``sh:qualifiedValueShape`` (those constraints then always
pass).

Data may be an rdflib Graph, N-Triples bytes or a pyoxigraph Store. For bytes, reported blank
nodes carry the store's labels, not the file's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from cckg.core.gate import forked
from cckg.core.gate.compiled import TypeResolver, Unit, ValidationResult
from cckg.core.gate.compiler import ShapesCompiler
from cckg.core.gate.datatypes import NEVER_ILL
from cckg.core.gate.model import Location, Violation, short_name, violation_order
from cckg.core.gate.run import Run

__all__ = [
    "PARALLEL_MIN",
    "CompiledShapes",
    "TypeResolver",
    "ValidationResult",
    "to_violation",
    "validate_graph_fast",
]

PARALLEL_MIN = 200_000  # quads in a run before a second process pays for its fork


class CompiledShapes:
    """A shapes graph compiled to SPARQL once; :meth:`validate` runs it on any data graph.

    Raises ``NotImplementedError`` for any SHACL feature this engine does not implement and
    ``ValueError`` for malformed shapes.
    """

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        compiler = ShapesCompiler(shapes)
        self._units: dict[bool, list[Unit]] = {
            # two variants: with and without the (rarely needed) ill-typed literal lookups
            False: compiler.units(ill_typed=False),
            True: compiler.units(ill_typed=True),
        }
        self.checked_datatypes: frozenset[URIRef] = frozenset(compiler.datatypes - NEVER_ILL)
        # Restricting focus nodes to the data's subjects is a filter on results, except for
        # inner units (their focus nodes are values): those need it inside the queries.
        self.needs_markers = any(u.parent is not None for u in self._units[False])
        # Class-targeted shapes need subject markers only on nodes of context classes.
        self.marks_all = any(u.parent is not None or not u.classes for u in self._units[False])

    def validate(
        self,
        data: Graph | bytes | ox.Store,
        hierarchy: Graph | None = None,
        types: Mapping[URIRef, Iterable[URIRef]] | TypeResolver | None = None,
        *,
        restrict_to_subjects: bool = True,
        strategy: str = "auto",
        workers: int = 1,
        before_write: Callable[[], object] | None = None,
    ) -> list[ValidationResult]:
        """Validate ``data``: an rdflib Graph, N-Triples bytes, or a pyoxigraph Store.

        A Store holds the data in its default graph and is validated in place: the context
        and some bookkeeping (in a named graph) are added to it, so pass a store of its own.
        ``hierarchy`` (rdfs:subClassOf triples) and the ``types`` of nodes the data links to
        are added as context, exactly as ``ValidationContext.graph_for`` does. ``types`` may
        also be a :data:`TypeResolver`, asked once for the nodes the data links to. With
        ``restrict_to_subjects`` only results about subjects of ``data`` are returned (the
        context's nodes are looked at, not validated), as pyshacl_check.py filters pySHACL's
        report; without it every target is validated.
        ``strategy`` ("auto", "per-focus", "bulk") picks the query forms; the results are the
        same, "auto" chooses per shape by the number of focus nodes (the others are for tests).
        With ``workers`` 2, a big run evaluates half of its shapes in a forked process (with
        two cores, and no other thread in this process). ``before_write`` is called before
        the run first writes to a Store it was given: until then another thread may read it.
        """
        if strategy not in ("auto", "per-focus", "bulk"):
            raise ValueError(f"unknown strategy {strategy!r}")
        run = Run(
            data,
            hierarchy,
            types or {},
            restrict_to_subjects,
            self.checked_datatypes,
            self.marks_all,
            before_write,
        )
        run.strategy = strategy
        units = self._units[run.has_ill_typed]
        if workers > 1 and run.size >= PARALLEL_MIN and forked.usable():
            mine, theirs = forked.split(units, run.cost)
            results = forked.in_two(mine, theirs, run.evaluate)
        else:
            results = [r for unit in units for r in run.evaluate(unit)]
        unique = dict.fromkeys(results)  # a node under two shapes sharing a property: once
        return list(unique)


def validate_graph_fast(
    data: Graph | bytes | ox.Store,
    shapes: Graph | CompiledShapes,
    hierarchy: Graph | None,
    types: Mapping[URIRef, Iterable[URIRef]] | TypeResolver | None,
    locate: Callable[[Node], Location],
    *,
    restrict_to_subjects: bool = True,
    workers: int = 1,
    before_write: Callable[[], object] | None = None,
) -> list[Violation]:
    """SHACL violations of ``data`` as the gate's :class:`Violation` objects.

    The fast replacement for validate_source's per-batch ``pyshacl.validate(
    context.graph_for(batch), shacl_graph=shapes, ...)`` + ``violations_from`` + "focus is one
    of the batch's subjects" filter: pass the whole source graph (no batching needed),
    ``context.hierarchy`` and ``context.types``. ``shapes`` should be a :class:`CompiledShapes`
    built once (it raises ``NotImplementedError`` for SHACL it does not implement); a raw shapes
    Graph is compiled on every call. All severities are returned (validate_source drops
    warnings itself), sorted as ``violations_from`` sorts them.
    """
    compiled = shapes if isinstance(shapes, CompiledShapes) else CompiledShapes(shapes)
    results = compiled.validate(
        data,
        hierarchy,
        types,
        restrict_to_subjects=restrict_to_subjects,
        workers=workers,
        before_write=before_write,
    )
    out = [to_violation(r, locate) for r in results]
    return sorted(out, key=violation_order)


def to_violation(r: ValidationResult, locate: Callable[[Node], Location]) -> Violation:
    """The gate's view of a result: English and German message, short field name."""
    return Violation(
        location=locate(r.focus),
        focus=str(r.focus),
        field=short_name(r.path) if r.path is not None else None,
        message=r.message("en") or "does not conform",
        message_de=r.message("de"),
        value=str(r.value) if r.value is not None else None,
        shape=str(r.source_shape) if isinstance(r.source_shape, URIRef) else None,
        severity=str(r.severity).rsplit("#", 1)[-1],
    )
