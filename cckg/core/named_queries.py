"""Named SPARQL queries: one ``queries/NAME.rq`` file per query, with a ``#+`` header.

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

import csv
import io
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import SKOS, XSD
from rdflib.plugins.sparql import prepareQuery as _prepare_unlocked  # noqa: N813
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from cckg.core import iris
from cckg.core.resources import resource_dir
from cckg.core.settings import DEFAULT_BASE_IRI, ONTOLOGY_NS
from cckg.core.sparql_text import _scan, term_n3

QUERIES_DIR = resource_dir("queries")
INTERNAL_DIR = QUERIES_DIR / "internal"
ONTOLOGY_DIR = resource_dir("ontology")

# Ontology enumerations: parameter type -> class whose named individuals are the values.
ENUM_TYPES = {
    "status": "SolutionStatus",
    "event-format": "EventFormat",
    "institution-kind": "InstitutionKind",
}
# Kinds whose slugs are checked against a scheme file (the others only by syntax).
SCHEME_FILES = {"theme": "themes.ttl", "region": "regions.ttl"}
PARAM_TYPES = ("iri", "literal", "integer", "sdg", "language", *iris.KINDS, *ENUM_TYPES)

_HEADER_RE = re.compile(r"^#\+\s*(?P<key>[a-z]+)\s*:\s*(?P<value>.*?)\s*$")
_PARAM_RE = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+\((?P<type>[a-z0-9-]+)\)"
    r"(?P<flags>(?:\s+(?:default=(?:\"[^\"]*\"(?:@[A-Za-z0-9-]+)?|\S+)|required))*)"
    r"\s+(?:—|--)\s+(?P<description>.+)$"
)
_FLAG_RE = re.compile(
    r"default=(?P<default>\"[^\"]*\"(?:@[A-Za-z0-9-]+)?|\S+)|(?P<required>required)"
)
_LANG_RE = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
# Query-string names the web pages use for themselves (``/queries/NAME?format=csv``).
RESERVED_PARAMS = frozenset({"format", "_mediatype"})
# Names of the paging parameters of paged queries (no query may declare them).
PAGING_PARAMS = ("limit", "offset")
MAX_LIMIT = 1000  # the largest page
_LIMIT_RE = re.compile(r"(?<![\w?$])LIMIT\s+(\d+)(?![\w])", re.IGNORECASE)
_OFFSET_RE = re.compile(r"(?<![\w?$])OFFSET(?![\w])", re.IGNORECASE)
_WHERE_RE = re.compile(r"(?<![\w?$])WHERE\s*\{", re.IGNORECASE)


class QueryDefinitionError(ValueError):
    """A query file is malformed: bad header, SPARQL syntax, or a parameter breaking the rules."""


class UnknownQueryError(LookupError):
    """No named query of that name."""


class QueryParamError(ValueError):
    """A parameter value that does not fit its declared type (HTTP 400, exit code 2).

    ``param`` names the parameter when the error is about one.
    """

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str
    default: str | None = None
    required: bool = False


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    title: str
    description: str
    params: tuple[Param, ...]
    text: str  # the file, header included (shown to users)
    variables: tuple[str, ...]  # projected variables, in SELECT order
    page_size: int | None = None  # the default LIMIT of a paged query; None: not paged
    # Character positions in ``sparql``: where the VALUES block goes, and the span of the
    # page select's ``LIMIT n`` (see ``query_text``).
    values_at: int = 0
    limit_span: tuple[int, int] | None = None
    # When the LIMIT is in a sub-select: the output columns that identify its rows.
    page_keys: tuple[str, ...] | None = None

    @property
    def sparql(self) -> str:
        """The text that is run: without comment lines (see ``without_comment_lines``)."""
        return without_comment_lines(self.text)

    @property
    def paged(self) -> bool:
        return self.page_size is not None

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


# ---------------------------------------------------------------- loading


def without_comment_lines(text: str) -> str:
    """The query without its whole-line ``#`` comments.

    SPARQLWrapper (the remote backend) guesses the query form by searching the text for
    keywords; its comment filter skips every second consecutive comment line, so a header
    word like "loaded" or "address" made it send a SELECT as an update (LOAD, ADD).
    Our query files have no multi-line string literals, so a line starting with ``#`` is
    always a comment.
    """
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


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


def _conditions(node: Any) -> list[str]:
    order = _below(node, "OrderBy")
    return [] if order is None else [repr((c["expr"], c["order"])) for c in order["expr"]]


def _page_keys(page: Any, algebra: Any, variables: tuple[str, ...], source: str) -> tuple:
    """The columns that tell the page select's rows apart in the outer query's rows.

    The outer query looks up details of the page's rows and may repeat a row (a detail with
    several values), so a page is counted in page-select rows: those carry the projected
    variables both selects share. Its ORDER BY has to begin with the page select's, so that
    the rows of one page-select row stay together and in page order.
    """
    inner = _conditions(page)
    if not inner or _conditions(algebra)[: len(inner)] != inner:
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


def load_queries(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """Every ``*.rq`` directly in ``directory`` (not ``internal/``), keyed by file stem."""
    return {p.stem: load_query(p) for p in sorted(directory.glob("*.rq"))}


def resolve(name_or_path: str, directory: Path = QUERIES_DIR) -> NamedQuery:
    """The named query ``directory/NAME.rq``, or a ``.rq`` file given by path.

    Raises UnknownQueryError (listing the known names) or QueryDefinitionError.
    """
    if re.fullmatch(r"[A-Za-z0-9_-]+", name_or_path):
        candidate = directory / f"{name_or_path}.rq"
        if candidate.is_file():
            return load_query(candidate)
    path = Path(name_or_path)
    if path.suffix == ".rq" and path.is_file():
        return load_query(path)
    known = ", ".join(sorted(p.stem for p in directory.glob("*.rq"))) or "(none)"
    raise UnknownQueryError(f"no query named {name_or_path!r}; known queries: {known}")


_PARSE_LOCK = threading.Lock()


def prepareQuery(text: str):  # noqa: N802 (rdflib's name)
    """rdflib's SPARQL parser (pyparsing) is not thread-safe: parse one query at a time."""
    with _PARSE_LOCK:
        return _prepare_unlocked(text)


@cache
def internal_query(name: str) -> str:
    """The text of ``queries/internal/NAME.rq`` (helpers of the web app), parsed once."""
    path = INTERNAL_DIR / f"{name}.rq"
    text = without_comment_lines(path.read_text(encoding="utf-8"))
    try:
        prepareQuery(text)
    except Exception as e:
        raise QueryDefinitionError(f"{path}: SPARQL syntax error: {e}") from e
    return text


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


# ---------------------------------------------------------------- parameters


@cache
def _scheme_slugs(kind: str) -> frozenset[str]:
    graph = Graph().parse(ONTOLOGY_DIR / SCHEME_FILES[kind], format="turtle")
    prefix = f"{DEFAULT_BASE_IRI}id/{kind}/"
    return frozenset(str(s)[len(prefix) :] for s in graph.subjects() if str(s).startswith(prefix))


@cache
def enum_values(param_type: str) -> dict[str, URIRef]:
    """Accepted spellings -> IRI for an enumeration type (``implemented`` -> cckg:Implemented)."""
    graph = Graph().parse(ONTOLOGY_DIR / "cckg.ttl", format="turtle")
    cls = URIRef(ONTOLOGY_NS + ENUM_TYPES[param_type])
    out: dict[str, URIRef] = {}
    for member in graph.subjects(RDF.type, cls):
        local = str(member)[len(ONTOLOGY_NS) :]
        kebab = re.sub(r"(?<=[a-z])(?=[A-Z])", "-", local).lower()  # CityAdministration -> city-…
        for key in (local, local.lower(), kebab, f"cckg:{local}", str(member)):
            out[key] = URIRef(member)
    return out


def enum_choices(param_type: str) -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a form's select box, e.g. ``("implemented", "Implemented")``."""
    graph = Graph().parse(ONTOLOGY_DIR / "cckg.ttl", format="turtle")
    cls = URIRef(ONTOLOGY_NS + ENUM_TYPES[param_type])
    choices = []
    for member in graph.subjects(RDF.type, cls):
        local = str(member)[len(ONTOLOGY_NS) :]
        kebab = re.sub(r"(?<=[a-z])(?=[A-Z])", "-", local).lower()
        label = graph.value(member, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
        choices.append((kebab, str(label or local)))
    return sorted(choices, key=lambda c: c[1].lower())


def scheme_choices(kind: str) -> list[tuple[str, str]]:
    """``(slug, English label)`` pairs of the theme or region scheme, for a select box."""
    graph = Graph().parse(ONTOLOGY_DIR / SCHEME_FILES[kind], format="turtle")
    prefix = f"{DEFAULT_BASE_IRI}id/{kind}/"
    choices = []
    for concept in set(graph.subjects(SKOS.prefLabel, None)):
        if not str(concept).startswith(prefix):
            continue
        labels = [lbl for lbl in graph.objects(concept, SKOS.prefLabel) if lbl.language == "en"]
        choices.append((str(concept)[len(prefix) :], str(labels[0]) if labels else ""))
    return sorted(choices, key=lambda c: c[1].lower())


def coerce(param: Param, raw: str, base: str = DEFAULT_BASE_IRI) -> Node:
    """The rdflib term for one raw parameter value; raises QueryParamError."""
    value = raw.strip()
    if not value:
        raise QueryParamError(f"parameter {param.name!r}: empty value")
    try:
        return _coerce(param.type, value, base)
    except QueryParamError as e:
        raise QueryParamError(f"parameter {param.name!r} ({param.type}): {e}") from None
    except ValueError as e:  # raised by cckg.core.iris helpers
        raise QueryParamError(f"parameter {param.name!r} ({param.type}): {e}") from None


def _coerce(kind: str, value: str, base: str) -> Node:
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d{1,18}", value):
            raise QueryParamError(f"{value!r} is not a whole number")
        return Literal(int(value))
    if kind == "literal":
        m = re.fullmatch(r'"(?P<q>[^"]*)"(?:@(?P<ql>.+))?|(?P<t>.*?)(?:@(?P<tl>[^@\s]+))?', value)
        assert m is not None  # the second alternative matches any text
        text = m["q"] if m["q"] is not None else m["t"]
        lang = m["ql"] or m["tl"]
        if lang and not _LANG_RE.match(lang):
            if m["q"] is not None:
                raise QueryParamError(f"{lang!r} is not a language tag")
            text, lang = value, None  # e.g. an e-mail address: the whole value is the text
        return Literal(text, lang=lang) if lang else Literal(text)
    if kind == "iri":
        return _checked_iri(value)
    if kind == "sdg":
        if value.startswith(("http://", "https://")):
            iri = _checked_iri(value)
            if not re.fullmatch(r"http://metadata\.un\.org/sdg/(?:[1-9]|1[0-7])", str(iri)):
                raise QueryParamError(f"{value!r} is not an SDG IRI http://metadata.un.org/sdg/N")
            return iri
        if not value.isdigit():
            raise QueryParamError(f"{value!r} is not a goal number 1-17")
        return iris.sdg(int(value))
    if kind == "language":
        if value.startswith(("http://", "https://")):
            return _checked_iri(value)
        return iris.language(value.lower())
    if kind in ENUM_TYPES:
        values = enum_values(kind)
        if value in values:
            return values[value]
        if value.lower() in values:
            return values[value.lower()]
        names = sorted({k for k in values if re.fullmatch(r"[a-z-]+", k)})
        raise QueryParamError(f"{value!r} is not one of {', '.join(names)}")
    if kind in iris.KINDS:
        if value.startswith(("http://", "https://")):
            parts = iris.split(value, base)
            if parts is None or parts[0] != kind:
                raise QueryParamError(f"{value!r} is not a {kind} IRI {base}id/{kind}/…")
            slug = parts[1]
        else:
            slug = value.lower() if kind == "country" else value
        if kind in SCHEME_FILES and slug not in _scheme_slugs(kind):
            raise QueryParamError(f"unknown {kind} {slug!r}")
        return iris.thing(kind, slug, base)
    raise QueryParamError(f"unknown type {kind!r}")  # parse_header prevents this


# Prefixes an ``iri`` parameter may use instead of the full IRI (``cckg:Solution``).
CURIE_PREFIXES = {
    "cckg": ONTOLOGY_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "geo": "http://www.opengis.net/ont/geosparql#",
}


def _checked_iri(value: str) -> URIRef:
    prefix, sep, local = value.partition(":")
    if sep and prefix in CURIE_PREFIXES and not local.startswith("//"):
        value = CURIE_PREFIXES[prefix] + local
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        raise QueryParamError(f"{value!r} is not an absolute IRI")
    iri = URIRef(value)
    try:
        term_n3(iri)
    except ValueError as e:
        raise QueryParamError(str(e)) from None
    return iri


def bindings_for(
    query: NamedQuery, raw: Mapping[str, str | None], base: str = DEFAULT_BASE_IRI
) -> dict[str, Node]:
    """Bound terms for a run; unknown names are errors (``limit`` and ``offset`` are paging).

    A parameter that is not given takes its default; one given with an empty value (or without
    a default) stays unbound and matches anything, unless it is ``required``.
    """
    unknown = sorted(set(raw) - {p.name for p in query.params} - set(PAGING_PARAMS))
    if unknown:
        declared = ", ".join(p.name for p in query.params) or "none"
        raise QueryParamError(
            f"unknown parameter(s) {', '.join(unknown)} for query {query.name!r}; "
            f"it takes: {declared}",
            unknown[0],
        )
    out: dict[str, Node] = {}
    for p in query.params:
        value = raw.get(p.name)
        if value is None:  # not given: the default
            value = p.default
        if value is None or not value.strip():  # no default, or given empty: "any"
            if p.required:
                raise QueryParamError(f"parameter {p.name!r} is required", p.name)
            continue  # unbound: matches anything
        try:
            out[p.name] = coerce(p, value, base)
        except QueryParamError as e:
            raise QueryParamError(str(e), p.name) from None
    return out


def paging_for(query: NamedQuery, raw: Mapping[str, str | None]) -> tuple[int | None, int]:
    """``(limit, offset)`` of a run: the page size when ``limit`` is not given (or empty),
    offset 0 likewise; ``(None, 0)`` for a query that is not paged (which takes neither)."""
    if query.page_size is None:
        for name in PAGING_PARAMS:
            if (raw.get(name) or "").strip():
                raise QueryParamError(
                    f"parameter {name!r}: query {query.name!r} is not paged; "
                    "it always returns all its rows",
                    name,
                )
        return None, 0
    limit = _whole(raw.get("limit"), "limit", query.page_size, 1, MAX_LIMIT)
    offset = _whole(raw.get("offset"), "offset", 0, 0, 10**12)
    return limit, offset


def _whole(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    value = (raw or "").strip()
    if not value:
        return default
    if not re.fullmatch(r"[+-]?\d{1,18}", value):
        raise QueryParamError(f"parameter {name!r}: {value!r} is not a whole number", name)
    number = int(value)
    if not low <= number <= high:
        raise QueryParamError(
            f"parameter {name!r}: {number} is out of range; expected {low} to {high:,}"
            + (" (the largest page)" if name == "limit" else ""),
            name,
        )
    return number


def _values_block(bindings: Mapping[str, Node]) -> str:
    names = sorted(bindings)
    row = " ".join(term_n3(bindings[n]) for n in names)  # refuses anything but safe terms
    return f" VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }} "


def query_text(
    query: NamedQuery, bindings: Mapping[str, Node], limit: int | None = None, offset: int = 0
) -> str:
    """The text a run sends to the store.

    ``bindings`` become an inline VALUES block opening the WHERE group of the page select (of
    the query when it is not paged); a paged query's ``LIMIT`` becomes ``LIMIT limit OFFSET
    offset``. Values and numbers are serialised by this module, never taken from user text.
    """
    text = query.sparql
    edits: list[tuple[int, int, str]] = []
    if bindings:
        edits.append((query.values_at, query.values_at, _values_block(bindings)))
    if query.limit_span is not None and limit is not None:
        if not (isinstance(limit, int) and isinstance(offset, int) and limit >= 1 and offset >= 0):
            raise QueryParamError("limit must be a whole number ≥ 1 and offset one ≥ 0")
        clause = f"LIMIT {limit:d}" + (f" OFFSET {offset:d}" if offset else "")
        edits.append((*query.limit_span, clause))
    for start, end, insert in sorted(edits, reverse=True):
        text = text[:start] + insert + text[end:]
    return text


@dataclass(frozen=True)
class Page:
    """One run of a named query: its bound terms, its rows and where they stand."""

    bindings: dict[str, Node]
    rows: list[dict[str, Node]]
    limit: int | None  # None: not paged, all rows
    offset: int
    more: bool  # a next page exists

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page (``offset + limit``), or None on the last page."""
        return self.offset + self.limit if self.more and self.limit else None


def run_page(store: Any, query: NamedQuery, raw: Mapping[str, str | None]) -> Page:
    """Run a named query on the public dataset: one page of a paged query, else every row.

    The store is asked for ``limit + 1`` rows, to tell whether a next page exists.
    """
    bindings = bindings_for(query, raw, getattr(store, "base_iri", DEFAULT_BASE_IRI))
    limit, offset = paging_for(query, raw)
    text = query_text(query, bindings, None if limit is None else limit + 1, offset)
    rows = store.select(text, None, dataset="public")
    if limit is None:
        return Page(bindings, rows, None, 0, False)
    if query.page_keys is None:
        return Page(bindings, rows[:limit], limit, offset, len(rows) > limit)
    seen: set[tuple] = set()
    for at, row in enumerate(rows):  # rows of one page-select row are adjacent (_page_keys)
        key = tuple(row.get(v) for v in query.page_keys)
        if key not in seen:
            if len(seen) == limit:
                return Page(bindings, rows[:at], limit, offset, True)
            seen.add(key)
    return Page(bindings, rows, limit, offset, False)


def run(
    store: Any, query: NamedQuery, raw: Mapping[str, str | None]
) -> tuple[dict[str, Node], list[dict[str, Node]]]:
    """Run a named query on the public dataset: ``(bindings used, rows)`` (one page when it
    is paged: see ``run_page``)."""
    page = run_page(store, query, raw)
    return page.bindings, page.rows


def parse_param_options(options: Iterable[str]) -> dict[str, str]:
    """``["k=v", …]`` (CLI ``--param``) -> dict; raises QueryParamError."""
    out: dict[str, str] = {}
    for item in options:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise QueryParamError(f"--param {item!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


# ---------------------------------------------------------------- results


def term_text(term: Node | None) -> str:
    """Plain text of a term, as in SPARQL CSV results."""
    return "" if term is None else str(term)


def to_csv(variables: Sequence[str], rows: Iterable[Mapping[str, Node]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180, as SPARQL 1.1 CSV results
    writer.writerow(variables)
    for row in rows:
        writer.writerow([term_text(row.get(v)) for v in variables])
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
