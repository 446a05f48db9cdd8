"""One record -> RDF, per record class, shared by every tabular format.

CSV and YAML readers hand over ``RawRecord``s; ``map_records`` turns them into triples with the
same functions, so one record written in either format gives the same graph. Values arrive as
text, numbers, booleans or lists; each field's handler parses them, and every problem raises a
``SourceError`` naming the file, line, record id and field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pycountry
from rdflib import Graph, Literal, URIRef

from cckg.core import geonames, iris
from cckg.core.namespaces import CCKG, DCTERMS, GEO, OWL, RDF, RDFS, SKOS, XSD
from cckg.core.resources import resource_dir
from cckg.core.settings import DEFAULT_BASE_IRI
from cckg.loaders.model import Location, SourceError

LIST_SEPARATOR = " | "
MAX_FIELD_CHARS = 10_000
DEFAULT_THEMES = resource_dir("ontology") / "themes.ttl"
DEFAULT_CITIES = resource_dir("data") / "cities.csv"
THEME_PREFIX = "https://w3id.org/cckg/id/theme/"

STATUSES = {
    "idea": CCKG.Idea,
    "pilot": CCKG.Pilot,
    "implemented": CCKG.Implemented,
    "scaled": CCKG.Scaled,
}
EVENT_FORMATS = {
    "dialogue-event": CCKG.DialogueEvent,
    "practitioners-workshop": CCKG.PractitionersWorkshop,
    "local-project-workshop": CCKG.LocalProjectWorkshop,
    "expert-assignment": CCKG.ExpertAssignment,
    "study-tour": CCKG.StudyTour,
    "webinar": CCKG.Webinar,
    "networking-event": CCKG.NetworkingEvent,
    "working-group": CCKG.WorkingGroup,
    "conference": CCKG.Conference,
}
INSTITUTION_KINDS = {
    "city-administration": CCKG.CityAdministration,
    "municipal-company": CCKG.MunicipalCompany,
    "association": CCKG.Association,
    "ministry": CCKG.Ministry,
    "development-agency": CCKG.DevelopmentAgency,
    "university": CCKG.University,
    "ngo": CCKG.NGO,
    "private-company": CCKG.PrivateCompany,
    "international-organisation": CCKG.InternationalOrganisation,
}
PRACTICE_KINDS = ("good_practice", "project", "pilot", "presented_example", "guide")

_LANG_KEY = re.compile(r"(label|title|summary)_(.+)")
_LABEL_KEY = re.compile(r"(label|title)_(.+)")
_CITY_WITH_COUNTRY = re.compile(r"(.+?)\s*,\s*([A-Za-z]{2})")
_IRI = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")
_PERIOD = re.compile(r"(\d{4})(?:\s*-\s*(\d{4})?)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?[0-9][0-9 ()/.-]{3,}[0-9]")
_DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class RawRecord:
    """A record as read from a source: values by key, and the line of the record and keys."""

    line: int
    values: dict[str, Any]
    field_lines: dict[str, int] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None  # CSV: every header column, even for empty cells


# ---------------------------------------------------------------- reference data (cached)


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
    from cckg.loaders.csv_source import read_csv  # late: csv_source imports RawRecord from here

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


def decode(path: Path, data: bytes) -> str:
    """UTF-8 text of a source; SourceError for other encodings, naming the line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("file is UTF-16 encoded; save it as UTF-8", Location(str(path), 1))
    if b"\x00" in data:  # UTF-16 without a byte order mark decodes as "valid" UTF-8
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise SourceError(
            "file contains NUL bytes (UTF-16 or binary?); save it as UTF-8",
            Location(str(path), line),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            Location(str(path), line),
        ) from exc
    return text.removeprefix("\ufeff")  # spreadsheets write a UTF-8 byte order mark


def split_list(value: Any) -> list[str]:
    """A list value as text items: YAML lists as they are, text split on ``|`` (written
    `` | `` in the files; the spaces are optional)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        text = _as_text(item)
        out.extend(part.strip() for part in text.split(LIST_SEPARATOR.strip()) if part.strip())
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# ---------------------------------------------------------------- mapping context


def new_graph() -> Graph:
    """An empty graph with the project's prefixes bound (for readable serialisations)."""
    graph = Graph()
    for prefix, namespace in (("cckg", CCKG), ("dcterms", DCTERMS), ("skos", SKOS), ("geo", GEO)):
        graph.bind(prefix, namespace)
    return graph


@dataclass
class Context:
    """What the mapping of one file needs: where it is, the base IRI and reference data."""

    path: Path
    base: str = DEFAULT_BASE_IRI
    themes: frozenset[str] = frozenset()
    cities: CuratedCities = field(default_factory=lambda: CuratedCities({}, {}))
    public: Graph = field(default_factory=new_graph)
    private: Graph = field(default_factory=new_graph)
    locations: dict[URIRef, Location] = field(default_factory=dict)
    references: dict[URIRef, Location] = field(default_factory=dict)


class Rec:
    """One record being mapped: its subject, raw values and helpers that report errors."""

    def __init__(self, ctx: Context, raw: RawRecord, record_id: str, subject: URIRef):
        self.ctx = ctx
        self.raw = raw
        self.id = record_id
        self.subject = subject

    def where(self, key: str | None = None) -> Location:
        line = self.raw.field_lines.get(key, self.raw.line) if key else self.raw.line
        return Location(str(self.ctx.path), line, self.id)

    def error(self, key: str | None, message: str) -> SourceError:
        return SourceError(message, self.where(key), key)

    def add(self, predicate: URIRef, obj: URIRef | Literal) -> None:
        self.ctx.public.add((self.subject, predicate, obj))

    def link(self, key: str, predicate: URIRef, kind: str, slug: str) -> URIRef:
        """Link to one of our things by slug, and note it as a reference to check later."""
        target = self.iri(key, kind, slug)
        self.add(predicate, target)
        self.ctx.references.setdefault(target, self.where(key))
        return target

    def iri(self, key: str, kind: str, slug: str) -> URIRef:
        try:
            return iris.thing(kind, slug, self.ctx.base)
        except ValueError as exc:
            raise self.error(key, f"{exc} (got {slug!r})") from exc

    def one(self, key: str) -> str | None:
        value = self.raw.values.get(key)
        if isinstance(value, list):
            if len(value) != 1:
                raise self.error(key, "expects a single value, not a list")
            value = value[0]
        return None if value is None else _as_text(value)

    def many(self, key: str) -> list[str]:
        return split_list(self.raw.values.get(key))


Handler = Callable[[Rec, str], None]


@dataclass(frozen=True)
class Field:
    handler: Handler
    required: bool = False


@dataclass(frozen=True)
class RecordClass:
    """A record class: its IRI kind, RDF type and allowed keys."""

    name: str  # file stem, e.g. "project-ideas"
    kind: str  # IRI kind, e.g. "project-idea"
    rdf_type: URIRef
    fields: dict[str, Field]
    label_required: bool = True  # at least one label_xx / title_xx
    check: Callable[[Rec], None] | None = None


# ---------------------------------------------------------------- field handlers


def _text(predicate: URIRef, lang: str | None = "en") -> Handler:
    def handle(rec: Rec, key: str) -> None:
        value = rec.one(key)
        if value:
            rec.add(predicate, Literal(value, lang=lang))

    return handle


def _texts(predicate: URIRef, lang: str | None = "en") -> Handler:
    def handle(rec: Rec, key: str) -> None:
        for value in rec.many(key):
            rec.add(predicate, Literal(value, lang=lang))

    return handle


def _iri_value(rec: Rec, key: str, value: str) -> URIRef:
    if not _IRI.fullmatch(value) or not urlsplit(value).netloc:
        raise rec.error(key, f'{value!r} is not a valid http(s) IRI (spaces or <>"{{}}|\\^` ?)')
    return URIRef(value)


def _source(rec: Rec, key: str) -> None:
    value = rec.one(key)
    if value:
        rec.add(DCTERMS.source, _iri_value(rec, key, value))


def _sources(rec: Rec, key: str) -> None:
    for value in rec.many(key):
        rec.add(DCTERMS.source, _iri_value(rec, key, value))


def _boolean(predicate: URIRef) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        value = rec.one(key)
        if value is None:
            return
        if value.lower() not in ("true", "false"):
            raise rec.error(key, f"expects true or false, got {value!r}")
        rec.add(predicate, Literal(value.lower() == "true"))

    return handle


def _enum(predicate: URIRef, values: dict[str, URIRef]) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        value = rec.one(key)
        if value is None:
            return
        if value not in values:
            raise rec.error(
                key, f"unknown value {value!r}; allowed: {', '.join(values)}" + _hint(value, values)
            )
        rec.add(predicate, values[value])

    return handle


def _practice_kind(rec: Rec, key: str) -> None:
    value = rec.one(key)
    if value is None:
        return
    if value not in PRACTICE_KINDS:
        raise rec.error(key, f"unknown value {value!r}; allowed: {', '.join(PRACTICE_KINDS)}")
    rec.add(CCKG.practiceKind, Literal(value))


def _links(predicate: URIRef, kind: str) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        for slug in rec.many(key):
            rec.link(key, predicate, kind, slug)

    return handle


def _link(predicate: URIRef, kind: str) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        slug = rec.one(key)
        if slug:
            rec.link(key, predicate, kind, slug)

    return handle


def _themes(predicate: URIRef) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        for slug in rec.many(key):
            if slug not in rec.ctx.themes:
                raise rec.error(
                    key,
                    f"unknown theme {slug!r}: not in ontology/themes.ttl"
                    + _hint(slug, rec.ctx.themes),
                )
            rec.link(key, predicate, "theme", slug)

    return handle


def _sdgs(rec: Rec, key: str) -> None:
    for value in rec.many(key):
        if not value.isdigit() or not 1 <= int(value) <= 17:
            raise rec.error(key, f"SDG {value!r} is not a number from 1 to 17")
        rec.add(CCKG.sdg, iris.sdg(int(value)))


def _country_code(rec: Rec, key: str, value: str) -> str:
    code = value.strip().upper()
    if code != "XK" and not (len(code) == 2 and pycountry.countries.get(alpha_2=code)):
        raise rec.error(key, f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _country(rec: Rec, key: str) -> None:
    value = rec.one(key)
    if value:
        code = _country_code(rec, key, value)
        rec.link(key, CCKG.country, "country", code.lower())


def _countries(predicate: URIRef) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        for value in rec.many(key):
            rec.link(key, predicate, "country", _country_code(rec, key, value).lower())

    return handle


def _city_iri(rec: Rec, key: str, value: str, country: str | None) -> URIRef:
    """A city reference: a GeoNames id, a curated city id, or a name ("Name" in the record's
    country, or "Name, CC") found in data/cities.csv or among the GeoNames cities."""
    name = value
    match = _CITY_WITH_COUNTRY.fullmatch(value)
    if match:
        name, country = match.group(1), _country_code(rec, key, match.group(2))
    curated = rec.ctx.cities.find(name, country)
    if curated:
        return rec.iri(key, "city", curated)
    if name.isdigit():
        if geonames.is_known(int(name)):
            return rec.iri(key, "city", name)
        raise rec.error(key, f"GeoNames id {name} is not among the known cities")
    if not country:
        raise rec.error(key, f"city {name!r} needs a country: set 'country' or write '{name}, CC'")
    gid = geonames.resolve_city(name, country, strict=True)
    if gid is None:
        elsewhere = sorted({c["countrycode"] for c in geonames.candidates(name)})
        hint = f" (there is one in {', '.join(elsewhere)})" if elsewhere else ""
        raise rec.error(
            key,
            f"cannot resolve city {name!r} in {country}{hint}: it is not among the GeoNames "
            "cities and not in data/cities.csv; fix the name or add the city to data/cities.csv",
        )
    return rec.iri(key, "city", str(gid))


def _record_country(rec: Rec) -> str | None:
    value = rec.one("country")
    return _country_code(rec, "country", value) if value else None


def _city(rec: Rec, key: str) -> None:
    value = rec.one(key)
    if value:
        target = _city_iri(rec, key, value, _record_country(rec))
        rec.add(CCKG.city, target)
        rec.ctx.references.setdefault(target, rec.where(key))


def _cities(predicate: URIRef) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        for value in rec.many(key):
            target = _city_iri(rec, key, value, _record_country(rec))
            rec.add(predicate, target)
            rec.ctx.references.setdefault(target, rec.where(key))

    return handle


def _period(rec: Rec, key: str) -> None:
    value = rec.one(key)
    if not value:
        return
    match = _PERIOD.fullmatch(value)
    if not match:
        raise rec.error(key, f"period {value!r} must be YYYY, YYYY-YYYY or YYYY- (open end)")
    start, end = match.group(1), match.group(2)
    rec.add(CCKG.periodStart, Literal(start, datatype=XSD.gYear))
    if end:
        rec.add(CCKG.periodEnd, Literal(end, datatype=XSD.gYear))
    elif not value.rstrip().endswith("-"):  # "2020" is a single year: start and end
        rec.add(CCKG.periodEnd, Literal(start, datatype=XSD.gYear))


def _date(predicate: URIRef) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        value = rec.one(key)
        if value:
            rec.add(predicate, _date_literal(rec, key, value))

    return handle


def _date_literal(rec: Rec, key: str, value: str) -> Literal:
    """xsd:date for YYYY-MM-DD, xsd:gYearMonth for YYYY-MM, xsd:gYear for YYYY."""
    if _DATE.fullmatch(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError as exc:
            raise rec.error(key, f"{value!r} is not a valid date: {exc}") from exc
        return Literal(value, datatype=XSD.date)
    match = _YEAR_MONTH.fullmatch(value)
    if match:
        if not 1 <= int(match.group(2)) <= 12:
            raise rec.error(key, f"{value!r} has no month {match.group(2)}")
        return Literal(value, datatype=XSD.gYearMonth)
    if _YEAR.fullmatch(value):
        return Literal(value, datatype=XSD.gYear)
    raise rec.error(key, f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")


def _integer(predicate: URIRef) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        value = rec.one(key)
        if value:
            if not _INTEGER.fullmatch(value):
                raise rec.error(key, f"{value!r} is not a whole number")
            rec.add(predicate, Literal(int(value)))

    return handle


def _languages(rec: Rec, key: str) -> None:
    for code in rec.many(key):
        if not (len(code) == 2 and pycountry.languages.get(alpha_2=code.lower())):
            raise rec.error(key, f"{code!r} is not an ISO 639-1 language code (e.g. en, de, ar)")
        rec.add(CCKG.language, iris.language(code.lower()))


def _private_text(predicate: URIRef, pattern: re.Pattern[str], what: str) -> Handler:
    def handle(rec: Rec, key: str) -> None:
        value = rec.one(key)
        if value:
            if not pattern.fullmatch(value):
                raise rec.error(key, f"{value!r} is not a valid {what}")
            rec.ctx.private.add((rec.subject, predicate, Literal(value)))

    return handle


def _name(rec: Rec, key: str) -> None:
    # A person's name has no language, but every label lookup (and shape) wants one in @en.
    value = rec.one(key)
    if value:
        rec.add(RDFS.label, Literal(value, lang="en"))


def _aliases(rec: Rec, key: str) -> None:
    for value in rec.many(key):
        rec.add(SKOS.altLabel, Literal(value))


def _city_check(rec: Rec) -> None:
    """lat and lon only make sense together: one point geometry (GeoSPARQL WKT, lon lat)."""
    lat, lon = rec.one("lat"), rec.one("lon")
    if (lat is None) != (lon is None):
        raise rec.error("lat" if lat is None else "lon", "give both lat and lon, or neither")
    if lat is None or lon is None:
        return
    for k, v in (("lat", lat), ("lon", lon)):
        if not _DECIMAL.fullmatch(v):
            raise rec.error(k, f"{v!r} is not a decimal number")
    geometry = URIRef(f"{rec.subject}#geometry")  # as the GeoNames reference cities have it
    rec.add(GEO.hasGeometry, geometry)
    rec.ctx.public.add((geometry, RDF.type, GEO.Geometry))
    rec.ctx.public.add(
        (geometry, GEO.asWKT, Literal(f"POINT({float(lon)} {float(lat)})", datatype=GEO.wktLiteral))
    )


def _ignore(rec: Rec, key: str) -> None:
    """For keys handled elsewhere (the id; lat and lon in the record check)."""


# ---------------------------------------------------------------- record classes

_COMMON = {
    "id": Field(_ignore, required=True),  # the subject; handled before the fields
    "source_url": Field(_source, required=True),
    "extra_sources": Field(_sources),
    "note": Field(_text(CCKG.note)),
    "uncertain": Field(_boolean(CCKG.uncertain)),
    "is_example": Field(_boolean(CCKG.isExample)),
}
_OPTIONAL_SOURCE = {**_COMMON, "source_url": Field(_source)}


def _need_check(rec: Rec) -> None:
    if rec.one("needed_by") is None and rec.one("city") is None:
        raise rec.error("needed_by", "a need needs 'needed_by' (an institution) or a 'city'")
    if rec.one("needed_by") is None:
        for target in rec.ctx.public.objects(rec.subject, CCKG.city):
            rec.add(CCKG.neededBy, target)


def _offer_check(rec: Rec) -> None:
    if not rec.many("offered_by_institutions") and not rec.many("offered_by_practitioners"):
        raise rec.error(
            "offered_by_institutions",
            "an offer needs 'offered_by_institutions' or 'offered_by_practitioners'",
        )


CLASSES: dict[str, RecordClass] = {
    c.name: c
    for c in (
        RecordClass(
            "solutions",
            "solution",
            CCKG.Solution,
            {
                **_COMMON,
                "kind": Field(_practice_kind),
                "summary": Field(_text(DCTERMS.description), required=True),
                "city": Field(_city),
                "country": Field(_country, required=True),
                "partner_cities": Field(_cities(CCKG.partnerCity)),
                "institutions": Field(_links(CCKG.institution, "institution")),
                "themes": Field(_themes(CCKG.theme), required=True),
                "sdgs": Field(_sdgs),
                "period": Field(_period),
                "status": Field(_enum(CCKG.status, STATUSES)),
                "key_facts": Field(_texts(CCKG.outcome)),
                "presented_at": Field(_links(CCKG.presentedAt, "event")),
            },
        ),
        RecordClass(
            "events",
            "event",
            CCKG.Event,
            {
                **_COMMON,
                "format": Field(_enum(CCKG.eventFormat, EVENT_FORMATS), required=True),
                "start_date": Field(_date(CCKG.startDate), required=True),
                "end_date": Field(_date(CCKG.endDate)),
                "city": Field(_city),
                "country": Field(_country),
                "topic": Field(_text(CCKG.topic)),
                "summary": Field(_text(DCTERMS.description)),
                "themes": Field(_themes(CCKG.theme), required=True),
                "sdgs": Field(_sdgs),
                "institutions": Field(_links(CCKG.institution, "institution")),
                "participating_cities": Field(_cities(CCKG.participatingCity)),
                "participating_countries": Field(_countries(CCKG.participatingCountry)),
                "participants": Field(_text(CCKG.participants, lang=None)),
            },
        ),
        RecordClass(
            "project-ideas",
            "project-idea",
            CCKG.ProjectIdea,
            {
                **_COMMON,
                "summary": Field(_text(DCTERMS.description)),
                "city": Field(_city),
                "country": Field(_country),
                "topic": Field(_text(CCKG.topic)),
                "themes": Field(_themes(CCKG.theme), required=True),
                "sdgs": Field(_sdgs),
                "status": Field(_enum(CCKG.status, STATUSES), required=True),
                "origin_event": Field(_link(CCKG.originEvent, "event")),
                "partner_cities": Field(_cities(CCKG.partnerCity)),
                "institutions": Field(_links(CCKG.institution, "institution")),
                "realised_by": Field(_links(CCKG.realisedBy, "solution")),
            },
        ),
        RecordClass(
            "institutions",
            "institution",
            CCKG.Institution,
            {
                **_COMMON,
                "kind": Field(_enum(CCKG.institutionKind, INSTITUTION_KINDS), required=True),
                "city": Field(_city),
                "country": Field(_country),
                "role": Field(_text(CCKG.role)),
                "aliases": Field(_aliases),
                "languages": Field(_languages),
            },
        ),
        RecordClass(
            "cities",
            "city",
            CCKG.City,
            {
                **_COMMON,
                "country": Field(_country, required=True),
                "lat": Field(_ignore),
                "lon": Field(_ignore),
                "population": Field(_integer(CCKG.population)),
                "aliases": Field(_aliases),
                "languages": Field(_languages),
            },
            check=_city_check,
        ),
        RecordClass(
            "needs",
            "need",
            CCKG.Need,
            {
                **_COMMON,
                "summary": Field(_text(DCTERMS.description)),
                "derived_from_idea": Field(_link(CCKG.derivedFromIdea, "project-idea")),
                "needed_by": Field(_link(CCKG.neededBy, "institution")),
                "city": Field(_city),
                "country": Field(_country),
                "themes": Field(_themes(CCKG.theme), required=True),
                "sdgs": Field(_sdgs),
            },
            check=_need_check,
        ),
        RecordClass(
            "offers",
            "offer",
            CCKG.Offer,
            {
                **_OPTIONAL_SOURCE,
                "summary": Field(_text(DCTERMS.description)),
                "offered_by_institutions": Field(_links(CCKG.offeredBy, "institution")),
                "offered_by_practitioners": Field(_links(CCKG.offeredBy, "practitioner")),
                "based_on": Field(_links(CCKG.basedOn, "solution")),
                "city": Field(_city),
                "country": Field(_country),
                "themes": Field(_themes(CCKG.theme), required=True),
                "sdgs": Field(_sdgs),
            },
            check=_offer_check,
        ),
        RecordClass(
            "practitioners",
            "practitioner",
            CCKG.Practitioner,
            {
                **_OPTIONAL_SOURCE,
                "name": Field(_name, required=True),
                "summary": Field(_text(DCTERMS.description)),
                "city": Field(_city),
                "country": Field(_country),
                "member_of": Field(_links(CCKG.memberOf, "institution")),
                "expert_in": Field(_themes(CCKG.expertIn), required=True),
                "languages": Field(_languages, required=True),
                "email": Field(_private_text(CCKG.email, _EMAIL, "e-mail address")),
                "phone": Field(_private_text(CCKG.phone, _PHONE, "phone number")),
            },
            label_required=False,
        ),
    )
}


# ---------------------------------------------------------------- mapping


def _hint(value: str, choices: Iterable[str]) -> str:
    options = sorted(choices)
    # A prefix or part of a slug ("waste-management") points better than edit distance does.
    close = [c for c in options if value and (c.startswith(value) or value in c)]
    close = close or difflib.get_close_matches(value, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_keys(ctx: Context, cls: RecordClass, raw: RawRecord, record_id: str | None) -> None:
    keys = raw.columns if raw.columns is not None else tuple(raw.values)
    for key in keys:
        if key in cls.fields:
            continue
        match = _LANG_KEY.fullmatch(key)
        if match and (match.group(1) != "summary" or "summary" in cls.fields):
            continue  # the tag itself is checked when the value is mapped
        where = Location(str(ctx.path), raw.field_lines.get(key, raw.line), record_id)
        raise SourceError(
            f"unknown {'column' if raw.columns is not None else 'key'} {key!r} for "
            f"{cls.name}" + _hint(key, [*cls.fields, "label_en", "title_en"]),
            where,
            key,
        )


def _check_lengths(ctx: Context, raw: RawRecord, record_id: str | None) -> None:
    for key, value in raw.values.items():
        for item in value if isinstance(value, list) else [value]:
            if item is not None and len(_as_text(item)) > MAX_FIELD_CHARS:
                raise SourceError(
                    f"value is longer than {MAX_FIELD_CHARS:,} characters",
                    Location(str(ctx.path), raw.field_lines.get(key, raw.line), record_id),
                    key,
                )


def _map_labels(rec: Rec, cls: RecordClass) -> None:
    found = False
    for key in rec.raw.values:
        match = _LANG_KEY.fullmatch(key)
        if not match:
            continue
        value = rec.one(key)
        if not value:
            continue
        prefix, tag = match.groups()
        try:
            literal = Literal(value, lang=tag)
        except ValueError as exc:
            raise rec.error(key, f"{tag!r} is not a valid BCP 47 language tag") from exc
        if prefix == "summary":
            rec.add(DCTERMS.description, literal)
        else:
            rec.add(RDFS.label, literal)
            found = True
    if cls.label_required and not found:
        raise rec.error(None, "missing a label: add e.g. 'title_en' or 'label_en'")


def map_records(ctx: Context, cls: RecordClass, records: list[RawRecord]) -> None:
    """Add the triples of ``records`` to ``ctx`` (public/private graphs, locations, refs)."""
    if not records:
        raise SourceError("no records", Location(str(ctx.path), 1))
    seen: dict[str, int] = {}
    for raw in records:
        record_id = _as_text(raw.values["id"]) if raw.values.get("id") is not None else None
        _check_keys(ctx, cls, raw, record_id)
        _check_lengths(ctx, raw, record_id)
        for key, spec in cls.fields.items():
            if spec.required and raw.values.get(key) in (None, "", []):
                missing = raw.columns is not None and key not in raw.columns
                where = Location(str(ctx.path), raw.field_lines.get(key, raw.line), record_id)
                raise SourceError(
                    f"required column {key!r} is missing from the header"
                    if missing
                    else f"required field {key!r} is missing or empty",
                    where,
                    key,
                )
        assert record_id is not None  # "id" is required in every class
        if record_id in seen:
            raise SourceError(
                f"duplicate id {record_id!r} (first on line {seen[record_id]})",
                Location(str(ctx.path), raw.field_lines.get("id", raw.line), record_id),
                "id",
            )
        seen[record_id] = raw.field_lines.get("id", raw.line)
        if cls.name == "cities" and record_id.isdigit() and geonames.is_known(int(record_id)):
            raise SourceError(
                f"GeoNames city {record_id} is already in the reference cities; "
                "data/cities.csv is only for cities outside that set",
                Location(str(ctx.path), raw.line, record_id),
                "id",
            )
        if cls.name == "cities" and not record_id.isdigit() and not re.search("[a-z]", record_id):
            raise SourceError(
                "a curated city id is a GeoNames id or a slug with a letter",
                Location(str(ctx.path), raw.line, record_id),
                "id",
            )
        subject = _subject(ctx, cls, raw, record_id)
        rec = Rec(ctx, raw, record_id, subject)
        rec.add(RDF.type, cls.rdf_type)
        if cls.name == "cities" and record_id.isdigit():
            rec.add(CCKG.geonamesId, Literal(int(record_id)))
            rec.add(OWL.sameAs, URIRef(f"https://sws.geonames.org/{record_id}/"))
        _map_labels(rec, cls)
        for key, spec in cls.fields.items():
            if raw.values.get(key) is not None:
                spec.handler(rec, key)
        if cls.check:
            cls.check(rec)
        ctx.locations[subject] = rec.where()


def _subject(ctx: Context, cls: RecordClass, raw: RawRecord, record_id: str) -> URIRef:
    try:
        return iris.thing(cls.kind, record_id, ctx.base)
    except ValueError as exc:
        raise SourceError(
            f"malformed id: {exc}",
            Location(str(ctx.path), raw.field_lines.get("id", raw.line), record_id),
            "id",
        ) from exc
