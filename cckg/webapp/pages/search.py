"""/search (HTML) and /api/search (JSON): faceted multilingual search over curated things."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request

from cckg.core.search import FACETS, SearchError
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
        return jsonify(
            {"status": 400, "error": "Bad Request", "param": e.param, "message": str(e)}
        ), 400
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
        abort(400, description=str(e))
    return render_template(
        "search.html",
        index=index,
        filters=filters,
        result=result,
        q=request.args.get("q", ""),
        lang=_lang(),
    )
