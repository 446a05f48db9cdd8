"""Home page and health check."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify, render_template
from flask_babel import format_date, format_decimal, ngettext

from cckg.core.focus import FOCUS_AREAS, focus_iri, focus_of
from cckg.webapp.caching import cached
from cckg.webapp.i18n import current_lang
from cckg.webapp.store import get_search_index, get_store, public_graphs

bp = Blueprint("home", __name__)

COUNT_CLASSES = """
PREFIX cckg: <https://w3id.org/cckg/def/cckg#>
SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class . FILTER(STRSTARTS(STR(?class), STR(cckg:))) }
GROUP BY ?class ORDER BY DESC(?n)
"""


def _n(n: int) -> str:
    return format_decimal(n)


# What a practitioner looks for, in plain words (the ontology's helper classes such as
# SolutionStatus or EventFormat are left out): class → (count in words, where to find them).
COUNTED: dict[str, tuple[Callable[[int], str], str]] = {
    "Solution": (
        lambda n: ngettext(
            "%(count)s proven solution", "%(count)s proven solutions", n, count=_n(n)
        ),
        "/search?kind=solution",
    ),
    "City": (
        lambda n: ngettext("%(count)s city", "%(count)s cities", n, count=_n(n)),
        "/search?kind=city",
    ),
    "Institution": (
        lambda n: ngettext("%(count)s institution", "%(count)s institutions", n, count=_n(n)),
        "/search?kind=institution",
    ),
    "Event": (
        lambda n: ngettext("%(count)s event", "%(count)s events", n, count=_n(n)),
        "/search?kind=event",
    ),
    "Need": (
        lambda n: ngettext("%(count)s published need", "%(count)s published needs", n, count=_n(n)),
        "/search?kind=need",
    ),
    "Offer": (
        lambda n: ngettext("%(count)s offer of help", "%(count)s offers of help", n, count=_n(n)),
        "/search?kind=offer",
    ),
    "ProjectIdea": (
        lambda n: ngettext("%(count)s project idea", "%(count)s project ideas", n, count=_n(n)),
        "/search?kind=project-idea",
    ),
    "Country": (
        lambda n: ngettext("%(count)s country", "%(count)s countries", n, count=_n(n)),
        "/search?kind=country",
    ),
    "Theme": (
        lambda n: ngettext("%(count)s theme", "%(count)s themes", n, count=_n(n)),
        "/def/themes",
    ),
}


def _counts() -> dict[str, int]:
    rows = get_store().select(COUNT_CLASSES)
    return {str(r["class"]).rsplit("#", 1)[-1]: int(r["n"]) for r in rows}


def _date(iso: str) -> str:
    """A date of the data (2024-05-13, 2024-05 or 2024) in the page's language."""
    from datetime import date

    try:
        return format_date(date.fromisoformat(iso[:10]), "medium")
    except ValueError:
        return iso[:7] if len(iso) >= 7 else iso


@bp.get("/")
def index() -> str:
    lang = current_lang()
    search = get_search_index()
    solutions = search.search("", {"kind": "solution"}, page_size=100)
    theme_counts = dict(solutions.facets["theme"])
    base = current_app.config["CCKG_BASE_IRI"]
    focus = []
    for slug in FOCUS_AREAS:
        iri = focus_iri(slug, base)
        n = theme_counts.get(iri, 0)
        focus.append(
            (
                slug,
                search.label(iri, lang),
                n,
                ngettext("%(count)s solution", "%(count)s solutions", n, count=_n(n)),
            )
        )
    # The newest solutions, a mix of the focus areas: the newest of each area in turn.
    by_area: dict[str, list] = {slug: [] for slug in FOCUS_AREAS}
    for d in sorted(
        (d for d in search.docs.values() if d.kind == "solution"),
        key=lambda d: (-int(max(d.facets.get("year") or {"0"})), search.label(d.iri, lang)),
    ):
        area = focus_of(d.themes, search.with_broader, base)
        if area:
            by_area[area].append(d)
    recent = []
    for i in range(2):
        for slug in FOCUS_AREAS:
            if i < len(by_area[slug]):
                d = by_area[slug][i]
                recent.append(
                    (d.iri, search.label(d.iri, lang), max(d.facets.get("year") or {""}), slug)
                )
    events = sorted(
        (d for d in search.docs.values() if d.kind == "event" and d.start),
        key=lambda d: d.start,
        reverse=True,
    )[:5]
    newest = [(d.iri, search.label(d.iri, lang), _date(d.start)) for d in events]
    counts = cached("home:counts", _counts)
    numbers = [(say(counts[cls]), href) for cls, (say, href) in COUNTED.items() if counts.get(cls)]
    return render_template(
        "index.html",
        numbers=numbers,
        focus=focus,
        recent=recent,
        events=newest,
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
