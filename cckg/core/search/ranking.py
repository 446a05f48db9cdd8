"""How a query's lexical and semantic evidence become one score per document.

Lexical: BM25 per field (``lexical``), weighted: a word in the title counts more than in the
body, a theme label or a place name less; two query words side by side in a title, body or
theme label (a phrase) add their own BM25; a query that is exactly one of a document's names
(a city's alias, a country's name, an institution's acronym) adds a bonus. Semantic: the
cosine of the query's sentence vector with the document's closest sentence.

Fusion (chosen on the dev queries of ``eval/search-queries.yaml``, see
``cckg.search_evaluation``): a weighted sum of the two, each brought into 0..1 without
looking at the other results (so a score means the same in every query): the lexical score
saturates (``lex / (lex + lex_half)``), the cosine is mapped linearly between ``sem_low`` and
``sem_high``. Reciprocal rank fusion is kept as an option for the evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

DOC_FIELDS = ("title", "names", "body", "cities", "countries", "orgs")
PHRASE_FIELDS = ("title", "body")


@dataclass(frozen=True)
class Ranking:
    """The knobs of the ranking (defaults: the tuned ones)."""

    name: str = "fused"
    lexical: bool = True
    semantic: bool = True
    fusion: str = "weighted"  # or "rrf"
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "title": 3.0,
            "names": 2.0,
            "body": 1.0,
            "themes": 1.0,
            "cities": 1.0,
            "countries": 1.0,
            "orgs": 0.5,
        }
    )
    phrase: float = 1.0  # weight of phrase BM25 (title, body, themes)
    exact: float = 30.0  # the whole query is one of the document's names
    broader_themes: float = 0.0  # a broader theme of a document's theme counts this much
    translate: float = 0.5  # English label of the theme a foreign word names, in title/body
    coord: float = 2.0  # (query words found / query words) ** coord
    alpha: float = 0.8  # lexical share of the weighted sum
    lex_half: float = 10.0  # the lexical score that maps to 0.5
    sem_low: float = 0.25  # cosine that maps to 0
    sem_high: float = 0.75  # cosine that maps to 1
    sem_floor: float = 0.45  # a document found by meaning alone needs this cosine
    sem_k: int = 50  # and to be among this many nearest
    rrf_k: int = 60
    min_share: float = 0.1  # results scoring under this share of the best one are dropped

    def but(self, **changes: Any) -> Ranking:  # field values, of the fields' several types
        return replace(self, **changes)


DEFAULT = Ranking()
BM25_ONLY = Ranking(name="bm25", semantic=False)
SEMANTIC_ONLY = Ranking(name="semantic", lexical=False, sem_floor=-1.0, sem_k=100)


def lexical_share(lex: float, ranking: Ranking) -> float:
    """The lexical score in 0..1 (0.5 at ``lex_half``)."""
    return lex / (lex + ranking.lex_half) if lex > 0 else 0.0


def semantic_share(cosine: float, ranking: Ranking) -> float:
    """The cosine in 0..1 between ``sem_low`` and ``sem_high``."""
    span = ranking.sem_high - ranking.sem_low
    return min(1.0, max(0.0, (cosine - ranking.sem_low) / span))


def fuse(
    lexical: dict[str, float], semantic: dict[str, float], ranking: Ranking
) -> dict[str, float]:
    """One score per candidate (``lexical``: raw weighted BM25; ``semantic``: cosines)."""
    candidates = set(lexical) | set(semantic)
    if ranking.fusion == "rrf":
        return _rrf(lexical, semantic, candidates, ranking)
    a = ranking.alpha if ranking.lexical and ranking.semantic else float(ranking.lexical)
    out = {}
    for d in candidates:
        lex = lexical_share(lexical.get(d, 0.0), ranking)
        if d in semantic:
            out[d] = a * lex + (1 - a) * semantic_share(semantic[d], ranking)
        else:  # no sentences (a city, a country): its words are all there is
            out[d] = lex if ranking.lexical else 0.0
    return out


def _rrf(
    lexical: dict[str, float], semantic: dict[str, float], candidates: set[str], ranking: Ranking
) -> dict[str, float]:
    out = dict.fromkeys(candidates, 0.0)
    for scores in (lexical, semantic):
        ordered = sorted(scores, key=lambda d: -scores[d])
        for rank, d in enumerate(ordered, 1):
            out[d] += 1.0 / (ranking.rrf_k + rank)
    return out
