"""Scoring: a candidate's facts into its score, factor by factor (``factors``), with one
reason (``reasons``) for every factor that scored; the ranking of the scored candidates,
which keeps results from crowding into one city; the reverse ranking of needs for an offer.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import cckg.core.matching.reasons as say
from cckg.core.matching.factors import (
    concept_fit,
    country_tier,
    event_evidence,
    outcome_level,
    place_context,
    reach_score,
    relation_value,
    relation_weight,
    relevance,
    semantic_fit,
    shared_languages,
    size_similarity,
    solution_proof,
    speaking_counts,
    stands_on_its_own,
    theme_fit,
    weighted,
    words_share,
)
from cckg.core.matching.model import (
    KINDS,
    Candidate,
    Context,
    CountryInfo,
    Job,
    MatchResult,
    QueryTheme,
    Reason,
)
from cckg.core.matching.retrieval import solution_tables
from cckg.core.semantic.index import Hit

Link = tuple[str, str, str]  # (need theme, relation, candidate's theme)


def rank(
    ctx: Context, candidates: Mapping[str, Candidate], job: Job, limit: int
) -> tuple[list[MatchResult], int]:
    """The best ``limit`` results, and how many candidates were the asking city's own."""
    scored: list[tuple[MatchResult, str | None]] = []
    excluded = 0
    city = job.place.city
    if city:
        # The asking city's own solutions back nobody (its partners on them included).
        for solutions in solution_tables(candidates):
            for iri in [i for i, sol in solutions.items() if sol.city == city]:
                del solutions[iri]
    for cand in candidates.values():
        if city and (cand.city == city or cand.iri == city):
            excluded += 1  # the asking city does not need to learn from itself
            continue
        result = score(ctx, cand, job)
        if result is not None:
            scored.append((result, cand.city))
    return diversify(ctx, scored, limit), excluded


def rank_offer(
    ctx: Context,
    candidates: Mapping[str, Candidate],
    job: Job,
    offer_langs: Sequence[str],
    limit: int,
) -> list[MatchResult]:
    """Needs for an offer: scored as needs, with reach the other way round."""
    scored = []
    w = ctx.weights
    for cand in candidates.values():
        result = score(ctx, cand, job)
        if result is None:
            continue
        # Reachability the other way round: the offerer speaks the needing country's language.
        spoken = sorted(set(offer_langs) & cand.languages)
        if spoken:
            result.reasons.append(say.offer_in(spoken))
            result.factors["reach"] = round(w.reach * w.speaks, 4)
            result.score = round(sum(result.factors.values()), 3)
        scored.append((result, cand.city))
    return diversify(ctx, scored, limit)


def score(ctx: Context, cand: Candidate, job: Job) -> MatchResult | None:
    """The candidate's result, or None when it does not fit the need at all."""
    backing = _backing(cand)
    theme, reasons = _theme(ctx, cand, job, backing)
    if theme <= 0:
        return None
    info = job.countries.get(cand.country or "")
    proof, proof_reasons = _proof(ctx, cand, job, backing)
    context, context_reasons = _context(ctx, cand, job, info)
    reach, reach_reasons = _reach(ctx, cand, job, backing, info)
    reasons += proof_reasons + context_reasons + reach_reasons
    ways = {how for v in cand.via.values() for how in v["how"]}
    factors = weighted(
        ctx.weights, theme, proof, context, reach, stands_on_its_own(cand.kind, ways)
    )
    is_example = bool(cand.facts.get("isExample"))
    if is_example:
        reasons.append(say.reason("flag", "flag.example"))
    if cand.kind == "practitioner" and cand.facts.get("member"):
        reasons.append(say.reason("flag", "flag.works_at", organisation=cand.facts["member"]))
    place_label = ", ".join(
        x for x in (cand.city_label if cand.kind != "city" else None, info and info.label) if x
    )
    return MatchResult(
        iri=cand.iri,
        kind=cand.kind,
        label=cand.label(job.langs),
        score=round(sum(factors.values()), 3),
        reasons=reasons,
        factors=factors,
        is_example=is_example,
        place=place_label or None,
        city=cand.city,
    )


def _backing(cand: Candidate) -> list[Candidate]:
    """The solutions a candidate's proof and words come from: a solution itself, else the
    solutions it stands behind and those its offers are based on."""
    if cand.kind == "solution":
        return [cand]
    solutions: Mapping[str, Candidate] = cand.facts.get("solutions", {})
    ids: list[str] = []
    for v_iri, v in cand.via.items():
        ids.extend([v_iri, *v.get("basedOn", ())])
    # In IRI order: ties below then do not depend on the order of retrieval.
    return [solutions[i] for i in sorted(set(ids)) if i in solutions]


# ---------------------------------------------------------------- the factors


def concept_links(
    ctx: Context, cand: Candidate, query_themes: Mapping[str, QueryTheme]
) -> tuple[float, list[Link]]:
    """Weighted share of the need's themes the candidate fits, and the best link of each."""
    w, top = ctx.weights, ctx.vocabulary.top_concepts
    best: dict[str, tuple[float, Link]] = {}
    for link in sorted(cand.links):  # sorted: ties do not depend on the order of retrieval
        q, rel, theme = link
        value = relation_value(w, rel, theme, top)
        if q in query_themes and value > best.get(q, (-1.0, link))[0]:
            best[q] = (value, link)
    if not sum(qt.weight for qt in query_themes.values()):
        return 0.0, []
    fit = concept_fit({q: v for q, (v, _) in best.items()}, query_themes)
    links = [link for _, (_, link) in sorted(best.items(), key=lambda kv: -kv[1][0])]
    links.sort(key=lambda link: -query_themes[link[0]].weight * relation_weight(w, link[1]))
    return fit, links


def _words_fit(sol: Candidate, n_terms: int) -> float:
    return words_share(len(sol.facts.get("terms", ())), n_terms)


def _semantic(cand: Candidate, job: Job, backing: Sequence[Candidate]) -> Hit | None:
    """The closest sentence to the need among the candidate's own and those of what it
    stands behind (its solutions, offers, events)."""
    if job.scores is None or job.index is None:
        return None
    iris = {cand.iri, *(s.iri for s in backing), *cand.via}
    missing = [i for i in iris if i not in job.closest]
    if missing:
        found = job.index.closest(job.scores, missing)
        job.closest.update((i, found.get(i)) for i in missing)
    hits = [h for i in iris if (h := job.closest.get(i)) is not None]
    return max(hits, key=lambda h: (h.similarity, h.iri), default=None)


def _theme(
    ctx: Context, cand: Candidate, job: Job, backing: Sequence[Candidate]
) -> tuple[float, list[Reason]]:
    """The fit: concepts, the need's own words in the candidate's text, and how close the
    candidate's closest sentence is to what the need says."""
    query_themes, vocabulary, label_langs = job.query_themes, ctx.vocabulary, job.langs
    w = ctx.weights
    concept, links = concept_links(ctx, cand, query_themes)
    n_terms = len(job.terms)
    words = max((_words_fit(s, n_terms) for s in backing), default=0.0)
    theme = theme_fit(w, concept, words, bool(query_themes), bool(n_terms))
    hit = _semantic(cand, job, backing) if w.semantic > 0 else None
    semantic = semantic_fit(w, hit.similarity) if hit is not None else 0.0
    fit = relevance(w, theme, semantic, job.themes_given, job.scores is not None)
    if fit <= 0:
        return fit, []
    reasons = []
    if hit is not None and semantic >= w.semantic_quote:
        reasons.append(say.same_thing(hit.sentence))
    for q, rel, t in links[:3]:
        need_label, label = vocabulary.label(q, label_langs), vocabulary.label(t, label_langs)
        reasons.append(say.theme_link(cand.kind, rel, query_themes[q].terms, need_label, label))
    if words > 0:
        sol = max(backing, key=lambda s: _words_fit(s, n_terms))
        shown = [job.terms.get(t, t) for t in sorted(sol.facts.get("terms", ()))]
        reasons.append(say.words_found(shown, None if sol is cand else sol.label(label_langs)))
    return fit, reasons


def _solution_proof(ctx: Context, sol: Candidate) -> float:
    f = sol.facts
    outcomes = outcome_level(f.get("nMeasured"), f.get("nOutcomes"))
    events, uncertain = f.get("nEvents") or 0, bool(f.get("uncertain"))
    return solution_proof(ctx.weights, f.get("statusRank") or 0, outcomes, events, uncertain)


def _proof(
    ctx: Context, cand: Candidate, job: Job, backing: Sequence[Candidate]
) -> tuple[float, list[Reason]]:
    """A solution's own proof; another kind's from the one solution behind it that fits best
    and is best proven (a city must not take its theme from one solution and its proof from
    another), a partner city's damped; an institution's from the events it co-organised."""
    w, proof, reasons = ctx.weights, 0.0, []
    if cand.kind == "solution":
        proof = _solution_proof(ctx, cand)
        if proof > 0:
            reasons.extend(_proof_reasons(cand, None))
    elif backing:
        best = max(
            backing,
            key=lambda s: concept_links(ctx, s, job.query_themes)[0] + _solution_proof(ctx, s),
        )
        proof = _solution_proof(ctx, best)
        if cand.kind == "city" and "solution" not in cand.via.get(best.iri, {}).get("how", ()):
            proof *= w.partner
        if proof > 0:
            reasons.extend(_proof_reasons(best, cand))
    if cand.kind == "institution":
        events = [v for v in cand.via.values() if "event" in v["how"]]
        if events and proof < event_evidence(w, len(events)):
            proof = event_evidence(w, len(events))
        if events:
            first = min((v.get("year") or "9999") for v in events)
            reasons.append(say.co_organised(len(events), first if first != "9999" else None))
    return proof, reasons


def _proof_reasons(sol: Candidate, via_for: Candidate | None) -> list[Reason]:
    """A solution's record, as its own proof or as the proof of ``via_for``."""
    f = sol.facts
    outcomes = outcome_level(f.get("nMeasured"), f.get("nOutcomes"))
    start, end, uncertain = f.get("start"), f.get("end"), bool(f.get("uncertain"))
    record = say.record(f.get("statusRank") or 0, start, end, outcomes, uncertain)
    if via_for is None:
        reasons = [say.own_record(record)]
        if f.get("nEvents"):
            reasons.append(say.presented(f["nEvents"], f.get("firstEvent")))
        return reasons
    how = via_for.via.get(sol.iri, {}).get("how", set())
    if via_for.kind == "city":
        role = "home" if "solution" in how else "advised"
    elif via_for.kind == "institution" and how:
        role = "behind"
    else:
        role = "offers"
    return [say.record_via(role, sol.label(["en"]), record)]


def _context(
    ctx: Context, cand: Candidate, job: Job, info: CountryInfo | None
) -> tuple[float, list[Reason]]:
    """Same country or region, a city of similar size, a shared official language."""
    place, reasons = job.place, []
    ask_info = job.countries.get(place.country or "")
    tier = country_tier(cand.country, place.country, info, ask_info)
    if tier == "country":
        reasons.append(say.same_country(info.label if info else ""))
    elif tier == "region" and info:
        reasons.append(say.same_region(info.region_label))
    size = size_similarity(cand.population, place.population)
    if size > 0:
        sizes = (cand.population or 0, place.population or 0)
        reasons.append(say.similar_size(cand.kind, size, *sizes))
    shared = sorted(shared_languages(cand.country, place.country, info, ask_info))
    if shared:
        reasons.append(say.shared_language(shared))
    return place_context(ctx.weights, tier, size, bool(shared)), reasons


def _reach(
    ctx: Context,
    cand: Candidate,
    job: Job,
    backing: Sequence[Candidate],
    info: CountryInfo | None,
) -> tuple[float, list[Reason]]:
    """Whether someone offers the know-how, and speaks a language of the asking side."""
    offered, speaks_in, reasons = False, set(cand.languages), []
    if cand.kind == "solution":
        offered = bool(cand.facts.get("nOffers"))
        if offered:
            reasons.append(say.offered_by(cand.facts.get("offerers") or ""))
    elif cand.kind == "institution":
        offered = any("offer" in v["how"] for v in cand.via.values())
        if not speaks_in and info:
            speaks_in = set(info.languages)
        if offered:
            reasons.append(say.reason("reach", "reach.offers_know_how"))
    elif cand.kind == "practitioner":
        offered = bool(cand.facts.get("nOffers"))
        if offered:
            reasons.append(say.reason("reach", "reach.offers_advice"))
    elif cand.kind == "city":
        offered = any(s.facts.get("nOffers") for s in backing)
        speaks_in = set(info.languages) if info else set()
        if offered:
            reasons.append(say.reason("reach", "reach.on_offer"))
    if not offered and cand.kind == "practitioner":
        reasons.append(say.reason("reach", "reach.can_be_asked"))
    spoken = [c for c in job.langs if c in speaks_in]
    if spoken and speaking_counts(cand.kind, offered):
        reasons.append(say.speaks(spoken))
    return reach_score(ctx.weights, cand.kind, offered, bool(spoken)), reasons


# ---------------------------------------------------------------- diversity


def diversify(
    ctx: Context, scored: list[tuple[MatchResult, str | None]], limit: int
) -> list[MatchResult]:
    """Best first, at most ``max_per_city`` per city, later ones from a city damped."""
    w = ctx.weights
    order = {kind: i for i, kind in enumerate(KINDS)}
    remaining = sorted(scored, key=lambda x: (-x[0].score, order.get(x[0].kind, 9), x[0].iri))
    placed: dict[str, int] = defaultdict(int)
    out: list[MatchResult] = []
    while remaining and len(out) < limit:
        best_i, best_value = -1, -math.inf
        for i, (res, city) in enumerate(remaining):
            n = placed[city] if city else 0
            if city and n >= w.max_per_city:
                continue
            value = res.score * (w.city_penalty**n)
            if value > best_value + 1e-12:
                best_i, best_value = i, value
        if best_i < 0:
            break
        res, city = remaining.pop(best_i)
        n = placed[city] if city else 0
        if n:
            # Shown as its own factor, so the score explains the order.
            res.factors["diversity"] = round(best_value - res.score, 4)
            res.score = round(best_value, 3)
            res.reasons.append(say.ranked_down(n))
        if city:
            placed[city] += 1
        out.append(res)
    return out
