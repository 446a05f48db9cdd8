"""The materialised theme hierarchy (skos:broaderTransitive in ontology/themes.ttl) equals the
closure of skos:broader, and the queries that need "a theme or a narrower one" use it."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from cckg.core import theme_closure
from cckg.core.queries import queries_dir

THEME = "https://w3id.org/cckg/id/theme/"


def _graph() -> Graph:
    return Graph().parse(theme_closure.THEMES_FILE, format="turtle")


def test_the_file_holds_exactly_the_closure_of_broader():
    graph = _graph()
    stated = {(URIRef(s), URIRef(o)) for s, o in graph.subject_objects(SKOS.broaderTransitive)}
    # the closure computed here with SPARQL, independently of theme_closure.closure
    rows = graph.query(
        "SELECT ?a ?b WHERE { ?a <http://www.w3.org/2004/02/skos/core#broader>+ ?b }"
    )
    expected = {(URIRef(a), URIRef(b)) for a, b in rows}
    assert stated == expected
    assert stated == theme_closure.closure(graph)
    assert len(expected) > len(set(graph.subject_objects(SKOS.broader)))  # depth 2 exists


def test_the_generated_block_is_up_to_date():
    assert theme_closure.main(["--check"]) == 0


def test_render_replaces_an_edited_block(tmp_path):
    text = theme_closure.THEMES_FILE.read_text(encoding="utf-8")
    stale = text.replace(
        "skos:broaderTransitive theme:", "skos:broaderTransitive theme:x , theme:", 1
    )
    path = tmp_path / "themes.ttl"
    path.write_text(stale, encoding="utf-8")
    assert theme_closure.main(["--check", "--file", str(path)]) == 1
    assert theme_closure.main(["--file", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == text


def test_named_queries_use_no_broader_paths():
    for path in sorted(queries_dir().glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        assert "broader*" not in text and "broader+" not in text, path.name
