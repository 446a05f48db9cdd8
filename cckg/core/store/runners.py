"""Where a public SPARQL query runs, chosen once for a store: in this process (an in-memory
store, tests), in the worker pool (an on-disk store: workers can be killed at the time limit,
which pyoxigraph cannot do to a running query), or on the remote store itself.

Every runner takes a :class:`~cckg.core.query_jobs.QueryJob` and gives a
:class:`~cckg.core.query_jobs.QueryOutcome` (the body in the negotiated format, or an error
kind), so the SPARQL endpoint does not care which one it has.
"""

from __future__ import annotations

from typing import Protocol

import pyoxigraph as ox

from cckg.core.query_jobs import (
    QueryJob,
    QueryOutcome,
    failure,
    iter_remote_triples,
    run_job,
    serialize_boolean,
    serialize_solutions,
    serialize_triples,
)
from cckg.core.query_pool import QueryPool
from cckg.core.store.base import QuerySyntaxError, Store, StoreError
from cckg.core.store.embedded import EmbeddedStore
from cckg.core.store.http import (
    AnswerTooLargeError,
    RefusedError,
    SparqlClient,
    StoreTimeoutError,
)
from cckg.core.store.remote import EMPTY_GRAPH, RemoteStore, without_dataset_clauses


class QueryRunner(Protocol):
    def run(self, job: QueryJob, timeout_s: float) -> QueryOutcome: ...

    def close(self) -> None: ...


class InProcessRunner:
    """An in-memory store exists only in this process: the query runs here, without a time
    limit (tests and small embedded uses)."""

    def __init__(self, store: EmbeddedStore):
        self.store = store

    def run(self, job: QueryJob, timeout_s: float) -> QueryOutcome:
        return run_job(self.store.raw, job)

    def close(self) -> None:
        pass


class PoolRunner:
    """Long-lived worker processes over an on-disk store, started on first use."""

    def __init__(self, path: str, size: int = 2):
        self.path, self.size = path, size
        self._pool: QueryPool | None = None

    @property
    def pool(self) -> QueryPool:
        if self._pool is None or self._pool.closed:
            self._pool = QueryPool(self.path, size=self.size)
        return self._pool

    @property
    def started(self) -> QueryPool | None:
        """The pool when it runs, without starting it."""
        return self._pool

    def run(self, job: QueryJob, timeout_s: float) -> QueryOutcome:
        return self.pool.run(job, timeout_s)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


class RemoteRunner:
    """Forwards to the remote store with the public dataset as protocol parameters, then caps
    and re-serialises here (the remote store knows nothing of our formats or cap)."""

    def __init__(self, store: RemoteStore, client: SparqlClient | None = None):
        self.store = store
        self.client = client or SparqlClient()

    def run(self, job: QueryJob, timeout_s: float) -> QueryOutcome:
        # The dataset travels as protocol parameters, which replace the query's FROM clauses by
        # the SPARQL 1.1 Protocol; Virtuoso adds them instead (FROM <…/private> would reach the
        # private graph), so the clauses are removed from the text first.
        try:
            text = without_dataset_clauses(job.query)
        except QuerySyntaxError as e:
            return failure("syntax", str(e))
        fields: list[tuple[str, str]] = [("query", text)]
        fields += [("default-graph-uri", g) for g in job.default_graphs or (EMPTY_GRAPH,)]
        fields += [("named-graph-uri", g) for g in job.named_graphs or (EMPTY_GRAPH,)]
        graph_form = job.form in ("CONSTRUCT", "DESCRIBE")
        accept = (
            "application/n-triples, text/plain;q=0.5"
            if graph_form
            else "application/sparql-results+json"
        )
        endpoint = self.store.endpoint
        try:
            ctype, body, _ = self.client.post(
                endpoint, fields, accept, timeout_s=timeout_s, max_body=4 * job.max_bytes
            )
        except QuerySyntaxError as e:
            return failure("syntax", str(e) or "the store rejected the query")
        except AnswerTooLargeError as e:
            return failure("evaluation", f"{e}; page through it with LIMIT and OFFSET")
        except StoreTimeoutError:
            return failure("timeout", f"query exceeded the {timeout_s:g} s time limit")
        except RefusedError as e:
            return failure("remote", str(e)[:260])
        except StoreError as e:
            return failure("remote", str(e))
        try:
            return self._serialise(job, ctype, body)
        except (SyntaxError, ValueError) as e:
            return failure("remote", f"unreadable answer from {endpoint}: {e}")

    @staticmethod
    def _serialise(job: QueryJob, ctype: str, body: bytes) -> QueryOutcome:
        if ctype == "application/sparql-results+json":
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            if isinstance(parsed, ox.QueryBoolean):
                return serialize_boolean(bool(parsed), job.results_format)
            if job.form == "ASK":  # Virtuoso: one row (__ASK_RETVAL 1) for true, none for false
                true = any(
                    term is not None and term.value not in ("0", "false")
                    for row in parsed
                    for term in row
                )
                return serialize_boolean(true, job.results_format)
            names = [v.value for v in parsed.variables]
            return serialize_solutions(
                names, parsed, job.results_format, job.row_cap, job.max_bytes
            )
        return serialize_triples(
            iter_remote_triples(body), job.rdf_format, job.row_cap, job.prefixes, job.max_bytes
        )

    def close(self) -> None:
        pass


def runner_for(store: Store, workers: int = 2) -> QueryRunner:
    """The runner a store needs (see the module docstring)."""
    if isinstance(store, RemoteStore):
        return RemoteRunner(store)
    if isinstance(store, EmbeddedStore):
        if store.path is None:
            return InProcessRunner(store)
        return PoolRunner(str(store.path), size=workers)
    raise TypeError(f"no query runner for {type(store).__name__}")
