"""Charts drawn on the server: horizontal (stacked) bar charts as SVG view models, each with the
table it is drawn from, its CSV and the SPARQL query behind it.

No inline styles: bars carry a series class (``s0`` … ``s8``, coloured in ``cckg.css``) and
geometry attributes only, so the pages keep their strict Content-Security-Policy."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from urllib.parse import urlencode

from cckg.core.query_jobs import neutralise_formula

LABEL_WIDTH = 220.0
BAR_WIDTH = 380.0
ROW_HEIGHT = 22.0
MAX_LABEL = 32


@dataclass
class Row:
    label: str
    values: list[int]
    href: str | None = None

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass
class Chart:
    """A bar chart: one bar per row, one segment per series (stacked)."""

    name: str  # used in URLs: /explore/{name}.csv
    title: str
    description: str
    row_header: str
    series: list[str]  # series labels
    rows: list[Row] = field(default_factory=list)
    query: str = ""  # the SPARQL that produced the numbers

    @property
    def editor_url(self) -> str:
        return "/editor?" + urlencode({"query": self.query})

    @property
    def csv_url(self) -> str:
        return f"/explore/{self.name}.csv"

    def svg(self) -> dict[str, object]:
        """Geometry for the ``bar_chart`` macro: bars, segments, labels and the view box."""
        top = max((r.total for r in self.rows), default=0) or 1
        bars = []
        for i, row in enumerate(self.rows):
            y = i * ROW_HEIGHT
            x = LABEL_WIDTH
            segments = []
            for s, value in enumerate(row.values):
                width = BAR_WIDTH * value / top
                if value:
                    segments.append(
                        {
                            "x": round(x, 2),
                            "width": round(max(width, 1.0), 2),
                            "series": s,
                            "value": value,
                            "name": self.series[s] if s < len(self.series) else "",
                        }
                    )
                x += width
            short = row.label if len(row.label) <= MAX_LABEL else row.label[: MAX_LABEL - 1] + "…"
            bars.append(
                {
                    "y": y,
                    "label": short,
                    "full": row.label,
                    "total": row.total,
                    "end": round(x + 4, 2),
                    "segments": segments,
                }
            )
        return {
            "width": LABEL_WIDTH + BAR_WIDTH + 50,
            "height": max(len(self.rows), 1) * ROW_HEIGHT,
            "bars": bars,
            "row_height": ROW_HEIGHT,
            "label_x": LABEL_WIDTH - 6,
        }

    def csv(self) -> str:
        """The table as CSV (cells never start a spreadsheet formula)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        header = [self.row_header, *self.series] if len(self.series) > 1 else [self.row_header]
        writer.writerow([neutralise_formula(h) for h in [*header, "total"]])
        for row in self.rows:
            values = row.values if len(self.series) > 1 else []
            writer.writerow([neutralise_formula(row.label), *values, row.total])
        return buffer.getvalue()
