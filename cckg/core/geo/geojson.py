"""GeoJSON (RFC 7946) features and collections: Point geometries in [lon, lat] order."""

from __future__ import annotations

from typing import Any


def feature(lon: float, lat: float, properties: dict[str, Any], fid: str = "") -> dict[str, Any]:
    """One Point feature; coordinates rounded to 6 decimals (about 0.1 m)."""
    out: dict[str, Any] = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": properties,
    }
    if fid:
        out["id"] = fid
    return out


def feature_collection(features: list[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """A FeatureCollection; ``members`` are foreign members (e.g. the query) kept beside it."""
    return {"type": "FeatureCollection", **members, "features": features}
