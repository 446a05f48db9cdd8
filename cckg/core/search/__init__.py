"""Faceted, multilingual search over the curated things, and the cities and countries they
are in, ranked by BM25 (SQLite FTS5) fused with the semantic similarity of sentence vectors.

- ``analysis``: words, folding, stop words and Snowball stems in en, de, es, fr, pt and ar;
- ``documents``: the documents and the vocabulary, read from the store by two SPARQL queries;
- ``lexical``: BM25 per field over in-memory FTS5 tables, phrases, one-typo lookups;
- ``ranking``: the weights and the fusion of lexical and semantic scores;
- ``index``: one store version's index, and ``search`` (filters, facets, sorts, pages);
- ``present``: result rows (summary, highlights, city, country, period, status, themes);
- ``service``: the index of the store's current version, rebuilt when the store changes;
- ``legacy``: the ranking before BM25, kept to compare in the evaluation.
"""

from cckg.core.search.documents import FACETS, KINDS, Document
from cckg.core.search.index import SORTS, Hit, SearchError, SearchIndex, SearchResult
from cckg.core.search.ranking import Ranking

__all__ = [
    "FACETS",
    "KINDS",
    "SORTS",
    "Document",
    "Hit",
    "Ranking",
    "SearchError",
    "SearchIndex",
    "SearchResult",
]
