"""SPARQL queries kept in ``queries/``: the registry, named queries with their ``#+`` headers,
parameters bound as RDF terms, paging, and result formats.

Header format (comment lines at the top of a named query's file, before the query text)::

    #+ title: Solutions by theme
    #+ description: Good practices tagged with a theme or with any narrower theme.
    #+ param: theme (theme) default=mobility — the theme, as a slug or a full IRI

``queries/README.md`` documents the header, the parameter types and paging.
"""

from cckg.core.queries.definition import (
    load_query,
    parse_header,
    prepareQuery,
    top_level_triple_variables,
)
from cckg.core.queries.model import (
    ENUM_TYPES,
    MAX_LIMIT,
    PAGING_PARAMS,
    PARAM_TYPES,
    RESERVED_PARAMS,
    SCHEME_FILES,
    NamedQuery,
    Param,
    QueryDefinitionError,
    QueryParamError,
    UnknownQueryError,
    without_comment_lines,
)
from cckg.core.queries.params import (
    CURIE_PREFIXES,
    bindings_for,
    coerce,
    enum_choices,
    enum_values,
    paging_for,
    parse_param_options,
    scheme_choices,
)
from cckg.core.queries.registry import (
    helper,
    helper_source,
    named_queries,
    names,
    queries_dir,
    resolve,
)
from cckg.core.queries.results import term_json, term_text, to_csv, to_json, to_table
from cckg.core.queries.run import Page, query_text, run, run_page

__all__ = [
    "CURIE_PREFIXES", "ENUM_TYPES", "MAX_LIMIT", "PAGING_PARAMS", "PARAM_TYPES",
    "RESERVED_PARAMS", "SCHEME_FILES", "NamedQuery", "Page", "Param", "QueryDefinitionError",
    "QueryParamError", "UnknownQueryError", "bindings_for", "coerce", "enum_choices",
    "enum_values", "helper", "helper_source", "load_query", "named_queries", "names",
    "paging_for", "parse_header", "parse_param_options", "prepareQuery", "query_text",
    "queries_dir", "resolve", "run", "run_page", "scheme_choices", "term_json", "term_text",
    "to_csv", "to_json", "to_table", "top_level_triple_variables", "without_comment_lines",
]  # fmt: skip
