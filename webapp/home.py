"""Home page and health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from webapp import get_store

bp = Blueprint("home", __name__)

COUNT_CLASSES = """
PREFIX cckg: <https://w3id.org/cckg/def/cckg#>
SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class . FILTER(STRSTARTS(STR(?class), STR(cckg:))) }
GROUP BY ?class ORDER BY DESC(?n)
"""


@bp.get("/")
def index():
    rows = get_store().select(COUNT_CLASSES)
    counts = [(str(r["class"]).rsplit("#", 1)[-1], int(r["n"])) for r in rows]
    return render_template("index.html", counts=counts)


@bp.get("/health")
def health():
    store = get_store()
    try:
        store.ask("ASK { ?s ?p ?o }")
    except Exception as e:  # the store did not answer: report it, keep serving
        return jsonify({"status": "error", "store": type(e).__name__}), 503
    return jsonify({"status": "ok", "graphs": len(store.public_graphs())})
