"""One store interface, two backends: embedded pyoxigraph on disk, or a remote SPARQL 1.1 store.

Graph policy: one named graph per source file / reference set, ``{base}graph/...``. Queries see
as their default graph the union of the *public* graphs (all named graphs except the private
graph and staging graphs), and only those as named graphs, so personal data never reaches a
query that does not ask for it on purpose (``dataset="all"``, used by loaders and admin code).

Writes replace whole graphs atomically: the new content is first written into staging graphs,
then one SPARQL Update moves every staging graph onto its target. A store update is one
transaction (Oxigraph, and any SPARQL 1.1 store that applies an update request atomically),
so readers and crashes see the old or the new state, never a mix.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal as TypingLiteral
from typing import Protocol

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from cckg import iris
from cckg.settings import DEFAULT_BASE_IRI, Settings
from cckg.sparql_text import inject_values, term_n3

Dataset = TypingLiteral["public", "all"]
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


def _ntriples(parts: Sequence[Graph]) -> bytes:
    return b"".join(g.serialize(format="nt", encoding="utf-8") for g in parts)


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

    def replace_graphs(self, graphs: Mapping[URIRef, Sequence[Graph]]) -> None:
        """Atomically make each target graph hold exactly the union of its parts."""

    def drop_graphs(self, names: Iterable[URIRef]) -> None: ...

    def export_nquads(self, graphs: Iterable[URIRef] | None = None) -> bytes: ...

    def close(self) -> None: ...


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

    def replace_graphs(self, graphs: Mapping[URIRef, Sequence[Graph]]) -> None:
        graphs = dict(graphs)
        private = graphs.pop(self._private_name, None)
        if private is not None:
            self._replace_private(private)
        if graphs:
            self._replace_main(graphs)
        self._public, self.generation = None, self.generation + 1

    def _replace_private(self, parts: Sequence[Graph]) -> None:
        if self._private is None:
            raise StoreError("this store has no private part (opened read-only without one)")
        name = term_n3(self._private_name)
        body = _ntriples(parts).decode("utf-8")
        # One update: the old contact data is replaced atomically.
        self._private.update(
            f"DROP SILENT GRAPH {name} ; INSERT DATA {{ GRAPH {name} {{\n{body}\n}} }}"
        )

    def _replace_main(self, graphs: Mapping[URIRef, Sequence[Graph]]) -> None:
        targets = [ox.NamedNode(str(t)) for t in graphs]
        if not any(self._store.contains_named_graph(t) for t in targets):
            # Nothing to replace: each graph goes in with one transactional load.
            for target, parts in graphs.items():
                self._store.load(
                    _ntriples(parts),
                    format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode(str(target)),
                )
            return
        moves: dict[URIRef, URIRef | None] = {}
        try:
            for target, parts in graphs.items():
                staging = staging_name(target, self.base_iri)
                if self._has(staging):
                    self._store.remove_graph(ox.NamedNode(str(staging)))
                # Queries now name the public graphs explicitly.
                self._public, self.generation = None, self.generation + 1
                # Staging graphs are never visible, so the fast non-transactional loader is fine.
                self._store.bulk_load(
                    _ntriples(parts),
                    format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode(str(staging)),
                )
                moves[target] = staging
            self._store.update(_move_update(moves))  # the one atomic switch
        finally:
            for staging in moves.values():  # after a successful MOVE they are already gone
                if staging is not None and self._has(staging):
                    self._store.remove_graph(ox.NamedNode(str(staging)))
            self._public, self.generation = None, self.generation + 1

    def _has(self, graph: URIRef) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(str(graph)))

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


class RemoteStore:
    """Any SPARQL 1.1 Query/Update endpoint, through SPARQLWrapper."""

    chunk_triples = 20000

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

    def _wrapper(self, url: str):
        from SPARQLWrapper import SPARQLWrapper

        sw = SPARQLWrapper(url)
        sw.setTimeout(int(self.timeout_s))
        return sw

    def _prepare(self, query: str, bindings, dataset: Dataset):
        # SPARQLWrapper guesses query vs update from keywords anywhere in the text, comments
        # included ("load", "created"…): send no whole-line comments.
        query = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
        text = inject_values(query, bindings or {})
        sw = self._wrapper(self.endpoint)
        if dataset == "public":
            graphs = self.public_graphs()
            for g in graphs:
                sw.addParameter("default-graph-uri", str(g))
                sw.addParameter("named-graph-uri", str(g))
        else:
            for g in self.named_graphs():
                sw.addParameter("default-graph-uri", str(g))
                sw.addParameter("named-graph-uri", str(g))
        sw.setMethod("POST")
        sw.setQuery(text)
        return sw

    def _query(self, sw):
        from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

        try:
            return sw.query()
        except QueryBadFormed as e:
            raise QuerySyntaxError(str(e)) from e
        except Exception as e:  # urllib errors, timeouts: the store did not answer
            raise StoreError(f"{self.endpoint}: {e}") from e

    def select(self, query, bindings=None, dataset: Dataset = "public") -> list[Row]:
        from SPARQLWrapper import JSON

        sw = self._prepare(query, bindings, dataset)
        sw.setReturnFormat(JSON)
        data = self._query(sw).convert()
        return [{k: _json_term(v) for k, v in b.items()} for b in data["results"]["bindings"]]

    def ask(self, query, bindings=None, dataset: Dataset = "public") -> bool:
        from SPARQLWrapper import JSON

        sw = self._prepare(query, bindings, dataset)
        sw.setReturnFormat(JSON)
        return bool(self._query(sw).convert()["boolean"])

    def construct(self, query, bindings=None, dataset: Dataset = "public") -> Graph:
        from SPARQLWrapper import N3

        sw = self._prepare(query, bindings, dataset)
        sw.setReturnFormat(N3)
        sw.addCustomHttpHeader("Accept", "application/n-triples")
        body = self._query(sw).response.read()
        return Graph().parse(data=body.decode("utf-8"), format="nt")

    def named_graphs(self) -> list[URIRef]:
        from SPARQLWrapper import JSON

        sw = self._wrapper(self.endpoint)
        sw.setQuery("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        sw.setReturnFormat(JSON)
        data = self._query(sw).convert()
        return sorted(URIRef(b["g"]["value"]) for b in data["results"]["bindings"])

    def public_graphs(self) -> list[URIRef]:
        return [g for g in self.named_graphs() if is_public_graph(str(g), self.base_iri)]

    def _update(self, text: str) -> None:
        sw = self._wrapper(self.update_endpoint)
        sw.setMethod("POST")
        sw.setQuery(text)
        self._query(sw)

    def replace_graphs(self, graphs: Mapping[URIRef, Sequence[Graph]]) -> None:
        moves: dict[URIRef, URIRef | None] = {}
        try:
            for target, parts in graphs.items():
                staging = staging_name(target, self.base_iri)
                moves[target] = staging
                self._update(f"DROP SILENT GRAPH {term_n3(staging)}")
                lines = _ntriples(parts).decode("utf-8").splitlines()
                for i in range(0, len(lines), self.chunk_triples):
                    chunk = "\n".join(lines[i : i + self.chunk_triples])
                    self._update(f"INSERT DATA {{ GRAPH {term_n3(staging)} {{\n{chunk}\n}} }}")
            self._update(_move_update(moves))  # one request: the store applies it atomically
        except Exception:
            for staging in moves.values():
                if staging is not None:
                    self._update(f"DROP SILENT GRAPH {term_n3(staging)}")
            raise

    def drop_graphs(self, names: Iterable[URIRef]) -> None:
        update = _move_update({n: None for n in names})
        if update:
            self._update(update)

    def export_nquads(self, graphs: Iterable[URIRef] | None = None) -> bytes:
        from SPARQLWrapper import JSON

        out = []
        for g in graphs if graphs is not None else self.named_graphs():
            sw = self._wrapper(self.endpoint)
            sw.setQuery(f"SELECT ?s ?p ?o WHERE {{ GRAPH {term_n3(g)} {{ ?s ?p ?o }} }}")
            sw.setReturnFormat(JSON)
            for b in self._query(sw).convert()["results"]["bindings"]:
                s, p, o = (_json_term(b[k]) for k in ("s", "p", "o"))
                out.append(f"{s.n3()} {p.n3()} {o.n3()} {URIRef(g).n3()} .")
        return ("\n".join(out) + ("\n" if out else "")).encode()

    def close(self) -> None:
        pass


def _json_term(v: dict) -> Node:
    kind = v["type"]
    if kind == "uri":
        return URIRef(v["value"])
    if kind == "bnode":
        return BNode(v["value"])
    if "xml:lang" in v:
        return Literal(v["value"], lang=v["xml:lang"])
    if v.get("datatype"):
        return Literal(v["value"], datatype=URIRef(v["datatype"]))
    return Literal(v["value"])


# ---------------------------------------------------------------- factory


def open_store(settings: Settings | None = None, read_only: bool = False) -> Store:
    """The store the settings name: remote when CCKG_ENDPOINT is set, else embedded on disk."""
    settings = settings or Settings.from_env()
    if settings.endpoint:
        return RemoteStore(settings.endpoint, settings.update_endpoint, settings.base_iri)
    return EmbeddedStore(settings.store_path, settings.base_iri, read_only=read_only)
