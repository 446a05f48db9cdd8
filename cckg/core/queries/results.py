"""Rows of a named query as SPARQL 1.1 CSV, SPARQL 1.1 JSON or a terminal table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from cckg.core.query_jobs import neutralise_formula


def term_text(term: Node | None) -> str:
    """Plain text of a term, as in SPARQL CSV results."""
    return "" if term is None else str(term)


def to_csv(variables: Sequence[str], rows: Iterable[Mapping[str, Node]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180, as SPARQL 1.1 CSV results
    writer.writerow(variables)
    for row in rows:
        # a cell never starts a spreadsheet formula (CSV injection)
        writer.writerow([neutralise_formula(term_text(row.get(v))) for v in variables])
    return buf.getvalue()


def term_json(term: Node) -> dict[str, str]:
    """One binding in the SPARQL 1.1 JSON results format."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype != XSD.string:
        out["datatype"] = str(term.datatype)
    return out


def to_json(variables: Sequence[str], rows: Iterable[Mapping[str, Node]]) -> str:
    doc = {
        "head": {"vars": list(variables)},
        "results": {"bindings": [{v: term_json(r[v]) for v in variables if v in r} for r in rows]},
    }
    return json.dumps(doc, ensure_ascii=False, indent=1)


def to_table(variables: Sequence[str], rows: Sequence[Mapping[str, Node]]) -> str:
    """A plain-text table for terminals."""
    cells = [[term_text(r.get(v)) for v in variables] for r in rows]
    widths = [max([len(v), *(len(c[i]) for c in cells)]) for i, v in enumerate(variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)
