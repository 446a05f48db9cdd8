"""Geography without a tile server: the Equal Earth projection, world-atlas TopoJSON decoding,
WKT points, grid clustering and GeoJSON features (``cckg.core.geo``)."""

from __future__ import annotations

import pytest

from cckg.core.geo import (
    Frame,
    Marker,
    equal_earth,
    feature,
    feature_collection,
    grid_clusters,
    load_world,
    parse_point,
)
from cckg.core.geo.projection import X_MAX, Y_MAX
from cckg.core.geo.topojson import decode, ring_path
from cckg.webapp.geodata import WORLD_MEDIUM, WORLD_SMALL


def test_equal_earth_extent_and_symmetry():
    assert equal_earth(0, 0) == (0.0, 0.0)
    assert equal_earth(180, 0)[0] == pytest.approx(X_MAX)
    assert equal_earth(0, 90)[1] == pytest.approx(Y_MAX)
    x, y = equal_earth(13.4, 52.5)
    assert equal_earth(-13.4, -52.5) == pytest.approx((-x, -y))


def test_frame_puts_the_world_in_the_box_north_up():
    frame = Frame(1000, 500)
    left, _ = frame.xy(-180, 0)
    right, _ = frame.xy(180, 0)
    _, top = frame.xy(0, 90)
    _, bottom = frame.xy(0, -90)
    assert 0 <= left < right <= 1000 and 0 <= top < bottom <= 500
    assert frame.xy(0, 0) == pytest.approx((500, 250))


def test_frame_around_points_keeps_them_inside():
    pts = [(12.1, 54.1), (9.9, 53.5), (11.6, 48.1)]
    frame = Frame.around(pts, 240, 160)
    for lon, lat in pts:
        x, y = frame.xy(lon, lat)
        assert 0 < x < 240 and 0 < y < 160


def test_world_atlas_decodes_countries_by_iso_code():
    world = load_world(WORLD_SMALL)
    assert len(world.countries) > 150
    germany = world.country("de")
    assert germany is not None and germany.name == "Germany"
    lon0, lat0, lon1, lat1 = germany.bbox
    assert 5 < lon0 < lon1 < 16 and 47 < lat0 < lat1 < 56
    assert world.country("zz") is None and world.by_id.get("010") is None  # no Antarctica
    assert load_world(WORLD_MEDIUM).country("SG") is not None  # small at 1:50m only
    assert germany.path(Frame(1000, 500).xy).startswith("M")


def test_topojson_arcs_are_delta_decoded_and_reversed():
    topology = {
        "transform": {"scale": [1, 1], "translate": [0, 0]},
        "arcs": [[[0, 0], [10, 0], [0, 10]], [[10, 10], [-10, 0], [0, -10]]],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "id": "999", "properties": {"name": "Square"}, "arcs": [[0, 1]]},
            {"type": "Polygon", "id": "998", "properties": {"name": "Back"}, "arcs": [[~1]]},
        ]}},
    }  # fmt: skip
    world = decode(topology)
    square = world.by_id["999"].polygons[0][0]
    assert square == [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    assert world.by_id["998"].polygons[0][0][0] == (0, 0)  # the second arc, reversed


def test_ring_along_the_antimeridian_is_cut_not_drawn_across_the_map():
    ring = [(179.0, 60.0), (180.0, 61.0), (-180.0, 61.0), (-179.0, 60.0), (-179.5, 59.0),
            (-180.0, 59.0), (180.0, 59.0), (179.0, 60.0)]  # fmt: skip
    path = ring_path(ring, Frame(1000, 500).xy)
    assert path.count("M") == 2  # two parts, no line across the world


@pytest.mark.parametrize(
    "wkt,expected",
    [
        ("POINT(7.09549 50.73438)", (7.09549, 50.73438)),
        (" point ( -43.9 -19.9 ) ", (-43.9, -19.9)),
        ("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(1 2)", (1.0, 2.0)),
        ("POINT(1e1 2)", (10.0, 2.0)),
        ("POINT(181 0)", None),
        ("POINT(0 -91)", None),
        ("LINESTRING(7 50, 8 51)", None),
        ("POINT(1)", None),
    ],
)
def test_parse_point(wkt, expected):
    assert parse_point(wkt) == expected


def test_grid_clusters_merge_a_cell_and_keep_others_apart():
    markers = [
        Marker("a", 1, 1, "x", 10, 50),
        Marker("b", 5, 5, "y", 12, 52),
        Marker("c", 8, 2, "y", 11, 51),
        Marker("d", 90, 90, "x", 100, 0),
    ]
    clusters = grid_clusters(markers, 20)
    assert [c.count for c in clusters] == [3, 1]
    first = clusters[0]
    assert first.group == "y" and first.lon == pytest.approx(11) and first.lat == pytest.approx(51)
    assert sum(c.count for c in grid_clusters(markers, 1)) == 4


def test_geojson_feature_order_is_lon_lat():
    f = feature(7.1, 50.7, {"iri": "x"}, "x")
    assert f["geometry"] == {"type": "Point", "coordinates": [7.1, 50.7]}
    fc = feature_collection([f], total=1)
    assert fc["type"] == "FeatureCollection" and fc["features"] == [f] and fc["total"] == 1


def test_overlapping_clusters_are_merged():
    from cckg.core.geo import merge_overlapping

    markers = [Marker("a", 0, 0), Marker("b", 22, 0), Marker("c", 200, 0)]
    clusters = grid_clusters(markers, 20)
    assert len(clusters) == 3
    merged = merge_overlapping(clusters, lambda n: 10 + 2 * n)
    assert sorted(c.count for c in merged) == [1, 2]
    assert merged[0].x == pytest.approx(11)
    assert len(merge_overlapping(clusters, lambda n: 1)) == 3
