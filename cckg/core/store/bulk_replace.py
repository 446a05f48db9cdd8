"""Replace named graphs of an on-disk pyoxigraph store atomically, at bulk-load speed.

Oxigraph writes transactionally at about 10-20k quads/s (an update such as ``MOVE`` copies
quad by quad), while its bulk loader writes sorted files and ingests them into RocksDB at
100k+ quads/s. A write is planned as a diff against the stored graphs and done in one of
four ways, each leaving the old or the new state after a crash:

* at most :data:`TRANSACTION_MAX` changes: one SPARQL update (one transaction).
* else only additions, at most :data:`BULK_ATOMIC` quads: one bulk load. The loader ingests
  up to a million quads as one batch, and RocksDB ingests a batch's files for every index at
  once.
* new graphs only, more quads: bulk loads side by side under an undo journal (committed,
  renamed into place, before the store is touched); :func:`recover` drops those graphs when
  the store is next opened for writing after a crash: the old state.
* anything else: the diff is written to files before its journal is committed; a crash
  rolls forward to the new state on the next open.

Readers in the writing process itself may see part of a journalled write while it is
applied. Small writes take the update even when they only add: right after a bulk load, a
read-only open of the store failed on an index file that had gone (the SPARQL workers of
``cckg serve`` reopen the store after each write, tests/test_sparql_endpoint.py), and the
server's own writes are mostly small.

Blank nodes get labels unique to the write, so they never merge with stored ones; a replaced
graph's blank-node triples are replaced as a whole.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from cckg.core.store.terms import written

log = logging.getLogger("cckg.store")

BULK_ATOMIC = 999_999  # pyoxigraph's bulk loader ingests 1,000,000 quads per batch
TRANSACTION_MAX = 50_000  # changes one update makes in a few seconds
JOURNAL = "journal.json"
_CHUNK = 20_000  # lines per DELETE DATA while a journal is applied
_LOADERS = 2  # bulk loads at once
_NT = ox.RdfFormat.N_TRIPLES


@dataclass
class _Diff:
    """For each graph: lines to add, lines to delete, and whether its blank nodes go."""

    adds: dict[str, bytes | list[Path]] = field(default_factory=dict)  # or files of them
    new: set[str] = field(default_factory=set)  # graphs the store does not have yet
    deletes: dict[str, bytes | Path] = field(default_factory=dict)
    clear_blank: list[str] = field(default_factory=list)

    @staticmethod
    def count(lines: Mapping[str, bytes | list[Path]] | Mapping[str, bytes | Path]) -> int:
        return sum(data.count(b"\n") for data in lines.values() if isinstance(data, bytes))


def replace(store: ox.Store, pending: Path | None, graphs: Mapping[str, bytes]) -> None:
    """Make each named graph (IRI) hold exactly the given N-Triples, atomically.

    ``pending`` is a directory for the journal of big writes; None (an in-memory store,
    nothing to recover) applies big writes directly.
    """
    diff = _plan(store, graphs)
    adds, deletes = diff.count(diff.adds), diff.count(diff.deletes)
    if adds + deletes <= TRANSACTION_MAX:
        # also for small additions: see the module docstring (read-only openers)
        store.update(_update_text(diff))
    elif not deletes and not diff.clear_blank and adds <= BULK_ATOMIC:
        _bulk_add(store, diff.adds)
    elif pending is None:
        _apply(store, diff)
    elif not deletes and not diff.clear_blank and diff.new.issuperset(diff.adds):
        _add_new_graphs(store, pending, diff)
    else:
        _commit(pending, diff)
        recover(store, pending)


def recover(store: ox.Store, pending: Path) -> bool:
    """Finish a committed write that was interrupted (True if there was one)."""
    journal = pending / JOURNAL
    if not journal.exists():
        if pending.exists():  # files of a write that never committed
            shutil.rmtree(pending, ignore_errors=True)
        return False
    entries = json.loads(journal.read_text(encoding="utf-8"))
    if "undo" in entries:  # new graphs, maybe partly loaded: back to the state before
        log.warning("undoing an interrupted write of %d new graph(s)", len(entries["undo"]))
        for i, graph in enumerate(entries["undo"], 1):
            log.warning("  dropping %s (%d/%d)", graph, i, len(entries["undo"]))
            _drop_in_chunks(store, graph)
        _finish(store, pending)
        log.warning("the store is as it was before that write")
        return True
    touched = len(set(entries["adds"]) | set(entries["deletes"]))
    log.warning("finishing a committed write that was interrupted (%d graph(s))", touched)
    diff = _Diff(clear_blank=entries["clear_blank"])
    diff.adds = {graph: [pending / n for n in names] for graph, names in entries["adds"].items()}
    diff.deletes = {graph: pending / name for graph, name in entries["deletes"].items()}
    _apply(store, diff, progress=True)
    _finish(store, pending)
    log.warning("the interrupted write is finished")
    return True


def _finish(store: ox.Store, pending: Path) -> None:
    store.flush()
    (pending / JOURNAL).unlink()
    shutil.rmtree(pending, ignore_errors=True)


def _add_new_graphs(store: ox.Store, pending: Path, diff: _Diff) -> None:
    """New graphs only, too many quads for one atomic batch: bulk loads side by side, under
    a journal that undoes them (drops the graphs) if a crash comes first. Nothing else is
    written to disk (an undo needs no copy of the data)."""
    shutil.rmtree(pending, ignore_errors=True)
    pending.mkdir(parents=True)
    _write_journal(pending, {"undo": sorted(diff.adds)})
    parts = {graph: _halves(_read(data)) for graph, data in diff.adds.items()}
    _bulk_load_parts(store, parts)
    _finish(store, pending)


def _drop_in_chunks(store: ox.Store, graph: str) -> None:
    """Remove a graph in transactions of bounded size (a recovery may drop a million quads)."""
    node = f"<{graph}>"
    while store.contains_named_graph(ox.NamedNode(graph)):
        store.update(
            f"DELETE {{ GRAPH {node} {{ ?s ?p ?o }} }} WHERE {{ SELECT ?s ?p ?o WHERE "
            f"{{ GRAPH {node} {{ ?s ?p ?o }} }} LIMIT {_CHUNK} }}"
        )
        if not next(iter(store.quads_for_pattern(None, None, None, ox.NamedNode(graph))), None):
            store.remove_graph(ox.NamedNode(graph))


# ---------------------------------------------------------------- planning


def _plan(store: ox.Store, graphs: Mapping[str, bytes]) -> _Diff:
    diff = _Diff()
    for graph, data in graphs.items():
        data = _unique_blank_labels(data)
        node = ox.NamedNode(graph)
        if not store.contains_named_graph(node):
            diff.adds[graph] = data if data.endswith(b"\n") or not data else data + b"\n"
            diff.new.add(graph)
            continue
        new = set(data.split(b"\n"))
        new.discard(b"")
        old = set(written(store.dump(format=_NT, from_graph=node)).split(b"\n"))
        old.discard(b"")
        old_blank = {line for line in old if _has_blank(line)}
        if old_blank:
            diff.clear_blank.append(graph)
            old -= old_blank
        added, deleted = new - old, old - new
        if added:
            diff.adds[graph] = b"".join(line + b"\n" for line in added)
        if deleted:
            diff.deletes[graph] = b"".join(line + b"\n" for line in deleted)
    return diff


def _has_blank(line: bytes) -> bool:
    if line.startswith(b"_:"):
        return True
    parts = line.split(b" ", 2)
    return len(parts) == 3 and parts[2].startswith(b"_:")


def _unique_blank_labels(data: bytes) -> bytes:
    """Blank node labels made unique to this write (stored labels are global in a store)."""
    if b"_:" not in data:
        return data
    prefix = b"_:w" + secrets.token_hex(12).encode()
    out = []
    for line in data.split(b"\n"):
        if _has_blank(line):
            s, p, rest = line.split(b" ", 2)
            if s.startswith(b"_:"):
                s = prefix + s[2:]
            if rest.startswith(b"_:"):
                rest = prefix + rest[2:]
            line = b"%s %s %s" % (s, p, rest)
        out.append(line)
    return b"\n".join(out)


# ---------------------------------------------------------------- writing


def _bulk_add(store: ox.Store, adds: Mapping[str, bytes | list[Path]]) -> None:
    """All additions in one bulk load call (one batch: see BULK_ATOMIC)."""
    if len(adds) == 1:
        ((graph, data),) = adds.items()
        store.bulk_load(_read(data), format=_NT, to_graph=ox.NamedNode(graph))
    elif adds:
        quads = b"".join(_as_nquads(_read(data), graph) for graph, data in adds.items())
        store.bulk_load(quads, format=ox.RdfFormat.N_QUADS)


def _bulk_load_parts(
    store: ox.Store, adds: Mapping[str, bytes | list[Path]] | Mapping[str, list[bytes]]
) -> None:
    """Several bulk loads at once: the loader builds each call's index files on one thread,
    so two calls use two cores (a third does not pay on two)."""
    jobs = []
    for graph, data in adds.items():
        files = data if isinstance(data, list) else [data]
        jobs += [(graph, f) for f in files]

    def load(job: tuple[str, bytes | Path]) -> None:
        graph, data = job
        if isinstance(data, Path):
            store.bulk_load(path=str(data), format=_NT, to_graph=ox.NamedNode(graph))
        else:
            store.bulk_load(data, format=_NT, to_graph=ox.NamedNode(graph))

    with ThreadPoolExecutor(max_workers=_LOADERS) as pool:
        list(pool.map(load, jobs))


def _read(data: bytes | Path | list[Path]) -> bytes:
    if isinstance(data, list):
        return b"".join(f.read_bytes() for f in data)
    return data.read_bytes() if isinstance(data, Path) else data


def _as_nquads(data: bytes, graph: str) -> bytes:
    suffix = f" <{graph}> .".encode()
    return b"".join(
        line.removesuffix(b".").rstrip() + suffix + b"\n" for line in data.split(b"\n") if line
    )


def _update_text(diff: _Diff) -> str:
    ops = [_clear_blank(g) for g in diff.clear_blank]
    if diff.deletes:
        ops.append("DELETE DATA { " + _blocks(diff.deletes) + " }")
    if diff.adds:
        ops.append("INSERT DATA { " + _blocks(diff.adds) + " }")
    return " ;\n".join(ops)


def _blocks(lines: Mapping[str, bytes | Path | list[Path]]) -> str:
    return " ".join(f"GRAPH <{g}> {{\n{_read(data).decode('utf-8')}}}" for g, data in lines.items())


def _clear_blank(graph: str) -> str:
    return (
        f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o "
        "FILTER(isBlank(?s) || isBlank(?o)) } }"
    )


def _apply(store: ox.Store, diff: _Diff, progress: bool = False) -> None:
    """Deletions, then additions; repeating it after a partial run gives the same state."""
    for graph in diff.clear_blank:
        store.update(_clear_blank(graph))
    for graph, data in diff.deletes.items():
        if progress:
            log.warning("  removing the old triples of %s", graph)
        lines = _read(data).split(b"\n")
        for i in range(0, len(lines), _CHUNK):
            chunk = b"\n".join(lines[i : i + _CHUNK]).decode("utf-8")
            store.update(f"DELETE DATA {{ GRAPH <{graph}> {{\n{chunk}\n}} }}")
    if progress and diff.adds:
        log.warning("  loading the new triples of %d graph(s)", len(diff.adds))
    _bulk_load_parts(store, diff.adds)


def _commit(pending: Path, diff: _Diff) -> None:
    """Write the diff and then its journal, durably: from then on the write will happen."""
    shutil.rmtree(pending, ignore_errors=True)
    pending.mkdir(parents=True)
    entries: dict = {"clear_blank": diff.clear_blank, "adds": {}, "deletes": {}}
    for k, (graph, data) in enumerate(diff.deletes.items()):
        _write_synced(pending / f"deletes-{k}.nt", _read(data))
        entries["deletes"][graph] = f"deletes-{k}.nt"
    for k, (graph, added) in enumerate(diff.adds.items()):
        names = []
        for i, part in enumerate(_halves(_read(added))):  # loaded side by side
            names.append(f"adds-{k}-{i}.nt")
            _write_synced(pending / names[-1], part)
        entries["adds"][graph] = names
    _write_journal(pending, entries)


def _write_journal(pending: Path, entries: dict) -> None:
    _write_synced(pending / (JOURNAL + ".tmp"), json.dumps(entries).encode())
    os.replace(pending / (JOURNAL + ".tmp"), pending / JOURNAL)  # the commit point
    _sync_dir(pending)


def _halves(data: bytes) -> list[bytes]:
    """Two runs of whole lines (one if small)."""
    if len(data) < 1 << 20:
        return [data]
    cut = data.find(b"\n", len(data) // 2) + 1
    return [data[:cut], data[cut:]] if 0 < cut < len(data) else [data]


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
