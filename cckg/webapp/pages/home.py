"""Home page and health check."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template

from cckg.webapp.caching import cached
from cckg.webapp.i18n import current_lang
from cckg.webapp.store import get_search_index, get_store, public_graphs

bp = Blueprint("home", __name__)

COUNT_CLASSES = """
PREFIX cckg: <https://w3id.org/cckg/def/cckg#>
SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class . FILTER(STRSTARTS(STR(?class), STR(cckg:))) }
GROUP BY ?class ORDER BY DESC(?n)
"""
FOCUS_AREAS = (
    "good-urban-governance",
    "local-economic-development",
    "integrated-urban-development",
    "municipal-services",
)


def _counts() -> list[tuple[str, int]]:
    rows = get_store().select(COUNT_CLASSES)
    return [(str(r["class"]).rsplit("#", 1)[-1], int(r["n"])) for r in rows]


@bp.get("/")
def index() -> str:
    lang = current_lang()
    search = get_search_index()
    solutions = search.search("", {"kind": "solution"}, page_size=100)
    theme_counts = dict(solutions.facets["theme"])
    base = current_app.config["CCKG_BASE_IRI"]
    focus = []
    for slug in FOCUS_AREAS:
        iri = f"{base}id/theme/{slug}"
        focus.append((slug, iri, search.label(iri, lang), theme_counts.get(iri, 0)))
    by_year = sorted(
        (d for d in search.docs.values() if d.kind == "solution"),
        key=lambda d: (-int(max(d.facets.get("year") or {"0"})), search.label(d.iri, lang)),
    )
    recent = [
        (d.iri, search.label(d.iri, lang), max(d.facets.get("year") or {""})) for d in by_year[:6]
    ]
    return render_template(
        "index.html",
        counts=cached("home:counts", _counts),
        focus=focus,
        recent=recent,
        count_query=COUNT_CLASSES.strip(),
    )


@bp.get("/health")
def health() -> Response | tuple[Response, int]:
    """The store answers an ASK (a probe's request costs one cheap query); the graph count
    comes from the app's list of public graphs, which a remote store is asked for at most
    every 30 s: listing its graphs scans every quad (1.6 s on an Oxigraph server at 1e6)."""
    store = get_store()
    try:
        store.ask("ASK { ?s ?p ?o }")
    except Exception as e:  # the store did not answer: report it, keep serving
        return jsonify({"status": "error", "store": type(e).__name__}), 503
    return jsonify({"status": "ok", "graphs": len(public_graphs())})
