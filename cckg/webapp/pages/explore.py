"""Browser pages that are not tied to one API: /explore, /editor (YASGUI) and the favicon."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.wrappers import Response

from cckg.core.queries import helper, helper_source, named_queries
from cckg.webapp import security
from cckg.webapp.caching import cached
from cckg.webapp.dashboard import all_charts, dashboard
from cckg.webapp.i18n import current_lang
from cckg.webapp.linked import short
from cckg.webapp.mediation import get_mediation
from cckg.webapp.page_cache import cached_page
from cckg.webapp.store import get_search_index, get_store

bp = Blueprint("frontend", __name__)

CLASS_COUNTS = helper_source("pages/count_class_instances")
PROPERTY_COUNTS = helper_source("pages/count_property_uses")
GRAPHS = helper_source("pages/list_graphs")
GRAPH_SIZES = helper("internal/count_graph_triples")


def _explore_data() -> dict[str, Any]:
    store = get_store()
    classes = [(str(r["class"]), int(r["n"])) for r in store.select(CLASS_COUNTS)]
    props = [(str(r["property"]), int(r["n"])) for r in store.select(PROPERTY_COUNTS)]
    sizes = {str(r["g"]): int(r["triples"]) for r in store.select(GRAPH_SIZES)}
    graphs: dict[str, dict[str, Any]] = {}
    for r in store.select(GRAPHS):
        g = graphs.setdefault(str(r["graph"]), {"iri": str(r["graph"]), "license": set()})
        g["loaded"] = str(r["loaded"])[:19].replace("T", " ")
        for key in ("checksum", "from", "source"):
            if key in r:
                g[key] = str(r[key])
        if "license" in r:
            g["license"].add(str(r["license"]))
    for g in graphs.values():
        g["triples"] = sizes.get(g["iri"], 0)
    return {"classes": classes, "properties": props, "graphs": list(graphs.values())}


def bars(pairs: list[tuple[str, int]], limit: int = 15) -> list[tuple[str, int, float]]:
    """(label, count, percent of the largest) for a CSS bar chart."""
    pairs = pairs[:limit]
    top = max((n for _, n in pairs), default=0) or 1
    return [(label, n, round(100 * n / top, 1)) for label, n in pairs]


def _outcomes(index: Any, lang: str) -> dict[str, Any] | None:
    """The anonymous outcome counts of introductions, labelled (None when the workflow
    database cannot be read)."""
    try:
        counts = get_mediation().counts()
    except (sqlite3.Error, OSError):  # a read-only folder, a locked file: no section
        return None
    for key, row_key in (("by_theme", "theme"), ("by_region", "region")):
        for row in counts[key]:
            row["label"] = index.label(row[row_key], lang) if row[row_key] else "–"
    return counts


@bp.get("/explore")
def explore() -> Response:
    return cached_page("explore", _render_explore)


def _render_explore() -> str:
    data = cached("frontend:explore", _explore_data)
    lang = current_lang()
    index = get_search_index()
    everything = index.search("", {}, page_size=1)
    solutions = index.search("", {"kind": "solution"}, page_size=1)
    top_themes = [  # only the top of the hierarchy, so bars do not double count
        (t, n) for t, n in solutions.facets["theme"] if not index.broader.get(t)
    ]
    return render_template(
        "explore.html",
        data=data,
        short=short,
        region_bars=bars([(index.label(r, lang), n) for r, n in everything.facets["region"]]),
        theme_bars=bars([(index.label(t, lang), n) for t, n in top_themes]),
        theme_links=[(t, index.label(t, lang)) for t, _ in top_themes],
        outcomes=_outcomes(index, lang),
        sparql={
            "classes": CLASS_COUNTS,
            "properties": PROPERTY_COUNTS,
            "graphs": GRAPHS,
        },
        dashboard=_dashboard(lang),
    )


def _dashboard(lang: str) -> dict[str, Any]:
    """The charts of the dashboard (``cckg.webapp.dashboard``), once per store version and
    language."""
    return cached(
        f"frontend:dashboard:{lang}", lambda: dashboard(get_store(), get_search_index(), lang)
    )


@bp.get("/explore/<name>.csv")
def chart_csv(name: str) -> Response:
    """The table of one dashboard chart as CSV."""
    chart = all_charts(_dashboard(current_lang())).get(name)
    if chart is None:
        abort(404, description=f"no chart named {name!r}; see /explore")
    response = Response(chart.csv(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="cckg-{name}.csv"'
    return response


def named_query_examples() -> list[dict[str, str]]:
    return [
        {"name": q.name, "title": q.title, "description": q.description, "text": q.text}
        for q in sorted(named_queries().values(), key=lambda q: q.title)
    ]


@bp.get("/editor")
def editor() -> str:
    # YASGUI (CodeMirror) sets style attributes on its elements at run time; scripts stay
    # limited to this server's files.
    security.relax("style-src", "'unsafe-inline'")
    examples = cached("frontend:examples", named_query_examples)
    chosen = request.args.get("example", "")
    query = request.args.get("query") or next(
        (e["text"] for e in examples if e["name"] == chosen),
        examples[0]["text"] if examples else "",
    )
    return render_template("editor.html", examples=examples, query=query, chosen=chosen)


@bp.get("/favicon.ico")
def favicon() -> Response:
    response = current_app.send_static_file("favicon.svg")
    response.mimetype = "image/svg+xml"
    response.cache_control.max_age = 86400
    return response
