"""The named queries of ``queries/`` as web pages: a gallery and one form per query.

``/queries/{name}`` runs the query with the parameters of the query string (defaults for the
rest) and answers with an HTML form and table, or with SPARQL 1.1 CSV / JSON results
(``?format=csv|json`` or ``Accept: text/csv`` / ``application/sparql-results+json``).
Parameter values are coerced into RDF terms and bound, never pasted into the query text.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from rdflib import Literal, URIRef
from rdflib.term import Node

from cckg.core import queries as nq
from cckg.core.release import ReleaseError
from cckg.core.store import Row
from cckg.webapp.errors import WebError
from cckg.webapp.linked import local_href, short_iri
from cckg.webapp.store import QueryLimitError, get_store, limited_select
from cckg.webapp.versions import release_store

bp = Blueprint("queries", __name__)

HTML = "text/html"
CSV = "text/csv"
SPARQL_JSON = "application/sparql-results+json"
JSON = "application/json"
FORMATS = {"html": HTML, "csv": CSV, "json": SPARQL_JSON}
_lock = threading.Lock()
RELEASE = "release"  # ?release=VERSION: run on that release's dumps (cckg.webapp.versions)


def queries(app: Flask | None = None) -> dict[str, nq.NamedQuery]:
    """The named queries of the registry (parsed once per process; a broken file fails the
    first call)."""
    return nq.named_queries()


@bp.record_once
def _preload(state: Any) -> None:
    # Fail fast: a broken query file stops `cckg serve` at start-up. Test apps load lazily.
    if not state.app.testing:
        queries(state.app)


def _output_type() -> str:
    chosen = request.args.get("format")
    if chosen is not None:
        if chosen not in FORMATS:
            abort(400, description=f"format={chosen!r}: expected one of {', '.join(FORMATS)}")
        return FORMATS[chosen]
    accept = request.accept_mimetypes
    best = accept.best_match([HTML, CSV, SPARQL_JSON, JSON]) if accept else HTML
    if best is None:
        abort(406, description=f"Supported media types: {HTML}, {CSV}, {SPARQL_JSON}, {JSON}.")
    return best


@dataclass
class Field:
    param: nq.Param
    value: str
    choices: list[tuple[str, str]] | None  # (value, label) for a select box
    placeholder: str


PLACEHOLDERS = {
    "iri": "a full IRI or cckg:Term",
    "literal": "text, or text@lang",
    "integer": "a whole number",
    "sdg": "1-17",
    "language": "ISO 639-1 code, e.g. en",
    "country": "ISO code, e.g. DE",
    "city": "GeoNames id or slug",
}


def _fields(query: nq.NamedQuery, raw: dict[str, str]) -> list[Field]:
    fields = []
    for p in query.params:
        choices = None
        if p.type in nq.ENUM_TYPES:
            choices = nq.enum_choices(p.type)
        elif p.type in nq.SCHEME_FILES:
            choices = nq.scheme_choices(p.type)
        value = raw.get(p.name, p.default or "")
        placeholder = PLACEHOLDERS.get(p.type, f"{p.type} slug or IRI")
        fields.append(Field(p, value, choices, placeholder))
    return fields


@dataclass
class Cell:
    text: str
    href: str | None = None
    title: str | None = None


def _cells(variables: tuple[str, ...], row: Mapping[str, Node], base: str) -> list[Cell]:
    """Table cells; an IRI column ``x`` next to an ``xLabel`` column shows the label as link."""
    cells = []
    for v in variables:
        term = row.get(v)
        if term is None:
            cells.append(Cell(""))
        elif isinstance(term, URIRef):
            label = row.get(f"{v}Label")
            href = local_href(str(term), base)
            text = str(label) if label is not None else _short(str(term), href)
            cells.append(Cell(text, href or str(term), str(term)))
        elif isinstance(term, Literal) and term.language:
            cells.append(Cell(str(term), title=f"@{term.language}"))
        else:
            cells.append(Cell(str(term)))
    return cells


def _short(iri: str, href: str | None) -> str:
    """Our things as ``kind/slug``, vocabulary terms as ``prefix:Term``, others in full."""
    if href and href.startswith("/id/"):
        return href[len("/id/") :]
    return short_iri(iri)


@bp.get("/queries")
def gallery() -> str:
    return render_template(
        "queries.html", queries=sorted(queries().values(), key=lambda q: q.title)
    )


@bp.get("/queries/<name>")
def run_query(name: str) -> Response:
    query = queries().get(name)
    if query is None:
        abort(404, description=f"no named query {name!r}; see /queries")
    media = _output_type()
    raw = {k: v for k, v in request.args.items() if k not in nq.RESERVED_PARAMS}
    store = get_store()
    base = current_app.config["CCKG_BASE_IRI"]
    truncated = False

    def select(text: str) -> list[Row]:
        nonlocal truncated
        rows, truncated = limited_select(text)
        return rows

    release = request.args.get(RELEASE, "").strip()
    if release:  # pinned: the release's dumps in memory, run in process
        try:
            store = release_store(release)
        except ReleaseError as e:
            raise WebError(f"release: {e}", 404 if "no release" in str(e) else 400) from e
        select = store.select  # type: ignore[assignment]
    try:
        page = nq.run_page(store, query, raw, select)
    except QueryLimitError as e:
        headers = {"Retry-After": str(e.retry_after)} if e.retry_after else None
        raise WebError(e.message, e.status, headers) from e
    except nq.QueryParamError as e:
        if media != HTML:
            abort(400, description=str(e))
        html = render_template(
            "query.html", query=query, fields=_fields(query, raw), error=str(e), rows=None,
            variables=query.variables, release=release,
        )  # fmt: skip
        return Response(html, status=400, content_type="text/html; charset=utf-8")
    rows = page.rows
    pages = _page_links(page)
    if media == CSV:
        body = nq.to_csv(query.variables, rows)
        response = Response(body, content_type="text/csv; charset=utf-8")
    elif media in (SPARQL_JSON, JSON):
        response = Response(nq.to_json(query.variables, rows), content_type=media)
    else:
        table = [_cells(query.variables, r, base) for r in rows]
        html = render_template(
            "query.html", query=query, fields=_fields(query, raw), error=None, rows=table,
            variables=query.variables, csv_url=_format_url("csv"), json_url=_format_url("json"),
            page=page, pages=pages, release=release,
        )  # fmt: skip
        response = Response(html, content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    response.headers["X-CCKG-Truncated"] = "true" if truncated else "false"
    if release:
        response.headers["X-CCKG-Release"] = release
    links = [f'<{url}>; rel="{rel}"' for rel, url in pages.items()]
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def _page_links(page: nq.Page) -> dict[str, str]:
    """``{"prev": url, "next": url}`` of a paged query's neighbouring pages (only those that
    exist), keeping the other query-string parameters."""
    if page.limit is None:
        return {}
    links = {}
    if page.offset > 0:
        links["prev"] = _with_args(offset=max(page.offset - page.limit, 0) or None)
    if page.next_offset is not None:
        links["next"] = _with_args(offset=page.next_offset)
    return links


def _with_args(**changes: Any) -> str:
    args: dict[str, Any] = dict(request.args.items())
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    return f"{request.path}?{urlencode(args)}" if args else request.path


def _format_url(fmt: str) -> str:
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "format"}
    args["format"] = fmt
    return f"{request.path}?{urlencode(args)}"
