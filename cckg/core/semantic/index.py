"""The sentences of the store's things with their vectors, built once per store version.

``nearest`` gives the things whose closest sentence is most similar to a need (the
candidates no theme word finds); ``closest`` the closest sentence of given things (the
similarity factor of every candidate, and the sentence its reason quotes).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from cckg.core.queries import helper
from cckg.core.semantic.encoder import DIMENSIONS, Encoder, shared_encoder
from cckg.core.semantic.sentences import sentences
from cckg.core.semantic.vectors import VectorCache, text_key
from cckg.core.store import Store

CCKG = "https://w3id.org/cckg/def/cckg#"
KIND_OF_TYPE = {
    f"{CCKG}Solution": "solution",
    f"{CCKG}Offer": "offer",
    f"{CCKG}Need": "need",
    f"{CCKG}ProjectIdea": "project-idea",
    f"{CCKG}Event": "event",
    f"{CCKG}Institution": "institution",
    f"{CCKG}Practitioner": "practitioner",
}
ENCODE_BATCH = 256


@dataclass(frozen=True)
class Hit:
    iri: str
    kind: str
    similarity: float  # the cosine of the closest sentence
    sentence: str  # that sentence


@dataclass
class BuildReport:
    sentences: int = 0
    encoded: int = 0  # sentences not in the cache, encoded now
    seconds: float = 0.0


class SemanticIndex:
    """Sentence vectors (one row each) with the thing each belongs to."""

    def __init__(
        self, owners: Sequence[str], kinds: Sequence[str], texts: Sequence[str], matrix: np.ndarray
    ) -> None:
        self.owners = np.asarray(owners, dtype=object)
        self.kinds = np.asarray(kinds, dtype=object)
        self.texts = list(texts)
        self.matrix = matrix.astype(np.float32, copy=False)
        # Each thing's sentences are one run of rows (build sorts by thing): its range.
        self._ranges: dict[str, tuple[int, int]] = {}
        for i, owner in enumerate(owners):
            start, _ = self._ranges.get(owner, (i, i))
            self._ranges[owner] = (start, i + 1)
        # The first row of each thing's run, in row order, and each thing's place in it.
        self._starts = np.fromiter((a for a, _ in self._ranges.values()), dtype=np.int64)
        self._place = {owner: k for k, owner in enumerate(self._ranges)}
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # scores -> _maxima
        self.report = BuildReport(len(texts))

    @classmethod
    def build(
        cls, store: Store, encoder: Encoder | None = None, cache: VectorCache | None = None
    ) -> SemanticIndex:
        """Every text of the store's things, split into sentences; vectors from ``cache``
        where it has them, else encoded (and added to it, which is then saved)."""
        started = time.perf_counter()
        encoder = encoder or shared_encoder()
        owners, kinds, texts = [], [], []
        seen: set[tuple[str, str]] = set()
        rows = store.select_terms(helper("match/list_semantic_texts"))
        for row in sorted(rows, key=lambda r: (r["x"].value, r["text"].value)):
            kind = KIND_OF_TYPE.get(row["type"].value)
            if kind is None:
                continue
            owner = row["x"].value
            for sentence in sentences(row["text"].value):
                if (owner, sentence) not in seen:
                    seen.add((owner, sentence))
                    owners.append(owner)
                    kinds.append(kind)
                    texts.append(sentence)
        matrix, encoded = vectors_of(texts, encoder, cache)
        index = cls(owners, kinds, texts, matrix)
        index.report = BuildReport(len(texts), encoded, time.perf_counter() - started)
        return index

    def __len__(self) -> int:
        return len(self.texts)

    def nearest(
        self, scores: np.ndarray, kinds: Iterable[str] | None = None, k: int = 50
    ) -> list[Hit]:
        """The ``k`` things (of ``kinds``) whose closest sentence is most similar
        (``scores``: of :meth:`scores`)."""
        if not self.texts:
            return []
        # Each thing's closest sentence (one maximum per run of rows), then the k best
        # things by partition: sorting every sentence cost 6-13 ms at 10^6.
        sims = self._maxima(scores)
        if kinds is not None:
            mask = np.isin(self.kinds[self._starts], list(kinds))
            sims = np.where(mask, sims, -2.0)
        if k < len(sims):
            top = np.argpartition(-sims, k - 1)[:k]
        else:
            top = np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        things = [str(self.owners[self._starts[n]]) for n in top.tolist() if sims[n] > -2.0]
        found = self.closest(scores, things)
        return [found[thing] for thing in things]

    def scores(self, vector: np.ndarray) -> np.ndarray:
        """The cosine of every sentence with ``vector`` (one matrix product)."""
        if not self.texts:
            return np.zeros(0, dtype=np.float32)
        return self.matrix @ vector

    def closest(self, scores: np.ndarray, iris: Iterable[str]) -> dict[str, Hit]:
        """The closest sentence of each of ``iris`` that has any (``scores``: of
        :meth:`scores`)."""
        out: dict[str, Hit] = {}
        for iri in iris:
            span = self._ranges.get(iri)
            if span is not None:
                j = span[0] + int(np.argmax(scores[span[0] : span[1]]))
                out[iri] = self._hit(j, float(scores[j]))
        return out

    def similarities(self, scores: np.ndarray, iris: Iterable[str]) -> dict[str, float]:
        """The similarity of the closest sentence of each of ``iris`` that has any, as
        :meth:`closest` gives it, for thousands of things at once."""
        if not self.texts:
            return {}
        best = self._maxima(scores)
        place = self._place
        return {iri: float(best[k]) for iri in iris if (k := place.get(iri)) is not None}

    def similarity_array(self, scores: np.ndarray, iris: Sequence[str]) -> np.ndarray:
        """:meth:`similarities` as an array in the order of ``iris`` (NaN: no sentence)."""
        out = np.full(len(iris), np.nan)
        if not self.texts or not iris:
            return out
        place = self._place
        at = np.fromiter((place.get(iri, -1) for iri in iris), dtype=np.int64, count=len(iris))
        known = at >= 0
        out[known] = self._maxima(scores)[at[known]]
        return out

    def _maxima(self, scores: np.ndarray) -> np.ndarray:
        """Each thing's closest sentence: one vectorised maximum over every thing's run of
        rows, kept for the last ``scores`` (a match asks for it several times)."""
        last = self._last
        if last is not None and last[0] is scores:
            return last[1]
        best = np.maximum.reduceat(scores, self._starts)
        self._last = (scores, best)  # one tuple: threads see the old pair or the new
        return best

    def _hit(self, i: int, similarity: float) -> Hit:
        return Hit(str(self.owners[i]), str(self.kinds[i]), similarity, self.texts[i])


def vectors_of(
    texts: Sequence[str], encoder: Encoder, cache: VectorCache | None
) -> tuple[np.ndarray, int]:
    """The vectors of ``texts`` (cached ones reused) and how many were encoded."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32), 0
    keys = [text_key(t) for t in texts]
    found = cache.get(keys) if cache is not None else [None] * len(texts)
    missing = sorted({i for i, v in enumerate(found) if v is None}, key=lambda i: texts[i])
    unique: dict[bytes, int] = {}
    for i in missing:
        unique.setdefault(keys[i], i)
    todo = list(unique.values())
    fresh: dict[bytes, np.ndarray] = {}
    for start in range(0, len(todo), ENCODE_BATCH):
        batch = todo[start : start + ENCODE_BATCH]
        vectors = encoder.encode([texts[i] for i in batch])
        fresh.update((keys[i], v) for i, v in zip(batch, vectors, strict=True))
    if cache is not None and fresh:
        cache.put(list(fresh), np.stack(list(fresh.values())))
    matrix = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
    for i, (key, vector) in enumerate(zip(keys, found, strict=True)):
        matrix[i] = vector if vector is not None else fresh[key]
    if cache is not None and fresh:
        cache.save(keep=keys)
    return matrix, len(fresh)
