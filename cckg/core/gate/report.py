"""Machine-readable rejection reports: the gate's violations as a SHACL validation report."""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef

from cckg.core.gate.model import Violation

SH = Namespace("http://www.w3.org/ns/shacl#")
CCKGR = Namespace("https://w3id.org/cckg/def/report#")


def violations_turtle(violations: Sequence[Violation]) -> str:
    """A sh:ValidationReport in Turtle, with the source location of every result."""
    g = Graph()
    g.bind("sh", SH)
    g.bind("cckgr", CCKGR)
    report = BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(not violations)))
    for v in violations:
        r = BNode()
        g.add((report, SH.result, r))
        g.add((r, RDF.type, SH.ValidationResult))
        g.add(
            (r, SH.focusNode, URIRef(v.focus) if v.focus.startswith("http") else Literal(v.focus))
        )
        g.add((r, SH.resultMessage, Literal(v.message, lang="en")))
        if v.message_de:
            g.add((r, SH.resultMessage, Literal(v.message_de, lang="de")))
        if v.field:
            g.add((r, CCKGR.field, Literal(v.field)))
        if v.value is not None:
            g.add((r, SH.value, Literal(v.value)))
        if v.shape:
            g.add((r, SH.sourceShape, URIRef(v.shape)))
        g.add((r, CCKGR.file, Literal(v.location.file)))
        if v.location.line is not None:
            g.add((r, CCKGR.line, Literal(v.location.line)))
        if v.location.record:
            g.add((r, CCKGR.record, Literal(v.location.record)))
    return g.serialize(format="turtle")
