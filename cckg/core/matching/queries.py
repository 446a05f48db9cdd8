"""Reading the store for matching: the text of the ``queries/match/*.rq`` queries, list
parameters as inline ``VALUES`` rows, running a query to rows of plain strings, and the small
helpers that pick values out of those rows and of the properties read hop by hop (``Props``).

Parameters reach the queries as bound RDF terms: single values through the store's
``bindings``, lists (the need's themes, its words) as inline ``VALUES`` rows serialised with
``term_n3`` (pitfall 3.1: never plain string formatting).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyoxigraph as ox
from rdflib.term import Node

from cckg.core import queries
from cckg.core.matching.model import CountryInfo, Props, Value, Values
from cckg.core.sparql_text import _where_group_start, term_n3
from cckg.core.store import Store


@functools.cache
def query_text(name: str) -> str:
    """The text of ``queries/match/NAME.rq``, from the query registry."""
    return queries.helper(f"match/{name}")


def with_rows(query: str, variables: Sequence[str], rows: Iterable[Sequence[Node | None]]) -> str:
    """``query`` with ``VALUES (?a ?b) { (t1 t2) ... }`` opening its WHERE group.

    The store's ``bindings`` carry one row; list parameters need many. Each term goes through
    ``term_n3`` (safe IRIs, escaped literals); ``None`` becomes ``UNDEF``.
    """
    names = " ".join(f"?{v}" for v in variables)
    body = " ".join(
        "(" + " ".join("UNDEF" if t is None else term_n3(t) for t in row) + ")" for row in rows
    )
    at = _where_group_start(query)
    return f"{query[:at]} VALUES ({names}) {{ {body} }} {query[at:]}"


class Text(str):
    """A literal's lexical form that keeps its language tag (labels are chosen by it)."""

    language: str | None = None


def _from_oxigraph(term: Any) -> Value:
    if isinstance(term, ox.Literal) and term.language:
        text = Text(term.value)
        text.language = term.language
        return text
    return term.value


def run(
    store: Store,
    name: str,
    rows: Mapping[str, Sequence[Node | None]] | None = None,
    bindings: Mapping[str, Node] | None = None,
) -> list[Values]:
    """Run one matching query: ``rows`` maps each list variable to its values (one column).

    Values come back as strings: comparing and hashing them is all matching does, and the
    rdflib terms ``Store.select`` makes cost more than the query itself on large results, so
    the store hands over pyoxigraph terms (``select_terms``).
    """
    text = query_text(name)
    if rows:
        variables = list(rows)
        text = with_rows(text, variables, zip(*(rows[v] for v in variables), strict=True))
    return [
        {k: _from_oxigraph(v) for k, v in row.items()}
        for row in store.select_terms(text, bindings, dataset="public")
    ]


# ---------------------------------------------------------------- values of rows and Props


def text_of(row: Values, key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


def number_of(row: Values, key: str) -> int | None:
    """A number of a row; None when absent, empty or not a number (decimals are cut)."""
    value = row.get(key)
    if value is None or str(value) == "":
        return None
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def language_of(row: Values, key: str) -> str:
    """The language tag of a row's literal ("" when it has none)."""
    value = row.get(key)
    return (getattr(value, "language", None) or "") if value is not None else ""


def int_of(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def is_true(value: object) -> bool:
    """A computed boolean of a row (``BIND(EXISTS {…} AS ?flag)``): ``true``, or ``1`` from
    Virtuoso, which answers computed booleans as the integers 1 and 0."""
    return value is not None and str(value) in ("true", "1")


def values_of(props: Props, resource: object, key: str) -> Sequence[Value]:
    return props.get(str(resource), {}).get(key, [])


def first_of(facts: Mapping[str, Sequence[Value]], key: str) -> str | None:
    values = facts.get(key, ())
    return str(values[0]) if values else None


def objects(props: Props, resources: Iterable[str], *keys: str) -> set[str]:
    return {str(o) for r in resources for k in keys for o in values_of(props, r, k)}


def codes_of(languages: Iterable[Value]) -> set[str]:
    """ISO 639-1 codes of language IRIs (their last segment)."""
    return {str(lang).rsplit("/", 1)[-1] for lang in languages}


def label_of(props: Props, resource: str, key: str = "label") -> str:
    """The English (or untagged) label of a resource already read, else its slug."""
    labels = values_of(props, resource, key)
    for wanted in ("en", None, ""):
        for text in labels:
            if (getattr(text, "language", None) or None) == (wanted or None):
                return str(text)
    return str(labels[0]) if labels else resource.rsplit("/", 1)[-1]


def country_info(props: Props, country: str) -> CountryInfo:
    """Label, region and official languages of a country whose properties were read."""
    region = first_of(props.get(country, {}), "region")
    return CountryInfo(
        label=label_of(props, country),
        region=region,
        region_label=label_of(props, region, "prefLabel") if region else None,
        languages=codes_of(values_of(props, country, "language")),
    )
