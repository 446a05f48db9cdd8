"""The one message catalogue, for every language cckg speaks: en, de, es, fr, pt, ar.

gettext catalogues in ``cckg/translations/{lang}/LC_MESSAGES/messages.po`` (compiled to
``.mo`` by ``make i18n``), read by the web app through Flask-Babel and by the core (reasons of
a match) through :func:`translations`. Messages are English source strings; ``N_`` marks a
string for extraction without translating it where it is defined.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from babel import Locale
from babel.numbers import format_compact_decimal, format_decimal
from babel.support import Translations

LANGUAGES = ("en", "de", "es", "fr", "pt", "ar")
RTL = frozenset({"ar"})
CATALOGUE = Path(__file__).resolve().parent.parent / "translations"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def supported(lang: str | None) -> str:
    """``lang`` when cckg speaks it (``pt-BR`` -> ``pt``), else English."""
    code = (lang or "").lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else "en"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English: the source strings themselves)."""
    lang = supported(lang)
    if lang == "en":
        return gettext.NullTranslations()
    return Translations.load(str(CATALOGUE), [lang], domain="messages")


def gettext_in(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def language_name(code: str, lang: str) -> str:
    """The name of language ``code`` in ``lang`` ("pt" in German: "Portugiesisch")."""
    try:
        return Locale(supported(lang)).languages.get(code) or code
    except (ValueError, TypeError):
        return code


def compact_number(n: int, lang: str) -> str:
    """300000 -> "300K" (en), "300 mil" (pt), "300 ألف" (ar); grouped digits where the language
    has no short form for the number (German thousands: "198.293")."""
    locale = supported(lang)
    if n >= 10_000:
        short = format_compact_decimal(n, locale=locale, fraction_digits=1)
        if not short.isdigit():
            return short
    return format_decimal(n, locale=locale)
