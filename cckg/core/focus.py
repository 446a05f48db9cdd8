"""The four focus areas: the top concepts of the theme scheme (``ontology/themes.ttl``), which
colour maps, networks and charts. A thing's focus area is the top concept most of its themes
fall under (ties: the order below); a thing without themes has none ("")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

FOCUS_AREAS = (
    "good-urban-governance",
    "local-economic-development",
    "integrated-urban-development",
    "municipal-services",
)


def focus_iri(slug: str, base: str) -> str:
    return f"{base}id/theme/{slug}"


def focus_of(themes: Iterable[str], with_broader: Callable[[str], set[str]], base: str) -> str:
    """The focus area slug of a thing tagged with ``themes`` (theme IRIs); ``with_broader``
    gives a theme and all its broader themes."""
    tops = {focus_iri(s, base): s for s in FOCUS_AREAS}
    counts: Counter[str] = Counter()
    for theme in themes:
        for t in with_broader(theme):
            if t in tops:
                counts[tops[t]] += 1
    return dominant(counts)


def dominant(counts: Counter[str] | dict[str, int]) -> str:
    """The most frequent focus area of ``counts`` (ties: the order of FOCUS_AREAS)."""
    best = ""
    for slug in FOCUS_AREAS:
        if counts.get(slug, 0) > counts.get(best, 0):
            best = slug
    return best
