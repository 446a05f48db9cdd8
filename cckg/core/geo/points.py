"""Points of places: ``geo:asWKT`` literals ``POINT(lon lat)`` read from the store.

Two helper queries, so the 34,000 GeoNames cities are never scanned: the places something
links to (``geo/list_linked_places``), then the geometry of just those (``geo/list_place_points``
with a VALUES block of the places: every value is serialised as an RDF term, none comes from a
user)."""

from __future__ import annotations

import re

from rdflib import URIRef

from cckg.core.queries import helper
from cckg.core.sparql_text import inject_value_rows
from cckg.core.store import Store

_POINT = re.compile(
    r"^\s*(?:<[^>]*>\s*)?POINT\s*\(\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s+"
    r"([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*\)\s*$",
    re.IGNORECASE,
)
BATCH = 500  # places per VALUES block


def parse_point(wkt: str) -> tuple[float, float] | None:
    """(lon, lat) of a WKT point (an optional CRS IRI first, as GeoSPARQL allows), or None
    when the text is not a point or its coordinates are out of range."""
    m = _POINT.match(wkt)
    if not m:
        return None
    lon, lat = float(m.group(1)), float(m.group(2))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


def read_points(store: Store) -> dict[str, tuple[float, float]]:
    """Place IRI -> (lon, lat) for every place a curated thing links to, and every curated
    thing with a geometry of its own (the first point, when a place has several)."""
    places = [str(r["place"]) for r in store.select(helper("geo/list_linked_places"))]
    points: dict[str, tuple[float, float]] = {}
    text = helper("geo/list_place_points")
    for start in range(0, len(places), BATCH):
        chunk = [URIRef(p) for p in places[start : start + BATCH]]
        for r in store.select(inject_value_rows(text, "place", chunk)):
            point = parse_point(str(r["wkt"]))
            if point is not None:
                points.setdefault(str(r["place"]), point)
    return points
