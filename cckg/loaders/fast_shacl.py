"""A fast SHACL engine for the part of SHACL our shapes use, compiled to SPARQL on pyoxigraph.

pySHACL walks every focus node and value node in Python and needs many minutes for the
555k-triple GeoNames cities. Here each shape is compiled once (:class:`CompiledShapes`) into a
few SPARQL SELECT queries that return only violating rows; a validation run loads the data,
plus the context pySHACL would see, into a fresh in-memory pyoxigraph ``Store`` and runs them.
The gate's entry point is :func:`validate_graph_fast`.

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
validate.py does with pySHACL's report; it is not pySHACL's ``focus_nodes`` option, which
also drops every value node that is not itself a listed focus node inside
``sh:or``/``sh:node``/``sh:qualifiedValueShape`` (those constraints then always pass).

Data may be an rdflib Graph or N-Triples bytes. For bytes, reported blank nodes carry the
store's labels, not the file's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from json.encoder import encode_basestring  # C: JSON string escapes are valid N-Triples

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, SH, XSD
from rdflib.plugins.stores.memory import Memory
from rdflib.term import Node

from cckg.loaders import forked
from cckg.loaders.model import Location
from cckg.loaders.validate import Violation, _short

__all__ = [
    "CompiledShapes",
    "TypeResolver",
    "ValidationResult",
    "graph_to_ntriples",
    "to_violation",
    "validate_graph_fast",
]

# (linked nodes the data gives no type, linked nodes the data types) -> types to add as context
TypeResolver = Callable[[list[URIRef], list[URIRef]], Mapping[URIRef, Iterable[URIRef]]]

# Bookkeeping lives in one named graph that the constraint queries (default graph) never see.
_META = "urn:x-cckg-fast-shacl:"
_META_GRAPH = URIRef(_META + "meta")
_FOCUS = URIRef(_META + "focus")  # <s> _FOCUS _FOCUS: s is a subject of the data under test
_ILL = URIRef(_META + "ill-typed")  # _ILL _ILL "lex"^^dt: rdflib/pySHACL call it ill-typed
_BNODE = URIRef(_META + "bnode")  # _:x _BNODE "label": the caller's blank node label

_XSD_STRING = str(XSD.string)
_SAME_AS = OWL.sameAs

_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_VALUE_CONSTRAINTS = (
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.pattern,
    SH.minLength,
    SH.maxLength,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.languageIn,
    SH["in"],
    SH.node,
    SH["not"],
    SH["and"],
    SH["or"],
    SH.xone,
)
_PROPERTY_ONLY = (
    SH.minCount,
    SH.maxCount,
    SH.uniqueLang,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
)
_OTHER = (
    SH.hasValue,
    SH.closed,
    SH.ignoredProperties,
    SH.property,
    SH.sparql,
    SH.flags,
    SH.path,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
)
_SUPPORTED = frozenset((*_TARGETS, *_VALUE_CONSTRAINTS, *_PROPERTY_ONLY, *_OTHER))
_SHAPE_LISTS = (SH["and"], SH["or"], SH.xone)
_SHAPE_REFS = (SH.node, SH["not"], SH.property, SH.qualifiedValueShape)
_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
_RANGES = {
    SH.minInclusive: (">=", SH.MinInclusiveConstraintComponent),
    SH.maxInclusive: ("<=", SH.MaxInclusiveConstraintComponent),
    SH.minExclusive: (">", SH.MinExclusiveConstraintComponent),
    SH.maxExclusive: ("<", SH.MaxExclusiveConstraintComponent),
}
_MAX_CHAIN = 5  # counts are compiled to chains of distinct values: maxCount 4 needs 5
PARALLEL_MIN = 200_000  # quads in a run before a second process pays for its fork
_CHUNK = 50_000  # triples per N-Quads document while loading in the background
_SPARQL_KEYS = frozenset((RDF.type, SH.select, SH.message, SH.prefixes, SH.deactivated))
_SELECT = re.compile(
    r"^\s*SELECT\s+(?P<mod>(?:DISTINCT|REDUCED)\s+)?(?P<proj>.*?)\s*WHERE\s*\{", re.I | re.S
)
_VAR = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")
_FORBIDDEN_SPARQL = {
    "MINUS": re.compile(r"(?<![\w:])MINUS\b", re.I),
    "VALUES": re.compile(r"(?<![\w:])VALUES\b", re.I),
    "SERVICE": re.compile(r"(?<![\w:])SERVICE\b", re.I),
    "a nested SELECT": re.compile(r"(?<![\w:])SELECT\b", re.I),
    "LIMIT/OFFSET": re.compile(r"(?<![\w:])(LIMIT|OFFSET)\b", re.I),
    "PREFIX/BASE inside sh:select": re.compile(r"(?<![\w:])(PREFIX|BASE)\b", re.I),
    "$PATH": re.compile(r"[?$]PATH\b"),
    "$shapesGraph": re.compile(r"[?$]shapesGraph\b"),
    "$currentShape": re.compile(r"[?$]currentShape\b"),
    "?failure": re.compile(r"[?$]failure\b"),
}
_TEMPLATE = re.compile(r"\{[?$](\w+)\}")
_BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_PN_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)?$")

# pySHACL's check that a well-formed literal's Python value has the expected type.
_VALUE_TYPES: dict[str, type | tuple[type, ...]] = {
    str(XSD.string): (str, bytes),
    str(RDF.langString): (str, bytes),
    str(XSD.integer): int,
    str(XSD.float): float,
    str(XSD.decimal): Decimal,
    str(XSD.boolean): bool,
    str(XSD.date): date,
    str(XSD.time): time,
    str(XSD.dateTime): datetime,
}
# Lexical forms that rdflib certainly parses to a value of the right type (a subset of XSD).
_SURELY_VALID = {
    XSD.integer: r"^[+-]?[0-9]+$",
    XSD.decimal: r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$",
    XSD.boolean: r"^(true|false|1|0)$",
}
# Datatypes whose literals can never be ill-typed for sh:datatype (no lexical check needed).
_NEVER_ILL = frozenset((XSD.string, RDF.langString, RDFS.Literal))


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL validation result, as pySHACL would put it in its report."""

    focus: Node
    path: Node | None
    value: Node | None
    source_shape: Node
    component: URIRef
    severity: URIRef
    messages: tuple[Literal, ...]
    source_constraint: Node | None = None

    def message(self, lang: str = "en") -> str | None:
        """The message in ``lang``; for English an untagged message will also do."""
        by_lang: dict[str, str] = {}
        for m in self.messages:
            by_lang.setdefault(m.language or "", str(m))
        if lang == "en":
            return by_lang.get("en") or by_lang.get("") or next(iter(by_lang.values()), None)
        return by_lang.get(lang)


# ---------------------------------------------------------------------------- compiled form


@dataclass
class _Check:
    """One constraint: a SPARQL boolean expression that is true when it is violated."""

    shape: Node
    component: URIRef
    path: Node | None
    expr: str | None  # None: only the aggregate form exists
    severity: URIRef
    messages: tuple[Literal, ...]
    value_is_focus: bool = False  # node-level constraints report the focus node as sh:value
    # The same check as a ``SELECT ?this ... GROUP BY ... HAVING`` over all subjects: cheaper
    # than a per-focus-node self-join when most nodes are focus nodes.
    aggregate: str | None = None


@dataclass
class _Branch:
    """The value-level constraints of one property shape: evaluated on ``?this PATH ?value``."""

    path_sparql: str
    checks: list[_Check]


@dataclass
class _Closed:
    shape: Node
    allowed: tuple[URIRef, ...]
    severity: URIRef
    messages: tuple[Literal, ...]


@dataclass
class _SparqlConstraint:
    shape: Node
    node: Node
    query: str  # SELECT with the marker _FOCUS_SLOT where the focus pattern goes
    variables: tuple[str, ...]
    severity: URIRef
    messages: tuple[Literal, ...]


_FOCUS_SLOT = "#{fast-shacl-focus}#\n"
# ``?x rdf:type/rdfs:subClassOf* C`` in generated queries; a run replaces it by a plain
# rdf:type lookup against C's subclasses, computed once per run.
_ISA_PATH = f"{RDF.type.n3()}/{RDFS.subClassOf.n3()}* "
_TYPE = RDF.type.n3()
_IRI = re.compile(r"<[^<>\s]*>")
_SUBCLASS = RDFS.subClassOf.n3()
_ISA = re.compile(re.escape(_ISA_PATH) + r"(<[^<>\s]*>)")


@dataclass
class _Unit:
    """A shape evaluated on a set of focus nodes: a targeted shape or an inner sh:property."""

    shape: Node
    targets: str | None  # SPARQL group binding ?this, or None for an inner unit
    parent: tuple[_Unit, str] | None  # (unit, path) whose values are this unit's focus nodes
    focus_checks: list[_Check]
    branches: list[_Branch]
    closed: _Closed | None
    sparql: list[_SparqlConstraint]
    # the target classes when the targets are class targets only: a run then lists the focus
    # nodes by their rdf:type (with the subclass closure computed once) instead of a path
    classes: tuple[URIRef, ...] | None = None

    def focus_pattern(self, var: str, restrict: bool, depth: int = 0) -> str:
        """A group binding ``var`` to each focus node once."""
        if self.parent is not None:
            unit, path = self.parent
            up = f"?fs_up{depth}"
            # spec semantics: value nodes are focus nodes whatever ``restrict`` says
            body = f"{unit.focus_pattern(up, restrict, depth + 1)} {up} {path} {var} ."
        else:
            body = (self.targets or "").replace("?this", var)
            if restrict:  # only the data's own subjects, as validate.py's filter
                # a filter, not a join: the optimiser would start from all the markers
                marker = f"GRAPH {_META_GRAPH.n3()} {{ {var} {_FOCUS.n3()} {_FOCUS.n3()} }}"
                body += f" FILTER EXISTS {{ {marker} }}"
        return f"{{ SELECT DISTINCT {var} WHERE {{ {body} }} }}"

    def membership(self, var: str, restrict: bool, depth: int = 0) -> str:
        """An expression: ``var`` (bound) is a focus node of this unit."""
        if self.parent is not None:
            unit, path = self.parent
            up = f"?fs_up{depth}"
            inner = unit.membership(up, restrict, depth + 1)
            return f"EXISTS {{ {up} {path} {var} . FILTER({inner}) }}"
        test = f"EXISTS {{ {(self.targets or '').replace('?this', var)} }}"
        if restrict:
            marker = f"GRAPH {_META_GRAPH.n3()} {{ {var} {_FOCUS.n3()} {_FOCUS.n3()} }}"
            test += f" && EXISTS {{ {marker} }}"
        return test


class CompiledShapes:
    """A shapes graph compiled to SPARQL once; :meth:`validate` runs it on any data graph.

    Raises ``NotImplementedError`` for any SHACL feature this engine does not implement and
    ``ValueError`` for malformed shapes.
    """

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        compiler = _Compiler(shapes)
        self._units: dict[bool, list[_Unit]] = {
            # two variants: with and without the (rarely needed) ill-typed literal lookups
            False: compiler.units(ill_typed=False),
            True: compiler.units(ill_typed=True),
        }
        self.checked_datatypes: frozenset[URIRef] = frozenset(compiler.datatypes - _NEVER_ILL)
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
        context's nodes are looked at, not validated), as validate.py filters pySHACL's
        report; without it every target is validated.
        ``strategy`` ("auto", "per-focus", "bulk") picks the query forms; the results are the
        same, "auto" chooses per shape by the number of focus nodes (the others are for tests).
        With ``workers`` 2, a big run evaluates half of its shapes in a forked process (with
        two cores, and no other thread in this process). ``before_write`` is called before
        the run first writes to a Store it was given: until then another thread may read it.
        """
        if strategy not in ("auto", "per-focus", "bulk"):
            raise ValueError(f"unknown strategy {strategy!r}")
        run = _Run(self, data, hierarchy, types or {}, restrict_to_subjects, before_write)
        run.strategy = strategy
        units = self._units[run.has_ill_typed]
        if workers > 1 and run.size >= PARALLEL_MIN and forked.usable():
            mine, theirs = forked.split(units, run.cost)
            results = forked.in_two(mine, theirs, run.evaluate)
        else:
            results = [r for unit in units for r in run.evaluate(unit)]
        unique = dict.fromkeys(results)  # a node under two shapes sharing a property: once
        return list(unique)


# ---------------------------------------------------------------------------- the compiler


class _Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self.n = 0
        self.ill_typed = False
        self.datatypes: set[URIRef] = set()
        self._check_components()
        self.shape_nodes = self._find_shapes()
        for s in self.shape_nodes:
            self._check_shape(s)
        # constraints that SHACL would silently skip are most likely mistakes: refuse them
        params = (*_VALUE_CONSTRAINTS, *_PROPERTY_ONLY, SH.hasValue, SH.closed, SH.property)
        stray = {n for p in (*params, SH.sparql) for n in shapes.subjects(p, None)}
        stray -= set(self.shape_nodes)
        if stray:
            raise ValueError(
                f"{sorted(stray)[0].n3()} has constraints but is no shape: give it a type "
                "sh:NodeShape/sh:PropertyShape, a target or a reference"
            )

    # ------------------------------------------------------------------ discovery and checks

    def _check_components(self) -> None:
        for kind in (SH.ConstraintComponent, SH.SPARQLConstraintComponent, SH.JSConstraint):
            if next(self.g.subjects(RDF.type, kind), None) is not None:
                raise NotImplementedError(f"custom constraint components ({kind.n3()})")
        for pred in (SH.target, SH.rule, SH.js, SH.entailment):
            s = next(self.g.subjects(pred, None), None)
            if s is not None:
                raise NotImplementedError(f"{pred.n3()} on {s.n3()}")

    def _find_shapes(self) -> list[Node]:
        found: set[Node] = set(self.g.subjects(RDF.type, SH.NodeShape))
        found |= set(self.g.subjects(RDF.type, SH.PropertyShape))
        found |= set(self.g.subjects(SH.path, None))
        for pred in _TARGETS:
            found |= set(self.g.subjects(pred, None))
        for pred in _SHAPE_REFS:
            found |= set(self.g.objects(None, pred))
        for pred in _SHAPE_LISTS:
            for lst in self.g.objects(None, pred):
                found |= set(self._list(lst))
        return sorted(found, key=lambda n: (isinstance(n, BNode), str(n)))

    def _check_shape(self, s: Node) -> None:
        if isinstance(s, Literal):
            raise ValueError(f"a literal cannot be a shape: {s.n3()}")
        if isinstance(s, URIRef) and next(self.g.predicate_objects(s), None) is None:
            # a typo in sh:node/sh:property would otherwise be a shape that always conforms
            raise ValueError(f"{s.n3()} is used as a shape but not defined in the shapes graph")
        for ps in self.g.objects(s, SH.property):
            if not self.is_property(ps):
                raise ValueError(f"sh:property {ps.n3()} of {s.n3()} has no sh:path")
        for p in set(self.g.predicates(s, None)):
            if str(p).startswith(str(SH)) and p not in _SUPPORTED:
                raise NotImplementedError(f"{p.n3()} on shape {s.n3()}")
        is_prop = self.is_property(s)
        if not is_prop:
            for p in _PROPERTY_ONLY:
                if (s, p, None) in self.g:
                    raise ValueError(f"{p.n3()} needs sh:path (shape {s.n3()})")
        if (s, SH.qualifiedValueShapesDisjoint, Literal(True)) in self.g:
            raise NotImplementedError(f"sh:qualifiedValueShapesDisjoint true on {s.n3()}")
        if is_prop and (s, SH.closed, None) in self.g:
            raise NotImplementedError(f"sh:closed on the property shape {s.n3()}")
        if is_prop and (s, SH.sparql, None) in self.g:
            raise NotImplementedError(f"sh:sparql on the property shape {s.n3()}")
        if len(set(self.g.objects(s, SH.path))) > 1:
            raise ValueError(f"{s.n3()} has more than one sh:path")

    def is_property(self, s: Node) -> bool:
        return (s, SH.path, None) in self.g

    def _list(self, node: Node) -> list[Node]:
        if node == RDF.nil:
            return []
        if (node, RDF.first, None) not in self.g:
            raise ValueError(f"{node.n3()} is not an RDF list")
        return list(Collection(self.g, node))

    def _one(self, s: Node, p: URIRef) -> Node | None:
        values = set(self.g.objects(s, p))
        if len(values) > 1:
            raise ValueError(f"{s.n3()} has more than one {p.n3()}")
        return next(iter(values), None)

    def deactivated(self, s: Node) -> bool:
        d = self._one(s, SH.deactivated)
        return isinstance(d, Literal) and d.value is True

    def severity(self, s: Node) -> URIRef:
        sev = next(iter(sorted(self.g.objects(s, SH.severity))), SH.Violation)
        return sev if isinstance(sev, URIRef) else SH.Violation

    def messages(self, s: Node) -> tuple[Literal, ...]:
        msgs = [m for m in self.g.objects(s, SH.message) if isinstance(m, Literal)]
        return tuple(sorted(msgs, key=lambda m: (m.language or "", str(m))))

    def var(self, stem: str) -> str:
        self.n += 1
        return f"?fs_{stem}{self.n}"

    # ------------------------------------------------------------------ paths and targets

    def path(self, node: Node) -> str:
        """A SHACL path as a SPARQL property path."""
        g = self.g
        if isinstance(node, URIRef):
            return node.n3()
        if not isinstance(node, BNode):
            raise ValueError(f"not a SHACL path: {node.n3()}")
        if (node, RDF.first, None) in g:
            items = self._list(node)
            if len(items) < 2:
                raise ValueError("a sequence path needs at least two members")
            return "(" + "/".join(self.path(i) for i in items) + ")"
        keys = set(g.predicates(node, None))
        if len(keys) != 1:
            raise NotImplementedError(f"SHACL path {node.n3()} with {sorted(keys)}")
        (key,) = keys
        inner = self._one(node, key)
        if key == SH.inversePath:
            return f"^({self.path(inner)})"
        if key == SH.alternativePath:
            return "(" + "|".join(self.path(i) for i in self._list(inner)) + ")"
        suffix = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}
        if key in suffix:
            return f"({self.path(inner)}){suffix[key]}"
        raise NotImplementedError(f"SHACL path kind {key.n3()}")

    def _classes(self, s: Node) -> set[Node]:
        g = self.g
        classes = set(g.objects(s, SH.targetClass))
        # implicit class target: the shape is also an rdfs:Class (as pySHACL reads it)
        class_types = set(g.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
        if set(g.objects(s, RDF.type)) & class_types:
            classes.add(s)
        return classes

    def target_classes(self, s: Node) -> tuple[URIRef, ...] | None:
        """The target classes of ``s`` if it has class targets and no others."""
        others = (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
        classes = self._classes(s)
        if not classes or any((s, p, None) in self.g for p in others):
            return None
        return tuple(sorted(c for c in classes if isinstance(c, URIRef)))

    def targets(self, s: Node) -> str | None:
        g = self.g
        parts = []
        classes = self._classes(s)
        for c in sorted(classes):
            parts.append(f"{{ ?this {_ISA_PATH}{c.n3()} }}")
        nodes = sorted(g.objects(s, SH.targetNode))
        if nodes:
            parts.append("{ VALUES ?this { " + " ".join(n.n3() for n in nodes) + " } }")
        for p in sorted(g.objects(s, SH.targetSubjectsOf)):
            parts.append(f"{{ ?this {p.n3()} {self.var('o')} }}")
        for p in sorted(g.objects(s, SH.targetObjectsOf)):
            parts.append(f"{{ {self.var('s')} {p.n3()} ?this }}")
        if any(isinstance(n, BNode) for n in (*classes, *nodes)):
            raise NotImplementedError(f"blank node targets on {s.n3()}")
        return " UNION ".join(parts) if parts else None

    # ------------------------------------------------------------------ expressions

    def literal_n3(self, node: Node, what: str) -> str:
        if isinstance(node, BNode):
            raise NotImplementedError(f"a blank node in {what} cannot match data nodes")
        return node.n3()

    def value_fails(self, s: Node, v: str, stack: tuple[Node, ...]) -> list[tuple[URIRef, str]]:
        """(component, violated-expression) for each value-level constraint of ``s`` on ``v``."""
        g = self.g
        out: list[tuple[URIRef, str]] = []
        for cls in sorted(g.objects(s, SH["class"])):
            self.literal_n3(cls, "sh:class")
            out.append(
                (
                    SH.ClassConstraintComponent,
                    f"(isLiteral({v}) || NOT EXISTS {{ {v} {_ISA_PATH}{cls.n3()} }})",
                )
            )
        dt = self._one(s, SH.datatype)
        if dt is not None:
            out.append((SH.DatatypeConstraintComponent, self.datatype_fails(dt, v)))
        kind = self._one(s, SH.nodeKind)
        if kind is not None:
            if kind not in _NODE_KINDS:
                raise ValueError(f"unknown sh:nodeKind {kind.n3()}")
            out.append((SH.NodeKindConstraintComponent, "!" + _NODE_KINDS[kind].format(v=v)))
        flags = self._one(s, SH.flags)
        for pattern in sorted(g.objects(s, SH.pattern)):
            out.append((SH.PatternConstraintComponent, self.pattern_fails(pattern, flags, v)))
        for pred, comp, op in (
            (SH.minLength, SH.MinLengthConstraintComponent, ">="),
            (SH.maxLength, SH.MaxLengthConstraintComponent, "<="),
        ):
            n = self._one(s, pred)
            if n is not None:
                if not (isinstance(n, Literal) and isinstance(n.value, int)):
                    raise ValueError(f"{pred.n3()} must be an integer on {s.n3()}")
                length = f"COALESCE(STRLEN(STR({v})) {op} {int(n.value)}, false)"
                out.append((comp, f"(isBlank({v}) || !{length})"))
        for pred, (op, comp) in _RANGES.items():
            for bound in sorted(g.objects(s, pred)):
                if not isinstance(bound, Literal):
                    raise ValueError(f"{pred.n3()} must be a literal on {s.n3()}")
                out.append((comp, f"!COALESCE({v} {op} {bound.n3()}, false)"))
        langs = self._one(s, SH.languageIn)
        if langs is not None:
            ranges = [str(x) for x in self._list(langs)]
            tests = (
                " || ".join(f"langMatches(LANG({v}), {Literal(r).n3()})" for r in ranges) or "false"
            )
            out.append(
                (
                    SH.LanguageInConstraintComponent,
                    f'!(isLiteral({v}) && LANG({v}) != "" && ({tests}))',
                )
            )
        allowed = self._one(s, SH["in"])
        if allowed is not None:
            members = [self.literal_n3(x, "sh:in") for x in self._list(allowed)]
            tests = " || ".join(f"sameTerm({v}, {m})" for m in members) or "false"
            out.append((SH.InConstraintComponent, f"!({tests})"))
        for node in sorted(g.objects(s, SH.node)):
            out.append((SH.NodeConstraintComponent, "!" + self.conforms(node, v, stack)))
        for node in sorted(g.objects(s, SH["not"])):
            out.append((SH.NotConstraintComponent, self.conforms(node, v, stack)))
        for lst in sorted(g.objects(s, SH["and"])):
            each = [self.conforms(m, v, stack) for m in self._list(lst)]
            out.append((SH.AndConstraintComponent, "!(" + (" && ".join(each) or "true") + ")"))
        for lst in sorted(g.objects(s, SH["or"])):
            each = [self.conforms(m, v, stack) for m in self._list(lst)]
            out.append((SH.OrConstraintComponent, "!(" + (" || ".join(each) or "false") + ")"))
        for lst in sorted(g.objects(s, SH.xone)):
            each = [f"IF({self.conforms(m, v, stack)}, 1, 0)" for m in self._list(lst)]
            out.append((SH.XoneConstraintComponent, "(" + (" + ".join(each) or "0") + ") != 1"))
        if not self.is_property(s):
            for val in sorted(g.objects(s, SH.hasValue)):
                term = self.literal_n3(val, "sh:hasValue")
                out.append((SH.HasValueConstraintComponent, f"!sameTerm({v}, {term})"))
        return out

    def datatype_fails(self, dt: Node, v: str) -> str:
        if not isinstance(dt, URIRef):
            raise ValueError(f"sh:datatype must be an IRI, not {dt.n3()}")
        self.datatypes.add(dt)
        if dt == RDFS.Literal:
            return f"!isLiteral({v})"
        if dt == RDFS.Datatype:
            raise NotImplementedError("sh:datatype rdfs:Datatype")
        test = f"isLiteral({v}) && DATATYPE({v}) = {dt.n3()}"
        if self.ill_typed and dt not in _NEVER_ILL:
            test += (
                f" && NOT EXISTS {{ GRAPH {_META_GRAPH.n3()} {{ {_ILL.n3()} {_ILL.n3()} {v} }} }}"
            )
        return f"!({test})"

    def pattern_fails(self, pattern: Node, flags: Node | None, v: str) -> str:
        if not isinstance(pattern, Literal):
            raise ValueError(f"sh:pattern must be a literal, not {pattern.n3()}")
        args = Literal(str(pattern)).n3()
        if flags is not None:
            args += ", " + Literal(str(flags)).n3()
        _check_regex(args)
        return f"(isBlank({v}) || !REGEX(STR({v}), {args}))"

    def at_least(self, f: str, path: str, n: int, cond: Callable[[str], str] | None) -> str:
        """True when ``f`` has at least ``n`` distinct values (satisfying ``cond``)."""
        if n <= 0:
            return "true"
        if n > _MAX_CHAIN:
            raise NotImplementedError(f"cardinalities above {_MAX_CHAIN - 1}")
        vs = [self.var("n") for _ in range(n)]
        tests = [f"!sameTerm({a}, {b})" for i, a in enumerate(vs) for b in vs[i + 1 :]]
        if cond is not None:
            tests += [cond(x) for x in vs]
        triples = " ".join(f"{f} {path} {x} ." for x in vs)
        where = f" FILTER({' && '.join(tests)})" if tests else ""
        return f"EXISTS {{ {triples}{where} }}"

    def focus_fails(
        self, ps: Node, f: str, stack: tuple[Node, ...], top: bool = False
    ) -> list[tuple[URIRef, str | None, str | None]]:
        """Constraints of property shape ``ps`` on the whole set of values of focus ``f``.

        (component, violated-expression, aggregate query) for each. A ``top``-level check
        (``f`` is the unit's ?this) also gets an aggregate query and may lack the expression
        (counts too big for a chain); nested ones always have the expression.
        """
        g = self.g
        path = self.path(self._one(ps, SH.path))
        out: list[tuple[URIRef, str, str | None]] = []

        def more_than(n: int, cond: str = "", key: str = "") -> str:
            v = self.var("v")
            where = f"FILTER({cond.replace('{v}', v)})" if cond else ""
            return (
                f"SELECT ?this WHERE {{ ?this {path} {v} . {where} }} "
                f"GROUP BY ?this {key.replace('{v}', v)} HAVING (COUNT(DISTINCT {v}) > {n})"
            )

        for pred, comp in (
            (SH.minCount, SH.MinCountConstraintComponent),
            (SH.maxCount, SH.MaxCountConstraintComponent),
        ):
            n = self._one(ps, pred)
            if n is None:
                continue
            if not (isinstance(n, Literal) and isinstance(n.value, int)):
                raise ValueError(f"{pred.n3()} must be an integer on {ps.n3()}")
            if pred == SH.minCount:
                out.append((comp, "!" + self.at_least(f, path, int(n.value), None), None))
            else:
                m = int(n.value)
                if top:
                    chain = self.at_least(f, path, m + 1, None) if m < _MAX_CHAIN else None
                    out.append((comp, chain, more_than(m)))
                else:
                    out.append((comp, self.at_least(f, path, m + 1, None), None))
        unique = self._one(ps, SH.uniqueLang)
        if unique is not None and not (
            isinstance(unique, Literal) and isinstance(unique.value, bool)
        ):
            raise ValueError(f"sh:uniqueLang must be a boolean on {ps.n3()}")
        if unique is not None and unique.value:
            a, b = self.var("l"), self.var("l")
            lang = "(LCASE(LANG({v})) AS ?fs_lang)"
            agg = more_than(1, 'isLiteral({v}) && LANG({v}) != ""', lang)
            out.append(
                (
                    SH.UniqueLangConstraintComponent,
                    f"EXISTS {{ {f} {path} {a} . {f} {path} {b} . FILTER(!sameTerm({a}, {b}) "
                    f'&& LANG({a}) != "" && LCASE(LANG({a})) = LCASE(LANG({b}))) }}',
                    agg if top else None,
                )
            )
        qshapes = list(g.objects(ps, SH.qualifiedValueShape))
        qmin, qmax = self._one(ps, SH.qualifiedMinCount), self._one(ps, SH.qualifiedMaxCount)
        if len(qshapes) > 1:
            raise NotImplementedError(f"several sh:qualifiedValueShape on {ps.n3()}")
        if qshapes and qmin is None and qmax is None:
            raise ValueError(f"sh:qualifiedValueShape without a count on {ps.n3()}")
        for count, comp in (
            (qmin, SH.QualifiedMinCountConstraintComponent),
            (qmax, SH.QualifiedMaxCountConstraintComponent),
        ):
            if count is None:
                continue
            if not qshapes:
                raise ValueError(f"a qualified count without sh:qualifiedValueShape on {ps.n3()}")
            if not (isinstance(count, Literal) and isinstance(count.value, int)):
                raise ValueError(f"qualified counts must be integers on {ps.n3()}")
            q = qshapes[0]

            def cond(x: str, q: Node = q) -> str:
                return self.conforms(q, x, stack)

            if comp == SH.QualifiedMinCountConstraintComponent:
                out.append((comp, "!" + self.at_least(f, path, int(count.value), cond), None))
            else:
                m = int(count.value)
                if top:
                    chain = self.at_least(f, path, m + 1, cond) if m < _MAX_CHAIN else None
                    out.append((comp, chain, more_than(m, cond("{v}"))))
                else:
                    out.append((comp, self.at_least(f, path, m + 1, cond), None))
        for val in sorted(g.objects(ps, SH.hasValue)):
            term = self.literal_n3(val, "sh:hasValue")
            h = self.var("h")
            out.append(
                (
                    SH.HasValueConstraintComponent,
                    f"NOT EXISTS {{ {f} {path} {h} . FILTER(sameTerm({h}, {term})) }}",
                    None,
                )
            )
        return out

    def closed_allowed(self, s: Node) -> tuple[URIRef, ...] | None:
        closed = self._one(s, SH.closed)
        ignored = self._one(s, SH.ignoredProperties)
        if closed is None or not (isinstance(closed, Literal) and closed.value is True):
            if ignored is not None and closed is None:
                raise ValueError(f"sh:ignoredProperties without sh:closed on {s.n3()}")
            return None
        allowed = {p for ps in self.g.objects(s, SH.property) for p in self.g.objects(ps, SH.path)}
        if ignored is not None:
            allowed |= set(self._list(ignored))
        return tuple(sorted(p for p in allowed if isinstance(p, URIRef)))

    def closed_fails(self, allowed: tuple[URIRef, ...], v: str) -> str:
        p, o = self.var("p"), self.var("o")
        return f"EXISTS {{ {v} {p} {o} . FILTER({_not_allowed(p, o, allowed)}) }}"

    def conforms(self, s: Node, v: str, stack: tuple[Node, ...]) -> str:
        """A SPARQL expression: ``v`` conforms to shape ``s`` (no result of any severity)."""
        if s in stack:
            raise NotImplementedError(f"recursive shapes ({s.n3()})")
        if self.deactivated(s):
            return "true"
        stack = (*stack, s)
        if (s, SH.sparql, None) in self.g:
            raise NotImplementedError(f"sh:sparql inside sh:node/sh:or/... ({s.n3()})")
        parts: list[str] = []
        if self.is_property(s):
            path = self.path(self._one(s, SH.path))
            w = self.var("w")
            fails = [f"COALESCE({e}, true)" for _c, e in self.value_fails(s, w, stack)]
            fails += ["!" + self.conforms(child, w, stack) for child in self._children(s)]
            if fails:
                parts.append(f"NOT EXISTS {{ {v} {path} {w} . FILTER({' || '.join(fails)}) }}")
            parts += [f"!COALESCE({e}, true)" for _c, e, _a in self.focus_fails(s, v, stack)]
        else:
            parts += [f"!COALESCE({e}, true)" for _c, e in self.value_fails(s, v, stack)]
            parts += [self.conforms(child, v, stack) for child in self._children(s)]
            allowed = self.closed_allowed(s)
            if allowed is not None:
                parts.append("!" + self.closed_fails(allowed, v))
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def _children(self, s: Node) -> list[Node]:
        return sorted(self.g.objects(s, SH.property), key=lambda n: (isinstance(n, BNode), str(n)))

    # ------------------------------------------------------------------ units

    def units(self, *, ill_typed: bool) -> list[_Unit]:
        self.ill_typed = ill_typed
        out: list[_Unit] = []
        for s in self.shape_nodes:
            targets = self.targets(s)
            if targets is None or self.deactivated(s):
                continue
            units = self._unit(s, targets, None)
            units[0].classes = self.target_classes(s)
            out.extend(units)
        return _share_property_shapes(out)

    def _check(
        self,
        s: Node,
        comp: URIRef,
        expr: str | None,
        path: Node | None,
        node_level: bool,
        aggregate: str | None = None,
    ) -> _Check:
        return _Check(
            shape=s,
            component=comp,
            path=path,
            # an error must not let a value pass
            expr=f"COALESCE({expr}, true)" if expr is not None else None,
            severity=self.severity(s),
            messages=self.messages(s) or (Literal(_generic_message(comp)),),
            value_is_focus=node_level,
            aggregate=aggregate,
        )

    def _unit(self, s: Node, targets: str | None, parent: tuple[_Unit, str] | None) -> list[_Unit]:
        unit = _Unit(s, targets, parent, [], [], None, [])
        inner: list[_Unit] = []
        if self.is_property(s):
            props = [s]  # a targeted property shape: its own values
        else:
            for comp, expr in self.value_fails(s, "?this", (s,)):
                # the focus is the value node, except for sh:hasValue (no sh:value by spec)
                has_value = comp == SH.HasValueConstraintComponent
                unit.focus_checks.append(self._check(s, comp, expr, None, not has_value))
            props = [p for p in self._children(s) if not self.deactivated(p)]
            allowed = self.closed_allowed(s)
            if allowed is not None:
                unit.closed = _Closed(s, allowed, self.severity(s), self.messages(s))
            for c in sorted(self.g.objects(s, SH.sparql)):
                if not self.deactivated(c):
                    unit.sparql.append(self._sparql(s, c))
        for ps in props:
            path_node = self._one(ps, SH.path)
            path = self.path(path_node)
            for comp, expr, agg in self.focus_fails(ps, "?this", (ps,), top=True):
                unit.focus_checks.append(self._check(ps, comp, expr, path_node, False, agg))
            checks = [
                self._check(ps, comp, expr, path_node, False)
                for comp, expr in self.value_fails(ps, "?value", (ps,))
            ]
            if checks:
                unit.branches.append(_Branch(path, checks))
            for child in self._children(ps):
                if not self.deactivated(child):  # results have the value as focus node
                    inner.extend(self._unit(child, None, (unit, path)))
        return [unit, *inner]

    def _sparql(self, shape: Node, c: Node) -> _SparqlConstraint:
        g = self.g
        for p in set(g.predicates(c, None)):
            if p not in _SPARQL_KEYS:
                raise NotImplementedError(f"{p.n3()} on SPARQL constraint {c.n3()}")
        select = self._one(c, SH.select)
        if select is None:
            raise NotImplementedError(f"SPARQL constraint {c.n3()} without sh:select")
        text = str(select)
        m = _SELECT.match(text)
        if m is None:
            raise NotImplementedError(f"{c.n3()}: only 'SELECT ?vars WHERE {{...}}' is supported")
        for what, regex in _FORBIDDEN_SPARQL.items():
            if regex.search(text[m.end() :] if what == "a nested SELECT" else text):
                raise NotImplementedError(f"{what} in the SPARQL constraint {c.n3()}")
        proj = m.group("proj").split()
        names = [_VAR.fullmatch(t) for t in proj]
        if not proj or any(n is None for n in names):
            raise NotImplementedError(f"{c.n3()}: only plain variables may be selected")
        variables = tuple(dict.fromkeys(n.group(1) for n in names if n is not None))
        if "this" not in variables:
            variables = ("this", *variables)
        prefixes = "".join(
            f"PREFIX {p}: {URIRef(ns).n3()}\n" for p, ns in sorted(self._prefixes(c).items())
        )
        query = (
            f"{prefixes}SELECT {m.group('mod') or ''}{' '.join('?' + v for v in variables)} "
            f"WHERE {{\n{_FOCUS_SLOT}{text[m.end() :]}"
        )
        messages = self.messages(c) + self.messages(shape)
        return _SparqlConstraint(shape, c, query, variables, self.severity(shape), messages)

    def _prefixes(self, c: Node) -> dict[str, str]:
        out: dict[str, str] = {}
        for holder in self.g.objects(c, SH.prefixes):
            for dec in self.g.objects(holder, SH.declare):
                prefix, ns = self._one(dec, SH.prefix), self._one(dec, SH.namespace)
                if prefix is None or ns is None or not _PN_PREFIX.match(str(prefix)):
                    raise ValueError(f"bad sh:declare {dec.n3()}")
                out[str(prefix)] = str(ns)
        return out


def _share_property_shapes(units: list[_Unit]) -> list[_Unit]:
    """Evaluate a property shape that several targeted shapes use once, on all their focus nodes.

    Its results do not depend on the shape that uses it (the source shape is the property
    shape), so one evaluation on the union of the focus nodes gives the same results with one
    scan of its path instead of one per user (our shapes share labels, cities, sources...).
    """
    roots = [u for u in units if u.parent is None and u.targets is not None]
    users: dict[Node, list[_Unit]] = {}
    for u in roots:
        shapes = {c.shape for c in u.focus_checks} | {b.checks[0].shape for b in u.branches}
        for ps in shapes - {u.shape}:
            users.setdefault(ps, []).append(u)
    shared: list[_Unit] = []
    for ps, using in users.items():
        if len(using) < 2:
            continue
        first = using[0]
        checks = [c for c in first.focus_checks if c.shape == ps]
        branches = [b for b in first.branches if b.checks[0].shape == ps]
        for u in using:
            u.focus_checks = [c for c in u.focus_checks if c.shape != ps]
            u.branches = [b for b in u.branches if b.checks[0].shape != ps]
        parts = (t for u in using for t in (u.targets or "").split(" UNION "))
        targets = " UNION ".join(dict.fromkeys(parts))
        classes = None
        if all(u.classes for u in using):
            classes = tuple(sorted({c for u in using for c in u.classes or ()}))
        shared.append(_Unit(ps, targets, None, checks, branches, None, [], classes))
    return [*units, *shared]


def _not_allowed(p: str, o: str, allowed: tuple[URIRef, ...]) -> str:
    listed = ", ".join(a.n3() for a in allowed)
    test = f"{p} NOT IN ({listed})" if allowed else "true"
    # pySHACL always lets (rdf:type, rdfs:Resource) through
    return f"{test} && !({p} = {RDF.type.n3()} && sameTerm({o}, {RDFS.Resource.n3()}))"


def _check_regex(args: str) -> None:
    """Fail at compile time for a regex the SPARQL engine cannot run (lookaround, ...)."""
    row = next(iter(ox.Store().query(f'SELECT (REGEX("", {args}) AS ?ok) {{}}')))
    if row["ok"] is None:
        raise NotImplementedError(f"sh:pattern {args} is not a valid SPARQL (XPath) regex")


def _generic_message(comp: URIRef) -> str:
    name = str(comp).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    return f"Value does not conform to the {name} constraint"


# ---------------------------------------------------------------------------- a validation run


class _Run:
    """One store holding data + context, and the evaluation of compiled units on it."""

    def __init__(
        self,
        compiled: CompiledShapes,
        data: Graph | bytes,
        hierarchy: Graph | None,
        types: Mapping[URIRef, Iterable[URIRef]],
        restrict: bool,
        before_write: Callable[[], object] | None = None,
    ) -> None:
        self.store = ox.Store()
        self._before_write = before_write
        self.compiled = compiled
        # Only the data's subjects are focus nodes: marked in the meta graph and joined in the
        # focus patterns, so that typed context nodes (linked cities...) cost nothing.
        self.markers = restrict
        self.subjects: set[Node] | None = None  # or: drop results whose focus is not in here
        self.strategy = "auto"
        self._isa: dict[str, list[str] | None] = {}  # class -> its subclasses (None: keep path)
        self._type_counts: dict[str, int] | None = None  # focus candidates per type
        self._predicates: dict[str, int] | None = None  # triples per predicate
        # classes the context gives to linked nodes that may not be subjects of the data:
        # focus nodes of other classes need no check that they are the data's subjects
        self._context_classes: set[str] = set()
        self._n = 0
        self._bnodes: dict[str, BNode] | None = None
        self.has_bnode_labels = False
        if isinstance(data, Dataset):  # iterates quads; validate one graph at a time
            raise TypeError("pass one rdflib Graph (or N-Triples bytes), not a Dataset")
        if isinstance(data, ox.Store):
            self.store = data
            size = self._add_context(hierarchy, types, compiled.checked_datatypes, restrict)
        elif isinstance(data, Graph):
            if callable(types):
                linked = (o for _, p, o in data if p != RDF.type and p != _SAME_AS)
                nodes = sorted({o for o in linked if isinstance(o, URIRef)})
                types = types(nodes, [])
            size = self._load_graph(data, hierarchy, types, compiled.checked_datatypes, restrict)
        elif isinstance(data, bytes | bytearray):
            size = self._load_ntriples(
                bytes(data), hierarchy, types, compiled.checked_datatypes, restrict
            )
        else:
            raise TypeError(f"data must be a Graph, N-Triples bytes or a Store, not {type(data)}")
        self.size = max(size, 1)

    # ------------------------------------------------------------------ loading

    def _load_graph(self, data, hierarchy, types, checked, restrict) -> int:
        writer = _NQuadsWriter(checked)
        loader = _BackgroundLoader(self.store)
        triples = iter(_fast_triples(data))
        held: list[str] = []  # from the first blank node on: one document (labels are local)
        size = 0
        try:
            while chunk := writer.triples(islice(triples, _CHUNK), collect=True):
                size += len(chunk)
                if writer.bnodes or held:
                    held.extend(chunk)
                else:  # Python writes the next chunk while the store parses this one
                    loader.put(chunk)
            lines = held
            if self.markers:
                focus = f" {_FOCUS.n3()} {_FOCUS.n3()} {_META_GRAPH.n3()} .\n"
                lines.extend(a + focus for a in writer.subjects.values())
            elif restrict:  # before the context's subjects join them
                self.subjects = set(writer.subjects)
            lines.extend(self._context_lines(writer, hierarchy, types, writer.linked))
            others = (n for n in writer.linked if n not in writer.subjects)
            self._context_classes = {c.n3() for n in others for c in types.get(n, ())}
            meta = f" {_META_GRAPH.n3()} .\n"
            for lit in writer.ill:
                lines.append(f"{_ILL.n3()} {_ILL.n3()} {lit}{meta}")
            for label in writer.bnodes.values():
                lines.append(f'_:{label} {_BNODE.n3()} "{label}"{meta}')
            loader.put(lines)
        finally:
            loader.close()
        self.has_ill_typed = bool(writer.ill)
        self.has_bnode_labels = bool(writer.bnodes)
        self._bnode_originals = {label: b for b, label in writer.bnodes.items()}
        return size + len(lines)

    def _mark_subjects(self, typed: list[URIRef]) -> None:
        """Mark the data's subjects that could be focus nodes a context node resembles: of a
        class the context gives, or given a type by the context (all, for other shapes)."""
        marker = f"GRAPH {_META_GRAPH.n3()} {{ ?s {_FOCUS.n3()} {_FOCUS.n3()} }}"
        if self.compiled.marks_all:
            subjects = "SELECT DISTINCT ?s WHERE { ?s ?p ?o }"
            self.store.update(f"INSERT {{ {marker} }} WHERE {{ {subjects} }}")
            return
        if self._context_classes:
            classes = " ".join(sorted(self._context_classes))
            subjects = f"SELECT DISTINCT ?s WHERE {{ ?s {_TYPE} ?t VALUES ?t {{ {classes} }} }}"
            self.store.update(f"INSERT {{ {marker} }} WHERE {{ {subjects} }}")
        for i in range(0, len(typed), 5000):
            nodes = " ".join(n.n3() for n in typed[i : i + 5000])
            subjects = f"VALUES ?s {{ {nodes} }} FILTER EXISTS {{ ?s ?p ?o }}"
            self.store.update(f"INSERT {{ {marker} }} WHERE {{ {subjects} }}")

    def _context_lines(self, writer, hierarchy, types, linked) -> list[str]:
        lines = writer.triples(_fast_triples(hierarchy), collect=False) if hierarchy else []
        rdf_type = writer.iri(RDF.type)
        for node in linked:
            for cls in sorted(types.get(node, ())):
                lines.append(f"{writer.iri(node)} {rdf_type} {writer.iri(cls)} .\n")
        return lines

    def _load_ntriples(self, data: bytes, hierarchy, types, checked, restrict) -> int:
        self.store.load(data, format=ox.RdfFormat.N_TRIPLES, lenient=True)
        return self._add_context(hierarchy, types, checked, restrict)

    def _add_context(self, hierarchy, types, checked, restrict) -> int:
        """Markers, the linked nodes' types, the hierarchy and ill-typed literals, added to
        a store that holds the data in its default graph."""
        store = self.store
        if not self.markers and restrict:
            rows = store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }")
            self.subjects = {self.term(r["s"]) for r in rows}
        linked, literals = _objects(store, checked, typed=callable(types))
        if callable(types):
            types = types(linked[False], linked[True])
        writer = _NQuadsWriter(frozenset())
        context = self._context_lines(writer, hierarchy, types, linked[False] + linked[True])
        # nodes the data types are its subjects: only the others may be context-only nodes
        typed = [n for n in linked[False] if types.get(n)]
        self._context_classes = {c.n3() for n in typed for c in types[n]}
        if self._before_write is not None:  # the first write to the caller's store
            self._before_write()
        if self.markers:  # before the context goes in: only the data's subjects
            self._mark_subjects(typed)
        ill: list[str] = []
        for lit in literals:  # rdflib decides, for the literals that are not plainly well-formed
            lex, dt = lit.value, lit.datatype.value
            if not _well_typed(Literal(lex, datatype=URIRef(dt))):
                # the stored lexical form: rdflib's Literal may have normalised it
                term = f"{encode_basestring(lex)}^^<{dt}>"
                ill.append(f"{_ILL.n3()} {_ILL.n3()} {term} {_META_GRAPH.n3()} .\n")
        self.has_ill_typed = bool(ill)
        self._bnode_originals = {}
        store.load("".join(context + ill).encode(), format=ox.RdfFormat.N_QUADS, lenient=True)
        return len(store)

    # ------------------------------------------------------------------ terms

    def term(self, t: object) -> Node | None:
        if t is None:
            return None
        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if isinstance(t, ox.Literal):
            if t.language:
                return Literal(t.value, lang=t.language)
            dt = t.datatype.value
            return Literal(t.value) if dt == _XSD_STRING else Literal(t.value, datatype=URIRef(dt))
        if isinstance(t, ox.BlankNode):
            return self._bnode(t)
        raise TypeError(f"unexpected term {t!r}")

    def _bnode(self, t: ox.BlankNode) -> BNode:
        if self._bnodes is None:  # only when a result involves a blank node
            self._bnodes = {}
            if self.has_bnode_labels:
                rows = self.store.query(
                    f"SELECT ?b ?l WHERE {{ GRAPH {_META_GRAPH.n3()} {{ ?b {_BNODE.n3()} ?l }} }}"
                )
                self._bnodes = {r["b"].value: self._bnode_originals[r["l"].value] for r in rows}
        return self._bnodes.get(t.value) or BNode(t.value)

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, unit: _Unit) -> list[ValidationResult]:
        out = self._evaluate(unit)
        if self.subjects is not None:  # exact for a targeted shape: results are about focus
            out = [r for r in out if r.focus in self.subjects]
        return out

    def query(self, text: str) -> ox.QuerySolutions:
        return self.store.query(self.rewrite(text))

    def rewrite(self, text: str) -> str:
        """Generated SPARQL with each ``rdf:type/rdfs:subClassOf* C`` as a plain type lookup.

        The store does not change during a run, so C's subclasses (data plus hierarchy) are
        listed once; a lookup with VALUES is several times faster than the property path.
        """

        def lookup(m: re.Match[str]) -> str:
            closure = self._closure(m.group(1))
            if closure is None:
                return m.group(0)
            if len(closure) == 1:
                return f"{_TYPE} {closure[0]}"
            self._n += 1
            var = f"?fs_isa{self._n}"
            return f"{_TYPE} {var} . VALUES {var} {{ {' '.join(closure)} }}"

        return _ISA.sub(lookup, text)

    def _closure(self, cls: str) -> list[str] | None:
        if cls not in self._isa:
            rows = self.store.query(f"SELECT DISTINCT ?t WHERE {{ ?t {_SUBCLASS}* {cls} }}")
            found = {r["t"] for r in rows}
            named = {f"<{t.value}>" for t in found if isinstance(t, ox.NamedNode)}
            # a blank node subclass cannot be listed in VALUES across queries: keep the path
            self._isa[cls] = sorted(named | {cls}) if len(named) == len(found) else None
        return self._isa[cls]

    def focus(self, unit: _Unit) -> str:
        """A group binding ?this to each focus node of ``unit`` (once)."""
        closure = self._classes_closure(unit)
        if closure is None:
            return unit.focus_pattern("?this", self.markers)
        parts = [
            f"?this {_TYPE} {types[0]} .{marker}"
            if len(types) == 1
            else f"?this {_TYPE} ?fs_ft . VALUES ?fs_ft {{ {' '.join(types)} }}{marker}"
            for types, marker in self._split(closure)
        ]
        if len(closure) == 1:  # one type triple per node: no duplicates
            return f"{{ {parts[0]} }}"
        union = " UNION ".join(f"{{ {p} }}" for p in parts)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"

    def member(self, unit: _Unit) -> str:
        """An expression: the bound ?this is a focus node of ``unit``."""
        closure = self._classes_closure(unit)
        if closure is None:
            return unit.membership("?this", self.markers)
        tests = []
        for types, marker in self._split(closure):
            test = f"EXISTS {{ ?this {_TYPE} ?fs_mt . VALUES ?fs_mt {{ {' '.join(types)} }} }}"
            tests.append(f"({test} && EXISTS {{ {marker} }})" if marker else test)
        return " || ".join(tests)

    def _split(self, closure: list[str]) -> list[tuple[list[str], str]]:
        """The types of a focus node, split by whether such a node must be checked to be a
        subject of the data (the context types some linked nodes with them), with the check."""
        marked = [t for t in closure if self.markers and t in self._context_classes]
        plain = [t for t in closure if t not in marked]
        marker = f" GRAPH {_META_GRAPH.n3()} {{ ?this {_FOCUS.n3()} {_FOCUS.n3()} }}"
        return [(ts, m) for ts, m in ((plain, ""), (marked, marker)) if ts]

    def _classes_closure(self, unit: _Unit) -> list[str] | None:
        """The types that make a node a focus node of a class-targeted unit."""
        if unit.parent is not None or not unit.classes:
            return None
        closure: set[str] = set()
        for c in unit.classes:
            listed = self._closure(c.n3())
            if listed is None:
                return None
            closure.update(listed)
        return sorted(closure)

    def _count_focus(self, unit: _Unit, focus: str, limit: int) -> int:
        """The number of focus nodes, or ``limit`` if there are more: exact for a class
        target from the per-type counts (one query per run), else counted up to ``limit``."""
        closure = self._classes_closure(unit)
        if closure is not None:
            if self._type_counts is None:
                self._type_counts = self._count_types()
            # a node of two of these types counts twice: only the choice of query form cares
            return min(limit, sum(self._type_counts.get(t, 0) for t in closure))
        some = f"SELECT ?this WHERE {{ {focus} }} LIMIT {limit}"
        counted = f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ {some} }} }}"
        return int(next(iter(self.query(counted)))["n"].value)

    def cost(self, unit: _Unit) -> float:
        """A rough measure of the work of evaluating ``unit`` (to share it out)."""
        found = self._count_focus(unit, self.focus(unit), self.size)
        return found * (1 + len(unit.focus_checks)) + self._path_triples(unit) + 1

    def _path_triples(self, unit: _Unit) -> int:
        """Triples on the unit's value paths."""
        return sum(self._triples(b.path_sparql) for b in unit.branches)

    def _triples(self, path: str) -> int:
        """Triples on a path (a path other than one IRI: all of them)."""
        if self._predicates is None:
            rows = self.store.query("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
            self._predicates = {f"<{r['p'].value}>": int(r["n"].value) for r in rows}
        return self._predicates.get(path, 0) if _IRI.fullmatch(path) else self.size

    def _count_types(self) -> dict[str, int]:
        """Focus node candidates per type: the data's subjects for the context's classes."""
        count = "SELECT ?t (COUNT(*) AS ?n) WHERE {{ ?s {} ?t . {} }} GROUP BY ?t"
        counts = {
            f"<{r['t'].value}>": int(r["n"].value)
            for r in self.store.query(count.format(_TYPE, ""))
        }
        if self.markers and self._context_classes:
            marker = f"GRAPH {_META_GRAPH.n3()} {{ ?s {_FOCUS.n3()} {_FOCUS.n3()} }}"
            for t in self._context_classes:
                counts.pop(t, None)
            for r in self.store.query(count.format(_TYPE, marker)):
                t = f"<{r['t'].value}>"
                if t in self._context_classes:
                    counts[t] = int(r["n"].value)
        return counts

    def _evaluate(self, unit: _Unit) -> list[ValidationResult]:
        focus = self.focus(unit)
        width = max(1, len(unit.branches))
        # Nested-loop (LATERAL) evaluation costs lookups per focus node and path; the bulk
        # forms read every triple of the paths once: few focus nodes want the former.
        paths = self._path_triples(unit) if unit.branches else self.size // 20
        limit = max(64, paths // (2 * width))
        found = self._count_focus(unit, focus, limit)
        if not found:
            return []
        lateral = {"auto": found < limit, "per-focus": True, "bulk": False}[self.strategy]
        out: list[ValidationResult] = []
        checks = unit.focus_checks
        # many focus nodes: counts by aggregation over the whole store
        aggregated = [c for c in checks if c.expr is None or (c.aggregate and not lateral)]
        checks = [c for c in checks if c not in aggregated]
        if aggregated:
            out.extend(self._aggregates(unit, aggregated))
        if checks:
            out.extend(self._focus_checks(checks, focus))
        if unit.branches:
            # per path: nested loops when its triples outnumber the focus nodes well
            if self.strategy == "auto":
                by_focus = [b for b in unit.branches if 2 * found < self._triples(b.path_sparql)]
            else:
                by_focus = unit.branches if lateral else []
            bulk = [b for b in unit.branches if b not in by_focus]
            if by_focus:
                out.extend(self._branches(unit, by_focus, focus))
            if bulk:
                out.extend(self._branches(unit, bulk, None))
        if unit.closed is not None:
            out.extend(self._closed(unit.closed, focus, lateral))
        for c in unit.sparql:
            out.extend(self._sparql(c, focus))
        return out

    def _aggregates(self, unit: _Unit, checks: list[_Check]) -> list[ValidationResult]:
        groups = " UNION ".join(
            f"{{ {{ {c.aggregate} }} BIND({k} AS ?k) }}" for k, c in enumerate(checks)
        )
        member = self.member(unit)
        query = f"SELECT DISTINCT ?this ?k WHERE {{ {groups} FILTER({member}) }}"
        return [
            _result(checks[int(row["k"].value)], self.term(row["this"]), None)
            for row in self.query(query)
        ]

    def _focus_checks(self, checks: list[_Check], focus: str) -> list[ValidationResult]:
        binds = " ".join(f"BIND({c.expr} AS ?c{i})" for i, c in enumerate(checks))
        flags = " || ".join(f"?c{i}" for i in range(len(checks)))
        names = " ".join(f"?c{i}" for i in range(len(checks)))
        query = f"SELECT ?this {names} WHERE {{ {focus} {binds} FILTER({flags}) }}"
        out = []
        for row in self.query(query):
            this = self.term(row["this"])
            for i, c in enumerate(checks):
                if _true(row[f"c{i}"]):
                    out.append(_result(c, this, this if c.value_is_focus else None))
        return out

    def _branches(
        self, unit: _Unit, branches: list[_Branch], focus: str | None
    ) -> list[ValidationResult]:
        """Value checks: per focus node (LATERAL) with ``focus``, else on every value first.

        Checking the values of each path first and asking whether the violating ones belong
        to a focus node afterwards reads each path once and never lists the focus nodes (the
        membership test sits in the same FILTER, after the checks, so that it runs only for
        violations and the optimiser cannot move it before them).
        """
        width = max(len(b.checks) for b in branches)
        member = "" if focus is not None else f" && ({self.member(unit)})"
        groups = []
        for k, b in enumerate(branches):
            binds = " ".join(f"BIND({c.expr} AS ?f{i})" for i, c in enumerate(b.checks))
            flags = " || ".join(f"?f{i}" for i in range(len(b.checks)))
            groups.append(
                f"{{ ?this {b.path_sparql} ?value . BIND({k} AS ?b) {binds} "
                f"FILTER(({flags}){member}) }}"
            )
        body = " UNION ".join(groups)
        names = " ".join(f"?f{i}" for i in range(width))
        where = f"{focus} LATERAL {{ {body} }}" if focus is not None else body
        out = []
        for row in self.query(f"SELECT ?this ?b ?value {names} WHERE {{ {where} }}"):
            branch = branches[int(row["b"].value)]
            this, value = self.term(row["this"]), self.term(row["value"])
            for i, c in enumerate(branch.checks):
                if _true(row[f"f{i}"]):
                    out.append(_result(c, this, value))
        return out

    def _closed(self, closed: _Closed, focus: str, lateral: bool) -> list[ValidationResult]:
        body = f"?this ?p ?o . FILTER({_not_allowed('?p', '?o', closed.allowed)})"
        where = f"{focus} LATERAL {{ {body} }}" if lateral else f"{focus} {body}"
        messages = closed.messages or (Literal(_generic_message(SH.ClosedConstraintComponent)),)
        return [
            ValidationResult(
                focus=self.term(row["this"]),
                path=self.term(row["p"]),
                value=self.term(row["o"]),
                source_shape=closed.shape,
                component=SH.ClosedConstraintComponent,
                severity=closed.severity,
                messages=messages,
            )
            for row in self.query(f"SELECT ?this ?p ?o WHERE {{ {where} }}")
        ]

    def _sparql(self, c: _SparqlConstraint, focus: str) -> list[ValidationResult]:
        # only our own focus pattern is rewritten, never the shape's SPARQL text
        query = c.query.replace(_FOCUS_SLOT, self.rewrite(focus) + "\n", 1)
        out = []
        seen = set()
        for row in self.store.query(query):
            bound = {v: self.term(row[v]) for v in c.variables}
            key = tuple(bound.items())
            if key in seen:
                continue
            seen.add(key)
            this = bound["this"]
            if bound.get("value") is None:
                bound["value"] = this  # a node shape's own value node, as pySHACL
            names = {k: str(v) for k, v in bound.items() if v is not None}
            messages = tuple(_fill(msg, names) for msg in c.messages) or (
                Literal(f"SPARQL constraint {c.node} is violated"),
            )
            out.append(
                ValidationResult(
                    focus=this,
                    path=bound.get("path"),
                    value=bound["value"],
                    source_shape=c.shape,
                    component=SH.SPARQLConstraintComponent,
                    severity=c.severity,
                    messages=messages,
                    source_constraint=c.node,
                )
            )
        return out


class _BackgroundLoader:
    """Loads N-Quads documents into a store on a thread (pyoxigraph releases the GIL)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.error: BaseException | None = None
        self._pending: threading.Thread | None = None

    def put(self, lines: list[str]) -> None:
        data = "".join(lines).encode()
        self._wait()  # one document at a time: the store takes them in order
        self._pending = threading.Thread(target=self._load, args=(data,), daemon=True)
        self._pending.start()

    def _load(self, data: bytes) -> None:
        try:
            self.store.load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
        except BaseException as e:  # re-raised in the caller's thread
            self.error = e

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.join()
            self._pending = None
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self._wait()


def _objects(
    store: ox.Store, checked: frozenset[URIRef], typed: bool
) -> tuple[dict[bool, list[URIRef]], list[ox.Literal]]:
    """One pass over the objects of the data: the IRIs it links to (not by rdf:type or
    owl:sameAs), by whether the data types them (all "untyped" unless ``typed``), and the
    literals of ``checked`` datatypes that may be ill-typed."""
    link = f"(isIRI(?o) && ?p != {_TYPE} && ?p != {_SAME_AS.n3()})"
    # one IN test per row is much cheaper than a REGEX: the plainly well-formed go in Python
    types = ", ".join(d.n3() for d in sorted(checked))
    wanted = f"{link} || (isLiteral(?o) && DATATYPE(?o) IN ({types}))" if types else link
    distinct = f"SELECT DISTINCT ?o WHERE {{ ?s ?p ?o FILTER({wanted}) }}"
    flag = f"EXISTS {{ ?o {_TYPE} ?x }}" if typed else "false"
    query = f"SELECT ?o ?t WHERE {{ {{ {distinct} }} BIND(isIRI(?o) && {flag} AS ?t) }}"
    linked: dict[bool, list[URIRef]] = {False: [], True: []}
    literals: list[ox.Literal] = []
    surely = {str(d): re.compile(p) for d, p in _SURELY_VALID.items()}
    for r in store.query(query):
        o = r["o"]
        if isinstance(o, ox.Literal):
            valid = surely.get(o.datatype.value)
            if valid is None or not valid.fullmatch(o.value):  # (no "$" before a newline)
                literals.append(o)
        else:
            linked[_true(r["t"])].append(URIRef(o.value))
    return linked, literals


def graph_to_ntriples(*graphs: Graph) -> bytes:
    """rdflib Graphs as N-Triples bytes, quickly (the validation runs' own serialiser); a
    blank node in two of them has one label."""
    writer = _NQuadsWriter(frozenset())
    lines = [line for g in graphs for line in writer.triples(_fast_triples(g), collect=False)]
    return "".join(lines).encode()


def _fill(template: Literal, names: Mapping[str, str]) -> Literal:
    """A message template with {?var} / {$var} replaced by the bound values, as pySHACL."""
    text = _TEMPLATE.sub(lambda m: names.get(m.group(1), m.group(0)), str(template))
    return Literal(text, lang=template.language)


def _true(term: object) -> bool:
    return isinstance(term, ox.Literal) and term.value == "true"


def _result(c: _Check, focus: Node, value: Node | None) -> ValidationResult:
    return ValidationResult(
        focus=focus,
        path=c.path,
        value=value,
        source_shape=c.shape,
        component=c.component,
        severity=c.severity,
        messages=c.messages,
    )


def _well_typed(lit: Literal) -> bool:
    """pySHACL's test of a literal against its own datatype (rdflib's lexical parsing)."""
    if getattr(lit, "ill_typed", None) is True:
        return False
    wanted = _VALUE_TYPES.get(str(lit.datatype))
    return wanted is None or isinstance(lit.value, wanted)


# ---------------------------------------------------------------------------- rdflib -> N-Quads


def _fast_triples(graph: Graph) -> Iterable[tuple[Node, Node, Node]]:
    """The triples of ``graph``; for a plain in-memory Graph straight from the store's index.

    ``Graph.__iter__`` costs a few microseconds per triple in rdflib's Memory store (context
    bookkeeping); its per-context triple set is the same data for free. Any other kind of graph
    or store takes the public route.
    """
    store = graph.store
    if type(graph) is Graph and type(store) is Memory:
        try:
            key = store._Memory__ctx_to_str(graph)  # noqa: SLF001
            triples = store._Memory__contextTriples.get(key)  # noqa: SLF001
        except AttributeError:  # another rdflib version
            triples = None
        if triples is not None and len(triples) == len(graph):
            return triples
    return graph


class _NQuadsWriter:
    """Serialises rdflib terms to N-Triples text quickly (cached IRIs, json string escapes)."""

    def __init__(self, checked: frozenset[URIRef]) -> None:
        self.checked = frozenset(str(d) for d in checked)
        self._iris: dict[Node, str] = {}
        self.bnodes: dict[BNode, str] = {}
        self.subjects: dict[Node, str] = {}
        self.linked: set[URIRef] = set()
        self.ill: list[str] = []

    def iri(self, t: Node) -> str:
        s = self._iris.get(t)
        if s is None:
            if type(t) is BNode or isinstance(t, BNode):
                label = self.bnodes.get(t)
                if label is None:  # our own labels: rdflib's may not be valid N-Triples
                    label = self.bnodes[t] = f"b{len(self.bnodes)}"
                s = "_:" + label
            else:
                text = str(t)
                if _BAD_IRI_CHARS.search(text):  # \u escapes; the store is loaded leniently
                    text = _BAD_IRI_CHARS.sub(lambda m: f"\\u{ord(m.group()):04X}", text)
                s = f"<{text}>"
            self._iris[t] = s
        return s

    def literal(self, o: Literal) -> str:
        text = encode_basestring(o)
        lang = o.language
        if lang:
            return f"{text}@{lang}"
        dt = o.datatype
        return text if dt is None else f"{text}^^{self.iri(dt)}"

    def triples(self, triples: Iterable[tuple[Node, Node, Node]], *, collect: bool) -> list[str]:
        """N-Triples lines; with ``collect`` also subjects, linked IRIs and ill-typed literals.

        The hot loop of a validation run (one pass per triple), hence the inlining.
        """
        out: list[str] = []
        append = out.append
        iris, subjects, linked = self._iris, self.subjects, self.linked
        iri, checked, ill = self.iri, self.checked, self.ill
        no_link = (RDF.type, _SAME_AS)
        escape, as_str = encode_basestring, str.__str__  # a Literal is a str: escaped as is
        for s, p, o in triples:
            a = subjects.get(s)
            if a is None:
                a = subjects[s] = iri(s)
            b = iris.get(p) or iri(p)
            to = type(o)
            if to is Literal:
                lang = o.language
                if lang:
                    append(f"{a} {b} {escape(o)}@{lang} .\n")
                    continue
                dt = o.datatype
                if dt is None:
                    append(f"{a} {b} {escape(o)} .\n")
                    continue
                c = f"{escape(o)}^^{iris.get(dt) or iri(dt)}"
                if collect and as_str(dt) in checked and not _well_typed(o):
                    ill.append(c)
            elif to is URIRef:
                c = iris.get(o) or iri(o)
                if collect and p not in no_link:
                    linked.add(o)
            elif isinstance(o, Literal):  # subclasses of the rdflib term types
                c = self.literal(o)
            else:
                c = iri(o)
                if collect and isinstance(o, URIRef) and p not in no_link:
                    linked.add(o)
            append(f"{a} {b} {c} .\n")
        return out


# ---------------------------------------------------------------------------- the gate's API


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
    """SHACL violations of ``data`` as validate.py's :class:`Violation` objects.

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
    return sorted(out, key=_violation_order)


def _violation_order(v: Violation) -> tuple:
    """validate.py's violations_from order."""
    return (v.location.file, v.location.line or 0, v.focus, v.field or "")


def to_violation(r: ValidationResult, locate: Callable[[Node], Location]) -> Violation:
    """The gate's view of a result: English and German message, short field name."""
    return Violation(
        location=locate(r.focus),
        focus=str(r.focus),
        field=_short(r.path) if r.path is not None else None,
        message=r.message("en") or "does not conform",
        message_de=r.message("de"),
        value=str(r.value) if r.value is not None else None,
        shape=str(r.source_shape) if isinstance(r.source_shape, URIRef) else None,
        severity=str(r.severity).rsplit("#", 1)[-1],
    )
