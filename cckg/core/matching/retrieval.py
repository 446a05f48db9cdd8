"""Candidate retrieval: from the need's themes (and words) to the solutions, institutions,
cities, practitioners or needs that carry them, with every fact the score weighs, read hop
by hop with bound-subject lookups (``docs/matching.md`` says why). Which theme holders are
read is the pre-ranking's choice (``shortlist.select_holders``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any

from rdflib import URIRef

from cckg.core import iris
from cckg.core.matching.cached_reads import all_solutions, read_offers, read_props, words_in
from cckg.core.matching.factors import semantic_fit, words_bound, words_share
from cckg.core.matching.model import Candidate, Context, CountryInfo, Job, Place, Props, Value
from cckg.core.matching.queries import (
    codes_of,
    country_info,
    first_of,
    int_of,
    label_of,
    objects,
    run,
    values_of,
)
from cckg.core.matching.shortlist import AGENT_KINDS, HOLDER_KINDS, select_holders
from cckg.core.store import Store


def expand(store: Store, query_themes: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
    """theme -> {(query theme, relation)} for every theme that fits a query theme."""
    rows = run(store, "expand_themes", rows={"queryTheme": [URIRef(t) for t in query_themes]})
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in rows:
        out[str(r["theme"])].add((str(r["queryTheme"]), str(r["rel"])))
    return out


class _Pool:
    """The candidates of one retrieval: solutions apart (the other kinds borrow their proof
    and their words from them), of the wanted kinds, and of the agents the pre-ranking kept."""

    def __init__(self, kinds: Sequence[str], agents: set[tuple[str, str]] | None):
        self.kinds, self.agents = kinds, agents
        self.candidates: dict[str, Candidate] = {}
        self.solutions: dict[str, Candidate] = {}

    def get(self, iri: str, kind: str, admit: bool = False) -> Candidate | None:
        """The candidate, made on first use; None when its kind is not wanted, or (unless
        ``admit``: it comes with a thing close to the need's meaning) not shortlisted."""
        if kind != "solution" and kind not in self.kinds:
            return None
        if (
            not admit
            and self.agents is not None
            and kind in AGENT_KINDS
            and (kind, iri) not in self.agents
        ):
            # Not shortlisted: it came along with a holder, and would be scored on part
            # of what it stands behind.
            return None
        table = self.solutions if kind == "solution" else self.candidates
        if iri not in table:
            table[iri] = Candidate(iri, kind)
        return table[iri]


def retrieve(
    ctx: Context,
    job: Job,
    kinds: Sequence[str],
    limit: int,
    props: Props,
    words: Sequence[str] | None = None,
) -> tuple[dict[str, Candidate], bool]:
    """Candidates of the wanted kinds, with their links to the need's themes and the
    facts the ranking weighs, and whether every theme holder was looked at. Solutions
    are always looked at: the other kinds borrow their proof and their words from the
    solutions behind them. ``words``: the solutions the need's words in every solution
    found to score (``words_to_score``); without it, all those the words find when every
    theme holder is looked at, else none."""
    store, terms, cache = ctx.store, list(job.terms), job.cache
    if job.selected is None:  # the word search's second pass selects the same holders
        expanded = expand(store, job.query_themes) if job.query_themes else {}
        job.selected = (expanded, *select_holders(ctx, job, expanded, kinds, limit))
    expanded, selected, agents, complete = job.selected
    close = semantic_holders(job, kinds)  # what the need's meaning finds
    holders = _holders(selected, close)
    pool = _Pool(kinds, agents)
    searched = not terms or complete or words is not None
    found = words_everywhere(store, job) if terms and searched else {}
    # Hop 1: who stands behind each theme holder; the facts of the solutions.
    read_props(store, props, [*holders, *found], cache)
    for x, types in holders.items():
        facts = props.get(x, {})
        themes = {*facts.get("theme", ()), *facts.get("expertIn", ())}
        links = {(q, rel, t) for t in themes for q, rel in expanded.get(t, ())}
        add_holder(ctx.base, x, types, facts, links, pool, admit=x in close)
    for iri in found if words is None else words:
        pool.get(iri, "solution")
    # Without the word search over every solution (None), the words of those looked at.
    _read_facts(store, job, pool, props, found if searched else None)
    candidates = pool.candidates
    if "solution" in kinds:
        candidates.update(pool.solutions)
    return candidates, complete


def _holders(
    selected: Mapping[str, set[str]], close: Mapping[str, set[str]]
) -> dict[str, set[str]]:
    """The theme holders selected (``select_holders``) and those the need's meaning finds
    (``close``), thing -> its classes."""
    holders = {x: set(types) for x, types in selected.items()}
    for x, types in close.items():
        holders.setdefault(x, set()).update(types)
    return holders


def words_everywhere(store: Store, job: Job) -> dict[str, set[str]]:
    """The solutions that have any of the need's words, with the words (the test of
    match_solution_terms on every solution's texts kept per store version); once a match."""
    if job.words_everywhere is None:
        cache = job.cache
        found = words_in(store, all_solutions(store, cache), job.terms, cache).items()
        job.words_everywhere = {s: words for s, words in found if words}
    return job.words_everywhere


def words_to_score(
    ctx: Context, job: Job, kinds: Sequence[str], floor: float | None, scored: Container[str]
) -> list[str] | None:
    """The solutions the need's words in every solution find that could rank
    (``words_found_above``, with ``floor``), for a second pass (``retrieve``); None when a
    first pass scored them all (``scored``): a second would read and score what it did."""
    found = words_everywhere(ctx.store, job)
    if floor is None:
        new = list(found)
    else:
        selected = job.selected[1] if job.selected is not None else {}
        holders = _holders(selected, semantic_holders(job, kinds))
        new = words_found_above(ctx, job, found, holders, floor)
    return new if any(s not in scored for s in new) else None


def words_found_above(
    ctx: Context,
    job: Job,
    found: Mapping[str, set[str]],
    holders: Mapping[str, object],
    floor: float,
) -> list[str]:
    """The solutions of ``found`` (solution -> the need's words in it) that are theme
    holders, or whose bound (``factors.words_bound``: its share of the need's words, its
    closest sentence, and full proof, context and reach) reaches ``floor``. At 10^6 triples
    a need's words are in thousands of solutions; the bound leaves the few that could rank
    to be read and scored in full."""
    w, n_terms = ctx.weights, len(job.terms)
    has_themes, meaning = bool(job.query_themes), job.scores is not None

    def bound(n_found: int, semantic: float) -> float:
        share = words_share(n_found, n_terms)
        return words_bound(w, share, semantic, has_themes, job.themes_given, meaning)

    # The shown score is rounded to three decimals: a bound a rounding below the floor may
    # still tie with it. First the bound of each number of words found with the closest
    # sentence at its best: most solutions fall below it without their own.
    floor -= 1e-3
    may = {n: bound(n, 1.0) >= floor for n in {len(words) for words in found.values()}}
    others = [s for s, words in found.items() if s not in holders and may[len(words)]]
    close: Mapping[str, float] = {}
    if job.scores is not None and job.index is not None and w.semantic > 0:
        close = job.index.similarities(job.scores, others)
    kept = [s for s in found if s in holders]
    for s in others:
        semantic = semantic_fit(w, close[s]) if s in close else 0.0
        if bound(len(found[s]), semantic) >= floor:
            kept.append(s)
    return kept


# The holder class of each kind the semantic index knows.
SEMANTIC_CLASSES = {
    "solution": "Solution",
    "offer": "Offer",
    "need": "Need",
    "practitioner": "Practitioner",
    "event": "Event",
    "institution": "Institution",
}


def semantic_holders(job: Job, kinds: Sequence[str]) -> dict[str, set[str]]:
    """The things nearest to the need (``job.nearest``) that lead to the kinds asked for,
    as holders (thing -> its class)."""
    wanted = {cls for k in kinds for cls in HOLDER_KINDS.get(k, ())}
    if "institution" in kinds:
        wanted.add("Institution")
    out: dict[str, set[str]] = {}
    for iri, hit in job.nearest.items():
        cls = SEMANTIC_CLASSES.get(hit.kind)
        if cls in wanted:
            out[iri] = {cls}
    return out


def _read_facts(
    store: Store, job: Job, pool: _Pool, props: Props, found: dict[str, set[str]] | None
) -> None:
    """Hops 2 and 3: the candidates' own facts, the need's words in the solutions (``found``;
    None: looked for in the texts kept), the offers, statuses, events, cities, offerers."""
    candidates, solutions, cache, terms = pool.candidates, pool.solutions, job.cache, job.terms
    # Hop 2: the offers, the agents' own facts, solutions known only through offers. Only
    # the offers of solutions and practitioners count (institutions and cities score by
    # the offers among their theme holders).
    practitioners = (c.iri for c in candidates.values() if c.kind == "practitioner")
    offers = read_offers(store, [*solutions, *practitioners], cache)
    all_offers = {o for found_offers in offers.values() for o in found_offers}
    read_props(store, props, [*candidates, *solutions, *all_offers], cache)
    if found is None:
        found = words_in(store, list(solutions), terms, cache)
    for iri, stems in found.items():
        if stems and iri in solutions:
            solutions[iri].facts["terms"] = stems
    # Hop 3: statuses, events and cities of solutions; offerers; the agents' cities and
    # institutions.
    read_props(
        store,
        props,
        [
            *objects(props, solutions, "status", "presentedAt", "city"),
            *objects(props, all_offers, "offeredBy"),
            *objects(props, candidates, "city", "memberOf"),
        ],
        cache,
    )
    for sol in solutions.values():
        solution_facts(sol, props, offers.get(sol.iri, set()))
    for cand in candidates.values():
        agent_facts(cand, props, offers.get(cand.iri, set()))
        cand.facts["solutions"] = solutions


def add_holder(
    base: str,
    x: str,
    types: set[str],
    facts: Mapping[str, Sequence[Value]],
    links: set[tuple[str, str, str]],
    pool: _Pool,
    admit: bool = False,
) -> None:
    """Turn one thing that carries a theme into candidates: a solution into itself, the
    institutions behind it, its city and partner cities; an offer into its offerers (the
    solutions it is based on back them); an event into its organisers; a practitioner or
    need into itself."""

    def get(iri: str, kind: str) -> Candidate | None:
        return pool.get(iri, kind, admit)

    based_on = [str(o) for o in facts.get("basedOn", ())]
    if "Solution" in types:
        sol = get(x, "solution")
        if sol is not None:
            sol.links |= links
        for p, kind, how in (
            ("institution", "institution", "solution"),
            ("city", "city", "solution"),
            ("partnerCity", "city", "partner"),
        ):
            for agent in facts.get(p, ()):
                cand = get(str(agent), kind)
                if cand is not None:
                    cand.links |= links
                    cand.via.setdefault(x, {"how": set()})["how"].add(how)
    elif "Offer" in types:
        for solution in based_on:
            get(solution, "solution")  # its facts back the offerers' proof
        for agent in map(str, facts.get("offeredBy", ())):
            kind = (iris.split(agent, base) or ("", ""))[0]
            cand = get(agent, kind) if kind in ("institution", "practitioner") else None
            if cand is not None:
                cand.links |= links
                entry = cand.via.setdefault(x, {"how": set()})
                entry["how"].add("offer")
                entry["basedOn"] = based_on
    elif "Event" in types:
        year = min((str(d)[:4] for d in facts.get("startDate", ())), default=None)
        for agent in map(str, facts.get("institution", ())):
            cand = get(agent, "institution")
            if cand is not None:
                cand.links |= links
                entry = cand.via.setdefault(x, {"how": set()})
                entry["how"].add("event")
                entry["year"] = year
    elif "Practitioner" in types or "Need" in types:
        cand = get(x, "practitioner" if "Practitioner" in types else "need")
        if cand is not None:
            cand.links |= links
    elif "Institution" in types:  # found by its own description (semantic retrieval)
        cand = get(x, "institution")
        if cand is not None:
            cand.links |= links


# ---------------------------------------------------------------- the candidates' facts


def solution_facts(sol: Candidate, props: Props, offers: set[str]) -> None:
    facts = props.get(sol.iri, {})
    place_facts(sol, props)
    f = sol.facts
    ranks = [int_of(o) for s in facts.get("status", ()) for o in values_of(props, s, "rank")]
    f["statusRank"] = max((r for r in ranks if r), default=0)
    f["start"] = first_of(facts, "periodStart")
    f["end"] = first_of(facts, "periodEnd")
    f["uncertain"] = first_of(facts, "uncertain") == "true"
    outcomes = [str(o) for o in facts.get("outcome", ())]
    f["nOutcomes"] = len(outcomes)
    f["nMeasured"] = sum(1 for o in outcomes if re.search(r"\d", o))
    events = facts.get("presentedAt", ())
    f["nEvents"] = len(events)
    years = [str(d)[:4] for e in events for d in values_of(props, e, "startDate")]
    f["firstEvent"] = min(years, default=None)
    f["nOffers"] = len(offers)
    offerers = {str(b) for o in offers for b in values_of(props, o, "offeredBy")}
    f["offerers"] = " | ".join(sorted(label_of(props, b) for b in offerers))
    for by in offerers:
        # An offerer's own languages, else its country's (institutions rarely state any).
        sol.languages |= codes_of(values_of(props, by, "language")) or {
            f"country:{c}" for c in map(str, values_of(props, by, "country"))
        }


def agent_facts(cand: Candidate, props: Props, offers: set[str]) -> None:
    facts = props.get(cand.iri, {})
    place_facts(cand, props)
    cand.facts["isExample"] = first_of(facts, "isExample") == "true"
    members = [label_of(props, str(m)) for m in facts.get("memberOf", ())]
    cand.facts["member"] = members[0] if members else None
    cand.facts["nOffers"] = len(offers)
    cand.languages |= codes_of(facts.get("language", ()))
    if cand.kind == "city":
        cand.city = cand.iri


def place_facts(cand: Candidate, props: Props) -> None:
    facts = props.get(cand.iri, {})
    for label in facts.get("label", ()):
        cand.labels.setdefault(getattr(label, "language", None) or "", str(label))
    city = first_of(facts, "city")
    if city:
        cand.city = city
        cand.city_label = label_of(props, city)
        cand.population = int_of(next(iter(values_of(props, city, "population")), None))
    else:
        cand.population = int_of(next(iter(facts.get("population", ())), None))
    cand.country = first_of(facts, "country") or cand.country


def solution_tables(candidates: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The solutions tables the candidates share (one per retrieval), each once: walking
    them once per candidate made ranking quadratic in the number of candidates."""
    tables = {id(t): t for c in candidates.values() if (t := c.facts.get("solutions"))}
    return list(tables.values())


def place_countries(
    ctx: Context, candidates: Mapping[str, Candidate], place: Place, props: Props
) -> dict[str, CountryInfo]:
    """Countries of the candidates, of the asking side and of the offerers; the
    offerers' "country:IRI" placeholders become that country's languages."""
    everyone = {id(c): c for c in candidates.values()}
    for table in solution_tables(candidates):
        everyone.update((id(s), s) for s in table.values())
    wanted = {c.country for c in everyone.values() if c.country} | {place.country} - {None}
    wanted |= {
        lang[8:] for c in everyone.values() for lang in c.languages if lang[:8] == "country:"
    }
    known = ctx.country_table
    countries = {c: known.get(c) or country_info(props, c) for c in {c for c in wanted if c}}
    for cand in everyone.values():
        codes = {lang for lang in cand.languages if not lang.startswith("country:")}
        for lang in cand.languages - codes:
            info = countries.get(lang[8:])
            codes |= info.languages if info else set()
        cand.languages = codes
    return countries
