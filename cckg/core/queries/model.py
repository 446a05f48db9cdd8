"""What a named query is: its header, parameters and where paging applies; the errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cckg.core import iris

# Ontology enumerations: parameter type -> class whose named individuals are the values.
ENUM_TYPES = {
    "status": "SolutionStatus",
    "event-format": "EventFormat",
    "institution-kind": "InstitutionKind",
}
# Kinds whose slugs are checked against a scheme file (the others only by syntax).
SCHEME_FILES = {"theme": "themes.ttl", "region": "regions.ttl"}
PARAM_TYPES = ("iri", "literal", "integer", "sdg", "language", *iris.KINDS, *ENUM_TYPES)
# Query-string names the web pages use for themselves (``/queries/NAME?format=csv``).
RESERVED_PARAMS = frozenset({"format", "_mediatype", "release"})
# Names of the paging parameters of paged queries (no query may declare them).
PAGING_PARAMS = ("limit", "offset")
MAX_LIMIT = 1000  # the largest page


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


def without_comment_lines(text: str) -> str:
    """The query without its whole-line ``#`` comments.

    SPARQLWrapper (the remote backend) guesses the query form by searching the text for
    keywords; its comment filter skips every second consecutive comment line, so a header
    word like "loaded" or "address" made it send a SELECT as an update (LOAD, ADD).
    Our query files have no multi-line string literals, so a line starting with ``#`` is
    always a comment.
    """
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
