"""Places and sizes a need's free text mentions: the number of inhabitants, countries by any
of their names in the six languages (pycountry and its translations), and GeoNames cities.
``cckg.core.text_analysis.analyse`` reads them with the themes and words."""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pycountry

from cckg.core import geonames
from cckg.core.text_words import GENERIC_WORDS, Token, arabic_stem, fold, is_arabic

# Country names that are also ordinary words in one of our languages.
_AMBIGUOUS_COUNTRY_NAMES = frozenset(
    {"island", "reunion", "maurice", "grenade", "man", "jersey", "chad", "turkey", "guinea"}
    # Arabic: without harakat, Oman (عُمان) is spelt as the city of Amman (عمّان).
    | {"عمان"}
)

# ---------------------------------------------------------------- population

_MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "tausend": 1_000,
    "mil": 1_000,
    "mille": 1_000,
    "m": 1_000_000,
    "mio": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "millionen": 1_000_000,
    "millon": 1_000_000,
    "millones": 1_000_000,
    "mn": 1_000_000,
}
_POPULATION_AFTER = re.compile(
    r"^\W*(?:de\s+|d\W)?(?:inhabitants?|residents?|people|population|citizens|einwohner\w*|"
    r"bewohner\w*|menschen|habitantes|personas|pobladores|habitants?|personnes|âmes)\b",
    re.IGNORECASE,
)
_POPULATION_BEFORE = re.compile(
    r"(?:city|town|municipality|population|inhabitants|stadt|gemeinde|kommune|einwohnerzahl|"
    r"ciudad|municipio|población|poblacion|ville|commune|population)\s+(?:of|with|von|mit|"
    r"de|con|d|avec|about|around|rund|etwa|ca|approximately|unos|environ)?\W*"
    r"(?:about|around|rund|etwa|ca|approximately|unos|environ|some)?\W*$",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+|\d+(?:[.,]\d+)?)"
    r"(?:\s*(k|thousand|tausend|mil|mille|m|mio|millions?|millionen|mill[oó]n|millones|mn)\b\.?)?",
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(
    r"^\s*(?:%|€|\$|eur|euro|usd|dollars?|tonnes?|tons?|t\b|km|kg|ha|m2|m²|years?|jahre|años|"
    r"ans|days?|households?|haushalte|hogares|ménages)",
    re.IGNORECASE,
)


def _number_value(digits: str, multiplier: str | None) -> int:
    mult = _MULTIPLIERS.get(fold(multiplier), 1_000_000) if multiplier else None
    if re.fullmatch(r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+", digits) and not mult:
        return int(re.sub(r"\D", "", digits))  # thousands separators: 300,000 / 300.000
    value = float(digits.replace(",", "."))  # a decimal: 1.2 / 1,2 (million)
    return int(round(value * (mult or 1)))


def extract_population(text: str) -> int | None:
    """The number of inhabitants a need mentions, or None.

    A number counts when a population word follows it ("300,000 inhabitants",
    "120.000 Einwohnern", "80 000 habitants") or a city word precedes it ("city of 300,000",
    "Stadt mit 250.000"); "300k" or "1.2 million" count unless a unit follows (EUR, tonnes).
    """
    fallback: int | None = None
    for m in _NUMBER.finditer(text):
        digits, multiplier = m.group(1), m.group(2)
        if multiplier and multiplier.lower() == "m" and re.match(r"\s", text[m.end(1) :]):
            multiplier = None  # "30 m" is metres; "1.2M" is a million
        value = _number_value(digits, multiplier)
        if value < 500:
            continue
        after, before = text[m.end() :], text[: m.start()]
        if re.fullmatch(r"(19|20)\d\d", digits) and not multiplier:
            if not _POPULATION_AFTER.match(after):
                continue  # a year
        if _POPULATION_AFTER.match(after) or _POPULATION_BEFORE.search(before[-40:]):
            return value
        if multiplier and fallback is None and not _UNIT_AFTER.match(after):
            fallback = value
    return fallback


# ---------------------------------------------------------------- countries


@functools.cache
def _country_names() -> dict[str, str]:
    """Folded country name (English, official, common, and de/es/fr/pt/ar translations) ->
    alpha-2. Arabic names also without their article ("الأردن" and "أردن")."""
    names: dict[str, str] = {}
    translators = []
    for lang in ("de", "es", "fr", "pt", "ar"):
        try:
            translators.append(
                gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]).gettext
            )
        except OSError:  # pragma: no cover - pycountry ships these catalogues
            continue
    for c in pycountry.countries:
        english = [c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)]
        variants = {n for n in english if n}
        for tr in translators:
            variants |= {tr(n) for n in english if n}
        for name in variants:
            # "Bolivia, Plurinational State of" -> also "Bolivia"
            for form in {name, name.split(",")[0], re.sub(r"\s*\(.*\)", "", name)}:
                key = _country_key(form)
                if len(key) >= 4 and key not in _AMBIGUOUS_COUNTRY_NAMES:
                    names.setdefault(key, c.alpha_2)
    return names


def _country_key(name: str) -> str:
    """A country name folded for lookup; Arabic words without harakat and article."""
    if is_arabic(name):
        return " ".join(arabic_stem(w) for w in name.split())
    return fold(name)


@dataclass(frozen=True)
class Mention:
    value: str  # an ISO code or a GeoNames id
    surface: str  # the words in the text
    start: int  # first token index
    end: int  # one past the last token index


def find_countries(tokens: Sequence[Token]) -> list[Mention]:
    """Country names in the text, longest match first (e.g. "Bosnia and Herzegovina")."""
    names = _country_names()
    found: list[Mention] = []
    used = [False] * len(tokens)
    for n in (4, 3, 2, 1):
        for i in range(len(tokens) - n + 1):
            if any(used[i : i + n]):
                continue
            surface = " ".join(t.text for t in tokens[i : i + n])
            code = names.get(_country_key(surface))
            # Names are capitalised (Arabic script has no capitals).
            if code is None or not (tokens[i].text[:1].isupper() or is_arabic(surface)):
                continue
            found.append(Mention(code, surface, i, i + n))
            used[i : i + n] = [True] * n
    return sorted(found, key=lambda m: m.start)


# Big cities whose names are also common words in the needs people write ("Nice", "Split",
# "Mobile", "Salé"): never taken as a city from free text (the city parameter still works).
_NOT_CITIES = frozenset(
    fold(w)
    for w in """city town municipality mission union progress progreso center centre market
    markets green energy smart victoria concordia esperanza libertad paz trinidad providence
    harmony liberty independence unity nice split mobile reading sale male paradise hope bath
    marks forest bello""".split()
)


def find_cities(tokens: Sequence[Token], country: str | None, taken: set[int]) -> list[Mention]:
    """GeoNames cities named in the text: runs of up to three capitalised words.

    Without a country named in the text only cities of 100,000 or more count (German nouns are
    capitalised, and GeoNames knows many small towns called like common words); with a country,
    only its cities count, of any size.
    """
    found: list[Mention] = []
    used = set(taken)
    for n in (3, 2, 1):
        for i in range(len(tokens) - n + 1):
            span = tokens[i : i + n]
            if any(k in used for k in range(i, i + n)):
                continue
            if not all(t.text[:1].isupper() and not t.stop for t in span):
                continue
            surface = " ".join(t.text for t in span)
            key = fold(surface)
            # Three letters or fewer are mostly airport codes among GeoNames alternate names.
            if len(key) < 4 or key in _NOT_CITIES or key in GENERIC_WORDS:
                continue
            records = geonames.candidates(surface)
            if country:
                records = [r for r in records if r["countrycode"] == country]
            elif records and records[0]["population"] < 100_000:
                records = []
            if records:
                found.append(Mention(str(records[0]["geonameid"]), surface, i, i + n))
                used |= set(range(i, i + n))
    return sorted(found, key=lambda m: m.start)
