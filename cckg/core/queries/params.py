"""Parameter values of named queries: raw text -> bound RDF terms, paging, form choices."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from cckg.core import iris
from cckg.core.prefixes import PREFIXES
from cckg.core.queries.model import (
    ENUM_TYPES,
    MAX_LIMIT,
    PAGING_PARAMS,
    SCHEME_FILES,
    NamedQuery,
    Param,
    QueryParamError,
)
from cckg.core.resources import resource_dir
from cckg.core.settings import DEFAULT_BASE_IRI, ONTOLOGY_NS
from cckg.core.sparql_text import term_n3

ONTOLOGY_DIR = resource_dir("ontology")
_LANG_RE = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


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
            out[key] = URIRef(str(member))
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
        labels = [
            lbl
            for lbl in graph.objects(concept, SKOS.prefLabel)
            if isinstance(lbl, Literal) and lbl.language == "en"
        ]
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
CURIE_PREFIXES = PREFIXES


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


def parse_param_options(options: Iterable[str]) -> dict[str, str]:
    """``["k=v", …]`` (CLI ``--param``) -> dict; raises QueryParamError."""
    out: dict[str, str] = {}
    for item in options:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise QueryParamError(f"--param {item!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out
