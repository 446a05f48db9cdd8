"""The matcher's vocabulary: what a request, a result and a reason are, the weights of the
ranking, bad-input errors, and the records one match works with (the asking side, the
candidates, the pre-ranking's holders, the facts kept per store version)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cckg.core import text_analysis
from cckg.core.store import Store

KINDS = ("solution", "institution", "practitioner", "city")
MAX_LIMIT = 50
# StoreCache keeps at most this many things per store version (docs/matching.md).
CACHE_ITEMS = 400_000


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
    # Semantic similarity (cckg.core.semantic): the share of the fit that comes from how close
    # the candidate's closest sentence is to the need (0: the vocabulary alone); a cosine of
    # semantic_floor or less counts 0, semantic_full or more counts 1. semantic_neighbours:
    # how many things the need's nearest sentences bring in besides the theme holders;
    # semantic_quote: the semantic fit from which a reason quotes the closest sentence.
    semantic: float = 0.7
    # ... when the need's themes are given (a stored need's, the theme parameter) rather than
    # read from its words: the meaning then only refines them.
    semantic_given: float = 0.3
    semantic_floor: float = 0.25
    semantic_full: float = 0.6
    semantic_neighbours: int = 40
    semantic_quote: float = 0.5
    # Themes and meaning (cckg.core.semantic.themes): a theme a word of the need names is kept
    # only when its closest label is at least theme_floor close to the need and within
    # theme_margin of the closest theme; the closest theme itself is added (at
    # meaning_weight) when it is at least meaning_floor close, though no word names it.
    theme_floor: float = 0.2
    theme_margin: float = 0.15
    meaning_floor: float = 0.3
    meaning_weight: float = 0.6
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
    # Context: same country (which shares its languages) or same region, a city of similar
    # size, a shared official language; at most 1 (0.4 + 0.25 + 0.35).
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
    ``limit``, ``need``, ``offer``) and says how to fix it.

    ``template`` is an English catalogue message with ``%(name)s`` placeholders for ``values``
    (pages show it translated); ``message`` is the English text.
    """

    def __init__(self, param: str, template: str, **values: object):
        message = template % values if values else template
        super().__init__(message)
        self.param = param
        self.message = message
        self.template = template
        self.values = values


@dataclass(frozen=True)
class MatchRequest:
    """What to match. At least one of ``text``, ``theme``, ``need`` or ``offer``.

    ``theme``: a theme IRI or slug. ``city``: the asking city as an IRI, a GeoNames id, a slug
    of ``data/cities.csv`` or a name ("Köln", "Cologne", "Colonia"; "Name, CC" to pick a
    country). ``langs``: ISO 639-1 codes the asking side works in. ``need``/``offer``: IRIs of
    a stored Need (matched like a written need) or Offer (matched the other way, to needs).
    ``display``: the language the reasons are written in (the reader's: the page's language);
    without it, the language of the need's text, else English.
    """

    text: str = ""
    theme: str | None = None
    city: str | None = None
    langs: tuple[str, ...] = ()
    kinds: tuple[str, ...] = KINDS
    limit: int = 10
    need: str | None = None
    offer: str | None = None
    display: str | None = None


class Reason:
    """One sentence of why a result ranks. ``text`` is the English sentence; ``id`` and
    ``params`` name the message it is rendered from (``reasons.MESSAGES``), so that it can be
    rendered in another language later. Only ``factor`` and ``text`` compare and reach JSON.

    The text is rendered when first read (``render``): a large store scores thousands of
    candidates per match, and only the reasons of the few shown are ever read.
    """

    __slots__ = ("factor", "id", "params", "_text", "_render")

    def __init__(
        self,
        factor: str,  # theme | proof | context | reach | flag | diversity
        text: str | None = None,
        id: str = "",
        params: Mapping[str, Any] | None = None,
        render: Callable[[str, Mapping[str, Any]], str] | None = None,
    ) -> None:
        if text is None and render is None:
            raise ValueError("a Reason needs its text or a renderer of its message")
        self.factor, self.id, self.params = factor, id, params if params is not None else {}
        self._text, self._render = text, render

    @property
    def text(self) -> str:
        if self._text is None:
            assert self._render is not None
            self._text = self._render(self.id, self.params)
        return self._text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reason):
            return NotImplemented
        return (self.factor, self.text) == (other.factor, other.text)

    def __hash__(self) -> int:
        return hash((self.factor, self.text))

    def __repr__(self) -> str:
        return f"Reason(factor={self.factor!r}, text={self.text!r}, id={self.id!r})"


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


# ---------------------------------------------------------------- the records of one match


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
    """What the pre-ranking knows of a theme holder (list_theme_holders.rq). Tuples
    throughout: the cache holds thousands, which the garbage collector then need not walk."""

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


# What matching reads from the store: IRIs and literals as plain strings (queries.run).
Value = str
Values = dict[str, Value]
Props = dict[str, dict[str, tuple[Value, ...]]]  # resource -> property local name -> values


@dataclass
class StoreCache:
    """What matching has read of one store version: theme holders and their pre-ranking
    facts, solution texts, resources' properties, offers. Reads are per resource, so any
    match can use what another read. Kept while the store's version (``generation``: its
    ``Store.version().token``) stays the same, on embedded and remote stores alike. Values are
    strings, numbers and tuples of them, which the garbage collector stops tracking."""

    generation: object = None
    postings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # theme -> holders
    holders: dict[str, Holder] = field(default_factory=dict)
    based_on: dict[str, Holder] = field(default_factory=dict)  # offers' other solutions
    proofs: dict[str, float] = field(default_factory=dict)  # shortlist.proof_of
    places: dict[str, tuple[tuple[str, ...], int | None]] = field(default_factory=dict)  # agents'
    behind: dict[str, tuple[tuple[str, str, str, str], ...]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    # The words of every solution's text, once ``texts`` holds them all: a
    # cached_reads.WordIndex, whose ``solutions`` are every solution with a text
    # (cached_reads.all_solutions).
    words: Any = None
    props: Props = field(default_factory=dict)
    offers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The agents behind the holders, numbered (a shortlist.AgentNumbers).
    agent_numbers: Any = None

    def trim(self) -> None:
        """Start afresh past CACHE_ITEMS things (a bound on memory, not an LRU)."""
        tables: tuple[dict[str, Any], ...] = (  # tables of several value types
            self.postings, self.holders, self.based_on, self.proofs, self.places,
            self.behind, self.texts, self.props, self.offers,
        )  # fmt: skip
        if sum(map(len, tables)) > CACHE_ITEMS:
            for table in tables:
                table.clear()
            self.words = self.agent_numbers = None


@dataclass(frozen=True)
class Context:
    """What every step of one match reads with: the Matcher's store, weights and reference
    tables (theme labels, countries), taken once at the start of the match."""

    store: Store
    weights: Weights
    vocabulary: text_analysis.ThemeVocabulary
    country_table: Mapping[str, CountryInfo]

    @property
    def base(self) -> str:
        return self.store.base_iri


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
    # Semantic similarity: the cosine of every sentence of the store's sentence index with the
    # need, the index, the things nearest to the need, and the closest sentence of each
    # candidate looked at (filled on demand).
    scores: Any = None
    index: Any = None
    themes_given: bool = False  # the need's themes come with it (Weights.semantic_given)
    nearest: dict[str, Any] = field(default_factory=dict)
    closest: dict[str, Any] = field(default_factory=dict)
    # What retrieval selected to score (retrieval.retrieve): the need's themes expanded, the
    # theme holders, the agents to rank, whether those are all.
    selected: tuple[Any, ...] | None = None
    # The solutions with any of the need's words, searched in every solution (once a match).
    words_everywhere: dict[str, set[str]] | None = None
