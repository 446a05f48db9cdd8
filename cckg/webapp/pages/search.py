"""/search (HTML) and /api/search (JSON): faceted multilingual search over the curated things
and the cities and countries they are in, ranked (or sorted: ``sort=relevance|newest|city``).

Both answer the same rows (``cckg.core.search.present``): label, summary, highlights (escaped
HTML with the query's words in ``<mark>``), city, country, period, status, themes and a score
in 0..1 (``cckg.core.search.ranking``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import gettext
from markupsafe import Markup

from cckg.core.i18n import N_
from cckg.core.search import FACETS, SORTS, SearchError
from cckg.core.search.present import Row, rows
from cckg.webapp.errors import WebError, parameter_error
from cckg.webapp.geodata import geojson
from cckg.webapp.i18n import KIND_NAMES, current_lang, kind_name
from cckg.webapp.store import get_search_index

bp = Blueprint("search", __name__)


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SearchError(name, f"must be a whole number, not {raw[:40]!r}") from None


def _run() -> tuple[Any, dict[str, str], Any]:
    index = get_search_index()
    filters = {k: request.args.get(k, "").strip() for k in FACETS if request.args.get(k)}
    result = index.search(
        request.args.get("q", "").strip(),
        filters,
        page=_int_arg("page", 1),
        page_size=_int_arg("page_size", 20),
        sort=request.args.get("sort", "").strip() or "relevance",
    )
    return index, filters, result


def _lang() -> str:
    return request.args.get("lang") or request.accept_languages.best_match(
        ["en", "de", "es", "fr", "pt", "ar"], "en"
    )


GEOJSON = "geojson"  # ``format=geojson``: never an event-format slug (the facet stays free)


@bp.get("/api/search")
def api_search() -> Response:
    if request.args.get("format") == GEOJSON:
        return _geojson()
    try:
        index, filters, result = _run()
    except SearchError as e:
        raise parameter_error(e, "param") from e
    lang = _lang()
    query = {"q": request.args.get("q", ""), "filters": filters, "lang": lang, "sort": result.sort}
    return jsonify(
        {
            "query": query,
            "total": result.total,
            "page": result.page,
            "page_size": result.page_size,
            "themes_matched": [
                {"iri": t, "label": index.label(t, lang)} for t in result.themes_matched
            ],
            "results": [r.as_json() for r in rows(index, result.hits, result.query_terms, lang)],
            "facets": {
                name: [{"value": v, "label": index.label(v, lang), "count": n} for v, n in values]
                for name, values in result.facets.items()
            },
        }
    )


def _geojson() -> Response:
    """Every match (not one page) that has coordinates, as a GeoJSON FeatureCollection."""
    index = get_search_index()
    filters = {
        k: request.args.get(k, "").strip() for k in FACETS if k != "format" and request.args.get(k)
    }
    q = request.args.get("q", "").strip()
    for name in ("page", "page_size", "sort"):
        if request.args.get(name):
            raise WebError(f"{name}: a GeoJSON export holds every match, unpaged and unsorted")
    try:
        hits = index.matches(q, filters)
    except SearchError as e:
        raise parameter_error(e, "param") from e
    body = geojson(index, hits, _lang(), {"q": q, "filters": filters})
    response = jsonify(body)
    response.mimetype = "application/geo+json"
    return response


@bp.get("/search")
def search_page() -> str:
    try:
        index, filters, result = _run()
    except SearchError as e:
        raise WebError(str(e)) from e
    lang = current_lang()
    return render_template(
        "search.html",
        index=index,
        filters=filters,
        result=result,
        rows=[_safe(r) for r in rows(index, result.hits, result.query_terms, lang)],
        sorts=[(s, _search_url(_args(), sort=None if s == "relevance" else s)) for s in SORTS],
        q=request.args.get("q", ""),
    )


def _safe(row: Row) -> Row:
    """The row's highlighted texts as markup: ``present.highlight`` escaped every character
    of the data and added only <mark> elements."""
    row.label_html = Markup(row.label_html)  # noqa: S704 (escaped by present.highlight)
    row.summary_html = Markup(row.summary_html)  # noqa: S704 (escaped by present.highlight)
    return row


def _args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "page"}


# ---------------------------------------------------------------- facets and paging

SORT_NAMES = {"relevance": N_("relevance"), "newest": N_("newest"), "city": N_("city")}
FACET_TITLES = {
    "theme": N_("Theme"),
    "kind": N_("Kind"),
    "country": N_("Country"),
    "region": N_("Region"),
    "status": N_("Status"),
    "sdg": N_("SDG"),
    "year": N_("Year"),
    "format": N_("Format"),
}
FACET_ORDER = ("theme", "kind", "country", "region", "status", "sdg", "year", "format")


def _search_url(args: dict[str, str], **changes: str | None) -> str:
    merged = {**args, **changes}  # ``args`` has no page: a new filter starts at page 1
    return "/search?" + urlencode({k: v for k, v in merged.items() if v})


@bp.app_template_global()
def sort_name(name: str) -> str:
    return gettext(SORT_NAMES[name]) if name in SORT_NAMES else name


@bp.app_template_global()
def search_facets(index: Any, result: Any, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Facet groups for the search page: labelled values with links that keep the other
    filters (toggling this one), themes in hierarchy order with their depth."""
    lang = current_lang()
    args = _args()
    groups = []
    for name in FACET_ORDER:
        values = result.facets.get(name) or []
        if not values:
            continue
        counts = dict(values)
        if name == "theme":
            ordered = _theme_tree(index, counts)
        else:
            ordered = [(v, 0) for v, _ in values]
        items = []
        for value, depth in ordered:
            slug = value.rsplit("/", 1)[-1]
            on = filters.get(name) in (value, slug)
            label = index.label(value, lang) if "/" in value else value
            if name == "kind" and value in KIND_NAMES:
                label = kind_name(value)
            items.append(
                {
                    "label": label,
                    "count": counts[value],
                    "depth": min(depth, 2),
                    "on": on,
                    "url": _search_url(args, **{name: None if on else slug}),
                }
            )
        title = gettext(FACET_TITLES[name])
        groups.append({"name": name, "title": title, "items": items[:25]})
    return groups


def _theme_tree(index: Any, counts: dict[str, int]) -> list[tuple[str, int]]:
    """Themes depth-first from the roots, narrower under broader, largest first."""
    children: dict[str, list[str]] = {}
    roots = []
    for t in counts:
        parents = [p for p in index.broader.get(t, ()) if p in counts]
        if parents:
            children.setdefault(parents[0], []).append(t)
        else:
            roots.append(t)
    out: list[tuple[str, int]] = []

    def walk(t: str, depth: int) -> None:
        out.append((t, depth))
        for c in sorted(children.get(t, []), key=lambda c: -counts[c]):
            walk(c, depth + 1)

    for r in sorted(roots, key=lambda r: -counts[r]):
        walk(r, 0)
    return out


@bp.app_template_global()
def page_url(page: int) -> str:
    args = {k: v for k, v in request.args.items()}
    args["page"] = str(page)
    return "/search?" + urlencode(args)
