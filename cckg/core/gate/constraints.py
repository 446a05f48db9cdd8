"""SHACL constraints compiled to SPARQL expressions, one method per constraint family.

:class:`ConstraintCompiler` reads a shapes graph (one value, lists, paths, messages, severity)
and turns each constraint into a SPARQL boolean expression that is true when the constraint
is violated: value-level families (class and kind, text, ranges, logic) on one value node,
focus-level families (counts, ``sh:uniqueLang``, qualified counts, ``sh:hasValue``) on the set
of values of a focus node, closed shapes, and whole shapes (:meth:`conforms`, for
``sh:node``/``sh:or``/...). ``compiler.py`` builds the units of a shapes graph on top of it.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from cckg.core.gate.compiled import ILL, ISA_PATH, META_GRAPH, not_allowed
from cckg.core.gate.datatypes import NEVER_ILL
from cckg.core.store import solutions, sorted_terms

NODE_KINDS: dict[Node, str] = {
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
MAX_CHAIN = 5  # counts are compiled to chains of distinct values: maxCount 4 needs 5

# (component, violated-expression) of a value-level constraint
Fail = tuple[URIRef, str]
# (component, violated-expression or None, aggregate query or None) of a focus-level one
FocusFail = tuple[URIRef, str | None, str | None]


class ConstraintCompiler:
    """Reads a shapes graph and compiles its constraints to SPARQL expressions."""

    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self.n = 0
        self.ill_typed = False  # also test values against the run's ill-typed literals
        self.datatypes: set[URIRef] = set()  # every sh:datatype met

    # ------------------------------------------------------------------ reading the shapes

    def is_property(self, s: Node) -> bool:
        return (s, SH.path, None) in self.g

    def list_of(self, node: Node) -> list[Node]:
        if node == RDF.nil:
            return []
        if (node, RDF.first, None) not in self.g:
            raise ValueError(f"{node.n3()} is not an RDF list")
        return list(Collection(self.g, node))

    def one(self, s: Node, p: Node) -> Node | None:
        values = set(self.g.objects(s, p))
        if len(values) > 1:
            raise ValueError(f"{s.n3()} has more than one {p.n3()}")
        return next(iter(values), None)

    def required(self, s: Node, p: Node) -> Node:
        """The one value of ``p`` on ``s``, which must be there."""
        value = self.one(s, p)
        if value is None:
            raise ValueError(f"{s.n3()} has no {p.n3()}")
        return value

    def deactivated(self, s: Node) -> bool:
        d = self.one(s, SH.deactivated)
        return isinstance(d, Literal) and d.value is True

    def severity(self, s: Node) -> URIRef:
        sev = next(iter(sorted_terms(self.g.objects(s, SH.severity))), SH.Violation)
        return sev if isinstance(sev, URIRef) else SH.Violation

    def messages(self, s: Node) -> tuple[Literal, ...]:
        msgs = [m for m in self.g.objects(s, SH.message) if isinstance(m, Literal)]
        return tuple(sorted(msgs, key=lambda m: (m.language or "", str(m))))

    def children(self, s: Node) -> list[Node]:
        return sorted(self.g.objects(s, SH.property), key=lambda n: (isinstance(n, BNode), str(n)))

    def var(self, stem: str) -> str:
        self.n += 1
        return f"?fs_{stem}{self.n}"

    def path(self, node: Node) -> str:
        """A SHACL path as a SPARQL property path."""
        g = self.g
        if isinstance(node, URIRef):
            return node.n3()
        if not isinstance(node, BNode):
            raise ValueError(f"not a SHACL path: {node.n3()}")
        if (node, RDF.first, None) in g:
            items = self.list_of(node)
            if len(items) < 2:
                raise ValueError("a sequence path needs at least two members")
            return "(" + "/".join(self.path(i) for i in items) + ")"
        keys = set(g.predicates(node, None))
        if len(keys) != 1:
            raise NotImplementedError(f"SHACL path {node.n3()} with {sorted_terms(keys)}")
        (key,) = keys
        inner = self.required(node, key)
        if key == SH.inversePath:
            return f"^({self.path(inner)})"
        if key == SH.alternativePath:
            return "(" + "|".join(self.path(i) for i in self.list_of(inner)) + ")"
        suffix: dict[Node, str] = {
            SH.zeroOrMorePath: "*",
            SH.oneOrMorePath: "+",
            SH.zeroOrOnePath: "?",
        }
        if key in suffix:
            return f"({self.path(inner)}){suffix[key]}"
        raise NotImplementedError(f"SHACL path kind {key.n3()}")

    def literal_n3(self, node: Node, what: str) -> str:
        if isinstance(node, BNode):
            raise NotImplementedError(f"a blank node in {what} cannot match data nodes")
        return node.n3()

    # ------------------------------------------------------------------ value-level families

    def value_fails(self, s: Node, v: str, stack: tuple[Node, ...]) -> list[Fail]:
        """(component, violated-expression) for each value-level constraint of ``s`` on ``v``."""
        return [
            *self._type_fails(s, v),
            *self._text_fails(s, v),
            *self._range_fails(s, v),
            *self._language_fails(s, v),
            *self._logic_fails(s, v, stack),
        ]

    def _type_fails(self, s: Node, v: str) -> list[Fail]:
        """sh:class, sh:datatype, sh:nodeKind."""
        out: list[Fail] = []
        for cls in sorted_terms(self.g.objects(s, SH["class"])):
            self.literal_n3(cls, "sh:class")
            out.append(
                (
                    SH.ClassConstraintComponent,
                    f"(isLiteral({v}) || NOT EXISTS {{ {v} {ISA_PATH}{cls.n3()} }})",
                )
            )
        dt = self.one(s, SH.datatype)
        if dt is not None:
            out.append((SH.DatatypeConstraintComponent, self.datatype_fails(dt, v)))
        kind = self.one(s, SH.nodeKind)
        if kind is not None:
            if kind not in NODE_KINDS:
                raise ValueError(f"unknown sh:nodeKind {kind.n3()}")
            out.append((SH.NodeKindConstraintComponent, "!" + NODE_KINDS[kind].format(v=v)))
        return out

    def _text_fails(self, s: Node, v: str) -> list[Fail]:
        """sh:pattern (+ sh:flags), sh:minLength, sh:maxLength."""
        out: list[Fail] = []
        flags = self.one(s, SH.flags)
        for pattern in sorted_terms(self.g.objects(s, SH.pattern)):
            out.append((SH.PatternConstraintComponent, self.pattern_fails(pattern, flags, v)))
        for pred, comp, op in (
            (SH.minLength, SH.MinLengthConstraintComponent, ">="),
            (SH.maxLength, SH.MaxLengthConstraintComponent, "<="),
        ):
            n = self.one(s, pred)
            if n is not None:
                if not (isinstance(n, Literal) and isinstance(n.value, int)):
                    raise ValueError(f"{pred.n3()} must be an integer on {s.n3()}")
                length = f"COALESCE(STRLEN(STR({v})) {op} {int(n.value)}, false)"
                out.append((comp, f"(isBlank({v}) || !{length})"))
        return out

    def _range_fails(self, s: Node, v: str) -> list[Fail]:
        """sh:minInclusive, sh:maxInclusive, sh:minExclusive, sh:maxExclusive."""
        out: list[Fail] = []
        for pred, (op, comp) in _RANGES.items():
            for bound in sorted_terms(self.g.objects(s, pred)):
                if not isinstance(bound, Literal):
                    raise ValueError(f"{pred.n3()} must be a literal on {s.n3()}")
                out.append((comp, f"!COALESCE({v} {op} {bound.n3()}, false)"))
        return out

    def _language_fails(self, s: Node, v: str) -> list[Fail]:
        """sh:languageIn (``langMatches``, so "de" also admits "de-CH")."""
        langs = self.one(s, SH.languageIn)
        if langs is None:
            return []
        ranges = [str(x) for x in self.list_of(langs)]
        tests = " || ".join(f"langMatches(LANG({v}), {Literal(r).n3()})" for r in ranges) or "false"
        expr = f'!(isLiteral({v}) && LANG({v}) != "" && ({tests}))'
        return [(SH.LanguageInConstraintComponent, expr)]

    def _logic_fails(self, s: Node, v: str, stack: tuple[Node, ...]) -> list[Fail]:
        """sh:in, sh:node, sh:not, sh:and, sh:or, sh:xone, and sh:hasValue of a node shape."""
        g = self.g
        out: list[Fail] = []
        allowed = self.one(s, SH["in"])
        if allowed is not None:
            members = [self.literal_n3(x, "sh:in") for x in self.list_of(allowed)]
            tests = " || ".join(f"sameTerm({v}, {m})" for m in members) or "false"
            out.append((SH.InConstraintComponent, f"!({tests})"))
        for node in sorted_terms(g.objects(s, SH.node)):
            out.append((SH.NodeConstraintComponent, "!" + self.conforms(node, v, stack)))
        for node in sorted_terms(g.objects(s, SH["not"])):
            out.append((SH.NotConstraintComponent, self.conforms(node, v, stack)))
        for lst in sorted_terms(g.objects(s, SH["and"])):
            each = [self.conforms(m, v, stack) for m in self.list_of(lst)]
            out.append((SH.AndConstraintComponent, "!(" + (" && ".join(each) or "true") + ")"))
        for lst in sorted_terms(g.objects(s, SH["or"])):
            each = [self.conforms(m, v, stack) for m in self.list_of(lst)]
            out.append((SH.OrConstraintComponent, "!(" + (" || ".join(each) or "false") + ")"))
        for lst in sorted_terms(g.objects(s, SH.xone)):
            each = [f"IF({self.conforms(m, v, stack)}, 1, 0)" for m in self.list_of(lst)]
            out.append((SH.XoneConstraintComponent, "(" + (" + ".join(each) or "0") + ") != 1"))
        if not self.is_property(s):
            for val in sorted_terms(g.objects(s, SH.hasValue)):
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
        if self.ill_typed and dt not in NEVER_ILL:
            test += f" && NOT EXISTS {{ GRAPH {META_GRAPH.n3()} {{ {ILL.n3()} {ILL.n3()} {v} }} }}"
        return f"!({test})"

    def pattern_fails(self, pattern: Node, flags: Node | None, v: str) -> str:
        if not isinstance(pattern, Literal):
            raise ValueError(f"sh:pattern must be a literal, not {pattern.n3()}")
        args = Literal(str(pattern)).n3()
        if flags is not None:
            args += ", " + Literal(str(flags)).n3()
        check_regex(args)
        return f"(isBlank({v}) || !REGEX(STR({v}), {args}))"

    # ------------------------------------------------------------------ focus-level families

    def at_least(self, f: str, path: str, n: int, cond: Callable[[str], str] | None) -> str:
        """True when ``f`` has at least ``n`` distinct values (satisfying ``cond``)."""
        if n <= 0:
            return "true"
        if n > MAX_CHAIN:
            raise NotImplementedError(f"cardinalities above {MAX_CHAIN - 1}")
        vs = [self.var("n") for _ in range(n)]
        tests = [f"!sameTerm({a}, {b})" for i, a in enumerate(vs) for b in vs[i + 1 :]]
        if cond is not None:
            tests += [cond(x) for x in vs]
        triples = " ".join(f"{f} {path} {x} ." for x in vs)
        where = f" FILTER({' && '.join(tests)})" if tests else ""
        return f"EXISTS {{ {triples}{where} }}"

    def focus_fails(
        self, ps: Node, f: str, stack: tuple[Node, ...], top: bool = False
    ) -> list[FocusFail]:
        """Constraints of property shape ``ps`` on the whole set of values of focus ``f``.

        (component, violated-expression, aggregate query) for each. A ``top``-level check
        (``f`` is the unit's ?this) also gets an aggregate query and may lack the expression
        (counts too big for a chain); nested ones always have the expression.
        """
        path = self.path(self.required(ps, SH.path))
        return [
            *self._count_fails(ps, f, path, top),
            *self._unique_lang_fails(ps, f, path, top),
            *self._qualified_fails(ps, f, path, stack, top),
            *self._has_value_fails(ps, f, path),
        ]

    def _more_than(self, path: str, n: int, cond: str = "", key: str = "") -> str:
        """An aggregate query: the ?this with more than ``n`` distinct values on ``path`` (that
        satisfy ``cond``, grouped further by ``key``; ``{v}`` stands for the value)."""
        v = self.var("v")
        where = f"FILTER({cond.replace('{v}', v)})" if cond else ""
        return (
            f"SELECT ?this WHERE {{ ?this {path} {v} . {where} }} "
            f"GROUP BY ?this {key.replace('{v}', v)} HAVING (COUNT(DISTINCT {v}) > {n})"
        )

    def _at_most(
        self, f: str, path: str, m: int, top: bool, cond: Callable[[str], str] | None = None
    ) -> tuple[str | None, str | None]:
        """(expression, aggregate) violated by more than ``m`` values: a chain when it is short
        enough, and at the top level also the aggregate form."""
        if not top:
            return self.at_least(f, path, m + 1, cond), None
        chain = self.at_least(f, path, m + 1, cond) if m < MAX_CHAIN else None
        return chain, self._more_than(path, m, cond("{v}") if cond is not None else "")

    def _count_fails(self, ps: Node, f: str, path: str, top: bool) -> list[FocusFail]:
        """sh:minCount, sh:maxCount."""
        out: list[FocusFail] = []
        for pred, comp in (
            (SH.minCount, SH.MinCountConstraintComponent),
            (SH.maxCount, SH.MaxCountConstraintComponent),
        ):
            n = self.one(ps, pred)
            if n is None:
                continue
            if not (isinstance(n, Literal) and isinstance(n.value, int)):
                raise ValueError(f"{pred.n3()} must be an integer on {ps.n3()}")
            if pred == SH.minCount:
                out.append((comp, "!" + self.at_least(f, path, int(n.value), None), None))
            else:
                out.append((comp, *self._at_most(f, path, int(n.value), top)))
        return out

    def _unique_lang_fails(self, ps: Node, f: str, path: str, top: bool) -> list[FocusFail]:
        """sh:uniqueLang (case-insensitive, as pySHACL)."""
        unique = self.one(ps, SH.uniqueLang)
        if unique is not None and not (
            isinstance(unique, Literal) and isinstance(unique.value, bool)
        ):
            raise ValueError(f"sh:uniqueLang must be a boolean on {ps.n3()}")
        if unique is None or not unique.value:
            return []
        a, b = self.var("l"), self.var("l")
        lang = "(LCASE(LANG({v})) AS ?fs_lang)"
        agg = self._more_than(path, 1, 'isLiteral({v}) && LANG({v}) != ""', lang)
        expr = (
            f"EXISTS {{ {f} {path} {a} . {f} {path} {b} . FILTER(!sameTerm({a}, {b}) "
            f'&& LANG({a}) != "" && LCASE(LANG({a})) = LCASE(LANG({b}))) }}'
        )
        return [(SH.UniqueLangConstraintComponent, expr, agg if top else None)]

    def _qualified_fails(
        self, ps: Node, f: str, path: str, stack: tuple[Node, ...], top: bool
    ) -> list[FocusFail]:
        """sh:qualifiedValueShape with sh:qualifiedMinCount / sh:qualifiedMaxCount."""
        qshapes = list(self.g.objects(ps, SH.qualifiedValueShape))
        qmin, qmax = self.one(ps, SH.qualifiedMinCount), self.one(ps, SH.qualifiedMaxCount)
        if len(qshapes) > 1:
            raise NotImplementedError(f"several sh:qualifiedValueShape on {ps.n3()}")
        if qshapes and qmin is None and qmax is None:
            raise ValueError(f"sh:qualifiedValueShape without a count on {ps.n3()}")
        out: list[FocusFail] = []
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
                out.append((comp, *self._at_most(f, path, int(count.value), top, cond)))
        return out

    def _has_value_fails(self, ps: Node, f: str, path: str) -> list[FocusFail]:
        """sh:hasValue of a property shape: some value is the given term."""
        out: list[FocusFail] = []
        for val in sorted_terms(self.g.objects(ps, SH.hasValue)):
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

    # ------------------------------------------------------------------ closed and whole shapes

    def closed_allowed(self, s: Node) -> tuple[URIRef, ...] | None:
        closed = self.one(s, SH.closed)
        ignored = self.one(s, SH.ignoredProperties)
        if closed is None or not (isinstance(closed, Literal) and closed.value is True):
            if ignored is not None and closed is None:
                raise ValueError(f"sh:ignoredProperties without sh:closed on {s.n3()}")
            return None
        allowed = {p for ps in self.g.objects(s, SH.property) for p in self.g.objects(ps, SH.path)}
        if ignored is not None:
            allowed |= set(self.list_of(ignored))
        return tuple(sorted(p for p in allowed if isinstance(p, URIRef)))

    def closed_fails(self, allowed: tuple[URIRef, ...], v: str) -> str:
        p, o = self.var("p"), self.var("o")
        return f"EXISTS {{ {v} {p} {o} . FILTER({not_allowed(p, o, allowed)}) }}"

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
            path = self.path(self.required(s, SH.path))
            w = self.var("w")
            fails = [f"COALESCE({e}, true)" for _c, e in self.value_fails(s, w, stack)]
            fails += ["!" + self.conforms(child, w, stack) for child in self.children(s)]
            if fails:
                parts.append(f"NOT EXISTS {{ {v} {path} {w} . FILTER({' || '.join(fails)}) }}")
            parts += [f"!COALESCE({e}, true)" for _c, e, _a in self.focus_fails(s, v, stack)]
        else:
            parts += [f"!COALESCE({e}, true)" for _c, e in self.value_fails(s, v, stack)]
            parts += [self.conforms(child, v, stack) for child in self.children(s)]
            allowed = self.closed_allowed(s)
            if allowed is not None:
                parts.append("!" + self.closed_fails(allowed, v))
        return "(" + " && ".join(parts) + ")" if parts else "true"


def check_regex(args: str) -> None:
    """Fail at compile time for a regex the SPARQL engine cannot run (lookaround, ...)."""
    row = next(iter(solutions(ox.Store().query(f'SELECT (REGEX("", {args}) AS ?ok) {{}}'))))
    if row["ok"] is None:
        raise NotImplementedError(f"sh:pattern {args} is not a valid SPARQL (XPath) regex")
