"""The search index of one store version: documents, their fields in BM25 tables, and the
sentence vectors of the semantic index; ``search`` ranks, filters, counts facets, sorts and
pages.

Retrieval: every document holding a query word (or a variant of it, or a word one typo away)
in any field, and every document whose closest sentence is among the ``sem_k`` nearest to the
query with a cosine of at least ``sem_floor``. Without query words: every curated thing (cities
and countries only with ``kind=city``/``country``), solutions first, by label.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from cckg.core.search import analysis
from cckg.core.search.analysis import QueryWord
from cckg.core.search.documents import (
    FACETS,
    Document,
    Vocabulary,
    places_of,
    read_documents,
    read_vocabulary,
)
from cckg.core.search.lexical import LexicalIndex
from cckg.core.search.meaning import DocumentSimilarity, QueryMeaning
from cckg.core.search.ranking import DEFAULT, DOC_FIELDS, Ranking, fuse
from cckg.core.search.scoring import LexicalScorer
from cckg.core.semantic.encoder import shared_encoder
from cckg.core.semantic.index import SemanticIndex
from cckg.core.store import Store

SORTS = ("relevance", "newest", "city")
MAX_QUERY = 500
MAX_WORDS = 32
PLACE_KINDS = ("city", "country")


class SearchError(ValueError):
    """A search parameter is not valid; ``param`` names it."""

    def __init__(self, param: str, message: str):
        self.param = param
        super().__init__(f"{param}: {message}")


@dataclass
class Hit:
    doc: Document
    score: float  # 0..1 (weighted fusion): see cckg.core.search.ranking
    lexical: float = 0.0  # weighted BM25
    semantic: float = 0.0  # cosine of the closest sentence
    sentence: str = ""  # that sentence (filled for the page shown)


@dataclass
class SearchResult:
    total: int
    page: int
    page_size: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    themes_matched: list[str]
    query_terms: set[str] = field(default_factory=set)  # for highlighting
    sort: str = "relevance"


@dataclass
class BuildReport:
    documents: int = 0
    seconds: float = 0.0


# Filter combinations whose browsing list and facet counts are kept (least recently used out):
# browsing without query words walks every document, 1-3 s at 1e6 triples, and the map, the
# dashboard and the first search page all browse the same few filters.
BROWSE_MEMO = 32


Facets = dict[str, list[tuple[str, int]]]  # facet name -> (value, count), most frequent first


class SearchIndex:
    """Documents and vocabulary labels of one store version, with their BM25 tables and
    (optionally) the semantic index."""

    def __init__(
        self,
        store: Store,
        semantic: SemanticIndex | Callable[[], SemanticIndex | None] | None = None,
        ranking: Ranking = DEFAULT,
    ):
        started = time.perf_counter()
        self.ranking = ranking
        self.vocab: Vocabulary = read_vocabulary(store)
        self.docs: dict[str, Document] = read_documents(store, self.vocab)
        self.broader = self.vocab.broader
        self._order = list(self.docs)
        self._row = {iri: i for i, iri in enumerate(self._order)}
        self._themes = sorted(self.vocab.theme_labels)
        self.lexical = self._build_lexical()
        self._label_terms = [
            (theme, frozenset(terms))
            for theme in self._themes
            for text, lang in self.vocab.theme_labels[theme]
            if (terms := analysis.analysed(text, lang or "en")[0])
        ]
        self.theme_index = self._build_themes()
        self.scorer = LexicalScorer(
            [self.docs[i] for i in self._order],
            self.vocab,
            self.lexical,
            self.theme_index,
            self._themes,
        )
        self.semantic = semantic() if callable(semantic) else semantic
        self.similarity = None
        if self.semantic is not None:
            self.similarity = DocumentSimilarity(self.semantic, self.docs)
            shared_encoder().warm_up()
        self._browsed: OrderedDict[tuple[tuple[str, str], ...], tuple[list[Hit], Facets]]
        self._browsed = OrderedDict()
        self._browsed_lock = threading.Lock()
        self.report = BuildReport(len(self.docs), time.perf_counter() - started)

    # ---------------------------------------------------------------- building

    def _build_lexical(self) -> LexicalIndex:
        index = LexicalIndex(DOC_FIELDS)
        for iri, doc in self.docs.items():
            row = self._row[iri]
            for name, parts in self._fields(doc).items():
                _add(index, row, name, parts)
        index.finish()
        return index

    def _build_themes(self) -> LexicalIndex:
        """One row per theme: its labels in every language (BM25 finds the themes a query
        names; a document then counts its best theme, not a concatenation of all of them)."""
        index = LexicalIndex(("themes",))
        for row, theme in enumerate(self._themes):
            _add(index, row, "themes", [(t, lang or "en") for t, lang in self._tl(theme)])
        index.finish()
        return index

    def _fields(self, doc: Document) -> dict[str, list[tuple[str, str | None]]]:
        """Each field's texts with their language (None: a name, folded, not stemmed)."""
        vocab = self.vocab
        places = places_of(doc, vocab)
        cities = [n for p in places if "/id/city/" in p for n in vocab.place_names(p)]
        countries = [n for p in places if "/id/city/" not in p for n in vocab.place_names(p)]
        orgs = [n for o in doc.orgs if o in self.docs for n in self._names_of(self.docs[o])]
        body: list[tuple[str, str | None]] = [(t, lang or "en") for lang, t in doc.summary.items()]
        body += [(t, lang or "en") for t, lang in doc.outcomes]
        return {
            "title": [(text, lang or "en") for lang, text in doc.labels.items()],
            "names": [(n, None) for n in doc.names if analysis.in_our_scripts(n)],
            "body": body,
            "cities": [(n, None) for n in cities if analysis.in_our_scripts(n)],
            "countries": [(n, None) for n in countries if analysis.in_our_scripts(n)],
            "orgs": [(n, None) for n in orgs],
        }

    def _tl(self, theme: str) -> list[tuple[str, str]]:
        return self.vocab.theme_labels.get(theme, [])

    @staticmethod
    def _names_of(doc: Document) -> list[str]:
        return [*doc.labels.values(), *doc.names]

    # ---------------------------------------------------------------- labels

    def with_broader(self, theme: str) -> set[str]:
        return self.vocab.with_broader(theme)

    def label(self, iri: str, lang: str = "en") -> str:
        """Label in ``lang``, falling back to English, then untagged, then any language."""
        found = self.vocab.label(iri, lang)
        if found is not None:
            return found
        labels = self.docs[iri].labels if iri in self.docs else {}
        for key in (lang, "en", ""):
            if key in labels:
                return labels[key]
        return next(iter(labels.values()), iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1])

    # ---------------------------------------------------------------- search

    def search(
        self,
        q: str = "",
        filters: dict[str, str] | None = None,
        page: int = 1,
        page_size: int = 20,
        sort: str = "relevance",
        ranking: Ranking | None = None,
    ) -> SearchResult:
        """One page of the documents matching ``q`` and ``filters``, ranked or sorted, with
        the facet counts of all of them. Raises SearchError for a bad parameter."""
        filters = _check(q, filters, page, page_size, sort)
        ranking = ranking or self.ranking
        qwords = _query_words(q)
        if qwords:
            hits, meaning = self._matching(q, qwords, filters, ranking)
            facets = self._facets(hits)
        else:
            (hits, facets), meaning = self._browsing(filters), None
        start = (page - 1) * page_size
        shown = self._sorted(hits, sort)[start : start + page_size]
        if meaning is not None and self.similarity is not None:
            closest = self.similarity.sentences(meaning, [h.doc.iri for h in shown])
            for h in shown:
                h.sentence = closest.get(h.doc.iri, "")
        return SearchResult(
            len(hits),
            page,
            page_size,
            shown,
            facets,
            self._themes_matched(qwords),
            analysis.highlight_terms(q) | {t for w in qwords for t in self.scorer.fuzzy(w)},
            sort,
        )

    def matches(self, q: str = "", filters: dict[str, str] | None = None) -> list[Hit]:
        """Every document matching ``q`` and ``filters``, best first (browsing order without
        query words): all of them, not one page (the map and the GeoJSON export). Raises
        SearchError for a bad parameter."""
        filters = _check(q, filters, 1, 1, "relevance")
        qwords = _query_words(q)
        if not qwords:
            return list(self._browsing(filters)[0])  # a copy: the kept list stays intact
        return self._matching(q, qwords, filters, self.ranking)[0]

    def matches_and_facets(
        self, q: str = "", filters: dict[str, str] | None = None
    ) -> tuple[list[Hit], Facets]:
        """``matches`` with the facet counts of all of them (the map's form), ranked once.
        Raises SearchError for a bad parameter."""
        filters = _check(q, filters, 1, 1, "relevance")
        qwords = _query_words(q)
        if not qwords:
            hits, facets = self._browsing(filters)
            return list(hits), facets  # a copy: the kept list stays intact
        hits = self._matching(q, qwords, filters, self.ranking)[0]
        return hits, self._facets(hits)

    def _browsing(self, filters: dict[str, str]) -> tuple[list[Hit], Facets]:
        """The browsing list for ``filters`` and its facet counts, kept for ``BROWSE_MEMO``
        filter combinations (the index is one store version's: nothing goes stale). Callers
        must not change them."""
        key = tuple(sorted(filters.items()))
        with self._browsed_lock:
            found = self._browsed.get(key)
            if found is not None:
                self._browsed.move_to_end(key)
                return found
        hits = self._browse(filters)
        found = (hits, self._facets(hits))
        with self._browsed_lock:
            self._browsed[key] = found
            while len(self._browsed) > BROWSE_MEMO:
                self._browsed.popitem(last=False)
        return found

    def _matching(
        self, q: str, qwords: list[QueryWord], filters: dict[str, str], ranking: Ranking
    ) -> tuple[list[Hit], QueryMeaning | None]:
        if not qwords:
            return self._browse(filters), None
        hits, meaning = self._rank(q, qwords, ranking)
        return [h for h in hits if self._passes(h.doc, filters)], meaning

    def _browse(self, filters: dict[str, str]) -> list[Hit]:
        wanted = filters.get("kind") in PLACE_KINDS
        hits = [
            Hit(doc, 0.0)
            for doc in self.docs.values()
            if (doc.kind not in PLACE_KINDS or wanted) and self._passes(doc, filters)
        ]
        hits.sort(key=lambda h: (h.doc.kind != "solution", self.label(h.doc.iri).casefold()))
        return hits

    def _passes(self, doc: Document, filters: dict[str, str]) -> bool:
        for name, value in filters.items():
            values = doc.facets.get(name, set())
            if value not in values and not any(v.rsplit("/", 1)[-1] == value for v in values):
                return False
        return True

    def lexical_scores(
        self, q: str, qwords: list[QueryWord], ranking: Ranking
    ) -> tuple[dict[str, float], set[str]]:
        """IRI -> lexical score (``scoring``) of every document with lexical evidence, and the
        documents whose own name holds a query word."""
        scores, named = self.scorer.scores(q, qwords, ranking)
        return {self._order[r]: s for r, s in scores.items()}, {self._order[r] for r in named}

    def _rank(
        self, q: str, qwords: list[QueryWord], ranking: Ranking
    ) -> tuple[list[Hit], QueryMeaning | None]:
        lexical, named = self.lexical_scores(q, qwords, ranking) if ranking.lexical else ({}, set())
        meaning = self.similarity.query(q) if ranking.semantic and self.similarity else None
        cosines = meaning.documents if meaning else {}
        nearest = sorted(cosines, key=lambda d: -cosines[d])[: ranking.sem_k]
        chosen = {d for d in nearest if cosines[d] >= ranking.sem_floor}
        wanted = (set(lexical) | chosen) if ranking.lexical else chosen
        semantic = {d: cosines[d] for d in wanted if d in cosines}
        if ranking.semantic:  # a place has no sentences: its names are what it means
            for d in lexical:
                if self.docs[d].kind in PLACE_KINDS:
                    semantic[d] = ranking.sem_high if d in named else ranking.sem_low
        fused = fuse(lexical, semantic, ranking)
        floor = ranking.min_share * max(fused.values(), default=0.0)
        hits = [
            Hit(self.docs[d], score, lexical.get(d, 0.0), cosines.get(d, 0.0))
            for d, score in fused.items()
            if score >= floor and score > 0
        ]
        hits.sort(key=lambda h: (-h.score, -h.lexical, self.label(h.doc.iri).casefold()))
        return hits, meaning

    def _themes_matched(self, qwords: list[QueryWord]) -> list[str]:
        """Themes one of whose labels is wholly among the query's words (stems)."""
        if not qwords:
            return []
        stems = {v for w in qwords for v in w.variants}
        return sorted({t for t, terms in self._label_terms if terms <= stems})

    def _sorted(self, hits: list[Hit], sort: str) -> list[Hit]:
        if sort == "newest":
            dated = [h for h in hits if h.doc.date]
            undated = [h for h in hits if not h.doc.date]
            dated.sort(key=lambda h: h.doc.date, reverse=True)  # stable: relevance within a date
            return dated + undated
        if sort == "city":
            return sorted(hits, key=lambda h: self._city_key(h.doc))
        return hits

    def _city_key(self, doc: Document) -> tuple[bool, str]:
        city = doc.iri if doc.kind == "city" else (doc.city[0] if doc.city else "")
        return (not city, self.label(city).casefold() if city else "")

    def _facets(self, hits: list[Hit]) -> Facets:
        out = {}
        for name in FACETS:
            counts = Counter(v for h in hits for v in h.doc.facets.get(name, ()))
            out[name] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return out


def _query_words(q: str) -> list[QueryWord]:
    """The words of a query that count (stop words out), at most ``MAX_WORDS``."""
    return [w for w in analysis.query_words(q) if not w.stop][:MAX_WORDS]


def _add(index: LexicalIndex, row: int, name: str, parts: list[tuple[str, str | None]]) -> None:
    terms: list[str] = []
    surface: list[str] = []
    for text, lang in parts:
        t, s = analysis.analysed(text, lang)
        terms += t
        surface += s
    index.add(row, name, terms, surface)


def _check(
    q: str, filters: dict[str, str] | None, page: int, page_size: int, sort: str
) -> dict[str, str]:
    filters = {k: v for k, v in (filters or {}).items() if v}
    for name in filters:
        if name not in FACETS:
            raise SearchError(name, f"unknown filter; use one of {', '.join(FACETS)}")
    if page < 1:
        raise SearchError("page", "must be 1 or more")
    if not 1 <= page_size <= 100:
        raise SearchError("page_size", "must be between 1 and 100")
    if len(q) > MAX_QUERY:
        raise SearchError("q", f"is longer than {MAX_QUERY} characters")
    if sort not in SORTS:
        raise SearchError("sort", f"use one of {', '.join(SORTS)}")
    return filters
