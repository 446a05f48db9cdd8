"""A public SPARQL query as plain data (a job), its outcome, and running one on a pyoxigraph
store with the results serialised in the negotiated format and capped at ``row_cap`` rows.

This module imports only the standard library and pyoxigraph, because the query workers
(``query_pool.py``) import it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

log = logging.getLogger("cckg.sparql")

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# name -> (pyoxigraph format, media type sent in Content-Type)
RESULT_FORMATS: dict[str, tuple[ox.QueryResultsFormat, str]] = {
    "json": (ox.QueryResultsFormat.JSON, "application/sparql-results+json"),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml"),
    "csv": (ox.QueryResultsFormat.CSV, "text/csv; charset=utf-8"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values; charset=utf-8"),
}
RDF_FORMATS: dict[str, tuple[ox.RdfFormat, str]] = {
    "turtle": (ox.RdfFormat.TURTLE, "text/turtle; charset=utf-8"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, "application/n-triples"),
    "jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json"),
    "rdfxml": (ox.RdfFormat.RDF_XML, "application/rdf+xml"),
    "nquads": (ox.RdfFormat.N_QUADS, "application/n-quads"),
    "trig": (ox.RdfFormat.TRIG, "application/trig"),
}
QUAD_FORMATS = {"nquads", "trig"}
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # a result's size, as the row cap is its length
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class QueryJob:
    """Everything a worker needs; plain data, so it pickles cheaply."""

    query: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    results_format: str = "json"
    rdf_format: str = "turtle"
    row_cap: int = 10000
    base_iri: str | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    form: str = "SELECT"  # SELECT, ASK, CONSTRUCT or DESCRIBE (a remote store needs to know)
    max_bytes: int = DEFAULT_MAX_BYTES  # results are cut (and flagged) beyond about this size


@dataclass(frozen=True)
class QueryOutcome:
    """A finished query: the body in its format, or an error kind with a message."""

    ok: bool
    media_type: str = ""
    body: bytes = b""
    truncated: bool = False
    count: int = 0
    error_kind: str = ""  # syntax evaluation store internal timeout busy unavailable remote
    message: str = ""


def failure(kind: str, message: str) -> QueryOutcome:
    return QueryOutcome(ok=False, error_kind=kind, message=message)


# ---------------------------------------------------------------- running one query


def neutralise_formula(text: str) -> str:
    """``text`` made safe to open in a spreadsheet: a leading ``'`` before what would start a
    formula (numbers such as -5 stay as they are)."""
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _term_json(term: Any, cells: bool = False) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        value = neutralise_formula(term.value) if cells else term.value
        out: dict[str, Any] = {"type": "literal", "value": value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):  # RDF 1.2 triple terms
        return {
            "type": "triple",
            "value": {
                "subject": _term_json(term.subject),
                "predicate": _term_json(term.predicate),
                "object": _term_json(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def serialize_solutions(
    variables: list[str],
    solutions: Iterable[Any],
    fmt: str,
    row_cap: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> QueryOutcome:
    """SELECT results, capped at ``row_cap`` rows and about ``max_bytes`` bytes. Written as
    SPARQL JSON here, then converted by pyoxigraph's own serializers for the other formats (a
    QuerySolutions cannot be built from a list). CSV and TSV cells cannot start a formula."""
    cells = fmt in ("csv", "tsv")
    bindings = []
    size, truncated = 0, False
    for count, sol in enumerate(solutions):
        if count == row_cap:
            truncated = True
            break
        row = {n: _term_json(sol[i], cells) for i, n in enumerate(variables) if sol[i] is not None}
        size += 16 + sum(len(b["value"]) + 40 for b in row.values() if "value" in b)
        if size > max_bytes:
            truncated = True
            break
        bindings.append(row)
    rows = bindings
    body = json.dumps(
        {"head": {"vars": variables}, "results": {"bindings": bindings}},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    return _convert_results(body, fmt, truncated, len(rows))


def serialize_boolean(value: bool, fmt: str) -> QueryOutcome:
    body = json.dumps({"head": {}, "boolean": bool(value)}, separators=(",", ":")).encode()
    return _convert_results(body, fmt, False, 1)


def _convert_results(json_body: bytes, fmt: str, truncated: bool, count: int) -> QueryOutcome:
    target, media = RESULT_FORMATS.get(fmt, RESULT_FORMATS["json"])
    if target != ox.QueryResultsFormat.JSON:
        parsed = ox.parse_query_results(json_body, format=ox.QueryResultsFormat.JSON)
        converted = parsed.serialize(format=target)
        assert converted is not None  # no output given: the bytes are returned
        json_body = converted
    return QueryOutcome(ok=True, media_type=media, body=json_body, truncated=truncated, count=count)


def serialize_triples(
    triples: Iterable[ox.Triple],
    fmt: str,
    row_cap: int,
    prefixes: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> QueryOutcome:
    """CONSTRUCT / DESCRIBE results, capped at ``row_cap`` triples and about ``max_bytes``."""
    name = fmt if fmt in RDF_FORMATS else "turtle"
    target, media = RDF_FORMATS[name]
    items: list[ox.Triple] = []
    size, truncated = 0, False
    for triple in triples:
        size += len(str(triple))
        if len(items) == row_cap or size > max_bytes:
            truncated = True
            break
        items.append(triple)
    data: list[Any] = items
    if name in QUAD_FORMATS:  # dataset formats want quads: the result is one default graph
        data = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in items]
    kwargs: dict[str, Any] = {}
    if prefixes and name in {"turtle", "trig"}:
        kwargs["prefixes"] = prefixes
    body = ox.serialize(data, format=target, **kwargs) or b""
    return QueryOutcome(ok=True, media_type=media, body=body, truncated=truncated, count=len(items))


def run_job(store: ox.Store, job: QueryJob) -> QueryOutcome:
    """Run one query on ``store`` restricted to the job's graphs; never raises."""
    try:
        result = store.query(
            job.query,
            base_iri=job.base_iri,
            # These override any FROM / FROM NAMED in the query text (checked in the tests):
            # the dataset is exactly what the endpoint decided, never more.
            default_graph=[ox.NamedNode(g) for g in job.default_graphs],
            named_graphs=[ox.NamedNode(g) for g in job.named_graphs],
        )
        if isinstance(result, ox.QueryBoolean):
            return serialize_boolean(bool(result), job.results_format)
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            return serialize_solutions(
                names, result, job.results_format, job.row_cap, job.max_bytes
            )
        return serialize_triples(result, job.rdf_format, job.row_cap, job.prefixes, job.max_bytes)
    except SyntaxError as e:
        return failure("syntax", str(e))
    except RuntimeError as e:  # pyoxigraph's evaluation errors (e.g. an unbound SERVICE name)
        return failure("evaluation", str(e))
    except OSError as e:
        return failure("store", str(e))
    except Exception:  # never let a worker die on one query; the server logs the kind only
        log.exception("query failed")
        return failure("internal", "the query could not be evaluated")


# ---------------------------------------------------------------- worker process


def iter_remote_triples(body: bytes) -> Iterator[ox.Triple]:
    """Triples of an N-Triples body (used when forwarding CONSTRUCT to a remote store)."""
    for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
        yield quad.triple
