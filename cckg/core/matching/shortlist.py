"""Which theme holders a match reads in full and scores: all of them on a small store; on a
large one, where a popular theme has thousands, the best few by a pre-ranking on the facts
kept per store version (``docs/matching.md``, "Large stores"). The pre-ranking estimates
each holder, and each institution, city and practitioner behind the holders, with the
formulas that score them (``factors``), from fewer facts.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from cckg.core.matching.cached_reads import (
    AGENT_ROLES,
    read_agent_holders,
    read_agent_places,
    read_theme_holders,
    words_in,
)
from cckg.core.matching.factors import (
    concept_fit,
    country_tier,
    estimate,
    event_evidence,
    max_context,
    outcome_level,
    place_context,
    reach_score,
    relation_value,
    relevance,
    semantic_fit,
    shared_languages,
    size_similarity,
    solution_proof,
    stands_on_its_own,
    strength,
    theme_fit,
    words_share,
)
from cckg.core.matching.model import Context, Job, Place, StoreCache, Weights

# Up to EXHAUSTIVE_UP_TO (holder, theme) pairs every theme holder is scored in full. Above
# that, a pre-ranking keeps max(a x limit, b) solutions (or needs), SHORTLIST_SIZE = (a, b),
# and max(a x limit, b) institutions, cities and practitioners, AGENTS_SIZE = (a, b), shared
# among the kinds asked for, for the full facts and scoring; once the strong themes (exact,
# narrower) hold SHORTLIST_FROM pairs, the others are left out.
EXHAUSTIVE_UP_TO = 400
SHORTLIST_FROM = 500
SHORTLIST_SIZE = (2, 20)
AGENTS_SIZE = (3, 30)
AGENT_KINDS = ("institution", "city", "practitioner")
# The holder classes each result kind comes from.
HOLDER_KINDS = {
    "solution": ("Solution",),
    "institution": ("Solution", "Offer", "Event"),
    "city": ("Solution",),
    "practitioner": ("Practitioner", "Offer"),
    "need": ("Need",),
}
# How an agent stands behind a holder of a class (as Candidate.via "how" says it).
WAYS = {"Solution": "solution", "Offer": "offer", "Event": "event"}

Fits = dict[str, float]  # need theme -> the best relation value (factors.relation_value)
K = TypeVar("K")  # a holder's IRI or an agent's (kind, IRI)
ContextOf = Callable[[tuple[str, ...], int | None], float]
Estimate = Callable[[Mapping[str, float], float, float], float]


def select_holders(
    ctx: Context,
    job: Job,
    expanded: Mapping[str, set[tuple[str, str]]],
    kinds: Sequence[str],
    limit: int,
) -> tuple[dict[str, set[str]], set[tuple[str, str]] | None, bool]:
    """The theme holders to score in full (thing -> its classes), the (kind, IRI) of the
    institutions, cities and practitioners to rank (None: all behind the holders), and
    whether these are all the holders.

    Up to ``EXHAUSTIVE_UP_TO`` (holder, theme) pairs every holder is scored, as it always
    was. A large store has thousands (a popular theme at 10^6 triples), and reading the
    full facts of each costs about a millisecond: there a pre-ranking on a few facts kept
    per store version keeps the best few of each kind (``_shortlist``). When the strong
    themes (exact and narrower) hold ``SHORTLIST_FROM`` pairs or more, only those count.
    """
    if not expanded:
        return {}, None, True
    cache, store = job.cache, ctx.store
    values = theme_values(ctx, expanded, job.query_themes)
    threshold = strong(ctx.weights)
    strong_themes = {t for t, fits in values.items() if max(fits.values(), default=0) >= threshold}
    read_theme_holders(store, strong_themes, cache)
    use = strong_themes
    if sum(len(cache.postings[t]) for t in strong_themes) < SHORTLIST_FROM:
        use = set(values)
        read_theme_holders(store, use, cache)
        if sum(len(cache.postings[t]) for t in use) <= EXHAUSTIVE_UP_TO:
            holders: dict[str, set[str]] = {}
            for t in use:
                for x in cache.postings[t]:
                    holders.setdefault(x, set()).add(cache.holders[x].kind)
            return holders, None, True
    return (*_shortlist(ctx, job, use, values, expanded, kinds, limit), False)


def strong(w: Weights) -> float:
    """Relations from 'narrower' up make the strong tier of themes."""
    return min(w.exact, w.narrower)


def shortlist_size(kind: str, kinds: Sequence[str], limit: int) -> int:
    """How many of a kind the pre-ranking keeps (SHORTLIST_SIZE, AGENTS_SIZE)."""
    if kind not in AGENT_KINDS:
        return max(SHORTLIST_SIZE[0] * limit, SHORTLIST_SIZE[1])
    shared = max(1, sum(k in kinds for k in AGENT_KINDS))
    return max(AGENTS_SIZE[0] * limit, AGENTS_SIZE[1]) // shared


def theme_values(
    ctx: Context, expanded: Mapping[str, set[tuple[str, str]]], query_themes: Mapping[str, object]
) -> dict[str, Fits]:
    """theme -> need theme -> the best relation value of the theme to it."""
    w, top = ctx.weights, ctx.vocabulary.top_concepts
    out: dict[str, Fits] = {}
    for theme, links in expanded.items():
        best: Fits = {}
        for q, rel in links:
            value = relation_value(w, rel, theme, top)
            if q in query_themes and value > best.get(q, -1.0):
                best[q] = value
        out[theme] = best
    return out


def _shortlist(
    ctx: Context,
    job: Job,
    themes: set[str],
    values: Mapping[str, Fits],
    expanded: Mapping[str, set[tuple[str, str]]],
    kinds: Sequence[str],
    limit: int,
) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """The theme holders to score in full: the solutions (and needs) most likely to rank,
    by the facts kept for the holders of ``themes``, and everything behind the
    institutions, cities and practitioners most likely to rank, which are returned too
    (``SHORTLIST_SIZE``, ``AGENTS_SIZE``). The estimates follow ``scoring.score``: theme fit
    and the need's words, proof, context, reach; an agent is weighed by all its holders."""
    w, cache, query_themes, n_terms = ctx.weights, job.cache, job.query_themes, len(job.terms)
    holders = cache.holders
    wanted = {k for kind in kinds for k in HOLDER_KINDS.get(kind, ())}
    best = _holder_fits(themes, values, cache, wanted)
    share = _words_shares(ctx, best, job.terms, cache)
    close = semantic_fits(w, job, best, cache)

    # Holders of one theme share its fits (``_holder_fits``), and agents their first
    # holder's: the concept fit is computed once per fits object (all live until the end).
    concepts: dict[int, float] = {}

    def theme(fits: Mapping[str, float], found: float, semantic: float) -> float:
        concept = concepts.get(id(fits))
        if concept is None:
            concept = concepts[id(fits)] = min(1.0, concept_fit(fits, query_themes))
        fit = theme_fit(w, concept, found, True, bool(n_terms))
        return relevance(w, fit, semantic, job.themes_given, job.scores is not None)

    context = context_of(ctx, job.place)
    out: dict[str, set[str]] = {}
    for kind in ("Solution", "Need"):
        ranked = []
        for x, fits in best.items():
            h = holders[x]
            if h.kind == kind:
                reach = reach_score(w, kind.lower(), h.offered and kind == "Solution", False)
                where = context(h.countries, h.population)
                fit = theme(fits, share.get(x, 0.0), close.get(x, 0.0))
                ranked.append((-estimate(w, fit, proof_of(w, x, cache), where, reach), x))
        for _, x in heapq.nsmallest(shortlist_size(kind, kinds, limit), ranked):
            out[x] = {kind}
    chosen = _best_agents(ctx, job, best, share, close, theme, context, kinds, limit)
    # A shortlisted agent is scored with everything it stands behind on the need's
    # themes (the weaker ones too), as the full retrieval scores it.
    behind = read_agent_holders(ctx.store, [iri for _, iri in chosen], cache)
    for kind, iri in chosen:
        if kind == "practitioner":
            out.setdefault(iri, set()).add("Practitioner")
        for x, role, cls, theme_iri in behind.get(iri, ()):
            if theme_iri in expanded and role in AGENT_ROLES.get(cls, ()):
                out.setdefault(x, set()).add(cls)
    return out, set(chosen)


def _holder_fits(
    themes: Iterable[str], values: Mapping[str, Fits], cache: StoreCache, wanted: set[str]
) -> dict[str, Fits]:
    """holder -> need theme -> the best value its themes give it (of ``theme_values``).
    A holder of one theme has that theme's fits, the same object (not to be changed); one
    of several themes its own."""
    holders = cache.holders
    best: dict[str, Fits] = {}
    copied: set[str] = set()
    for t in themes:
        of_theme = values[t]
        for x in cache.postings[t]:
            h = holders[x]
            if h.kind not in wanted or (h.kind == "Event" and not h.organised):
                continue  # an event without an organiser proposes nobody
            if x in best:
                _raise_fits(best, x, of_theme, copied)
            else:
                best[x] = of_theme
    return best


def _raise_fits(table: dict[K, Fits], key: K, fits: Fits, copied: set[K]) -> None:
    """Raise ``table[key]`` to the best of it and ``fits``. Fits objects are shared (a
    theme's by its holders, a holder's by its agents), so one is copied before its first
    change, and ``copied`` records the keys that have their own."""
    merged = table[key]
    for q, value in fits.items():
        if value > merged.get(q, 0.0):
            if key not in copied:
                merged = table[key] = dict(merged)
                copied.add(key)
            merged[q] = value


def semantic_fits(
    w: Weights, job: Job, best: Mapping[str, Fits], cache: StoreCache
) -> dict[str, float]:
    """The semantic fit (``factors.semantic_fit``) of each holder, as scoring gives it: the
    closest sentence of the holder, or of an offer's solutions."""
    if job.scores is None or job.index is None or w.semantic <= 0:
        return {}
    holders = cache.holders
    based = {s for x in best if holders[x].kind == "Offer" for s in holders[x].based_on}
    similarity = job.index.similarities(job.scores, [*best, *based])

    def fit(x: str) -> float:
        cosine = similarity.get(x)
        return semantic_fit(w, cosine) if cosine is not None else 0.0

    out = {}
    for x in best:
        value = fit(x)
        if holders[x].kind == "Offer":
            value = max([value, *(fit(s) for s in holders[x].based_on)])
        out[x] = value
    return out


def _words_shares(
    ctx: Context, best: Mapping[str, Fits], terms: Mapping[str, str], cache: StoreCache
) -> dict[str, float]:
    """The share of the need's words found (``factors.words_share``) in the solutions among
    the holders, and for an offer in the solutions it is based on."""
    if not terms:
        return {}
    holders, share = cache.holders, {}
    offers = [x for x in best if holders[x].kind == "Offer"]
    solutions = [x for x in best if holders[x].kind == "Solution"]
    solutions += [s for x in offers for s in holders[x].based_on]
    for x, found in words_in(ctx.store, solutions, terms, cache).items():
        share[x] = words_share(len(found), len(terms))
    for x in offers:
        share[x] = max((share.get(s, 0.0) for s in holders[x].based_on), default=0.0)
    return share


class _AgentFacts:
    """The best of each agent's holders: its theme fits (their union), words, proof, offers,
    own holders (offers, events). One dict per fact rather than a record per agent:
    thousands of records outlive the young collections and are then walked by every full
    collection of the garbage collector."""

    def __init__(self) -> None:
        self.fits: dict[tuple[str, str], dict[str, float]] = {}
        self.found: dict[tuple[str, str], float] = {}
        self.semantic: dict[tuple[str, str], float] = {}
        self.proof: dict[tuple[str, str], float] = {}
        self.offered: set[tuple[str, str]] = set()
        self.own: set[tuple[str, str]] = set()


def _agent_facts(
    w: Weights,
    best: Mapping[str, Fits],
    share: Mapping[str, float],
    close: Mapping[str, float],
    cache: StoreCache,
    kinds: Sequence[str],
) -> _AgentFacts:
    """Merge the holders' estimates into the agents behind them."""
    holders, out = cache.holders, _AgentFacts()
    wanted, practitioners = set(kinds), "practitioner" in kinds
    copied: set[tuple[str, str]] = set()  # agents whose fits are their own dict
    for x, fits in best.items():
        h = holders[x]
        found, proof = share.get(x, 0.0), proof_of(w, x, cache)
        semantic = close.get(x, 0.0)
        ways = (WAYS.get(h.kind, ""),)
        offered = h.kind == "Offer" or (h.kind == "Practitioner" and h.offered)
        agents = h.agents
        if practitioners and h.kind == "Practitioner":
            agents = (*agents, ("practitioner", x))
        for agent in agents:
            if agent[0] not in wanted:
                continue
            if agent not in out.fits:
                out.fits[agent] = fits  # its first holder's, copied once another adds to it
                out.found[agent], out.proof[agent] = found, proof
                out.semantic[agent] = semantic
            else:
                _raise_fits(out.fits, agent, fits, copied)
                out.found[agent] = max(found, out.found[agent])
                out.proof[agent] = max(proof, out.proof[agent])
                out.semantic[agent] = max(semantic, out.semantic[agent])
            # A city's know-how is on offer when a solution of it is offered.
            if (h.offered and h.kind == "Solution") if agent[0] == "city" else offered:
                out.offered.add(agent)
            if stands_on_its_own(agent[0], ways):
                out.own.add(agent)
    return out


def _best_agents(
    ctx: Context,
    job: Job,
    best: Mapping[str, Fits],
    share: Mapping[str, float],
    close: Mapping[str, float],
    theme: Estimate,
    context: ContextOf,
    kinds: Sequence[str],
    limit: int,
) -> list[tuple[str, str]]:
    """The (kind, IRI) of the institutions, cities and practitioners behind the holders
    with the best estimates (``AGENTS_SIZE``): the union of their holders' theme fits, their
    holders' most words and best proof, their own place, reach; derived as
    ``scoring.score`` derives them."""
    w, cache, langs = ctx.weights, job.cache, set(job.langs)
    facts = _agent_facts(w, best, share, close, cache, kinds)
    # Estimates in the order of an upper bound (any context, full reach), so that only
    # the agents that can still enter the best of their kind are placed (hot loop).
    top = max_context(w)
    agents = list(facts.fits)
    fit_of, bounds = [], []  # by position in agents
    for agent in agents:
        fit = theme(facts.fits[agent], facts.found[agent], facts.semantic[agent])
        if agent not in facts.own:
            fit *= w.derived
        fit_of.append(fit)
        bounds.append(fit * strength(w, facts.proof[agent], top, 1.0))
    sizes = {kind: shortlist_size(kind, kinds, limit) for kind in AGENT_KINDS}
    placed: dict[str, list[tuple[float, tuple[str, str]]]] = defaultdict(list)
    floors: dict[str, list[float]] = defaultdict(list)  # the best estimates, worst first
    order = sorted(range(len(agents)), key=bounds.__getitem__, reverse=True)

    def may_enter(i: int) -> bool:
        floor = floors[agents[i][0]]
        return len(floor) < sizes[agents[i][0]] or bounds[i] >= floor[0]

    # In batches, best bound first: where an agent is is read only for those it may
    # still matter for (and kept); once a whole batch cannot enter, nothing later can.
    for start in range(0, len(order), 200):
        batch = [i for i in order[start : start + 200] if may_enter(i)]
        if not batch:
            break
        located = [agents[i][1] for i in batch if agents[i][0] != "practitioner"]
        read_agent_places(ctx.store, located, cache)
        for i in batch:
            if not may_enter(i):
                continue
            agent, kind = agents[i], agents[i][0]
            where = _place_of(agent, cache)
            reach = _agent_reach(ctx, langs, kind, where[0], agent in facts.offered)
            value = estimate(w, fit_of[i], facts.proof[agent], context(*where), reach)
            placed[kind].append((-value, agent))
            floor = floors[kind]
            if len(floor) < sizes[kind]:
                heapq.heappush(floor, value)
            elif value > floor[0]:
                heapq.heapreplace(floor, value)
    return [agent for k, ranked in placed.items() for _, agent in heapq.nsmallest(sizes[k], ranked)]


def _place_of(agent: tuple[str, str], cache: StoreCache) -> tuple[tuple[str, ...], int | None]:
    """An agent's countries and city size; a practitioner's are its own holder's."""
    where = cache.places.get(agent[1])
    if agent[0] == "practitioner" or where is None:
        h = cache.holders.get(agent[1])
        where = (h.countries, h.population) if h else ((), None)
    return where


def _agent_reach(
    ctx: Context, langs: set[str], kind: str, countries: Iterable[str], offered: bool
) -> float:
    """Reach as ``scoring`` weighs it. Whether an institution or practitioner speaks a
    language of the asking side is not known yet: assumed when there are any."""
    if kind == "city":
        table = ctx.country_table
        spoken = {c for co in countries if co in table for c in table[co].languages}
        return reach_score(ctx.weights, "city", offered, bool(spoken & langs))
    return reach_score(ctx.weights, kind, offered, bool(langs))


def proof_of(w: Weights, x: str, cache: StoreCache) -> float:
    """The proof a holder brings by its kept facts: a solution's own (outcomes counted as
    measured), an offer's from the solutions it is based on, an event's one event of
    evidence."""
    proof = cache.proofs.get(x)
    if proof is None:
        h = cache.holders.get(x) or cache.based_on.get(x)
        proof = 0.0
        if h is None:
            pass
        elif h.kind == "Solution":
            outcomes = outcome_level(measured=h.outcomes, documented=h.outcomes)
            proof = solution_proof(w, h.rank, outcomes, h.events, h.uncertain)
        elif h.kind == "Offer":
            proof = max((proof_of(w, s, cache) for s in h.based_on), default=0.0)
        elif h.kind == "Event":
            proof = event_evidence(w, 1)
        cache.proofs[x] = proof
    return proof


def context_of(ctx: Context, place: Place) -> ContextOf:
    """The context ``scoring.score`` gives a thing in some countries (the best of them) with
    a city of some size, for the asking side (``factors.place_context``)."""
    w, table = ctx.weights, ctx.country_table
    ask = table.get(place.country or "")
    known: dict[tuple[tuple[str, ...], int | None], float] = {}

    def of_country(country: str, size: float) -> float:
        info = table.get(country)
        tier = country_tier(country, place.country, info, ask)
        shared = shared_languages(country, place.country, info, ask)
        return place_context(w, tier, size, bool(shared))

    def context(countries: tuple[str, ...], population: int | None) -> float:
        value = known.get((countries, population))
        if value is None:
            size = size_similarity(population, place.population)
            value = max(
                (of_country(c, size) for c in countries),
                default=place_context(w, None, size, False),
            )
            known[(countries, population)] = value
        return value

    return context
