"""Content negotiation for linked-data responses: one URL, several representations.

The media type comes from ``?_mediatype=`` when given, else from the ``Accept`` header parsed by
Werkzeug (pitfall 3.7: never split headers by hand). Responses carry ``Vary: Accept``, a
``Content-Location`` naming the representation's own URL and ``Link`` headers to the alternates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request
from rdflib import Graph
from werkzeug.exceptions import NotAcceptable

from cckg.webapp.jsonld import Compactor

HTML = "text/html"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
NTRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Representation:
    media_type: str
    title: str  # for "view as" links
    rdflib_format: str | None  # None: not an RDF serialisation (HTML)
    extension: str


REPRESENTATIONS: tuple[Representation, ...] = (
    Representation(HTML, "HTML", None, "html"),
    Representation(TURTLE, "Turtle", "turtle", "ttl"),
    Representation(JSONLD, "JSON-LD", "json-ld", "jsonld"),
    Representation(RDFXML, "RDF/XML", "xml", "rdf"),
    Representation(NTRIPLES, "N-Triples", "nt", "nt"),
)
RDF_REPRESENTATIONS = tuple(r for r in REPRESENTATIONS if r.rdflib_format)
BY_TYPE = {r.media_type: r for r in REPRESENTATIONS}
# Other names clients use for the same formats; the response is labelled with the canonical one,
# except plain JSON, which gets JSON-LD labelled as the application/json it asked for.
ALIASES = {
    "application/x-turtle": TURTLE,
    "application/json": JSONLD,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
    "text/plain": NTRIPLES,  # the historical N-Triples type
    "application/xhtml+xml": HTML,
}


@dataclass(frozen=True)
class Choice:
    representation: Representation
    content_type: str  # what the Content-Type header says
    explicit: bool  # chosen by ?_mediatype= rather than by Accept


def supported_types(offered: Sequence[Representation]) -> list[str]:
    return [r.media_type for r in offered]


def negotiate(offered: Sequence[Representation] = REPRESENTATIONS) -> Choice:
    """The representation to send; raises 406 (listing the supported types) when none fits."""
    by_type = {r.media_type: r for r in offered}
    wanted = request.args.get("_mediatype")
    if wanted is not None:
        # A literal '+' in a query string decodes to a space ("application/ld json").
        media_type = wanted.strip().replace(" ", "+").split(";")[0].strip().lower()
        canonical = ALIASES.get(media_type, media_type)
        if canonical in by_type:
            content_type = media_type if media_type == "application/json" else canonical
            return Choice(by_type[canonical], content_type, True)
        raise _not_acceptable(offered, f"_mediatype={wanted!r} is not supported")
    candidates = [r.media_type for r in offered]
    candidates += [a for a, target in ALIASES.items() if target in by_type]
    accept = request.accept_mimetypes
    # No Accept header means "anything" (RFC 9110 12.5.1); Werkzeug then matches nothing.
    best = accept.best_match(candidates) if accept else candidates[0]
    if best is None:
        raise _not_acceptable(offered, "none of the types in the Accept header is available")
    canonical = ALIASES.get(best, best)
    content_type = best if best == "application/json" else canonical
    return Choice(by_type[canonical], content_type, False)


def _not_acceptable(offered: Sequence[Representation], why: str) -> NotAcceptable:
    types = ", ".join(supported_types(offered))
    return NotAcceptable(f"{why}. Supported media types: {types}.")


def representation_url(path: str, media_type: str) -> str:
    """The URL of one representation, e.g. ``/id/solution/x?_mediatype=text/turtle``."""
    return f"{path}?_mediatype={quote(media_type, safe='/')}"


def alternates(path: str, offered: Sequence[Representation]) -> list[tuple[Representation, str]]:
    return [(r, representation_url(path, r.media_type)) for r in offered]


def decorate(
    response: Response,
    choice: Choice,
    path: str,
    offered: Sequence[Representation] = REPRESENTATIONS,
    canonical: str | None = None,
) -> Response:
    """Add Vary, Content-Location and Link headers (and CORS for RDF) to a response."""
    response.vary.add("Accept")
    response.headers["Content-Location"] = representation_url(
        path, choice.representation.media_type
    )
    links = [
        f'<{url}>; rel="alternate"; type="{r.media_type}"'
        for r, url in alternates(path, offered)
        if r is not choice.representation
    ]
    if canonical:
        links.insert(0, f'<{canonical}>; rel="canonical"')
    response.headers["Link"] = ", ".join(links)
    if choice.representation.rdflib_format:
        origin = current_app.config.get("CCKG_LD_CORS_ORIGIN", "*")
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
    return response


def serialize(
    graph: Graph,
    choice: Choice,
    context_url: str,
    context: dict[str, Any],
    main: str | None = None,
) -> bytes:
    """The graph in the chosen RDF format; JSON-LD is compacted with the published context."""
    fmt = choice.representation.rdflib_format
    if fmt is None:  # the callers serve HTML themselves
        raise ValueError(f"{choice.representation.media_type} is not an RDF serialisation")
    if fmt == "json-ld":
        return jsonld_bytes(graph, context_url, context, main)
    if fmt == "turtle":
        for prefix, ns in prefixes(context).items():
            graph.bind(prefix, ns, override=True, replace=True)
    data = graph.serialize(format=fmt, encoding="utf-8")
    return data


def prefixes(context: dict[str, Any]) -> dict[str, str]:
    """The namespace prefixes a JSON-LD context defines (term -> IRI ending in / or #)."""
    return {
        k: v
        for k, v in context["@context"].items()
        if isinstance(v, str) and v.endswith(("/", "#"))
    }


def jsonld_bytes(
    graph: Graph, context_url: str, context: dict[str, Any], main: str | None = None
) -> bytes:
    """Compact JSON-LD whose ``@context`` is the URL of the published context (``main`` first)."""
    doc = Compactor(context).document(graph, context_url, main)
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
