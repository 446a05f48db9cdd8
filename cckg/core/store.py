"""One store interface, two backends: embedded pyoxigraph on disk, or a remote SPARQL 1.1 store.

Graph policy: one named graph per source file / reference set, ``{base}graph/...``. Queries see
as their default graph the union of the *public* graphs (all named graphs except the private
graph and staging graphs), and only those as named graphs, so personal data never reaches a
query that does not ask for it on purpose (``dataset="all"``, used by loaders and admin code).

Writes replace whole graphs atomically. On a remote store the new content is first written
into staging graphs, then one SPARQL Update moves every staging graph onto its target (one
transaction on any SPARQL 1.1 store that applies an update request atomically). The embedded
store writes the difference to the stored graphs by one bulk load, one update or a journal
(cckg/bulk_replace.py: Oxigraph copies quad by quad in an update, ten times slower). Crashes
leave the old or the new state, never a mix.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal as TypingLiteral
from typing import Protocol
from urllib.parse import urlencode

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from cckg.core import bulk_replace, iris
from cckg.core.settings import DEFAULT_BASE_IRI, Settings
from cckg.core.sparql_text import _scan, inject_values, term_n3

Dataset = TypingLiteral["public", "all"]
PENDING = "pending-write"  # an embedded store's journal of a big write (cckg/bulk_replace.py)
Row = dict[str, Node]


class StoreError(Exception):
    """The store could not answer (connection, I/O)."""


class QuerySyntaxError(ValueError):
    """The SPARQL text does not parse."""


# ---------------------------------------------------------------- term conversion


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> Node | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


# A graph's content for a write: rdflib Graphs, or N-Triples bytes (the loaders' fast path).
Part = Graph | bytes


def _ntriples(parts: Sequence[Part]) -> bytes:
    return b"".join(
        p if isinstance(p, bytes) else p.serialize(format="nt", encoding="utf-8") for p in parts
    )


# ---------------------------------------------------------------- interface


class Store(Protocol):
    """What every backend offers. Bindings are variable name -> rdflib term."""

    base_iri: str

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> list[Row]: ...

    def ask(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> bool: ...

    def construct(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> Graph: ...

    def named_graphs(self) -> list[URIRef]: ...

    def public_graphs(self) -> list[URIRef]: ...

    def replace_graphs(self, graphs: Mapping[URIRef, Sequence[Part]]) -> None:
        """Atomically make each target graph hold exactly the union of its parts."""

    def drop_graphs(self, names: Iterable[URIRef]) -> None: ...

    def export_nquads(self, graphs: Iterable[URIRef] | None = None) -> bytes: ...

    def close(self) -> None: ...


def _canonical_ntriples(parts: Sequence[Part]) -> bytes:
    """N-Triples as pyoxigraph writes them (bytes parts are taken to be so already), so that
    a diff against a stored graph compares like with like."""
    out = []
    for p in parts:
        if isinstance(p, bytes):
            out.append(p if p.endswith(b"\n") or not p else p + b"\n")
        elif hasattr(p, "ntriples"):  # a loader's OxGraph
            out.append(p.ntriples())
        else:
            triples = (ox.Triple(*(to_oxigraph(t) for t in triple)) for triple in p)
            out.append(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
    return b"".join(out)


def is_public_graph(name: str, base: str) -> bool:
    return name != str(iris.private_graph(base)) and not name.startswith(f"{base}graph/staging/")


def staging_name(target: URIRef, base: str) -> URIRef:
    digest = hashlib.sha256(str(target).encode()).hexdigest()[:16]
    return URIRef(f"{base}graph/staging/{digest}")


def _move_update(moves: Mapping[URIRef, URIRef | None]) -> str:
    """One update request: each staging graph replaces its target (None: drop the target)."""
    ops = []
    for target, staging in moves.items():
        if staging is None:
            ops.append(f"DROP SILENT GRAPH {term_n3(target)}")
        else:
            ops.append(f"MOVE SILENT GRAPH {term_n3(staging)} TO GRAPH {term_n3(target)}")
    return " ;\n".join(ops)


def canonical_hash(nquads: bytes) -> str:
    """Order-independent hash of an N-Quads dump (for 'store untouched' checks)."""
    lines = sorted(line for line in nquads.splitlines() if line.strip())
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


# ---------------------------------------------------------------- embedded backend


class EmbeddedStore:
    """pyoxigraph on disk (or in memory when ``path`` is None).

    Personal contact data lives in a second pyoxigraph store (``{path}/private``), so the main
    store holds only public graphs: public queries can then use the fast union default graph
    (pyoxigraph is about ten times slower on an explicit list of default graphs), and the
    SPARQL endpoint's workers, which open only the main store, cannot reach personal data at
    all. The two stores are written one after the other (private first): a crash in between
    leaves contact data for people not yet public, never public data without its gate.
    """

    def __init__(self, path: Path | None, base_iri: str = DEFAULT_BASE_IRI, read_only=False):
        self.base_iri = base_iri
        self.path = path
        self.read_only = read_only
        self._private_name = iris.private_graph(base_iri)
        self._private: ox.Store | None
        if path is None:
            self._store, self._private = ox.Store(), ox.Store()
        elif read_only:
            self._store = ox.Store.read_only(str(path))
            private = path / "private"
            self._private = (
                ox.Store.read_only(str(private)) if (private / "CURRENT").exists() else None
            )
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(path))
            self._private = ox.Store(str(path / "private"))
            bulk_replace.recover(self._store, path / PENDING)  # a write a crash interrupted
        self._public: list[ox.NamedNode] | None = None
        self._public_refs: tuple[list[ox.NamedNode], list[URIRef]] | None = None
        self._only_public = False
        # Bumped by every write through this object: caches of query results key on it, so
        # they follow writes at once (other processes cannot write to an open on-disk store).
        self.generation = 0

    @property
    def raw(self) -> ox.Store:
        """The main pyoxigraph store, for code that streams results (the SPARQL endpoint)."""
        return self._store

    def _dataset_kwargs(self) -> dict:
        graphs = self._public_nodes()
        if self._only_public:
            return {"use_default_graph_as_union": True}
        # Staging graphs exist (a load is under way): name the public graphs explicitly. An
        # empty list would mean "the store default graph": make that explicit.
        return {"default_graph": graphs or [ox.DefaultGraph()], "named_graphs": graphs}

    def _public_nodes(self) -> list[ox.NamedNode]:
        if self._public is None:
            graphs = [g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]
            self._public = [g for g in graphs if is_public_graph(g.value, self.base_iri)]
            self._only_public = len(self._public) == len(graphs)
        return self._public

    def _query(self, store: ox.Store, query: str, bindings, kwargs: dict):
        # Inline VALUES rather than pyoxigraph substitutions: those only accept projected
        # variables, and the same text then runs identically on the remote backend.
        try:
            text = inject_values(query, bindings or {})
            return store.query(text, **kwargs)
        except SyntaxError as e:
            raise QuerySyntaxError(str(e)) from e
        except OSError as e:
            raise StoreError(str(e)) from e
        except RuntimeError as e:  # pyoxigraph's evaluation errors (e.g. bad bindings)
            raise QuerySyntaxError(str(e)) from e

    def _runs(self, query: str, bindings, dataset: Dataset) -> list:
        """Results from the main store, and for ``dataset="all"`` from the private store too.

        With "all" a query runs on each store separately (no join across them): the callers
        read one graph at a time.
        """
        if dataset != "all":
            return [self._query(self._store, query, bindings, self._dataset_kwargs())]
        everything = {"use_default_graph_as_union": True}
        runs = [self._query(self._store, query, bindings, everything)]
        if self._private is not None:
            runs.append(self._query(self._private, query, bindings, everything))
        return runs

    def select(self, query, bindings=None, dataset: Dataset = "public") -> list[Row]:
        rows: list[Row] = []
        for result in self._runs(query, bindings, dataset):
            names = [v.value for v in result.variables]
            rows.extend(
                {n: to_rdflib(sol[n]) for n in names if sol[n] is not None} for sol in result
            )
        return rows

    def select_terms(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """Like ``select``, with pyoxigraph's own terms: no rdflib conversion, which costs
        more than the query on hot paths that read thousands of values (matching)."""
        rows: list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]] = []
        for result in self._runs(query, bindings, dataset):
            names = [v.value for v in result.variables]
            rows.extend({n: sol[n] for n in names if sol[n] is not None} for sol in result)
        return rows

    def ask(self, query, bindings=None, dataset: Dataset = "public") -> bool:
        return any(bool(r) for r in self._runs(query, bindings, dataset))

    def construct(self, query, bindings=None, dataset: Dataset = "public") -> Graph:
        g = Graph()
        for result in self._runs(query, bindings, dataset):
            for t in result:
                g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return g

    def named_graphs(self) -> list[URIRef]:
        names = {URIRef(g.value) for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)}
        if self._private is not None and self._private.contains_named_graph(
            ox.NamedNode(str(self._private_name))
        ):
            names.add(self._private_name)
        return sorted(names)

    def public_graphs(self) -> list[URIRef]:
        nodes = self._public_nodes()
        cached = self._public_refs
        if cached is None or cached[0] is not nodes:  # rebuilt only when the list is
            cached = self._public_refs = (nodes, sorted(URIRef(g.value) for g in nodes))
        return list(cached[1])

    def replace_graphs(self, graphs: Mapping[URIRef, Sequence[Part]]) -> None:
        graphs = dict(graphs)
        private = graphs.pop(self._private_name, None)
        if private is not None:
            self._replace_private(private)
        if graphs:
            self._replace_main(graphs)
        self._public, self.generation = None, self.generation + 1

    def _replace_private(self, parts: Sequence[Part]) -> None:
        if self._private is None:
            raise StoreError("this store has no private part (opened read-only without one)")
        name = term_n3(self._private_name)
        body = _ntriples(parts).decode("utf-8")
        # One update: the old contact data is replaced atomically.
        self._private.update(
            f"DROP SILENT GRAPH {name} ; INSERT DATA {{ GRAPH {name} {{\n{body}\n}} }}"
        )

    def _replace_main(self, graphs: Mapping[URIRef, Sequence[Part]]) -> None:
        # A diff against the stored graphs, written by one bulk load, one update or a
        # journal (see cckg/bulk_replace.py): old or new state after a crash, never a mix.
        pending = self.path / PENDING if self.path is not None else None
        content = {str(t): _canonical_ntriples(parts) for t, parts in graphs.items()}
        try:
            bulk_replace.replace(self._store, pending, content)
        finally:
            self._public, self.generation = None, self.generation + 1

    def drop_graphs(self, names: Iterable[URIRef]) -> None:
        names = list(names)
        if self._private_name in names and self._private is not None:
            self._private.update(f"DROP SILENT GRAPH {term_n3(self._private_name)}")
            names.remove(self._private_name)
        update = _move_update({n: None for n in names})
        if update:
            self._store.update(update)
        self._public, self.generation = None, self.generation + 1

    def drop_staging(self) -> None:
        """Remove staging graphs a killed load left behind (they are never public)."""
        prefix = f"{self.base_iri}graph/staging/"
        self.drop_graphs(g for g in self.named_graphs() if str(g).startswith(prefix))

    def export_nquads(self, graphs: Iterable[URIRef] | None = None) -> bytes:
        """N-Quads of the given graphs; None means everything, the private part included."""
        buf = io.BytesIO()
        if graphs is None:
            self._store.dump(buf, format=ox.RdfFormat.N_QUADS)
            if self._private is not None:
                self._private.dump(buf, format=ox.RdfFormat.N_QUADS)
        else:
            for g in graphs:
                source = self._private if g == self._private_name else self._store
                if source is not None:  # quads, not dump(from_graph=…), which drops the name
                    quads = source.quads_for_pattern(None, None, None, ox.NamedNode(str(g)))
                    ox.serialize(quads, buf, format=ox.RdfFormat.N_QUADS)
        return buf.getvalue()

    def backup(self, target: Path) -> None:
        """A consistent copy of both parts (pyoxigraph's online backup)."""
        self._store.backup(str(target))
        if self._private is not None:
            self._private.backup(str(target / "private"))

    def close(self) -> None:
        if not self.read_only:
            self._store.flush()
            if self._private is not None:
                self._private.flush()
        del self._store
        self._private = None


# ---------------------------------------------------------------- remote backend

# The dataset of a public query when there is no public graph: sending no dataset at all
# would give the store's default (on Virtuoso every graph, the private one included).
EMPTY_GRAPH = "urn:x-cckg:empty-graph"
RESULTS_JSON = ("application/sparql-results+json", "application/json")
GRAPH_ACCEPT = (
    "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.5"
)
RDF_PARSERS = {
    "application/n-triples": "nt",
    "text/plain": "nt",
    "text/ntriples": "nt",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
WKT_LITERAL = "http://www.opengis.net/ont/geosparql#wktLiteral"
VIRTRDF_GEOMETRY = "http://www.openlinksw.com/schemas/virtrdf#Geometry"
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_KEYWORD = r"(?<![\w?$:.-])"  # not part of a variable, prefixed name or longer word
_END = r"(?![\w:.-])"  # nor the prefix of a prefixed name
_FORM_RE = re.compile(_KEYWORD + r"(SELECT|CONSTRUCT|DESCRIBE|ASK)" + _END, re.IGNORECASE)
_FROM_RE = re.compile(_KEYWORD + r"FROM(\s+NAMED)?" + _END, re.IGNORECASE)
_ORDER_RE = re.compile(_KEYWORD + r"ORDER\s+BY" + _END, re.IGNORECASE)
_GRAPH_NAME_RE = re.compile(r"\s*(<[^<>\s]*>|[A-Za-z_][\w.-]*:[^\s{}()<>,;]*|:[^\s{}()<>,;]*)")
_VAR_NAME_RE = re.compile(r"^[A-Za-z_]\w*$")
_ERROR_HINT_RE = re.compile(r"syntax error|parse error|malformed|unexpected", re.IGNORECASE)


class _RefusedError(StoreError):
    """The store answered an update with an HTTP error status (it may be too large)."""


def _visible(text: str) -> tuple[str, list[int]]:
    """The text outside IRIs, strings and comments, and each character's index in ``text``."""
    positions = list(_scan(text))
    return "".join(c for _, c in positions), [i for i, _ in positions]


def without_dataset_clauses(query: str) -> str:
    """``query`` without its FROM / FROM NAMED clauses.

    The store is always sent the dataset as protocol parameters, which by SPARQL 1.1 Protocol
    replace the query's own; Virtuoso adds them instead, so a ``FROM <…/private>`` would reach
    the private graph. Removing the clauses gives the specified meaning on every store.
    """
    visible, index = _visible(query)
    cuts = []
    for m in _FROM_RE.finditer(visible):
        start, end = index[m.start()], index[m.end() - 1] + 1
        name = _GRAPH_NAME_RE.match(query, end)
        if name is None:
            raise QuerySyntaxError(f"FROM without a graph name at character {start}")
        cuts.append((start, name.end()))
    for start, end in reversed(cuts):
        query = query[:start] + " " + query[end:]
    return query


def _split_prologue(query: str) -> tuple[str, str]:
    """(PREFIX/BASE declarations, the rest from the query form keyword on)."""
    visible, index = _visible(query)
    m = _FORM_RE.search(visible)
    if m is None:
        raise QuerySyntaxError("no SELECT, CONSTRUCT, DESCRIBE or ASK in the query")
    at = index[m.start()]
    return query[:at], query[at:]


def _bnode_labels(line: str) -> list[str]:
    """The blank node labels of one N-Triples line (subject, object)."""
    subject, _, rest = line.split(" ", 2)
    return [t for t in (subject, rest.split(" ", 1)[0]) if t.startswith("_:")]


def _insert_units(lines: Sequence[str]) -> list[list[str]]:
    """N-Triples lines as units that one INSERT request must hold whole: a triple alone, or
    all triples linked by blank nodes (a blank node label names one node only within one
    request)."""
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    units: list[list[str]] = []
    linked: list[tuple[str, str]] = []
    for line in lines:
        if not line.strip():
            continue
        labels = _bnode_labels(line)
        if not labels:
            units.append([line])
            continue
        parent[root(labels[-1])] = root(labels[0])
        linked.append((line, labels[0]))
    groups: dict[str, list[str]] = {}
    for line, label in linked:
        groups.setdefault(root(label), []).append(line)
    return units + list(groups.values())


def _insert_request(graph: str, lines: Sequence[str]) -> str:
    body = "\n".join(lines)
    if any(_bnode_labels(line) for line in lines):
        # A template: INSERT DATA may hold blank nodes by SPARQL 1.1, but Virtuoso refuses them.
        return f"INSERT {{ GRAPH {graph} {{\n{body}\n}} }} WHERE {{}}"
    return f"INSERT DATA {{ GRAPH {graph} {{\n{body}\n}} }}"


def _unexpected(url: str, ctype: str, body: bytes) -> Exception:
    """The error for a 200 answer that is not what was asked for (Virtuoso may answer a bad
    request with an HTML page)."""
    text = re.sub(r"<[^>]*>", " ", body[:4000].decode("utf-8", "replace"))
    text = " ".join(text.split())[:500]
    if _ERROR_HINT_RE.search(text):
        return QuerySyntaxError(text)
    return StoreError(f"{url} answered {ctype or 'no content type'}: {text[:200]}")


class RemoteStore:
    """Any SPARQL 1.1 Query/Update endpoint, over the SPARQL 1.1 Protocol.

    Plain protocol requests, portable across stores (tested with the Oxigraph server and
    Virtuoso 7.2): every request is a form-encoded POST (no URL length limit; Virtuoso never
    answers a POST with an ``application/sparql-query`` body), the dataset always travels as
    protocol parameters, and answers are checked for their content type.
    """

    #: Triples per INSERT request: Virtuoso's SPARQL parser gives up near 5,000. A request the
    #: store refuses is retried in halves, and the smaller size kept.
    chunk_triples = 4000

    def __init__(
        self,
        endpoint: str,
        update_endpoint: str | None = None,
        base_iri: str = DEFAULT_BASE_IRI,
        timeout_s: float = 60.0,
    ):
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.base_iri = base_iri
        self.timeout_s = timeout_s

    # ------------------------------------------------------------ protocol

    def _post(self, url: str, fields: Sequence[tuple[str, str]], accept: str):
        """One form POST; returns (content type, body, headers)."""
        req = urllib.request.Request(  # noqa: S310 (the configured store endpoint)
            url,
            data=urlencode(list(fields)).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as r:  # noqa: S310
                return r.headers.get_content_type(), r.read(), r.headers
        except urllib.error.HTTPError as e:
            detail = " ".join(e.read(2000).decode("utf-8", "replace").split())
            if e.code == 400:
                raise QuerySyntaxError(detail or f"{url} rejected the request") from e
            raise _RefusedError(f"{url} answered {e.code}: {detail[:300]}") from e
        except (urllib.error.URLError, OSError) as e:  # refused, reset, timed out
            raise StoreError(f"{url}: {getattr(e, 'reason', e)}") from e

    def _results(self, text: str, fields: Sequence[tuple[str, str]]) -> tuple[dict, int | None]:
        """The JSON results of a query, and the row cap when the store cut them short."""
        ctype, body, headers = self._post(
            self.endpoint, [("query", text), *fields], "application/sparql-results+json"
        )
        if ctype not in RESULTS_JSON:
            raise _unexpected(self.endpoint, ctype, body)
        try:
            data = json.loads(body)
        except ValueError as e:
            raise StoreError(f"unreadable answer from {self.endpoint}: {e}") from e
        if not isinstance(data, dict) or ("boolean" not in data and "results" not in data):
            raise StoreError(f"{self.endpoint} answered JSON that is not a SPARQL result")
        # Virtuoso cuts results at its ResultSetMaxRows, saying so only in this header.
        cap = headers.get("X-SPARQL-MaxRows", "")
        return data, int(cap) if cap.isdigit() and int(cap) > 0 else None

    def _bindings(self, text: str, fields: Sequence[tuple[str, str]]) -> list[dict]:
        """Every row of a SELECT, paging through it when the store cut it short."""
        data, cap = self._results(text, fields)
        if cap is None:
            return data["results"]["bindings"]
        # Page as a subquery, ordered (by all its variables unless it has an ORDER BY), with
        # OFFSET/LIMIT outside: Virtuoso refuses a sorted LIMIT beyond its cap, not this.
        prologue, body = _split_prologue(text)
        names = [v for v in data["head"].get("vars", []) if _VAR_NAME_RE.match(v)]
        if names and not _ORDER_RE.search(_visible(body)[0]):
            order = " ".join(f"?{v}" for v in names)
            body = f"SELECT * WHERE {{ {{\n{body}\n}} }} ORDER BY {order}"
        rows: list[dict] = []
        while True:
            page = f"{prologue}SELECT * WHERE {{ {{\n{body}\n}} }} OFFSET {len(rows)} LIMIT {cap}"
            batch = self._results(page, fields)[0]["results"]["bindings"]
            rows.extend(batch)
            if len(batch) < cap:
                return rows

    def _prepare(
        self, query: str, bindings: Mapping[str, Node] | None, dataset: Dataset
    ) -> tuple[str, list[tuple[str, str]]]:
        text = without_dataset_clauses(inject_values(query, bindings or {}))
        graphs = self.public_graphs() if dataset == "public" else self.named_graphs()
        names = [str(g) for g in graphs] or [EMPTY_GRAPH]
        fields = [("default-graph-uri", g) for g in names]
        return text, fields + [("named-graph-uri", g) for g in names]

    def _update(self, text: str) -> None:
        self._post(self.update_endpoint, [("update", text)], "*/*")

    # ------------------------------------------------------------ the Store interface

    def select(self, query, bindings=None, dataset: Dataset = "public") -> list[Row]:
        rows = self._bindings(*self._prepare(query, bindings, dataset))
        return [{k: _json_term(v) for k, v in b.items()} for b in rows]

    def ask(self, query, bindings=None, dataset: Dataset = "public") -> bool:
        data, _ = self._results(*self._prepare(query, bindings, dataset))
        if "boolean" in data:
            return bool(data["boolean"])
        # Virtuoso answers ASK as a SELECT: one row (__ASK_RETVAL 1) for true, none for false.
        rows = data["results"]["bindings"]
        return any(v.get("value") not in ("0", "false") for row in rows for v in row.values())

    def construct(self, query, bindings=None, dataset: Dataset = "public") -> Graph:
        # Virtuoso cuts a CONSTRUCT at ResultSetMaxRows triples without any signal (no
        # X-SPARQL-MaxRows): keep graph results (descriptions of one thing) below it.
        text, fields = self._prepare(query, bindings, dataset)
        ctype, body, _ = self._post(self.endpoint, [("query", text), *fields], GRAPH_ACCEPT)
        fmt = RDF_PARSERS.get(ctype)
        if fmt is None:
            raise _unexpected(self.endpoint, ctype, body)
        g = Graph()
        for s, p, o in Graph().parse(data=body.decode("utf-8"), format=fmt):
            g.add((s, p, _canonical(o) if isinstance(o, Literal) and o.datatype else o))
        return g

    def named_graphs(self) -> list[URIRef]:
        """This store's graphs: those under ``{base}graph/``. A shared store holds others too
        (Virtuoso its system graphs), which are not ours to show or export."""
        # GROUP BY, not DISTINCT: the same answer, and fifty times faster on Virtuoso.
        rows = self._bindings("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", [])
        prefix = f"{self.base_iri}graph/"
        names = {b["g"]["value"] for b in rows if b.get("g", {}).get("type") == "uri"}
        return sorted(URIRef(g) for g in names if g.startswith(prefix))

    def public_graphs(self) -> list[URIRef]:
        return [g for g in self.named_graphs() if is_public_graph(str(g), self.base_iri)]

    def replace_graphs(self, graphs: Mapping[URIRef, Sequence[Graph]]) -> None:
        moves: dict[URIRef, URIRef | None] = {}
        try:
            for target, parts in graphs.items():
                staging = staging_name(target, self.base_iri)
                moves[target] = staging
                self._update(f"DROP SILENT GRAPH {term_n3(staging)}")
                self._insert(term_n3(staging), _ntriples(parts).decode("utf-8").splitlines())
            self._update(_move_update(moves))  # one request: the store applies it atomically
        except Exception:
            for staging in moves.values():
                if staging is not None:
                    self._update(f"DROP SILENT GRAPH {term_n3(staging)}")
            raise

    def _insert(self, graph: str, lines: Sequence[str]) -> None:
        """Insert N-Triples lines into ``graph`` in requests of at most ``chunk_triples``."""
        units = _insert_units(lines)
        i = 0
        while i < len(units):
            chunk: list[str] = []
            j = i
            limit = self.chunk_triples
            while j < len(units) and (not chunk or len(chunk) + len(units[j]) <= limit):
                chunk.extend(units[j])
                j += 1
            try:
                self._update(_insert_request(graph, chunk))
            except (QuerySyntaxError, _RefusedError):
                if j - i == 1:
                    raise
                self.chunk_triples = max(1, len(chunk) // 2)
                continue
            i = j

    def drop_graphs(self, names: Iterable[URIRef]) -> None:
        update = _move_update({n: None for n in names})
        if update:
            self._update(update)

    def export_nquads(self, graphs: Iterable[URIRef] | None = None) -> bytes:
        buf = io.BytesIO()
        for g in graphs if graphs is not None else self.named_graphs():
            query = f"SELECT ?s ?p ?o WHERE {{ GRAPH {term_n3(g)} {{ ?s ?p ?o }} }}"
            name = ox.NamedNode(str(g))
            quads = (
                ox.Quad(*(to_oxigraph(_json_term(b[k])) for k in ("s", "p", "o")), name)
                for b in self._bindings(query, [])
            )  # pyoxigraph writes valid N-Quads (rdflib's n3() gives """…""" for newlines)
            ox.serialize(quads, buf, format=ox.RdfFormat.N_QUADS)
        return buf.getvalue()

    def close(self) -> None:
        pass


def _json_term(v: dict) -> Node:
    kind = v["type"]
    if kind == "uri":
        return URIRef(v["value"])
    if kind == "bnode":
        label = v["value"]
        # Virtuoso labels blank nodes "nodeID://b10001": keep labels N-Triples can write.
        return BNode(label if _VAR_NAME_RE.match(label) else "x" + label.encode().hex())
    if "xml:lang" in v:
        return Literal(v["value"], lang=v["xml:lang"])
    datatype = v.get("datatype")
    if datatype:
        return _canonical(Literal(v["value"], datatype=URIRef(datatype)))
    return Literal(v["value"])


def _canonical(lit: Literal) -> Literal:
    """The literal as pyoxigraph gives it: xsd:string as the plain literal, and undoing what
    Virtuoso does to two datatypes: booleans are 1/0 in its JSON results, and every
    geo:wktLiteral is stored as its own virtrdf:Geometry with single-precision coordinates
    (printed with 14 digits)."""
    datatype = str(lit.datatype)
    if datatype == XSD_STRING:  # the same term as the plain literal, which rdflib tells apart
        return Literal(str(lit))
    if datatype == XSD_BOOLEAN and str(lit) in ("1", "0"):
        return Literal("true" if str(lit) == "1" else "false", datatype=lit.datatype)
    if datatype == VIRTRDF_GEOMETRY:
        return Literal(_NUMBER_RE.sub(_shortest_float32, str(lit)), datatype=URIRef(WKT_LITERAL))
    return lit


def _shortest_float32(m: re.Match) -> str:
    """The shortest decimal that reads as the same single-precision number: the text a
    coordinate was given with when it had up to 7 significant digits (99.3% of GeoNames'
    coordinates; the others come back under a metre off, as Virtuoso stored them)."""
    single = struct.unpack("f", struct.pack("f", float(m.group())))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return text
    return m.group()


# ---------------------------------------------------------------- factory


def open_store(settings: Settings | None = None, read_only: bool = False) -> Store:
    """The store the settings name: remote when CCKG_ENDPOINT is set, else embedded on disk."""
    settings = settings or Settings.from_env()
    if settings.endpoint:
        return RemoteStore(settings.endpoint, settings.update_endpoint, settings.base_iri)
    return EmbeddedStore(settings.store_path, settings.base_iri, read_only=read_only)
