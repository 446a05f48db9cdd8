"""Result rows for the search page and the API: label and summary with the query's words
highlighted, city, country, period, status and theme chips, in the reader's language.

Highlighting escapes every character of the data (``html.escape``: ``<``, ``>``, ``&`` and
quotes) and adds only ``<mark>`` around the words whose folded form or stem is one the query
searched for, so no markup from the data reaches a page. The ``*_html`` texts are that
escaped HTML (the web pages mark them safe; nothing else is).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cckg.core.search import analysis
from cckg.core.search.documents import Document
from cckg.core.search.index import Hit, SearchIndex

SUMMARY_CHARS = 300


@dataclass
class Row:
    """One result as shown: plain texts, their highlighted HTML, and the linked things."""

    iri: str
    kind: str
    label: str
    label_html: str
    summary: str
    summary_html: str
    score: float
    city: dict[str, str] | None = None
    country: dict[str, str] | None = None
    period: str = ""
    status: dict[str, str] | None = None
    themes: list[dict[str, str]] = field(default_factory=list)
    sentence: str = ""  # the closest sentence (semantic evidence)
    is_example: bool = False

    def as_json(self) -> dict[str, Any]:
        """The API's fields (``highlights``: HTML, the data escaped, query words in <mark>)."""
        return {
            "iri": self.iri,
            "kind": self.kind,
            "label": self.label,
            "summary": self.summary,
            "highlights": {"label": self.label_html, "summary": self.summary_html},
            "score": round(self.score, 3),
            "city": self.city,
            "country": self.country,
            "period": self.period or None,
            "status": self.status,
            "themes": self.themes,
            "closest_sentence": self.sentence or None,
            "is_example": self.is_example,
        }


def highlight(text: str, terms: Iterable[str], lang: str | None = "en") -> str:
    """``text`` escaped, with the words whose folded form or stem (in ``lang``) is among
    ``terms`` in ``<mark>``."""
    wanted = set(terms)
    out: list[str] = []
    at = 0
    for word in analysis.words(text):
        forms = {analysis.fold(word.text)}
        if lang is not None:
            forms.add(analysis.stem(word.text, lang))
        if forms & wanted and not analysis.is_stopword(word.text, lang):
            out.append(html.escape(text[at : word.start]))
            out.append(f"<mark>{html.escape(word.text)}</mark>")
            at = word.end
    out.append(html.escape(text[at:]))
    return "".join(out)


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def rows(index: SearchIndex, hits: Iterable[Hit], terms: set[str], lang: str) -> list[Row]:
    """The rows of ``hits`` in ``lang`` (labels fall back to English)."""
    return [_row(index, h, terms, lang) for h in hits]


def _row(index: SearchIndex, hit: Hit, terms: set[str], lang: str) -> Row:
    doc = hit.doc
    label = index.label(doc.iri, lang)
    label_lang = _language_of(doc.labels, label)
    summary_lang, summary = _pick(doc.summary, lang)
    if doc.kind in ("city", "country"):  # a place: the other names the query found
        summary_lang, summary = "", ", ".join(_names_found(doc, terms))
    summary = shorten(summary)
    return Row(
        iri=doc.iri,
        kind=doc.kind,
        label=label,
        label_html=highlight(label, terms, None if doc.kind in ("city", "country") else label_lang),
        summary=summary,
        summary_html=highlight(summary, terms, summary_lang or None),
        score=hit.score,
        city=_link(index, _city(doc), lang),
        country=_link(index, _country(index, doc), lang),
        period=period(doc),
        status=_link(index, next(iter(sorted(doc.facets.get("status", ()))), None), lang),
        themes=[_theme(index, t, lang) for t in doc.themes],
        sentence=hit.sentence,
        is_example=doc.is_example,
    )


def _names_found(doc: Document, terms: set[str], most: int = 3) -> list[str]:
    found = [
        name
        for name in doc.names
        if analysis.in_our_scripts(name)
        and any(analysis.fold(w.text) in terms for w in analysis.words(name))
    ]
    found.sort(key=lambda name: (len(analysis.words(name)), len(name)))  # "Colonia" first
    return list(dict.fromkeys(found))[:most]


def _pick(texts: dict[str, str], lang: str) -> tuple[str, str]:
    for key in (lang, "en", ""):
        if key in texts:
            return key, texts[key]
    return next(iter(texts.items()), ("", ""))


def _language_of(labels: dict[str, str], label: str) -> str:
    return next((lang for lang, text in labels.items() if text == label), "") or "en"


def _city(doc: Document) -> str | None:
    return None if doc.kind in ("city", "country") else next(iter(doc.city), None)


def _country(index: SearchIndex, doc: Document) -> str | None:
    if doc.kind == "country":
        return None
    countries = sorted(doc.facets.get("country", ()), key=lambda c: index.label(c))
    return countries[0] if countries else None


def _link(index: SearchIndex, iri: str | None, lang: str) -> dict[str, str] | None:
    if not iri:
        return None
    return {"iri": iri, "label": index.label(iri, lang)}


def _theme(index: SearchIndex, theme: str, lang: str) -> dict[str, str]:
    return {"iri": theme, "slug": theme.rsplit("/", 1)[-1], "label": index.label(theme, lang)}


def period(doc: Document) -> str:
    """The dates a document spans: "2015–2020", "2016-09-12 – 2016-09-14", "2019"."""
    start, end = doc.start, doc.end
    if start and end and start != end:
        joiner = "–" if len(start) == len(end) == 4 else " – "
        return f"{start}{joiner}{end}"
    return start or end
