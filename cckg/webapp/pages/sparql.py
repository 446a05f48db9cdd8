"""``/sparql``: a read-only SPARQL 1.1 Protocol endpoint over the public graphs.

* Query by GET, form POST or direct POST; ``default-graph-uri`` / ``named-graph-uri``.
* Results as SPARQL JSON / XML / CSV / TSV, graphs as Turtle / N-Triples / JSON-LD / RDF/XML /
  N-Quads / TriG, chosen by ``Accept`` (werkzeug's parser) or ``format`` / ``output`` /
  ``results`` (what SPARQLWrapper and YASGUI send).
* A plain GET returns the SPARQL 1.1 Service Description (an HTML form for browsers).
* The dataset is always a subset of the public graphs (the private graph and staging graphs
  never are), whatever the query says; ``SERVICE`` and updates are refused.
* Time limit (``CCKG_SPARQL_TIMEOUT_S``; a client may lower it with ``timeout``), enforced by
  running on-disk queries in killable worker processes (:mod:`cckg.core.query_pool`); row cap
  (``CCKG_SPARQL_ROW_CAP``) signalled by ``X-CCKG-Truncated: true`` and a ``Warning`` header.
* CORS on every response, preflight answered without auth.

Config keys (all optional): ``CCKG_SPARQL_TIMEOUT_S``, ``CCKG_SPARQL_ROW_CAP``,
``CCKG_SPARQL_WORKERS`` (2), ``CCKG_SPARQL_MAX_QUERY_BYTES`` (256 KiB: the lexical
guard runs in a server thread),
``CCKG_SPARQL_CORS_ORIGIN`` ("*"), ``CCKG_TRUSTED_PROXIES`` (0: ignore X-Forwarded-*).
"""

from __future__ import annotations

import functools
import logging
import math
import re
import time
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.datastructures import MIMEAccept, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_accept_header

from cckg.core import prefixes
from cckg.core.query_jobs import (
    DEFAULT_MAX_BYTES,
    RDF_FORMATS,
    RESULT_FORMATS,
    QueryJob,
    QueryOutcome,
    serialize_triples,
)
from cckg.core.query_pool import QueryPool
from cckg.core.store import Store
from cckg.core.store.runners import PoolRunner
from cckg.webapp import caching, edge_cache
from cckg.webapp.errors import TextError
from cckg.webapp.sparql_guard import QueryInfo, scan
from cckg.webapp.store import get_runner, get_store, public_graphs

log = logging.getLogger("cckg.sparql")

bp = Blueprint("sparql", __name__)

ALLOW = "GET, HEAD, POST, OPTIONS"
RESULT_CACHE_MAX_BODY = 1024 * 1024  # larger results are not kept
# Functions whose value changes from one run to the next: such answers are never reused.
VOLATILE = re.compile(r"\b(?:RAND|NOW|UUID|STRUUID)\s*\(", re.IGNORECASE)

UPDATE_REFUSED = (
    "SPARQL Update is not accepted at /sparql: this endpoint is read-only. "
    "Updates go to /update, with an administrator token."
)

# Media types offered, best first: the first one wins a `*/*` tie.
RESULT_OFFERS: list[tuple[str, str]] = [
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/json", "json"),
]
RDF_OFFERS: list[tuple[str, str]] = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "ntriples"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/n-quads", "nquads"),
    ("application/trig", "trig"),
    ("application/turtle", "turtle"),
    ("application/x-turtle", "turtle"),
    ("text/n3", "turtle"),  # Turtle is N3; SPARQLWrapper's N3 asks for these
    ("text/rdf+n3", "turtle"),
    ("application/x-json+ld", "jsonld"),
]
# Explicit-only fallback for results: never from a browser's Accept (it has */*).
XML_FALLBACK = [("application/xml", "xml"), ("text/xml", "xml")]

# `format` / `output` / `results` parameter values.
RESULT_PARAM = {
    "json": "json",
    "srj": "json",
    "application/sparql-results+json": "json",
    "application/json": "json",
    "xml": "xml",
    "srx": "xml",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "csv": "csv",
    "text/csv": "csv",
    "tsv": "tsv",
    "text/tab-separated-values": "tsv",
}
RDF_PARAM = {
    "turtle": "turtle",
    "ttl": "turtle",
    "text/turtle": "turtle",
    "application/turtle": "turtle",
    "application/x-turtle": "turtle",
    "n3": "turtle",
    "text/n3": "turtle",
    "nt": "ntriples",
    "ntriples": "ntriples",
    "n-triples": "ntriples",
    "application/n-triples": "ntriples",
    "json": "jsonld",
    "json-ld": "jsonld",
    "jsonld": "jsonld",
    "application/ld+json": "jsonld",
    "xml": "rdfxml",
    "rdf": "rdfxml",
    "rdfxml": "rdfxml",
    "rdf+xml": "rdfxml",
    "rdf/xml": "rdfxml",
    "application/rdf+xml": "rdfxml",
    "nq": "nquads",
    "nquads": "nquads",
    "n-quads": "nquads",
    "application/n-quads": "nquads",
    "trig": "trig",
    "application/trig": "trig",
}
FORMAT_PARAMS = ("format", "output", "results")

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SD_RESULT_FORMATS = [
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
    "N-Quads",
    "TriG",
]
STD_PREFIXES = prefixes.subset("rdf", "rdfs", "owl", "xsd", "skos", "dcterms")
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


class SparqlError(TextError):
    """An answer other than 200: status, a short plain-text message, extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message, status, headers)


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    resp = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    resp.headers.update(headers or {})
    return resp


# ---------------------------------------------------------------- CORS on every response


@bp.after_app_request
def _cors(resp: Response) -> Response:
    """CORS for every /sparql response, including 404/405/500 made by other handlers."""
    if request.path == "/sparql":
        origin = current_app.config.get("CCKG_SPARQL_CORS_ORIGIN", "*")
        if origin:
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Access-Control-Expose-Headers"] = (
                "X-CCKG-Truncated, X-CCKG-Row-Cap, Warning, Retry-After, Content-Type"
            )
            if origin != "*":
                resp.vary.add("Origin")
        if resp.status_code == 405:
            resp.headers["Allow"] = ALLOW
    return resp


# ---------------------------------------------------------------- the route


@bp.route("/sparql", methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"])
def endpoint() -> Response:
    if request.method == "OPTIONS":
        return _options()
    if request.method not in ("GET", "HEAD", "POST"):
        return _text(
            405,
            f"{request.method} is not allowed on /sparql: use GET or POST "
            "(the endpoint is read-only).",
            {"Allow": ALLOW},
        )
    query, params = _read_request()  # a SparqlError is rendered by cckg.webapp.errors
    if query is None:
        return _service_description(params)
    return _answer(query, params)


def _options() -> Response:
    resp = Response(status=204)
    resp.headers["Allow"] = ALLOW
    if request.headers.get("Access-Control-Request-Method"):
        resp.headers["Access-Control-Allow-Methods"] = ALLOW
        asked = request.headers.get("Access-Control-Request-Headers", "")
        # Echo the requested header names (tokens only): the endpoint needs no credentials.
        names = [h.strip() for h in asked.split(",") if re.fullmatch(r"[A-Za-z0-9\-]+", h.strip())]
        resp.headers["Access-Control-Allow-Headers"] = ", ".join(
            names or ["Accept", "Content-Type"]
        )
        resp.headers["Access-Control-Max-Age"] = "86400"
    return resp


# ---------------------------------------------------------------- reading the request


def _read_request() -> tuple[str | None, MultiDict[str, str]]:
    """The query text (None: no query, answer with the service description) and parameters."""
    max_bytes = int(current_app.config.get("CCKG_SPARQL_MAX_QUERY_BYTES", 262_144))
    args = request.args
    if request.method in ("GET", "HEAD"):
        if "update" in args:
            raise SparqlError(400, UPDATE_REFUSED)
        queries = args.getlist("query")
        if not queries:
            return None, MultiDict(args)
        return _one_query(queries, max_bytes), MultiDict(args)

    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if request.content_length is not None and request.content_length > max_bytes:
        raise SparqlError(413, f"the request body is larger than {max_bytes} bytes")
    request.max_content_length = max_bytes
    if mimetype == "application/sparql-update" or (
        mimetype == "application/x-www-form-urlencoded" and "update" in _form_or_args(args)
    ):
        raise SparqlError(400, UPDATE_REFUSED)
    if charset not in ("utf-8", "utf8"):
        raise SparqlError(415, f"charset {charset} is not supported: send the query as UTF-8")
    if mimetype == "application/x-www-form-urlencoded":
        params = _form_or_args(args)
        queries = params.getlist("query")
        if not queries:
            raise SparqlError(400, "the form has no 'query' parameter")
        return _one_query(queries, max_bytes), params
    if mimetype == "application/sparql-query":
        if "query" in args:
            raise SparqlError(400, "the query is both in the body and in the URL: send it once")
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge as e:
            raise SparqlError(413, f"the request body is larger than {max_bytes} bytes") from e
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SparqlError(400, "the query is not valid UTF-8") from e
        return _one_query([text], max_bytes), MultiDict(args)
    if not mimetype:
        raise SparqlError(
            415,
            "a POST needs Content-Type application/x-www-form-urlencoded "
            "or application/sparql-query",
        )
    raise SparqlError(
        415,
        f"Content-Type {mimetype} is not supported: use application/x-www-form-urlencoded "
        "or application/sparql-query",
    )


def _form_or_args(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """Form fields plus URL parameters (the W3C tests put dataset parameters in the URL)."""
    try:
        form = request.form
    except RequestEntityTooLarge as e:
        raise SparqlError(413, "the request body is too large") from e
    merged: MultiDict[str, str] = MultiDict(args)
    for key, value in form.items(multi=True):
        merged.add(key, value)
    return merged


def _one_query(queries: Sequence[str], max_bytes: int) -> str:
    if len(queries) != 1:
        raise SparqlError(400, f"expected exactly one query, got {len(queries)}")
    text = queries[0]
    if not text.strip():
        raise SparqlError(400, "the query is empty")
    if len(text) > max_bytes:
        raise SparqlError(413, f"the query is longer than {max_bytes} bytes")
    return text


def _timeout(params: MultiDict[str, str]) -> float:
    """The configured limit, or a lower one the client asked for (``timeout``, seconds)."""
    limit = float(current_app.config.get("CCKG_SPARQL_TIMEOUT_S", 10.0))
    raw = params.get("timeout")
    if raw is None or raw.strip() == "":
        return limit
    try:
        asked = float(raw)
    except ValueError as e:
        raise SparqlError(400, f"timeout must be a number of seconds, not {raw[:40]!r}") from e
    if not math.isfinite(asked) or asked <= 0:  # 0 means "no preference" in some clients
        return limit
    return min(asked, limit)


# ---------------------------------------------------------------- content negotiation


def _format_param(params: MultiDict[str, str], table: dict[str, str]) -> str | None:
    for name in FORMAT_PARAMS:
        for value in params.getlist(name):
            chosen = table.get(value.strip().lower())
            if chosen:
                return chosen
    return None  # unknown values are ignored: Accept decides


def _negotiate(offers: list[tuple[str, str]], default: str) -> str | None:
    return _best_format(request.headers.get("Accept", ""), tuple(offers), default)


@functools.lru_cache(maxsize=512)
def _best_format(header: str, offers: tuple[tuple[str, str], ...], default: str) -> str | None:
    # Clients send a handful of distinct Accept headers; parsing one costs more than the
    # cached answer, so each is negotiated once.
    accept = parse_accept_header(header, MIMEAccept)
    if not accept:
        return default
    best = accept.best_match([m for m, _ in offers])
    return dict(offers)[best] if best else None


def _choose_formats(info: QueryInfo, params: MultiDict[str, str]) -> tuple[str, str]:
    """(results format, RDF format); 406 when Accept rules out everything for this form."""
    results = _format_param(params, RESULT_PARAM) or _negotiate(RESULT_OFFERS, "json")
    rdf = _format_param(params, RDF_PARAM) or _negotiate(RDF_OFFERS, "turtle")
    if results is None:
        results = _negotiate(XML_FALLBACK, "xml")
    graph_form = info.form in ("CONSTRUCT", "DESCRIBE")
    if graph_form and rdf is None:
        raise SparqlError(406, _not_acceptable(RDF_OFFERS))
    if info.form in ("SELECT", "ASK") and results is None:
        raise SparqlError(406, _not_acceptable(RESULT_OFFERS))
    return results or "json", rdf or "turtle"


def _not_acceptable(offers: list[tuple[str, str]]) -> str:
    names = ", ".join(dict.fromkeys(m for m, _ in offers))
    return f"none of the accepted media types can be produced; this query gives: {names}"


# ---------------------------------------------------------------- answering a query


def _answer(query: str, params: MultiDict[str, str]) -> Response:
    base = _endpoint_url()
    info = scan(query, base)
    if info.is_update:
        raise SparqlError(400, UPDATE_REFUSED)
    if info.uses_service:
        raise SparqlError(400, "SERVICE is not allowed: this endpoint only queries its own data")
    results_fmt, rdf_fmt = _choose_formats(info, params)
    timeout = _timeout(params)
    store = get_store()
    default, named = _dataset(store, info, params)
    onto = f"{store.base_iri}def/cckg#"
    job = QueryJob(
        query=query,
        default_graphs=tuple(default),
        named_graphs=tuple(named),
        results_format=results_fmt,
        rdf_format=rdf_fmt,
        row_cap=int(current_app.config.get("CCKG_SPARQL_ROW_CAP", 10000)),
        base_iri=base,
        prefixes={"cckg": onto, **STD_PREFIXES},
        form=info.form or "SELECT",
        max_bytes=int(current_app.config.get("CCKG_SPARQL_MAX_BYTES", DEFAULT_MAX_BYTES)),
    )
    volatile = VOLATILE.search(query) is not None
    # The store version gives the answer's validators. An embedded store knows it at no cost;
    # a remote store is asked only after the query succeeded (a store too slow to answer must
    # not hold the request longer than the time limit), or to answer a revalidation.
    embedded = store.generation is not None
    conditional = bool(request.if_none_match or request.if_modified_since)
    version = _version() if not volatile and (embedded or conditional) else None
    validators = _Validators(version, repr(job)) if version is not None else None
    if validators is not None and caching.not_modified(validators.etag, validators.version):
        return validators.apply(Response(status=304))
    # Identical queries on an unchanged store give identical bodies: answer repeats (dashboards,
    # example queries, crawlers) from a per-version cache instead of the engine. The version is
    # asked once per request (one small query on a remote store), so a write through any
    # worker of a shared store is seen.
    if version is None and not volatile:
        version = _version()
        validators = _Validators(version, repr(job)) if version is not None else None
    results = caching.body_cache("sparql") if version is not None else None
    tag = version.tag if version is not None else ""
    key = (tag, repr(job))
    hit = results.get(key) if results is not None else None
    if hit is not None:
        edge_cache.mark(tag)
        return _result_response(hit.body, hit.content_type, dict(hit.headers), validators)
    started = time.monotonic()
    outcome = get_runner().run(job, timeout)
    log.info(
        "sparql %s %s in %.3f s (%s)",
        info.form or "?",
        "ok" if outcome.ok else outcome.error_kind,
        time.monotonic() - started,
        request.remote_addr,
    )
    if not outcome.ok:
        return _failure_response(outcome, timeout)
    headers = {"X-CCKG-Truncated": "true" if outcome.truncated else "false"}
    if outcome.truncated:
        headers["X-CCKG-Row-Cap"] = str(job.row_cap)
        headers["X-CCKG-Byte-Cap"] = str(job.max_bytes)
        headers["Warning"] = (
            f'199 cckg "result truncated to the first {outcome.count} rows (caps: '
            f'{job.row_cap} rows, about {job.max_bytes} bytes; add LIMIT/OFFSET to page)"'
        )
    if results is not None and len(outcome.body) <= RESULT_CACHE_MAX_BODY:
        results.put(key, outcome.body, outcome.media_type, tuple(headers.items()))
        edge_cache.mark(tag)
    if validators is None and not volatile:
        version = _version()
        validators = _Validators(version, repr(job)) if version is not None else None
    return _result_response(outcome.body, outcome.media_type, headers, validators)


def _result_response(
    body: bytes,
    media_type: str,
    headers: dict[str, str],
    validators: _Validators | None = None,
) -> Response:
    resp = Response(body, status=200, content_type=media_type)
    resp.vary.add("Accept")
    resp.headers.update(headers)
    if validators is None:  # a volatile query (RAND, NOW…): every run differs
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return validators.apply(resp)


class _Validators:
    """ETag, Last-Modified and Cache-Control of one query's answer on one store version.

    Shared caches (the proxy of docs/deployment.md) may keep it ``CCKG_SPARQL_MAX_AGE_S``
    seconds (default 30), then revalidate: the ETag changes with the store version, so an
    unchanged store answers 304 without running the query. A write is seen through such a cache
    at most max-age + ``CCKG_VERSION_TTL_S`` seconds later (the time other workers take to
    notice it)."""

    def __init__(self, version: caching.StoreVersion, job_key: str):
        self.version = version
        self.etag = caching.etag_for(version, "sparql", job_key)

    def apply(self, resp: Response) -> Response:
        resp.set_etag(self.etag, weak=True)
        if self.version.last_modified is not None:
            resp.last_modified = self.version.last_modified
        resp.vary.add("Accept")
        resp.cache_control.public = True
        resp.cache_control.max_age = int(current_app.config.get("CCKG_SPARQL_MAX_AGE_S", 30))
        return resp


def _version() -> caching.StoreVersion | None:
    """The store version the answer's validators derive from; None when the store cannot
    say (the answer is then sent without validators, and the query still runs)."""
    try:
        return caching.store_version()
    except Exception as e:
        log.warning("sparql: no store version for validators: %s", e)
        return None


def _failure_response(outcome: QueryOutcome, timeout: float) -> Response:
    kind = outcome.error_kind
    if kind == "syntax":
        return _text(400, f"Malformed query: {outcome.message}")
    if kind == "evaluation":
        return _text(400, f"The query could not be evaluated: {outcome.message}")
    if kind in ("timeout", "busy"):
        retry = str(max(1, math.ceil(timeout)))
        return _text(503, outcome.message, {"Retry-After": retry})
    if kind in ("store", "unavailable", "remote"):
        log.error("sparql store failure: %s", outcome.message)
        return _text(503, "the store is not available right now", {"Retry-After": "5"})
    return _text(500, "the query could not be evaluated (internal error)")


def _dataset(
    store: Store, info: QueryInfo, params: MultiDict[str, str]
) -> tuple[list[str], list[str]]:
    """The RDF dataset: protocol parameters, else the query's FROM clauses, else everything
    public; always intersected with the public graphs (private/staging/unknown -> nothing)."""
    public = [str(g) for g in _public_graphs(store)]
    allowed = set(public)
    asked_default = params.getlist("default-graph-uri")
    asked_named = params.getlist("named-graph-uri")
    if asked_default or asked_named:
        default, named = asked_default, asked_named
    elif info.has_dataset:
        default, named = info.from_graphs, info.from_named
    else:
        return public, public
    keep_default = [g for g in dict.fromkeys(default) if g in allowed]
    keep_named = [g for g in dict.fromkeys(named) if g in allowed]
    return keep_default, keep_named


def _public_graphs(store: Store) -> list[Any]:
    """The public graph names; 503 when the store does not answer."""
    try:
        return public_graphs()
    except Exception as e:
        log.error("sparql: cannot list the public graphs: %s", e)
        raise SparqlError(503, "the store is not available right now", {"Retry-After": "5"}) from e


def pool_for(app: Flask) -> QueryPool:
    """The app's worker pool (an on-disk store), started on first use."""
    runner = get_runner(app)
    if not isinstance(runner, PoolRunner):
        raise TypeError("this app's store runs queries without a worker pool")
    return runner.pool


def close_pool(app: Flask) -> None:
    """Stop the app's query workers (tests, a server shutting down); safe to call twice."""
    get_runner(app).close()


# ---------------------------------------------------------------- service description


def _endpoint_url() -> str:
    """This endpoint's public URL: from the request, and from X-Forwarded-Proto/Host only when
    ``CCKG_TRUSTED_PROXIES`` says how many proxies in front of us add them."""
    scheme, host = request.scheme, request.host
    hops = int(current_app.config.get("CCKG_TRUSTED_PROXIES", 0) or 0)
    if hops > 0:
        proto = _forwarded("X-Forwarded-Proto", hops)
        fwd_host = _forwarded("X-Forwarded-Host", hops)
        if proto in ("http", "https"):
            scheme = proto
        if fwd_host and _HOST_RE.match(fwd_host):
            host = fwd_host
    return f"{scheme}://{host}{request.script_root}{request.path}"


def _forwarded(name: str, hops: int) -> str | None:
    values = [v.strip() for v in request.headers.get(name, "").split(",") if v.strip()]
    return values[-hops] if len(values) >= hops else None


SD_OFFERS: list[tuple[str, str]] = [*RDF_OFFERS[:6], ("text/html", "html"), *RDF_OFFERS[6:]]


def _service_description(params: MultiDict[str, str]) -> Response:
    fmt = _format_param(params, RDF_PARAM) or _negotiate(SD_OFFERS, "turtle") or "turtle"
    store = get_store()
    graphs = [str(g) for g in _public_graphs(store)]
    url = _endpoint_url()
    if fmt == "html":
        page = render_template(
            "sparql.html",
            endpoint=url,
            graphs=graphs,
            timeout=current_app.config.get("CCKG_SPARQL_TIMEOUT_S", 10.0),
            row_cap=current_app.config.get("CCKG_SPARQL_ROW_CAP", 10000),
            base=store.base_iri,
        )
        resp = Response(page, mimetype="text/html")
    else:
        outcome = serialize_triples(
            _sd_triples(url, graphs),
            fmt,
            row_cap=10**6,
            prefixes={"sd": SD, "formats": FORMATS_NS, "dcterms": STD_PREFIXES["dcterms"]},
        )
        resp = Response(outcome.body, content_type=outcome.media_type)
    resp.vary.add("Accept")
    return resp


def _sd_triples(endpoint: str, graphs: list[str]) -> list[ox.Triple]:
    def sd(local: str) -> ox.NamedNode:
        return ox.NamedNode(SD + local)

    timeout = current_app.config.get("CCKG_SPARQL_TIMEOUT_S", 10.0)
    cap = current_app.config.get("CCKG_SPARQL_ROW_CAP", 10000)
    service, dataset, default = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    t = ox.Triple
    out = [
        t(service, RDF_TYPE, sd("Service")),
        t(service, sd("endpoint"), ox.NamedNode(endpoint)),
        t(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        t(service, sd("feature"), sd("UnionDefaultGraph")),
        t(
            service,
            ox.NamedNode(STD_PREFIXES["dcterms"] + "title"),
            ox.Literal("Connective Cities Knowledge Graph: public SPARQL endpoint", language="en"),
        ),
        t(
            service,
            ox.NamedNode(STD_PREFIXES["dcterms"] + "description"),
            ox.Literal(
                f"Read-only. Queries stop after {timeout:g} s (503) and return at most {cap} "
                "rows (header X-CCKG-Truncated). The default graph is the union of the public "
                "named graphs; SERVICE and updates are refused.",
                language="en",
            ),
        ),
    ]
    out += [t(service, sd("resultFormat"), ox.NamedNode(FORMATS_NS + f)) for f in SD_RESULT_FORMATS]
    out += [
        t(service, sd("defaultDataset"), dataset),
        t(dataset, RDF_TYPE, sd("Dataset")),
        t(dataset, sd("defaultGraph"), default),
        t(default, RDF_TYPE, sd("Graph")),
    ]
    for g in graphs:
        node = ox.BlankNode()
        out += [
            t(dataset, sd("namedGraph"), node),
            t(node, RDF_TYPE, sd("NamedGraph")),
            t(node, sd("name"), ox.NamedNode(g)),
        ]
    return out


__all__ = ["bp", "close_pool", "pool_for", "RESULT_FORMATS", "RDF_FORMATS"]
