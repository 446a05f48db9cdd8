"""The record classes of the curated sources (solutions, events, project ideas, institutions,
cities, needs, offers, practitioners): the keys each accepts and the handler that maps each
key's value to triples, with its checks."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pycountry
from rdflib import Literal, URIRef

from cckg.core import geonames, iris
from cckg.core.namespaces import CCKG, DCTERMS, GEO, RDF, RDFS, SKOS, XSD
from cckg.loaders.records import Field, Handler, Rec, RecordClass, hint

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
                key, f"unknown value {value!r}; allowed: {', '.join(values)}" + hint(value, values)
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
                    + hint(slug, rec.ctx.themes),
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
            if isinstance(target, URIRef):  # a city is an IRI
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
