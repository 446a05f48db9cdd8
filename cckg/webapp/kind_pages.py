"""What each kind's page answers, above the linked-data table: who can help with a need, which
needs an offer could serve, what happened at an event (and what became of its project ideas),
an institution's work, a theme's neighbourhood and content, a city's needs, offers, people,
similar cities and its useful names.

``gather(kind, description, lang)`` returns the section's data (a dataclass per kind) or None;
the partial ``templates/kind/_{kind}.html`` draws it. Facts come from the helper queries in
``queries/pages/kinds/`` with the page's IRI bound as ``?this`` (never pasted into the text),
on the public dataset only: practitioners' e-mail and phone live in the private graph and no
query here asks for contact predicates. Work that does not depend on the page (the cities to
compare with) or that is slow (the matcher: 0.2-0.6 s a need on the real graph) is kept per
store version in ``caching.cached``; the rendered page is kept by the linked-data route.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_compact_decimal
from flask import Flask, current_app
from flask_babel import format_date, gettext
from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from cckg.core import i18n
from cckg.core.matching import MatchError, MatchRequest, MatchResponse
from cckg.core.matching import reasons as say
from cckg.core.namespaces import CCKG
from cckg.core.queries import helper
from cckg.core.store import Row
from cckg.webapp import caching, geodata
from cckg.webapp.linked import local_href, pick_label, short
from cckg.webapp.store import get_matcher, get_store

HELPER_KINDS = ("solution", "institution", "practitioner")
HELPERS = 8  # helpers listed on a need page, needs on an offer page
SIMILAR = 5  # similar cities on a city page
SHOWN_PER_SCRIPT = 2  # untagged alternate names kept visible per script
_POINT = re.compile(r"POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)", re.I)  # as linked_data reads it

# ---------------------------------------------------------------- shared pieces


@dataclass
class Link:
    href: str
    label: str
    iri: str
    example: bool = False


@dataclass
class Helper:
    """One matcher result on a need page (a helper) or an offer page (a need it could serve)."""

    link: Link
    kind: str
    reasons: list[str]
    place: str | None
    introduce: str | None  # the /introductions/new link (need pages)


def _query(name: str, iri: str) -> list[Row]:
    return get_store().select(helper(f"pages/kinds/{name}"), {"this": URIRef(iri)})


def _href(iri: str) -> str:
    return local_href(iri, current_app.config["CCKG_BASE_IRI"]) or iri


def _fields(rows: Iterable[Row], lang: str, key: str = "field") -> dict[str, list[Link]]:
    """Rows of ``?field ?value ?label [?example]`` as links per field, one per value, labelled
    in ``lang`` where the data has it (else English, untagged, any), sorted by label."""
    labels: dict[str, dict[str, dict[str, str]]] = {}
    examples: set[str] = set()
    for r in rows:
        value = r["value"]
        per = labels.setdefault(str(r[key]), {}).setdefault(str(value), {})
        label = r.get("label")
        if isinstance(label, Literal):
            per.setdefault(label.language or "", str(label))
        elif isinstance(value, Literal):
            per.setdefault("", str(value))
        example = r.get("example")
        if isinstance(example, Literal) and example.toPython() is True:
            examples.add(str(value))
    return {
        name: sorted(
            (
                Link(_href(v), pick_label(lbls, lang) or short(v), v, v in examples)
                for v, lbls in values.items()
            ),
            key=lambda link: link.label.casefold(),
        )
        for name, values in labels.items()
    }


def _literal(rows: Iterable[Row], name: str) -> Node | None:
    return next((r["value"] for r in rows if str(r["field"]) == name), None)


def _matches(key: str, request: MatchRequest) -> MatchResponse | None:
    """The matcher's answer, kept per store version (reasons in English, with their message
    ids: they are rendered in the page's language per request)."""

    def compute() -> MatchResponse | None:
        try:
            return get_matcher().match(request)
        except MatchError:
            return None

    response: MatchResponse | None = caching.cached(key, compute)
    return response


def _helpers(response: MatchResponse | None, lang: str, need: str | None) -> list[Helper]:
    out = []
    for r in response.results if response else []:
        introduce = None
        if need is not None:
            introduce = "/introductions/new?" + urlencode({"counterpart": r.iri, "need": need})
        out.append(
            Helper(
                Link(_href(r.iri), r.label, r.iri, r.is_example),
                r.kind,
                [reason.text for reason in say.localise(r.reasons, lang)],
                r.place,
                introduce,
            )
        )
    return out


# ---------------------------------------------------------------- need and offer


@dataclass
class NeedSection:
    helpers: list[Helper]
    city: list[Link]
    themes: list[Link]
    idea: list[Link]
    status: list[Link]


def _need_matches(iri: str) -> MatchResponse | None:
    request = MatchRequest(need=iri, kinds=HELPER_KINDS, limit=HELPERS, display="en")
    return _matches(f"kinds:need:{iri}", request)


def _offer_matches(iri: str) -> MatchResponse | None:
    return _matches(f"kinds:offer:{iri}", MatchRequest(offer=iri, limit=HELPERS, display="en"))


def need_section(iri: str, lang: str) -> NeedSection:
    helpers = _helpers(_need_matches(iri), lang, iri)
    f = _fields(_query("list_need_context", iri), lang)
    return NeedSection(
        helpers, f.get("city", []), f.get("theme", []), f.get("idea", []), f.get("status", [])
    )


@dataclass
class OfferSection:
    needs: list[Helper]
    offered_by: list[Link]
    based_on: list[Link]
    city: list[Link]
    themes: list[Link]


def offer_section(iri: str, lang: str) -> OfferSection:
    needs = _helpers(_offer_matches(iri), lang, None)
    f = _fields(_query("list_offer_context", iri), lang)
    return OfferSection(
        needs, f.get("offeredBy", []), f.get("basedOn", []), f.get("city", []), f.get("theme", [])
    )


# ---------------------------------------------------------------- event


@dataclass
class IdeaChain:
    """A project idea born at the event → its status → the good practice that realised it (or
    the open need derived from it)."""

    idea: Link
    status: str | None
    solutions: list[Link] = field(default_factory=list)
    needs: list[Link] = field(default_factory=list)


@dataclass
class EventSection:
    dates: str | None
    format: list[Link]
    city: list[Link]
    hosts: list[Link]
    cities: list[Link]
    countries: list[Link]
    presented: list[Link]
    ideas: list[IdeaChain]


def _date(node: Node | None) -> date | None:
    value = node.toPython() if isinstance(node, Literal) else None
    return value if isinstance(value, date) else None


def _dates(start: date | None, end: date | None) -> str | None:
    if start is None:
        return None
    if end is None or end == start:
        return format_date(start, "long")
    return f"{format_date(start, 'long')} – {format_date(end, 'long')}"


def _ideas(rows: Sequence[Row], lang: str) -> list[IdeaChain]:
    def labelled(iri: str, by_lang: Mapping[str, str]) -> Link:
        return Link(_href(iri), pick_label(dict(by_lang), lang) or short(iri), iri)

    ideas: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = ideas.setdefault(
            str(r["idea"]),
            {"labels": {}, "status": {}, "solutions": {}, "needs": {}},
        )
        for var, slot, target in (
            ("ideaLabel", "labels", None),
            ("statusLabel", "status", None),
            ("solutionLabel", "solutions", "solution"),
            ("needLabel", "needs", "need"),
        ):
            label = r.get(var)
            if target is not None and r.get(target) is not None:
                per = entry[slot].setdefault(str(r[target]), {})
            elif target is None:
                per = entry[slot]
            else:
                continue
            if isinstance(label, Literal):
                per.setdefault(label.language or "", str(label))
    chains = []
    for idea, e in ideas.items():
        chains.append(
            IdeaChain(
                labelled(idea, e["labels"]),
                pick_label(e["status"], lang) or None,
                [labelled(s, lbls) for s, lbls in sorted(e["solutions"].items())],
                [labelled(n, lbls) for n, lbls in sorted(e["needs"].items())],
            )
        )
    return sorted(chains, key=lambda c: c.idea.label.casefold())


def event_section(iri: str, lang: str) -> EventSection:
    rows = _query("list_event_facts", iri)
    f = _fields(rows, lang)
    return EventSection(
        _dates(_date(_literal(rows, "start")), _date(_literal(rows, "end"))),
        f.get("format", []),
        f.get("city", []),
        f.get("host", []),
        f.get("participatingCity", []),
        f.get("participatingCountry", []),
        f.get("presented", []),
        _ideas(_query("list_event_ideas", iri), lang),
    )


# ---------------------------------------------------------------- institution and theme


@dataclass
class InstitutionSection:
    solutions: list[Link]
    people: list[Link]
    events: list[Link]
    offers: list[Link]


def institution_section(iri: str, lang: str) -> InstitutionSection:
    f = _fields(_query("list_institution_work", iri), lang)
    return InstitutionSection(
        f.get("solution", []), f.get("person", []), f.get("event", []), f.get("offer", [])
    )


@dataclass
class ThemeSection:
    broader: list[Link]
    narrower: list[Link]
    solutions: list[Link]
    experts: list[Link]
    needs: list[Link]
    counts: dict[str, int]  # solution, expert, need, offer, event -> how many (with narrower)


def theme_section(iri: str, lang: str) -> ThemeSection:
    f = _fields(_query("list_theme_content", iri), lang)
    counts = {k: len(f.get(k, [])) for k in ("solution", "expert", "need", "offer", "event")}
    return ThemeSection(
        f.get("broader", []),
        f.get("narrower", []),
        f.get("solution", []),
        f.get("expert", []),
        f.get("need", []),
        counts,
    )


# ---------------------------------------------------------------- city


@dataclass
class Similar:
    link: Link
    reasons: list[str]


@dataclass
class CitySection:
    needs: list[Link]
    offers: list[Link]
    practitioners: list[Link]
    similar: list[Similar]
    names: list[str]  # the useful alternate names
    more_names: list[str]  # the rest (behind <details>)


@dataclass(frozen=True)
class _Active:
    iri: str
    label: str
    population: int | None
    region: str | None
    themes: frozenset[str]
    point: tuple[float, float] | None = None  # lon, lat as the city overview reads them
    iso: str = ""  # the country's slug (ISO code, lower case)


def _active_cities() -> dict[str, _Active]:
    """Every city the curated data names, with what similarity compares (per store version)."""

    def compute() -> dict[str, _Active]:
        rows = get_store().select(helper("pages/kinds/list_active_cities"))
        seen: dict[str, dict[str, Any]] = {}
        for r in rows:
            e = seen.setdefault(
                str(r["city"]),
                {"label": str(r["label"]), "pop": None, "region": None, "themes": set(),
                 "point": None, "iso": ""},
            )  # fmt: skip
            if r.get("population") is not None:
                e["pop"] = int(float(str(r["population"])))
            if r.get("region") is not None:
                e["region"] = str(r["region"])
            if r.get("theme") is not None:
                e["themes"].add(str(r["theme"]))
            if r.get("country") is not None:
                e["iso"] = str(r["country"]).rsplit("/", 1)[-1]
            point = _POINT.search(str(r.get("wkt", "")))
            if point:
                e["point"] = (float(point.group(1)), float(point.group(2)))
        return {
            c: _Active(
                c, e["label"], e["pop"], e["region"], frozenset(e["themes"]), e["point"], e["iso"]
            )
            for c, e in seen.items()
        }

    cities: dict[str, _Active] = caching.cached("kinds:active-cities", compute)
    return cities


def _size_closeness(a: int | None, b: int | None) -> float:
    """1 for the same population, 0 from a factor of ten apart."""
    if not a or not b:
        return 0.0
    return max(0.0, 1.0 - abs(math.log10(a / b)))


def _compact(n: int, lang: str) -> str:
    return format_compact_decimal(n, locale=i18n.supported(lang), fraction_digits=1)


def similar_cities(
    iri: str, population: int | None, region: str | None, region_label: str, lang: str
) -> list[Similar]:
    """Cities with data that resemble this one: size (log scale), world region, shared themes
    (Jaccard, counted double: what a city works on says most about whom it can learn from)."""
    active = _active_cities()
    me = active.get(iri)
    themes = me.themes if me else frozenset()
    vocab = get_matcher().vocabulary
    scored = []
    for other in active.values():
        if other.iri == iri:
            continue
        size = _size_closeness(population, other.population)
        same_region = region is not None and other.region == region
        shared = themes & other.themes
        union = themes | other.themes
        jaccard = len(shared) / len(union) if union else 0.0
        score = size + (1.0 if same_region else 0.0) + 2 * jaccard
        if score > 0:
            scored.append((score, other, size, same_region, shared))
    scored.sort(key=lambda s: (-s[0], s[1].label))
    out = []
    for _, other, size, same_region, shared in scored[:SIMILAR]:
        reasons = []
        if size >= 0.5 and population and other.population:
            reasons.append(
                gettext(
                    "similar size: %(other)s inhabitants (here %(this)s)",
                    other=_compact(other.population, lang),
                    this=_compact(population, lang),
                )
            )
        if same_region:
            reasons.append(gettext("same world region: %(region)s", region=region_label))
        if shared:
            names = sorted(vocab.label(t, [lang]) for t in shared)
            reasons.append(gettext("shared themes: %(themes)s", themes=", ".join(names[:4])))
        out.append(Similar(Link(_href(other.iri), other.label, other.iri), reasons))
    return out


# Scripts of the UI languages other than Latin, and of common country languages: an untagged
# GeoNames alternate name in one of them is likely the name in that language.
_LANGUAGE_SCRIPTS = {
    "ar": "ARABIC", "fa": "ARABIC", "ur": "ARABIC", "ps": "ARABIC", "ru": "CYRILLIC",
    "uk": "CYRILLIC", "bg": "CYRILLIC", "sr": "CYRILLIC", "mk": "CYRILLIC", "be": "CYRILLIC",
    "kk": "CYRILLIC", "ky": "CYRILLIC", "mn": "CYRILLIC", "tg": "CYRILLIC", "he": "HEBREW",
    "zh": "CJK", "hi": "DEVANAGARI", "ne": "DEVANAGARI", "mr": "DEVANAGARI", "bn": "BENGALI",
}  # fmt: skip
# Letters of the standard Arabic alphabet: variants with letters of other languages written in
# Arabic script (Persian, Urdu, Kurdish, Uyghur) are kept behind the toggle.
_ARABIC_LETTERS = {chr(c) for c in range(0x0621, 0x064B)} | {" "}


def _script(name: str) -> str | None:
    for ch in name:
        if ch.isalpha():
            try:
                return unicodedata.name(ch).split(" ")[0]
            except ValueError:
                return None
    return None


def _bare(name: str) -> str:
    """The name without combining marks (Arabic vowel signs, shadda; Latin accents)."""
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))


def useful_names(
    names: Iterable[Literal], label: str, country_langs: Iterable[str]
) -> tuple[list[str], list[str]]:
    """The alternate names worth showing, and the rest.

    Shown: names tagged with a UI language or a language of the city's country, and untagged
    names in the script of such a language other than Latin (GeoNames gives no language for
    most names, but a name in Arabic script for a Jordanian city is its Arabic name), at most
    ``SHOWN_PER_SCRIPT`` per script: spelling variants (vowel signs) count as one, the most
    frequent first. Untagged Latin-script names cannot be told apart by language: all of them
    go behind the toggle.
    """
    langs = set(i18n.LANGUAGES) | set(country_langs)
    scripts = {_LANGUAGE_SCRIPTS[lang] for lang in langs if lang in _LANGUAGE_SCRIPTS}
    shown: list[str] = []
    rest: list[str] = []
    by_script: dict[str, dict[str, list[str]]] = {}
    for term in sorted(names, key=str):
        text = str(term)
        if text == label:
            continue
        if term.language:
            (shown if term.language in langs else rest).append(text)
            continue
        script = _script(text)
        if script not in scripts or (
            script == "ARABIC" and not set(_bare(text)) <= _ARABIC_LETTERS
        ):
            rest.append(text)
            continue
        by_script.setdefault(script or "", {}).setdefault(_bare(text), []).append(text)
    for groups in by_script.values():
        ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), len(kv[0]), kv[0]))
        for i, (bare, variants) in enumerate(ranked):
            if i < SHOWN_PER_SCRIPT:
                # the variant written without marks when there is one (the everyday spelling)
                shown.append(bare if bare in variants else variants[0])
                rest.extend(v for v in variants if v != shown[-1])
            else:
                rest.extend(variants)
    return shown, sorted(set(rest) - set(shown), key=str.casefold)


def city_section(
    iri: str, lang: str, names: Iterable[Literal], label: str, population: int | None
) -> CitySection:
    by_type: dict[str, list[Row]] = {}
    for r in _query("list_city_content", iri):
        kind = str(r["type"]).rsplit("#", 1)[-1]
        by_type.setdefault(kind, []).append({**r, "field": Literal(kind)})
    lists = _fields((r for rows in by_type.values() for r in rows), lang)
    country = _query("get_city_country", iri)
    region = next((str(r["region"]) for r in country if r.get("region") is not None), None)
    region_labels: dict[str, str] = {}
    for r in country:
        rl = r.get("regionLabel")
        if isinstance(rl, Literal):
            region_labels.setdefault(rl.language or "", str(rl))
    langs = {str(r["language"]).rsplit("/", 1)[-1] for r in country if "language" in r}
    shown, rest = useful_names(names, label, langs)
    return CitySection(
        lists.get("Need", []),
        lists.get("Offer", []),
        lists.get("Practitioner", []),
        similar_cities(iri, population, region, pick_label(region_labels, lang), lang),
        shown,
        rest,
    )


# ---------------------------------------------------------------- dispatch

KINDS = ("need", "offer", "event", "institution", "theme", "city")


def gather(kind: str, iri: str, graph: Graph, lang: str) -> Any | None:
    """The section of a ``kind`` page (None for kinds without one). ``graph`` holds the thing's
    own triples (the linked-data description): the city's names and population come from it."""
    if kind == "need":
        return need_section(iri, lang)
    if kind == "offer":
        return offer_section(iri, lang)
    if kind == "event":
        return event_section(iri, lang)
    if kind == "institution":
        return institution_section(iri, lang)
    if kind == "theme":
        return theme_section(iri, lang)
    if kind == "city":
        node = URIRef(iri)
        names = [o for o in graph.objects(node, SKOS.altLabel) if isinstance(o, Literal)]
        population = next(
            (int(o) for o in graph.objects(node, CCKG.population) if isinstance(o, Literal)), None
        )
        label = next((str(o) for o in graph.objects(node, RDFS.label)), "")
        return city_section(iri, lang, names, label, population)
    return None


WARM_UP_CAP = 1000  # needs and offers matched ahead; the rest on their first request


def warm_up(app: Flask) -> int:
    """Match every need and offer, gather the cities to compare with and draw their locator
    maps, ahead of the first request (the matcher takes 0.1-0.6 s a need on the real graph;
    a page must answer in 0.3 s). Run by ``cckg serve`` after the matcher's own warm-up;
    returns how many things were matched. Kept per store version (the locators per process):
    after a load, pages compute on their first request."""
    with app.app_context():
        rows = get_store().select(helper("pages/kinds/list_matched_things"))
        # The locator map of a city page costs ~0.1 s of CPU to draw the first time (kept per
        # process): drawn ahead for the cities the data names, the ones pages link to.
        for city in _active_cities().values():
            if city.point is not None:
                geodata.locator(city.point[0], city.point[1], city.iso)
        for r in rows[:WARM_UP_CAP]:
            if str(r["type"]) == str(CCKG.Need):
                _need_matches(str(r["thing"]))
            else:
                _offer_matches(str(r["thing"]))
    return min(len(rows), WARM_UP_CAP)
