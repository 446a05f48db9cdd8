"""The curated municipalities of ``data/cities.csv`` by slug or name, for resolving an asking
city that GeoNames' list (cities of 15,000 or more, ``cckg.core.geonames``) lacks: "Wasattyah",
"Deir Alla" or "Kufranja" are partners of Connective Cities all the same.

Names are compared as ``geonames.normalise`` folds them (case, accents, punctuation): the id
(a GeoNames id or a slug), every ``label_xx`` column and every alias ("Deir Allah | Dayr
Allā"). The file is read through ``cckg.core.resources`` and again only when it changes.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path

from cckg.core import geonames
from cckg.core.resources import resource_dir

_LABEL = re.compile(r"label_[a-z]{2}")


@dataclass(frozen=True)
class CuratedCity:
    id: str  # the last segment of the city's IRI: a GeoNames id or a slug
    country: str  # ISO 3166-1 alpha-2
    names: tuple[str, ...]


@dataclass(frozen=True)
class CuratedPlaces:
    cities: tuple[CuratedCity, ...]
    by_key: dict[str, tuple[CuratedCity, ...]]  # folded id or name -> cities

    def find(self, value: str, country: str | None = None) -> CuratedCity | None:
        """The curated city whose id or any name is ``value`` (in ``country`` when given);
        None when there is none, or several in different countries and no country."""
        found = self.by_key.get(geonames.normalise(value), ())
        if country:
            found = tuple(c for c in found if c.country == country.strip().upper())
        if len({c.id for c in found}) == 1:
            return found[0]
        return None


def cities_file() -> Path:
    return resource_dir("data") / "cities.csv"


@functools.cache
def _read(path: Path, mtime_ns: int) -> CuratedPlaces:
    text = path.read_text(encoding="utf-8-sig")
    cities: list[CuratedCity] = []
    by_key: dict[str, tuple[CuratedCity, ...]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        ident = (row.get("id") or "").strip()
        country = (row.get("country") or "").strip().upper()
        if not ident or not country:
            continue
        names = [v.strip() for k, v in row.items() if k and _LABEL.fullmatch(k) and v]
        names += [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
        city = CuratedCity(ident, country, tuple(dict.fromkeys(names)))
        cities.append(city)
        for key in {geonames.normalise(n) for n in (ident, *names)}:
            if key and city not in by_key.get(key, ()):
                by_key[key] = (*by_key.get(key, ()), city)
    return CuratedPlaces(tuple(cities), by_key)


def curated_places(path: Path | None = None) -> CuratedPlaces:
    """The curated cities of ``path`` (default ``data/cities.csv``; none when it is absent)."""
    path = path or cities_file()
    if not path.exists():
        return CuratedPlaces((), {})
    return _read(path, path.stat().st_mtime_ns)


def find_curated_city(value: str, country: str | None = None) -> str | None:
    """The id of the curated city called ``value`` (slug, GeoNames id, name or alias, case-
    and accent-insensitive), or None."""
    city = curated_places().find(value, country)
    return city.id if city else None
