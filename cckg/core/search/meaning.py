"""The semantic side of search: the cosine of the query's sentence vector with each
document's closest sentence (``cckg.core.semantic``: multilingual USE v3, one vector per
sentence of titles, descriptions, outcomes, topics and roles), for all documents at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from cckg.core.semantic.encoder import shared_encoder
from cckg.core.semantic.index import SemanticIndex

log = logging.getLogger(__name__)


@dataclass
class QueryMeaning:
    """One query's cosines: per sentence, and per document (its closest sentence)."""

    sentences: np.ndarray
    documents: dict[str, float]


class DocumentSimilarity:
    """The semantic index's sentences grouped by document (each document's sentences are one
    run of rows), so a query's closest-sentence cosine per document is one ``reduceat``."""

    def __init__(self, index: SemanticIndex, iris: Iterable[str]) -> None:
        self.index = index
        wanted = set(iris)
        owners = index.owners
        starts = [i for i in range(len(owners)) if i == 0 or owners[i] != owners[i - 1]]
        self._starts = np.asarray(starts, dtype=np.int64)
        self._owners = [str(owners[i]) for i in starts]
        self._keep = np.asarray([o in wanted for o in self._owners], dtype=bool)

    def query(self, q: str) -> QueryMeaning | None:
        """The cosines of ``q`` (None when the index has no sentences)."""
        if not len(self.index):
            return None
        try:
            vector = shared_encoder().encode_query(q)
        except Exception:  # text the encoder cannot take (lone surrogates...): words only
            log.warning("search: the query could not be encoded; ranking by words only")
            return None
        sentences = self.index.scores(vector)
        best = np.maximum.reduceat(sentences, self._starts)
        documents = {
            owner: float(value)
            for owner, value, keep in zip(self._owners, best, self._keep, strict=True)
            if keep
        }
        return QueryMeaning(sentences, documents)

    def sentences(self, meaning: QueryMeaning, iris: Sequence[str]) -> dict[str, str]:
        """The closest sentence of each of ``iris`` (the reason shown with a result)."""
        return {
            iri: hit.sentence for iri, hit in self.index.closest(meaning.sentences, iris).items()
        }
