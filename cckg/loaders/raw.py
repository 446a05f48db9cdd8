"""A record as a reader hands it over (``RawRecord``), and the text helpers the CSV and YAML
readers and the record mapping share: decoding a source, list values, values as text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cckg.core.gate.model import Location, SourceError

LIST_SEPARATOR = " | "


@dataclass(frozen=True)
class RawRecord:
    """A record as read from a source: values by key, and the line of the record and keys."""

    line: int
    values: dict[str, Any]
    field_lines: dict[str, int] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None  # CSV: every header column, even for empty cells


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
        text = as_text(item)
        out.extend(part.strip() for part in text.split(LIST_SEPARATOR.strip()) if part.strip())
    return out


def as_text(value: Any) -> str:
    """A scalar value as the text it stands for (YAML may give booleans and dates)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
