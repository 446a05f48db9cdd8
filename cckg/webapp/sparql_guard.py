"""Lexical checks on public SPARQL queries, before they reach the engine.

A tokenizer that follows the SPARQL 1.1 terminals closely enough to know what is a keyword:
strings, IRIs, comments, variables, prefixed names (with ``\\``-escapes, so ``ex:a\\#b`` does
not start a comment) and blank node labels are single tokens. That is enough to

* refuse ``SERVICE`` (pyoxigraph would really send the HTTP request: measured),
* name the query form (to negotiate the result format and to explain refused updates),
* read ``FROM`` / ``FROM NAMED`` (the endpoint passes its own dataset to the engine, which
  overrides the query's, so it needs to know what the query asked for).

When in doubt the scan errs towards refusing: text it cannot tokenize stays visible.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

# (kind, pattern): SPARQL terminals, tried in this order at each position.
_TERMINALS = [
    ("ws", r"\s+"),
    ("comment", r"#[^\r\n]*"),
    (
        "string",
        r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
        r"|'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
        r'|"(?:[^"\\\r\n]|\\.)*"'
        r"|'(?:[^'\\\r\n]|\\.)*'",
    ),
    ("iri", r'<[^<>"{}|^`\\\x00-\x20]*>'),
    ("var", r"[?$]\w+"),
    ("bnode", r"_:[\w.\-]*"),
    ("pname", r"(?:[^\W\d_][\w.\-]*)?:(?:[\w\-.:%]|\\.)*"),
    ("word", r"[^\W\d]\w*"),
    ("esc", r"\\."),
    ("other", r"."),
]
_TOKEN = re.compile("|".join(f"(?P<{k}>{p})" for k, p in _TERMINALS), re.DOTALL)
# The same scan with only bare words captured: findall runs it in C, which keeps a large query
# to a fraction of a second (the server thread cannot be interrupted while it scans).
_WORDS = re.compile(
    "|".join(f"({p})" if k == "word" else f"(?:{p})" for k, p in _TERMINALS), re.DOTALL
)

QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
UPDATE_FORMS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
}
_UESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass
class QueryInfo:
    """What the scan found in one query text."""

    form: str | None = None  # SELECT / ASK / CONSTRUCT / DESCRIBE, or an update keyword
    uses_service: bool = False
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        return self.form in UPDATE_FORMS

    @property
    def has_dataset(self) -> bool:
        return bool(self.from_graphs or self.from_named)


def _tokens(text: str) -> Iterator[tuple[str | None, str]]:
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        yield kind, m.group()


def _unescape(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return m.group()

    return _UESCAPE.sub(repl, text)


def _has_service(text: str) -> bool:
    if "service" not in text.lower():
        return False
    return any(w.upper() == "SERVICE" for w in _words(text))


def _words(text: str) -> list[str]:
    return [w for w in _WORDS.findall(text) if w]


def scan(query: str, base: str | None = None) -> QueryInfo:
    """Scan ``query``; ``base`` resolves relative IRIs in FROM clauses (the endpoint URL)."""
    info = QueryInfo()
    # SPARQL 1.1 allows \\u escapes anywhere in a query; pyoxigraph 0.5 does not decode them
    # outside strings (measured), but a later version might: check both readings.
    info.uses_service = _has_service(query) or (
        "\\u" in query.lower() and _has_service(_unescape(query))
    )
    # The prologue, the form and the dataset clause all come before the first "{" (apart from
    # a CONSTRUCT template, which is skipped).
    prefixes: dict[str, str] = {}
    template_skipped = False
    toks = _tokens(query)
    pending: list[tuple[str | None, str]] = []

    def next_tok() -> tuple[str | None, str] | None:
        if pending:
            return pending.pop()
        return next(toks, None)

    while (tok := next_tok()) is not None:
        kind, value = tok
        if kind == "other" and value == "{":
            if info.form != "CONSTRUCT" or template_skipped:
                break
            template_skipped = True
            depth = 1
            while depth and (inner := next_tok()) is not None:
                if inner[0] == "other" and inner[1] in "{}":
                    depth += 1 if inner[1] == "{" else -1
            continue
        upper = value.upper() if kind == "word" else ""
        if upper == "BASE":
            nxt = next_tok()
            if nxt and nxt[0] == "iri":
                base = _join(base, nxt[1][1:-1])
            elif nxt:
                pending.append(nxt)
        elif upper == "PREFIX":
            name, iri = next_tok(), next_tok()
            if name and iri and name[0] == "pname" and iri[0] == "iri":
                prefixes[name[1].rstrip(":")] = _join(base, iri[1][1:-1])
        elif upper == "FROM":
            nxt = next_tok()
            named = nxt is not None and nxt[0] == "word" and nxt[1].upper() == "NAMED"
            target = next_tok() if named else nxt
            graph = _resolve(target, prefixes, base) if target else None
            if graph is not None:
                (info.from_named if named else info.from_graphs).append(graph)
        elif info.form is None and upper in QUERY_FORMS | UPDATE_FORMS:
            info.form = upper
    return info


_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _join(base: str | None, ref: str) -> str:
    if _ABSOLUTE.match(ref) or not base:
        return ref  # absolute (or nothing to resolve against): taken as written
    return urljoin(base, ref)


def _resolve(tok: tuple[str | None, str], prefixes: dict[str, str], base: str | None) -> str | None:
    kind, value = tok
    if kind == "iri":
        return _join(base, value[1:-1])
    if kind == "pname":
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None
