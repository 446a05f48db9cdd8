"""The SHACL compiler: a shapes graph -> the units a validation run evaluates.

It finds every shape (typed, targeted or referenced), refuses what the engine does not
implement (``NotImplementedError``) and malformed shapes (``ValueError``) so that no shape is
ever skipped silently, and compiles each targeted shape, with its property shapes, into units
of checks (``compiled.py``); the checks themselves come from ``constraints.py``.
"""

from __future__ import annotations

import re

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from cckg.core.gate.compiled import (
    FOCUS_SLOT,
    ISA_PATH,
    Branch,
    Check,
    Closed,
    SparqlConstraint,
    Unit,
    generic_message,
)
from cckg.core.gate.constraints import ConstraintCompiler
from cckg.core.store import sorted_terms

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
_PN_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)?$")


class ShapesCompiler(ConstraintCompiler):
    """Compiles one shapes graph; :meth:`units` gives its units (with or without the lookups of
    ill-typed literals)."""

    def __init__(self, shapes: Graph) -> None:
        super().__init__(shapes)
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
                f"{sorted_terms(stray)[0].n3()} has constraints but is no shape: give it a type "
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
                found |= set(self.list_of(lst))
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

    # ------------------------------------------------------------------ targets

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
        for c in sorted_terms(classes):
            parts.append(f"{{ ?this {ISA_PATH}{c.n3()} }}")
        nodes = sorted_terms(g.objects(s, SH.targetNode))
        if nodes:
            parts.append("{ VALUES ?this { " + " ".join(n.n3() for n in nodes) + " } }")
        for p in sorted_terms(g.objects(s, SH.targetSubjectsOf)):
            parts.append(f"{{ ?this {p.n3()} {self.var('o')} }}")
        for p in sorted_terms(g.objects(s, SH.targetObjectsOf)):
            parts.append(f"{{ {self.var('s')} {p.n3()} ?this }}")
        if any(isinstance(n, BNode) for n in (*classes, *nodes)):
            raise NotImplementedError(f"blank node targets on {s.n3()}")
        return " UNION ".join(parts) if parts else None

    # ------------------------------------------------------------------ units

    def units(self, *, ill_typed: bool) -> list[Unit]:
        self.ill_typed = ill_typed
        out: list[Unit] = []
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
    ) -> Check:
        return Check(
            shape=s,
            component=comp,
            path=path,
            # an error must not let a value pass
            expr=f"COALESCE({expr}, true)" if expr is not None else None,
            severity=self.severity(s),
            messages=self.messages(s) or (Literal(generic_message(comp)),),
            value_is_focus=node_level,
            aggregate=aggregate,
        )

    def _unit(self, s: Node, targets: str | None, parent: tuple[Unit, str] | None) -> list[Unit]:
        unit = Unit(s, targets, parent, [], [], None, [])
        inner: list[Unit] = []
        if self.is_property(s):
            props = [s]  # a targeted property shape: its own values
        else:
            for comp, expr in self.value_fails(s, "?this", (s,)):
                # the focus is the value node, except for sh:hasValue (no sh:value by spec)
                has_value = comp == SH.HasValueConstraintComponent
                unit.focus_checks.append(self._check(s, comp, expr, None, not has_value))
            props = [p for p in self.children(s) if not self.deactivated(p)]
            allowed = self.closed_allowed(s)
            if allowed is not None:
                unit.closed = Closed(s, allowed, self.severity(s), self.messages(s))
            for c in sorted_terms(self.g.objects(s, SH.sparql)):
                if not self.deactivated(c):
                    unit.sparql.append(self._sparql(s, c))
        for ps in props:
            path_node = self.required(ps, SH.path)
            path = self.path(path_node)
            for comp, chain, agg in self.focus_fails(ps, "?this", (ps,), top=True):
                unit.focus_checks.append(self._check(ps, comp, chain, path_node, False, agg))
            checks = [
                self._check(ps, comp, expr, path_node, False)
                for comp, expr in self.value_fails(ps, "?value", (ps,))
            ]
            if checks:
                unit.branches.append(Branch(path, checks))
            for child in self.children(ps):
                if not self.deactivated(child):  # results have the value as focus node
                    inner.extend(self._unit(child, None, (unit, path)))
        return [unit, *inner]

    def _sparql(self, shape: Node, c: Node) -> SparqlConstraint:
        g = self.g
        for p in set(g.predicates(c, None)):
            if p not in _SPARQL_KEYS:
                raise NotImplementedError(f"{p.n3()} on SPARQL constraint {c.n3()}")
        select = self.one(c, SH.select)
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
            f"WHERE {{\n{FOCUS_SLOT}{text[m.end() :]}"
        )
        messages = self.messages(c) + self.messages(shape)
        return SparqlConstraint(shape, c, query, variables, self.severity(shape), messages)

    def _prefixes(self, c: Node) -> dict[str, str]:
        out: dict[str, str] = {}
        for holder in self.g.objects(c, SH.prefixes):
            for dec in self.g.objects(holder, SH.declare):
                prefix, ns = self.one(dec, SH.prefix), self.one(dec, SH.namespace)
                if prefix is None or ns is None or not _PN_PREFIX.match(str(prefix)):
                    raise ValueError(f"bad sh:declare {dec.n3()}")
                out[str(prefix)] = str(ns)
        return out


def _share_property_shapes(units: list[Unit]) -> list[Unit]:
    """Evaluate a property shape that several targeted shapes use once, on all their focus nodes.

    Its results do not depend on the shape that uses it (the source shape is the property
    shape), so one evaluation on the union of the focus nodes gives the same results with one
    scan of its path instead of one per user (our shapes share labels, cities, sources...).
    """
    roots = [u for u in units if u.parent is None and u.targets is not None]
    users: dict[Node, list[Unit]] = {}
    for u in roots:
        shapes = {c.shape for c in u.focus_checks} | {b.checks[0].shape for b in u.branches}
        for ps in shapes - {u.shape}:
            users.setdefault(ps, []).append(u)
    shared: list[Unit] = []
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
        shared.append(Unit(ps, targets, None, checks, branches, None, [], classes))
    return [*units, *shared]
