"""Which theme holders a match reads in full and scores: all of them on a small store; on a
large one, where a popular theme has thousands, the best few by a pre-ranking on the facts
kept per store version (``docs/matching.md``, "Large stores"). The pre-ranking estimates
each holder, and each institution, city and practitioner behind the holders, with the
formulas that score them (``factors``), from fewer facts.
"""

from __future__ import annotations

import heapq
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TypeVar

import numpy as np

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
    semantic_fit_array,
    shared_languages,
    size_similarity,
    size_similarity_array,
    solution_proof,
    stands_on_its_own,
    strength,
    theme_fit,
    words_share,
)
from cckg.core.matching.model import (
    Context,
    Holder,
    Job,
    Place,
    QueryTheme,
    StoreCache,
    Weights,
)

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
HOLDER_CLASSES = ("Solution", "Offer", "Event", "Practitioner", "Need")
HOLDER_CODES = {kind: n for n, kind in enumerate(HOLDER_CLASSES)}  # in numpy arrays
# How an agent stands behind a holder of a class (as Candidate.via "how" says it).
WAYS = {"Solution": "solution", "Offer": "offer", "Event": "event"}

Fits = dict[str, float]  # need theme -> the best relation value (factors.relation_value)
K = TypeVar("K")  # a holder's IRI or an agent's (kind, IRI)
ContextOf = Callable[[tuple[str, ...], int | None], float]


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
    and the need's words, proof, context, reach; an agent is weighed by all its holders.

    At 10^6 triples a need's themes have thousands of holders and agents: the facts are
    gathered per holder in Python, the formulas (``factors``, pure arithmetic) run on
    numpy arrays of them."""
    w, cache = ctx.weights, job.cache
    holders = cache.holders
    wanted = {k for kind in kinds for k in HOLDER_KINDS.get(kind, ())}
    best = _holder_fits(themes, values, cache, wanted)
    xs = list(best)
    share = _words_shares(ctx, best, job.terms, cache)
    of = [holders[x] for x in xs]
    facts = _HolderFacts(
        xs=xs,
        fits=list(best.values()),
        found=np.fromiter((share.get(x, 0.0) for x in xs), float, len(xs)),
        semantic=semantic_fits(w, job, xs, cache),
        proof=np.fromiter((proof_of(w, x, cache) for x in xs), float, len(xs)),
        kind=np.fromiter((HOLDER_CODES[h.kind] for h in of), np.int64, len(xs)),
        offered=np.fromiter((h.offered for h in of), bool, len(xs)),
    )
    facts.concept, facts.which_fits = _concepts(facts.fits, job.query_themes)
    fit = _relevance(w, job, facts.concept, facts.found, facts.semantic)
    context = context_of(ctx, job.place)
    out: dict[str, set[str]] = {}
    for kind in ("Solution", "Need"):
        at = np.flatnonzero(facts.kind == HOLDER_CODES[kind])
        if not len(at):
            continue
        offered = facts.offered[at] if kind == "Solution" else np.zeros(len(at), dtype=bool)
        reach = np.where(
            offered,
            reach_score(w, kind.lower(), True, False),
            reach_score(w, kind.lower(), False, False),
        )
        where = contexts_of(ctx, job.place, [of[i] for i in at.tolist()])
        value = fit[at] * strength(w, facts.proof[at], where, reach)
        keys = [xs[i] for i in at.tolist()]
        for x in _best_of(keys, value, shortlist_size(kind, kinds, limit)):
            out[x] = {kind}
    chosen = _best_agents(ctx, job, facts, context, kinds, limit)
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


@dataclass
class _HolderFacts:
    """The pre-ranking's facts of the holders, by position in ``xs``: their theme fits
    (``_holder_fits``), the share of the need's words, semantic fit and proof."""

    xs: list[str]
    fits: list[Fits]
    found: np.ndarray
    semantic: np.ndarray
    proof: np.ndarray
    kind: np.ndarray  # HOLDER_CODES
    offered: np.ndarray
    concept: np.ndarray = field(default_factory=lambda: np.zeros(0))  # of ``_concepts``
    which_fits: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _concepts(
    fits: Sequence[Fits], query_themes: Mapping[str, QueryTheme]
) -> tuple[np.ndarray, np.ndarray]:
    """The concept fit (``factors.concept_fit``, at most 1) of each fits object, and which
    distinct object each is: holders of one theme share its fits (``_holder_fits``), so
    each object is computed once."""
    seen: dict[int, int] = {}  # id -> number; the objects live until the match ends
    distinct: list[Fits] = []

    def number(f: Fits) -> int:
        n = seen.get(id(f))
        if n is None:
            n = seen[id(f)] = len(distinct)
            distinct.append(f)
        return n

    which = np.fromiter((number(f) for f in fits), np.int64, len(fits))
    values = [min(1.0, concept_fit(f, query_themes)) for f in distinct]
    return np.asarray(values, dtype=float)[which], which


def _relevance(
    w: Weights, job: Job, concept: np.ndarray, found: np.ndarray, semantic: np.ndarray
) -> np.ndarray:
    """The fit that scores, as ``scoring`` derives it (``factors.theme_fit``,
    ``factors.relevance``), for arrays of concept fits, shares of words, semantic fits."""
    fit = theme_fit(w, concept, found, True, bool(job.terms))
    return relevance(w, fit, semantic, job.themes_given, job.scores is not None)


def _best_of(keys: Sequence[K], value: np.ndarray, size: int) -> list[K]:
    """The ``size`` keys of the best estimates (``factors.estimate``: rounded, ties by
    key), as ``heapq.nsmallest`` of (-estimate, key) gives them, without sorting all."""
    if len(keys) > size:  # only those that round to the size-th best value or above
        floor = np.partition(value, len(keys) - size)[len(keys) - size]
        at = np.flatnonzero(value >= floor - 1e-9).tolist()
    else:
        at = list(range(len(keys)))
    ranked = [(-round(float(value[i]), 9), keys[i]) for i in at]
    return [key for _, key in heapq.nsmallest(size, ranked)]


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


def semantic_fits(w: Weights, job: Job, xs: Sequence[str], cache: StoreCache) -> np.ndarray:
    """The semantic fit (``factors.semantic_fit``) of each holder, as scoring gives it: the
    closest sentence of the holder, or of an offer's solutions."""
    if job.scores is None or job.index is None or w.semantic <= 0:
        return np.zeros(len(xs))
    holders = cache.holders

    def fit(iris: Sequence[str]) -> np.ndarray:
        return semantic_fit_array(w, job.index.similarity_array(job.scores, iris))

    out = fit(xs)
    offers = [i for i, x in enumerate(xs) if holders[x].kind == "Offer"]
    based = [s for i in offers for s in holders[xs[i]].based_on]
    if based:
        of_based = dict(zip(based, fit(based).tolist(), strict=True))
        for i in offers:
            out[i] = max([out[i], *(of_based[s] for s in holders[xs[i]].based_on)])
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


class AgentNumbers:
    """The agents behind the theme holders of one store version, numbered: each holder's
    agents (and a practitioner itself) as a tuple of numbers, each number's agent and kind.
    A match gathers the edges of thousands of holders from these with numpy, rather than
    looping over every holder's agents."""

    def __init__(self) -> None:
        self.number: dict[tuple[str, str], int] = {}
        self.agents: list[tuple[str, str]] = []
        self.kind_code: dict[str, int] = {}  # agent kind -> code
        self._kinds: list[int] = []  # by number
        self._kinds_array = np.zeros(0, dtype=np.int64)
        self._of: dict[str, tuple[int, ...]] = {}  # holder -> its agents' numbers
        self._lock = threading.Lock()  # numbering is shared by the matching threads

    def edges(self, xs: Sequence[str], holders: Mapping[str, Holder]) -> tuple[np.ndarray, ...]:
        """The (holder position in ``xs``, agent number) of every agent behind ``xs``."""
        of = self._of
        if any(x not in of for x in xs):
            with self._lock:
                for x in xs:
                    if x not in of:
                        of[x] = self._numbers(x, holders[x])
        numbers = [of[x] for x in xs]
        lengths = np.fromiter(map(len, numbers), np.int64, len(xs))
        flat = np.fromiter(chain.from_iterable(numbers), np.int64, int(lengths.sum()))
        return np.repeat(np.arange(len(xs)), lengths), flat

    def _numbers(self, x: str, h: Holder) -> tuple[int, ...]:
        agents = (*h.agents, ("practitioner", x)) if h.kind == "Practitioner" else h.agents
        out = []
        for agent in agents:
            n = self.number.get(agent)
            if n is None:
                n = self.number[agent] = len(self.agents)
                self.agents.append(agent)
                self._kinds.append(self.kind_code.setdefault(agent[0], len(self.kind_code)))
            out.append(n)
        return tuple(out)

    def kinds(self) -> np.ndarray:
        """Each number's kind code."""
        if len(self._kinds_array) != len(self._kinds):
            with self._lock:
                self._kinds_array = np.asarray(self._kinds, dtype=np.int64)
        return self._kinds_array

    def own_table(self) -> np.ndarray:
        """[agent kind code, holder kind code] -> whether the agent stands on its own
        (``factors.stands_on_its_own``) behind a holder of that kind."""
        with self._lock:  # another thread may be adding a kind
            codes = list(self.kind_code.items())
        table = np.zeros((len(codes), len(HOLDER_CODES)), dtype=bool)
        for kind, a in codes:
            for cls, b in HOLDER_CODES.items():
                table[a, b] = stands_on_its_own(kind, (WAYS.get(cls, ""),))
        return table


def agent_numbers(cache: StoreCache) -> AgentNumbers:
    """The store version's agent numbers (kept with its other cached reads)."""
    numbers = cache.agent_numbers
    if numbers is None:
        numbers = cache.agent_numbers = AgentNumbers()
    return numbers


class _AgentFacts:
    """The agents behind the holders (``agents``, in the order they first appear) and the
    best of each one's holders, by position: the union of their theme fits as a concept
    fit, the most words, the closest sentence, the best proof, whether its know-how is on
    offer, whether it stands on its own (``factors.stands_on_its_own``)."""

    def __init__(
        self,
        facts: _HolderFacts,
        query_themes: Mapping[str, QueryTheme],
        cache: StoreCache,
        kinds: Sequence[str],
    ) -> None:
        numbers = agent_numbers(cache)
        holder, number = numbers.edges(facts.xs, cache.holders)
        kind_of = numbers.kinds()[number]
        keep = np.isin(kind_of, [numbers.kind_code[k] for k in kinds if k in numbers.kind_code])
        holder, number, kind_of = holder[keep], number[keep], kind_of[keep]
        # The agents in the order they first appear, then each one's edges together (in
        # the holders' order).
        distinct, first, local = np.unique(number, return_index=True, return_inverse=True)
        appearance = np.argsort(first, kind="stable")
        self.agents = [numbers.agents[n] for n in distinct[appearance].tolist()]
        if not len(holder):
            self.found = self.semantic = self.proof = self.concept = np.zeros(0)
            self.own = self.offered = np.zeros(0, dtype=bool)
            return
        place = np.empty(len(distinct), dtype=np.int64)
        place[appearance] = np.arange(len(distinct))
        local = place[local.reshape(-1)]
        order = np.argsort(local, kind="stable")
        holder, local, kind_of = holder[order], local[order], kind_of[order]
        starts = np.flatnonzero(np.r_[True, local[1:] != local[:-1]])
        kind, offered_by = facts.kind[holder], facts.offered[holder]
        own = numbers.own_table()[kind_of, kind]
        # A city's know-how is on offer when a solution of it is offered; anyone else's
        # through an offer, or as a practitioner who offers.
        city = kind_of == numbers.kind_code.get("city", -1)
        offered = np.where(
            city,
            offered_by & (kind == HOLDER_CODES["Solution"]),
            (kind == HOLDER_CODES["Offer"]) | (offered_by & (kind == HOLDER_CODES["Practitioner"])),
        )
        self.found = np.maximum.reduceat(facts.found[holder], starts)
        self.semantic = np.maximum.reduceat(facts.semantic[holder], starts)
        self.proof = np.maximum.reduceat(facts.proof[holder], starts)
        self.own = np.logical_or.reduceat(own, starts)
        self.offered = np.logical_or.reduceat(offered, starts)
        self.concept = self._concepts(facts, holder, starts, query_themes)

    @staticmethod
    def _concepts(
        facts: _HolderFacts,
        holder: np.ndarray,
        starts: np.ndarray,
        query_themes: Mapping[str, QueryTheme],
    ) -> np.ndarray:
        """The concept fit of the union of each agent's holders' fits (``holder``: the
        edges' holders, each agent's from ``starts`` on). Most agents have one fits object
        (one holder, or holders of one theme): its concept fit."""
        which = facts.which_fits[holder]
        out = facts.concept[holder[starts]]
        several = np.minimum.reduceat(which, starts) != np.maximum.reduceat(which, starts)
        ends = np.r_[starts[1:], len(holder)]
        for n in np.flatnonzero(several).tolist():
            merged: Fits = {}
            for i in holder[starts[n] : ends[n]].tolist():
                for q, value in facts.fits[i].items():
                    if value > merged.get(q, 0.0):
                        merged[q] = value
            out[n] = min(1.0, concept_fit(merged, query_themes))
        return out


def _best_agents(
    ctx: Context,
    job: Job,
    holder_facts: _HolderFacts,
    context: ContextOf,
    kinds: Sequence[str],
    limit: int,
) -> list[tuple[str, str]]:
    """The (kind, IRI) of the institutions, cities and practitioners behind the holders
    with the best estimates (``AGENTS_SIZE``): the union of their holders' theme fits, their
    holders' most words and best proof, their own place, reach; derived as
    ``scoring.score`` derives them."""
    w, cache, langs = ctx.weights, job.cache, set(job.langs)
    facts = _AgentFacts(holder_facts, job.query_themes, cache, kinds)
    agents = facts.agents
    fit = _relevance(w, job, facts.concept, facts.found, facts.semantic)
    fit = np.where(facts.own, fit, fit * w.derived)
    # Estimates in the order of an upper bound (any context, full reach), so that only
    # the agents that can still enter the best of their kind are placed (hot loop).
    bounds = (fit * strength(w, facts.proof, max_context(w), 1.0)).tolist()
    fit_of, proof, offered = fit.tolist(), facts.proof.tolist(), facts.offered.tolist()
    sizes = {kind: shortlist_size(kind, kinds, limit) for kind in AGENT_KINDS}
    placed: dict[str, list[tuple[float, tuple[str, str]]]] = defaultdict(list)
    floors: dict[str, list[float]] = defaultdict(list)  # the best estimates, worst first
    order = np.argsort(-np.asarray(bounds), kind="stable").tolist()  # ties: first seen first

    def may_enter(i: int) -> bool:
        floor = floors[agents[i][0]]
        return len(floor) < sizes[agents[i][0]] or bounds[i] >= floor[0]

    # In batches, best bound first: where an agent is is read only for those it may
    # still matter for (and kept); once a whole batch cannot enter, nothing later can.
    for start in range(0, len(order), 200):
        batch = [i for i in order[start : start + 200] if may_enter(i)]
        if not batch:
            break
        located = [agents[i][1] for i in batch if _needs_place(agents[i], cache)]
        read_agent_places(ctx.store, located, cache)
        for i in batch:
            if not may_enter(i):
                continue
            agent, kind = agents[i], agents[i][0]
            where = _place_of(agent, cache)
            reach = _agent_reach(ctx, langs, kind, where[0], offered[i])
            value = estimate(w, fit_of[i], proof[i], context(*where), reach)
            placed[kind].append((-value, agent))
            floor = floors[kind]
            if len(floor) < sizes[kind]:
                heapq.heappush(floor, value)
            elif value > floor[0]:
                heapq.heapreplace(floor, value)
    return [agent for k, ranked in placed.items() for _, agent in heapq.nsmallest(sizes[k], ranked)]


def _needs_place(agent: tuple[str, str], cache: StoreCache) -> bool:
    """Whether where an agent is must be read: a practitioner's is kept with its holder
    facts when it holds a theme itself, not when it only offers know-how on one."""
    return agent[0] != "practitioner" or agent[1] not in cache.holders


def _place_of(agent: tuple[str, str], cache: StoreCache) -> tuple[tuple[str, ...], int | None]:
    """An agent's countries and city size; a theme-holding practitioner's are its own
    holder's."""
    h = cache.holders.get(agent[1]) if agent[0] == "practitioner" else None
    if h is not None:
        return h.countries, h.population
    return cache.places.get(agent[1]) or ((), None)


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


def contexts_of(ctx: Context, place: Place, of: Sequence[Holder]) -> np.ndarray:
    """``context_of`` of many holders at once: per country the holders have, the formula
    (``factors.place_context``) on the array of their city sizes."""
    w, table = ctx.weights, ctx.country_table
    ask = table.get(place.country or "")
    size = size_similarity_array([h.population or 0 for h in of], place.population)
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, h in enumerate(of):
        groups[h.countries].append(i)
    out = np.empty(len(of))
    for countries, members in groups.items():
        at = np.asarray(members)
        if not countries:
            out[at] = place_context(w, None, size[at], False)
            continue
        best = None
        for country in countries:
            info = table.get(country)
            tier = country_tier(country, place.country, info, ask)
            shared = shared_languages(country, place.country, info, ask)
            value = place_context(w, tier, size[at], bool(shared))
            best = value if best is None else np.maximum(best, value)
        out[at] = best
    return out
