"""The themes' labels as vectors: how close a need is to each theme of the scheme, by the
meaning of its labels in every language (themes.ttl has them in en, de, es, fr, pt and ar).

The matcher uses it two ways: a theme that a word of the need names is kept only when the
need is about it (everyday words name themes by accident: "mobile app" names mobility), and
a theme no word names but the need is plainly about is added.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cckg.core.semantic.encoder import Encoder, shared_encoder
from cckg.core.semantic.index import vectors_of
from cckg.core.semantic.vectors import VectorCache


class ThemeVectors:
    """One row per theme label; ``similarity`` gives each theme its closest label's cosine."""

    def __init__(
        self,
        labels: Iterable[tuple[str, str]],
        encoder: Encoder | None = None,
        cache: VectorCache | None = None,
    ) -> None:
        pairs = sorted(set(labels))
        self.themes = sorted({t for t, _ in pairs})
        position = {t: i for i, t in enumerate(self.themes)}
        self._owner = np.array([position[t] for t, _ in pairs], dtype=np.int64)
        self.matrix, _ = vectors_of([text for _, text in pairs], encoder or shared_encoder(), cache)

    def similarity(self, vector: np.ndarray) -> dict[str, float]:
        """theme -> the cosine of its closest label with ``vector``."""
        if not self.themes:
            return {}
        sims = self.matrix @ vector
        best = np.full(len(self.themes), -1.0, dtype=np.float32)
        np.maximum.at(best, self._owner, sims)
        return {t: float(best[i]) for i, t in enumerate(self.themes)}
