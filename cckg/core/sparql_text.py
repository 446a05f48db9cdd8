"""Safe SPARQL text helpers for stores that only take a query string (remote endpoints).

Bindings are serialised as RDF terms (``Term.n3()`` refuses IRIs with ``<>"{}|^`\\`` and
escapes literals) and injected as an inline ``VALUES`` block at the start of the query's
top-level group. With the project's rule that a bound variable appears in a top-level triple
pattern, that gives the same rows as pyoxigraph's native substitutions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def term_n3(term: Node) -> str:
    """Serialise one bound value; raises ValueError for anything that is not a safe term."""
    if isinstance(term, BNode):
        raise ValueError("blank nodes cannot be bound in a query")
    if isinstance(term, URIRef):
        if _BAD_IRI_CHARS.search(str(term)):
            raise ValueError(f"not a valid IRI: {str(term)!r}")
        return term.n3()
    if isinstance(term, Literal):
        return term.n3()
    raise ValueError(f"cannot bind {type(term).__name__} values")


def _scan(query: str) -> Iterator[tuple[int, str]]:
    """Yield (index, char) for characters outside IRIs, strings and comments."""
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c == "#":
            while i < n and query[i] != "\n":
                i += 1
            continue
        if c == "<":
            # an IRI (no spaces inside) or the less-than operator
            m = re.match(r"<[^<>\"{}|^`\\\s]*>", query[i:])
            if m:
                i += m.end()
                continue
        if c in "\"'":
            triple = query[i : i + 3]
            if triple in ('"""', "'''"):
                end = query.find(triple, i + 3)
                i = n if end < 0 else end + 3
                continue
            j = i + 1
            while j < n and query[j] != c:
                j += 2 if query[j] == "\\" else 1
            i = j + 1
            continue
        yield i, c
        i += 1


def _where_group_start(query: str) -> int:
    """Index just after the '{' that opens the top-level WHERE group."""
    text_positions = list(_scan(query))
    visible = "".join(c for _, c in text_positions)
    m = re.search(r"\bWHERE\s*\{", visible, re.IGNORECASE)
    if m:
        brace = m.end() - 1
    else:
        brace = visible.find("{")
        if brace < 0:
            raise ValueError("query has no group pattern to bind values into")
    return text_positions[brace][0] + 1


def inject_values(query: str, bindings: Mapping[str, Node]) -> str:
    """Return ``query`` with ``VALUES (?a ?b) { (t1 t2) }`` opening its WHERE group."""
    if not bindings:
        return query
    names = []
    for name in bindings:
        if not _VAR_RE.match(name):
            raise ValueError(f"invalid variable name {name!r}")
        names.append(name)
    row = " ".join(term_n3(bindings[n]) for n in names)
    block = f" VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }} "
    at = _where_group_start(query)
    return query[:at] + block + query[at:]


def substitute_term(query: str, name: str, term: Node) -> str:
    """Replace every ``?name``/``$name`` (outside IRIs, strings and comments) by ``term``,
    serialised with :func:`term_n3`. For queries whose UNION branches must start from a known
    node: a top-level VALUES block is joined only after each branch ran over the whole store."""
    if not _VAR_RE.match(name):
        raise ValueError(f"invalid variable name {name!r}")
    value = term_n3(term)
    pattern = re.compile(rf"[?$]{re.escape(name)}(?![A-Za-z0-9_])")
    visible = {i for i, _ in _scan(query)}
    out, last = [], 0
    for m in pattern.finditer(query):
        if m.start() in visible:
            out.append(query[last : m.start()])
            out.append(value)
            last = m.end()
    out.append(query[last:])
    return "".join(out)


def inject_value_rows(query: str, name: str, terms: Sequence[Node]) -> str:
    """Return ``query`` with ``VALUES ?name { t1 t2 … }`` opening its WHERE group: one row per
    term, each serialised by :func:`term_n3` (never text a user wrote)."""
    if not _VAR_RE.match(name):
        raise ValueError(f"invalid variable name {name!r}")
    values = " ".join(term_n3(t) for t in terms)
    at = _where_group_start(query)
    return query[:at] + f" VALUES ?{name} {{ {values} }} " + query[at:]
