"""Reading a named query file: its ``#+`` header, the SPARQL, paging, and the checks made on load.

Header format (comment lines at the top of the file, before the query text)::

    #+ title: Solutions by theme
    #+ description: Good practices tagged with a theme or with any narrower theme.
    #+ description: (repeated description lines are joined with a space)
    #+ param: theme (theme) default=mobility — the theme, as a slug or a full IRI
    #+ param: country (country) — optional: without a value the variable stays unbound

``param`` lines are ``NAME (TYPE) [default=VALUE] [required] — DESCRIPTION`` (the separator is an
em dash or ``--``). ``NAME`` is a variable of the query. A parameter that is not given takes its
default; one given empty (``?theme=``), or without a default, stays unbound and so matches
anything; ``required`` makes that an error. A quoted default may hold spaces and a language
tag: ``default="Rostock"@en``.

Types (see ``PARAM_TYPES``): ``iri``, ``literal`` (``text`` or ``text@lang``), ``integer``,
``sdg`` (1-17), ``language`` (ISO 639-1), one of our kinds (``theme``, ``country``, ``city``, …:
a slug or the full IRI), and ontology enumerations (``status``, ``event-format``,
``institution-kind``: ``implemented``, ``Implemented``, ``cckg:Implemented`` or the IRI).

Paging: a query whose text holds one ``LIMIT n`` (and no ``OFFSET``) is *paged*: ``n`` is its
default page size, and the ``limit`` (1 to ``MAX_LIMIT``) and ``offset`` parameters replace it.
The ``LIMIT`` may close the query or a sub-select (the *page select*, which then has to order
completely and project everything the outer query needs): the outer query then only looks up
the details of one page of rows instead of all of them.

Values are coerced into rdflib terms and bound as an inline ``VALUES`` block opening the WHERE
group of the page select (of the query itself when it is not paged), serialised by
``cckg.core.sparql_text.term_n3``: never pasted into the query text as written (STYLE 2.4, pitfall
3.1). Every parameter must appear in a top-level triple pattern of that group (pitfall 3.2);
this is checked when a query is loaded.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

from rdflib import Literal, Variable
from rdflib.plugins.sparql import prepareQuery as _prepare_unlocked  # noqa: N813
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query

from cckg.core.queries.model import (
    MAX_LIMIT,
    PAGING_PARAMS,
    PARAM_TYPES,
    RESERVED_PARAMS,
    NamedQuery,
    Param,
    QueryDefinitionError,
    QueryParamError,
    without_comment_lines,
)
from cckg.core.queries.params import coerce
from cckg.core.sparql_text import _scan

_HEADER_RE = re.compile(r"^#\+\s*(?P<key>[a-z]+)\s*:\s*(?P<value>.*?)\s*$")
_PARAM_RE = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+\((?P<type>[a-z0-9-]+)\)"
    r"(?P<flags>(?:\s+(?:default=(?:\"[^\"]*\"(?:@[A-Za-z0-9-]+)?|\S+)|required))*)"
    r"\s+(?:—|--)\s+(?P<description>.+)$"
)
_FLAG_RE = re.compile(
    r"default=(?P<default>\"[^\"]*\"(?:@[A-Za-z0-9-]+)?|\S+)|(?P<required>required)"
)
_LIMIT_RE = re.compile(r"(?<![\w?$])LIMIT\s+(\d+)(?![\w])", re.IGNORECASE)
_OFFSET_RE = re.compile(r"(?<![\w?$])OFFSET(?![\w])", re.IGNORECASE)
_WHERE_RE = re.compile(r"(?<![\w?$])WHERE\s*\{", re.IGNORECASE)


def parse_header(text: str, source: str = "<query>") -> tuple[str, str, tuple[Param, ...]]:
    """``(title, description, params)`` from the ``#+`` lines that open a query file."""
    title = ""
    description: list[str] = []
    params: list[Param] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break  # the header ends where the query starts
        m = _HEADER_RE.match(stripped)
        if m is None:
            continue  # an ordinary comment
        key, value = m["key"], m["value"]
        where = f"{source}:{number}"
        if key == "title":
            if title:
                raise QueryDefinitionError(f"{where}: a second '#+ title:' line")
            title = value
        elif key == "description":
            description.append(value)
        elif key == "param":
            params.append(_parse_param(value, where))
        else:
            raise QueryDefinitionError(
                f"{where}: unknown header key {key!r}; expected title, description or param"
            )
    if not title:
        raise QueryDefinitionError(f"{source}: missing '#+ title: …' header line")
    if not description:
        raise QueryDefinitionError(f"{source}: missing '#+ description: …' header line")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise QueryDefinitionError(f"{source}: a parameter is declared twice")
    return title, " ".join(description), tuple(params)


def _parse_param(value: str, where: str) -> Param:
    m = _PARAM_RE.match(value)
    if m is None:
        raise QueryDefinitionError(
            f"{where}: malformed param line {value!r}; expected "
            "'NAME (TYPE) [default=VALUE] [required] — DESCRIPTION'"
        )
    if m["name"] in RESERVED_PARAMS:
        raise QueryDefinitionError(f"{where}: parameter name {m['name']!r} is reserved")
    if m["name"] in PAGING_PARAMS:
        raise QueryDefinitionError(
            f"{where}: parameter name {m['name']!r} is reserved for paging "
            "(a LIMIT in the query text makes it paged)"
        )
    if m["type"] not in PARAM_TYPES:
        raise QueryDefinitionError(
            f"{where}: unknown parameter type {m['type']!r}; "
            f"expected one of {', '.join(PARAM_TYPES)}"
        )
    default, required = None, False
    for flag in _FLAG_RE.finditer(m["flags"] or ""):
        if flag["required"]:
            required = True
        else:
            default = flag["default"]
    return Param(m["name"], m["type"], m["description"], default, required)


def load_query(path: Path, name: str | None = None) -> NamedQuery:
    """Read, parse and check one query file; raises QueryDefinitionError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise QueryDefinitionError(f"{path}: cannot read: {e}") from e
    title, description, params = parse_header(text, str(path))
    try:
        prepared = prepareQuery(text)
    except Exception as e:  # pyparsing and rdflib raise several types
        raise QueryDefinitionError(f"{path}: SPARQL syntax error: {e}") from e
    algebra = prepared.algebra
    if algebra.name != "SelectQuery":
        raise QueryDefinitionError(f"{path}: named queries must be SELECT queries")
    sparql = without_comment_lines(text)
    page_size, values_at, limit_span = _page_slot(sparql, algebra, str(path))
    page_select = _find_slice(algebra) if page_size is not None else algebra
    top = top_level_triple_variables(page_select)
    for p in params:
        if p.name not in top:
            where = "the select that holds the LIMIT" if page_size is not None else "the query"
            raise QueryDefinitionError(
                f"{path}: parameter ?{p.name} must appear in a top-level triple pattern of the "
                f"WHERE clause of {where} (not only in FILTER, OPTIONAL, UNION or a sub-select)"
            )
        if p.default is not None:
            try:
                coerce(p, p.default)
            except QueryParamError as e:
                raise QueryDefinitionError(f"{path}: bad default: {e}") from e
    variables = tuple(str(v) for v in algebra["PV"])
    page_keys = None
    if page_size is not None and page_select is not algebra.p:
        page_keys = _page_keys(page_select, algebra, variables, str(path))
    return NamedQuery(
        name or path.stem, path, title, description, params, text, variables,
        page_size, values_at, limit_span, page_keys,
    )  # fmt: skip


def _below(node: Any, name: str) -> Any:
    """The first ``name`` node reached through solution modifiers (not into sub-selects)."""
    while isinstance(node, CompValue):
        if node.name == name:
            return node
        if node.name not in {"SelectQuery", "Slice", "Project", "Distinct", "Reduced", "OrderBy"}:
            return None
        node = node.get("p")
    return None


# Functions that give a plain string (no language tag) whatever their argument, and those that
# keep their (first) argument's tag: a key bound to a plain string sorts as its STR().
_ALWAYS_PLAIN = {"Builtin_STR", "Builtin_ENCODE_FOR_URI"}
_LIKE_ARGUMENT = {
    "Builtin_LCASE": "arg",
    "Builtin_UCASE": "arg",
    "Builtin_SUBSTR": "arg",
    "Builtin_STRAFTER": "arg1",
    "Builtin_STRBEFORE": "arg1",
}


def _string_valued(expr: Any) -> bool:
    """Whether an expression always gives a plain string (or an error): ``STR(…)``, a
    string function of one, a COALESCE or CONCAT of them, a plain string literal."""
    if isinstance(expr, Literal):
        return expr.datatype is None and expr.language is None
    name = getattr(expr, "name", None)
    if name in _ALWAYS_PLAIN:
        return True
    if name in _LIKE_ARGUMENT:
        return _string_valued(expr[_LIKE_ARGUMENT[name]])
    if name in ("Builtin_COALESCE", "Builtin_CONCAT"):
        return all(_string_valued(a) for a in expr["arg"])
    return False


def _string_keys(node: Any) -> set[str]:
    """The variables a select binds to a plain string (``BIND(LCASE(STR(?label)) AS ?key)``)."""
    keys: set[str] = set()
    if isinstance(node, CompValue):
        if node.name == "Extend" and _string_valued(node["expr"]):
            keys.add(str(node["var"]))
        for value in node.values():
            keys |= _string_keys(value)
    elif isinstance(node, list):
        for value in node:
            keys |= _string_keys(value)
    return keys


def _conditions(node: Any, string_keys: Collection[str] = ()) -> list[str]:
    """The ORDER BY conditions of a select, where ``STR(?key)`` of one of ``string_keys``
    reads as ``?key`` (it sorts the same: see ``_page_keys``)."""
    order = _below(node, "OrderBy")
    if order is None:
        return []
    out = []
    for c in order["expr"]:
        expr = c["expr"]
        arg = expr.get("arg") if getattr(expr, "name", None) == "Builtin_STR" else None
        if isinstance(arg, Variable) and str(arg) in string_keys:
            expr = arg
        out.append(repr((expr, c["order"])))
    return out


def _page_keys(page: Any, algebra: Any, variables: tuple[str, ...], source: str) -> tuple:
    """The columns that tell the page select's rows apart in the outer query's rows.

    The outer query looks up details of the page's rows and may repeat a row (a detail with
    several values), so a page is counted in page-select rows: those carry the projected
    variables both selects share. Its ORDER BY has to begin with the page select's, so that
    the rows of one page-select row stay together and in page order. Either may read a key
    the page select binds to a plain string as ``STR(?key)``: Virtuoso 7.2 did not sort again
    when the outer keys repeated the page select's, and returned the page out of order.
    """
    strings = _string_keys(page)
    inner = _conditions(page, strings)
    if not inner or _conditions(algebra, strings)[: len(inner)] != inner:
        raise QueryDefinitionError(
            f"{source}: the query's ORDER BY must begin with the ORDER BY of the select that "
            "holds the LIMIT"
        )
    project = _below(page, "Project")
    projected = {str(v) for v in project["PV"]} if project is not None else set()
    keys = tuple(v for v in variables if v in projected)
    if not keys:
        raise QueryDefinitionError(
            f"{source}: the query projects none of the variables of the select that holds "
            "the LIMIT, so its rows cannot be counted"
        )
    return keys


def _visible(text: str) -> tuple[str, list[int]]:
    """The text outside IRIs, strings and comments, and each character's index in ``text``."""
    positions = list(_scan(text))
    return "".join(c for _, c in positions), [i for i, _ in positions]


def _find_slice(node: Any) -> Any:
    """The one Slice node (LIMIT / OFFSET) of an rdflib algebra tree, or None."""
    if not isinstance(node, CompValue):
        return None
    if node.name == "Slice":
        return node
    for value in node.values():
        found = _find_slice(value)
        if found is not None:
            return found
    return None


def _page_slot(sparql: str, algebra: Any, source: str) -> tuple[int | None, int, tuple | None]:
    """``(page size, VALUES position, LIMIT span)`` of a query text (see ``query_text``).

    Without a LIMIT the VALUES block opens the WHERE group of the query. With one, it opens
    the WHERE group of the select that the LIMIT closes: the group whose ``}`` comes last
    before the LIMIT (only ORDER BY / GROUP BY / HAVING clauses lie between them).
    """
    visible, index = _visible(sparql)
    limits = list(_LIMIT_RE.finditer(visible))
    if _OFFSET_RE.search(visible):
        raise QueryDefinitionError(
            f"{source}: no OFFSET in a named query: the offset parameter sets it"
        )
    if not limits:
        m = _WHERE_RE.search(visible)
        brace = m.end() - 1 if m else visible.find("{")
        if brace < 0:
            raise QueryDefinitionError(f"{source}: the query has no WHERE group")
        return None, index[brace] + 1, None
    if len(limits) > 1:
        raise QueryDefinitionError(
            f"{source}: more than one LIMIT; a paged query has one (its default page size)"
        )
    limit = limits[0]
    size = int(limit[1])
    if not 1 <= size <= MAX_LIMIT:
        raise QueryDefinitionError(f"{source}: LIMIT {size}: a page holds 1 to {MAX_LIMIT} rows")
    node = _find_slice(algebra)
    if node is None or node.get("start", 0) or node.get("length") != size:
        raise QueryDefinitionError(f"{source}: cannot find the page select of LIMIT {size}")
    close = visible.rfind("}", 0, limit.start())
    depth, at = 0, close
    while at >= 0:
        if visible[at] == "}":
            depth += 1
        elif visible[at] == "{":
            depth -= 1
            if depth == 0:
                break
        at -= 1
    if close < 0 or at < 0:
        raise QueryDefinitionError(f"{source}: LIMIT {size} closes no group pattern")
    span = (index[limit.start()], index[limit.end() - 1] + 1)
    return size, index[at] + 1, span


_PARSE_LOCK = threading.Lock()


def prepareQuery(text: str) -> Query:  # noqa: N802 (rdflib's name)
    """rdflib's SPARQL parser (pyparsing) is not thread-safe: parse one query at a time."""
    with _PARSE_LOCK:
        return _prepare_unlocked(text)


# ---------------------------------------------------------------- the top-level rule

# Algebra nodes whose operands are all part of the top-level group.
_PASS_ALL = {
    "SelectQuery", "ConstructQuery", "AskQuery", "DescribeQuery", "Slice", "Project",
    "OrderBy", "Distinct", "Reduced", "Extend", "Filter", "Group", "AggregateJoin", "Join",
}  # fmt: skip
# Only the left operand is top-level (the right one is optional or subtracted).
_PASS_LEFT = {"LeftJoin", "Minus"}


def top_level_triple_variables(node: Any) -> set[str]:
    """Variables that occur in triple patterns of the top-level group of a query's algebra.

    Union branches, OPTIONAL and MINUS right-hand sides, GRAPH blocks and sub-selects (which
    rdflib wraps in ToMultiSet) do not count: bindings there mean different things to
    different engines (pitfall 3.2).
    """
    found: set[str] = set()
    if not isinstance(node, CompValue):
        return found
    if node.name == "BGP":
        for triple in node["triples"]:
            for term in (triple[0], triple[2], triple[1]):
                if isinstance(term, Variable):
                    found.add(str(term))
        return found
    if node.name in _PASS_ALL:
        for key in ("p", "p1", "p2"):
            if key in node:
                found |= top_level_triple_variables(node[key])
    elif node.name in _PASS_LEFT:
        found |= top_level_triple_variables(node["p1"])
    return found
