"""The embedded store's atomic graph replacement (cckg.core.store.bulk_replace): each way of
writing gives exactly the new graphs, blank nodes never merge, and a committed big write that a
crash interrupted is finished when the store is next opened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from cckg.core.store import PENDING, EmbeddedStore, bulk_replace, canonical_hash, to_rdflib

G1 = URIRef("https://w3id.org/cckg/graph/files/one")
G2 = URIRef("https://w3id.org/cckg/graph/files/two")
P = URIRef("urn:x:p")


def lines(n: int, tag: str, start: int = 0) -> bytes:
    return "".join(f'<urn:x:s{i}> <urn:x:p> "{tag} {i}" .\n' for i in range(start, n)).encode()


def graph(store: EmbeddedStore, name: URIRef) -> Graph:
    g = Graph()
    for q in ox.parse(store.export_nquads([name]), format=ox.RdfFormat.N_QUADS):
        g.add(tuple(to_rdflib(t) for t in (q.subject, q.predicate, q.object)))
    return g


def expected(data: bytes) -> Graph:
    return Graph().parse(data=data, format="nt")


def ways(monkeypatch) -> list[str]:
    """Which of bulk load / update / journal the next write takes."""
    used: list[str] = []
    for name in ("_bulk_add", "_commit", "_add_new_graphs"):
        original = getattr(bulk_replace, name)

        def spy(*args, _original=original, _name=name):
            used.append(_name)
            return _original(*args)

        monkeypatch.setattr(bulk_replace, name, spy)
    return used


def test_new_graphs_go_in_with_one_bulk_load(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk_replace, "TRANSACTION_MAX", 100)  # else one update does it
    used = ways(monkeypatch)
    store = EmbeddedStore(tmp_path / "s")
    store.replace_graphs({G1: [lines(100, "a")], G2: [lines(50, "b")]})
    assert used == ["_bulk_add"]
    assert isomorphic(graph(store, G1), expected(lines(100, "a")))
    assert isomorphic(graph(store, G2), expected(lines(50, "b")))
    store.close()


def test_a_small_change_is_one_update_and_leaves_other_graphs(tmp_path, monkeypatch):
    store = EmbeddedStore(tmp_path / "s")
    store.replace_graphs({G1: [lines(100, "a")], G2: [lines(50, "b")]})
    before = canonical_hash(store.export_nquads([G2]))
    used = ways(monkeypatch)
    new = lines(90, "a") + lines(120, "c", start=90)  # 10 triples changed, 20 added
    store.replace_graphs({G1: [new]})
    assert used == []  # neither a bulk load nor a journal: one transactional update
    assert isomorphic(graph(store, G1), expected(new))
    assert canonical_hash(store.export_nquads([G2])) == before
    store.close()


def test_a_big_change_goes_through_the_journal(tmp_path, monkeypatch):
    store = EmbeddedStore(tmp_path / "s")
    store.replace_graphs({G1: [lines(3000, "a")]})
    monkeypatch.setattr(bulk_replace, "TRANSACTION_MAX", 100)
    monkeypatch.setattr(bulk_replace, "BULK_ATOMIC", 100)
    used = ways(monkeypatch)
    new = lines(2000, "b")
    store.replace_graphs({G1: [new], G2: [lines(500, "c")]})
    assert "_commit" in used
    assert isomorphic(graph(store, G1), expected(new))
    assert isomorphic(graph(store, G2), expected(lines(500, "c")))
    assert not (tmp_path / "s" / PENDING).exists()
    store.close()


@pytest.mark.slow
def test_many_new_quads_load_side_by_side_under_an_undo_journal(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk_replace, "BULK_ATOMIC", 100)
    used = ways(monkeypatch)
    store = EmbeddedStore(tmp_path / "s")
    big = lines(60_000, "a")  # over a megabyte: two bulk loads at once
    store.replace_graphs({G1: [big], G2: [lines(500, "b")]})
    assert used == ["_add_new_graphs"]
    assert isomorphic(graph(store, G1), expected(big))
    assert isomorphic(graph(store, G2), expected(lines(500, "b")))
    assert not (tmp_path / "s" / PENDING).exists()
    store.close()


@pytest.mark.slow
def test_new_graphs_a_crash_interrupted_are_dropped_on_the_next_open(tmp_path, monkeypatch):
    path = tmp_path / "s"
    store = EmbeddedStore(path)
    store.replace_graphs({G2: [lines(10, "kept")]})
    monkeypatch.setattr(bulk_replace, "BULK_ATOMIC", 100)

    def half_then_crash(store, parts):  # the first part goes in, then the process "dies"
        graph, data = next(iter(parts.items()))
        store.bulk_load(data[0], format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        raise KeyboardInterrupt

    monkeypatch.setattr(bulk_replace, "_bulk_load_parts", half_then_crash)
    try:
        store.replace_graphs({G1: [lines(60_000, "new")]})
    except KeyboardInterrupt:
        pass
    assert G1 in store.named_graphs()  # a part is in...
    store.close()
    monkeypatch.undo()
    store = EmbeddedStore(path)  # ...and the open undoes it
    assert G1 not in store.named_graphs()
    assert isomorphic(graph(store, G2), expected(lines(10, "kept")))
    assert not (path / PENDING).exists()
    store.close()


def test_blank_nodes_stay_apart_and_are_replaced_whole(tmp_path):
    store = EmbeddedStore(tmp_path / "s")
    same_label = b'<urn:x:a> <urn:x:p> _:b0 .\n_:b0 <urn:x:p> "x" .\n'
    store.replace_graphs({G1: [same_label], G2: [same_label]})
    rows = store.select("SELECT DISTINCT ?b WHERE { ?a <urn:x:p> ?b FILTER(isBlank(?b)) }")
    assert len(rows) == 2  # one blank node per graph, not one shared
    g = Graph()
    b = BNode()
    g.add((URIRef("urn:x:a"), P, b))
    g.add((b, P, Literal("y")))
    store.replace_graphs({G1: [g]})
    got = graph(store, G1)
    assert len(got) == 2 and isomorphic(got, g)
    store.close()


def test_a_committed_write_is_finished_on_the_next_open(tmp_path, monkeypatch):
    path = tmp_path / "s"
    store = EmbeddedStore(path)
    store.replace_graphs({G1: [lines(1000, "old")]})
    new = lines(1500, "new")
    # commit the journal, then "crash" before applying it
    monkeypatch.setattr(bulk_replace, "recover", lambda *a: False)
    monkeypatch.setattr(bulk_replace, "TRANSACTION_MAX", 10)
    store.replace_graphs({G1: [new]})
    assert (path / PENDING / bulk_replace.JOURNAL).exists()
    store.close()
    monkeypatch.undo()
    store = EmbeddedStore(path)  # recovers
    assert isomorphic(graph(store, G1), expected(new))
    assert not (path / PENDING).exists()
    store.close()


def test_an_uncommitted_write_is_dropped_on_the_next_open(tmp_path):
    path = tmp_path / "s"
    store = EmbeddedStore(path)
    store.replace_graphs({G1: [lines(100, "old")]})
    store.close()
    (path / PENDING).mkdir()
    (path / PENDING / "adds-0-0.nt").write_bytes(lines(10, "half"))  # no journal yet
    store = EmbeddedStore(path)
    assert isomorphic(graph(store, G1), expected(lines(100, "old")))
    assert not (path / PENDING).exists()
    store.close()


WRITER = """
import sys
from pathlib import Path
from rdflib import URIRef
from cckg.core.store import bulk_replace
from cckg.core.store import EmbeddedStore
bulk_replace.TRANSACTION_MAX = bulk_replace.BULK_ATOMIC = 1000  # force the journal
n, tag = int(sys.argv[2]), sys.argv[3]
data = "".join(f'<urn:x:s{i}> <urn:x:p> "{tag} {i}" .\\n' for i in range(n)).encode()
store = EmbeddedStore(Path(sys.argv[1]))
print("ready", flush=True)
store.replace_graphs({URIRef(sys.argv[4]): [data]})
store.close()
"""


def _hash_of(path: Path) -> str | None:
    store = EmbeddedStore(path)
    try:
        if G1 not in store.named_graphs():
            return None
        quads = ox.parse(store.export_nquads([G1]), format=ox.RdfFormat.N_QUADS)
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
        return canonical_hash("\n".join(f"{t} ." for t in triples).encode())
    finally:
        store.close()


def _want(n: int, tag: str) -> str:
    return canonical_hash(lines(n, tag).rstrip(b"\n"))


@pytest.mark.slow
def test_kill_9_during_a_journal_write_leaves_old_or_new(tmp_path):
    path = tmp_path / "s"

    def write(n: int, tag: str, delay: float | None) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(n), tag, str(G1)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        if delay is not None:
            time.sleep(delay)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=120) in (0, -signal.SIGKILL)

    for delay in (0.0, 0.5, 1.5):  # the first write of the graph: an undo journal
        write(30000, "new", delay)
        assert _hash_of(path) in (None, _want(30000, "new"))
        store = EmbeddedStore(path)
        store.drop_graphs([G1])
        store.close()
    write(2000, "old", None)
    old, new = _want(2000, "old"), _want(30000, "new")
    seen = set()
    for delay in (0.0, 0.3, 0.8, 1.5, 3.0):
        write(30000, "new", delay)
        got = _hash_of(path)  # the open finishes a committed write
        assert got in (old, new), f"neither old nor new after a kill at {delay} s"
        seen.add("new" if got == new else "old")
        if got == new:
            write(2000, "old", None)
    assert "old" in seen
