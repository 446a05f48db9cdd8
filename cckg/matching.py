"""Matching: from a city's need to ranked solutions, institutions, practitioners and cities,
each with the reasons that put it there.

Where the work happens:

- ``cckg.text_analysis`` reads the need's free text (themes, words, population, country, city)
  into RDF terms and numbers. It never touches the store beyond the theme labels.
- SPARQL in ``queries/match/*.rq`` retrieves the candidates and computes every fact the
  ranking weighs (theme relations in the SKOS scheme, status, outcomes, events, offers,
  places, populations, languages). Retrieval starts from the need's themes, never from the
  ~34,000 cities, so it is fast on the full graph and runs unchanged on a remote store.
- This module combines those facts with the weights of one table, ``Weights`` (documented in
  ``docs/matching.md``), keeps results from crowding into one city, and writes each result's
  reasons: one short sentence for every factor that scored.

Parameters reach the queries as bound RDF terms: single values through the store's
``bindings``, lists (the need's themes, its words) as inline ``VALUES`` rows serialised with
``term_n3`` (pitfall 3.1: never plain string formatting).
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry
from rdflib import Literal, URIRef
from rdflib.term import Node

from cckg import geonames, iris, text_analysis
from cckg.settings import PROJECT_ROOT
from cckg.sparql_text import _where_group_start, term_n3
from cckg.store import Row, Store

KINDS = ("solution", "institution", "practitioner", "city")
QUERY_DIR = PROJECT_ROOT / "queries" / "match"
MAX_LIMIT = 50
STATUS_LABELS = {1: "idea", 2: "pilot", 3: "implemented", 4: "scaled"}


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
def _query_texts(directory: Path = QUERY_DIR) -> dict[str, str]:
    """The matching queries, keyed by file stem; read once per process."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.rq"))}
    if not texts:
        raise FileNotFoundError(f"no matching queries in {directory}")
    return texts


def query_text(name: str) -> str:
    return _query_texts()[name]


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


def run(
    store: Store,
    name: str,
    rows: Mapping[str, Sequence[Node | None]] | None = None,
    bindings: Mapping[str, Node] | None = None,
) -> list[Row]:
    """Run one matching query: ``rows`` maps each list variable to its values (one column)."""
    text = query_text(name)
    if rows:
        variables = list(rows)
        text = with_rows(text, variables, zip(*(rows[v] for v in variables), strict=True))
    return store.select(text, bindings, dataset="public")


# ---------------------------------------------------------------- small helpers


def _s(row: Row, key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


def _int(row: Row, key: str) -> int | None:
    value = row.get(key)
    if value is None or str(value) == "":
        return None
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def _lang(row: Row, key: str) -> str:
    value = row.get(key)
    return (getattr(value, "language", None) or "") if value is not None else ""


Props = dict[str, dict[str, list[Node]]]  # resource -> property local name -> values


def _get(props: Props, resource: object, key: str) -> list[Node]:
    return props.get(str(resource), {}).get(key, [])


def _first(facts: Mapping[str, list[Node]], key: str) -> str | None:
    values = facts.get(key, ())
    return str(values[0]) if values else None


def _objects(props: Props, resources: Iterable[str], *keys: str) -> set[str]:
    return {str(o) for r in resources for k in keys for o in _get(props, r, k)}


def _int_of(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _codes_of(languages: Iterable[Node]) -> set[str]:
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


@dataclass
class Job:
    """The state of one match (a Matcher is shared between threads, so it keeps none)."""

    query_themes: dict[str, QueryTheme]
    place: Place
    langs: list[str]
    terms: dict[str, str] = field(default_factory=dict)  # stem -> word as written
    countries: dict[str, CountryInfo] = field(default_factory=dict)
    label_langs: list[str] = field(default_factory=list)  # for labels, when not ``langs``


# ---------------------------------------------------------------- the matcher


class Matcher:
    """Matches needs against one store. Keep one per store: it caches the theme labels."""

    def __init__(self, store: Store, weights: Weights = DEFAULT_WEIGHTS):
        self.store = store
        self.base = store.base_iri
        self.weights = weights
        self._vocabulary: text_analysis.ThemeVocabulary | None = None

    @property
    def vocabulary(self) -> text_analysis.ThemeVocabulary:
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

    def warm_up(self) -> None:
        """Load what the first match would otherwise load: the theme labels, the GeoNames
        name index (about 0.5-3 s) and the country names."""
        self.vocabulary  # noqa: B018
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

        job = Job(query_themes, place, langs, dict(analysis.terms))
        props: Props = {}
        candidates = self._retrieve(query_themes, list(job.terms), req.kinds, props)
        job.countries = self._place_countries(candidates, place, props)
        results, excluded = self._rank(candidates, job, req.limit)
        echo.update(self._echo(analysis, job, excluded))
        return MatchResponse(results, echo)

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
        query_themes: Mapping[str, QueryTheme],
        terms: Sequence[str],
        kinds: Sequence[str],
        props: Props,
    ) -> dict[str, Candidate]:
        """Candidates of the wanted kinds, with their links to the need's themes and the
        facts the ranking weighs. Solutions are always looked at: the other kinds borrow
        their proof and their words from the solutions behind them."""
        expanded = self._expand(query_themes) if query_themes else {}
        candidates: dict[str, Candidate] = {}
        solutions: dict[str, Candidate] = {}

        def get(iri: str, kind: str) -> Candidate | None:
            if kind != "solution" and kind not in kinds:
                return None
            table = solutions if kind == "solution" else candidates
            if iri not in table:
                table[iri] = Candidate(iri, kind)
            return table[iri]

        holders: dict[str, dict[str, set[str]]] = {}
        if expanded:
            theme_rows = {"theme": [URIRef(t) for t in sorted(expanded)]}
            for row in run(self.store, "match_candidates", rows=theme_rows):
                h = holders.setdefault(str(row["x"]), {"types": set(), "themes": set()})
                h["types"].add(str(row["type"]).rsplit("#", 1)[-1])
                h["themes"].add(str(row["theme"]))
        found: dict[str, set[str]] = defaultdict(set)
        if terms:
            term_rows = {"term": [Literal(t) for t in terms]}
            for row in run(self.store, "match_solution_terms", rows=term_rows):
                found[str(row["candidate"])].add(str(row["term"]))
        # Hop 1: who stands behind each theme holder; the facts of the solutions.
        self._fetch(props, [*holders, *found])
        for x, h in holders.items():
            links = {(q, rel, t) for t in h["themes"] for q, rel in expanded.get(t, ())}
            self._add_holder(x, h["types"], props.get(x, {}), links, get)
        for iri, stems in found.items():
            sol = get(iri, "solution")
            if sol is not None:
                sol.facts["terms"] = stems
        # Hop 2: the offers, the agents' own facts, solutions known only through offers.
        offers = self._offers_of([*solutions, *candidates])
        all_offers = {o for found_offers in offers.values() for o in found_offers}
        self._fetch(props, [*candidates, *solutions, *all_offers])
        # Hop 3: statuses, events and cities of solutions; offerers; the agents' cities and
        # institutions.
        self._fetch(
            props,
            [
                *_objects(props, solutions, "status", "presentedAt", "city"),
                *_objects(props, all_offers, "offeredBy"),
                *_objects(props, candidates, "city", "memberOf"),
            ],
        )
        for sol in solutions.values():
            self._solution_facts(sol, props, offers.get(sol.iri, set()))
        for cand in candidates.values():
            self._agent_facts(cand, props, offers.get(cand.iri, set()))
            cand.facts["solutions"] = solutions
        if "solution" in kinds:
            candidates.update(solutions)
        return candidates

    def _fetch(self, props: Props, resources: Iterable[str]) -> None:
        """Read the properties matching needs of the resources not read yet."""
        wanted = sorted({r for r in resources if r and r not in props})
        if not wanted:
            return
        for r in wanted:
            props[r] = {}
        for row in run(self.store, "describe_resources", rows={"s": [URIRef(r) for r in wanted]}):
            key = str(row["p"]).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            props[str(row["s"])].setdefault(key, []).append(row["o"])

    def _offers_of(self, targets: Sequence[str]) -> dict[str, set[str]]:
        """target (a solution an offer is based on, or an offerer) -> offers."""
        out: dict[str, set[str]] = defaultdict(set)
        if targets:
            rows = run(
                self.store, "list_offers", rows={"target": [URIRef(t) for t in sorted(targets)]}
            )
            for row in rows:
                out[str(row["target"])].add(str(row["offer"]))
        return out

    def _add_holder(
        self,
        x: str,
        types: set[str],
        facts: Mapping[str, list[Node]],
        links: set[tuple[str, str, str]],
        get: Callable[[str, str], Candidate | None],
    ) -> None:
        """Turn one thing that carries a theme into candidates (see match_candidates.rq)."""
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
        everyone = [*candidates.values()]
        for cand in candidates.values():
            everyone.extend(cand.facts.get("solutions", {}).values())
        wanted = {c.country for c in everyone if c.country} | {place.country} - {None}
        wanted |= {lang[8:] for c in everyone for lang in c.languages if lang[:8] == "country:"}
        countries = self._countries(props, {c for c in wanted if c})
        for cand in everyone:
            codes = {lang for lang in cand.languages if not lang.startswith("country:")}
            for lang in cand.languages - codes:
                info = countries.get(lang[8:])
                codes |= info.languages if info else set()
            cand.languages = codes
        return countries

    def _countries(self, props: Props, countries: set[str]) -> dict[str, CountryInfo]:
        """Label, region and official languages of the countries (two more lookups)."""
        self._fetch(props, countries)
        self._fetch(props, _objects(props, countries, "region"))
        out: dict[str, CountryInfo] = {}
        for c in countries:
            region = _first(props.get(c, {}), "region")
            out[c] = CountryInfo(
                label=_label(props, c),
                region=region,
                region_label=_label(props, region, "prefLabel") if region else None,
                languages=_codes_of(_get(props, c, "language")),
            )
        return out

    # ------------------------------------------------------------ scoring (combine + explain)

    def _rank(
        self, candidates: Mapping[str, Candidate], job: Job, limit: int
    ) -> tuple[list[MatchResult], int]:
        scored: list[tuple[MatchResult, str | None]] = []
        excluded = 0
        city = job.place.city
        if city:
            # The asking city's own solutions back nobody (its partners on them included).
            for cand in candidates.values():
                solutions = cand.facts.get("solutions", {})
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
        for link in cand.links:
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
            backing = [solutions[i] for i in dict.fromkeys(ids) if i in solutions]

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
        candidates = self._retrieve(query_themes, [], ("need",), props)
        job = Job(query_themes, place, [])
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
