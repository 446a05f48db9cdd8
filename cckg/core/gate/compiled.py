"""The compiled form of a shapes graph: what the compiler (``compiler.py``) makes of each shape
and a validation run (``run.py``) evaluates, with the names of the bookkeeping both share.

Every constraint is a SPARQL boolean expression that is true when it is violated (:class:`Check`),
grouped per shape and set of focus nodes (:class:`Unit`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.term import Node

# (linked nodes the data gives no type, linked nodes the data types) -> types to add as context
TypeResolver = Callable[[list[URIRef], list[URIRef]], Mapping[URIRef, Iterable[URIRef]]]

# Bookkeeping lives in one named graph that the constraint queries (default graph) never see.
_META = "urn:x-cckg-fast-shacl:"
META_GRAPH = URIRef(_META + "meta")
FOCUS = URIRef(_META + "focus")  # <s> FOCUS FOCUS: s is a subject of the data under test
ILL = URIRef(_META + "ill-typed")  # ILL ILL "lex"^^dt: rdflib/pySHACL call it ill-typed
BNODE_LABEL = URIRef(_META + "bnode")  # _:x BNODE_LABEL "label": the caller's blank node label

FOCUS_SLOT = "#{fast-shacl-focus}#\n"
# ``?x rdf:type/rdfs:subClassOf* C`` in generated queries; a run replaces it by a plain
# rdf:type lookup against C's subclasses, computed once per run.
ISA_PATH = f"{RDF.type.n3()}/{RDFS.subClassOf.n3()}* "
TYPE = RDF.type.n3()
IRI_TERM = re.compile(r"<[^<>\s]*>")
SUBCLASS = RDFS.subClassOf.n3()
ISA = re.compile(re.escape(ISA_PATH) + r"(<[^<>\s]*>)")


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


@dataclass
class Check:
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
class Branch:
    """The value-level constraints of one property shape: evaluated on ``?this PATH ?value``."""

    path_sparql: str
    checks: list[Check]


@dataclass
class Closed:
    shape: Node
    allowed: tuple[URIRef, ...]
    severity: URIRef
    messages: tuple[Literal, ...]


@dataclass
class SparqlConstraint:
    shape: Node
    node: Node
    query: str  # SELECT with the marker FOCUS_SLOT where the focus pattern goes
    variables: tuple[str, ...]
    severity: URIRef
    messages: tuple[Literal, ...]


@dataclass
class Unit:
    """A shape evaluated on a set of focus nodes: a targeted shape or an inner sh:property."""

    shape: Node
    targets: str | None  # SPARQL group binding ?this, or None for an inner unit
    parent: tuple[Unit, str] | None  # (unit, path) whose values are this unit's focus nodes
    focus_checks: list[Check]
    branches: list[Branch]
    closed: Closed | None
    sparql: list[SparqlConstraint]
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
            if restrict:  # only the data's own subjects, as pyshacl_check.py's filter
                # a filter, not a join: the optimiser would start from all the markers
                marker = f"GRAPH {META_GRAPH.n3()} {{ {var} {FOCUS.n3()} {FOCUS.n3()} }}"
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
            marker = f"GRAPH {META_GRAPH.n3()} {{ {var} {FOCUS.n3()} {FOCUS.n3()} }}"
            test += f" && EXISTS {{ {marker} }}"
        return test


def generic_message(comp: URIRef) -> str:
    """The message of a result whose shape gives none."""
    name = str(comp).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    return f"Value does not conform to the {name} constraint"


def not_allowed(p: str, o: str, allowed: tuple[URIRef, ...]) -> str:
    """An expression: the triple ``?this p o`` breaks a closed shape that allows ``allowed``."""
    listed = ", ".join(a.n3() for a in allowed)
    test = f"{p} NOT IN ({listed})" if allowed else "true"
    # pySHACL always lets (rdf:type, rdfs:Resource) through
    return f"{test} && !({p} = {RDF.type.n3()} && sameTerm({o}, {RDFS.Resource.n3()}))"
