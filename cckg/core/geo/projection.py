"""The Equal Earth projection (Šavrič, Patterson, Jenny 2018) and the frame that maps projected
coordinates onto an SVG view box.

Equal Earth keeps areas true and looks familiar; unlike Web Mercator it needs no tiles and does
not inflate Europe against Africa, which matters on a map of cities in both."""

from __future__ import annotations

import math
from dataclasses import dataclass

A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2
# The projection's extent for longitudes ±180 and latitudes ±90 (radians on the unit sphere).
X_MAX = 2.7066299836960748
Y_MAX = 1.3173627591574133


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Projected (x, y) of a point given in degrees; y grows northwards."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


@dataclass(frozen=True)
class Frame:
    """Maps projected coordinates into a ``width`` × ``height`` box (y down, as SVG).

    ``bounds`` are the projected (x0, y0, x1, y1) shown; the scale keeps the aspect ratio and
    centres the bounds in the box."""

    width: float
    height: float
    bounds: tuple[float, float, float, float] = (-X_MAX, -Y_MAX, X_MAX, Y_MAX)

    @property
    def scale(self) -> float:
        x0, y0, x1, y1 = self.bounds
        return min(self.width / max(x1 - x0, 1e-9), self.height / max(y1 - y0, 1e-9))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """SVG coordinates of a point in degrees."""
        return self.project(*equal_earth(lon, lat))

    def project(self, x: float, y: float) -> tuple[float, float]:
        x0, y0, x1, y1 = self.bounds
        s = self.scale
        dx = (self.width - (x1 - x0) * s) / 2
        dy = (self.height - (y1 - y0) * s) / 2
        return dx + (x - x0) * s, dy + (y1 - y) * s

    @classmethod
    def around(
        cls, points: list[tuple[float, float]], width: float, height: float, margin: float = 0.15
    ) -> Frame:
        """A frame showing the projected ``points`` (lon, lat) with a margin (share of the
        larger side), never smaller than about 2 degrees across."""
        xs, ys = zip(*(equal_earth(lon, lat) for lon, lat in points), strict=True)
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        pad = max(x1 - x0, y1 - y0, 0.035) * margin
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half = max(x1 - x0, y1 - y0, 0.035) / 2 + pad
        ratio = width / height
        hw, hh = (half * ratio, half) if ratio >= 1 else (half, half / ratio)
        return cls(width, height, (cx - hw, cy - hh, cx + hw, cy + hh))
