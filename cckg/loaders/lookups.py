"""The curated lists a record is checked against: the theme slugs of ontology/themes.ttl and
the curated cities of data/cities.csv, each read once and again only when its file changes."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from cckg.core import geonames
from cckg.core.namespaces import CCKG, RDF
from cckg.core.resources import resource_dir
from cckg.loaders.csv_source import read_csv
from cckg.loaders.raw import decode, split_list

DEFAULT_THEMES = resource_dir("ontology") / "themes.ttl"
DEFAULT_CITIES = resource_dir("data") / "cities.csv"
THEME_PREFIX = "https://w3id.org/cckg/id/theme/"
_LABEL_KEY = re.compile(r"(label|title)_(.+)")


@functools.cache
def _theme_slugs(path: Path, mtime_ns: int) -> frozenset[str]:
    themes = Graph().parse(path, format="turtle")
    return frozenset(
        str(s)[len(THEME_PREFIX) :]
        for s in themes.subjects(RDF.type, CCKG.Theme)
        if str(s).startswith(THEME_PREFIX)
    )


def theme_slugs(path: Path = DEFAULT_THEMES) -> frozenset[str]:
    """The theme slugs of the SKOS theme scheme (re-read when the file changes)."""
    return _theme_slugs(path, path.stat().st_mtime_ns)


@dataclass(frozen=True)
class CuratedCities:
    """Cities of data/cities.csv: ids (GeoNames ids or slugs) and names/aliases by country."""

    countries: dict[str, str]  # id -> ISO country code
    by_name: dict[tuple[str, str], str]  # (folded name, country) -> id

    def find(self, name: str, country: str | None) -> str | None:
        if name in self.countries:
            return name
        if country:
            return self.by_name.get((geonames.normalise(name), country))
        return None


@functools.cache
def _curated_cities(path: Path, mtime_ns: int) -> CuratedCities:
    text = decode(path, path.read_bytes())
    _, rows = read_csv(path, text)
    countries: dict[str, str] = {}
    by_name: dict[tuple[str, str], str] = {}
    for row in rows:
        ident = str(row.values.get("id", "")).strip()
        country = str(row.values.get("country", "")).strip().upper()
        if not ident or not country:
            continue  # parse_file(cities.csv) reports these with their line
        countries[ident] = country
        names = [v for k, v in row.values.items() if _LABEL_KEY.fullmatch(k)]
        names += split_list(row.values.get("aliases"))
        for name in names:
            by_name.setdefault((geonames.normalise(str(name)), country), ident)
    return CuratedCities(countries, by_name)


def curated_cities(path: Path = DEFAULT_CITIES) -> CuratedCities:
    """The curated cities of ``path`` (empty when it does not exist)."""
    if not path.exists():
        return CuratedCities({}, {})
    return _curated_cities(path, path.stat().st_mtime_ns)
