"""Server-side grid clustering: markers in the same cell of a square grid (in drawing units)
become one cluster at the members' mean position; a cell with one marker stays a marker."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Marker:
    key: str  # the thing's IRI
    x: float
    y: float
    group: str = ""  # e.g. the focus area (colour)
    lon: float = 0.0
    lat: float = 0.0


@dataclass
class Cluster:
    x: float
    y: float
    members: list[Marker] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def group(self) -> str:
        """The most frequent group of the members (ties: the first in name order)."""
        counts = Counter(m.group for m in self.members)
        return min(counts, key=lambda g: (-counts[g], g)) if counts else ""

    @property
    def lon(self) -> float:
        return sum(m.lon for m in self.members) / max(len(self.members), 1)

    @property
    def lat(self) -> float:
        return sum(m.lat for m in self.members) / max(len(self.members), 1)


def grid_clusters(markers: list[Marker], cell: float) -> list[Cluster]:
    """Clusters of ``markers`` on a grid of ``cell`` units, in a stable order (top to bottom,
    then left to right, by cell)."""
    cells: dict[tuple[int, int], list[Marker]] = {}
    for m in markers:
        cells.setdefault((int(m.y // cell), int(m.x // cell)), []).append(m)
    out = []
    for key in sorted(cells):
        members = sorted(cells[key], key=lambda m: m.key)
        x = sum(m.x for m in members) / len(members)
        y = sum(m.y for m in members) / len(members)
        out.append(Cluster(x, y, members))
    return out


def merge_overlapping(
    clusters: list[Cluster], radius: Callable[[int], float], gap: float = 1.0
) -> list[Cluster]:
    """Merge clusters whose circles (``radius(count)``) would overlap, until none do: a
    marker hidden under another could not be clicked. The merged cluster sits at the mean of
    its members."""
    out = list(clusters)
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                if math.hypot(a.x - b.x, a.y - b.y) < radius(a.count) + radius(b.count) + gap:
                    # the mean of the members, weighted: no pass over them (at 1e6 triples a
                    # cluster holds tens of thousands); they are put in order once, below
                    n = a.count + b.count
                    x = (a.x * a.count + b.x * b.count) / n
                    y = (a.y * a.count + b.y * b.count) / n
                    out[i] = Cluster(x, y, a.members + b.members)
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    for c in out:
        c.members.sort(key=lambda m: m.key)
    return sorted(out, key=lambda c: (c.y, c.x))
