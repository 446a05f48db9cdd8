"""Read a CSV source into raw records with line numbers (no RDF here).

A header row names the columns; an optional first line ``#kind: institutions`` names the record
class when the file name does not. Empty cells are absent values; list cells separate their
items with `` | `` (split later, by the field's type, so YAML and CSV share one code path).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from cckg.core.gate.model import Location, SourceError
from cckg.loaders.raw import RawRecord

_KIND_LINE = re.compile(r"#\s*kind\s*:\s*(\S+)\s*")


def read_csv(path: Path, text: str) -> tuple[str | None, list[RawRecord]]:
    """``(kind header or None, records)`` of a CSV source."""
    kind = None
    offset = 0
    first, _, rest = text.partition("\n")
    if first.startswith("#"):
        match = _KIND_LINE.fullmatch(first.rstrip("\r"))
        if not match:
            raise SourceError(
                "a comment line is only allowed first, as '#kind: <class>'",
                Location(str(path), 1),
            )
        kind, text, offset = match.group(1), rest, 1

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise SourceError("no header row", Location(str(path), 1 + offset))
        columns = [cell.strip() for cell in header]
        for number, column in enumerate(columns, start=1):
            if not column:
                raise SourceError(
                    f"header cell {number} is empty", Location(str(path), reader.line_num + offset)
                )
            if columns.index(column) != number - 1:
                raise SourceError(
                    f"column {column!r} appears twice in the header",
                    Location(str(path), reader.line_num + offset),
                    column,
                )
        records = []
        line = reader.line_num + 1
        for row in reader:
            row_line = line + offset
            line = reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # blank rows, as spreadsheets leave them
            if len(row) != len(columns):
                raise SourceError(
                    f"row has {len(row)} cells but the header has {len(columns)} columns",
                    Location(str(path), row_line, row[0].strip() if row else None),
                )
            values = {col: cell.strip() or None for col, cell in zip(columns, row, strict=True)}
            records.append(
                RawRecord(
                    line=row_line,
                    values={k: v for k, v in values.items() if v is not None},
                    field_lines=dict.fromkeys(columns, row_line),
                    columns=tuple(columns),
                )
            )
    except csv.Error as exc:
        raise SourceError(
            f"CSV syntax error: {exc}", Location(str(path), reader.line_num + offset)
        ) from exc
    return kind, records
