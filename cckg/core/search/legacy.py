"""The search before BM25 (kept only to compare rankings in ``cckg.search_evaluation``).

Its ranking: the share of query words (crude stems) found in a thing's words, plus a flat 0.5
when any query word names any of its themes, plus 0.5 for a word in the title; ties A-Z.

The curated part of the graph is small (hundreds of things, not the 34k reference cities), so
two SPARQL queries (``queries/search/*.rq``, run through the Store, so they work on a remote
store too) build an in-memory index once per store version; a search is then plain Python:
normalised, accent-insensitive prefix matching on labels and texts in every language, theme
synonyms from the SKOS scheme (a German "Kompost" finds the waste theme, and with it the
solutions tagged with it), and hierarchy-aware facets (a narrower theme counts for its
broader one).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from cckg.core.queries import helper
from cckg.core.sparql_text import substitute_term
from cckg.core.store import Store

CCKG = "https://w3id.org/cckg/def/cckg#"
KIND_OF_TYPE = {
    CCKG + "Solution": "solution",
    CCKG + "Institution": "institution",
    CCKG + "Event": "event",
    CCKG + "ProjectIdea": "project-idea",
    CCKG + "Need": "need",
    CCKG + "Offer": "offer",
    CCKG + "Practitioner": "practitioner",
}
KINDS = tuple(KIND_OF_TYPE.values())
LEGACY_FIELDS = {
    "label",
    "text",
    "description",
    "outcome",
    "theme",
    "country",
    "city",
    "status",
    "sdg",
    "year",
    "start",
    "kind",
    "example",
}
FACETS = ("kind", "theme", "country", "region", "status", "sdg", "year", "format")
STOPWORDS = set(
    """a an and the of in on for to with our my we is are by from how what who can city cities
    der die das und ein eine in im mit für von zu wie wir unsere unser stadt ist den dem des
    el la los las de del y en con para por un una que como nuestra nuestro ciudad es
    le les des du et en un une pour avec dans notre nos ville est au aux comment""".split()
)


class SearchError(ValueError):
    """A search parameter is not valid; ``param`` names it."""

    def __init__(self, param: str, message: str):
        self.param = param
        super().__init__(f"{param}: {message}")


def normalise(text: str) -> str:
    """Lower case, accents stripped: 'Müll' and 'mull', 'Bogotá' and 'bogota' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"\w+", normalise(text)) if t not in STOPWORDS and len(t) > 1]


def _stem(token: str) -> str:
    # A crude multilingual stem: enough to let 'composting'/'compost', 'Abfälle'/'Abfall' meet.
    return token[: max(4, len(token) - 3)] if len(token) > 5 else token


@dataclass
class Document:
    iri: str
    kind: str
    labels: dict[str, str] = field(default_factory=dict)  # language -> label
    texts: list[str] = field(default_factory=list)
    facets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    is_example: bool = False
    words: set[str] = field(default_factory=set)


@dataclass
class Hit:
    doc: Document
    score: float
    matched: list[str]


@dataclass
class SearchResult:
    total: int
    page: int
    page_size: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    themes_matched: list[str]


def _read(name: str) -> str:
    return helper(f"search/{name}")


class LegacySearchIndex:
    """Documents and vocabulary labels, built from the store."""

    def __init__(self, store: Store):
        self.docs: dict[str, Document] = {}
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)  # IRI -> lang -> label
        self.theme_words: dict[str, set[str]] = defaultdict(set)  # stem -> theme IRIs
        self.broader: dict[str, set[str]] = defaultdict(set)
        self.region_of: dict[str, str] = {}
        self._load_vocabulary(store)
        self._load_documents(store)

    def _load_vocabulary(self, store: Store) -> None:
        curated = URIRef(store.base_iri + "graph/curated/cities")
        text = substitute_term(_read("list_search_vocabulary"), "curatedCities", curated)
        for row in store.select(text):
            x, f, v = str(row["x"]), str(row["field"]), row["value"]
            if f in ("label", "city") and isinstance(v, Literal):
                self.labels[x].setdefault(v.language or "", str(v))
            if f in ("label", "alt") and isinstance(v, Literal) and "/id/theme/" in x:
                for t in tokens(str(v)):
                    self.theme_words[_stem(t)].add(x)
            elif f == "broader":
                self.broader[x].add(str(v))
            elif f == "region":
                self.region_of[x] = str(v)

    def _load_documents(self, store: Store) -> None:
        for row in store.select(_read("list_search_documents")):
            iri = str(row["s"])
            doc = self.docs.get(iri)
            if doc is None:
                doc = self.docs[iri] = Document(iri, KIND_OF_TYPE[str(row["type"])])
                doc.facets["kind"].add(doc.kind)
            f, v = str(row["field"]), row["value"]
            if f not in LEGACY_FIELDS:
                continue
            if f == "label":
                doc.labels.setdefault(getattr(v, "language", None) or "", str(v))
            elif f in ("text", "description", "outcome"):
                doc.texts.append(str(v))
            elif f == "theme":
                doc.facets["theme"] |= self.with_broader(str(v))
            elif f == "country":
                doc.facets["country"].add(str(v))
                if str(v) in self.region_of:
                    doc.facets["region"].add(self.region_of[str(v)])
            elif f in ("year", "start"):
                doc.facets["year"].add(str(v)[:4])
            elif f == "kind":
                doc.facets["format"].add(str(v))
            elif f == "example":
                doc.is_example = str(v).lower() == "true"
            elif f in ("status", "sdg", "city"):
                doc.facets[f].add(str(v))
        for doc in self.docs.values():
            text = " ".join([*doc.labels.values(), *doc.texts])
            doc.words = {_stem(t) for t in tokens(text)}

    def with_broader(self, theme: str) -> set[str]:
        """The theme and all its broader themes (so facets count up the hierarchy)."""
        out, todo = set(), [theme]
        while todo:
            t = todo.pop()
            if t not in out:
                out.add(t)
                todo.extend(self.broader.get(t, ()))
        return out

    def label(self, iri: str, lang: str = "en") -> str:
        """Label in ``lang``, falling back to English, then untagged, then any language."""
        labels = self.labels.get(iri) or (self.docs[iri].labels if iri in self.docs else {})
        for key in (lang, "en", ""):
            if key in labels:
                return labels[key]
        return next(iter(labels.values()), iri.rsplit("/", 1)[-1])

    # ---------------------------------------------------------------- search

    def search(
        self,
        q: str = "",
        filters: dict[str, str] | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> SearchResult:
        filters = {k: v for k, v in (filters or {}).items() if v}
        for name in filters:
            if name not in FACETS:
                raise SearchError(name, f"unknown filter; use one of {', '.join(FACETS)}")
        if page < 1:
            raise SearchError("page", "must be 1 or more")
        if not 1 <= page_size <= 100:
            raise SearchError("page_size", "must be between 1 and 100")
        if len(q) > 500:
            raise SearchError("q", "is longer than 500 characters")
        stems = [_stem(t) for t in tokens(q)]
        themes = sorted({t for s in stems for t in self.theme_words.get(s, ())})
        hits = []
        for doc in self.docs.values():
            if any(not self._has(doc, k, v) for k, v in filters.items()):
                continue
            if not stems:
                hits.append(Hit(doc, 0.0, []))
                continue
            matched = [s for s in stems if s in doc.words]
            theme_hit = [t for t in themes if t in doc.facets.get("theme", ())]
            if not matched and not theme_hit:
                continue
            score = len(set(matched)) / len(set(stems)) + 0.5 * bool(theme_hit)
            if any(
                s in {_stem(t) for t in tokens(lbl)} for s in stems for lbl in doc.labels.values()
            ):
                score += 0.5  # words in the title weigh more than words in the text
            hits.append(Hit(doc, score, matched + [self.label(t) for t in theme_hit]))
        hits.sort(key=lambda h: (-h.score, h.doc.kind != "solution", self.label(h.doc.iri)))
        facets = self._facets(hits)
        start = (page - 1) * page_size
        return SearchResult(
            len(hits), page, page_size, hits[start : start + page_size], facets, themes
        )

    def _has(self, doc: Document, name: str, value: str) -> bool:
        values = doc.facets.get(name, set())
        return value in values or any(v.rsplit("/", 1)[-1] == value for v in values)

    def _facets(self, hits: list[Hit]) -> dict[str, list[tuple[str, int]]]:
        out = {}
        for name in FACETS:
            counts = Counter(v for h in hits for v in h.doc.facets.get(name, ()))
            out[name] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return out
