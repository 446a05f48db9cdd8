"""An OpenAPI 3.0 description of the JSON API and the SPARQL protocol, at ``/openapi.json``.

Hand-written (the API is small) and used by the schemathesis fuzz test.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from cckg import __version__

bp = Blueprint("openapi", __name__)

_TEXT = {"type": "string", "maxLength": 2000}
_ERROR = {
    "description": "a short, clear error (never a traceback)",
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "text/plain": {"schema": {"type": "string"}},
    },
}
_SPARQL_RESULTS = {
    "description": "results (SPARQL JSON/XML/CSV/TSV, or RDF for CONSTRUCT/DESCRIBE)",
    "content": {
        t: {"schema": {}}
        for t in (
            "application/sparql-results+json",
            "application/sparql-results+xml",
            "text/csv",
            "text/tab-separated-values",
            "text/turtle",
            "application/n-triples",
            "text/html",
        )
    },
}
_TIMEOUT = {"type": "number", "minimum": 1, "maximum": 60}  # seconds
_ERRORS = {str(code): _ERROR for code in (400, 404, 406, 413, 415, 429, 503)}


def _param(name: str, description: str, schema: dict | None = None, **extra: Any) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or _TEXT,
        **extra,
    }


_JSON_OK = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
_ACCEPTED = {
    "description": "accepted: an e-mail asks the sender to confirm before anything goes further",
    "content": {"application/json": {"schema": {"type": "object"}}},
}
_LANG = {"type": "string", "maxLength": 20}


def _json_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _read_paths() -> dict[str, Any]:
    """Health, search and matching: GET only, nothing is written."""
    facets = [
        _param(f, f"filter by {f}")
        for f in ("kind", "theme", "country", "region", "status", "sdg", "year")
    ]
    return {
        "/health": {
            "get": {
                "summary": "liveness and store status",
                "responses": {"200": _JSON_OK, "503": _ERROR},
            }
        },
        "/api/search": {
            "get": {
                "summary": "full-text search with facets, ranked by words and meaning",
                "parameters": [
                    _param("q", "search words"),
                    _param("lang", "preferred label language", _LANG),
                    _param("page", "page number, from 1", {"type": "integer"}),
                    _param("page_size", "results per page, 1 to 100", {"type": "integer"}),
                    _param(
                        "sort",
                        "result order (default: relevance)",
                        {"type": "string", "enum": ["relevance", "newest", "city"]},
                    ),
                    _param(
                        "format",
                        "an event format slug, or 'geojson': every match with coordinates as a "
                        "GeoJSON FeatureCollection (then without page, page_size and sort)",
                    ),
                    *facets,
                ],
                "responses": {"200": _JSON_OK, **_ERRORS},
            }
        },
        "/api/match": {
            "get": {
                "summary": "rank solutions, institutions, practitioners and cities for a need",
                "parameters": [
                    _param("text", "the need, in words"),
                    _param("theme", "theme slug(s)", explode=True),
                    _param("city", "city name or id"),
                    _param("lang", "language code", _LANG),
                    _param("kind", "result kind(s)", explode=True),
                    _param("limit", "number of results", {"type": "integer"}),
                    _param("need", "IRI or slug of a stored need"),
                    _param("offer", "IRI or slug of a stored offer"),
                ],
                "responses": {"200": _JSON_OK, **_ERRORS},
            }
        },
        "/api/cities": {
            "get": {
                "summary": "city names for autocompletion (at least two characters)",
                "parameters": [_param("q", "the start of a city name")],
                "responses": {"200": _JSON_OK, **_ERRORS},
            }
        },
        "/api/outcomes": {
            "get": {
                "summary": "anonymous counts of introductions and how they went",
                "responses": {"200": _JSON_OK, **_ERRORS},
            }
        },
    }


def _mediation_paths() -> dict[str, Any]:
    """The public write routes: each answers 202 and waits for the sender's confirmation."""
    submission = _json_body(
        {
            "text": _TEXT,
            "city": _TEXT,
            "name": _TEXT,
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "consent": {"type": "boolean"},
            "themes": {"type": "array", "items": _TEXT, "maxItems": 10},
            "languages": {"type": "array", "items": _LANG},
            "institution": _TEXT,
        },
        ["text", "city", "name", "email", "consent"],
    )
    introduction = _json_body(
        {
            "counterpart": _TEXT,
            "need": _TEXT,
            "need_text": _TEXT,
            "name": _TEXT,
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "institution": _TEXT,
            "consent": {"type": "boolean"},
        },
        ["counterpart", "consent"],
    )
    write_errors = {"202": _ACCEPTED, **_ERRORS}
    return {
        "/api/needs": {"post": {"summary": "submit a need", "requestBody": submission,
                                "responses": write_errors}},
        "/api/offers": {"post": {"summary": "submit an offer", "requestBody": submission,
                                 "responses": write_errors}},
        "/api/introductions": {
            "post": {
                "summary": "ask to be introduced to a solution's, institution's or offer's people",
                "requestBody": introduction,
                "responses": write_errors,
            }
        },
    }  # fmt: skip


def _sparql_paths() -> dict[str, Any]:
    """The SPARQL 1.1 Protocol (query only; updates need the admin token and are not listed)."""
    return {
        "/sparql": {
            "get": {
                "summary": "SPARQL 1.1 Protocol query via GET",
                "parameters": [
                    _param("query", "a SPARQL 1.1 query (without it: the service description)"),
                    _param("default-graph-uri", "dataset: default graph", explode=True),
                    _param("named-graph-uri", "dataset: named graph", explode=True),
                    _param("timeout", "seconds (at most the server's limit)", _TIMEOUT),
                ],
                "responses": {"200": _SPARQL_RESULTS, **_ERRORS},
            },
            "post": {
                "summary": "SPARQL 1.1 Protocol query via POST (form or direct)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"query": _TEXT, "timeout": _TIMEOUT},
                                "required": ["query"],
                            }
                        },
                        "application/sparql-query": {"schema": _TEXT},
                    },
                },
                "responses": {"200": _SPARQL_RESULTS, **_ERRORS},
            },
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a plain dict)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Connective Cities Knowledge Graph API", "version": __version__},
        "paths": {**_read_paths(), **_mediation_paths(), **_sparql_paths()},
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())
