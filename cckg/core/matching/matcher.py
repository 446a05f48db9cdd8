"""The Matcher: one per store, the entry point of matching. It checks the request, reads the
asking side (the need's text, a stored need or offer, the asking city), then hands over to
retrieval (``retrieval``, ``shortlist``) and scoring (``scoring``), and echoes what it
understood. It keeps the store's reference data (theme labels, countries) and the facts
read per store version (``StoreCache``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

import pycountry
from rdflib import URIRef

from cckg.core import (
    geonames,
    i18n,
    iris,
    language_detection,
    places,
    text_analysis,
    text_mentions,
    text_words,
)
from cckg.core.i18n import N_
from cckg.core.matching import reasons as say
from cckg.core.matching.cached_reads import all_solutions, read_props
from cckg.core.matching.factors import words_only_bound
from cckg.core.matching.model import (
    DEFAULT_WEIGHTS,
    KINDS,
    MAX_LIMIT,
    Context,
    CountryInfo,
    Job,
    MatchError,
    MatchRequest,
    MatchResponse,
    MatchResult,
    Place,
    Props,
    QueryTheme,
    StoreCache,
    Weights,
)
from cckg.core.matching.queries import country_info, language_of, number_of, objects, run, text_of
from cckg.core.matching.retrieval import place_countries, retrieve, words_to_score
from cckg.core.matching.scoring import rank, rank_offer
from cckg.core.semantic.encoder import shared_encoder
from cckg.core.semantic.index import SemanticIndex
from cckg.core.semantic.themes import ThemeVectors
from cckg.core.semantic.vectors import cache_for
from cckg.core.store import Store, version_scope


class Matcher:
    """Matches needs against one store. Keep one per store: it caches the reference data (theme
    labels, countries with their regions and languages), the sentence index and what matches
    read (``StoreCache``), all read again when the store's version changes (a write through
    any process, embedded or remote store alike)."""

    def __init__(self, store: Store, weights: Weights = DEFAULT_WEIGHTS):
        self.store = store
        self.base = store.base_iri
        self.weights = weights
        self._vocabulary: text_analysis.ThemeVocabulary | None = None
        self._country_table: dict[str, CountryInfo] | None = None
        self._version: str | None = None  # of the reference data above
        self._cache = StoreCache()
        self._semantic: tuple[object, SemanticIndex] | None = None  # (store version, index)
        self._theme_vectors: ThemeVectors | None = None
        self._semantic_lock = threading.Lock()

    def _check_generation(self) -> None:
        """Forget the reference data when the store's version changed (a write through any
        process: ``Store.version``, asked once per version scope)."""
        version = self.store.version().token
        if version != self._version:
            self._vocabulary, self._country_table = None, None
            self._theme_vectors = None
            self._version = version

    def _store_cache(self) -> StoreCache:
        """The cache of the store's current version, kept across matches until it changes."""
        version = self.store.version().token
        if self._cache.generation != version:
            self._cache = StoreCache(version)
        return self._cache

    def _context(self) -> Context:
        return Context(self.store, self.weights, self.vocabulary, self.country_table)

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
            read_props(self.store, props, countries, once)
            read_props(self.store, props, objects(props, countries, "region"), once)
            self._country_table = {c: country_info(props, c) for c in countries}
        return self._country_table

    def semantic_index(self) -> SemanticIndex:
        """The sentence index of the store's current version (built on first use: vectors
        from the store's cache, the rest encoded)."""
        version = self.store.version().token
        with self._semantic_lock:
            if self._semantic is None or self._semantic[0] != version:
                cache = cache_for(self.store)
                self._semantic = (version, SemanticIndex.build(self.store, cache=cache))
            return self._semantic[1]

    def theme_vectors(self) -> ThemeVectors:
        """The theme labels' vectors, with the vocabulary."""
        vocab = self.vocabulary
        if self._theme_vectors is None:
            labels = [
                (t, lb.text) for t, by in vocab.labels.items() for ls in by.values() for lb in ls
            ]
            cache = cache_for(self.store, "themes")
            self._theme_vectors = ThemeVectors(labels, cache=cache)
        return self._theme_vectors

    def warm_up(self) -> None:
        """Load what the first match would otherwise load: the theme labels and countries,
        the sentence index and encoder, the GeoNames name index (about 0.5-3 s), the
        country names and the language detector."""
        with version_scope():
            self._warm_up()

    def _warm_up(self) -> None:
        self.vocabulary  # noqa: B018
        self.country_table  # noqa: B018
        # Every solution's texts, which the need's words are looked for in (seconds at 10^6).
        all_solutions(self.store, self._store_cache())
        if self.weights.semantic > 0:
            self.semantic_index()
            self.theme_vectors()
            shared_encoder().warm_up()
        geonames.candidates("Köln")
        text_mentions.find_countries(text_words.tokenize("Jordan"))
        language_detection.warm_up()  # its models: about 4 s

    def themes(self, langs: Sequence[str] = ("en",)) -> list[tuple[str, str, str]]:
        """(IRI, slug, label) of every theme, by label: for forms."""
        vocab = self.vocabulary
        out = [(t, t.rsplit("/", 1)[-1], vocab.label(t, langs)) for t in vocab.themes]
        return sorted(out, key=lambda x: x[2].casefold())

    # ------------------------------------------------------------ validation

    def _validate(self, req: MatchRequest) -> MatchRequest:
        text = (req.text or "").strip()
        if len(text) > 5000:
            raise MatchError("text", N_("the need text is too long: at most 5,000 characters"))
        kinds = tuple(dict.fromkeys(k.strip().lower() for k in req.kinds if k.strip()))
        for k in kinds:
            if k not in KINDS and not (req.offer and k == "need"):
                raise MatchError(
                    "kind",
                    N_("unknown kind “%(kind)s”: use %(kinds)s"),
                    kind=k,
                    kinds=", ".join(KINDS),
                )
        langs = tuple(dict.fromkeys(c.strip().lower() for c in req.langs if c.strip()))
        for code in langs:
            if not re.fullmatch(r"[a-z]{2}", code) or pycountry.languages.get(alpha_2=code) is None:
                raise MatchError(
                    "lang", N_("unknown language “%(code)s”: use ISO 639-1 codes (de)"), code=code
                )
        if not isinstance(req.limit, int) or not 1 <= req.limit <= MAX_LIMIT:
            raise MatchError(
                "limit", N_("limit must be a whole number from 1 to %(max)s"), max=MAX_LIMIT
            )
        if req.need and req.offer:
            raise MatchError("offer", N_("give a need or an offer, not both"))
        if not (text or req.theme or req.need or req.offer):
            raise MatchError("text", N_("describe the need (text), or give a theme, need or offer"))
        display = (req.display or "").strip().lower() or None
        if display is not None and display not in i18n.LANGUAGES:
            raise MatchError(
                "display",
                N_("unknown language “%(code)s”: use one of en, de, es, fr, pt, ar"),
                code=display,
            )
        return MatchRequest(
            text=text,
            theme=(req.theme or "").strip() or None,
            city=(req.city or "").strip() or None,
            langs=langs,
            kinds=kinds or KINDS,
            limit=req.limit,
            need=(req.need or "").strip() or None,
            offer=(req.offer or "").strip() or None,
            display=display,
        )

    def _thing(self, param: str, value: str, kind: str) -> URIRef:
        """An IRI of ours of the given kind, from an IRI or a slug."""
        if "/" not in value:
            try:
                return iris.thing(kind, value, self.base)
            except ValueError as e:
                raise MatchError(
                    param, N_("“%(value)s” is not a %(kind)s IRI or slug"), value=value, kind=kind
                ) from e
        parts = iris.split(value, self.base)
        if parts is None or parts[0] != kind:
            raise MatchError(
                param,
                N_("“%(value)s” is not a %(kind)s IRI (%(pattern)s)"),
                value=value,
                kind=kind,
                pattern=f"{self.base}id/{kind}/…",
            )
        return URIRef(value)

    # ------------------------------------------------------------ the asking city

    def resolve_city(self, value: str) -> Place:
        """The asking city from an IRI, a GeoNames id, a curated slug or a name (a curated
        municipality's names first, ``cckg.core.places``, then GeoNames')."""
        value = value.strip()
        candidates: list[str] = []
        if value.startswith(("http://", "https://")):
            parts = iris.split(value, self.base)
            if parts is None or parts[0] != "city":
                raise MatchError(
                    "city",
                    N_("“%(value)s” is not a %(kind)s IRI (%(pattern)s)"),
                    value=value,
                    kind="city",
                    pattern=f"{self.base}id/city/…",
                )
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
            raise MatchError("city", N_("unknown city “%(value)s”"), value=value)
        name, _, country = value.partition(",")
        # A curated municipality by slug or name before GeoNames (which lacks the small ones).
        curated = places.find_curated_city(name.strip(), country.strip() or None)
        place = self._city_place(f"{self.base}id/city/{curated}") if curated else None
        if place is not None:
            return place
        gid = geonames.resolve_city(name.strip(), country.strip() or None)
        if gid is None:
            raise MatchError(
                "city",
                N_(
                    "no city called “%(name)s” among the curated municipalities and the "
                    "GeoNames cities: check the spelling, or give a GeoNames id or city IRI"
                ),
                name=name.strip(),
            )
        place = self._city_place(f"{self.base}id/city/{gid}")
        if place is None:  # pragma: no cover - geonames ids always resolve
            raise MatchError("city", N_("unknown city “%(value)s”"), value=value)
        return place

    def _city_place(self, iri: str) -> Place | None:
        rows = run(self.store, "get_city_context", bindings={"city": URIRef(iri)})
        if rows:
            label = next(
                (str(r["label"]) for r in rows if language_of(r, "label") in ("", "en")), None
            )
            row = rows[0]
            return Place(
                city=iri,
                city_label=label or str(row["label"]),
                country=text_of(row, "country"),
                population=number_of(row, "population"),
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
        """Ranked results for ``request``, all read at one version of the store."""
        with version_scope():
            return self._match(request)

    def _match(self, request: MatchRequest) -> MatchResponse:
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
                raise MatchError(
                    "theme",
                    N_("unknown theme “%(theme)s”: give a theme slug or IRI"),
                    theme=req.theme,
                )
            query_themes[iri] = QueryTheme(iri, 1.0, "theme")
        if req.city:
            place = self.resolve_city(req.city)
            place.city_source = "parameter"

        analysis = text_analysis.analyse(text, vocab, req.langs[0] if req.langs else None)
        vector = None
        if text and self.weights.semantic > 0:
            vector = shared_encoder().encode_query(text)
        closeness = self.theme_vectors().similarity(vector) if vector is not None else None
        self._add_text_themes(analysis, query_themes, closeness)
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

        ctx = self._context()
        job = Job(query_themes, place, langs, dict(analysis.terms), cache=self._store_cache())
        job.themes_given = any(qt.source in ("need", "theme") for qt in query_themes.values())
        if vector is not None:
            job.index = self.semantic_index()
            job.scores = job.index.scores(vector)
            hits = job.index.nearest(job.scores, k=self.weights.semantic_neighbours)
            job.nearest = {h.iri: h for h in hits}
        results, excluded, complete, scored = self._retrieve_and_rank(ctx, job, req)
        if not complete and self._words_may_rank(results, job, req):
            # A solution that shares only words with the need might rank: look for the
            # words in every solution, as a small store always does. Only those that could
            # score above the results found are read and scored in full; when the first
            # pass scored them all, a second would score what it did: its results stand.
            floor = min(r.score for r in results) if len(results) >= req.limit else None
            words = words_to_score(ctx, job, req.kinds, floor, scored)
            if words is not None:
                results, excluded, _, _ = self._retrieve_and_rank(ctx, job, req, words)
        echo.update(self._echo(analysis, job, excluded))
        display = req.display or (analysis.language if text else None) or "en"
        return _localised(MatchResponse(results, echo), display)

    def _retrieve_and_rank(
        self,
        ctx: Context,
        job: Job,
        req: MatchRequest,
        words: Sequence[str] | None = None,
    ) -> tuple[list[MatchResult], int, bool, set[str]]:
        """The results, how many of the asking city were left out, whether every theme
        holder was looked at, and the solutions scored."""
        props: Props = {}
        candidates, complete = retrieve(ctx, job, req.kinds, req.limit, props, words)
        job.countries = place_countries(ctx, candidates, job.place, props)
        results, excluded = rank(ctx, candidates, job, req.limit)
        solutions = {iri for iri, c in candidates.items() if c.kind == "solution"}
        return results, excluded, complete, solutions

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
        return min(r.score for r in results) <= words_only_bound(w)

    # ------------------------------------------------------------ themes of the need

    def _add_text_themes(
        self,
        analysis: text_analysis.Analysis,
        query_themes: dict[str, QueryTheme],
        closeness: dict[str, float] | None = None,
    ) -> None:
        """The themes the need's words name (those the need is about, with ``closeness``:
        theme -> how close the need is to its labels), and the theme it is plainly about."""
        w = self.weights
        hits = analysis.themes
        if closeness:
            best_theme, best = max(closeness.items(), key=lambda kv: (kv[1], kv[0]))
            floor = max(w.theme_floor, best - w.theme_margin)
            hits = [h for h in hits if closeness.get(h.theme, 0.0) >= floor]
            given = any(qt.source in ("need", "theme") for qt in query_themes.values())
            if best >= w.meaning_floor and best_theme not in query_themes and not given:
                if not any(h.theme == best_theme for h in hits):
                    weight = w.meaning_weight * (
                        w.top_concept if best_theme in self.vocabulary.top_concepts else 1.0
                    )
                    query_themes[best_theme] = QueryTheme(best_theme, round(weight, 3), "meaning")
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
            raise MatchError("need", N_("no need “%(iri)s” in the store"), iri=str(iri))
        label = next((str(r["label"]) for r in rows if language_of(r, "label") == "en"), "")
        return {
            "label": label or str(rows[0]["label"]),
            "themes": sorted({str(r["theme"]) for r in rows}),
            "city": text_of(rows[0], "city"),
            "country": text_of(rows[0], "country"),
        }

    # ------------------------------------------------------------ the other way: offer -> needs

    def _match_offer(self, req: MatchRequest, echo: dict[str, Any]) -> MatchResponse:
        iri = self._thing("offer", req.offer or "", "offer")
        rows = run(self.store, "get_offer", bindings={"offer": iri})
        if not rows:
            raise MatchError("offer", N_("no offer “%(iri)s” in the store"), iri=str(iri))
        echo["offer"] = str(iri)
        echo["kinds"] = ["need"]
        query_themes = {str(r["theme"]): QueryTheme(str(r["theme"]), 1.0, "offer") for r in rows}
        place = Place(country=text_of(rows[0], "country"))
        city = next((str(r["city"]) for r in rows if r.get("city") is not None), None)
        if city:
            place = self._city_place(city) or Place(city=city, country=place.country)
            place.city_source = "offer"
        offer_langs = sorted(
            {str(r["language"]).rsplit("/", 1)[-1] for r in rows if r.get("language")}
        )
        langs = list(req.langs) or offer_langs
        props: Props = {}
        ctx = self._context()
        job = Job(query_themes, place, [], cache=self._store_cache())
        candidates, _ = retrieve(ctx, job, ("need",), req.limit, props)
        job.countries = place_countries(ctx, candidates, place, props)
        for cand in candidates.values():
            info = job.countries.get(cand.country or "")
            cand.languages = set(info.languages) if info else set()
        results = rank_offer(ctx, candidates, job, offer_langs, req.limit)
        job.langs, job.label_langs = langs, list(req.langs) or ["en"]
        echo.update(self._echo(None, job, 0))
        return _localised(MatchResponse(results, echo), req.display or "en")

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


def _localised(response: MatchResponse, lang: str) -> MatchResponse:
    """The response with every reason in ``lang`` (a supported language, else English)."""
    lang = i18n.supported(lang)
    for result in response.results:
        result.reasons = say.localise(result.reasons, lang)
    response.query["display_language"] = lang
    return response


def match(store: Store, request: MatchRequest, weights: Weights = DEFAULT_WEIGHTS) -> MatchResponse:
    """Match one request against ``store`` (builds a fresh ``Matcher``; keep one to reuse)."""
    return Matcher(store, weights).match(request)
