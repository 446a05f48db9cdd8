"""Free-text analysis for matching: what a need written in en/de/es/fr/pt/ar talks about.

Everything here is pure Python over small in-memory tables; it turns text into RDF terms that
the matching queries bind (theme concepts, a country, a city) and into numbers Python compares
(a population). Nothing here scans the store. The words themselves (tokens, stems, the text's
language) come from ``cckg.core.text_words``; places and sizes from ``cckg.core.text_mentions``.

- Themes: every ``skos:prefLabel``/``skos:altLabel`` of the theme scheme is normalised (case,
  accents), split into words, stripped of function words and stemmed with the Snowball stemmer
  of the label's language (Arabic: ``text_words.arabic_stem``). A need's words are stemmed
  the same way, and label word sequences are found in them, longest first. German compounds
  ("Marktabfälle", "Kompostanlage") also match a label word at their end or start. A long
  word one or two edits from a label word is read as it ("conpostage"; rapidfuzz), and a few
  everyday words and place labels are kept from naming the wrong theme (``WEAK_LABELS``,
  ``EXACT_ONLY``).
- Search words: the need's content words, stemmed, looked up in the solutions' own text on word
  boundaries (``term_pattern``).
- ``analyse``: all of it at once, with the population, countries and cities mentioned.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cckg.core.text_mentions import Mention, extract_population, find_cities, find_countries
from cckg.core.text_words import (
    STEM_LANGUAGES,
    TEXT_LANGUAGES,
    Token,
    accented_stem,
    arabic_normalise,
    arabic_variants,
    fold,
    guess_language,
    is_arabic,
    is_generic,
    stem,
    text_language,
    tokenize,
)

# ---------------------------------------------------------------- themes


@dataclass(frozen=True)
class ThemeLabel:
    theme: str  # IRI
    text: str
    lang: str
    preferred: bool


@dataclass
class ThemeHit:
    """A theme found in the text, with the words that named it."""

    theme: str
    terms: list[str] = field(default_factory=list)
    strength: float = 0.0  # sum of match strengths (1 per match in the text's language)


@dataclass(frozen=True)
class _Entry:
    theme: str
    lang: str
    stems: tuple[str, ...]
    acronym: str | None  # exact upper-case spelling that must appear in the text
    words: tuple[str, ...] = ()  # the label's words, folded (for ``EXACT_ONLY`` words)
    weak: bool = False  # in ``WEAK_LABELS``: counts only beside another label of its theme


# Labels that say where rather than what: an old town or a historic centre is not yet heritage
# work ("a car-free old town" asks for fewer cars), culture is in every project, and
# restoration may be of wetlands or, in French, of meals. Such a label names its theme only
# when another label of that theme is in the text too ("restoration of the old town",
# "historic buildings in the old town"). Folded, by language.
WEAK_LABELS = frozenset(
    {
        ("en", "old town"),
        ("en", "historic centre"),
        ("en", "culture"),
        ("en", "restoration"),
        ("de", "altstadt"),
        ("de", "historisches zentrum"),
        ("de", "kultur"),
        ("es", "centro historico"),
        ("es", "casco antiguo"),
        ("es", "restauracion"),
        ("fr", "centre historique"),
        ("fr", "vieille ville"),
        ("fr", "restauration"),
        ("pt", "centro historico"),
        ("pt", "restauracao"),
        ("pt", "restauro"),
        ("ar", "المدينه القديمه"),
    }
)
# Everyday words whose stem is a label word's stem in another sense: they match only a label
# word spelt as they are (with or without a plural s), not one that shares their stem. "mobile
# app" is not mobility (mobil-), "walks" not walking, "heat" is urban heat but not heating.
EXACT_ONLY = frozenset("mobile mobiles movil moviles movel moveis walk walks heat".split())


# Misspelt label words: a need's word this long may be this many edits (Levenshtein) from a
# label word and still be read as it ("composteage" -> "compostage", "Bürgerbeteilgung" ->
# "Bürgerbeteiligung"). Shorter words are left alone: "cooking" is one edit from "cooling",
# "hosting" two from "housing".
TYPO_MIN_LENGTH = 8  # one edit from 8 letters on
TYPO_TWO_EDITS = 12  # two edits from 12 letters on


def _content_tokens(text: str) -> list[Token]:
    """The words that can name a theme: not function words, except a letter joined to the next
    word by a hyphen ("e-government" is not "government")."""
    return [
        t
        for t in tokenize(text)
        if not t.stop or text[t.start + len(t.text) : t.start + len(t.text) + 1] == "-"
    ]


def _label_key(text: str) -> str:
    """A label folded as ``WEAK_LABELS`` lists it."""
    if is_arabic(text):
        return " ".join(arabic_normalise(w) for w in text.split())
    return fold(text)


def _is_acronym(label: str) -> bool:
    return len(label) <= 6 and label.isupper() and " " not in label


class ThemeVocabulary:
    """The multilingual labels of the theme scheme, indexed for matching free text."""

    def __init__(self, labels: Iterable[ThemeLabel], top_concepts: Iterable[str] = ()):
        self.labels: dict[str, dict[str, list[ThemeLabel]]] = {}
        self.top_concepts = frozenset(top_concepts)
        self._index: dict[str, dict[tuple[str, ...], set[_Entry]]] = {}
        self._single: dict[str, dict[str, set[_Entry]]] = {}  # first 5 letters -> entries
        self._words: set[str] = set()  # the stems of the Arabic labels' words
        self._spellings: dict[str, set[str]] = {}  # a label word, folded -> its languages
        self._stems: set[str] = set()  # every label word's stem, in its label's language
        self.max_len = 1
        for label in labels:
            self.labels.setdefault(label.theme, {}).setdefault(label.lang, []).append(label)
            lang = label.lang if label.lang in TEXT_LANGUAGES else "en"
            words = [t.lower for t in _content_tokens(label.text)]
            if not words:
                continue
            stems = tuple(stem(w, lang) for w in words)
            entry = _Entry(
                label.theme,
                lang,
                stems,
                label.text if _is_acronym(label.text) else None,
                tuple(fold(w) for w in words),
                (lang, _label_key(label.text)) in WEAK_LABELS,
            )
            self._index.setdefault(lang, {}).setdefault(stems, set()).add(entry)
            self._stems.update(stems)
            for word in entry.words:
                if not is_arabic(word):
                    self._spellings.setdefault(word, set()).add(lang)
            if lang == "ar":
                self._words.update(stems)
            if len(stems) == 1 and len(stems[0]) >= 5 and entry.acronym is None:
                self._single.setdefault(lang, {}).setdefault(stems[0][:5], set()).add(entry)
            self.max_len = max(self.max_len, len(stems))

    @property
    def themes(self) -> list[str]:
        return sorted(self.labels)

    def label(self, theme: str, langs: Sequence[str] = ("en",)) -> str:
        """The preferred label in the first available language of ``langs`` (else English)."""
        by_lang = self.labels.get(theme, {})
        for lang in (*langs, "en"):
            preferred = [lb for lb in by_lang.get(lang, ()) if lb.preferred]
            if preferred:
                return preferred[0].text
        return theme.rsplit("/", 1)[-1]

    def resolve(self, value: str, base: str) -> str | None:
        """A theme IRI from an IRI or a slug, or None when the scheme has no such theme."""
        value = value.strip()
        iri = value if "/" in value else f"{base}id/theme/{value}"
        return iri if iri in self.labels else None

    def detect(self, text: str, text_lang: str) -> list[ThemeHit]:
        """Themes named in ``text``, strongest first.

        Labels in the text's language count 1 per match; labels in another language count 0.5
        (false friends: French "places", "habitat", "circulation" in English text).
        """
        tokens = _content_tokens(text)
        used = [False] * len(tokens)
        hits: dict[str, ThemeHit] = {}
        named: set[str] = set()  # themes named by a label that is not weak
        weak: dict[str, set[tuple[str, ...]]] = {}  # theme -> its weak labels found

        def record(entry: _Entry, i: int, n: int, factor: float) -> None:
            if entry.weak:
                weak.setdefault(entry.theme, set()).add(entry.stems)
            else:
                named.add(entry.theme)
            hit = hits.setdefault(entry.theme, ThemeHit(entry.theme))
            surface = " ".join(t.text for t in tokens[i : i + n])
            if surface.casefold() not in (s.casefold() for s in hit.terms):
                hit.terms.append(surface)
            hit.strength += factor * (1.0 if entry.lang == text_lang else 0.5)
            for k in range(i, i + n):
                used[k] = True

        words = [self.correct(t.lower, text_lang) for t in tokens]
        stems = {lang: [self._stem(w, lang) for w in words] for lang in self._index}
        # Exact label word sequences, longest first, each text word used once.
        for n in range(min(self.max_len, len(tokens)), 0, -1):
            for i in range(len(tokens) - n + 1):
                if any(used[i : i + n]):
                    continue
                found = self._lookup(stems, tokens, i, n, text_lang)
                for entry in found:
                    record(entry, i, n, 1.0)
        # Single words that extend a label word or are a compound of one (German mostly).
        for i in range(len(tokens)):
            if used[i] or is_generic(tokens[i].lower) or fold(tokens[i].lower) in EXACT_ONLY:
                continue  # "habitants" is not "habitat", "mobile" not "mobilité"
            for entry in self._fuzzy(stems, i, text_lang):
                record(entry, i, 1, 0.8)
        # A weak label counts beside another label of its theme, weak or not.
        named |= {theme for theme, labels in weak.items() if len(labels) > 1}
        named_hits = [h for h in hits.values() if h.theme in named]
        return sorted(named_hits, key=lambda h: (-h.strength, h.theme))

    def correct(self, word: str, text_lang: str = "") -> str:
        """``word``, or the label word it misspells: a long word that is neither a label word
        nor stems like one, a small edit distance from exactly one label word's spelling
        with the same first letter (``TYPO_MIN_LENGTH``; on a tie the spelling of the text's
        language)."""
        folded = fold(word)
        if len(folded) < TYPO_MIN_LENGTH or is_arabic(word) or folded in self._spellings:
            return word
        if folded in EXACT_ONLY or is_generic(word) or not folded.isalpha():
            return word
        if any(stem(word, lang) in self._stems for lang in STEM_LANGUAGES):
            return word  # an inflection of a label word, found as it is
        limit = 2 if len(folded) >= TYPO_TWO_EDITS else 1
        found = process.extract(
            folded, self._spellings.keys(), scorer=Levenshtein.distance, score_cutoff=limit
        )
        if not found:
            return word
        # Typos rarely touch the first letter; "couvertes" is not "ouvertes" (open data).
        same_start = [(w, int(d)) for w, d, _ in found if w[0] == folded[0]]
        if not same_start:
            return word
        best = min(d for _, d in same_start)
        closest = [w for w, d in same_start if d == best]
        if len(closest) > 1:
            closest = [w for w in closest if text_lang in self._spellings[w]]
        return closest[0] if len(closest) == 1 else word

    def _stem(self, word: str, lang: str) -> str:
        """The word's stem for the labels of ``lang``. An Arabic word that is not a label word
        as it stands may be one once an attached conjunction or preposition is taken off
        ("ونفايات" -> "نفايات")."""
        s = stem(word, lang)
        if lang == "ar" and s not in self._words and is_arabic(word):
            for variant in arabic_variants(word):
                if fold(variant) in self._words:
                    return fold(variant)
        return s

    def _lookup(
        self,
        stems: dict[str, list[str]],
        tokens: list[Token],
        i: int,
        n: int,
        text_lang: str,
    ) -> set[_Entry]:
        found: set[_Entry] = set()
        exact = [(k, fold(tokens[i + k].lower)) for k in range(n)]
        exact = [(k, w) for k, w in exact if w in EXACT_ONLY]
        for lang, index in self._index.items():
            for entry in index.get(tuple(stems[lang][i : i + n]), ()):
                if entry.acronym is not None and tokens[i].text != entry.acronym:
                    continue  # "LED", "DEL", "WASH" only in capitals
                if any(entry.words[k] not in (w, w + "s", w.removesuffix("s")) for k, w in exact):
                    continue  # "mobile" is not "mobility", "heat" not "heating"
                found.add(entry)
        # One label may exist in several languages ("Recycling"@de and "recycling"@en): keep
        # the text's language when it is among them, so it counts once at full strength.
        by_theme: dict[str, _Entry] = {}
        for entry in sorted(found, key=lambda e: e.lang != text_lang):
            by_theme.setdefault(entry.theme, entry)
        return set(by_theme.values())

    def _fuzzy(self, stems: dict[str, list[str]], i: int, text_lang: str) -> list[_Entry]:
        best: dict[str, _Entry] = {}
        for lang, single in self._single.items():
            s = stems[lang][i]
            if len(s) < 5:
                continue
            candidates = set(single.get(s[:5], ()))
            if lang == "de":
                # German compounds: "marktabfall" ends with the label word "abfall".
                for k in range(1, len(s) - 4):
                    candidates |= {
                        e for e in single.get(s[k : k + 5], ()) if s.endswith(e.stems[0])
                    }
            for entry in candidates:
                label = entry.stems[0]
                # The need's word may extend a label word ("recycling" -> "recycl"); a label
                # word may extend the need's only for long German stems ("komposti" ->
                # "kompostier"): elsewhere "habit(ants)" would be "habitat", and "stark(en)"
                # would be "Starkregen".
                # ... by a few letters: "Siedlungen" is not "Siedlungswasserwirtschaft".
                longer_label = lang == "de" and len(s) >= 7 and label.startswith(s)
                longer_label = longer_label and len(label) <= len(s) + 4
                extends = s.startswith(label) or longer_label
                close = abs(len(s) - len(label)) <= 3 or (lang == "de" and len(label) >= 6)
                compound = lang == "de" and len(label) >= 5 and s.endswith(label)
                if (extends and close) or compound:
                    if entry.theme not in best or entry.lang == text_lang:
                        best[entry.theme] = entry
        return list(best.values())


def search_terms(
    text: str, limit: int = 12, skip: Iterable[str] = (), lang: str | None = None
) -> dict[str, str]:
    """Content words of the need (no function or generic words, nor the ``skip`` words such as
    place names): lower-case stem in the text's language (``lang``, else guessed) -> the word
    as written. The stems are looked up in the solutions' own text."""
    tokens = tokenize(text)
    lang = lang or guess_language(tokens)
    skipped = {w.casefold() for w in skip}
    terms: dict[str, str] = {}
    for t in tokens:
        if t.stop or is_generic(t.lower) or t.lower in skipped or len(t.lower) < 4:
            continue
        if t.lower.isdigit():
            continue
        # Stems keep accents here: solution text is matched as written, with LCASE only.
        s = accented_stem(t.lower, lang)
        if len(s) >= 4 and s not in terms and len(terms) < limit:
            terms[s] = t.lower
    return terms


# Plural and gender endings after which the bare stem, as a whole word, is still the need's
# word: "parks" -> "park", "trees" -> "tree", "urbana" -> "urban", "Parken" -> "park". Other
# endings need a letter after the stem in the text: "marchés" (stem "march") must not find
# "March 2021", nor "training" the word "train".
_BARE_ENDINGS = ("", "s", "e", "es", "a", "o", "as", "os", "n", "en")


def term_pattern(stem: str, word: str) -> str:
    r"""The regular expression that finds a need's word (``stem`` of ``word``) in lower-cased
    solution text: at the start of a word, and, unless the word is the stem with a plural
    or feminine ending, with more letters after the stem. The same pattern serves Python's
    ``re`` and SPARQL's REGEX (``queries/match/match_solution_terms.rq``): stems are word
    characters only, and ``\W`` and ``\w`` mean the same in both."""
    return rf"(^|\W){re.escape(stem)}" + ("" if term_is_bare(stem, word) else r"\w")


def term_is_bare(stem: str, word: str) -> bool:
    """Whether ``word`` is its ``stem`` with at most a plural or feminine ending, so that the
    stem alone counts as the word (``term_pattern``)."""
    return word.casefold().startswith(stem) and word.casefold()[len(stem) :] in _BARE_ENDINGS


@functools.lru_cache(maxsize=4096)
def term_regex(stem: str, word: str) -> re.Pattern[str]:
    return re.compile(term_pattern(stem, word))


# ---------------------------------------------------------------- the whole analysis


@dataclass
class Analysis:
    language: str
    themes: list[ThemeHit]
    terms: dict[str, str]  # stem -> word as written
    population: int | None
    countries: list[Mention]
    cities: list[Mention]


def analyse(text: str, vocabulary: ThemeVocabulary, lang: str | None = None) -> Analysis:
    """Everything the matcher reads from a need's free text. ``lang``: the language the caller
    says the text is in, if any (``text_language`` decides)."""
    tokens = tokenize(text)
    lang = text_language(text, lang, tokens)
    countries = find_countries(tokens)
    taken = {k for m in countries for k in range(m.start, m.end)}
    country = countries[0].value if countries else None
    cities = find_cities(tokens, country, taken)
    places = [t.text for m in (*countries, *cities) for t in tokens[m.start : m.end]]
    return Analysis(
        language=lang,
        themes=vocabulary.detect(text, lang),
        terms=search_terms(text, skip=places, lang=lang),
        population=extract_population(text),
        countries=countries,
        cities=cities,
    )
