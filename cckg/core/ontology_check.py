"""Consistency check of the OWL ontology with HermiT (bundled with owlready2).

owlready2 cannot read Turtle, and ``Ontology.load()`` may fetch documents (and owl:imports)
from the web, so we convert the Turtle with rdflib to N-Triples in a temporary directory, drop
owl:imports, and load that local file into a fresh ``World`` (never ``default_world``, which is
process-global). HermiT runs in a Java subprocess: keep this out of request threads.

HermiT only says "inconsistent". owlready2's other reasoner, Pellet, could explain, but the copy
bundled with owlready2 0.51 needs a newer Java than 17, so the explanation comes from a small
structural search of our own (see ``_explain``): disjoint types on one individual and two values
of a functional datatype property, which are the inconsistencies our data can produce.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import owlready2
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from cckg.core.resources import resource_dir

# Used only when the files declare no owl:Ontology of their own.
_FALLBACK_ONTOLOGY_IRI = "urn:cckg:ontology-check"
# Where owlready2's sync_reasoner puts what HermiT inferred (sic, owlready2's spelling).
_INFERENCES_ONTOLOGY_IRI = "http://inferrences/"


class OntologyCheckError(RuntimeError):
    """The check could not run (bad Turtle, no Java, HermiT refused the input)."""


@dataclass(frozen=True)
class OntologyReport:
    """What HermiT found, with entity counts of the checked files."""

    paths: tuple[Path, ...]
    consistent: bool
    classes: int
    object_properties: int
    datatype_properties: int
    annotation_properties: int
    individuals: int
    # Subclass axioms HermiT added beyond those asserted (owlready2's inference ontology).
    inferred_subclass_axioms: int
    # Classes equivalent to owl:Nothing: no instance can exist, though the ontology is consistent.
    unsatisfiable_classes: tuple[str, ...] = ()
    explanation: str | None = None
    seconds: float = field(default=0.0, compare=False)

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable_classes

    def summary(self) -> str:
        state = "consistent" if self.consistent else "INCONSISTENT"
        lines = [
            f"{', '.join(p.name for p in self.paths)}: {state} ({self.seconds:.1f} s)",
            f"  classes {self.classes}, object properties {self.object_properties}, "
            f"datatype properties {self.datatype_properties}, "
            f"annotation properties {self.annotation_properties}, "
            f"individuals {self.individuals}, inferred subclass axioms "
            f"{self.inferred_subclass_axioms}",
        ]
        if self.unsatisfiable_classes:
            lines.append("  unsatisfiable classes: " + ", ".join(self.unsatisfiable_classes))
        if self.explanation:
            lines.append("  " + self.explanation.replace("\n", "\n  "))
        return "\n".join(lines)


def check_ontology(path: Path, *more: Path) -> OntologyReport:
    """Check ``path`` (plus ``more`` files, merged, e.g. the SKOS schemes) with HermiT."""
    paths = (Path(path), *(Path(p) for p in more))
    started = time.monotonic()
    graph = _read(paths)
    ontology_iri = next(
        (str(s) for s in graph.subjects(RDF.type, OWL.Ontology) if isinstance(s, URIRef)),
        _FALLBACK_ONTOLOGY_IRI,
    )
    world = owlready2.World()
    try:
        with tempfile.TemporaryDirectory(prefix="cckg-ontology-check-") as tmp:
            nt = Path(tmp) / "ontology.nt"
            graph.serialize(nt, format="nt", encoding="utf-8")
            with nt.open("rb") as f:
                onto = world.get_ontology(ontology_iri).load(fileobj=f, format="ntriples")
        counts = {
            "classes": _count(onto.classes()),
            "object_properties": _count(onto.object_properties()),
            "datatype_properties": _count(onto.data_properties()),
            "annotation_properties": _count(onto.annotation_properties()),
            "individuals": _count(onto.individuals()),
        }
        consistent, explanation = _reason(world, graph)
        inferred = 0
        unsatisfiable: tuple[str, ...] = ()
        if consistent:
            inferred_onto = world.get_ontology(_INFERENCES_ONTOLOGY_IRI)
            inferred = _count(inferred_onto.get_triples(None, owlready2.rdfs_subclassof, None))
            unsatisfiable = tuple(
                sorted(c.iri for c in world.inconsistent_classes() if c.iri != str(OWL.Nothing))
            )
        return OntologyReport(
            paths=paths,
            consistent=consistent,
            inferred_subclass_axioms=inferred,
            unsatisfiable_classes=unsatisfiable,
            explanation=explanation,
            seconds=time.monotonic() - started,
            **counts,
        )
    finally:
        world.close()


def _read(paths: Iterable[Path]) -> Graph:
    graph = Graph()
    for p in paths:
        try:
            graph.parse(p, format="turtle")
        except (OSError, SyntaxError, ValueError) as e:  # rdflib's Turtle errors subclass these
            raise OntologyCheckError(f"{p}: cannot read Turtle: {e}") from e
    # owlready2 would try to fetch imports from the web; we check only local files.
    graph.remove((None, OWL.imports, None))
    return graph


def _reason(world: owlready2.World, graph: Graph) -> tuple[bool, str | None]:
    quiet = io.StringIO()
    try:
        # owlready2 prints reparenting notes to stderr even with debug=0.
        with contextlib.redirect_stderr(quiet):
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        return False, _explain(graph)
    except owlready2.OwlReadyJavaError as e:
        raise OntologyCheckError(f"HermiT failed: {_java_problem(str(e))}") from e
    except FileNotFoundError as e:
        raise OntologyCheckError(f"Java not found ({owlready2.JAVA_EXE}): install Java") from e
    return True, None


def _java_problem(message: str) -> str:
    """The exception text of a Java stack trace (it may span lines), without the frames."""
    lines = []
    for line in message.splitlines():
        if line.lstrip().startswith("at ") or line.startswith("Caused by"):
            break
        if line.startswith("Java error message is"):
            continue
        lines.append(line.split(": ", 1)[-1] if "Exception in thread" in line else line)
    return " ".join(x.strip() for x in lines if x.strip()) or message.strip()


def _count(items: Iterable[object]) -> int:
    return sum(1 for _ in items)


# ---------------------------------------------------------------- explanation


def _explain(graph: Graph) -> str:
    causes = [*_disjoint_type_clashes(graph), *_functional_data_clashes(graph)]
    if not causes:
        return (
            "HermiT reports the ontology as inconsistent. No individual has disjoint types and "
            "no functional datatype property has two values; open the file in Protégé and ask "
            "HermiT for an explanation."
        )
    return "HermiT reports the ontology as inconsistent:\n" + "\n".join(f"- {c}" for c in causes)


def _superclasses(graph: Graph, cls: URIRef) -> set[URIRef]:
    """cls and its named superclasses through rdfs:subClassOf and owl:equivalentClass."""
    seen = {cls}
    todo = [cls]
    while todo:
        c = todo.pop()
        nexts = [*graph.objects(c, RDFS.subClassOf), *graph.objects(c, OWL.equivalentClass)]
        nexts += list(graph.subjects(OWL.equivalentClass, c))
        for n in nexts:
            if isinstance(n, URIRef) and n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def _disjoint_pairs(graph: Graph) -> set[frozenset[URIRef]]:
    pairs = {
        frozenset((a, b))
        for a, b in graph.subject_objects(OWL.disjointWith)
        if isinstance(a, URIRef) and isinstance(b, URIRef)
    }
    for node in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members_list = graph.value(node, OWL.members)
        if members_list is None:
            continue
        members = [m for m in Collection(graph, members_list) if isinstance(m, URIRef)]
        pairs |= {frozenset((a, b)) for a in members for b in members if a != b}
    return pairs


def _disjoint_type_clashes(graph: Graph) -> list[str]:
    pairs = _disjoint_pairs(graph)
    if not pairs:
        return []
    structural = {OWL.NamedIndividual, OWL.Class, OWL.Thing}
    causes = []
    for ind in sorted({s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)}):
        asserted = {
            t for t in graph.objects(ind, RDF.type) if isinstance(t, URIRef) and t not in structural
        }
        # For each (super)class: the asserted type it comes from, the class itself if asserted.
        via = {sup: t for t in sorted(asserted) for sup in _superclasses(graph, t)}
        via.update({t: t for t in asserted})
        for a, b in sorted(tuple(sorted(p)) for p in pairs):
            if a in via and b in via:
                causes.append(
                    f"{_n(graph, ind)} is a {_n(graph, a)}{_via(graph, a, via)} and a "
                    f"{_n(graph, b)}{_via(graph, b, via)}, but these classes are disjoint"
                )
    return causes


def _functional_data_clashes(graph: Graph) -> list[str]:
    causes = []
    functional = graph.subjects(RDF.type, OWL.FunctionalProperty)
    for prop in sorted(p for p in functional if isinstance(p, URIRef)):
        if (prop, RDF.type, OWL.DatatypeProperty) not in graph:
            continue
        values: dict[Node, set[Literal]] = {}
        for s, o in graph.subject_objects(prop):
            if isinstance(o, Literal):
                values.setdefault(s, set()).add(o)
        for s, vals in sorted(values.items(), key=lambda kv: str(kv[0])):
            if len({v.value if v.value is not None else str(v) for v in vals}) > 1:
                shown = ", ".join(sorted(repr(str(v)) for v in vals))
                causes.append(
                    f"{_n(graph, s)} has several values of functional {_n(graph, prop)}: {shown}"
                )
    return causes


def _via(graph: Graph, cls: URIRef, via: dict[URIRef, URIRef]) -> str:
    return "" if via[cls] == cls else f" (as a {_n(graph, via[cls])})"


def _n(graph: Graph, term: Node) -> str:
    """An IRI as a prefixed name (or <iri>); a blank node as <label>."""
    return graph.namespace_manager.normalizeUri(str(term))


def main() -> int:
    """``python -m cckg.core.ontology_check [FILE ...]``: exit 0 when consistent, 1 when not."""
    args = [Path(a) for a in sys.argv[1:]] or [resource_dir("ontology") / "cckg.ttl"]
    try:
        report = check_ontology(*args)
    except OntologyCheckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
