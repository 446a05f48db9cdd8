"""UI language: the request's language and the one gettext catalogue, through Flask-Babel.

The language comes from ``?lang=`` (then remembered in the ``lang`` cookie for a year), else the
cookie, else ``Accept-Language``, else English: en, de, es, fr, pt or ar (right to left). Every
UI string is an English message translated by ``cckg/translations`` (``cckg.core.i18n``; the
reasons of a match use the same catalogue). Numbers and dates are formatted for the language
(Babel: ``format_number``, ``format_date`` in templates).

Data labels follow their own chain, per label: requested language → en → untagged → any
(see ``cckg.core.search.SearchIndex.label``).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, g, request
from flask_babel import Babel, format_date, format_decimal, gettext
from markupsafe import Markup, escape

from cckg.core import i18n
from cckg.core.i18n import N_

LANGS = i18n.LANGUAGES
RTL = i18n.RTL
LANG_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "pt": "Português",
    "ar": "العربية",
}
COOKIE = "lang"

# Kinds of things (IRI kind or search kind): their names, translated where shown.
KIND_NAMES = {
    "solution": N_("Solution"),
    "institution": N_("Institution"),
    "event": N_("Event"),
    "project-idea": N_("Project idea"),
    "need": N_("Need"),
    "offer": N_("Offer"),
    "practitioner": N_("Practitioner (example)"),
    "city": N_("City"),
    "country": N_("Country"),
    "theme": N_("Theme"),
}


# ... in the plural, for lists and choices ("Show: solutions, cities").
KIND_PLURALS = {
    "solution": N_("Solutions"),
    "institution": N_("Institutions"),
    "event": N_("Events"),
    "project-idea": N_("Project ideas"),
    "need": N_("Needs"),
    "offer": N_("Offers"),
    "practitioner": N_("Practitioners (examples)"),
    "city": N_("Cities"),
    "country": N_("Countries"),
    "theme": N_("Themes"),
}


def kind_name(kind: str) -> str:
    return gettext(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


# The four stages of a solution (cckg:SolutionStatus), named by the catalogue: the ontology's
# labels lack Portuguese and Arabic.
STATUS_NAMES = {
    "https://w3id.org/cckg/def/cckg#Idea": N_("idea"),
    "https://w3id.org/cckg/def/cckg#Pilot": N_("pilot"),
    "https://w3id.org/cckg/def/cckg#Implemented": N_("implemented"),
    "https://w3id.org/cckg/def/cckg#Scaled": N_("scaled"),
}


def status_name(iri: str, fallback: str = "") -> str:
    return gettext(STATUS_NAMES[iri]) if iri in STATUS_NAMES else fallback or iri


def kind_plural(kind: str) -> str:
    return gettext(KIND_PLURALS[kind]) if kind in KIND_PLURALS else kind


def language_name(code: str) -> str:
    """The name of language ``code`` in the page's language."""
    return i18n.language_name(code, current_lang())


def compact_number(n: int) -> str:
    return i18n.compact_number(n, current_lang())


# A quotation inside a sentence: “…” (en, de, pt), «…» (fr, es, ar), „…“ (de).
QUOTED = re.compile(r"(“|«\s?|„)([^”»“]+?)(\s?»|”|“)")


def isolate_quotes(text: str) -> Markup:
    """``text`` escaped, each quotation in it wrapped in ``<bdi>``: an English title quoted in an
    Arabic reason keeps its own direction, and the sentence around it keeps the page's."""
    return Markup(QUOTED.sub(r"\1<bdi>\2</bdi>\3", str(escape(text))))  # noqa: S704 (escaped)


def negotiate() -> str:
    """The request's language: ?lang= → cookie → Accept-Language → en."""
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if candidate and candidate.lower()[:2] in LANGS:
            return candidate.lower()[:2]
    return request.accept_languages.best_match(LANGS, "en") or "en"


def current_lang() -> str:
    lang = g.get("lang")
    if lang is None:
        lang = g.lang = negotiate()
    return lang


def lang_url(lang: str) -> str:
    """This page's URL in another language (other parameters kept)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.path + "?" + urlencode(args, doseq=True)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(i18n.CATALOGUE))
    Babel(app, locale_selector=current_lang)
    app.jinja_env.filters["isolate_quotes"] = isolate_quotes
    app.jinja_env.globals.update(
        kind_name=kind_name,
        kind_plural=kind_plural,
        status_name=status_name,
        language_name=language_name,
        format_number=format_decimal,
        format_decimal=format_decimal,
        format_date=format_date,
        compact_number=compact_number,
        # the Noto fonts for non-Latin names, when scripts/vendor_fonts.py installed them
        web_fonts=(Path(app.static_folder or "") / "vendor" / "fonts" / "fonts.css").exists(),
    )

    @app.context_processor
    def _inject() -> dict:
        lang = current_lang()
        return {
            "lang": lang,
            "ui_lang": lang,
            "text_dir": "rtl" if lang in RTL else "ltr",
            "languages": LANG_NAMES,
            "lang_url": lang_url,
        }

    @app.after_request
    def _remember(response: Response) -> Response:
        wanted = request.args.get("lang", "").lower()[:2]
        if wanted in LANGS and request.cookies.get(COOKIE) != wanted:
            response.set_cookie(COOKIE, wanted, max_age=365 * 86400, samesite="Lax")
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response
