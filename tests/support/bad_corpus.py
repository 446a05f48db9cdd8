"""The bad-input corpus table in tests/data/bad/README.md, read once for several test files."""

from __future__ import annotations

import re

from tests import ROOT

BAD = ROOT / "tests" / "data" / "bad"


def bad_rows() -> list[tuple[str, str, int, str, str]]:
    """(file, defect, exit code, caught by, where) for every row of the table."""
    rows = []
    for line in (BAD / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\| `([^`]+)` \| (.+) \| ([12]) \| ([^|]+) \| (.+) \|", line)
        if match:
            name, defect, code, by, where = match.groups()
            rows.append((name, defect, int(code), by.strip(), where.strip()))
    return rows
