"""Writes: SPARQL Update (``/update``) and the Graph Store Protocol (``/data``), admin only.

Both routes are off (404) unless ``CCKG_ADMIN_TOKEN`` is set, and then need
``Authorization: Bearer <token>``. Every write passes the same SHACL gate as the loaders
(``cckg.core.gate.check.Gate``) and lands through the same writer (``cckg.core.writer``): one
``store.replace_graphs`` call (staging + one atomic MOVE) with the PROV metadata ``cckg load``
records, naming the route as what the graph was derived from. A refused write leaves the store
untouched, and the writer checks the write as a whole (contact data, load metadata, subjects
of other graphs, links left dangling by a deletion) and serialises writers: a write based on a
graph that changed meanwhile gets 409. ``/update`` runs on a scratch in-memory copy of the
*public* graphs (it can never read the private graph); only the graphs it changed are validated
and written. The private graph is writable only through ``/data``.
"""

from __future__ import annotations

import hmac
import re
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from rdflib import Graph, URIRef

from cckg.core import iris
from cckg.core.gate.content import digest
from cckg.core.gate.model import LoadRejectedError, ParsedSource
from cckg.core.rdf_input import RdfInputError, parse_rdf
from cckg.core.store import EmbeddedStore, to_rdflib
from cckg.core.writer import (
    CCKG_CONTENT_HASH,
    Origin,
    Write,
    WriteConflictError,
    Writer,
    strip_metadata,
    write_lock,
)
from cckg.webapp import caching
from cckg.webapp.errors import JsonError
from cckg.webapp.store import forget_derived, get_store

bp = Blueprint("admin", __name__)

# Body media types for /data (Graph Store Protocol), mapped to rdflib parser names.
RDF_BODY = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/ld+json": "json-ld",
}
TOKEN_PARAMS = ("access_token", "token", "bearer", "auth")
# Updates that would reach the network from the server are refused (no SSRF through admin).
NETWORK_OPS = re.compile(r"\b(LOAD|SERVICE)\b", re.IGNORECASE)
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class AdminError(JsonError):
    """An admin route's refusal: always JSON ``{"status", "message", …}``."""

    def __init__(self, status: int, message: str, **extra: object):
        super().__init__(message, status, None, **extra)  # extra: JSON fields, not headers


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: object
) -> Response:
    resp = jsonify({"status": status, "message": message, **extra})
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


@bp.before_request
def _authorise() -> Response | None:
    token = current_app.config.get("CCKG_ADMIN_TOKEN")
    if not token:
        return _error(404, "writes are disabled on this server (no CCKG_ADMIN_TOKEN is set)")
    if any(p in request.args for p in TOKEN_PARAMS):
        return _error(400, "never put a token in the URL; send 'Authorization: Bearer <token>'")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not header or scheme.lower() != "bearer" or not given.strip():
        return _error(
            401,
            "authentication required: send 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": 'Bearer realm="cckg-admin"'},
        )
    if not hmac.compare_digest(given.strip().encode(), str(token).encode()):
        return _error(403, "the token is not valid for writes")
    store = get_store()
    if isinstance(store, EmbeddedStore) and store.read_only:
        return _error(
            503,
            "this server has the store open read-only (one of several workers): writes "
            "need `cckg serve --workers 1`, or a remote store",
        )
    limit = int(current_app.config.get("CCKG_ADMIN_MAX_BYTES", DEFAULT_MAX_BYTES))
    if request.content_length is not None and request.content_length > limit:
        return _error(413, f"the body is larger than {limit} bytes")
    return None


@bp.after_request
def _never_cache(response: Response) -> Response:
    """Admin answers may carry the private graph: no cache, shared or not, may keep them."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- shared write path


def _graph_iri(value: str) -> URIRef:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+", value or ""):
        raise AdminError(400, "the graph parameter must be an absolute IRI")
    base = get_store().base_iri
    if value.startswith(f"{base}graph/staging/"):
        raise AdminError(400, "staging graphs are internal and cannot be written")
    return URIRef(value)


def _target() -> URIRef:
    graph = request.args.get("graph")
    if graph is not None and "default" in request.args:
        raise AdminError(400, "give either ?graph=IRI or ?default, not both")
    if graph is None:
        if "default" in request.args:
            raise AdminError(
                400, "this store keeps all data in named graphs; name one with ?graph=IRI"
            )
        raise AdminError(400, "missing ?graph=IRI")
    return _graph_iri(graph)


def _stored_graph(name: URIRef) -> Graph:
    return get_store().construct(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": name}, dataset="all"
    )


def _writer() -> Writer:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    writer = app.extensions.get("cckg_writer")
    if writer is None:  # one per app: its gate compiles the shapes once
        writer = app.extensions["cckg_writer"] = Writer(get_store(app))
    return writer


def _identifier(name: URIRef, base: str) -> str:
    """A graph's dcterms:identifier: its name under ``{base}graph/``, as ``cckg load`` names
    its graphs, else the whole IRI."""
    prefix = f"{base}graph/"
    return str(name)[len(prefix) :] if str(name).startswith(prefix) else str(name)


def _validate_and_write(
    graphs: dict[URIRef, Graph],
    drops: list[URIRef] | None = None,
    *,
    route: str,
    expected: dict[URIRef, str | None] | None = None,
) -> None:
    """The one writer (gate, rules, PROV naming ``route``): 422 with the violations when
    anything does not conform, 409 when a graph the write read has changed since; nothing is
    written then."""
    store = get_store()
    private = iris.private_graph(store.base_iri)
    path = Path(route)  # violations name the graph in their focus and record
    prefix = f"{store.base_iri}graph/"
    sources = [
        ParsedSource(path, "private", Graph(), private=g)
        if name == private
        else ParsedSource(path, str(name)[len(prefix) :], g)
        for name, g in graphs.items()
    ]
    origins: list[Origin | None] = [Origin(_identifier(n, store.base_iri), route) for n in graphs]
    write = Write(sources, origins, drops or [], expected or {})
    try:
        # Every write is recorded, also of unchanged triples: the route asked for it.
        _writer().write(write, skip_unchanged=False)
    except LoadRejectedError as e:
        raise AdminError(
            422,
            f"the data does not conform: {len(e.violations)} violation(s); nothing was written",
            violations=[v.as_dict() for v in e.violations[:200]],
        ) from e
    except WriteConflictError as e:
        raise AdminError(409, str(e), graphs=e.graphs) from e
    finally:
        invalidate_caches(current_app._get_current_object())  # type: ignore[attr-defined]


def invalidate_caches(app: Flask) -> None:
    """Forget everything derived from the store's content (after a write through this app)."""
    caching.invalidate(app)
    forget_derived(app)


def _parse_body() -> Graph:
    ctype = (request.mimetype or "").lower()
    fmt = RDF_BODY.get(ctype)
    if fmt is None:
        raise AdminError(
            415, "send Turtle, N-Triples or JSON-LD (" + ", ".join(sorted(RDF_BODY)) + ")"
        )
    raw = request.get_data(cache=False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AdminError(400, "the body is not valid UTF-8") from e
    try:
        return parse_rdf(text, fmt, public_id=request.args.get("graph") or None)
    except RdfInputError as e:
        where = f" (line {e.line})" if e.line else ""
        raise AdminError(400, f"{e.message}{where}") from e


# ---------------------------------------------------------------- Graph Store Protocol


@bp.route("/data", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def data() -> Response:
    if request.method in ("GET", "HEAD"):
        return _data()
    with write_lock(get_store()):  # a POST's read of the stored graph and its write: one step
        return _data()


def _data() -> Response:
    store = get_store()
    name = _target()
    exists = name in set(store.named_graphs())
    if request.method in ("GET", "HEAD"):
        if not exists:
            raise AdminError(404, "no such graph")
        body = _stored_graph(name).serialize(format="nt", encoding="utf-8")
        return Response(body, mimetype="application/n-triples")
    if request.method == "DELETE":
        if not exists:
            raise AdminError(404, "no such graph")
        _validate_and_write({}, drops=[name], route="DELETE /data")
        return Response(status=204)
    incoming = _parse_body()
    expected: dict[URIRef, str | None] = {}
    if request.method == "POST" and exists:
        stored = _stored_graph(name)
        expected[name] = _content_hash(stored, name)  # the merge is based on this version
        merged = strip_metadata(name, stored)
        for t in incoming:
            merged.add(t)
        incoming = merged
    if not len(incoming):
        raise AdminError(400, "the body holds no triples (use DELETE to remove a graph)")
    _validate_and_write({name: incoming}, route=f"{request.method} /data", expected=expected)
    return Response(status=204 if exists else 201)


# ---------------------------------------------------------------- SPARQL Update


def _update_text() -> str:
    if request.method != "POST":
        raise AdminError(405, "send the update with POST")
    if request.mimetype == "application/sparql-update":
        raw = request.get_data(cache=False)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise AdminError(400, "the update is not valid UTF-8") from e
    if request.mimetype == "application/x-www-form-urlencoded":
        texts = request.form.getlist("update")
        if len(texts) != 1:
            raise AdminError(400, "give exactly one 'update' parameter")
        return texts[0]
    raise AdminError(
        415, "send application/sparql-update or a form with 'update' (SPARQL 1.1 Protocol)"
    )


def _graph_digests(store: ox.Store) -> dict[str, str]:
    """The content hash (the writer's) of every graph of ``store`` that holds triples, by IRI;
    the default graph (and any unnamed one) is ""."""
    dumps: dict[str, bytes] = {}
    for graph in [ox.DefaultGraph(), *store.named_graphs()]:
        key = graph.value if isinstance(graph, ox.NamedNode) else ""
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        if data:
            dumps[key] = dumps.get(key, b"") + data
    return {key: digest(data) for key, data in dumps.items()}


def _stored_hashes(store: ox.Store) -> dict[URIRef, str]:
    """The content hash each graph of ``store`` carries (what the update's read was based on)."""
    quads = store.quads_for_pattern(None, ox.NamedNode(str(CCKG_CONTENT_HASH)), None, None)
    return {
        URIRef(q.subject.value): q.object.value
        for q in quads
        if isinstance(q.subject, ox.NamedNode)
        and q.subject == q.graph_name
        and not isinstance(q.object, ox.Triple)
    }


def _content_hash(graph: Graph, name: URIRef) -> str | None:
    value = graph.value(name, CCKG_CONTENT_HASH)
    return str(value) if value is not None else None


def _to_rdflib_graph(store: ox.Store, name: str) -> Graph:
    g = Graph()
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return g


@bp.route("/update", methods=["GET", "POST"])
def update() -> Response:
    text = _update_text()
    if NETWORK_OPS.search(text):
        raise AdminError(400, "LOAD and SERVICE are not allowed in updates on this server")
    # The read of the scratch copy and the write are one step: no other write in between
    # (another process writing a remote store is caught by the expected content hashes).
    with write_lock(get_store()):
        return _update(text)


def _update(text: str) -> Response:
    store = get_store()
    if str(iris.private_graph(store.base_iri)) in text:  # it is not even in the scratch copy
        raise AdminError(403, "the private graph can be written only through /data")
    scratch = ox.Store()  # the public graphs only: an update must never read contact data
    scratch.load(store.export_nquads(store.public_graphs()), format=ox.RdfFormat.N_QUADS)
    before = _graph_digests(scratch)
    stored = _stored_hashes(scratch)
    try:
        scratch.update(text)
    except SyntaxError as e:
        raise AdminError(400, f"SPARQL Update syntax error: {str(e)[:300]}") from e
    except (OSError, RuntimeError, ValueError) as e:
        raise AdminError(400, f"the update failed: {str(e)[:300]}") from e
    after = _graph_digests(scratch)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if not changed:
        return _error(200, "the update changed nothing", changed=[])
    base = store.base_iri
    private = str(iris.private_graph(base))
    if "" in changed:
        raise AdminError(400, "this store keeps all data in named graphs; use GRAPH <…> { }")
    for name in changed:
        if name == private:
            raise AdminError(403, "the private graph can be written only through /data")
        if name.startswith(f"{base}graph/staging/"):
            raise AdminError(400, "staging graphs are internal and cannot be written")
    graphs = {
        URIRef(n): strip_metadata(URIRef(n), _to_rdflib_graph(scratch, n))
        for n in changed
        if n in after
    }
    graphs = {n: g for n, g in graphs.items() if len(g)}
    drops = [URIRef(n) for n in changed if URIRef(n) not in graphs]
    expected = {URIRef(n): stored.get(URIRef(n)) for n in changed}
    _validate_and_write(graphs, drops, route="POST /update", expected=expected)
    return _error(200, "update applied", changed=changed)
