"""Geography without a tile server: points of things (``points``), Natural Earth country
outlines decoded from TopoJSON and projected to SVG paths (``topojson``, ``projection``), grid
clustering of markers (``cluster``) and GeoJSON (``geojson``).

Everything here is pure computation or reads the store through the Store interface; the web
app draws the SVG and chooses what to show."""

from cckg.core.geo.cluster import Cluster, Marker, grid_clusters, merge_overlapping
from cckg.core.geo.geojson import feature, feature_collection
from cckg.core.geo.points import parse_point, read_points
from cckg.core.geo.projection import Frame, equal_earth
from cckg.core.geo.topojson import Country, World, load_world

__all__ = [
    "Cluster", "Country", "Frame", "Marker", "World", "equal_earth", "feature",
    "feature_collection", "grid_clusters", "load_world", "merge_overlapping", "parse_point",
    "read_points",
]  # fmt: skip
