"""Parse curated tabular sources (YAML, CSV) into RDF: a pure function, no store access.

The record class comes from the file name (``solutions.yaml``, ``institutions.csv``,
``solutions-2024.yaml``, ...) or from a ``kind:`` header (YAML) / ``#kind:`` first line (CSV).
Both formats go through the same record mapping (``cckg.loaders.records``), so a record gives the
same graph whichever format it is written in.
"""

from __future__ import annotations

from pathlib import Path

from cckg.core.gate.model import Location, ParsedSource, SourceError
from cckg.core.settings import DEFAULT_BASE_IRI
from cckg.loaders.csv_source import read_csv
from cckg.loaders.lookups import DEFAULT_CITIES, DEFAULT_THEMES, curated_cities, theme_slugs
from cckg.loaders.raw import decode
from cckg.loaders.record_classes import CLASSES
from cckg.loaders.records import Context, RecordClass, map_records
from cckg.loaders.yaml_source import read_yaml

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}


def record_class_for(path: Path, header_kind: str | None = None) -> RecordClass:
    """The record class named by the ``kind:`` header or else by the file name."""
    by_name = None
    for name in sorted(CLASSES, key=len, reverse=True):  # "project-ideas" before "project"
        if path.stem == name or path.stem.startswith((f"{name}-", f"{name}_", f"{name}.")):
            by_name = CLASSES[name]
            break
    if header_kind is not None:
        if header_kind not in CLASSES:
            raise SourceError(
                f"unknown kind {header_kind!r}; expected one of {', '.join(CLASSES)}",
                Location(str(path), 1),
                "kind",
            )
        if by_name is not None and by_name.name != header_kind:
            raise SourceError(
                f"kind {header_kind!r} contradicts the file name (which says {by_name.name!r})",
                Location(str(path), 1),
                "kind",
            )
        return CLASSES[header_kind]
    if by_name is None:
        raise SourceError(
            "cannot tell the record class: name the file after it "
            f"({', '.join(CLASSES)}) or add a kind header",
            Location(str(path), 1),
        )
    return by_name


def graph_name_for(path: Path) -> str:
    """``curated/{stem}``, or ``examples/{stem}`` for fictional data under an examples folder."""
    folder = "examples" if path.parent.name == "examples" else "curated"
    return f"{folder}/{path.stem}"


def parse_file(
    path: Path,
    base: str = DEFAULT_BASE_IRI,
    *,
    cities: Path = DEFAULT_CITIES,
    themes: Path = DEFAULT_THEMES,
) -> ParsedSource:
    """Parse one YAML or CSV source. Raises SourceError (file, line, record, field) on any
    defect: encoding, syntax, unknown or missing keys, duplicate ids, bad values, unknown
    themes or unresolvable cities. Links to other things are returned in ``references``."""
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise SourceError(
            f"unsupported file type {path.suffix!r}; expected .yaml, .yml or .csv",
            Location(str(path)),
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the file: {exc.strerror}", Location(str(path))) from exc
    text = decode(path, data)
    if not text.strip():
        raise SourceError("the file is empty", Location(str(path), 1))
    header_kind, records = read_yaml(path, text) if fmt == "yaml" else read_csv(path, text)
    cls = record_class_for(path, header_kind)
    ctx = Context(
        path=path,
        base=base,
        themes=theme_slugs(themes),
        cities=curated_cities(cities),
    )
    map_records(ctx, cls, records)
    return ParsedSource(
        path=path,
        graph_name=graph_name_for(path),
        public=ctx.public,
        private=ctx.private,
        locations=ctx.locations,
        references=ctx.references,
    )
