"""The writer's ownership rule asks the store which of a write's subjects another graph already
describes. On an embedded store it asks one thing at a time, or, for many things, reads the
other graphs' subjects once: both ways give the same answer (a real store, no stand-ins)."""

from __future__ import annotations

from rdflib import RDFS, Graph, Literal, URIRef

from cckg.core.gate import rules
from cckg.core.store import EmbeddedStore

BASE = "https://w3id.org/cckg/"
CITIES = URIRef(f"{BASE}graph/reference/cities")
THEMES = URIRef(f"{BASE}graph/ontology/themes")


def _thing(n: int) -> str:
    return f"{BASE}id/solution/t-{n}"


def test_one_at_a_time_and_one_scan_agree() -> None:
    store = EmbeddedStore(None, BASE)
    cities, themes = Graph(), Graph()
    for n in range(0, 40, 3):
        cities.add((URIRef(_thing(n)), RDFS.label, Literal(f"city {n}")))
    themes.add((URIRef(_thing(7)), RDFS.label, Literal("theme 7")))
    themes.add((URIRef(_thing(9)), RDFS.label, Literal("theme 9")))  # in both graphs
    store.replace_graphs({CITIES: [cities], THEMES: [themes]})
    graphs = sorted([str(CITIES), str(THEMES)])
    expected = {_thing(n): str(CITIES) for n in range(0, 40, 3) if n != 9}
    expected[_thing(7)] = str(THEMES)

    few = [_thing(n) for n in range(40)]
    one_by_one = rules._described_in(store, few, graphs)
    assert len(few) <= rules._PER_THING_MAX
    many = few + [_thing(n) for n in range(1000, 1000 + rules._PER_THING_MAX)]
    scanned = rules._described_in(store, many, graphs)

    for found in (one_by_one, scanned):
        assert set(found) == set(expected) | {_thing(9)}
        assert {k: v for k, v in found.items() if k != _thing(9)} == expected
        assert found[_thing(9)] in graphs  # described by both: either is an answer
    assert rules._described_in(store, few, []) == {}
    assert rules._described_in(store, [], graphs) == {}
