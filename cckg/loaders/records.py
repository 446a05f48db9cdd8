"""One record -> RDF, shared by every tabular format.

CSV and YAML readers hand over ``RawRecord``s; ``map_records`` turns them into triples with the
same functions, so one record written in either format gives the same graph. Values arrive as
text, numbers, booleans or lists; each field's handler (``record_classes.py``) parses them, and
every problem raises a ``SourceError`` naming the file, line, record id and field.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from cckg.core import geonames, iris
from cckg.core.gate.model import Location, SourceError
from cckg.core.namespaces import CCKG, DCTERMS, GEO, OWL, RDF, RDFS, SKOS
from cckg.core.settings import DEFAULT_BASE_IRI
from cckg.loaders.lookups import CuratedCities
from cckg.loaders.raw import RawRecord, as_text, split_list

MAX_FIELD_CHARS = 10_000
_LANG_KEY = re.compile(r"(label|title|summary)_(.+)")

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
        return None if value is None else as_text(value)

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


# ---------------------------------------------------------------- mapping


def hint(value: str, choices: Iterable[str]) -> str:
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
            f"{cls.name}" + hint(key, [*cls.fields, "label_en", "title_en"]),
            where,
            key,
        )


def _check_lengths(ctx: Context, raw: RawRecord, record_id: str | None) -> None:
    for key, value in raw.values.items():
        for item in value if isinstance(value, list) else [value]:
            if item is not None and len(as_text(item)) > MAX_FIELD_CHARS:
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
        record_id = as_text(raw.values["id"]) if raw.values.get("id") is not None else None
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
