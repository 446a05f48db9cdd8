"""The factor formulas of the ranking, each in one place: the pre-ranking of a large store
(``shortlist``) estimates a candidate with the same functions that score it in full
(``scoring``), from fewer facts. Pure functions of the weights and plain values; which facts
go in is the callers' business. ``docs/matching.md`` explains each weight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, TypeVar

import numpy as np

from cckg.core.matching.model import CountryInfo, QueryTheme, Weights

RELATIONS = ("exact", "narrower", "broader", "related")
# Kinds that stand on their own on a theme; an institution or city does so through an offer
# or an event of its own (the ways it stands behind a holder, Candidate.via "how").
OWN_KINDS = ("solution", "practitioner", "need")
OWN_WAYS = frozenset({"offer", "event"})

Tier = Literal["country", "region"] | None
# Pure arithmetic factors take floats, or numpy arrays of them (the pre-ranking's estimates).
N = TypeVar("N", float, np.ndarray)


# ---------------------------------------------------------------- theme fit


def relation_weight(w: Weights, rel: str) -> float:
    """The weight of a relation between a candidate's theme and the need's (0 if unknown)."""
    return getattr(w, rel) if rel in RELATIONS else 0.0


def relation_value(w: Weights, rel: str, theme: str, top_concepts: frozenset[str]) -> float:
    """What a candidate theme in relation ``rel`` to a need theme adds to the fit."""
    value = relation_weight(w, rel)
    if rel == "broader" and theme in top_concepts:
        value *= w.top_concept  # "Integrated urban development" says little
    return value


def concept_fit(best: Mapping[str, float], query_themes: Mapping[str, QueryTheme]) -> float:
    """Weighted share of the need's themes fitted: ``best`` holds the best relation value per
    need theme, averaged by the need themes' weights."""
    total = sum(qt.weight for qt in query_themes.values())
    if not total:
        return 0.0
    return sum(query_themes[q].weight * v for q, v in best.items()) / total


def words_share(found: int, n_terms: int) -> float:
    """Share of the need's words found in a text; four words found count as all."""
    return min(1.0, found / max(1, min(n_terms, 4))) if n_terms else 0.0


def theme_fit(w: Weights, concept: N, words: N, has_themes: bool, has_words: bool) -> N:
    """The theme factor: concepts and the need's own words, or whichever of them the need has
    (only themes: a theme or a stored need, no words)."""
    if has_themes and has_words:
        return (1 - w.words) * concept + w.words * words
    return concept if has_themes else words


def semantic_fit(w: Weights, cosine: float) -> float:
    """A cosine between the need and a candidate's closest sentence, as a fit in [0, 1]."""
    span = w.semantic_full - w.semantic_floor
    return min(1.0, max(0.0, (cosine - w.semantic_floor) / span)) if span > 0 else 0.0


def semantic_fit_array(w: Weights, cosine: np.ndarray) -> np.ndarray:
    """``semantic_fit`` of an array of cosines (NaN, no sentence: 0)."""
    span = w.semantic_full - w.semantic_floor
    if span <= 0:
        return np.zeros(len(cosine))
    return np.nan_to_num(np.clip((cosine - w.semantic_floor) / span, 0.0, 1.0), nan=0.0)


def relevance(w: Weights, theme: N, semantic: N, given: bool = False, meaning: bool = True) -> N:
    """The fit that scores (and gates proof, context and reach): the theme fit and the
    semantic fit, in the shares ``w.semantic`` says (``w.semantic_given`` when the need's
    themes come with it instead of from its words). Without ``meaning`` (no text was encoded:
    a theme or an offer alone) the theme fit is the whole fit, rather than a share of it."""
    if not meaning:
        return theme
    share = min(w.semantic, w.semantic_given) if given else w.semantic
    if share <= 0:
        return theme
    return (1 - share) * theme + share * semantic


# ---------------------------------------------------------------- proof


def outcome_level(measured: object, documented: object) -> float:
    """Outcomes with figures 1, documented 0.5, none 0."""
    return 1.0 if measured else 0.5 if documented else 0.0


def event_evidence(w: Weights, n_events: int) -> float:
    """Evidence from events: one event half, two or more in full."""
    return w.evidence * min(1.0, n_events / 2)


def solution_proof(w: Weights, rank: int, outcomes: float, events: int, uncertain: bool) -> float:
    """A solution's proof: status rank (idea 1 .. scaled 4), ``outcome_level``, the events it
    was presented at; an uncertain record damped."""
    status = max(0, rank - 1) / 3
    proof = w.status * status + w.outcomes * outcomes + event_evidence(w, events)
    return proof * (w.uncertain if uncertain else 1.0)


# ---------------------------------------------------------------- context


def size_similarity(a: int | None, b: int | None) -> float:
    """1 within a factor of 3, 0.4 within a factor of 10, else 0 (and 0 when unknown)."""
    if not a or not b:
        return 0.0
    ratio = min(a, b) / max(a, b)
    return 1.0 if ratio >= 1 / 3 else 0.4 if ratio >= 0.1 else 0.0


def size_similarity_array(a: Sequence[int], b: int | None) -> np.ndarray:
    """``size_similarity`` of many sizes (0: unknown) with one."""
    sizes = np.asarray(a, dtype=float)
    if not b:
        return np.zeros(len(sizes))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.minimum(sizes, b) / np.maximum(sizes, b)
    value = np.where(ratio >= 1 / 3, 1.0, np.where(ratio >= 0.1, 0.4, 0.0))
    return np.where(sizes > 0, value, 0.0)


def country_tier(
    country: str | None,
    ask_country: str | None,
    info: CountryInfo | None,
    ask_info: CountryInfo | None,
) -> Tier:
    """Whether a candidate's country is the asking side's, or in its region."""
    if not (ask_country and country):
        return None
    if country == ask_country:
        return "country"
    if info and ask_info and info.region and info.region == ask_info.region:
        return "region"
    return None


def shared_languages(
    country: str | None,
    ask_country: str | None,
    info: CountryInfo | None,
    ask_info: CountryInfo | None,
) -> set[str]:
    """Official languages of another country that the asking side's country speaks too."""
    if ask_info and info and country != ask_country:
        return info.languages & ask_info.languages
    return set()


def place_context(w: Weights, tier: Tier, size: N, shared_language: bool) -> N:
    """The context factor: same country or region, similar size (``size_similarity``), a
    shared official language."""
    base = 0.0
    if tier == "country":
        # The same country shares its languages too: it must not rank below a country of
        # the region that shares one (same_region + shared_language > same_country).
        base += w.same_country + w.shared_language
    elif tier == "region":
        base += w.same_region
    value = base + w.similar_size * size
    if shared_language and tier != "country":
        value = value + w.shared_language
    return value


def max_context(w: Weights) -> float:
    """The most ``place_context`` can give (for upper bounds)."""
    return max(w.same_country, w.same_region) + w.shared_language + w.similar_size


# ---------------------------------------------------------------- reach


def reach_score(w: Weights, kind: str, offered: bool, speaks: bool) -> float:
    """The reach factor: someone offers the know-how (a practitioner can be asked without an
    offer: half); they speak a language of the asking side, which counts for an offer, an
    institution or a practitioner."""
    value = 0.0
    if offered:
        value += w.offered
    elif kind == "practitioner":
        value += w.offered / 2  # an expert, though without a published offer
    if speaks and speaking_counts(kind, offered):
        value += w.speaks
    return value


def speaking_counts(kind: str, offered: bool) -> bool:
    """Whether speaking a language of the asking side adds reach: for someone who offers
    the know-how, an institution or a practitioner (a city or solution without an offer
    has nobody to speak to)."""
    return offered or kind in ("practitioner", "institution")


# ---------------------------------------------------------------- combined


def stands_on_its_own(kind: str, ways: Iterable[str]) -> bool:
    """Whether a candidate stands on its own on the theme, else it is derived (known only
    through a solution: a city, an implementing partner) and damped by ``derived``.
    ``ways``: how it stands behind its holders (``Candidate.via`` "how")."""
    return kind in OWN_KINDS or not OWN_WAYS.isdisjoint(ways)


def strength(w: Weights, proof: N, context: N | float, reach: N | float) -> N:
    """What a candidate scores at full theme fit; the relevance gate scales it by the fit."""
    return w.theme + w.proof * proof + w.context * context + w.reach * reach


def estimate(w: Weights, fit: float, proof: float, context: float, reach: float) -> float:
    """The pre-ranking's estimate of a score, the relevance gate applied. Rounded: the order
    of a sum must not break ties."""
    return round(fit * strength(w, proof, context, reach), 9)


def weighted(
    w: Weights, theme: float, proof: float, context: float, reach: float, own: bool
) -> dict[str, float]:
    """Each factor's contribution to the score (they sum to it)."""
    # Proof, context and reach count in proportion to the theme fit: a well-proven
    # solution on a side theme must not outrank the one that does what was asked.
    gate = theme if w.relevance_gate else 1.0
    factors = {
        "theme": round(w.theme * theme, 4),
        "proof": round(w.proof * proof * gate, 4),
        "context": round(w.context * context * gate, 4),
        "reach": round(w.reach * reach * gate, 4),
    }
    if not own:
        # Known only through a solution (a city, an implementing partner): it ranks just
        # below that solution instead of tying with it.
        factors = {k: round(v * w.derived, 4) for k, v in factors.items()}
    return factors


def words_only_bound(w: Weights) -> float:
    """The most a solution that carries none of the need's themes can score (relevance gate
    on): all the need's words, the closest sentence, full proof, context and reach."""
    return words_bound(w, 1.0, 1.0, True, False, True)


def words_bound(
    w: Weights, words: float, semantic: float, has_themes: bool, given: bool, meaning: bool
) -> float:
    """The most a solution that carries none of the need's themes scores (relevance gate on)
    with a share ``words`` of the need's words and a semantic fit ``semantic``: full proof,
    context and reach."""
    fit = relevance(w, theme_fit(w, 0.0, words, has_themes, True), semantic, given, meaning)
    return fit * strength(w, 1.0, 1.0, 1.0)
