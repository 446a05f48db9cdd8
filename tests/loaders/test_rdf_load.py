"""RDF files through the fast path (pyoxigraph parse, fast_shacl on the parsed store, hash of
canonical N-Triples, bulk write): reloads, blank nodes, N-Quads, error locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from cckg.cli import main
from cckg.core import iris
from cckg.core.gate.content import digest
from cckg.core.gate.oxgraph import OxGraph
from cckg.core.store import EmbeddedStore
from cckg.loaders.pipeline import parse_path

SOL = "https://w3id.org/cckg/id/solution/"
CCKG = "https://w3id.org/cckg/def/cckg#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def load(path: Path, store: Path, *extra: str) -> tuple[int, dict | str]:
    result = CliRunner().invoke(
        main, ["load", "--format", "json", *extra, str(path)], env={"CCKG_STORE": str(store)}
    )
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.output


@pytest.mark.slow
def test_reload_of_unchanged_files_writes_nothing_even_with_blank_nodes(tmp_path):
    store = tmp_path / "store"
    ttl = tmp_path / "notes.ttl"
    ttl.write_text(
        "<urn:x:a> <urn:x:p> [ <urn:x:q> 'v' ; <urn:x:r> [ <urn:x:q> 'w' ] ] ,\n"
        "    [ <urn:x:q> 'u' ] .\n"
    )
    nt = tmp_path / "plain.nt"
    nt.write_text(
        "<urn:x:b> <urn:x:p> <urn:x:c> .\n<urn:x:b> <urn:x:p> 'x'@en .\n".replace("'", '"')
    )
    for path in (ttl, nt):
        code, first = load(path, store)
        assert code == 0, first
        assert list(first["graphs"]) == [str(iris.graph(f"files/{path.stem}"))]
        code, again = load(path, store)
        assert code == 0 and again["graphs"] == {}, again


def test_blank_nodes_of_two_files_stay_apart(tmp_path):
    store = tmp_path / "store"
    for name in ("one", "two"):
        (tmp_path / f"{name}.nt").write_text('<urn:x:a> <urn:x:p> _:b0 .\n_:b0 <urn:x:q> "v" .\n')
        assert load(tmp_path / f"{name}.nt", store)[0] == 0
    s = EmbeddedStore(store)
    try:
        rows = s.select("SELECT DISTINCT ?b WHERE { <urn:x:a> <urn:x:p> ?b }")
    finally:
        s.close()
    assert len(rows) == 2


def test_n_quads_file_is_one_graph(tmp_path):
    store = tmp_path / "store"
    nq = tmp_path / "dump.nq"
    nq.write_text(
        "<urn:x:a> <urn:x:p> <urn:x:b> <urn:x:g1> .\n"
        "<urn:x:a> <urn:x:p> <urn:x:c> <urn:x:g2> .\n"
        "<urn:x:a> <urn:x:p> <urn:x:d> .\n"
    )
    code, report = load(nq, store)
    assert code == 0, report
    assert report["graphs"] == {str(iris.graph("files/dump")): 3 + 7}  # + PROV
    s = EmbeddedStore(store)  # and nothing of the gate's context (class hierarchy) went in
    try:
        rows = s.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    finally:
        s.close()
    assert int(rows[0]["n"]) == 10


def test_violation_names_file_line_record_and_field(tmp_path):
    store = tmp_path / "store"
    nt = tmp_path / "sols.nt"
    nt.write_text(
        f"<urn:x:other> <urn:x:p> <urn:x:q> .\n"
        f"<{SOL}no-english> <{RDF_TYPE}> <{CCKG}Solution> .\n"
        f'<{SOL}no-english> <{RDFS_LABEL}> "Nur deutsch"@de .\n'
    )
    code, report = load(nt, store)
    assert code == 1, report
    located = [v for v in report["violations"] if v["field"] == "label"]
    assert located, report
    v = located[0]
    assert v["file"].endswith("sols.nt") and v["line"] == 2 and v["record"] == f"{SOL}no-english"
    assert str(iris.graph("files/sols")) not in EmbeddedStore(store).named_graphs()


def test_syntax_error_names_the_line(tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_text("<urn:x:a> <urn:x:p> <urn:x:b> .\n<urn:x:a> <urn:x:p> <urn x> .\n<urn:x:c> .\n")
    code, report = load(bad, tmp_path / "store")
    assert code == 2
    assert report["error"]["file"].endswith("bad.nt") and report["error"]["line"] == 2
    assert "syntax error" in report["error"]["message"]


def test_parsed_rdf_file_is_an_oxgraph_with_the_graph_api(tmp_path):
    nt = tmp_path / "g.nt"
    nt.write_text(
        '<urn:x:a> <urn:x:p> "1" .\n<urn:x:a> <urn:x:p> "1" .\n<urn:x:b> <urn:x:p> "2" .\n'
    )
    source = parse_path(nt)
    assert isinstance(source.public, OxGraph) and len(source.public) == 2
    assert {str(s) for s in source.public.subjects()} == {"urn:x:a", "urn:x:b"}
    assert len(Graph().parse(data=source.public.serialize(format="nt"), format="nt")) == 2


def test_content_hash_ignores_order_and_blank_node_labels():
    a = OxGraph.from_ntriples(
        b'<urn:x:a> <urn:x:p> _:x .\n_:x <urn:x:q> "1" .\n<urn:x:b> <urn:x:p> "2" .\n'
    )
    b = OxGraph.from_ntriples(
        b'<urn:x:b> <urn:x:p> "2" .\n_:other <urn:x:q> "1" .\n<urn:x:a> <urn:x:p> _:other .\n'
    )
    c = OxGraph.from_ntriples(
        b'<urn:x:a> <urn:x:p> _:x .\n_:x <urn:x:q> "3" .\n<urn:x:b> <urn:x:p> "2" .\n'
    )
    assert digest(a.ntriples()) == digest(b.ntriples()) != digest(c.ntriples())
    g = Graph().parse(data=b.ntriples(), format="nt")
    assert digest(OxGraph.from_graphs([g]).ntriples()) == digest(a.ntriples())  # rdflib, too


@pytest.mark.slow
def test_cities_without_rdflib_are_the_reference_cities():
    from rdflib.compare import isomorphic

    from cckg.loaders import city_source
    from tests.support import reference_cities

    ids = {int(c["geonameid"]) for i, c in enumerate(city_source.iter_cities()) if i % 40 == 0}
    expected = reference_cities.cities(only=ids)
    fast = city_source.cities(only=ids)
    assert len(fast.public) == len(expected.public) > 10_000
    got = Graph().parse(data=fast.public.ntriples(), format="nt")
    assert isomorphic(got, expected.public)
    assert fast.locations == expected.locations and fast.graph_name == expected.graph_name


def test_content_hash_does_not_depend_on_blank_node_labels_or_order():
    import random

    from cckg.core.gate.content import canonical_lines

    lines = [
        b"<urn:x:a> <urn:x:p> _:X .",
        b'_:X <urn:x:q> "v" .',
        b"_:X <urn:x:r> _:Y .",
        b'_:Y <urn:x:q> "w" .',
        b"<urn:x:a> <urn:x:p> _:Z .",
        b'_:Z <urn:x:q> "u" .',
    ]
    rng = random.Random(7)
    seen = set()
    for _ in range(20):
        shuffled = rng.sample(lines, len(lines))
        text = b"\n".join(shuffled) + b"\n"
        for label in (b"_:X", b"_:Y", b"_:Z"):
            text = text.replace(label, b"_:n%d" % rng.randrange(10**9))
        seen.add(tuple(canonical_lines(text)))
    assert len(seen) == 1


def test_the_progress_bar_starts_no_thread(monkeypatch):
    """The gate forks its second worker only when no other thread runs (``forked.usable``);
    tqdm's monitor thread, started even for a disabled bar, kept every ``cckg load`` on one
    core."""
    import threading

    from tqdm import tqdm

    from cckg.loaders import pipeline

    if tqdm.monitor is not None:  # started by another test's bar
        tqdm.monitor.exit()
        monkeypatch.setattr(tqdm, "monitor", None)
    monkeypatch.setattr(tqdm, "monitor_interval", 10)  # tqdm's default
    before = set(threading.enumerate())
    for quiet in (True, False):
        bar = pipeline._progress(10, "validating", quiet)
        bar.update(5)
        assert set(threading.enumerate()) <= before, quiet
        bar.close()


def test_no_thread_of_the_load_is_left_when_the_gate_forks(tmp_path, monkeypatch):
    """The gate forks its second worker only when no other thread runs: the load's own threads
    (the N-Triples dump, the write rules, a progress bar's monitor) must have ended by then, or
    every big ``cckg load`` validates on one core."""
    import threading

    from cckg.core.gate import engine, forked

    monkeypatch.setattr(engine, "PARALLEL_MIN", 1)  # fork (or ask to) for any size
    before = set(threading.enumerate())
    seen: list[set[threading.Thread]] = []
    usable = forked.usable

    def asked() -> bool:
        seen.append(set(threading.enumerate()) - before)
        return usable()

    monkeypatch.setattr(forked, "usable", asked)
    nt = tmp_path / "plain.nt"
    nt.write_text('<urn:x:b> <urn:x:p> <urn:x:c> .\n<urn:x:b> <urn:x:p> "x"@en .\n')
    code, report = load(nt, tmp_path / "store")
    assert code == 0, report
    assert seen == [set()]
