"""Virtuoso Open Source (Debian ``virtuoso-opensource``) on a store's N-Quads dump, for the
remote-store columns of the latency phase.

The database is built once per dump under ``var/bench/virtuoso-{name}/`` (bulk loader:
``ld_dir`` + ``rdf_loader_run``) and reused while the dump's stamp matches. The server runs on
free loopback ports with anonymous updates granted (as ``docs/deployment.md`` sets it up) and
is stopped by its process group when the phase ends.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import util
from bench.generate import CACHE_DIR

# ResultSetMaxRows above what the matcher reads at 1e6 (theme holders: tens of thousands of
# rows), so answers are not paged; NumberOfBuffers: about 800 MB of page cache.
INI = """\
[Database]
DatabaseFile = ./db/virtuoso.db
ErrorLogFile = ./db/virtuoso.log
LockFile = ./db/virtuoso.lck
TransactionFile = ./db/virtuoso.trx
xa_persistent_file = ./db/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = ./db/virtuoso-temp.db
TransactionFile = ./db/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 100000
MaxDirtyBuffers = 75000
DirsAllowed = ., ./load
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 10
MaxClientConnections = 10
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = {timeout}
"""
STAMP = "bench-virtuoso.json"


def available() -> bool:
    return shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None


def _isql(sql_port: int, statement: str, timeout: float = 600) -> str:
    out = subprocess.run(  # noqa: S603 (fixed tool, loopback port)
        [shutil.which("isql-vt") or "isql-vt", f"127.0.0.1:{sql_port}", "dba", "dba",
         f"exec={statement}"],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if out.returncode != 0 or "*** Error" in out.stdout + out.stderr:
        raise RuntimeError(f"isql {statement[:80]!r}: {out.stdout[-500:]}{out.stderr[-500:]}")
    return out.stdout


@contextmanager
def _running(workdir: Path, timeout_s: float) -> Iterator[tuple[str, int]]:
    sql_port, http_port = util.free_port(), util.free_port()
    (workdir / "virtuoso.ini").write_text(
        INI.format(sql_port=sql_port, http_port=http_port, timeout=max(1, round(timeout_s)))
    )
    with (workdir / "virtuoso.out").open("ab") as log:
        proc = subprocess.Popen(  # noqa: S603 (fixed tool)
            [shutil.which("virtuoso-t") or "virtuoso-t", "+configfile", "virtuoso.ini",
             "+foreground"],
            cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    sparql = f"http://127.0.0.1:{http_port}/sparql"
    try:
        ok = util.wait_until(
            lambda: util.http_get(f"{sparql}?query=ASK%7B%7D", timeout=2)[0] == 200, 120, 0.2
        )
        if ok is None:
            raise RuntimeError(f"virtuoso-t did not come up within 120 s (see {workdir})")
        yield sparql, sql_port
    finally:
        if proc.poll() is None:
            try:
                _isql(sql_port, "shutdown;", timeout=30)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass  # isql loses its connection while the server goes down
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                util.stop(proc)


def _build(dump: Path, workdir: Path, log: Callable[[str], None]) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "db").mkdir(parents=True)
    (workdir / "load").mkdir()
    (workdir / "load" / "data.nq").symlink_to(dump.resolve())
    t0 = time.perf_counter()
    with _running(workdir, 600) as (_, sql_port):
        _isql(sql_port, 'GRANT SPARQL_UPDATE TO "SPARQL";')
        _isql(sql_port, "ld_dir('./load', '*.nq', 'urn:x-cckg:bench-default');")
        _isql(sql_port, "rdf_loader_run();", timeout=3600)
        _isql(sql_port, "checkpoint;", timeout=600)
    log(f"  Virtuoso database built from {dump.name} in {time.perf_counter() - t0:.1f} s")


@contextmanager
def server(dump: Path, timeout_s: float, log: Callable[[str], None] = print) -> Iterator[str]:
    """A Virtuoso holding ``dump`` (N-Quads), its /sparql URL for reads and writes."""
    workdir = CACHE_DIR / f"virtuoso-{dump.stem}"
    stamp = {"dump": dump.name, "size": dump.stat().st_size, "mtime": dump.stat().st_mtime}
    marker = workdir / STAMP
    if not (marker.exists() and json.loads(marker.read_text()) == stamp):
        log(f"building a Virtuoso database from {dump} -> {workdir}")
        _build(dump, workdir, log)
        marker.write_text(json.dumps(stamp))
    with _running(workdir, timeout_s) as (sparql, _):
        yield sparql
