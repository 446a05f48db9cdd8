"""/map: solutions, events, institutions … and cities on a world map drawn on the server.

The map is an SVG (Natural Earth outlines in the Equal Earth projection, ``geodata``) with the
things that match the same filters as search (``q`` and every search facet: ``theme``,
``country``, ``kind``, …) as markers, clustered on a grid and coloured by focus area. It works
without JavaScript: a cluster links to the map zoomed in on it (``z``, ``at``), a marker or a
cluster at one place to its entry in the list below; ``map.js`` only opens those entries as a
card beside the marker and switches between map and list on phones. ``/map/world.svg`` is the
outline alone (cached by browsers), drawn under the markers."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from werkzeug.wrappers import Response as ResponseBase

from cckg.core.focus import FOCUS_AREAS, focus_iri
from cckg.core.geo import Marker, grid_clusters, merge_overlapping
from cckg.core.search import FACETS, SearchError
from cckg.core.search.index import Facets
from cckg.webapp.errors import WebError
from cckg.webapp.geodata import (
    MAP_HEIGHT,
    MAP_WIDTH,
    NATURAL_EARTH_CREDIT,
    Item,
    located,
    locator,
    world_frame,
    world_paths,
)
from cckg.webapp.i18n import current_lang, kind_name
from cckg.webapp.page_cache import cached_page
from cckg.webapp.store import get_search_index, get_store, local_path

bp = Blueprint("geo", __name__)

MAX_ZOOM = 32
CELL = 34.0  # cluster grid, in screen units of the full-width map
# Things in the list beside the map. At 1e6 triples an unfiltered map holds 76k: listing all
# made a 30 MB page that took 15 s. The markers show all; the GeoJSON export holds them all.
MAX_LISTED = 500


@dataclass
class MapArgs:
    q: str
    filters: dict[str, str]
    zoom: int
    at: tuple[float, float] | None


def map_args() -> MapArgs:
    """The map's query string, checked: bad values are 400s naming the parameter."""
    args = request.args
    filters = {k: args.get(k, "").strip() for k in FACETS if args.get(k, "").strip()}
    if "country" in filters:  # ISO codes in any case, as the named queries take them
        filters["country"] = filters["country"].lower()
    raw_zoom = args.get("z", "1").strip() or "1"
    try:
        zoom = int(raw_zoom)
    except ValueError:
        raise WebError(
            f"z: must be a whole number from 1 to {MAX_ZOOM}, not {raw_zoom[:20]!r}"
        ) from None
    if not 1 <= zoom <= MAX_ZOOM:
        raise WebError(f"z: must be a whole number from 1 to {MAX_ZOOM}")
    at = None
    raw_at = args.get("at", "").strip()
    if raw_at:
        try:
            lon_text, lat_text = raw_at.split(",")
            at = (float(lon_text), float(lat_text))
        except ValueError:
            raise WebError("at: must be 'lon,lat' in degrees, e.g. at=10.5,51.2") from None
        if not (-180 <= at[0] <= 180 and -90 <= at[1] <= 90) or any(map(math.isnan, at)):
            raise WebError("at: longitude must be within ±180 and latitude within ±90")
    return MapArgs(args.get("q", "").strip(), filters, zoom, at)


def _url(a: MapArgs, **changes: Any) -> str:
    params: dict[str, Any] = {"q": a.q, **a.filters}
    if a.zoom > 1:
        params["z"] = a.zoom
        if a.at:
            params["at"] = f"{a.at[0]:.4f},{a.at[1]:.4f}"
    params.update(changes)
    if params.get("z") in (1, "1", None):
        params.pop("z", None)
        params.pop("at", None)
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return "/map" + ("?" + query if query else "")


def _viewbox(a: MapArgs) -> tuple[float, float, float, float]:
    w, h = MAP_WIDTH / a.zoom, MAP_HEIGHT / a.zoom
    cx, cy = world_frame().xy(*a.at) if a.at else (MAP_WIDTH / 2, MAP_HEIGHT / 2)
    x0 = min(max(cx - w / 2, 0.0), MAP_WIDTH - w)
    y0 = min(max(cy - h / 2, 0.0), MAP_HEIGHT - h)
    return x0, y0, w, h


def _place_key(item: Item) -> str:
    return item.city or item.iri


def _anchor(iri: str) -> str:
    """A fragment id for an IRI ("p-" + the last two path segments, made safe)."""
    tail = "-".join(iri.rstrip("/").split("/")[-2:])
    return "p-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in tail)


def _markers(
    items: list[Item], a: MapArgs, label: Callable[[str], str], listed: set[str]
) -> list[dict[str, Any]]:
    """The clusters in view. A marker or a cluster at one place links to its entry in the list
    when the list holds it (``listed``: IRIs of things and places), else to its page."""
    base = get_store().base_iri
    frame = world_frame()
    x0, y0, w, h = _viewbox(a)
    pad = CELL / a.zoom
    markers = []
    for item in items:
        x, y = frame.xy(item.lon, item.lat)
        if x0 - pad <= x <= x0 + w + pad and y0 - pad <= y <= y0 + h + pad:
            markers.append(Marker(item.iri, x, y, item.focus, item.lon, item.lat))
    by_iri = {i.iri: i for i in items}
    out = []

    def radius(count: int) -> float:
        return (6 + 3 * math.log2(count)) / a.zoom

    clusters = merge_overlapping(grid_clusters(markers, CELL / a.zoom), radius, 1.5 / a.zoom)
    for c in clusters:
        places = {_place_key(by_iri[m.key]) for m in c.members}
        one_place = len(places) == 1
        if one_place or a.zoom >= MAX_ZOOM:
            first = by_iri[c.members[0].key]
            target = _place_key(first) if c.count > 1 else first.iri
            href = "#" + _anchor(target) if target in listed else local_path(target, base)
        else:
            zoom = min(MAX_ZOOM, a.zoom * 4)
            href = _url(a, z=zoom, at=f"{c.lon:.4f},{c.lat:.4f}")
        out.append(
            {
                "x": round(c.x, 2),
                "y": round(c.y, 2),
                "r": round(radius(c.count), 2),
                "count": c.count,
                "focus": c.group or "none",
                "href": href,
                "zooms": not one_place and a.zoom < MAX_ZOOM,
                "members": [m.key for m in c.members if m.key in listed],
                "label": label(c.members[0].key) if c.count == 1 else "",
            }
        )
    return out


def _groups(items: list[Item], index: Any, lang: str) -> tuple[list[dict[str, Any]], int, int]:
    """The list beside the map: things grouped by the place they are drawn at, places in name
    order, up to ``MAX_LISTED`` things; with the number of places and of things listed."""
    base = get_store().base_iri
    kinds = {k: kind_name(k) for k in {i.kind for i in items}}
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(_place_key(item), []).append(item)
    places = sorted(((index.label(p, lang), p) for p in groups), key=lambda lp: lp[0].casefold())
    out = []
    listed = 0
    for label, place in places:
        if listed >= MAX_LISTED:
            break
        members = sorted(
            ((index.label(i.iri, lang), i) for i in groups[place]), key=lambda e: e[0].casefold()
        )[: MAX_LISTED - listed]
        listed += len(members)
        entries = [
            {
                "iri": i.iri,
                "anchor": _anchor(i.iri),
                "label": text,
                "url": local_path(i.iri, base),
                "kind": kinds[i.kind],
                "focus": i.focus or "none",
                "year": i.year,
            }
            for text, i in members
        ]
        out.append(
            {
                "place": place,
                "anchor": _anchor(place),
                "label": label,
                "url": local_path(place, base),
                "items": entries,
                "count": len(groups[place]),
            }
        )
    return out, len(groups), listed


def focus_legend(lang: str) -> list[tuple[str, str]]:
    """(slug, label) of the four focus areas, then "none"."""
    index = get_search_index()
    base = get_store().base_iri
    return [(s, index.label(focus_iri(s, base), lang)) for s in FOCUS_AREAS]


def _facet_options(
    index: Any, facets: Facets, a: MapArgs, lang: str
) -> dict[str, list[dict[str, Any]]]:
    """The values of the facets the map's form offers, with counts for the current filters."""
    out = {}
    for name in ("kind", "theme", "country", "region", "year"):
        values = facets.get(name) or []
        chosen = a.filters.get(name, "")
        options: list[dict[str, Any]] = []
        for value, n in values:
            slug = value.rsplit("/", 1)[-1]
            label = kind_name(value) if name == "kind" else index.label(value, lang)
            if name == "year":
                label = value
            options.append(
                {"value": slug, "label": label, "count": n, "on": chosen in (value, slug)}
            )
        if name != "year":
            options.sort(key=lambda o: o["label"].casefold())
        else:
            options.sort(key=lambda o: o["value"], reverse=True)
        if chosen and not any(o["on"] for o in options):
            options.insert(0, {"value": chosen, "label": chosen, "count": 0, "on": True})
        out[name] = options
    return out


@bp.get("/map")
def map_page() -> Response:
    a = map_args()
    return cached_page("map", lambda: _render_map(a))


def _render_map(a: MapArgs) -> str:
    index = get_search_index()
    try:
        hits, facets = index.matches_and_facets(a.q, a.filters)
    except SearchError as e:
        raise WebError(str(e)) from e
    lang = current_lang()
    items, unplaced = located(index, hits)
    groups, places, listed = _groups(items, index, lang)
    in_list = {g["place"] for g in groups} | {e["iri"] for g in groups for e in g["items"]}
    x0, y0, w, h = _viewbox(a)
    geojson_args = {"q": a.q, **a.filters, "format": "geojson"}
    return render_template(
        "map.html",
        args=a,
        viewbox=f"{x0:.2f} {y0:.2f} {w:.2f} {h:.2f}",
        width=MAP_WIDTH,
        height=MAP_HEIGHT,
        stroke=round(0.6 / a.zoom, 3),
        label_size=round(10 / a.zoom, 2),
        markers=_markers(items, a, lambda iri: index.label(iri, lang), in_list),
        groups=groups,
        places=places,
        listed=listed,
        total=len(hits),
        placed=len(items),
        unplaced=unplaced,
        legend=focus_legend(lang),
        options=_facet_options(index, facets, a, lang),
        zoom_in=_url(a, z=min(MAX_ZOOM, a.zoom * 2)) if a.zoom < MAX_ZOOM else None,
        zoom_out=_url(a, z=max(1, a.zoom // 2)) if a.zoom > 1 else None,
        reset=_url(a, z=1),
        geojson_url="/api/search?" + urlencode({k: v for k, v in geojson_args.items() if v}),
        search_url="/search?" + urlencode({k: v for k, v in {"q": a.q, **a.filters}.items() if v}),
        credit=NATURAL_EARTH_CREDIT,
    )


@bp.get("/map/world.svg")
def world_svg() -> ResponseBase:
    """The country outlines alone: drawn under the markers of /map and /network."""
    frame = world_frame()
    edge = [frame.xy(180, lat) for lat in range(-90, 91, 5)]
    edge += [frame.xy(-180, lat) for lat in range(90, -91, -5)]
    sphere = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in edge) + "Z"
    body = render_template(
        "world.svg", paths=world_paths(), width=MAP_WIDTH, height=MAP_HEIGHT, sphere=sphere
    )
    response = Response(body, content_type="image/svg+xml; charset=utf-8")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.add_etag()
    return response.make_conditional(request)


@bp.app_template_global()
def city_locator(lon: float, lat: float, countries: list[dict[str, str]]) -> dict[str, Any]:
    """The locator of a city page: the city in its country's outline (``geodata.locator``);
    ``countries`` are the page's country values ({"iri", "label"}), the slug is the ISO code."""
    iso = countries[0]["iri"].rsplit("/", 1)[-1] if countries else ""
    return locator(lon, lat, iso)
