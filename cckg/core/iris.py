"""Minting and reading the project's IRIs: ``{base}id/{kind}/{slug}``.

All IRIs of things are minted here, so a slug can never smuggle spaces, quotes or angle
brackets into an IRI (rdflib only warns on those and fails much later, at serialisation).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from rdflib import URIRef

from cckg.core.settings import DEFAULT_BASE_IRI

KINDS = (
    "city",
    "country",
    "institution",
    "practitioner",
    "solution",
    "event",
    "project-idea",
    "need",
    "offer",
    "theme",
    "region",
)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class BadSlugError(ValueError):
    """A slug that is not lower-case letters, digits and hyphens."""


def slugify(text: str) -> str:
    """Turn a name into a slug: ASCII lower case, hyphens between words."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def thing(kind: str, slug: str | int, base: str = DEFAULT_BASE_IRI) -> URIRef:
    """The IRI of a thing; raises BadSlugError/ValueError for unknown kinds or malformed slugs."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    slug = str(slug)
    if not SLUG_RE.match(slug):
        raise BadSlugError(f"slug {slug!r} must be lower-case letters, digits and hyphens")
    return URIRef(f"{base}id/{kind}/{quote(slug, safe='-')}")


def graph(name: str, base: str = DEFAULT_BASE_IRI) -> URIRef:
    """The IRI of a named graph, one per source file or reference set."""
    return URIRef(f"{base}graph/{quote(name, safe='-/')}")


def private_graph(base: str = DEFAULT_BASE_IRI) -> URIRef:
    """The graph that holds personal contact data; never served publicly."""
    return URIRef(f"{base}graph/private")


def split(iri: str, base: str = DEFAULT_BASE_IRI) -> tuple[str, str] | None:
    """``(kind, slug)`` for one of our thing IRIs, else None."""
    prefix = f"{base}id/"
    if not iri.startswith(prefix):
        return None
    kind, _, slug = iri[len(prefix) :].partition("/")
    if kind not in KINDS or not SLUG_RE.match(slug):
        return None
    return kind, slug


def sdg(n: int) -> URIRef:
    """The UN IRI of Sustainable Development Goal ``n`` (1..17)."""
    if not 1 <= int(n) <= 17:
        raise ValueError(f"SDG number {n!r} is not between 1 and 17")
    return URIRef(f"http://metadata.un.org/sdg/{int(n)}")


def language(code: str) -> URIRef:
    """The Library of Congress ISO 639-1 IRI of a two-letter language code."""
    if not re.fullmatch(r"[a-z]{2}", code):
        raise ValueError(f"language code {code!r} must be two lower-case letters (ISO 639-1)")
    return URIRef(f"http://id.loc.gov/vocabulary/iso639-1/{code}")
