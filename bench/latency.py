"""Latency of every named query and of the matcher on four engines, side by side.

Engines: the embedded store (``EmbeddedStore``, pyoxigraph on disk), rdflib's in-memory SPARQL
engine (an ``rdflib.Dataset`` holding the same quads, behind a Store adapter), the Oxigraph
server and Virtuoso over HTTP (``RemoteStore``). Matches and named queries keep what they read
per store version (``Store.version``: one small query on a remote store, asked by every run), so
a task's first run (the cost once per version) is reported apart from the repeats.
Each engine runs in its own worker process, so a query that
exceeds the time cap can be stopped: the rdflib worker interrupts itself with SIGALRM (pure
Python), the others are killed and restarted by the parent (Rust code cannot be interrupted).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import signal
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bench import util

# The matcher requests measured (label -> MatchRequest keyword arguments).
MATCH_REQUESTS: dict[str, dict[str, Any]] = {
    "match: text + city": {
        "text": "Our city needs know-how on separate bio-waste collection and composting",
        "city": "Amman",
        "langs": ("en",),
    },
    "match: theme + city": {"theme": "flood-management", "city": "2844588"},
    "match: stored need": {"need": "https://w3id.org/cckg/id/need/gen-1"},
}


FIRST_RUN_CAP_S = 60.0


@dataclass
class Settings:
    cap_s: float  # a single run longer than this is stopped and reported as "> cap"
    budget_s: float  # time spent per task and engine (after the first run)
    max_reps: int


@dataclass
class TaskResult:
    samples: list[float] = field(default_factory=list)
    rows: int | None = None
    timeout_s: float | None = None  # set when a run hit the cap
    error: str | None = None
    first: float | None = None  # the first run, reported apart when it is a warm-up
    answer: str | None = None  # digest of the first run's answer (``answer_digest``)

    def as_dict(self) -> dict[str, Any]:
        return {
            "median_ms": _ms(util.median(self.samples)),
            "p95_ms": _ms(util.p95(self.samples)),
            "first_ms": _ms(self.first) if self.first is not None else None,
            "n": len(self.samples),
            "rows": self.rows,
            "timeout_s": self.timeout_s,
            "error": self.error,
            "answer": self.answer,
        }


def _ms(x: float | None) -> float | None:
    return None if x is None else round(x * 1000, 2)


def task_names() -> list[str]:
    from cckg.core.queries import named_queries

    return [*named_queries(), *MATCH_REQUESTS]


# ---------------------------------------------------------------- rdflib as a Store


class RdflibStore:
    """The Store interface over an rdflib Dataset whose default graph is the union."""

    generation: int | None = None  # not counted: every match reads afresh, as on a remote store
    cache_dir: Path | None = None  # nowhere to keep derived data (sentence vectors)
    location = "memory"

    def version(self) -> Any:
        from cckg.core.store import ContentVersion

        return ContentVersion(())  # nothing writes to it while it is measured

    def __init__(self, dataset: Any, base_iri: str):
        self.ds = dataset
        self.base_iri = base_iri

    def _query(self, query: str, bindings: Mapping | None):
        from cckg.core.sparql_text import inject_values

        return self.ds.query(inject_values(query, bindings or {}))

    def select(
        self, query: str, bindings: Mapping | None = None, dataset: str = "public"
    ) -> list[dict[str, Any]]:
        result = self._query(query, bindings)
        return [{str(k): v for k, v in row.asdict().items()} for row in result]

    def select_terms(
        self, query: str, bindings: Mapping | None = None, dataset: str = "public"
    ) -> list[dict[str, Any]]:
        from cckg.core.store import to_oxigraph

        rows = self.select(query, bindings, dataset)
        return [{k: to_oxigraph(v) for k, v in row.items() if v is not None} for row in rows]

    def ask(self, query: str, bindings: Mapping | None = None, dataset: str = "public") -> bool:
        return bool(self._query(query, bindings).askAnswer)

    def construct(
        self, query: str, bindings: Mapping | None = None, dataset: str = "public"
    ) -> Any:
        return self._query(query, bindings).graph

    def named_graphs(self) -> list:
        return sorted(g.identifier for g in self.ds.graphs() if g.identifier != self.ds.default)

    def public_graphs(self) -> list:
        return self.named_graphs()


class _QueryTimeoutError(Exception):
    pass


@contextmanager
def _alarm(seconds: float | None):
    """Interrupt pure-Python work after ``seconds`` (main thread of a worker only)."""
    if not seconds:
        yield
        return

    def ring(signum, frame):
        raise _QueryTimeoutError()

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ---------------------------------------------------------------- the worker process


def _open(engine: str, source: str) -> Any:
    from cckg.core.settings import DEFAULT_BASE_IRI

    if engine == "embedded":
        from cckg.core.store import EmbeddedStore

        return EmbeddedStore(Path(source), read_only=True)
    if engine == "remote":
        from cckg.core.store import RemoteStore

        return RemoteStore(f"{source}/query", f"{source}/update", timeout_s=600)
    if engine == "virtuoso":  # one /sparql endpoint for reads and writes
        from cckg.core.store import RemoteStore

        return RemoteStore(source, source, timeout_s=600)
    if engine == "rdflib":
        from rdflib import Dataset

        ds = Dataset(default_union=True)
        ds.parse(source, format="nquads")
        return RdflibStore(ds, DEFAULT_BASE_IRI)
    raise ValueError(engine)


def _task(store: Any, matcher: Any, name: str) -> Callable[[], tuple[int, str]]:
    """The task's run: its number of rows (results) and the digest of its answer."""
    from cckg.core import matching, queries

    if name in MATCH_REQUESTS:
        request = matching.MatchRequest(**MATCH_REQUESTS[name])

        def match() -> tuple[int, str]:
            results = matcher.match(request).results
            return len(results), answer_digest([(r.kind, r.iri, r.score) for r in results])

        return match
    query = _queries()[name]

    def select() -> tuple[int, str]:
        rows = queries.run(store, query, {})[1]
        # In order: every named query orders its rows completely (queries/README.md), and
        # Virtuoso 7.2 once returned the right rows out of order.
        return len(rows), answer_digest(
            [tuple(_term(r.get(v)) for v in query.variables) for r in rows]
        )

    return select


def _term(term: Any) -> str:
    """A term as N-Triples, as the store's terms are compared (``to_oxigraph``: a string
    literal without its datatype, which rdflib keeps and the stores drop)."""
    from cckg.core.store import to_oxigraph

    return "" if term is None else str(to_oxigraph(term))


def answer_digest(answer: Any) -> str:
    """A short digest of an answer, to see that every engine gave the same one: a store
    that answers wrongly must not pass for a fast one."""
    return hashlib.sha256(repr(answer).encode()).hexdigest()[:16]


@cache
def _queries() -> dict[str, Any]:
    from cckg.core.queries import named_queries

    return named_queries()


def _worker(conn, engine: str, source: str, self_alarm: bool) -> None:
    from cckg.core.matching import Matcher

    started = time.perf_counter()
    try:
        store = _open(engine, source)
        opened = time.perf_counter() - started
        # One-time costs a server pays once, not per request: parsed queries, theme vocabulary.
        _queries()
        matcher = Matcher(store)
        matcher.warm_up()  # theme vocabulary, countries, GeoNames name index: once per server
    except Exception as e:  # the parent reports it instead of waiting for "ready"
        conn.send(("failed", f"{type(e).__name__}: {e}"[:300], 0.0, 0.0))
        return
    warm = time.perf_counter() - started - opened
    conn.send(("ready", opened, warm, util.peak_rss_kb() / 1024))
    while True:
        msg = conn.recv()
        if msg is None:
            return
        name, cap = msg
        try:
            run = _task(store, matcher, name)
            with _alarm(cap if self_alarm else None):
                t0 = time.perf_counter()
                rows = run()
                dt = time.perf_counter() - t0
            conn.send(("ok", dt, rows))  # (number of rows, digest of the answer)
        except _QueryTimeoutError:
            conn.send(("timeout", cap, None))
        except Exception as e:  # reported in the table, the run goes on
            conn.send(("error", 0.0, f"{type(e).__name__}: {e}"[:300]))


class Engine:
    """A worker process serving one engine; restarted after a run is killed at the cap."""

    def __init__(self, engine: str, source: str, open_timeout: float = 900):
        self.engine = engine
        self.source = source
        self.self_alarm = engine == "rdflib"
        self.open_timeout = open_timeout
        self.ctx = mp.get_context("spawn")
        self.open_seconds: float | None = None
        self.warm_seconds: float | None = None
        self.open_rss_mb: float | None = None
        self._start()

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(
            target=_worker, args=(child, self.engine, self.source, self.self_alarm), daemon=True
        )
        self.proc.start()
        child.close()  # the worker's end: its exit is then seen here as the end of the pipe
        if not self.conn.poll(self.open_timeout):
            self.close()
            raise TimeoutError(f"{self.engine}: not ready after {self.open_timeout} s")
        try:
            status, seconds, warm, rss = self.conn.recv()
        except EOFError:
            self.close()
            raise RuntimeError(
                f"{self.engine}: the latency worker stopped before it was ready (its error is "
                "printed above)"
            ) from None
        if status == "failed":
            self.close()
            raise RuntimeError(f"{self.engine}: the worker did not start: {seconds}")
        if self.open_seconds is None:
            self.open_seconds, self.warm_seconds, self.open_rss_mb = seconds, warm, rss

    def run(self, name: str, cap: float) -> tuple[str, float, Any]:
        self.conn.send((name, cap))
        grace = 30 if self.self_alarm else 0.5
        if self.conn.poll(cap + grace):
            return self.conn.recv()
        self.proc.kill()  # stuck in native code past the cap: replace the worker
        self.proc.join()
        self._start()
        return ("timeout", cap, None)

    def close(self) -> None:
        if self.proc.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.proc.join(5)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join()


def measure(engine: Engine, name: str, s: Settings) -> TaskResult:
    """A first run (the cost once per store version), then repeats within the task's budget
    (served from what the first run kept)."""
    res = TaskResult()
    # The first run fills the per-version caches (all solution texts, a theme's holders): it
    # is not a sample, so it gets a longer cap; rdflib's alarm stays at the cap.
    first_cap = s.cap_s if engine.self_alarm else max(s.cap_s, FIRST_RUN_CAP_S)
    status, first, rows = engine.run(name, first_cap)
    if status == "timeout":
        res.timeout_s = first_cap
        return res
    if status == "error":
        res.error = rows
        return res
    res.rows, res.answer = rows
    res.first = first
    # The first run of a task fills the per-version caches (the matcher's facts, the named
    # query's answer): a server pays it once per store version, so it is reported apart
    # (``first_ms``), never a sample; the budget is for the repeats after it.
    spent = last = 0.0
    while len(res.samples) < s.max_reps and spent + last <= s.budget_s:
        status, last, rows = engine.run(name, s.cap_s)
        if status != "ok":
            res.timeout_s = s.cap_s if status == "timeout" else None
            res.error = rows if status == "error" else None
            break
        res.samples.append(last)
        spent += last
    if not res.samples:
        res.samples.append(first)
    return res


def run_engine(
    engine: str,
    source: str,
    names: list[str],
    s: Settings,
    log: Callable[[str], None],
    budget: util.Budget | None = None,
    reserve_s: float = 0,
) -> dict[str, Any]:
    """All tasks on one engine: ``{"open_s", "warm_s", "open_rss_mb", "tasks": {...}}``.

    Once ``budget`` has less than ``reserve_s`` left, each task gets one run with a 2 s cap.

    ``open_s``: opening the store (loading the quads for rdflib); ``warm_s``: parsing the
    named queries and loading the matcher's theme vocabulary, once per process.
    """
    log(f"  {engine}: opening ({source})")
    eng = Engine(engine, source)
    out: dict[str, Any] = {
        "open_s": round(eng.open_seconds or 0, 2),
        "warm_s": round(eng.warm_seconds or 0, 2),
        "open_rss_mb": round(eng.open_rss_mb or 0),
        "tasks": {},
    }
    # When the run's budget (minus what later phases need) is spent: one short run per task.
    hurried = Settings(cap_s=min(s.cap_s, 2), budget_s=0, max_reps=1)
    try:
        for name in names:
            late = budget is not None and budget.left() < reserve_s
            r = measure(eng, name, hurried if late else s)
            out["tasks"][name] = r.as_dict()
            shown = f"> {r.timeout_s:g} s" if r.timeout_s and not r.samples else (
                f"{out['tasks'][name]['median_ms']} ms" if r.samples else r.error
            )  # fmt: skip
            log(f"    {engine:8s} {name:45s} {shown}")
    finally:
        eng.close()
    return out
