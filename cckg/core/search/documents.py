"""The search documents, read from the store by two SPARQL queries (``queries/search``, run
through the Store interface, so a remote store works too): the curated things, and the cities
and countries they are in, as documents of their own.

A thing's document holds its label, other names, summary (description, topic or role),
outcomes, themes, places (its city, partner and participating cities and countries) and
institutions, dates, status and facet values. A city's document holds its GeoNames alternate
names; a country's its labels in the store and its names in the six languages (``pycountry``
translations: the store may lack some, e.g. Portuguese).
"""

from __future__ import annotations

import functools
import gettext
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pycountry
from pyoxigraph import Literal
from rdflib import URIRef

from cckg.core.queries import helper
from cckg.core.sparql_text import substitute_term
from cckg.core.store import OxTerm, Store

CCKG = "https://w3id.org/cckg/def/cckg#"
KIND_OF_TYPE = {
    CCKG + "Solution": "solution",
    CCKG + "Institution": "institution",
    CCKG + "Event": "event",
    CCKG + "ProjectIdea": "project-idea",
    CCKG + "Need": "need",
    CCKG + "Offer": "offer",
    CCKG + "Practitioner": "practitioner",
}
KINDS = (*KIND_OF_TYPE.values(), "city", "country")
FACETS = ("kind", "theme", "country", "region", "status", "sdg", "year", "format")
_FACET_FIELDS = {"status": "status", "sdg": "sdg", "city": "city", "kind": "format"}
_LIST_FIELDS = ("names", "outcomes", "city", "places", "orgs", "themes")


@dataclass
class Document:
    """One search result: a curated thing, a city or a country."""

    iri: str
    kind: str
    labels: dict[str, str] = field(default_factory=dict)  # language -> label
    names: list[str] = field(default_factory=list)  # other names (aliases, translations)
    summary: dict[str, str] = field(default_factory=dict)  # language -> description
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (text, language)
    themes: list[str] = field(default_factory=list)  # the themes it is tagged with
    city: list[str] = field(default_factory=list)  # its city (cities)
    places: list[str] = field(default_factory=list)  # partner, participating, ... places
    orgs: list[str] = field(default_factory=list)  # institutions it names
    start: str = ""
    end: str = ""
    facets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    is_example: bool = False

    @property
    def date(self) -> str:
        """The latest date it names (for "newest first"): end, else start."""
        return max(self.end, self.start)


@dataclass
class Vocabulary:
    """Labels of everything documents link to, the theme tree, and the places."""

    labels: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    theme_labels: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # theme -> (label, language), preferred first
    broader: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    region_of: dict[str, str] = field(default_factory=dict)
    iso: dict[str, str] = field(default_factory=dict)  # country -> ISO code
    aliases: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    country_of: dict[str, str] = field(default_factory=dict)  # city -> country
    cities: list[str] = field(default_factory=list)  # cities that are documents

    def with_broader(self, theme: str) -> set[str]:
        """The theme and all its broader themes (so facets count up the hierarchy)."""
        out, todo = set(), [theme]
        while todo:
            t = todo.pop()
            if t not in out:
                out.add(t)
                todo.extend(self.broader.get(t, ()))
        return out

    def label(self, iri: str, lang: str = "en") -> str | None:
        labels = self.labels.get(iri)
        if not labels:
            return None
        for key in (lang, "en", ""):
            if key in labels:
                return labels[key]
        return next(iter(labels.values()))

    def place_names(self, iri: str) -> list[str]:
        """Every name of a city or country: labels in all languages and aliases."""
        return [*self.labels.get(iri, {}).values(), *self.aliases.get(iri, ())]


def _lang(term: OxTerm) -> str:
    return (term.language or "") if isinstance(term, Literal) else ""


def read_vocabulary(store: Store) -> Vocabulary:
    """Labels, theme tree, regions and ISO codes of countries, and the cities that are search
    documents (linked from a curated thing, or curated) with their names."""
    vocab = Vocabulary()
    # Written into the text (not a VALUES block, which would not reach the sub-select).
    curated = URIRef(store.base_iri + "graph/curated/cities")
    text = substitute_term(helper("search/list_search_vocabulary"), "curatedCities", curated)
    rows = store.select_terms(text)
    cities: dict[str, None] = {}
    for row in rows:
        x, f, v = row["x"].value, row["field"].value, row["value"]
        if f in ("label", "city") and isinstance(v, Literal):
            vocab.labels[x].setdefault(_lang(v), v.value)
            if "/id/theme/" in x:
                vocab.theme_labels[x].insert(0, (v.value, _lang(v)))
            if f == "city":
                cities[x] = None
        elif f == "alt" and isinstance(v, Literal):
            if "/id/theme/" in x:
                vocab.theme_labels[x].append((v.value, _lang(v)))
            else:
                vocab.aliases[x].append(v.value)
        elif f == "broader":
            vocab.broader[x].add(v.value)
        elif f == "region":
            vocab.region_of[x] = v.value
        elif f == "iso":
            vocab.iso[x] = v.value.lower()
        elif f == "country":
            vocab.country_of[x] = v.value
    vocab.cities = sorted(cities)
    for country, code in vocab.iso.items():
        known = {n.casefold() for n in vocab.place_names(country)}
        for name in country_names(code):
            if name.casefold() not in known:
                known.add(name.casefold())
                vocab.aliases[country].append(name)
    return vocab


@functools.cache
def country_names(code: str) -> tuple[str, ...]:
    """A country's common, short and official names in en, de, es, fr, pt and ar (pycountry's
    ISO 3166 translations); "Palestine, State of" also gives "Palestine"."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return ()
    attributes = ("common_name", "name", "official_name", "short_name")
    english: list[str] = [n for a in attributes if (n := getattr(country, a, None))]
    names: list[str] = []
    for lang in ("en", "de", "es", "fr", "pt", "ar"):
        tr = _translations(lang)
        for name in english:
            local = tr.gettext(name) if tr else name
            names.append(local)
            if "," in local:  # "Palestine, State of" -> "Palestine"
                names.append(local.split(",", 1)[0])
    return tuple(dict.fromkeys(names))


@functools.cache
def _translations(lang: str) -> gettext.NullTranslations | None:
    if lang == "en":
        return None
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return None


def read_documents(store: Store, vocab: Vocabulary) -> dict[str, Document]:
    """The curated things (one query), then the cities and countries they are in."""
    docs: dict[str, Document] = {}
    for row in store.select_terms(helper("search/list_search_documents")):
        kind = KIND_OF_TYPE.get(row["type"].value)
        if kind is None:
            continue
        iri = row["s"].value
        doc = docs.get(iri)
        if doc is None:
            doc = docs[iri] = Document(iri, kind)
            doc.facets["kind"].add(kind)
        _add(doc, row["field"].value, row["value"], vocab)
    for doc in docs.values():
        for name in _LIST_FIELDS:
            setattr(doc, name, list(dict.fromkeys(getattr(doc, name))))
    countries = {c for d in docs.values() for c in d.facets.get("country", ())}
    for city in vocab.cities:
        docs[city] = _city(city, vocab)
        countries.update(docs[city].facets.get("country", ()))
    for country in sorted(countries):
        if country in vocab.labels:
            docs[country] = _country(country, vocab)
    return docs


def _add(doc: Document, f: str, v: OxTerm, vocab: Vocabulary) -> None:
    value = v.value
    if f == "label":
        doc.labels.setdefault(_lang(v), value)
    elif f == "alt":
        doc.names.append(value)
    elif f == "description":
        doc.summary.setdefault(_lang(v), value)
    elif f == "outcome":
        doc.outcomes.append((value, _lang(v)))
    elif f == "theme":
        doc.themes.append(value)
        doc.facets["theme"] |= vocab.with_broader(value)
    elif f == "country":
        _add_country(doc, value, vocab)
    elif f == "city":
        doc.city.append(value)
        doc.facets["city"].add(value)
    elif f == "place":
        doc.places.append(value)
    elif f == "org":
        doc.orgs.append(value)
    elif f == "start":
        doc.start = max(doc.start, value)
        doc.facets["year"].add(value[:4])
    elif f == "end":
        doc.end = max(doc.end, value)
    elif f == "example":
        doc.is_example = value.lower() == "true"
    elif f in _FACET_FIELDS:
        doc.facets[_FACET_FIELDS[f]].add(value)


def _add_country(doc: Document, country: str, vocab: Vocabulary) -> None:
    doc.facets["country"].add(country)
    if country in vocab.region_of:
        doc.facets["region"].add(vocab.region_of[country])


def _city(iri: str, vocab: Vocabulary) -> Document:
    doc = Document(iri, "city", labels=dict(vocab.labels[iri]), names=list(vocab.aliases[iri]))
    doc.facets["kind"].add("city")
    country = vocab.country_of.get(iri)
    if country:
        _add_country(doc, country, vocab)
        doc.places.append(country)
    return doc


def _country(iri: str, vocab: Vocabulary) -> Document:
    doc = Document(iri, "country", labels=dict(vocab.labels[iri]), names=list(vocab.aliases[iri]))
    doc.facets["kind"].add("country")
    _add_country(doc, iri, vocab)
    return doc


def places_of(doc: Document, vocab: Vocabulary) -> Iterable[str]:
    """The IRIs of the places a document is in: its cities, their countries, its partner and
    participating cities and countries."""
    seen: dict[str, None] = {}
    for place in [*doc.city, *doc.places, *doc.facets.get("country", ())]:
        seen[place] = None
        country = vocab.country_of.get(place)
        if country:
            seen[country] = None
    if doc.kind in ("city", "country"):
        seen.pop(doc.iri, None)
    return list(seen)
