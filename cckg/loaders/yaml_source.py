"""Read a YAML source into raw records with line numbers (no RDF here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from cckg.core.gate.model import Location, SourceError
from cckg.loaders.raw import RawRecord

HEADER_KEYS = frozenset({"kind", "records", "note"})


class _BadKeyError(Exception):
    """A mapping key that YAML accepts but a record must not have (duplicate, not text)."""

    def __init__(self, message: str, key: str, line: int):
        super().__init__(message)
        self.message, self.key, self.line = message, key, line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers where each mapping and key starts and refuses duplicate keys.

    Unquoted scalars stay text except null and true/false: the field parsers read text (as
    from CSV), so '2019-13-45' reaches our date check with its line, a phone number like
    +0049 is not read as an octal number, and 'no' stays the word no.
    """

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Aliases (*name) let a few lines stand for an exponential amount of data, and no
        # curated source needs them.
        if self.check_event(yaml.AliasEvent):
            line = self.peek_event().start_mark.line + 1
            raise _BadKeyError("YAML aliases (*name) are not accepted in sources", "", line)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        key_lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise _BadKeyError(f"key {key!r} is not text", str(key), line)
            if key in key_lines:
                raise _BadKeyError(
                    f"duplicate key {key!r} (first on line {key_lines[key]})", key, line
                )
            key_lines[key] = line
        mapping = super().construct_mapping(node, deep=True)
        mapping["__line__"] = node.start_mark.line + 1
        mapping["__key_lines__"] = key_lines
        return mapping


_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


def read_yaml(path: Path, text: str) -> tuple[str | None, list[RawRecord]]:
    """``(kind header or None, records)`` of a YAML source: a list of mappings, or a mapping
    with ``records:`` (and optionally ``kind:`` and a file-level ``note:``)."""
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except _BadKeyError as exc:
        raise SourceError(exc.message, Location(str(path), exc.line), exc.key or None) from exc
    except RecursionError as exc:
        raise SourceError("the YAML is nested too deeply", Location(str(path))) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "syntax error"
        raise SourceError(f"YAML syntax error: {problem}", Location(str(path), line)) from exc
    except yaml.YAMLError as exc:
        raise SourceError(f"YAML error: {exc}", Location(str(path))) from exc

    kind = None
    if isinstance(doc, dict):
        line = doc.get("__line__")
        unknown = sorted(k for k in doc if not k.startswith("__") and k not in HEADER_KEYS)
        if unknown:
            where = Location(str(path), doc["__key_lines__"].get(unknown[0], line))
            raise SourceError(
                f"unknown top-level key {unknown[0]!r}; a YAML source is a list of records or "
                "a mapping with 'records:' (and optional 'kind:', 'note:')",
                where,
                unknown[0],
            )
        if "records" not in doc:
            raise SourceError("no 'records:' list", Location(str(path), line), "records")
        kind = doc.get("kind")
        if kind is not None and not isinstance(kind, str):
            raise SourceError("'kind:' must be text", Location(str(path), line), "kind")
        doc = doc["records"]
    if doc is None:
        raise SourceError("no records", Location(str(path), 1))
    if not isinstance(doc, list):
        raise SourceError(
            f"expected a list of records, found {type(doc).__name__}", Location(str(path), 1)
        )
    records = []
    for index, item in enumerate(doc, start=1):
        if not isinstance(item, dict):
            raise SourceError(
                f"record {index} is a {type(item).__name__}, not a mapping of keys to values",
                Location(str(path)),
            )
        line = item.pop("__line__")
        key_lines = item.pop("__key_lines__")
        for key, value in item.items():
            if isinstance(value, dict) or (
                isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
            ):
                raise SourceError(
                    "expected a value or a list of values, not a nested mapping or list",
                    Location(str(path), key_lines.get(key, line), str(item.get("id") or "")),
                    key,
                )
        records.append(RawRecord(line=line, values=item, field_lines=key_lines))
    return kind, records
