"""Country outlines from a TopoJSON topology (world-atlas: Natural Earth Admin 0, quantised,
delta-encoded arcs) decoded into rings of (lon, lat), and drawn as SVG path data.

A country's ``id`` is its ISO 3166-1 numeric code as text ("276"); ``iso2`` maps our countries
(ISO alpha-2) onto it through pycountry."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry

Ring = list[tuple[float, float]]
Project = Callable[[float, float], tuple[float, float]]
Box = tuple[float, float, float, float]


@dataclass
class Country:
    id: str  # ISO 3166-1 numeric, as in world-atlas ("" for a few disputed areas)
    name: str
    polygons: list[list[Ring]]  # polygons, each an outer ring then holes; (lon, lat)
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # lon0, lat0, lon1, lat1

    def path(self, project: Project, precision: int = 1, clip: Box | None = None) -> str:
        """SVG path data of every ring, projected; points closer than the precision are
        merged so a path carries no more detail than the drawing can show. With ``clip``
        (x0, y0, x1, y1 in drawing units) points outside are pulled onto that box, so the
        parts of a large neighbour far outside a small drawing cost nothing."""
        return "".join(ring_path(r, project, precision, clip) for p in self.polygons for r in p)

    def path_within(
        self, bbox: Box, project: Project, precision: int = 1, clip: Box | None = None
    ) -> str:
        """Like ``path``, for the polygons whose bounding box meets ``bbox`` (lon0, lat0,
        lon1, lat1) only: the rest of a large country is not drawn at all."""
        parts: list[str] = []
        for polygon in self.polygons:
            lons = [pt[0] for pt in polygon[0]]
            lats = [pt[1] for pt in polygon[0]]
            if not _apart((min(lons), min(lats), max(lons), max(lats)), bbox):
                parts.extend(ring_path(r, project, precision, clip) for r in polygon)
        return "".join(parts)


@dataclass
class World:
    countries: list[Country]
    by_id: dict[str, Country] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.countries if c.id}

    def country(self, iso2: str) -> Country | None:
        """The outline of a country given by its ISO 3166-1 alpha-2 code (any case)."""
        found = pycountry.countries.get(alpha_2=iso2.upper()) if len(iso2) == 2 else None
        return self.by_id.get(found.numeric) if found is not None else None

    def near(self, bbox: tuple[float, float, float, float]) -> list[Country]:
        """Countries whose bounding box meets ``bbox`` (lon0, lat0, lon1, lat1)."""
        a0, b0, a1, b1 = bbox
        return [c for c in self.countries if not _apart(c.bbox, (a0, b0, a1, b1))]


def _apart(p: tuple[float, float, float, float], q: tuple[float, float, float, float]) -> bool:
    return p[2] < q[0] or q[2] < p[0] or p[3] < q[1] or q[3] < p[1]


def ring_path(ring: Ring, project: Project, precision: int = 1, clip: Box | None = None) -> str:
    """Path data of one ring. A ring that runs along the antimeridian (Russia, Fiji: a step of
    more than 180° in longitude) is cut there into parts, each closed on itself."""
    parts: list[list[str]] = [[]]
    last = None
    previous_lon = None
    for lon, lat in ring:
        if previous_lon is not None and abs(lon - previous_lon) > 180:
            parts.append([])
            last = None
        previous_lon = lon
        x, y = project(lon, lat)
        if clip is not None:
            x, y = min(max(x, clip[0]), clip[2]), min(max(y, clip[1]), clip[3])
        point = (round(x, precision), round(y, precision))
        if point != last:
            parts[-1].append(f"{point[0]:g},{point[1]:g}")
            last = point
    if len(parts) > 1:  # the ring's last part continues its first one (same side)
        first = parts.pop()
        parts[0] = first + [pt for pt in parts[0] if not first or pt != first[-1]]
    return "".join("M" + "L".join(p) + "Z" for p in parts if len(p) >= 3)


def _arcs(topology: dict[str, Any]) -> list[Ring]:
    """Every arc in degrees: quantised positions are delta-encoded along each arc."""
    transform = topology.get("transform")
    decoded = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            ring = []
            for dx, dy in arc:
                x += dx
                y += dy
                ring.append((x * sx + tx, y * sy + ty))
        else:
            ring = [(float(a), float(b)) for a, b in arc]
        decoded.append(ring)
    return decoded


def _ring(indexes: Iterable[int], arcs: list[Ring]) -> Ring:
    ring: Ring = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        ring.extend(arc[1:] if ring else arc)  # arcs share their end points
    return ring


def decode(topology: dict[str, Any], name: str = "countries") -> World:
    """The countries of the topology's object ``name``, without Antarctica."""
    arcs = _arcs(topology)
    countries = []
    for geometry in topology["objects"][name]["geometries"]:
        kind = geometry.get("type")
        if kind == "Polygon":
            polygons = [[_ring(r, arcs) for r in geometry["arcs"]]]
        elif kind == "MultiPolygon":
            polygons = [[_ring(r, arcs) for r in p] for p in geometry["arcs"]]
        else:
            continue
        cid = str(geometry.get("id", ""))
        if cid == "010":  # Antarctica: a wide white band that no city of ours is in
            continue
        points = [pt for p in polygons for pt in p[0]]
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        bbox = (min(lons), min(lats), max(lons), max(lats))
        label = geometry.get("properties", {}).get("name", "")
        countries.append(Country(cid, label, polygons, bbox))
    return World(countries)


@functools.cache
def load_world(path: Path) -> World:
    """The decoded topology of a world-atlas file (once per process and file)."""
    return decode(json.loads(path.read_text(encoding="utf-8")))
