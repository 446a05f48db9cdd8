"""/search (HTML) and /api/search (JSON): faceted multilingual search over curated things."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext

from cckg.core.i18n import N_
from cckg.core.search import FACETS, SearchError
from cckg.webapp.errors import WebError, parameter_error
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


def _run():
    index = get_search_index()
    filters = {k: request.args.get(k, "").strip() for k in FACETS if request.args.get(k)}
    result = index.search(
        request.args.get("q", "").strip(),
        filters,
        page=_int_arg("page", 1),
        page_size=_int_arg("page_size", 20),
    )
    return index, filters, result


def _lang() -> str:
    return request.args.get("lang") or request.accept_languages.best_match(
        ["en", "de", "es", "fr", "ar"], "en"
    )


@bp.get("/api/search")
def api_search():
    try:
        index, filters, result = _run()
    except SearchError as e:
        raise parameter_error(e, "param") from e
    lang = _lang()
    return jsonify(
        {
            "query": {"q": request.args.get("q", ""), "filters": filters, "lang": lang},
            "total": result.total,
            "page": result.page,
            "page_size": result.page_size,
            "themes_matched": [
                {"iri": t, "label": index.label(t, lang)} for t in result.themes_matched
            ],
            "results": [
                {
                    "iri": h.doc.iri,
                    "kind": h.doc.kind,
                    "label": index.label(h.doc.iri, lang),
                    "score": round(h.score, 3),
                    "matched": h.matched,
                    "is_example": h.doc.is_example,
                }
                for h in result.hits
            ],
            "facets": {
                name: [{"value": v, "label": index.label(v, lang), "count": n} for v, n in values]
                for name, values in result.facets.items()
            },
        }
    )


@bp.get("/search")
def search_page():
    try:
        index, filters, result = _run()
    except SearchError as e:
        raise WebError(str(e)) from e
    return render_template(
        "search.html",
        index=index,
        filters=filters,
        result=result,
        q=request.args.get("q", ""),
        lang=_lang(),
    )


# ---------------------------------------------------------------- facets and paging

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
def search_facets(index: Any, result: Any, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Facet groups for the search page: labelled values with links that keep the other
    filters (toggling this one), themes in hierarchy order with their depth."""
    lang = current_lang()
    args = {k: v for k, v in request.args.items() if k not in ("page",)}
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
