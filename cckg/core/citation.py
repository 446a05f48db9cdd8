"""How to cite the dataset: BibTeX, RIS and CSL-JSON for a release (its version IRI, issue date
and version) or, when there is no release yet, for the live dataset with the date it was read.
The same facts as ``CITATION.cff`` at the top of the repository."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

TITLE = "Connective Cities Knowledge Graph"
AUTHOR = "cckg contributors"
FORMATS = {
    "bibtex": ("application/x-bibtex", "bib"),
    "ris": ("application/x-research-info-systems", "ris"),
    "csl": ("application/vnd.citationstyles.csl+json", "json"),
}


@dataclass(frozen=True)
class Citable:
    title: str
    version: str  # a release version, or "" for the live dataset
    url: str
    date: dt.date  # the release's issue date, or the day the live dataset was read

    @property
    def key(self) -> str:
        return "cckg_" + re.sub(r"[^A-Za-z0-9]+", "_", self.version or f"live_{self.date}")

    @property
    def is_release(self) -> bool:
        return bool(self.version)


def citable(release: dict[str, Any] | None, base: str, today: dt.date | None = None) -> Citable:
    """What to cite: the latest release (its manifest), else the live dataset."""
    if release:
        return Citable(
            f"{TITLE}, release {release['version']}",
            release["version"],
            release["iri"],
            dt.date.fromisoformat(release["issued"]),
        )
    return Citable(TITLE, "", f"{base}dataset", today or dt.datetime.now(dt.UTC).date())


def bibtex(c: Citable) -> str:
    fields = [
        ("title", "{" + c.title + "}"),
        ("author", "{" + AUTHOR + "}"),
        ("year", str(c.date.year)),
        ("month", c.date.strftime("%b").lower()),
    ]
    if c.is_release:
        fields.append(("version", c.version))
        fields.append(("note", f"Dataset, release {c.version}"))
    else:
        fields.append(("note", f"Dataset (live, not a release), accessed {c.date.isoformat()}"))
    fields.append(("url", c.url))
    body = ",\n".join(f"  {k} = {v}" if k == "month" else f"  {k} = {{{v}}}" for k, v in fields)
    return f"@misc{{{c.key},\n{body}\n}}\n"


def ris(c: Citable) -> str:
    lines = [
        ("TY", "DATA"),
        ("TI", c.title),
        ("AU", AUTHOR),
        ("PY", str(c.date.year)),
        ("DA", c.date.strftime("%Y/%m/%d")),
    ]
    if c.is_release:
        lines.append(("ET", c.version))
    else:
        lines.append(("Y2", c.date.strftime("%Y/%m/%d")))  # access date
    lines += [("UR", c.url), ("ER", "")]
    return "".join(f"{tag}  - {value}".rstrip() + "\r\n" for tag, value in lines)


def csl_json(c: Citable) -> str:
    item: dict[str, Any] = {
        "id": c.key,
        "type": "dataset",
        "title": c.title,
        "author": [{"literal": AUTHOR}],
        "issued": {"date-parts": [[c.date.year, c.date.month, c.date.day]]},
        "URL": c.url,
    }
    if c.is_release:
        item["version"] = c.version
    else:
        item["accessed"] = {"date-parts": [[c.date.year, c.date.month, c.date.day]]}
    return json.dumps([item], indent=2, ensure_ascii=False) + "\n"


def render(c: Citable, fmt: str) -> str:
    """The citation in ``fmt`` (one of FORMATS)."""
    return {"bibtex": bibtex, "ris": ris, "csl": csl_json}[fmt](c)
