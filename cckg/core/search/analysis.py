"""Text analysis for search in en, de, es, fr, pt and ar: words with their place in the text,
folding, stop words and stems.

- Folding: case, accents and Arabic marks (harakat, shadda) dropped; Arabic letter variants
  made one (أ إ آ -> ا, ة -> ه, ى -> ي): "Déchets" and "dechets", "عمّان" and "عمان" meet.
- Stems: the Snowball stemmer of the text's language (``snowballstemmer``), folded after
  stemming (the stemmers expect accents). Arabic words lose their article and the clitics
  before it first (و ف ب ك ل + ال, لل), which the Snowball stemmer leaves ("والصرف").
- Names (of cities, countries, institutions) are folded, never stemmed.
- A query's language is not known (the interface language says little about what a user
  types), so each query word stands for all its forms: as written (folded) and its stem in
  every language of its script. Stop words of any of the six languages are dropped from a
  query unless nothing else is left.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Protocol

import snowballstemmer

LANGUAGES = ("en", "de", "es", "fr", "pt", "ar")
_SNOWBALL = {
    "en": "english",
    "de": "german",
    "es": "spanish",
    "fr": "french",
    "pt": "portuguese",
    "ar": "arabic",
}
_LATIN = ("en", "de", "es", "fr", "pt")

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """a about after all also an and any are as at be been but by can could did do does
        for from had has have how i if in into is it its of on or our so such than that the
        their them then there these they this those to too was we were what when where which
        while who why will with would you your""".split()
    ),
    "de": frozenset(
        """aber als am an auch auf aus bei bis das dass dem den der des die dies diese diesem
        diesen dieser dieses durch ein eine einem einen einer eines er es für hat ich ihr ihre
        im in ins ist mit nach nicht noch nur oder sich sie sind über um und uns unser unsere
        vom von vor was wie wir wird zu zum zur""".split()
    ),
    "es": frozenset(
        """a al como con de del desde donde e el en entre es esta este esto la las lo los mas
        más mi mis muy nos nuestra nuestro o para pero por que qué se sin sobre su sus un una
        unas uno unos y""".split()
    ),
    "fr": frozenset(
        """à au aux avec ce ces cet cette comme d dans de des du elle en est et il ils je l la
        le les leur leurs lui ma mais me mes mon ne nos notre nous on ou où par pas pour qu que
        qui sa se ses son sont sur un une vos votre vous""".split()
    ),
    "pt": frozenset(
        """a ao aos as à às com como da das de do dos e em entre era és essa esse esta este
        eu ela ele na nas no nos num numa o os ou para pela pelas pelo pelos por que se sem
        seu sua suas seus um uma umas uns""".split()
    ),
    "ar": frozenset(
        """في من على الى إلى عن مع او أو ثم هذا هذه ذلك تلك التي الذي الذين ما لا كان كانت قد
        بين كل عند حتى بعد قبل هو هي نحن انا أن ان إن كما اي أي لم لن و ف ب ل ك""".split()
    ),
}

_WORD = re.compile(r"[^\W_]+")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_FOLD = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i", "þ": "th"}
_ARABIC_FOLD = {"ة": "ه", "ى": "ي", "ـ": "", "ٱ": "ا"}
# Clitics before the Arabic article, longest first; a bare و is a conjunction before any word.
_ARABIC_PREFIXES = ("وبال", "وال", "بال", "كال", "فال", "لل", "ال")
_MIN_ARABIC_STEM = 2


@dataclass(frozen=True)
class Word:
    """One word of a text, with its span (for highlighting)."""

    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.casefold()


def words(text: str) -> list[Word]:
    """The words of ``text``; hyphens and apostrophes split words ("d'eau" -> d, eau)."""
    return [Word(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


@functools.lru_cache(maxsize=100_000)
def fold(word: str) -> str:
    """Lower case, no accents or Arabic marks, Arabic letter variants made one."""
    text = word.casefold()
    for char, repl in _FOLD.items():
        text = text.replace(char, repl)
    decomposed = unicodedata.normalize("NFKD", text)
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    for char, repl in _ARABIC_FOLD.items():
        out = out.replace(char, repl)
    return out


def is_arabic(word: str) -> bool:
    return bool(_ARABIC.search(word))


def strip_clitics(folded: str) -> str:
    """An Arabic word (folded) without the article and the clitics before it."""
    for prefix in _ARABIC_PREFIXES:
        if folded.startswith(prefix) and len(folded) - len(prefix) >= _MIN_ARABIC_STEM:
            return folded[len(prefix) :]
    if folded.startswith("و") and len(folded) - 1 > 3:
        return folded[1:]
    return folded


_local = threading.local()


class Stemmer(Protocol):
    """What we use of a Snowball stemmer (snowballstemmer has no types)."""

    def stemWord(self, word: str) -> str: ...  # noqa: N802 (snowballstemmer's name)


def _stemmer(lang: str) -> Stemmer:
    # Snowball stemmers keep state while they stem: one per thread.
    stemmers: dict[str, Stemmer] = _local.__dict__.setdefault("stemmers", {})
    if lang not in stemmers:
        stemmers[lang] = snowballstemmer.stemmer(_SNOWBALL[lang])
    return stemmers[lang]


@functools.lru_cache(maxsize=200_000)
def stem(word: str, lang: str) -> str:
    """The folded stem of ``word`` in ``lang`` (a word of another script: only folded)."""
    if lang == "ar":
        if not is_arabic(word):
            return fold(word)
        bare = strip_clitics(fold(word))
        stemmed = _stemmer("ar").stemWord(bare)
        return stemmed if len(stemmed) >= _MIN_ARABIC_STEM else bare
    if lang not in _SNOWBALL or is_arabic(word):
        return fold(word)
    return fold(_stemmer(lang).stemWord(word.casefold()))


def is_stopword(word: str, lang: str | None = None) -> bool:
    """A function word of ``lang`` (None: of any of the six languages)."""
    lower = word.casefold()
    folded = fold(lower)
    if lang is not None:
        stops = STOPWORDS.get(lang, frozenset())
        return lower in stops or folded in stops
    return any(lower in s or folded in s for s in STOPWORDS.values())


def terms(text: str, lang: str | None) -> list[str]:
    """Index terms of a text in ``lang``: stems without the language's stop words. ``lang``
    None: a name, folded only (every word kept)."""
    if lang is None:
        return [fold(w.text) for w in words(text)]
    lang = lang if lang in _SNOWBALL else "en"
    return [stem(w.text, lang) for w in words(text) if not is_stopword(w.text, lang)]


def analysed(text: str, lang: str | None) -> tuple[list[str], list[str]]:
    """``terms`` of a text, and the folded words they come from (for typo lookups)."""
    if lang is None:
        folded = [fold(w.text) for w in words(text)]
        return folded, folded
    lang = lang if lang in _SNOWBALL else "en"
    kept = [w.text for w in words(text) if not is_stopword(w.text, lang)]
    return [stem(w, lang) for w in kept], [fold(w) for w in kept]


def in_our_scripts(name: str) -> bool:
    """True for a name in Latin or Arabic letters (the six languages' scripts): GeoNames
    aliases in other scripts would only lengthen the names field."""
    return all(_latin_or_arabic(c) for c in name)


def _latin_or_arabic(c: str) -> bool:
    return not c.isalpha() or c <= "\u024f" or "\u1e00" <= c <= "\u1eff" or is_arabic(c)


@dataclass(frozen=True)
class QueryWord:
    """A word of the query and the index terms it stands for."""

    text: str
    variants: tuple[str, ...]  # folded form first, then the stems
    stop: bool = False


def variants(word: str) -> tuple[str, ...]:
    """The folded word and its stems in every language of its script (no duplicates)."""
    langs = ("ar",) if is_arabic(word) else _LATIN
    out = [fold(word)]
    if is_arabic(word):
        out.append(strip_clitics(fold(word)))
    out.extend(stem(word, lang) for lang in langs)
    return tuple(dict.fromkeys(v for v in out if v))


def query_words(q: str) -> list[QueryWord]:
    """The words of a query with their variants; stop words marked (they are dropped when
    other words remain, so "de" in "gestión de residuos" is not searched for)."""
    found = [QueryWord(w.text, variants(w.text), is_stopword(w.text)) for w in words(q)]
    if all(w.stop for w in found):
        return [QueryWord(w.text, w.variants) for w in found]
    return found


def highlight_terms(q: str) -> set[str]:
    """Every index term a query word stands for (stop words left out)."""
    return {v for w in query_words(q) if not w.stop for v in w.variants}
