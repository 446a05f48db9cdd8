"""Reading RDF that comes from outside (source files, request bodies) without surprises: no
network access, bounded nesting and size, and only IRIs that can be written back.

- JSON-LD may name a remote ``@context`` or ``@import``; rdflib would fetch it (a server-side
  request to any URL). Such documents are refused with the URL named, before rdflib sees them.
- A document nested thousands of levels deep makes recursive parsers overflow the stack; it is
  refused at ``MAX_DEPTH`` levels.
- rdflib keeps an IRI with a space or angle bracket and fails only when it writes it; every
  IRI is checked right after parsing, so such data is refused where it came in.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rdflib import Graph, URIRef

MAX_DEPTH = 64  # JSON nesting levels (our own JSON-LD needs fewer than ten)
BAD_IRI = re.compile(r"[\s<>\"{}|^`\\]")


class RdfInputError(ValueError):
    """The input cannot be read safely; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message, self.line, self.field = message, line, field


def load_json(text: str) -> Any:
    """The JSON value of ``text``; raises RdfInputError (syntax, or nested too deep)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise RdfInputError(f"JSON syntax error: {e.msg}", e.lineno) from e
    except RecursionError as e:
        raise RdfInputError(f"the JSON is nested more than {MAX_DEPTH} levels deep") from e
    _check_tree(value)
    return value


def _check_tree(value: Any) -> None:
    """Depth and remote-context checks, iteratively (the document may be deep)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RdfInputError(f"the JSON is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            for key, child in node.items():
                if key in ("@context", "@import"):
                    _check_context(key, child)
                stack.append((child, depth + 1))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def _check_context(key: str, value: Any) -> None:
    if isinstance(value, str):
        refs = [value]
    elif isinstance(value, list):
        refs = [v for v in value if isinstance(v, str)]
    else:
        refs = []
    if refs:
        raise RdfInputError(
            f"{key} refers to {refs[0]!r}: remote JSON-LD contexts are never fetched; "
            "put the context inline",
            field=key,
        )


def parse_jsonld(text: str, public_id: str | None = None) -> Graph:
    """A JSON-LD document as an rdflib graph, with every check above."""
    load_json(text)
    g = Graph()
    try:
        g.parse(data=text, format="json-ld", publicID=public_id)
    except RecursionError as e:
        raise RdfInputError(f"the JSON-LD is nested more than {MAX_DEPTH} levels deep") from e
    except Exception as e:  # rdflib raises many exception types for syntax errors
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RdfInputError(f"json-ld syntax error: {msg}", _line_of(str(e))) from e
    check_iris(g)
    return g


def check_iris(graph: Graph) -> None:
    """Refuse IRIs that N-Triples cannot hold (subject, predicate or object)."""
    for triple in graph:
        for term in triple:
            if isinstance(term, URIRef) and BAD_IRI.search(str(term)):
                raise RdfInputError(f"invalid IRI {str(term)!r}")


def parse_rdf(text: str, fmt: str, public_id: str | None = None) -> Graph:
    """Turtle, N-Triples or JSON-LD text as an rdflib graph (``fmt``: rdflib's format name)."""
    if fmt == "json-ld":
        return parse_jsonld(text, public_id)
    g = Graph()
    try:
        g.parse(data=text, format=fmt, publicID=public_id)
    except RecursionError as e:
        raise RdfInputError("the document is nested too deeply") from e
    except Exception as e:  # rdflib raises many types for syntax errors
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        raise RdfInputError(f"{fmt} syntax error: {first}", _line_of(str(e))) from e
    check_iris(g)
    return g


def _line_of(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None
