"""Matching: from a city's need to ranked solutions, institutions, practitioners and cities,
each with the reasons that put it there.

Where the work happens:

- ``cckg.core.text_analysis`` reads the need's free text (themes, words, population, country, city)
  into RDF terms and numbers. It never touches the store beyond the theme labels.
- SPARQL in ``queries/match/*.rq`` retrieves the candidates and computes every fact the
  ranking weighs (theme relations in the SKOS scheme, status, outcomes, events, offers,
  places, populations, languages). Retrieval starts from the need's themes, never from the
  ~34,000 cities, so it is fast on the full graph and runs unchanged on a remote store.
- On a large store, where a popular theme has thousands of holders, a pre-ranking on a few
  facts of every holder (kept per store version in ``StoreCache``) chooses the few whose full
  facts are read and scored (``Matcher._holders``): the work per match then grows with the
  results asked for, not with the store.
- This module combines those facts with the weights of one table, ``Weights`` (documented in
  ``docs/matching.md``), keeps results from crowding into one city, and writes each result's
  reasons: one short sentence for every factor that scored.

Parameters reach the queries as bound RDF terms: single values through the store's
``bindings``, lists (the need's themes, its words) as inline ``VALUES`` rows serialised with
``term_n3`` (pitfall 3.1: never plain string formatting).
"""

from __future__ import annotations

import functools
import gc
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pycountry
import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from cckg.core import geonames, iris, queries, text_analysis
from cckg.core.sparql_text import _where_group_start, term_n3
from cckg.core.store import Store

KINDS = ("solution", "institution", "practitioner", "city")
MAX_LIMIT = 50
STATUS_LABELS = {1: "idea", 2: "pilot", 3: "implemented", 4: "scaled"}

# Retrieval on a large store (Matcher._holders, docs/matching.md "Large stores"). Up to
# EXHAUSTIVE_UP_TO (holder, theme) pairs every theme holder is scored in full. Above that, a
# pre-ranking keeps max(a x limit, b) solutions (or needs), SHORTLIST_SIZE = (a, b), and
# max(a x limit, b) institutions, cities and practitioners, AGENTS_SIZE = (a, b), shared among
# the kinds asked for, for the full facts and scoring; once the strong themes (exact,
# narrower) hold SHORTLIST_FROM pairs, the others are left out. StoreCache keeps at most
# CACHE_ITEMS things per store version.
EXHAUSTIVE_UP_TO = 400
SHORTLIST_FROM = 500
SHORTLIST_SIZE = (2, 20)
AGENTS_SIZE = (3, 30)
AGENT_KINDS = ("institution", "city", "practitioner")
CACHE_ITEMS = 400_000
# The holder classes each result kind comes from.
HOLDER_KINDS = {
    "solution": ("Solution",),
    "institution": ("Solution", "Offer", "Event"),
    "city": ("Solution",),
    "practitioner": ("Practitioner", "Offer"),
    "need": ("Need",),
}
# The agents a holder class stands for (theme_holder_agents.rq): its property -> the agent's
# kind (None: an offerer, an institution or a practitioner, as its IRI says); as _add_holder.
# ROLE_CODES: theme_holder_agents.rq's codes for the properties.
ROLE_CODES = {"1": "institution", "2": "city", "3": "partnerCity", "4": "offeredBy", "5": "basedOn"}
AGENT_ROLES: dict[str, dict[str, str | None]] = {
    "Solution": {"institution": "institution", "city": "city", "partnerCity": "city"},
    "Offer": {"offeredBy": None},
    "Event": {"institution": "institution"},
}
# theme_holders.rq's codes for the holder classes.
SHORTLIST_KINDS = {"1": "Solution", "2": "Offer", "3": "Event", "4": "Practitioner", "5": "Need"}


@dataclass(frozen=True)
class Weights:
    """Every weight of the ranking, in one place (``docs/matching.md`` explains each).

    score = theme * fit + proof * proof_score + context * context_score + reach * reach_score,
    each factor score in [0, 1]; then diversity re-ranks (``max_per_city``, ``city_penalty``).
    """

    # The four factors of the score; they sum to 1. With relevance_gate, proof, context and
    # reach are multiplied by the theme fit (0..1).
    relevance_gate: bool = True
    theme: float = 0.50
    proof: float = 0.20
    context: float = 0.20
    reach: float = 0.10
    # Theme fit: how the candidate's theme stands to the need's theme in the SKOS scheme.
    exact: float = 1.0
    narrower: float = 0.7
    broader: float = 0.5
    related: float = 0.35
    # Share of the theme fit that comes from the need's own words found in the candidate's
    # text (title, summary, outcomes); the rest comes from the concepts.
    words: float = 0.3
    # A top concept ("Municipal services") found in free text says little: its weight.
    top_concept: float = 0.5
    # Proof (sums to 1): status idea 0 .. scaled 1; outcomes documented (0.5) or with figures
    # (1); evidence from events (1 event 0.5, 2 or more 1). Uncertain records are damped.
    status: float = 0.5
    outcomes: float = 0.25
    evidence: float = 0.25
    uncertain: float = 0.7
    # A partner city advised on a solution rather than implementing it.
    partner: float = 0.8
    # A city or institution known only through a solution (no offer, event or expertise of
    # its own on the theme): its whole score is multiplied by this, so that it ranks just
    # below the solution it is known for.
    derived: float = 0.9
    # Context (same_country or same_region, plus the other two, sums to at most 1).
    same_country: float = 0.4
    same_region: float = 0.25
    similar_size: float = 0.35  # within a factor of 3; within a factor of 10 counts 40%
    shared_language: float = 0.25
    # Reachability (sums to 1): someone offers the know-how; they speak a preferred language.
    offered: float = 0.6
    speaks: float = 0.4
    # Diversity: at most this many results from one city, and each further one from the same
    # city is multiplied by city_penalty ** (results from it already placed).
    max_per_city: int = 3
    city_penalty: float = 0.85


DEFAULT_WEIGHTS = Weights()


class MatchError(ValueError):
    """Bad input: names the parameter (``text``, ``theme``, ``city``, ``lang``, ``kind``,
    ``limit``, ``need``, ``offer``) and says how to fix it."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True)
class MatchRequest:
    """What to match. At least one of ``text``, ``theme``, ``need`` or ``offer``.

    ``theme``: a theme IRI or slug. ``city``: the asking city as an IRI, a GeoNames id, a slug
    of ``data/cities.csv`` or a name ("Köln", "Cologne", "Colonia"; "Name, CC" to pick a
    country). ``langs``: ISO 639-1 codes the asking side works in. ``need``/``offer``: IRIs of
    a stored Need (matched like a written need) or Offer (matched the other way, to needs).
    """

    text: str = ""
    theme: str | None = None
    city: str | None = None
    langs: tuple[str, ...] = ()
    kinds: tuple[str, ...] = KINDS
    limit: int = 10
    need: str | None = None
    offer: str | None = None


@dataclass(frozen=True)
class Reason:
    factor: str  # theme | proof | context | reach | flag
    text: str


@dataclass
class MatchResult:
    iri: str
    kind: str
    label: str
    score: float
    reasons: list[Reason]
    factors: dict[str, float]  # each factor's contribution to the score
    is_example: bool = False
    place: str | None = None  # "City, Country" for display
    city: str | None = None  # IRI of the candidate's city: diversity counts per city

    def as_dict(self) -> dict[str, Any]:
        return {
            "iri": self.iri,
            "kind": self.kind,
            "label": self.label,
            "score": self.score,
            "reasons": [r.text for r in self.reasons],
            "factors": self.factors,
            "is_example": self.is_example,
            "place": self.place,
            "city": self.city,
        }


@dataclass
class MatchResponse:
    results: list[MatchResult]
    query: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"results": [r.as_dict() for r in self.results], "query": self.query}


# ---------------------------------------------------------------- queries


@functools.cache
def query_text(name: str) -> str:
    """The text of ``queries/match/NAME.rq``, from the query registry."""
    return queries.helper(f"match/{name}")


def with_rows(query: str, variables: Sequence[str], rows: Iterable[Sequence[Node | None]]) -> str:
    """``query`` with ``VALUES (?a ?b) { (t1 t2) ... }`` opening its WHERE group.

    The store's ``bindings`` carry one row; list parameters need many. Each term goes through
    ``term_n3`` (safe IRIs, escaped literals); ``None`` becomes ``UNDEF``.
    """
    names = " ".join(f"?{v}" for v in variables)
    body = " ".join(
        "(" + " ".join("UNDEF" if t is None else term_n3(t) for t in row) + ")" for row in rows
    )
    at = _where_group_start(query)
    return f"{query[:at]} VALUES ({names}) {{ {body} }} {query[at:]}"


class Text(str):
    """A literal's lexical form that keeps its language tag (labels are chosen by it)."""

    language: str | None = None


Value = str  # what matching reads from the store: IRIs and literals as plain strings
Values = dict[str, Value]


def _from_oxigraph(term: Any) -> Value:
    if isinstance(term, ox.Literal) and term.language:
        text = Text(term.value)
        text.language = term.language
        return text
    return term.value


def _from_rdflib(term: Node) -> Value:
    language = getattr(term, "language", None)
    if language:
        text = Text(str(term))
        text.language = language
        return text
    return str(term)


def run(
    store: Store,
    name: str,
    rows: Mapping[str, Sequence[Node | None]] | None = None,
    bindings: Mapping[str, Node] | None = None,
) -> list[Values]:
    """Run one matching query: ``rows`` maps each list variable to its values (one column).

    Values come back as strings: comparing and hashing them is all matching does, and the
    rdflib terms ``Store.select`` makes cost more than the query itself on large results. An
    embedded store hands over its pyoxigraph terms (``select_terms``) for that reason.
    """
    text = query_text(name)
    if rows:
        variables = list(rows)
        text = with_rows(text, variables, zip(*(rows[v] for v in variables), strict=True))
    select_terms = getattr(store, "select_terms", None)
    if select_terms is not None:
        return [
            {k: _from_oxigraph(v) for k, v in row.items()}
            for row in select_terms(text, bindings, dataset="public")
        ]
    return [
        {k: _from_rdflib(v) for k, v in row.items()}
        for row in store.select(text, bindings, dataset="public")
    ]


# ---------------------------------------------------------------- small helpers


def _s(row: Values, key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


def _int(row: Values, key: str) -> int | None:
    value = row.get(key)
    if value is None or str(value) == "":
        return None
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def _lang(row: Values, key: str) -> str:
    value = row.get(key)
    return (getattr(value, "language", None) or "") if value is not None else ""


Props = dict[str, dict[str, tuple[Value, ...]]]  # resource -> property local name -> values


def _get(props: Props, resource: object, key: str) -> Sequence[Value]:
    return props.get(str(resource), {}).get(key, [])


def _first(facts: Mapping[str, Sequence[Value]], key: str) -> str | None:
    values = facts.get(key, ())
    return str(values[0]) if values else None


def _objects(props: Props, resources: Iterable[str], *keys: str) -> set[str]:
    return {str(o) for r in resources for k in keys for o in _get(props, r, k)}


def _int_of(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _codes_of(languages: Iterable[Value]) -> set[str]:
    return {str(lang).rsplit("/", 1)[-1] for lang in languages}


def _label(props: Props, resource: str, key: str = "label") -> str:
    """The English (or untagged) label of a resource already read, else its slug."""
    labels = _get(props, resource, key)
    for wanted in ("en", None, ""):
        for label in labels:
            if (getattr(label, "language", None) or None) == (wanted or None):
                return str(label)
    return str(labels[0]) if labels else resource.rsplit("/", 1)[-1]


def short_number(n: int) -> str:
    """300000 -> '300k', 1200000 -> '1.2M', 9500 -> '9.5k'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if n >= 10_000:
        return f"{round(n / 1000)}k"
    if n >= 1000:
        return f"{n / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    return str(n)


def language_name(code: str) -> str:
    lang = pycountry.languages.get(alpha_2=code)
    return lang.name if lang else code


def _period(start: str | None, end: str | None) -> str:
    if start and end and start != end:
        return f"{start}–{end}"
    if start and end:
        return start
    if start:
        return f"since {start}"
    return ""


def size_similarity(a: int | None, b: int | None) -> float:
    """1 within a factor of 3, 0.4 within a factor of 10, else 0 (and 0 when unknown)."""
    if not a or not b:
        return 0.0
    ratio = min(a, b) / max(a, b)
    return 1.0 if ratio >= 1 / 3 else 0.4 if ratio >= 0.1 else 0.0


def _add_facts(facts: dict[str, Any], row: Values) -> None:
    """One row of theme_holders or solution_facts into a holder's facts (Holder's fields)."""
    facts["rank"] = max(facts.get("rank", 0), _int_of(row.get("rank")) or 0)
    facts["events"] = max(facts.get("events", 0), _int_of(row.get("events")) or 0)
    if "country" in row and row["country"] not in facts.setdefault("countries", ()):
        facts["countries"] += (row["country"],)
    facts["population"] = facts.get("population") or _int_of(row.get("population"))
    for flag in ("outcomes", "uncertain", "offered", "organised"):
        facts[flag] = facts.get(flag, False) or row.get(flag) == "true"


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


def _shortlist_size(kind: str, kinds: Sequence[str], limit: int) -> int:
    """How many of a kind the pre-ranking keeps (SHORTLIST_SIZE, AGENTS_SIZE)."""
    if kind not in AGENT_KINDS:
        return max(SHORTLIST_SIZE[0] * limit, SHORTLIST_SIZE[1])
    shared = max(1, sum(k in kinds for k in AGENT_KINDS))
    return max(AGENTS_SIZE[0] * limit, AGENTS_SIZE[1]) // shared


def _solution_tables(candidates: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The solutions tables the candidates share (one per retrieval), each once: walking
    them once per candidate made ranking quadratic in the number of candidates."""
    tables = {id(t): t for c in candidates.values() if (t := c.facts.get("solutions"))}
    return list(tables.values())


def _country_info(props: Props, country: str) -> CountryInfo:
    region = _first(props.get(country, {}), "region")
    return CountryInfo(
        label=_label(props, country),
        region=region,
        region_label=_label(props, region, "prefLabel") if region else None,
        languages=_codes_of(_get(props, country, "language")),
    )


# ---------------------------------------------------------------- internal state of one match


@dataclass
class QueryTheme:
    iri: str
    weight: float
    source: str  # theme | need | text | offer
    terms: list[str] = field(default_factory=list)


@dataclass
class Place:
    """The asking side: who needs the know-how, where, how big, in which languages."""

    city: str | None = None
    city_label: str | None = None
    city_source: str | None = None
    country: str | None = None
    population: int | None = None
    population_source: str | None = None


@dataclass
class CountryInfo:
    label: str | None = None
    region: str | None = None
    region_label: str | None = None
    languages: set[str] = field(default_factory=set)


@dataclass
class Candidate:
    iri: str
    kind: str
    labels: dict[str, str] = field(default_factory=dict)
    links: set[tuple[str, str, str]] = field(default_factory=set)  # (queryTheme, rel, theme)
    city: str | None = None
    city_label: str | None = None
    population: int | None = None
    country: str | None = None
    languages: set[str] = field(default_factory=set)
    facts: dict[str, Any] = field(default_factory=dict)
    via: dict[str, dict[str, Any]] = field(default_factory=dict)  # via IRI -> how, label, ...

    def label(self, langs: Sequence[str]) -> str:
        for lang in (*langs, "en", ""):
            if lang in self.labels:
                return self.labels[lang]
        return next(iter(self.labels.values()), self.iri.rsplit("/", 1)[-1])


class Holder(NamedTuple):
    """What the pre-ranking knows of a theme holder (theme_holders.rq). Tuples throughout: the
    cache holds thousands, which the garbage collector then need not walk."""

    kind: str  # Solution | Offer | Event | Practitioner | Need
    rank: int  # status rank, solutions
    outcomes: bool
    events: int  # 0, 1, 2 for two or more
    uncertain: bool
    offered: bool
    organised: bool  # an event with an organising institution
    countries: tuple[str, ...]
    population: int | None  # of its city
    agents: tuple[tuple[str, str], ...] = ()  # (kind, IRI) behind it
    based_on: tuple[str, ...] = ()  # an offer's solutions


@dataclass
class StoreCache:
    """What matching has read of one store version: theme holders and their pre-ranking
    facts, solution texts, resources' properties, offers. Reads are per resource, so any
    match can use what another read. Kept while an embedded store counts no write
    (``generation``); for a store that cannot tell, a new one serves each match. Values are
    strings, numbers and tuples of them, which the garbage collector stops tracking."""

    generation: object = None
    postings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # theme -> holders
    holders: dict[str, Holder] = field(default_factory=dict)
    based_on: dict[str, Holder] = field(default_factory=dict)  # offers' other solutions
    proofs: dict[str, float] = field(default_factory=dict)  # Matcher._proof_of
    places: dict[str, tuple[tuple[str, ...], int | None]] = field(default_factory=dict)  # agents'
    behind: dict[str, tuple[tuple[str, str, str, str], ...]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    props: Props = field(default_factory=dict)
    offers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def trim(self) -> None:
        """Start afresh past CACHE_ITEMS things (a bound on memory, not an LRU)."""
        tables = (self.postings, self.holders, self.based_on, self.proofs, self.places)
        tables += (self.behind, self.texts, self.props, self.offers)
        if sum(map(len, tables)) > CACHE_ITEMS:
            for table in tables:
                table.clear()


@dataclass
class Job:
    """The state of one match (a Matcher is shared between threads, so it keeps none)."""

    query_themes: dict[str, QueryTheme]
    place: Place
    langs: list[str]
    terms: dict[str, str] = field(default_factory=dict)  # stem -> word as written
    countries: dict[str, CountryInfo] = field(default_factory=dict)
    label_langs: list[str] = field(default_factory=list)  # for labels, when not ``langs``
    cache: StoreCache = field(default_factory=StoreCache)


# ---------------------------------------------------------------- the matcher


class Matcher:
    """Matches needs against one store. Keep one per store: it caches the reference data (theme
    labels, countries with their regions and languages), read again when an embedded store
    counts a write (``generation``); a remote store's is read once per Matcher."""

    def __init__(self, store: Store, weights: Weights = DEFAULT_WEIGHTS):
        self.store = store
        self.base = store.base_iri
        self.weights = weights
        self._vocabulary: text_analysis.ThemeVocabulary | None = None
        self._country_table: dict[str, CountryInfo] | None = None
        self._generation = getattr(store, "generation", None)
        self._cache = StoreCache(self._generation)

    def _check_generation(self) -> None:
        generation = getattr(self.store, "generation", None)
        if generation != self._generation:
            self._vocabulary, self._country_table = None, None
            self._generation = generation

    def _store_cache(self) -> StoreCache:
        """The cache of the store's current version; a fresh one when the store does not
        count its writes (a remote store may change at any time)."""
        generation = getattr(self.store, "generation", None)
        if generation is None:
            return StoreCache()
        if self._cache.generation != generation:
            self._cache = StoreCache(generation)
        return self._cache

    @property
    def vocabulary(self) -> text_analysis.ThemeVocabulary:
        self._check_generation()
        if self._vocabulary is None:
            labels, top = [], set()
            for row in run(self.store, "list_theme_labels"):
                label = row["label"]
                labels.append(
                    text_analysis.ThemeLabel(
                        str(row["theme"]),
                        str(label),
                        getattr(label, "language", None) or "",
                        str(row.get("preferred")) == "true",
                    )
                )
                if str(row.get("top")) == "true":
                    top.add(str(row["theme"]))
            self._vocabulary = text_analysis.ThemeVocabulary(labels, top)
        return self._vocabulary

    @property
    def country_table(self) -> dict[str, CountryInfo]:
        """Label, region and official languages of every country in the store."""
        self._check_generation()
        if self._country_table is None:
            props: Props = {}
            countries = {r["country"] for r in run(self.store, "list_countries")}
            once = StoreCache()
            self._fetch(props, countries, once)
            self._fetch(props, _objects(props, countries, "region"), once)
            self._country_table = {c: _country_info(props, c) for c in countries}
        return self._country_table

    def warm_up(self) -> None:
        """Load what the first match would otherwise load: the theme labels and countries,
        the GeoNames name index (about 0.5-3 s) and the country names."""
        self.vocabulary  # noqa: B018
        self.country_table  # noqa: B018
        geonames.candidates("Köln")
        text_analysis.find_countries(text_analysis.tokenize("Jordan"))

    def themes(self, langs: Sequence[str] = ("en",)) -> list[tuple[str, str, str]]:
        """(IRI, slug, label) of every theme, by label: for forms."""
        vocab = self.vocabulary
        out = [(t, t.rsplit("/", 1)[-1], vocab.label(t, langs)) for t in vocab.themes]
        return sorted(out, key=lambda x: x[2].casefold())

    # ------------------------------------------------------------ validation

    def _validate(self, req: MatchRequest) -> MatchRequest:
        text = (req.text or "").strip()
        if len(text) > 5000:
            raise MatchError("text", "the need text is too long: at most 5,000 characters")
        kinds = tuple(dict.fromkeys(k.strip().lower() for k in req.kinds if k.strip()))
        for k in kinds:
            if k not in KINDS and not (req.offer and k == "need"):
                raise MatchError("kind", f"unknown kind {k!r}: use {', '.join(KINDS)}")
        langs = tuple(dict.fromkeys(c.strip().lower() for c in req.langs if c.strip()))
        for code in langs:
            if not re.fullmatch(r"[a-z]{2}", code) or pycountry.languages.get(alpha_2=code) is None:
                raise MatchError("lang", f"unknown language {code!r}: use ISO 639-1 codes (de)")
        if not isinstance(req.limit, int) or not 1 <= req.limit <= MAX_LIMIT:
            raise MatchError("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
        if req.need and req.offer:
            raise MatchError("offer", "give a need or an offer, not both")
        if not (text or req.theme or req.need or req.offer):
            raise MatchError("text", "describe the need (text), or give a theme, need or offer")
        return MatchRequest(
            text=text,
            theme=(req.theme or "").strip() or None,
            city=(req.city or "").strip() or None,
            langs=langs,
            kinds=kinds or KINDS,
            limit=req.limit,
            need=(req.need or "").strip() or None,
            offer=(req.offer or "").strip() or None,
        )

    def _thing(self, param: str, value: str, kind: str) -> URIRef:
        """An IRI of ours of the given kind, from an IRI or a slug."""
        if "/" not in value:
            try:
                return iris.thing(kind, value, self.base)
            except ValueError as e:
                raise MatchError(param, f"{param} {value!r} is not a {kind} IRI or slug") from e
        parts = iris.split(value, self.base)
        if parts is None or parts[0] != kind:
            raise MatchError(param, f"{value!r} is not a {kind} IRI ({self.base}id/{kind}/…)")
        return URIRef(value)

    # ------------------------------------------------------------ the asking city

    def resolve_city(self, value: str) -> Place:
        """The asking city from an IRI, a GeoNames id, a curated slug or a name."""
        value = value.strip()
        candidates: list[str] = []
        if value.startswith(("http://", "https://")):
            parts = iris.split(value, self.base)
            if parts is None or parts[0] != "city":
                raise MatchError("city", f"{value!r} is not a city IRI ({self.base}id/city/…)")
            candidates.append(value)
        elif value.isdigit():
            candidates.append(f"{self.base}id/city/{value}")
        elif iris.SLUG_RE.match(value) and "-" in value:
            candidates.append(f"{self.base}id/city/{value}")
        for iri in candidates:
            place = self._city_place(iri)
            if place is not None:
                return place
        if value.startswith(("http://", "https://")) or value.isdigit():
            raise MatchError("city", f"unknown city {value!r}")
        name, _, country = value.partition(",")
        gid = geonames.resolve_city(name.strip(), country.strip() or None)
        if gid is None:
            raise MatchError(
                "city",
                f"no city called {name.strip()!r} among the GeoNames cities: check the "
                "spelling, or give a GeoNames id or city IRI",
            )
        place = self._city_place(f"{self.base}id/city/{gid}")
        if place is None:  # pragma: no cover - geonames ids always resolve
            raise MatchError("city", f"unknown city {value!r}")
        return place

    def _city_place(self, iri: str) -> Place | None:
        rows = run(self.store, "get_city_context", bindings={"city": URIRef(iri)})
        if rows:
            label = next((str(r["label"]) for r in rows if _lang(r, "label") in ("", "en")), None)
            row = rows[0]
            return Place(
                city=iri,
                city_label=label or str(row["label"]),
                country=_s(row, "country"),
                population=_int(row, "population"),
                population_source="city" if row.get("population") is not None else None,
            )
        # Not in this store (the demo store holds only the cities it links to): GeoNames knows.
        slug = iri.rsplit("/", 1)[-1]
        if slug.isdigit() and geonames.is_known(int(slug)):
            rec = geonames.city_record(int(slug))
            return Place(
                city=iri,
                city_label=rec["name"],
                country=f"{self.base}id/country/{rec['countrycode'].lower()}",
                population=int(rec["population"]),
                population_source="city",
            )
        return None

    # ------------------------------------------------------------ entry point

    def match(self, request: MatchRequest) -> MatchResponse:
        req = self._validate(request)
        vocab = self.vocabulary
        echo: dict[str, Any] = {"text": req.text, "kinds": list(req.kinds), "limit": req.limit}
        query_themes: dict[str, QueryTheme] = {}
        place = Place()
        text = req.text

        if req.offer:
            return self._match_offer(req, echo)
        if req.need:
            need = self._need(req.need)
            echo["need"] = req.need
            for theme in need["themes"]:
                query_themes[theme] = QueryTheme(theme, 1.0, "need")
            if need["city"]:
                place = self._city_place(need["city"]) or Place(city=need["city"])
                place.city_source = "need"
            if need["country"] and not place.country:
                place.country = need["country"]
            # "Amman seeks know-how: Community plan for ..." -> the words after the colon.
            text = " ".join(filter(None, [text, need["label"].partition(":")[2] or need["label"]]))
        if req.theme:
            iri = vocab.resolve(req.theme, self.base)
            if iri is None:
                raise MatchError("theme", f"unknown theme {req.theme!r}: give a theme slug or IRI")
            query_themes[iri] = QueryTheme(iri, 1.0, "theme")
        if req.city:
            place = self.resolve_city(req.city)
            place.city_source = "parameter"

        analysis = text_analysis.analyse(text, vocab, req.langs[0] if req.langs else "en")
        self._add_text_themes(analysis, query_themes)
        if not place.city and analysis.cities:
            found = self._city_place(f"{self.base}id/city/{analysis.cities[0].value}")
            if found is not None:
                place = found
                place.city_source = "text"
        if not place.country and analysis.countries:
            place.country = f"{self.base}id/country/{analysis.countries[0].value.lower()}"
        if analysis.population:
            place.population, place.population_source = analysis.population, "text"
        langs = list(req.langs) or ([analysis.language] if text else [])

        job = Job(query_themes, place, langs, dict(analysis.terms), cache=self._store_cache())
        results, excluded, complete = self._retrieve_and_rank(job, req)
        if not complete and self._words_may_rank(results, job, req):
            # A solution that shares only words with the need might rank: look for the
            # words in every solution, as a small store always does.
            results, excluded, _ = self._retrieve_and_rank(job, req, scan_words=True)
        echo.update(self._echo(analysis, job, excluded))
        return MatchResponse(results, echo)

    def _retrieve_and_rank(
        self, job: Job, req: MatchRequest, scan_words: bool = False
    ) -> tuple[list[MatchResult], int, bool]:
        props: Props = {}
        candidates, complete = self._retrieve(job, req.kinds, req.limit, props, scan_words)
        job.countries = self._place_countries(candidates, job.place, props)
        results, excluded = self._rank(candidates, job, req.limit)
        return results, excluded, complete

    def _words_may_rank(self, results: Sequence[MatchResult], job: Job, req: MatchRequest) -> bool:
        """Whether a solution that carries none of the need's themes could enter the results.

        Its theme fit is at most ``words`` (the share of the need's words), and with the
        relevance gate its score at most that fit times the sum of the weights. Once every
        result scores above that, the word search over every solution cannot change them.
        """
        w = self.weights
        if not (job.terms and job.query_themes and "solution" in req.kinds):
            return False
        if not w.relevance_gate or len(results) < req.limit:
            return True
        bound = w.words * (w.theme + w.proof + w.context + w.reach)
        return min(r.score for r in results) <= bound

    # ------------------------------------------------------------ themes of the need

    def _add_text_themes(
        self, analysis: text_analysis.Analysis, query_themes: dict[str, QueryTheme]
    ) -> None:
        hits = analysis.themes
        if not hits:
            return
        strongest = max(h.strength for h in hits)
        for hit in hits[:5]:
            weight = hit.strength / strongest
            if hit.theme in self.vocabulary.top_concepts:
                weight *= self.weights.top_concept
            if weight < 0.25:
                continue
            if hit.theme in query_themes:
                query_themes[hit.theme].terms.extend(hit.terms)
                continue
            query_themes[hit.theme] = QueryTheme(hit.theme, round(weight, 3), "text", hit.terms)

    def _need(self, value: str) -> dict[str, Any]:
        iri = self._thing("need", value, "need")
        rows = run(self.store, "get_need", bindings={"need": iri})
        if not rows:
            raise MatchError("need", f"no need {str(iri)!r} in the store")
        label = next((str(r["label"]) for r in rows if _lang(r, "label") == "en"), "")
        return {
            "label": label or str(rows[0]["label"]),
            "themes": sorted({str(r["theme"]) for r in rows}),
            "city": _s(rows[0], "city"),
            "country": _s(rows[0], "country"),
        }

    # ------------------------------------------------------------ retrieval (SPARQL)

    def _expand(self, query_themes: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
        """theme -> {(query theme, relation)} for every theme that fits a query theme."""
        rows = run(
            self.store, "expand_themes", rows={"queryTheme": [URIRef(t) for t in query_themes]}
        )
        out: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for r in rows:
            out[str(r["theme"])].add((str(r["queryTheme"]), str(r["rel"])))
        return out

    def _retrieve(
        self,
        job: Job,
        kinds: Sequence[str],
        limit: int,
        props: Props,
        scan_words: bool = False,
    ) -> tuple[dict[str, Candidate], bool]:
        """Candidates of the wanted kinds, with their links to the need's themes and the
        facts the ranking weighs, and whether every theme holder was looked at. Solutions
        are always looked at: the other kinds borrow their proof and their words from the
        solutions behind them. ``scan_words``: find the need's words in every solution."""
        query_themes, terms, cache = job.query_themes, list(job.terms), job.cache
        expanded = self._expand(query_themes) if query_themes else {}
        candidates: dict[str, Candidate] = {}
        solutions: dict[str, Candidate] = {}

        holders, agents, complete = self._holders(expanded, job, kinds, limit)

        def get(iri: str, kind: str) -> Candidate | None:
            if kind != "solution" and kind not in kinds:
                return None
            if agents is not None and kind in AGENT_KINDS and (kind, iri) not in agents:
                # Not shortlisted: it came along with a holder, and would be scored on part
                # of what it stands behind.
                return None
            table = solutions if kind == "solution" else candidates
            if iri not in table:
                table[iri] = Candidate(iri, kind)
            return table[iri]

        found: dict[str, set[str]] = {}
        if terms and (complete or scan_words):
            term_rows = {"term": [Literal(t) for t in terms]}
            for row in run(self.store, "match_solution_terms", rows=term_rows):
                found.setdefault(row["candidate"], set()).add(row["term"])
        # Hop 1: who stands behind each theme holder; the facts of the solutions.
        self._fetch(props, [*holders, *found], cache)
        for x, types in holders.items():
            facts = props.get(x, {})
            themes = {*facts.get("theme", ()), *facts.get("expertIn", ())}
            links = {(q, rel, t) for t in themes for q, rel in expanded.get(t, ())}
            self._add_holder(x, types, facts, links, get)
        for iri in found:
            get(iri, "solution")
        # Hop 2: the offers, the agents' own facts, solutions known only through offers. Only
        # the offers of solutions and practitioners count (institutions and cities score by
        # the offers among their theme holders).
        offers = self._offers_of(
            [*solutions, *(c.iri for c in candidates.values() if c.kind == "practitioner")], cache
        )
        all_offers = {o for found_offers in offers.values() for o in found_offers}
        self._fetch(props, [*candidates, *solutions, *all_offers], cache)
        if terms and not (complete or scan_words):
            # Without the word search over every solution, the words of those looked at.
            found = self._words_in(list(solutions), terms, cache)
        for iri, stems in found.items():
            if stems and iri in solutions:
                solutions[iri].facts["terms"] = stems
        # Hop 3: statuses, events and cities of solutions; offerers; the agents' cities and
        # institutions.
        self._fetch(
            props,
            [
                *_objects(props, solutions, "status", "presentedAt", "city"),
                *_objects(props, all_offers, "offeredBy"),
                *_objects(props, candidates, "city", "memberOf"),
            ],
            cache,
        )
        for sol in solutions.values():
            self._solution_facts(sol, props, offers.get(sol.iri, set()))
        for cand in candidates.values():
            self._agent_facts(cand, props, offers.get(cand.iri, set()))
            cand.facts["solutions"] = solutions
        if "solution" in kinds:
            candidates.update(solutions)
        return candidates, complete

    # ------------------------------------------------------------ which theme holders

    def _holders(
        self,
        expanded: Mapping[str, set[tuple[str, str]]],
        job: Job,
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
        cache = job.cache
        values = self._theme_values(expanded, job.query_themes)
        strong = {
            t for t, rows in values.items() if max((r[2] for r in rows), default=0) >= self._strong
        }
        self._fill_themes(strong, cache)
        use = strong
        if sum(len(cache.postings[t]) for t in strong) < SHORTLIST_FROM:
            use = set(values)
            self._fill_themes(use, cache)
            if sum(len(cache.postings[t]) for t in use) <= EXHAUSTIVE_UP_TO:
                holders: dict[str, set[str]] = {}
                for t in use:
                    for x in cache.postings[t]:
                        holders.setdefault(x, set()).add(cache.holders[x].kind)
                return holders, None, True
        return (*self._shortlist(use, values, expanded, job, kinds, limit), False)

    @property
    def _strong(self) -> float:
        """Relations from 'narrower' up make the strong tier of themes."""
        return min(self.weights.exact, self.weights.narrower)

    def _theme_values(
        self,
        expanded: Mapping[str, set[tuple[str, str]]],
        query_themes: Mapping[str, QueryTheme],
    ) -> dict[str, list[tuple[str, float, float]]]:
        """theme -> [(need theme, what the theme adds to the fit, relation weight)], the best
        relation per need theme, weighed as ``_theme_fit`` does."""
        w = self.weights
        factor = {"exact": w.exact, "narrower": w.narrower, "broader": w.broader}
        factor["related"] = w.related
        total = sum(qt.weight for qt in query_themes.values()) or 1.0
        out: dict[str, list[tuple[str, float, float]]] = {}
        for theme, links in expanded.items():
            best: dict[str, float] = {}
            for q, rel in links:
                value = factor.get(rel, 0.0)
                if rel == "broader" and theme in self.vocabulary.top_concepts:
                    value *= w.top_concept
                if q in query_themes and value > best.get(q, -1.0):
                    best[q] = value
            out[theme] = [(q, query_themes[q].weight * v / total, v) for q, v in best.items()]
        return out

    def _fill_themes(self, themes: Iterable[str], cache: StoreCache) -> None:
        """Read the holders of the themes not read yet, with their pre-ranking facts and the
        agents behind them."""
        missing = sorted(t for t in themes if t not in cache.postings)
        if not missing:
            return
        theme_rows = {"theme": [URIRef(t) for t in missing]}
        postings: dict[str, dict[str, None]] = {t: {} for t in missing}
        facts: dict[str, dict[str, Any]] = {}  # the holders not kept yet
        for row in run(self.store, "list_theme_holders", rows=theme_rows):
            x = row["x"]
            postings[row["theme"]][x] = None
            if x not in cache.holders:
                _add_facts(facts.setdefault(x, {"kind": SHORTLIST_KINDS[row["kind"]]}), row)
        for row in run(self.store, "list_theme_holder_agents", rows=theme_rows):
            f, role, agent = facts.get(row["x"]), ROLE_CODES[row["role"]], row["agent"]
            if f is None:
                continue
            if role == "basedOn" and f["kind"] == "Offer":
                f.setdefault("based_on", {})[agent] = None
            elif role in AGENT_ROLES.get(f["kind"], ()):
                kind = AGENT_ROLES[f["kind"]][role] or (iris.split(agent, self.base) or ("",))[0]
                f.setdefault("agents", {})[(kind, agent)] = None
        # The solutions offers are based on back the offerers' proof. Kept apart: the agents
        # behind them are read only when they carry a theme asked for.
        based_on = {s for f in facts.values() for s in f.get("based_on", ())}
        unread = sorted(based_on - facts.keys() - cache.holders.keys() - cache.based_on.keys())
        if unread:
            solutions: dict[str, dict[str, Any]] = {}
            rows = {"x": [URIRef(x) for x in unread]}
            for row in run(self.store, "get_solution_facts", rows=rows):
                _add_facts(solutions.setdefault(row["x"], {"kind": "Solution"}), row)
            cache.based_on.update((x, _holder(f)) for x, f in solutions.items())
        # The holders before the postings: another thread may read them.
        cache.holders.update((x, _holder(f)) for x, f in facts.items())
        for t, found in postings.items():
            cache.postings[t] = tuple(found)
        cache.trim()
        if len(facts) >= 1000:
            # So many new long-lived objects would bring the garbage collector's next full
            # pass (tens of milliseconds) onto a later match: this slow one takes it.
            gc.collect()

    def _shortlist(
        self,
        themes: set[str],
        values: Mapping[str, list[tuple[str, float, float]]],
        expanded: Mapping[str, set[tuple[str, str]]],
        job: Job,
        kinds: Sequence[str],
        limit: int,
    ) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
        """The theme holders to score in full: the solutions (and needs) most likely to rank,
        by the facts kept for the holders of ``themes``, and everything behind the
        institutions, cities and practitioners most likely to rank, which are returned too
        (``SHORTLIST_SIZE``, ``AGENTS_SIZE``). The estimates follow ``_score``: theme fit and
        the need's words, proof, context, reach; an agent is weighed by all its holders."""
        w, cache, terms = self.weights, job.cache, list(job.terms)
        holders = cache.holders
        wanted = {k for kind in kinds for k in HOLDER_KINDS.get(kind, ())}
        best = self._holder_fits(themes, values, cache, wanted)
        share: dict[str, float] = {}  # the need's words found: solutions, offers' solutions
        if terms:
            offers = [x for x in best if holders[x].kind == "Offer"]
            solutions = [x for x in best if holders[x].kind == "Solution"]
            solutions += [s for x in offers for s in holders[x].based_on]
            for x, found in self._words_in(solutions, terms, cache).items():
                share[x] = min(1.0, len(found) / min(len(terms), 4))
            for x in offers:
                share[x] = max((share.get(s, 0.0) for s in holders[x].based_on), default=0.0)

        def theme(fits: Mapping[str, float], found: float) -> float:
            fit = min(1.0, sum(fits.values()))
            return (1 - w.words) * fit + w.words * found if terms else fit

        context = self._context_of(job.place)
        out: dict[str, set[str]] = {}
        for kind in ("Solution", "Need"):
            ranked = []
            for x, fits in best.items():
                h = holders[x]
                if h.kind == kind:
                    strength = w.theme + w.proof * self._proof_of(x, cache)
                    strength += w.context * context(h.countries, h.population)
                    strength += w.reach * w.offered * (h.offered and kind == "Solution")
                    ranked.append((-round(theme(fits, share.get(x, 0.0)) * strength, 9), x))
            for _, x in heapq.nsmallest(_shortlist_size(kind, kinds, limit), ranked):
                out[x] = {kind}
        chosen = self._best_agents(best, share, theme, context, job, kinds, limit)
        # A shortlisted agent is scored with everything it stands behind on the need's
        # themes (the weaker ones too), as the full retrieval scores it.
        behind = self._agent_holders([iri for _, iri in chosen], cache)
        for kind, iri in chosen:
            if kind == "practitioner":
                out.setdefault(iri, set()).add("Practitioner")
            for x, role, cls, theme_iri in behind.get(iri, ()):
                if theme_iri in expanded and role in AGENT_ROLES.get(cls, ()):
                    out.setdefault(x, set()).add(cls)
        return out, set(chosen)

    @staticmethod
    def _holder_fits(
        themes: Iterable[str],
        values: Mapping[str, list[tuple[str, float, float]]],
        cache: StoreCache,
        wanted: set[str],
    ) -> dict[str, dict[str, float]]:
        """holder -> need theme -> the best value its themes give it (of ``_theme_values``)."""
        holders = cache.holders
        best: dict[str, dict[str, float]] = {}
        for t in themes:
            rows = values[t]
            for x in cache.postings[t]:
                h = holders[x]
                if h.kind not in wanted or (h.kind == "Event" and not h.organised):
                    continue  # an event without an organiser proposes nobody
                fits = best.get(x)
                if fits is None:
                    fits = best[x] = {}
                for q, value, _ in rows:
                    if value > fits.get(q, 0.0):
                        fits[q] = value
        return best

    def _best_agents(
        self,
        best: Mapping[str, Mapping[str, float]],
        share: Mapping[str, float],
        theme: Callable[[Mapping[str, float], float], float],
        context: Callable[[Iterable[str], int | None], float],
        job: Job,
        kinds: Sequence[str],
        limit: int,
    ) -> list[tuple[str, str]]:
        """The (kind, IRI) of the institutions, cities and practitioners behind the holders
        with the best estimates (``SHORTLIST_SIZE`` of each kind): the union of their holders'
        theme fits, their holders' most words and best proof, their own place, reach;
        derived as ``_score`` derives them."""
        w, cache = self.weights, job.cache
        holders, table, langs = cache.holders, self.country_table, set(job.langs)
        # The best of each agent's holders: its theme fits (their union), words, proof,
        # offers, own holders (offers, events). One dict per fact rather than a record per
        # agent: thousands of records outlive the young collections and are then walked by
        # every full collection of the garbage collector.
        fits_of: dict[tuple[str, str], dict[str, float]] = {}
        found_of: dict[tuple[str, str], float] = {}
        proof_of: dict[tuple[str, str], float] = {}
        offered_of: set[tuple[str, str]] = set()
        own_of: set[tuple[str, str]] = set()
        wanted, practitioners = set(kinds), "practitioner" in kinds
        for x, fits in best.items():
            h = holders[x]
            found, proof, items = share.get(x, 0.0), self._proof_of(x, cache), fits.items()
            own = h.kind != "Solution"
            offered = h.kind == "Offer" or (h.kind == "Practitioner" and h.offered)
            agents = h.agents
            if practitioners and h.kind == "Practitioner":
                agents = (*agents, ("practitioner", x))
            for agent in agents:
                if agent[0] not in wanted:
                    continue
                merged = fits_of.get(agent)
                if merged is None:
                    fits_of[agent] = dict(fits)
                    found_of[agent], proof_of[agent] = found, proof
                else:
                    for q, value in items:
                        if value > merged.get(q, 0.0):
                            merged[q] = value
                    found_of[agent] = max(found, found_of[agent])
                    proof_of[agent] = max(proof, proof_of[agent])
                # A city's know-how is on offer when a solution of it is offered.
                if (h.offered and not own) if agent[0] == "city" else offered:
                    offered_of.add(agent)
                if own or agent[0] == "practitioner":
                    own_of.add(agent)
        # Estimates in the order of an upper bound (any context, full reach), so that only
        # the agents that can still enter the best of their kind are placed (hot loop).
        top = w.context * (max(w.same_country, w.same_region + w.shared_language) + w.similar_size)
        agents = list(fits_of)
        fit_of, base_of, bounds = [], [], []  # by position in agents
        for agent in agents:
            fit = theme(fits_of[agent], found_of[agent])
            if agent not in own_of:
                fit *= w.derived
            base = w.theme + w.proof * proof_of[agent]
            fit_of.append(fit)
            base_of.append(base)
            bounds.append(fit * (base + top + w.reach))
        sizes = {kind: _shortlist_size(kind, kinds, limit) for kind in AGENT_KINDS}
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
            self._agent_places(
                [agents[i][1] for i in batch if agents[i][0] != "practitioner"], cache
            )
            for i in batch:
                if not may_enter(i):
                    continue
                agent, fit, base = agents[i], fit_of[i], base_of[i]
                kind, floor = agent[0], floors[agent[0]]
                where = cache.places.get(agent[1])
                if kind == "practitioner" or where is None:  # a practitioner: its own holder
                    h = holders.get(agent[1])
                    where = (h.countries, h.population) if h else ((), None)
                # Reach as _score weighs it. Whether an institution or practitioner speaks a
                # language of the asking side is not known yet: assumed when there are any.
                offered = agent in offered_of
                if kind == "city":
                    spoken = {c for co in where[0] if co in table for c in table[co].languages}
                    reach = w.offered + w.speaks * bool(spoken & langs) if offered else 0.0
                else:
                    reach = w.offered if offered else w.offered / 2 * (kind == "practitioner")
                    reach += w.speaks * bool(langs)
                # Rounded: the order of a sum must not break ties.
                estimate = round(fit * (base + w.context * context(*where) + w.reach * reach), 9)
                placed[kind].append((-estimate, agent))
                if len(floor) < sizes[kind]:
                    heapq.heappush(floor, estimate)
                elif estimate > floor[0]:
                    heapq.heapreplace(floor, estimate)
        return [
            agent for k, ranked in placed.items() for _, agent in heapq.nsmallest(sizes[k], ranked)
        ]

    def _proof_of(self, x: str, cache: StoreCache) -> float:
        """The proof a holder brings by its kept facts: a solution's own (outcomes counted as
        measured), an offer's from the solutions it is based on, an event's one event of
        evidence."""
        proof = cache.proofs.get(x)
        if proof is None:
            w, h = self.weights, cache.holders.get(x) or cache.based_on.get(x)
            proof = 0.0
            if h is None:
                pass
            elif h.kind == "Solution":
                proof = w.status * max(0, h.rank - 1) / 3 + w.outcomes * h.outcomes
                proof += w.evidence * h.events / 2
                proof *= w.uncertain if h.uncertain else 1.0
            elif h.kind == "Offer":
                proof = max((self._proof_of(s, cache) for s in h.based_on), default=0.0)
            elif h.kind == "Event":
                proof = w.evidence * 0.5
            cache.proofs[x] = proof
        return proof

    def _context_of(self, place: Place) -> Callable[[Iterable[str], int | None], float]:
        """The context score ``_score`` gives a thing in some countries with a city of some
        size, for the asking side (same country or region, similar size, shared language)."""
        w, table = self.weights, self.country_table
        ask = table.get(place.country or "")
        by_country: dict[str, float] = {}

        def of_country(country: str) -> float:
            if country not in by_country:
                info, value = table.get(country), 0.0
                if place.country and country == place.country:
                    value = w.same_country
                elif place.country and info and ask and info.region and info.region == ask.region:
                    value = w.same_region
                if ask and info and country != place.country and info.languages & ask.languages:
                    value += w.shared_language
                by_country[country] = value
            return by_country[country]

        by_size: dict[int | None, float] = {}

        def context(countries: Iterable[str], population: int | None) -> float:
            size = by_size.get(population)
            if size is None:
                size = by_size[population] = w.similar_size * size_similarity(
                    population, place.population
                )
            return max(map(of_country, countries), default=0.0) + size

        return context

    def _agent_places(self, agents: Iterable[str], cache: StoreCache) -> None:
        """Read where the agents not read yet are (agent_places)."""
        missing = sorted({a for a in agents if a not in cache.places})
        if not missing:
            return
        places: dict[str, tuple[tuple[str, ...], int | None]] = {a: ((), None) for a in missing}
        rows = {"agent": [URIRef(a) for a in missing]}
        for row in run(self.store, "list_agent_places", rows=rows):
            countries, population = places[row["agent"]]
            if "country" in row and row["country"] not in countries:
                countries += (row["country"],)
            places[row["agent"]] = (countries, population or _int_of(row.get("population")))
        cache.places.update(places)
        cache.trim()

    def _agent_holders(
        self, agents: Sequence[str], cache: StoreCache
    ) -> dict[str, tuple[tuple[str, str, str, str], ...]]:
        """agent -> (thing, property, class, theme) for all it stands behind (agent_holders)."""
        missing = sorted({a for a in agents if a not in cache.behind})
        if missing:
            found: dict[str, list[tuple[str, str, str, str]]] = {a: [] for a in missing}
            for row in run(
                self.store, "list_agent_holders", rows={"agent": [URIRef(a) for a in missing]}
            ):
                role, cls = row["role"].rsplit("#", 1)[-1], row["type"].rsplit("#", 1)[-1]
                found[row["agent"]].append((row["x"], role, cls, row["theme"]))
            cache.behind.update((a, tuple(rows)) for a, rows in found.items())
            cache.trim()
        return {a: cache.behind.get(a, ()) for a in agents}

    def _words_in(
        self, solutions: Sequence[str], terms: Sequence[str], cache: StoreCache
    ) -> dict[str, set[str]]:
        """solution -> the need's word stems found in its text (title, summary, outcomes,
        lower-cased: the test of match_solution_terms), from texts kept per store version."""
        missing = sorted({s for s in solutions if s not in cache.texts})
        if missing:
            texts: dict[str, list[str]] = {s: [] for s in missing}
            rows = run(self.store, "list_solution_texts", rows={"x": [URIRef(s) for s in missing]})
            for row in rows:
                texts[row["x"]].append(row["text"])
            # One string per solution; the newline keeps a stem from spanning two texts.
            cache.texts.update((s, "\n".join(found)) for s, found in texts.items())
            cache.trim()
        out: dict[str, set[str]] = {}
        for s in solutions:
            text = cache.texts.get(s, "")
            out[s] = {t for t in terms if t in text}
        return out

    def _fetch(self, props: Props, resources: Iterable[str], cache: StoreCache) -> None:
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
        rows = run(
            self.store, "describe_resources", rows={"s": [URIRef(r) for r in sorted(wanted)]}
        )
        for row in rows:
            key = row["p"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            read[row["s"]][key] = (*read[row["s"]].get(key, ()), row["o"])
        props.update(read)
        cache.props.update(read)
        cache.trim()

    def _offers_of(self, targets: Sequence[str], cache: StoreCache) -> dict[str, set[str]]:
        """target (a solution an offer is based on, or an offerer) -> offers."""
        missing = sorted({t for t in targets if t not in cache.offers})
        if missing:
            found: dict[str, dict[str, None]] = {t: {} for t in missing}
            rows = run(self.store, "list_offers", rows={"target": [URIRef(t) for t in missing]})
            for row in rows:
                found[row["target"]][row["offer"]] = None
            cache.offers.update((t, tuple(offers)) for t, offers in found.items())
            cache.trim()
        return {t: set(cache.offers.get(t, ())) for t in targets}

    def _add_holder(
        self,
        x: str,
        types: set[str],
        facts: Mapping[str, Sequence[Value]],
        links: set[tuple[str, str, str]],
        get: Callable[[str, str], Candidate | None],
    ) -> None:
        """Turn one thing that carries a theme into candidates: a solution into itself, the
        institutions behind it, its city and partner cities; an offer into its offerers (the
        solutions it is based on back them); an event into its organisers; a practitioner or
        need into itself."""
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
                kind = (iris.split(agent, self.base) or ("", ""))[0]
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

    def _solution_facts(self, sol: Candidate, props: Props, offers: set[str]) -> None:
        facts = props.get(sol.iri, {})
        self._place_facts(sol, props)
        f = sol.facts
        ranks = [_int_of(o) for s in facts.get("status", ()) for o in _get(props, s, "rank")]
        f["statusRank"] = max((r for r in ranks if r), default=0)
        f["start"] = _first(facts, "periodStart")
        f["end"] = _first(facts, "periodEnd")
        f["uncertain"] = _first(facts, "uncertain") == "true"
        outcomes = [str(o) for o in facts.get("outcome", ())]
        f["nOutcomes"] = len(outcomes)
        f["nMeasured"] = sum(1 for o in outcomes if re.search(r"\d", o))
        events = facts.get("presentedAt", ())
        f["nEvents"] = len(events)
        years = [str(d)[:4] for e in events for d in _get(props, e, "startDate")]
        f["firstEvent"] = min(years, default=None)
        f["nOffers"] = len(offers)
        offerers = {str(b) for o in offers for b in _get(props, o, "offeredBy")}
        f["offerers"] = " | ".join(sorted(_label(props, b) for b in offerers))
        for by in offerers:
            # An offerer's own languages, else its country's (institutions rarely state any).
            sol.languages |= _codes_of(_get(props, by, "language")) or {
                f"country:{c}" for c in map(str, _get(props, by, "country"))
            }

    def _agent_facts(self, cand: Candidate, props: Props, offers: set[str]) -> None:
        facts = props.get(cand.iri, {})
        self._place_facts(cand, props)
        cand.facts["isExample"] = _first(facts, "isExample") == "true"
        members = [_label(props, str(m)) for m in facts.get("memberOf", ())]
        cand.facts["member"] = members[0] if members else None
        cand.facts["nOffers"] = len(offers)
        cand.languages |= _codes_of(facts.get("language", ()))
        if cand.kind == "city":
            cand.city = cand.iri

    @staticmethod
    def _place_facts(cand: Candidate, props: Props) -> None:
        facts = props.get(cand.iri, {})
        for label in facts.get("label", ()):
            cand.labels.setdefault(getattr(label, "language", None) or "", str(label))
        city = _first(facts, "city")
        if city:
            cand.city = city
            cand.city_label = _label(props, city)
            cand.population = _int_of(next(iter(_get(props, city, "population")), None))
        else:
            cand.population = _int_of(next(iter(facts.get("population", ())), None))
        cand.country = _first(facts, "country") or cand.country

    def _place_countries(
        self, candidates: Mapping[str, Candidate], place: Place, props: Props
    ) -> dict[str, CountryInfo]:
        """Countries of the candidates, of the asking side and of the offerers; the
        offerers' "country:IRI" placeholders become that country's languages."""
        everyone = {id(c): c for c in candidates.values()}
        for table in _solution_tables(candidates):
            everyone.update((id(s), s) for s in table.values())
        wanted = {c.country for c in everyone.values() if c.country} | {place.country} - {None}
        wanted |= {
            lang[8:] for c in everyone.values() for lang in c.languages if lang[:8] == "country:"
        }
        countries = self._countries(props, {c for c in wanted if c})
        for cand in everyone.values():
            codes = {lang for lang in cand.languages if not lang.startswith("country:")}
            for lang in cand.languages - codes:
                info = countries.get(lang[8:])
                codes |= info.languages if info else set()
            cand.languages = codes
        return countries

    def _countries(self, props: Props, countries: set[str]) -> dict[str, CountryInfo]:
        """Label, region and official languages of the countries."""
        table = self.country_table
        return {c: table.get(c) or _country_info(props, c) for c in countries}

    # ------------------------------------------------------------ scoring (combine + explain)

    def _rank(
        self, candidates: Mapping[str, Candidate], job: Job, limit: int
    ) -> tuple[list[MatchResult], int]:
        scored: list[tuple[MatchResult, str | None]] = []
        excluded = 0
        city = job.place.city
        if city:
            # The asking city's own solutions back nobody (its partners on them included).
            for solutions in _solution_tables(candidates):
                for iri in [i for i, sol in solutions.items() if sol.city == city]:
                    del solutions[iri]
        for cand in candidates.values():
            if city and (cand.city == city or cand.iri == city):
                excluded += 1  # the asking city does not need to learn from itself
                continue
            result = self._score(cand, job)
            if result is not None:
                scored.append((result, cand.city))
        return self._diversify(scored, limit), excluded

    def _theme_fit(
        self, cand: Candidate, query_themes: Mapping[str, QueryTheme]
    ) -> tuple[float, list[tuple[str, str, str]]]:
        """Weighted share of the need's themes the candidate fits, and the best link of each."""
        w = self.weights
        factor = {"exact": w.exact, "narrower": w.narrower, "broader": w.broader}
        factor["related"] = w.related
        best: dict[str, tuple[float, tuple[str, str, str]]] = {}
        for link in sorted(cand.links):  # sorted: ties do not depend on the order of retrieval
            q, rel, theme = link
            value = factor.get(rel, 0.0)
            if rel == "broader" and theme in self.vocabulary.top_concepts:
                value *= w.top_concept  # "Integrated urban development" says little
            if q in query_themes and value > best.get(q, (-1.0, link))[0]:
                best[q] = (value, link)
        total = sum(qt.weight for qt in query_themes.values())
        if not total:
            return 0.0, []
        fit = sum(query_themes[q].weight * v for q, (v, _) in best.items()) / total
        links = [link for _, (_, link) in sorted(best.items(), key=lambda kv: -kv[1][0])]
        links.sort(key=lambda link: -query_themes[link[0]].weight * factor.get(link[1], 0))
        return fit, links

    def _solution_proof(self, sol: Candidate) -> float:
        w, f = self.weights, sol.facts
        rank = f.get("statusRank") or 0
        status = max(0, rank - 1) / 3
        outcomes = 1.0 if f.get("nMeasured") else 0.5 if f.get("nOutcomes") else 0.0
        evidence = min(1.0, (f.get("nEvents") or 0) / 2)
        proof = w.status * status + w.outcomes * outcomes + w.evidence * evidence
        return proof * (w.uncertain if f.get("uncertain") else 1.0)

    def _words_fit(self, sol: Candidate, n_terms: int) -> float:
        found = len(sol.facts.get("terms", ()))
        return min(1.0, found / max(1, min(n_terms, 4))) if n_terms else 0.0

    def _score(self, cand: Candidate, job: Job) -> MatchResult | None:
        w = self.weights
        query_themes, place, countries, langs = (
            job.query_themes,
            job.place,
            job.countries,
            job.langs,
        )
        label_langs = list(langs)
        reasons: list[Reason] = []
        verb = {
            "solution": "implements",
            "institution": "works on",
            "practitioner": "has practical experience in",
            "city": "has worked on",
            "need": "asks for",
        }[cand.kind]
        solutions: Mapping[str, Candidate] = cand.facts.get("solutions", {})
        if cand.kind == "solution":
            backing = [cand]
        else:
            ids: list[str] = []
            for v_iri, v in cand.via.items():
                ids.extend([v_iri, *v.get("basedOn", ())])
            # In IRI order: ties below then do not depend on the order of retrieval.
            backing = [solutions[i] for i in sorted(set(ids)) if i in solutions]

        # --- theme fit: concepts, then the need's own words in the candidate's text
        concept, links = self._theme_fit(cand, query_themes)
        n_terms = len(job.terms)
        words = max((self._words_fit(s, n_terms) for s in backing), default=0.0)
        if query_themes and n_terms:
            theme = (1 - w.words) * concept + w.words * words
        else:  # only themes (a theme or a stored need, no words), or only words
            theme = concept if query_themes else words
        if theme <= 0:
            return None
        for q, rel, t in links[:3]:
            qt = query_themes[q]
            what = ", ".join(f"*{term}*" for term in qt.terms[:2]) or (
                f"*{self.vocabulary.label(q, label_langs)}*"
            )
            if rel == "exact":
                text = f"{verb} {what} (exact theme)"
            else:
                relation = {
                    "narrower": "a narrower theme of",
                    "broader": "the broader theme of",
                    "related": "related to",
                }[rel]
                text = f"{verb} *{self.vocabulary.label(t, label_langs)}*, {relation} {what}"
            reasons.append(Reason("theme", text))
        if words > 0:
            sol = max(backing, key=lambda s: self._words_fit(s, n_terms))
            shown = [job.terms.get(t, t) for t in sorted(sol.facts.get("terms", ()))]
            where = "its description" if sol is cand else f"“{sol.label(label_langs)}”"
            quoted = ", ".join(f"“{x}”" for x in shown[:4])
            reasons.append(Reason("theme", f"{where} mentions {quoted}"))

        # --- proof
        proof = 0.0
        if cand.kind == "solution":
            proof = self._solution_proof(cand)
            if proof > 0:
                reasons.extend(self._proof_reasons(cand, None))
        elif backing:
            # One solution backs the candidate: the one that fits best and is best proven (a
            # city must not take its theme from one solution and its proof from another).
            best = max(
                backing,
                key=lambda s: self._theme_fit(s, query_themes)[0] + self._solution_proof(s),
            )
            proof = self._solution_proof(best)
            if cand.kind == "city" and "solution" not in cand.via.get(best.iri, {}).get("how", ()):
                proof *= w.partner
            if proof > 0:
                reasons.extend(self._proof_reasons(best, cand))
        if cand.kind == "institution":
            events = [v for v in cand.via.values() if "event" in v["how"]]
            if events and proof < w.evidence * min(1.0, len(events) / 2):
                proof = w.evidence * min(1.0, len(events) / 2)
            if events:
                first = min((v.get("year") or "9999") for v in events)
                since = f" (first {first})" if first != "9999" else ""
                n = len(events)
                reasons.append(
                    Reason("proof", f"co-organised {n} event{'s' * (n > 1)} on the theme{since}")
                )

        # --- context
        context = 0.0
        ask_info = countries.get(place.country or "")
        info = countries.get(cand.country or "")
        if place.country and cand.country:
            if cand.country == place.country:
                context += w.same_country
                reasons.append(Reason("context", f"same country: {info.label if info else ''}"))
            elif info and ask_info and info.region and info.region == ask_info.region:
                context += w.same_region
                reasons.append(Reason("context", f"same region: {info.region_label}"))
        size = size_similarity(cand.population, place.population)
        if size > 0:
            context += w.similar_size * size
            noun = "city" if cand.kind in ("solution", "city", "need") else "based in a city"
            adjective = "similar" if size == 1.0 else "comparable"
            reasons.append(
                Reason(
                    "context",
                    f"{noun} of {adjective} size: {short_number(cand.population or 0)} "
                    f"vs {short_number(place.population or 0)}",
                )
            )
        if ask_info and info and cand.country != place.country:
            shared = sorted(info.languages & ask_info.languages)
            if shared:
                context += w.shared_language
                names = ", ".join(language_name(c) for c in shared[:3])
                reasons.append(Reason("context", f"shared language: {names}"))

        # --- reachability
        reach, offered, speaks_in = 0.0, False, set(cand.languages)
        if cand.kind == "solution":
            offered = bool(cand.facts.get("nOffers"))
            who = cand.facts.get("offerers") or ""
            if offered:
                reasons.append(Reason("reach", f"know-how offered by {self._names(who)}"))
        elif cand.kind == "institution":
            offered = any("offer" in v["how"] for v in cand.via.values())
            if not speaks_in and info:
                speaks_in = set(info.languages)
            if offered:
                reasons.append(Reason("reach", "offers its know-how on the theme"))
        elif cand.kind == "practitioner":
            offered = bool(cand.facts.get("nOffers"))
            if offered:
                reasons.append(Reason("reach", "offers peer advice on the theme"))
        elif cand.kind == "city":
            offered = any(s.facts.get("nOffers") for s in backing)
            speaks_in = set(info.languages) if info else set()
            if offered:
                reasons.append(Reason("reach", "its know-how is on offer"))
        if offered:
            reach += w.offered
        elif cand.kind == "practitioner":
            reach += w.offered / 2  # an expert, though without a published offer
            reasons.append(Reason("reach", "can be asked for peer advice"))
        spoken = [c for c in langs if c in speaks_in]
        if spoken and (offered or cand.kind in ("practitioner", "institution")):
            reach += w.speaks
            names = ", ".join(language_name(c) for c in spoken)
            reasons.append(Reason("reach", f"speaks {names}"))

        # Proof, context and reach count in proportion to the theme fit: a well-proven
        # solution on a side theme must not outrank the one that does what was asked.
        gate = theme if w.relevance_gate else 1.0
        factors = {
            "theme": round(w.theme * theme, 4),
            "proof": round(w.proof * proof * gate, 4),
            "context": round(w.context * context * gate, 4),
            "reach": round(w.reach * reach * gate, 4),
        }
        own = cand.kind in ("solution", "practitioner", "need") or any(
            v["how"] & {"offer", "event"} for v in cand.via.values()
        )
        if not own:
            # Known only through a solution (a city, an implementing partner): it ranks just
            # below that solution instead of tying with it.
            factors = {k: round(v * w.derived, 4) for k, v in factors.items()}
        is_example = bool(cand.facts.get("isExample"))
        if is_example:
            reasons.append(Reason("flag", "fictional example person (demonstration data)"))
        if cand.kind == "practitioner" and cand.facts.get("member"):
            reasons.append(Reason("flag", f"works at {cand.facts['member']}"))
        place_label = ", ".join(
            x for x in (cand.city_label if cand.kind != "city" else None, info and info.label) if x
        )
        return MatchResult(
            iri=cand.iri,
            kind=cand.kind,
            label=cand.label(label_langs),
            score=round(sum(factors.values()), 3),
            reasons=reasons,
            factors=factors,
            is_example=is_example,
            place=place_label or None,
            city=cand.city,
        )

    @staticmethod
    def _names(joined: str) -> str:
        names = [n for n in joined.split(" | ") if n]
        return ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")

    def _proof_reasons(self, sol: Candidate, via_for: Candidate | None) -> list[Reason]:
        f = sol.facts
        status = STATUS_LABELS.get(f.get("statusRank") or 0, "")
        period = _period(f.get("start"), f.get("end"))
        text = " ".join(x for x in (status, period) if x)
        if f.get("nMeasured"):
            text += " with measured outcomes"
        elif f.get("nOutcomes"):
            text += " with documented outcomes"
        if f.get("uncertain"):
            text += " (thin evidence)"
        if via_for is not None:
            how = via_for.via.get(sol.iri, {}).get("how", set())
            if via_for.kind == "city":
                role = "home of" if "solution" in how else "advised on"
            elif via_for.kind == "institution" and how:
                role = "behind"
            else:
                role = "offers know-how from"
            text = f"{role} “{sol.label(['en'])}”: {text}"
        reasons = [Reason("proof", text)]
        if via_for is None and f.get("nEvents"):
            n, first = f["nEvents"], f.get("firstEvent")
            since = f", first in {first}" if first else ""
            plural = "s" if n > 1 else ""
            reasons.append(
                Reason("proof", f"presented at {n} Connective Cities event{plural}{since}")
            )
        return reasons

    def _diversify(
        self, scored: list[tuple[MatchResult, str | None]], limit: int
    ) -> list[MatchResult]:
        """Best first, at most ``max_per_city`` per city, later ones from a city damped."""
        w = self.weights
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
                res.reasons.append(
                    Reason(
                        "diversity",
                        f"ranked down: {n} result{'s' * (n > 1)} from the same city "
                        f"come{'s' * (n == 1)} first",
                    )
                )
            if city:
                placed[city] += 1
            out.append(res)
        return out

    # ------------------------------------------------------------ the other way: offer -> needs

    def _match_offer(self, req: MatchRequest, echo: dict[str, Any]) -> MatchResponse:
        iri = self._thing("offer", req.offer or "", "offer")
        rows = run(self.store, "get_offer", bindings={"offer": iri})
        if not rows:
            raise MatchError("offer", f"no offer {str(iri)!r} in the store")
        echo["offer"] = str(iri)
        echo["kinds"] = ["need"]
        query_themes = {str(r["theme"]): QueryTheme(str(r["theme"]), 1.0, "offer") for r in rows}
        place = Place(country=_s(rows[0], "country"))
        city = next((str(r["city"]) for r in rows if r.get("city") is not None), None)
        if city:
            place = self._city_place(city) or Place(city=city, country=place.country)
            place.city_source = "offer"
        offer_langs = sorted(
            {str(r["language"]).rsplit("/", 1)[-1] for r in rows if r.get("language")}
        )
        langs = list(req.langs) or offer_langs
        props: Props = {}
        job = Job(query_themes, place, [], cache=self._store_cache())
        candidates, _ = self._retrieve(job, ("need",), req.limit, props)
        job.countries = self._place_countries(candidates, place, props)
        for cand in candidates.values():
            info = job.countries.get(cand.country or "")
            cand.languages = set(info.languages) if info else set()
        results = self._rank_offer(candidates, job, offer_langs, req.limit)
        job.langs, job.label_langs = langs, list(req.langs) or ["en"]
        echo.update(self._echo(None, job, 0))
        return MatchResponse(results, echo)

    def _rank_offer(
        self,
        candidates: Mapping[str, Candidate],
        job: Job,
        offer_langs: Sequence[str],
        limit: int,
    ) -> list[MatchResult]:
        scored = []
        w = self.weights
        for cand in candidates.values():
            result = self._score(cand, job)
            if result is None:
                continue
            # Reachability the other way round: the offerer speaks the needing country's language.
            spoken = sorted(set(offer_langs) & cand.languages)
            if spoken:
                names = ", ".join(language_name(c) for c in spoken)
                result.reasons.append(Reason("reach", f"the offer can be given in {names}"))
                result.factors["reach"] = round(w.reach * w.speaks, 4)
                result.score = round(sum(result.factors.values()), 3)
            scored.append((result, cand.city))
        return self._diversify(scored, limit)

    # ------------------------------------------------------------ echo

    def _echo(
        self, analysis: text_analysis.Analysis | None, job: Job, excluded: int
    ) -> dict[str, Any]:
        query_themes, place, langs = job.query_themes, job.place, job.langs
        info = job.countries.get(place.country or "")
        return {
            "language": analysis.language if analysis else None,
            "themes": [
                {
                    "iri": qt.iri,
                    "label": self.vocabulary.label(qt.iri, job.label_langs or langs),
                    "weight": qt.weight,
                    "source": qt.source,
                    "terms": qt.terms,
                }
                for qt in sorted(query_themes.values(), key=lambda q: -q.weight)
            ],
            "terms": list(job.terms.values()),
            "city": (
                {"iri": place.city, "label": place.city_label, "source": place.city_source}
                if place.city
                else None
            ),
            "country": (
                {"iri": place.country, "label": info.label if info else None}
                if place.country
                else None
            ),
            "region": (
                {"iri": info.region, "label": info.region_label} if info and info.region else None
            ),
            "population": place.population,
            "population_source": place.population_source,
            "languages": list(langs),
            "excluded_own_city": excluded,
        }


def match(store: Store, request: MatchRequest, weights: Weights = DEFAULT_WEIGHTS) -> MatchResponse:
    """Match one request against ``store`` (builds a fresh ``Matcher``; keep one to reuse)."""
    return Matcher(store, weights).match(request)
