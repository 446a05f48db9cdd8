"""A validation run: one in-memory store holding the data plus its context, and the
evaluation of compiled units (``compiled.py``) on it.

Loading: the data (an rdflib Graph, N-Triples bytes, or a store it owns), focus markers for
the data's subjects, the class hierarchy, the rdf:type of every node the data links to, and
the ill-typed literals, all in one pass. Evaluation: per unit, the query forms that suit its
number of focus nodes (per focus node with LATERAL, or in bulk over every value).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from json.encoder import encode_basestring  # C: JSON string escapes are valid N-Triples

import pyoxigraph as ox
from rdflib import RDF, BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, SH, XSD
from rdflib.term import Node

from cckg.core.gate.compiled import (
    BNODE_LABEL,
    FOCUS,
    FOCUS_SLOT,
    ILL,
    IRI_TERM,
    ISA,
    META_GRAPH,
    SUBCLASS,
    TYPE,
    Branch,
    Check,
    Closed,
    SparqlConstraint,
    TypeResolver,
    Unit,
    ValidationResult,
    generic_message,
    not_allowed,
)
from cckg.core.gate.datatypes import SURELY_VALID, well_typed
from cckg.core.gate.ntriples import NQuadsWriter, fast_triples
from cckg.core.store import solutions

_XSD_STRING = str(XSD.string)
_SAME_AS = OWL.sameAs
_CHUNK = 50_000  # triples per N-Quads document while loading in the background
_TEMPLATE = re.compile(r"\{[?$](\w+)\}")
Types = Mapping[URIRef, Iterable[URIRef]]  # the types to add as context, by linked node


class Run:
    """One store holding data + context, and the evaluation of compiled units on it."""

    def __init__(
        self,
        data: Graph | bytes | ox.Store,
        hierarchy: Graph | None,
        types: Types | TypeResolver,
        restrict: bool,
        checked: frozenset[URIRef],
        marks_all: bool,
        before_write: Callable[[], object] | None = None,
    ) -> None:
        """``checked``: the datatypes whose ill-typed literals matter (the shapes'
        ``sh:datatype``); ``marks_all``: every subject of the data needs a focus marker."""
        self.store = ox.Store()
        self._before_write = before_write
        self._marks_all = marks_all
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
            size = self._add_context(hierarchy, types, checked, restrict)
        elif isinstance(data, Graph):
            if callable(types):
                linked = (o for _, p, o in data if p != RDF.type and p != _SAME_AS)
                nodes = sorted({o for o in linked if isinstance(o, URIRef)})
                types = types(nodes, [])
            size = self._load_graph(data, hierarchy, types, checked, restrict)
        elif isinstance(data, bytes | bytearray):
            size = self._load_ntriples(bytes(data), hierarchy, types, checked, restrict)
        else:
            raise TypeError(f"data must be a Graph, N-Triples bytes or a Store, not {type(data)}")
        self.size = max(size, 1)

    # ------------------------------------------------------------------ loading

    def _load_graph(
        self,
        data: Graph,
        hierarchy: Graph | None,
        types: Types,
        checked: frozenset[URIRef],
        restrict: bool,
    ) -> int:
        writer = NQuadsWriter(checked)
        loader = _BackgroundLoader(self.store)
        triples = iter(fast_triples(data))
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
                focus = f" {FOCUS.n3()} {FOCUS.n3()} {META_GRAPH.n3()} .\n"
                lines.extend(a + focus for a in writer.subjects.values())
            elif restrict:  # before the context's subjects join them
                self.subjects = set(writer.subjects)
            lines.extend(self._context_lines(writer, hierarchy, types, writer.linked))
            others = (n for n in writer.linked if n not in writer.subjects)
            self._context_classes = {c.n3() for n in others for c in types.get(n, ())}
            meta = f" {META_GRAPH.n3()} .\n"
            for lit in writer.ill:
                lines.append(f"{ILL.n3()} {ILL.n3()} {lit}{meta}")
            for label in writer.bnodes.values():
                lines.append(f'_:{label} {BNODE_LABEL.n3()} "{label}"{meta}')
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
        marker = f"GRAPH {META_GRAPH.n3()} {{ ?s {FOCUS.n3()} {FOCUS.n3()} }}"
        if self._marks_all:
            subjects = "SELECT DISTINCT ?s WHERE { ?s ?p ?o }"
            self.store.update(f"INSERT {{ {marker} }} WHERE {{ {subjects} }}")
            return
        if self._context_classes:
            classes = " ".join(sorted(self._context_classes))
            subjects = f"SELECT DISTINCT ?s WHERE {{ ?s {TYPE} ?t VALUES ?t {{ {classes} }} }}"
            self.store.update(f"INSERT {{ {marker} }} WHERE {{ {subjects} }}")
        for i in range(0, len(typed), 5000):
            nodes = " ".join(n.n3() for n in typed[i : i + 5000])
            subjects = f"VALUES ?s {{ {nodes} }} FILTER EXISTS {{ ?s ?p ?o }}"
            self.store.update(f"INSERT {{ {marker} }} WHERE {{ {subjects} }}")

    def _context_lines(
        self,
        writer: NQuadsWriter,
        hierarchy: Graph | None,
        types: Types,
        linked: Iterable[URIRef],
    ) -> list[str]:
        lines = writer.triples(fast_triples(hierarchy), collect=False) if hierarchy else []
        rdf_type = writer.iri(RDF.type)
        for node in linked:
            for cls in sorted(types.get(node, ())):
                lines.append(f"{writer.iri(node)} {rdf_type} {writer.iri(cls)} .\n")
        return lines

    def _load_ntriples(
        self,
        data: bytes,
        hierarchy: Graph | None,
        types: Types | TypeResolver,
        checked: frozenset[URIRef],
        restrict: bool,
    ) -> int:
        self.store.load(data, format=ox.RdfFormat.N_TRIPLES, lenient=True)
        return self._add_context(hierarchy, types, checked, restrict)

    def _add_context(
        self,
        hierarchy: Graph | None,
        types: Types | TypeResolver,
        checked: frozenset[URIRef],
        restrict: bool,
    ) -> int:
        """Markers, the linked nodes' types, the hierarchy and ill-typed literals, added to
        a store that holds the data in its default graph."""
        store = self.store
        if not self.markers and restrict:
            rows = solutions(store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }"))
            self.subjects = {self.term(r["s"]) for r in rows}
        linked, literals = _objects(store, checked, typed=callable(types))
        if callable(types):
            types = types(linked[False], linked[True])
        writer = NQuadsWriter(frozenset())
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
            if not well_typed(Literal(lex, datatype=URIRef(dt))):
                # the stored lexical form: rdflib's Literal may have normalised it
                term = f"{encode_basestring(lex)}^^<{dt}>"
                ill.append(f"{ILL.n3()} {ILL.n3()} {term} {META_GRAPH.n3()} .\n")
        self.has_ill_typed = bool(ill)
        self._bnode_originals = {}
        store.load("".join(context + ill).encode(), format=ox.RdfFormat.N_QUADS, lenient=True)
        return len(store)

    # ------------------------------------------------------------------ terms

    def optional_term(self, t: object) -> Node | None:
        """The rdflib term of a value of a result, or None for an unbound variable."""
        return None if t is None else self.term(t)

    def term(self, t: object) -> Node:
        """The rdflib term of a value of a result (the caller's own blank nodes for those of
        the data): a variable the query always binds (else TypeError)."""
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
                labels = f"GRAPH {META_GRAPH.n3()} {{ ?b {BNODE_LABEL.n3()} ?l }}"
                rows = solutions(self.store.query(f"SELECT ?b ?l WHERE {{ {labels} }}"))
                self._bnodes = {r["b"].value: self._bnode_originals[r["l"].value] for r in rows}
        return self._bnodes.get(t.value) or BNode(t.value)

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, unit: Unit) -> list[ValidationResult]:
        out = self._evaluate(unit)
        if self.subjects is not None:  # exact for a targeted shape: results are about focus
            out = [r for r in out if r.focus in self.subjects]
        return out

    def query(self, text: str) -> ox.QuerySolutions:
        return solutions(self.store.query(self.rewrite(text)))

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
                return f"{TYPE} {closure[0]}"
            self._n += 1
            var = f"?fs_isa{self._n}"
            return f"{TYPE} {var} . VALUES {var} {{ {' '.join(closure)} }}"

        return ISA.sub(lookup, text)

    def _closure(self, cls: str) -> list[str] | None:
        if cls not in self._isa:
            rows = solutions(
                self.store.query(f"SELECT DISTINCT ?t WHERE {{ ?t {SUBCLASS}* {cls} }}")
            )
            found = {r["t"] for r in rows}
            named = {f"<{t.value}>" for t in found if isinstance(t, ox.NamedNode)}
            # a blank node subclass cannot be listed in VALUES across queries: keep the path
            self._isa[cls] = sorted(named | {cls}) if len(named) == len(found) else None
        return self._isa[cls]

    def focus(self, unit: Unit) -> str:
        """A group binding ?this to each focus node of ``unit`` (once)."""
        closure = self._classes_closure(unit)
        if closure is None:
            return unit.focus_pattern("?this", self.markers)
        parts = [
            f"?this {TYPE} {types[0]} .{marker}"
            if len(types) == 1
            else f"?this {TYPE} ?fs_ft . VALUES ?fs_ft {{ {' '.join(types)} }}{marker}"
            for types, marker in self._split(closure)
        ]
        if len(closure) == 1:  # one type triple per node: no duplicates
            return f"{{ {parts[0]} }}"
        union = " UNION ".join(f"{{ {p} }}" for p in parts)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"

    def member(self, unit: Unit) -> str:
        """An expression: the bound ?this is a focus node of ``unit``."""
        closure = self._classes_closure(unit)
        if closure is None:
            return unit.membership("?this", self.markers)
        tests = []
        for types, marker in self._split(closure):
            test = f"EXISTS {{ ?this {TYPE} ?fs_mt . VALUES ?fs_mt {{ {' '.join(types)} }} }}"
            tests.append(f"({test} && EXISTS {{ {marker} }})" if marker else test)
        return " || ".join(tests)

    def _split(self, closure: list[str]) -> list[tuple[list[str], str]]:
        """The types of a focus node, split by whether such a node must be checked to be a
        subject of the data (the context types some linked nodes with them), with the check."""
        marked = [t for t in closure if self.markers and t in self._context_classes]
        plain = [t for t in closure if t not in marked]
        marker = f" GRAPH {META_GRAPH.n3()} {{ ?this {FOCUS.n3()} {FOCUS.n3()} }}"
        return [(ts, m) for ts, m in ((plain, ""), (marked, marker)) if ts]

    def _classes_closure(self, unit: Unit) -> list[str] | None:
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

    def _count_focus(self, unit: Unit, focus: str, limit: int) -> int:
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

    def cost(self, unit: Unit) -> float:
        """A rough measure of the work of evaluating ``unit`` (to share it out)."""
        found = self._count_focus(unit, self.focus(unit), self.size)
        return found * (1 + len(unit.focus_checks)) + self._path_triples(unit) + 1

    def _path_triples(self, unit: Unit) -> int:
        """Triples on the unit's value paths."""
        return sum(self._triples(b.path_sparql) for b in unit.branches)

    def _triples(self, path: str) -> int:
        """Triples on a path (a path other than one IRI: all of them)."""
        if self._predicates is None:
            rows = solutions(
                self.store.query("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
            )
            self._predicates = {f"<{r['p'].value}>": int(r["n"].value) for r in rows}
        return self._predicates.get(path, 0) if IRI_TERM.fullmatch(path) else self.size

    def _count_types(self) -> dict[str, int]:
        """Focus node candidates per type: the data's subjects for the context's classes."""
        count = "SELECT ?t (COUNT(*) AS ?n) WHERE {{ ?s {} ?t . {} }} GROUP BY ?t"
        rows = solutions(self.store.query(count.format(TYPE, "")))
        counts = {f"<{r['t'].value}>": int(r["n"].value) for r in rows}
        if self.markers and self._context_classes:
            marker = f"GRAPH {META_GRAPH.n3()} {{ ?s {FOCUS.n3()} {FOCUS.n3()} }}"
            for t in self._context_classes:
                counts.pop(t, None)
            for r in solutions(self.store.query(count.format(TYPE, marker))):
                t = f"<{r['t'].value}>"
                if t in self._context_classes:
                    counts[t] = int(r["n"].value)
        return counts

    def _evaluate(self, unit: Unit) -> list[ValidationResult]:
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

    def _aggregates(self, unit: Unit, checks: list[Check]) -> list[ValidationResult]:
        groups = " UNION ".join(
            f"{{ {{ {c.aggregate} }} BIND({k} AS ?k) }}" for k, c in enumerate(checks)
        )
        member = self.member(unit)
        query = f"SELECT DISTINCT ?this ?k WHERE {{ {groups} FILTER({member}) }}"
        return [
            _result(checks[int(row["k"].value)], self.term(row["this"]), None)
            for row in self.query(query)
        ]

    def _focus_checks(self, checks: list[Check], focus: str) -> list[ValidationResult]:
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
        self, unit: Unit, branches: list[Branch], focus: str | None
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

    def _closed(self, closed: Closed, focus: str, lateral: bool) -> list[ValidationResult]:
        body = f"?this ?p ?o . FILTER({not_allowed('?p', '?o', closed.allowed)})"
        where = f"{focus} LATERAL {{ {body} }}" if lateral else f"{focus} {body}"
        messages = closed.messages or (Literal(generic_message(SH.ClosedConstraintComponent)),)
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

    def _sparql(self, c: SparqlConstraint, focus: str) -> list[ValidationResult]:
        # only our own focus pattern is rewritten, never the shape's SPARQL text
        query = c.query.replace(FOCUS_SLOT, self.rewrite(focus) + "\n", 1)
        out = []
        seen = set()
        for row in solutions(self.store.query(query)):
            bound = {v: self.optional_term(row[v]) for v in c.variables}
            key = tuple(bound.items())
            if key in seen:
                continue
            seen.add(key)
            this = self.term(row["this"])  # the focus pattern binds it in every solution
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
    link = f"(isIRI(?o) && ?p != {TYPE} && ?p != {_SAME_AS.n3()})"
    # one IN test per row is much cheaper than a REGEX: the plainly well-formed go in Python
    types = ", ".join(d.n3() for d in sorted(checked))
    wanted = f"{link} || (isLiteral(?o) && DATATYPE(?o) IN ({types}))" if types else link
    distinct = f"SELECT DISTINCT ?o WHERE {{ ?s ?p ?o FILTER({wanted}) }}"
    flag = f"EXISTS {{ ?o {TYPE} ?x }}" if typed else "false"
    query = f"SELECT ?o ?t WHERE {{ {{ {distinct} }} BIND(isIRI(?o) && {flag} AS ?t) }}"
    linked: dict[bool, list[URIRef]] = {False: [], True: []}
    literals: list[ox.Literal] = []
    surely = {str(d): re.compile(p) for d, p in SURELY_VALID.items()}
    for r in solutions(store.query(query)):
        o = r["o"]
        if isinstance(o, ox.Literal):
            valid = surely.get(o.datatype.value)
            if valid is None or not valid.fullmatch(o.value):  # (no "$" before a newline)
                literals.append(o)
        else:
            linked[_true(r["t"])].append(URIRef(o.value))
    return linked, literals


def _fill(template: Literal, names: Mapping[str, str]) -> Literal:
    """A message template with {?var} / {$var} replaced by the bound values, as pySHACL."""
    text = _TEMPLATE.sub(lambda m: names.get(m.group(1), m.group(0)), str(template))
    return Literal(text, lang=template.language)


def _true(term: object) -> bool:
    return isinstance(term, ox.Literal) and term.value == "true"


def _result(c: Check, focus: Node, value: Node | None) -> ValidationResult:
    return ValidationResult(
        focus=focus,
        path=c.path,
        value=value,
        source_shape=c.shape,
        component=c.component,
        severity=c.severity,
        messages=c.messages,
    )
