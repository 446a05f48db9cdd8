"""What maps draw, shared by the pages: the points of places (once per store version), the
world outline (once per process), the located items of a search, city locators, and GeoJSON.

A thing is located by its own geometry, else its city's (``cckg:city``), else, for a need, the
place that needs it; countries and things without a located city are left off maps (and counted
as such)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from cckg.core.focus import FOCUS_AREAS, focus_of
from cckg.core.geo import Frame, World, feature, feature_collection, load_world, read_points
from cckg.core.geo.projection import X_MAX, Y_MAX
from cckg.core.i18n import N_
from cckg.core.search import SearchIndex
from cckg.core.search.index import Hit
from cckg.webapp.caching import cached
from cckg.webapp.store import get_store, local_path

VENDOR = Path(__file__).parent / "static" / "vendor" / "world-atlas"
WORLD_SMALL = VENDOR / "countries-110m.json"  # the world map
WORLD_MEDIUM = VENDOR / "countries-50m.json"  # country outlines of the locators
MAP_WIDTH = 1000.0
MAP_HEIGHT = round(MAP_WIDTH * Y_MAX / X_MAX, 1)  # 486.7: Equal Earth's aspect ratio
NATURAL_EARTH_CREDIT = N_("Made with Natural Earth (public domain), via world-atlas.")


def world_frame() -> Frame:
    return Frame(MAP_WIDTH, MAP_HEIGHT)


def points() -> dict[str, tuple[float, float]]:
    """Place IRI -> (lon, lat), read once per store version."""
    return cached("geo:points", lambda: read_points(get_store()))


def world_paths() -> list[tuple[str, str, str]]:
    """(ISO numeric id, name, path data) of every country on the world map: drawn once per
    process (the outline does not depend on the data)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    paths = app.extensions.get("cckg_world_paths")
    if paths is None:
        frame = world_frame()
        world = load_world(WORLD_SMALL)
        paths = [(c.id, c.name, c.path(frame.xy)) for c in world.countries]
        app.extensions["cckg_world_paths"] = paths
    return paths


@dataclass
class Item:
    """A thing on the map: where it is and how it is coloured."""

    iri: str
    kind: str
    lon: float
    lat: float
    focus: str  # focus area slug, "" when none
    city: str = ""  # the city it is placed at ("" when it has a point of its own)
    themes: list[str] = field(default_factory=list)
    year: str = ""


def locate(index: SearchIndex, hit: Hit, where: dict[str, tuple[float, float]]) -> Item | None:
    doc = hit.doc
    base = get_store().base_iri
    candidates = [doc.iri, *doc.city]
    if doc.kind == "need":
        candidates += doc.places
    for place in candidates:
        if place in where:
            lon, lat = where[place]
            city = "" if place == doc.iri else place
            themes = doc.themes
            focus = focus_of(themes, index.with_broader, base)
            if doc.kind == "city":
                focus = city_focus(index).get(doc.iri, "")
            year = max(doc.facets.get("year") or {""})
            return Item(doc.iri, doc.kind, lon, lat, focus, city, list(themes), year)
    return None


def city_focus(index: SearchIndex) -> dict[str, str]:
    """City IRI -> the focus area most of the things in it fall under."""

    def compute() -> dict[str, str]:
        base = get_store().base_iri
        counts: dict[str, dict[str, int]] = {}
        for doc in index.docs.values():
            f = focus_of(doc.themes, index.with_broader, base)
            for city in doc.city:
                if f:
                    per = counts.setdefault(city, {})
                    per[f] = per.get(f, 0) + 1
        out = {}
        for city, per in counts.items():
            out[city] = next(
                (s for s in sorted(FOCUS_AREAS, key=lambda s: -per.get(s, 0)) if per.get(s)), ""
            )
        return out

    return cached("geo:city-focus", compute)


def located(index: SearchIndex, hits: list[Hit]) -> tuple[list[Item], int]:
    """The items of ``hits`` that have a place on the map, and how many have none."""
    # A thing's place and colour change only with the store: kept per version, per thing
    # (at 1e6 triples, locating the 76k things of an unfiltered map took 3 s per request).
    known: dict[str, Item | None] = cached("geo:items", dict, cheap=True)
    where = points()
    items = []
    for hit in hits:
        iri = hit.doc.iri
        if iri in known:
            item = known[iri]
        else:
            item = known[iri] = locate(index, hit, where)
        if item is not None:
            items.append(item)
    return items, len(hits) - len(items)


# ---------------------------------------------------------------- GeoJSON


def geojson(index: SearchIndex, hits: list[Hit], lang: str, query: dict[str, Any]) -> dict:
    """All ``hits`` that have coordinates as a FeatureCollection (RFC 7946), with the query and
    the number of matches without coordinates as foreign members."""
    items, unplaced = located(index, hits)
    base = get_store().base_iri
    features = []
    for item in items:
        props = {
            "iri": item.iri,
            "kind": item.kind,
            "label": index.label(item.iri, lang),
            "url": local_path(item.iri, base),
            "focus": item.focus or None,
            "city": item.city or None,
            "cityLabel": index.label(item.city, lang) if item.city else None,
            "themes": item.themes,
            "year": item.year or None,
        }
        features.append(feature(item.lon, item.lat, props, item.iri))
    return feature_collection(features, query=query, total=len(hits), withoutCoordinates=unplaced)


# ---------------------------------------------------------------- city locator


@functools.lru_cache(maxsize=1024)
def locator(lon: float, lat: float, country_iso: str) -> dict[str, Any]:
    """A small map of a city in its country: the country's outline (Natural Earth 1:50m), its
    neighbours faint, and the city's dot; 240 × 160 drawing units. Kept per process (it
    depends on the outline file only); callers must not change the result."""
    world: World = load_world(WORLD_MEDIUM)
    country = world.country(country_iso) if country_iso else None
    width, height = 240.0, 160.0
    if country is None:
        pts = [(lon - 12, lat - 8), (lon + 12, lat + 8)]
    else:
        pts = [pt for poly in _polygons_near(country, lon, lat) for pt in poly[0]] + [(lon, lat)]
    frame = Frame.around(pts, width, height)
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    pad = max(max(lons) - min(lons), max(lats) - min(lats)) * 0.8 + 1
    bbox = (min(lons) - pad * 1.5, min(lats) - pad, max(lons) + pad * 1.5, max(lats) + pad)
    clip = (-10.0, -10.0, width + 10, height + 10)
    others = [c.path_within(bbox, frame.xy, 0, clip) for c in world.near(bbox) if c is not country]
    cx, cy = frame.xy(lon, lat)
    return {
        "width": width,
        "height": height,
        "country": country.path(frame.xy, 0, clip) if country else "",
        "country_name": country.name if country else "",
        "others": [p for p in others if p],
        "x": round(cx, 1),
        "y": round(cy, 1),
    }


def _polygons_near(country: Any, lon: float, lat: float) -> list[list[list[tuple]]]:
    """The country's polygons within about 15° of the city (so France is drawn without French
    Guiana), else its largest."""
    near = []
    for poly in country.polygons:
        lons = [p[0] for p in poly[0]]
        lats = [p[1] for p in poly[0]]
        dx = max(min(lons) - lon, lon - max(lons), 0)
        dy = max(min(lats) - lat, lat - max(lats), 0)
        if math.hypot(dx, dy) <= 15:
            near.append(poly)
    return near or [max(country.polygons, key=lambda p: len(p[0]))]
