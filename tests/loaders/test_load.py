"""`cckg load` / `validate` / `export` end to end on a real on-disk store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, URIRef

from cckg.cli import main
from cckg.core import iris
from cckg.core.store import EmbeddedStore, canonical_hash
from tests import ROOT


@pytest.fixture
def store_copy(demo_store, tmp_path) -> Path:
    """A consistent snapshot of the demo store that a test may write to."""
    target = tmp_path / "store"
    demo_store.backup(target)
    return target


def run(args: list[str], store: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, env={"CCKG_STORE": str(store)})
    return result.exit_code, result.stdout, result.stderr


def store_hash(path: Path) -> str:
    s = EmbeddedStore(path)
    try:
        return canonical_hash(s.export_nquads())
    finally:
        s.close()


@pytest.mark.slow
def test_reload_of_unchanged_file_leaves_store_untouched(store_copy):
    before = store_hash(store_copy)
    code, out, err = run(
        ["load", "--format", "json", str(ROOT / "data/solutions.yaml")], store_copy
    )
    assert code == 0, err
    assert json.loads(out)["graphs"] == {}  # nothing to write: same triples as stored
    assert store_hash(store_copy) == before


def test_changed_file_replaces_its_graph(store_copy, tmp_path):
    src = (ROOT / "data/solutions.yaml").read_text(encoding="utf-8")
    edited = tmp_path / "solutions.yaml"
    edited.write_text(
        src.replace("Belo Horizonte created two", "Belo Horizonte built two"), "utf-8"
    )
    code, out, err = run(["load", "--format", "json", str(edited)], store_copy)
    assert code == 0, err
    graph = str(iris.graph("curated/solutions"))
    assert list(json.loads(out)["graphs"]) == [graph]
    s = EmbeddedStore(store_copy)
    try:
        texts = {
            str(r["d"])
            for r in s.select(
                "SELECT ?d WHERE { ?x <http://purl.org/dc/terms/description> ?d }",
                {"x": iris.thing("solution", "belo-horizonte-zona-30")},
            )
        }
        prov = s.select(
            "SELECT ?p ?o WHERE { GRAPH ?g { ?g ?p ?o } }", {"g": URIRef(graph)}, dataset="all"
        )
    finally:
        s.close()
    assert any("built two" in t for t in texts) and not any("created two" in t for t in texts)
    preds = {str(r["p"]) for r in prov}
    assert "http://www.w3.org/ns/prov#generatedAtTime" in preds
    assert "https://w3id.org/cckg/def/cckg#checksum" in preds
    assert "https://w3id.org/cckg/def/cckg#loaderVersion" in preds


@pytest.mark.slow
def test_violation_rejects_whole_load_and_names_the_place(store_copy, tmp_path):
    src = (ROOT / "data/solutions.yaml").read_text(encoding="utf-8")
    # a status the shapes do not allow is caught by the parser (exit 2); an end year before the
    # start year parses fine and only SHACL's SPARQL constraint rejects it (exit 1)
    bad = tmp_path / "solutions.yaml"
    bad.write_text(src.replace("period: 2017-2019", "period: 2019-2017", 1), "utf-8")
    assert src != bad.read_text("utf-8")
    good = tmp_path / "institutions.csv"
    shutil.copy(ROOT / "data/institutions.csv", good)
    before = store_hash(store_copy)
    code, out, err = run(["load", "--format", "json", str(good), str(bad)], store_copy)
    assert code == 1
    report = json.loads(out)
    assert report["conforms"] is False
    v = report["violations"][0]
    assert v["file"].endswith("solutions.yaml") and v["line"] and v["record"]
    assert v["field"] == "periodEnd"
    assert v["message"] and v["message_de"]
    assert store_hash(store_copy) == before

    code, _out, err = run(["load", str(bad)], store_copy)
    assert code == 1 and "solutions.yaml" in err and "periodEnd" in err
    code, out, _err = run(["validate", "--format", "ttl", str(bad)], store_copy)
    assert code == 1 and "sh:ValidationReport" in out


def test_unreadable_input_exits_2_and_writes_nothing(store_copy, tmp_path):
    bad = tmp_path / "events.yaml"
    bad.write_bytes("- name: Café\n".encode("latin-1"))
    before = store_hash(store_copy)
    code, _out, err = run(["load", str(bad)], store_copy)
    assert code == 2
    assert "events.yaml" in err
    assert store_hash(store_copy) == before


@pytest.mark.slow
def test_validate_writes_nothing(store_copy):
    before = store_hash(store_copy)
    code, out, _ = run(["validate", str(ROOT / "data/events.yaml")], store_copy)
    assert code == 0 and "Conforms" in out
    assert store_hash(store_copy) == before


def test_contact_data_only_in_private_graph(demo_store):
    private = iris.private_graph()
    assert private in demo_store.named_graphs()
    rows = demo_store.select(
        "SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?o), '@example.org')) }",
        dataset="all",
    )
    assert rows, "the example practitioners' e-mail addresses should be in the private graph"
    assert {r["g"] for r in rows} == {private}


@pytest.mark.slow
def test_export_has_no_private_triples(store_copy, tmp_path):
    out = tmp_path / "dump.nq"
    code, _o, err = run(["export", "-o", str(out)], store_copy)
    assert code == 0, err
    ds = Dataset()
    ds.parse(out, format="nquads")
    assert len(ds) > 1000
    assert "@example.org" not in out.read_text("utf-8")
    graphs = {str(g.identifier) for g in ds.graphs()}
    assert str(iris.private_graph()) not in graphs
    code, _o, _e = run(["export", "--format", "trig", "-o", str(tmp_path / "d.trig")], store_copy)
    assert code == 0


def test_unknown_file_type_is_bad_input(store_copy, tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello", "utf-8")
    code, _out, err = run(["load", str(p)], store_copy)
    assert code == 2 and "notes.txt" in err
