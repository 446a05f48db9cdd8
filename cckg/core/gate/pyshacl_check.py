"""The reference path of the gate: pySHACL itself on a batch plus its context.

The loaders use the fast engine (``engine.py``); this path stays for raw shapes graphs and as
the oracle the tests compare the engine with. pySHACL's report becomes located
:class:`Violation` objects, with the English and German message of each result.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pyshacl import validate as shacl_validate
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.term import Node

from cckg.core.gate.context import ValidationContext
from cckg.core.gate.model import Location, Violation, short_name, violation_order

SH = Namespace("http://www.w3.org/ns/shacl#")


def _first(results: Graph, node: Node, pred: URIRef) -> Node | None:
    return next(iter(results.objects(node, pred)), None)


def _messages(results: Graph, node: Node, shapes: Graph) -> tuple[str, str | None]:
    """The English and German message of a result.

    pyshacl drops the language tag of SPARQL-constraint messages when it fills in {?value};
    such an untagged message takes the language of the template it was made from.
    """
    by_lang: dict[str, str] = {}
    constraint = results.value(node, SH.sourceConstraint)
    templates = {}
    if constraint is not None:
        templates = {
            getattr(m, "language", None) or "": str(m)
            for m in shapes.objects(constraint, SH.message)
        }
    for m in results.objects(node, SH.resultMessage):
        lang = getattr(m, "language", None) or ""
        if not lang:
            for tlang, template in templates.items():
                parts = re.split(r"\{[?$]\w+\}", template)
                if re.fullmatch(".+?".join(re.escape(x) for x in parts), str(m), re.DOTALL):
                    lang = tlang
                    break
        by_lang.setdefault(lang, str(m))
    en = by_lang.get("en") or by_lang.get("") or next(iter(by_lang.values()), "does not conform")
    return en, by_lang.get("de")


def violations_from(
    results: Graph, locate: Callable[[Node | None], Location], shapes: Graph
) -> list[Violation]:
    """The results of a pySHACL report graph as located violations, in report order."""
    out = []
    # Only the report's own results: nested results (sh:detail) repeat what they explain.
    report = results.value(predicate=RDF.type, object=SH.ValidationReport, any=True)
    for r in results.objects(report, SH.result):
        focus = _first(results, r, SH.focusNode)
        path = _first(results, r, SH.resultPath)
        value = _first(results, r, SH.value)
        severity = _first(results, r, SH.resultSeverity)
        shape = _first(results, r, SH.sourceShape)
        en, de = _messages(results, r, shapes)
        out.append(
            Violation(
                location=locate(focus),
                focus=str(focus),
                field=short_name(path) if path is not None else None,
                message=en,
                message_de=de,
                value=str(value) if value is not None else None,
                shape=str(shape) if isinstance(shape, URIRef) else None,
                severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
            )
        )
    return sorted(out, key=violation_order)


def pyshacl_batch(
    batch: Graph,
    shapes: Graph,
    context: ValidationContext,
    locate: Callable[[Node | None], Location],
) -> list[Violation]:
    """pySHACL's violations (no warnings) of one batch's own subjects."""
    own = {str(s) for s in batch.subjects()}
    conforms, results, _text = shacl_validate(
        context.graph_for(batch),
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if conforms:
        return []
    # Linked nodes are context (typed, but unlabelled here), not under test. pyshacl's
    # focus_nodes option would do this, but it drops qualifiedValueShape results.
    return [
        v
        for v in violations_from(results, locate, shapes)
        if v.severity != "Warning" and v.focus in own
    ]
