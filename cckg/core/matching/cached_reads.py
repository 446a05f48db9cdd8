"""The store reads kept per store version (``StoreCache``): resources' properties, offers,
solution texts, and the pre-ranking facts of theme holders and of the agents behind them.
Each reads only what the cache lacks, per resource, so any match can use what another read."""

from __future__ import annotations

import bisect
import gc
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from rdflib import URIRef

from cckg.core import iris, text_analysis
from cckg.core.matching.model import Holder, Props, StoreCache, Values
from cckg.core.matching.queries import int_of, is_true, run
from cckg.core.store import Store

# The agents a holder class stands for (list_theme_holder_agents.rq): its property -> the
# agent's kind (None: an offerer, an institution or a practitioner, as its IRI says); as
# retrieval.add_holder. ROLE_CODES: the query's codes for the properties.
ROLE_CODES = {"1": "institution", "2": "city", "3": "partnerCity", "4": "offeredBy", "5": "basedOn"}
AGENT_ROLES: dict[str, dict[str, str | None]] = {
    "Solution": {"institution": "institution", "city": "city", "partnerCity": "city"},
    "Offer": {"offeredBy": None},
    "Event": {"institution": "institution"},
}
# list_theme_holders.rq's codes for the holder classes.
SHORTLIST_KINDS = {"1": "Solution", "2": "Offer", "3": "Event", "4": "Practitioner", "5": "Need"}


def read_props(store: Store, props: Props, resources: Iterable[str], cache: StoreCache) -> None:
    """Read the properties matching needs of the resources not read yet."""
    wanted = set()
    for r in resources:
        if r and r not in props:
            if r in cache.props:
                props[r] = cache.props[r]
            else:
                wanted.add(r)
    if not wanted:
        return
    read: Props = {r: {} for r in wanted}
    rows = run(store, "describe_resources", rows={"s": [URIRef(r) for r in sorted(wanted)]})
    for row in rows:
        key = row["p"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        read[row["s"]][key] = (*read[row["s"]].get(key, ()), row["o"])
    props.update(read)
    cache.props.update(read)
    cache.trim()


def read_offers(store: Store, targets: Sequence[str], cache: StoreCache) -> dict[str, set[str]]:
    """target (a solution an offer is based on, or an offerer) -> offers."""
    missing = sorted({t for t in targets if t not in cache.offers})
    if missing:
        found: dict[str, dict[str, None]] = {t: {} for t in missing}
        rows = run(store, "list_offers", rows={"target": [URIRef(t) for t in missing]})
        for row in rows:
            found[row["target"]][row["offer"]] = None
        cache.offers.update((t, tuple(offers)) for t, offers in found.items())
        cache.trim()
    return {t: set(cache.offers.get(t, ())) for t in targets}


def words_in(
    store: Store, solutions: Sequence[str], terms: Mapping[str, str], cache: StoreCache
) -> dict[str, set[str]]:
    """solution -> the need's word stems (``terms``: stem -> the word as written) found in its
    text (title, summary, outcomes, lower-cased) on word boundaries, the test of
    match_solution_terms (``text_analysis.term_pattern``), for the solutions with any, from
    texts kept per store version: looked up in the word index of every solution's text once
    there is one, else searched."""
    index: WordIndex | None = cache.words
    if index is not None and solutions is index.solutions:  # every solution (all_solutions)
        return index.find(terms)
    out: dict[str, set[str]] = {}
    rest = list(solutions) if index is None else [s for s in solutions if s not in index.place]
    if index is not None and len(rest) < len(solutions):
        out = index.find(terms, solutions)
    missing = sorted({s for s in rest if s not in cache.texts})
    if missing:
        texts: dict[str, list[str]] = {s: [] for s in missing}
        rows = run(store, "list_solution_texts", rows={"x": [URIRef(s) for s in missing]})
        for row in rows:
            texts[row["x"]].append(row["text"])
        # One string per solution; the newline keeps a stem from spanning two texts.
        cache.texts.update((s, "\n".join(found)) for s, found in texts.items())
        cache.trim()
    patterns = {t: text_analysis.term_regex(t, word) for t, word in terms.items()}
    for s in rest:
        text = cache.texts.get(s, "")
        found = {t for t, rx in patterns.items() if t in text and rx.search(text)}
        if found:
            out[s] = found
    return out


class WordIndex:
    """The words of every solution's text, to find a need's word stems in thousands of
    solutions at once (a 10^6 store has tens of thousands). A stem is found where a word
    starts with it, and, unless the need's word is the bare stem, goes on past it: the test
    of ``text_analysis.term_pattern``, since a word of ``\\w`` characters starts after a
    ``\\W`` or at the start of the text."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.solutions = tuple(texts)
        self.place = {s: i for i, s in enumerate(self.solutions)}
        postings: dict[str, list[int]] = {}
        for i, text in enumerate(texts.values()):
            for word in set(WORD.findall(text)):
                postings.setdefault(word, []).append(i)
        self.words = sorted(postings)
        self.postings = [np.asarray(postings[w], dtype=np.int32) for w in self.words]

    def having(self, stem: str, word: str) -> np.ndarray:
        """A mask of the solutions whose text has ``stem`` (of the need's ``word``)."""
        bare = text_analysis.term_is_bare(stem, word)
        mask = np.zeros(len(self.solutions), dtype=bool)
        words, k = self.words, bisect.bisect_left(self.words, stem)
        while k < len(words) and words[k].startswith(stem):
            if bare or len(words[k]) > len(stem):
                mask[self.postings[k]] = True
            k += 1
        return mask

    def find(
        self, terms: Mapping[str, str], among: Iterable[str] | None = None
    ) -> dict[str, set[str]]:
        """solution -> the stems of ``terms`` (stem -> the need's word) its text has, for the
        solutions with any, of ``among`` (those of them in the index) or of all."""
        wanted = None if among is None else {self.place[s] for s in among if s in self.place}
        out: dict[str, set[str]] = {}
        for t, word in terms.items():
            for i in np.flatnonzero(self.having(t, word)).tolist():
                if wanted is None or i in wanted:
                    out.setdefault(self.solutions[i], set()).add(t)
        return out


WORD = re.compile(r"\w+")


def all_solutions(store: Store, cache: StoreCache) -> tuple[str, ...]:
    """Every solution that has a text, with all texts read into ``cache.texts`` once per store
    version (list_all_solution_texts) and indexed by their words (``WordIndex``): a match then
    finds the need's words in memory (``words_in``) instead of a REGEX scan of every solution
    in the store."""
    if cache.words is None:
        texts: dict[str, list[str]] = {}
        for row in run(store, "list_all_solution_texts"):
            texts.setdefault(row["x"], []).append(row["text"])
        joined = {s: "\n".join(found) for s, found in sorted(texts.items())}
        cache.texts.update(joined)
        cache.trim()  # past its bound: words_in reads the texts again, as for any solution
        cache.words = WordIndex(joined)
    solutions: tuple[str, ...] = cache.words.solutions
    return solutions


def read_agent_places(store: Store, agents: Iterable[str], cache: StoreCache) -> None:
    """Read where the agents not read yet are (list_agent_places)."""
    missing = sorted({a for a in agents if a not in cache.places})
    if not missing:
        return
    places: dict[str, tuple[tuple[str, ...], int | None]] = {a: ((), None) for a in missing}
    rows = {"agent": [URIRef(a) for a in missing]}
    for row in run(store, "list_agent_places", rows=rows):
        countries, population = places[row["agent"]]
        if "country" in row and row["country"] not in countries:
            countries += (row["country"],)
        places[row["agent"]] = (countries, population or int_of(row.get("population")))
    cache.places.update(places)
    cache.trim()


def read_agent_holders(
    store: Store, agents: Sequence[str], cache: StoreCache
) -> dict[str, tuple[tuple[str, str, str, str], ...]]:
    """agent -> (thing, property, class, theme) for all it stands behind (list_agent_holders)."""
    missing = sorted({a for a in agents if a not in cache.behind})
    if missing:
        found: dict[str, list[tuple[str, str, str, str]]] = {a: [] for a in missing}
        rows = {"agent": [URIRef(a) for a in missing]}
        for row in run(store, "list_agent_holders", rows=rows):
            role, cls = row["role"].rsplit("#", 1)[-1], row["type"].rsplit("#", 1)[-1]
            found[row["agent"]].append((row["x"], role, cls, row["theme"]))
        cache.behind.update((a, tuple(found_rows)) for a, found_rows in found.items())
        cache.trim()
    return {a: cache.behind.get(a, ()) for a in agents}


def read_theme_holders(store: Store, themes: Iterable[str], cache: StoreCache) -> None:
    """Read the holders of the themes not read yet, with their pre-ranking facts and the
    agents behind them."""
    missing = sorted(t for t in themes if t not in cache.postings)
    if not missing:
        return
    theme_rows = {"theme": [URIRef(t) for t in missing]}
    postings: dict[str, dict[str, None]] = {t: {} for t in missing}
    facts: dict[str, dict[str, Any]] = {}  # the holders not kept yet
    for row in run(store, "list_theme_holders", rows=theme_rows):
        x = row["x"]
        postings[row["theme"]][x] = None
        if x not in cache.holders:
            _add_facts(facts.setdefault(x, {"kind": SHORTLIST_KINDS[row["kind"]]}), row)
    for row in run(store, "list_theme_holder_agents", rows=theme_rows):
        f, role, agent = facts.get(row["x"]), ROLE_CODES[row["role"]], row["agent"]
        if f is None:
            continue
        if role == "basedOn" and f["kind"] == "Offer":
            f.setdefault("based_on", {})[agent] = None
        elif role in AGENT_ROLES.get(f["kind"], ()):
            kind = AGENT_ROLES[f["kind"]][role] or (iris.split(agent, store.base_iri) or ("",))[0]
            f.setdefault("agents", {})[(kind, agent)] = None
    # The solutions offers are based on back the offerers' proof. Kept apart: the agents
    # behind them are read only when they carry a theme asked for.
    based_on = {s for f in facts.values() for s in f.get("based_on", ())}
    unread = sorted(based_on - facts.keys() - cache.holders.keys() - cache.based_on.keys())
    if unread:
        solutions: dict[str, dict[str, Any]] = {}
        rows = {"x": [URIRef(x) for x in unread]}
        for row in run(store, "get_solution_facts", rows=rows):
            _add_facts(solutions.setdefault(row["x"], {"kind": "Solution"}), row)
        cache.based_on.update((x, _holder(f)) for x, f in solutions.items())
    # The holders before the postings: another thread may read them.
    cache.holders.update((x, _holder(f)) for x, f in facts.items())
    for t, found in postings.items():
        cache.postings[t] = tuple(found)
    cache.trim()
    if len(facts) >= 1000:
        # So many new long-lived objects would bring the garbage collector's next full
        # pass (tens of milliseconds) onto a later match: this slow one takes it, and moves
        # what lives now (these facts, the sentence index, the store's other caches) out of
        # the collector's sight, so that later full passes do not walk them again (at 10^6
        # they put a stored need's p95 at 339 ms against a median of 193 ms; 205 ms frozen).
        # Reference counting still frees them when a new store version replaces them.
        gc.collect()
        gc.freeze()


def _add_facts(facts: dict[str, Any], row: Values) -> None:
    """One row of list_theme_holders or get_solution_facts into a holder's facts (Holder's
    fields)."""
    facts["rank"] = max(facts.get("rank", 0), int_of(row.get("rank")) or 0)
    facts["events"] = max(facts.get("events", 0), int_of(row.get("events")) or 0)
    if "country" in row and row["country"] not in facts.setdefault("countries", ()):
        facts["countries"] += (row["country"],)
    facts["population"] = facts.get("population") or int_of(row.get("population"))
    for flag in ("outcomes", "uncertain", "offered", "organised"):
        facts[flag] = facts.get(flag, False) or is_true(row.get(flag))


def _holder(facts: Mapping[str, Any]) -> Holder:
    return Holder(
        facts["kind"],
        facts.get("rank", 0),
        facts.get("outcomes", False),
        facts.get("events", 0),
        facts.get("uncertain", False),
        facts.get("offered", False),
        facts.get("organised", False),
        facts.get("countries", ()),
        facts.get("population"),
        tuple(facts.get("agents", ())),
        tuple(facts.get("based_on", ())),
    )
