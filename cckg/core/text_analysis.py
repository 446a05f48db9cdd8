"""Free-text analysis for matching: what a need written in en/de/es/fr/pt/ar talks about.

Everything here is pure Python over small in-memory tables; it turns text into RDF terms that
the matching queries bind (theme concepts, a country, a city) and into numbers Python compares
(a population). Nothing here scans the store.

- Language: ``cckg.core.language_detection`` (a statistical detector over the six languages);
  counting function words is the fallback.
- Themes: every ``skos:prefLabel``/``skos:altLabel`` of the theme scheme is normalised (case,
  accents), split into words, stripped of function words and stemmed with the Snowball stemmer
  of the label's language (Arabic: a light stemmer of our own, ``arabic_stem``, that also takes
  off the article and the attached conjunctions and prepositions). A need's words are stemmed
  the same way, and label word sequences are found in them, longest first. German compounds
  ("Marktabfälle", "Kompostanlage") also match a label word at their end or start. A long
  word one or two edits from a label word is read as it ("conpostage"; rapidfuzz), and a few
  everyday words and place labels are kept from naming the wrong theme (``WEAK_LABELS``,
  ``EXACT_ONLY``).
- Population: "300,000", "300.000", "300 000", "300k", "1.2 million", "1,2 Mio." near words
  such as inhabitants / Einwohner / habitantes / habitants, or after "city of".
- Country: names and official names from pycountry, with their German, Spanish, French,
  Portuguese and Arabic translations ("Jordan", "Jordanien", "Jordânia", "الأردن").
- City: capitalised words looked up among GeoNames names and alternate names
  (``cckg.core.geonames``: "Köln", "Cologne" and "Colonia" are one city).
"""

from __future__ import annotations

import functools
import gettext
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pycountry
import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cckg.core import geonames, language_detection

# Languages whose words we stem with Snowball. Arabic is stemmed too, by ``arabic_stem``:
# Snowball's Arabic stemmer takes the first letter of "فيضانات" (floods) for the conjunction
# ف but keeps it in "الفيضانات", so one word would get two stems.
STEM_LANGUAGES = {
    "en": "english",
    "de": "german",
    "es": "spanish",
    "fr": "french",
    "pt": "portuguese",
}
TEXT_LANGUAGES = ("en", "de", "es", "fr", "pt", "ar")

# Function words: dropped before label matching, and used to guess the text's language.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """a about after all also am an and any are as at be been before being but by can could
        did do does for from had has have how i if in into is it its it's me more most my no nor
        not of off on or our ours out over own so some such than that the their them then there
        these they this those through to too under up very was we were what when where which
        while who whom why will with would you your instead""".split()
    ),
    "de": frozenset(
        """aber alle als also am an auch auf aus bei bin bis bist da damit dann das dass dem den
        der des die dies diese diesem diesen dieser dieses doch dort du durch ein eine einem
        einen einer eines er es etwas euch für hat hatte ich ihr ihre im in ins ist ja jede
        jeder kann kein keine mit muss nach nicht noch nur ob oder ohne sich sie sind so statt
        über um und uns unser unsere unseren unserer vom von vor war was weil wie wir wird wo
        zu zum zur zwischen sowie möchten wollen""".split()
    ),
    "es": frozenset(
        """a al algo algunas algunos ante antes como con contra cual cuando de del desde donde
        durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estas este esto
        estos fue ha han hay la las le les lo los mas más me mi mis muy nos nosotros nuestra
        nuestras nuestro nuestros o os para pero por que qué se sea ser si sin sobre su sus
        también te tiene tienen todo todos tu tus un una unas uno unos y ya en lugar""".split()
    ),
    "fr": frozenset(
        """à au aux avec ce ces cet cette comme dans de des du elle elles en est et été être il
        ils je la le les leur leurs lui ma mais me même mes moi mon ne nos notre nous on ou où
        par pas pour qu que qui sa se ses si son sont sur ta te tes toi ton tu un une vos votre
        vous y d l qu c s n plutôt""".split()
    ),
    "pt": frozenset(
        """a à ao aos as às até com como da das de dela dele deles do dos e é ela elas ele eles
        em entre era essa essas esse esses esta está estão estas este estes eu foi há isso isto
        já lhe lhes mais mas me mesmo meu meus minha minhas muito muitos muitas na nas nem no
        nos nós nossa nossas nosso nossos num numa o os ou para pela pelas pelo pelos por
        porque qual quais quando que quem se sem ser são seu seus sua suas também tem têm temos
        ter um uma umas uns você vocês pra sobre após cada onde todo toda todos todas outro
        outra outros outras ainda aqui então assim bem vez sendo sido pois dessa desse deste
        desta nesta neste nessa nesse num numa mas ao invés""".split()
    ),
    # Written without harakat and with the alef forms folded (``arabic_normalise``).
    "ar": frozenset(
        """في من الى على عن مع هذا هذه ذلك تلك هؤلاء التي الذي الذين اللذين هو هي هم هن نحن انا
        انت انتم ان كان كانت يكون تكون كانوا لا لم لن ما ماذا كيف لماذا متى اين كل بعض او ام
        ثم قد لقد عند عندما بين حتى منذ غير بعد قبل مثل عبر خلال حول لدى لدينا لنا لها له لهم
        لكن بل اذا اي اية وفي ومن وعلى وعن ومع وهو وهي وهذا وهذه وان وكان ولا ولم وما او فقط
        ايضا جدا يتم تم هناك هنا حيث التي الى كما لكي كي اما الا ولكن فان بان""".split()
    ),
}
ALL_STOPWORDS = frozenset().union(*(w for lang, w in STOPWORDS.items() if lang != "ar"))

# Words every need uses: they say nothing about the topic, so they are not search terms.
GENERIC_WORDS = frozenset(
    """city cities town towns municipality municipalities municipal urban local want wants
    wanted need needs needed help looking seek seeking seeks know how experience experiences
    inhabitants residents people population support project projects improve create build
    using use new like way ways better make set together stadt städte gemeinde gemeinden
    kommune kommunen einwohner einwohnern einwohnerinnen menschen suchen sucht brauchen
    erfahrung erfahrungen unterstützung projekt projekte verbessern schaffen aufbauen möchte
    ciudad ciudades municipio municipios habitantes queremos quiere necesitamos buscamos
    busca apoyo experiencia experiencias proyecto proyectos mejorar crear personas ville villes
    commune communes habitants voulons veut cherchons cherche besoin expérience expériences
    soutien projet projets améliorer créer personnes comment implement implementing
    implementation introduce develop developing plan planning umsetzen einführen entwickeln
    implementar implementación desarrollar introducir mettre oeuvre œuvre mise développer
    élaborer introduire cidade cidades município municípios prefeitura prefeituras queremos
    quer precisamos buscamos procuramos busca apoio experiência experiências projeto projetos
    melhorar criar pessoas moradores população desenvolver implementar implantar introduzir
    gostaríamos gostaria plano planejamento""".split()
)

# Country names that are also ordinary words in one of our languages.
_AMBIGUOUS_COUNTRY_NAMES = frozenset(
    {"island", "reunion", "maurice", "grenade", "man", "jersey", "chad", "turkey", "guinea"}
    # Arabic: without harakat, Oman (عُمان) is spelt as the city of Amman (عمّان).
    | {"عمان"}
)

# Word characters, and the Arabic harakat and tatweel that may sit inside a word (combining
# marks are not word characters to ``re``: "النُّفَايَات" would fall apart).
_AR_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_WORD = re.compile(rf"(?:[^\W_]|[{_AR_MARKS}])+", re.UNICODE)
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def fold(text: str) -> str:
    """Lower case without accents (``Déchets`` -> ``dechets``); word characters kept."""
    return geonames.normalise(text)


@dataclass(frozen=True)
class Token:
    text: str  # as written
    lower: str  # case-folded, accents kept (what stemmers expect)
    start: int  # character offset in the original text
    stop: bool  # a function word in any language


def is_arabic(word: str) -> bool:
    return bool(_ARABIC.search(word))


def _is_stop(lower: str) -> bool:
    if is_arabic(lower):
        return arabic_normalise(lower) in STOPWORDS["ar"]
    return lower in ALL_STOPWORDS


def tokenize(text: str) -> list[Token]:
    """Words of ``text``; hyphens and apostrophes split words ("bio-waste" -> bio, waste)."""
    return [
        Token(m.group(), m.group().casefold(), m.start(), _is_stop(m.group().casefold()))
        for m in _WORD.finditer(text)
    ]


# ---------------------------------------------------------------- Arabic

_AR_MARKS_RE = re.compile(f"[{_AR_MARKS}]")
# Hamza carriers of alef, alef maqsura, ta marbuta: spelt either way, and often without hamza.
_AR_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
# The article with what may be attached before it: "والنفايات", "بالمياه", "للمدينة".
_AR_ARTICLES = ("وال", "فال", "بال", "كال", "لل", "ال")
# Light10's suffixes (Larkey, Ballesteros and Connell 2007), each taken off once, in this order,
# while two letters stay: "نفايات" and "نفاية" both give "نفا".
_AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
# Conjunctions (و ف) and prepositions (ب ل ك) written as one word with the next, without the
# article: "ونفايات", "لمياه", "وبمياه". Taken off only when what stays is a label word (see
# ``ThemeVocabulary``): "فيضانات" (floods) starts with ف and "بلدية" with ب.
_AR_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")


def arabic_normalise(word: str) -> str:
    """Without harakat and tatweel, the alef forms, alef maqsura and ta marbuta folded."""
    return _AR_MARKS_RE.sub("", word).translate(_AR_FOLD)


STOPWORDS["ar"] = frozenset(arabic_normalise(w) for w in STOPWORDS["ar"])


def arabic_stem(word: str) -> str:
    """A light stem of an Arabic word: normalised, the article (with a conjunction or
    preposition attached to it) and one of each Light10 suffix taken off."""
    w = arabic_normalise(word)
    for article in _AR_ARTICLES:
        if w.startswith(article) and len(w) - len(article) >= 2:
            w = w[len(article) :]
            break
    for suffix in _AR_SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 2:
            w = w[: -len(suffix)]
    return w


# Arabic words every need uses (city, municipality, residents, we want, project, ...), as stems.
GENERIC_ARABIC = frozenset(
    arabic_stem(w)
    for w in """مدينة مدن المدينة بلدية بلديات البلدية سكان السكان مواطنين المواطنين نريد نرغب
    نحتاج نبحث نسعى مساعدة دعم خبرة خبرات تجربة تجارب مشروع مشاريع تحسين انشاء تطوير تنفيذ
    خطة محلي محلية حضري حضرية""".split()
)


def is_generic(word: str) -> bool:
    """A word every need uses (``GENERIC_WORDS``, ``GENERIC_ARABIC``): not a topic."""
    if is_arabic(word):
        return arabic_stem(word) in GENERIC_ARABIC
    return word in GENERIC_WORDS


def arabic_variants(word: str) -> list[str]:
    """Stems of ``word`` read with an attached conjunction or preposition taken off."""
    w = arabic_normalise(word)
    return [
        arabic_stem(w[len(p) :]) for p in _AR_PROCLITICS if w.startswith(p) and len(w) - len(p) >= 3
    ]


_local = threading.local()


def _stemmer(lang: str) -> Any:
    # Snowball stemmers keep state while stemming: one per thread (waitress serves in threads).
    stemmers = _local.__dict__.setdefault("stemmers", {})
    if lang not in stemmers:
        stemmers[lang] = snowballstemmer.stemmer(STEM_LANGUAGES[lang])
    return stemmers[lang]


@functools.lru_cache(maxsize=50_000)
def stem(word: str, lang: str) -> str:
    """The stem of a lower-case word in ``lang``, folded (accents dropped): Snowball's, or
    ``arabic_stem`` for an Arabic word."""
    if lang == "ar" or is_arabic(word):
        return fold(arabic_stem(word)) if is_arabic(word) else fold(word)
    return fold(_stemmer(lang).stemWord(word)) if lang in STEM_LANGUAGES else fold(word)


def guess_language(tokens: Sequence[Token], default: str = "en") -> str:
    """The fallback guess of the text's language: Arabic when most words are in Arabic
    script, else the language with most function words (``default`` on a tie)."""
    if tokens and sum(is_arabic(t.lower) for t in tokens) * 2 > len(tokens):
        return "ar"
    counts = {
        lang: sum(t.lower in words for t in tokens)
        for lang, words in STOPWORDS.items()
        if lang != "ar"
    }
    best = max(counts, key=lambda lang: (counts[lang], lang == default))
    return best if counts[best] else default


def text_language(text: str, given: str | None = None, tokens: Sequence[Token] = ()) -> str:
    """The language a need is written in, one of ``TEXT_LANGUAGES``.

    Without a language from the caller: the detector's (``language_detection``), else the
    function-word guess. With one: the caller's, unless the detector is confident of another.
    Callers pass the languages the asking side works in, which need not be the language this
    one text is written in (a Jordanian planner may write in English, a request may carry the
    interface language): the text's own words are better evidence when they are clear, and
    reading Portuguese with Spanish stems or labels loses words. A detection that is not
    confident leaves the caller's language, which then also settles a close call between
    Spanish and Portuguese.
    """
    given = given if given in TEXT_LANGUAGES else None
    detected = language_detection.detect(text)
    if given is None:
        if detected is not None:
            return detected.language
        return guess_language(tokens or tokenize(text))
    if detected is not None and detected.language != given and detected.confident:
        return detected.language
    return given


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
        s = _stemmer(lang).stemWord(t.lower) if lang in STEM_LANGUAGES else t.lower
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
    bare = word.casefold().startswith(stem) and word.casefold()[len(stem) :] in _BARE_ENDINGS
    return rf"(^|\W){re.escape(stem)}" + ("" if bare else r"\w")


@functools.lru_cache(maxsize=4096)
def term_regex(stem: str, word: str) -> re.Pattern[str]:
    return re.compile(term_pattern(stem, word))


# ---------------------------------------------------------------- population

_MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "tausend": 1_000,
    "mil": 1_000,
    "mille": 1_000,
    "m": 1_000_000,
    "mio": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "millionen": 1_000_000,
    "millon": 1_000_000,
    "millones": 1_000_000,
    "mn": 1_000_000,
}
_POPULATION_AFTER = re.compile(
    r"^\W*(?:de\s+|d\W)?(?:inhabitants?|residents?|people|population|citizens|einwohner\w*|"
    r"bewohner\w*|menschen|habitantes|personas|pobladores|habitants?|personnes|âmes)\b",
    re.IGNORECASE,
)
_POPULATION_BEFORE = re.compile(
    r"(?:city|town|municipality|population|inhabitants|stadt|gemeinde|kommune|einwohnerzahl|"
    r"ciudad|municipio|población|poblacion|ville|commune|population)\s+(?:of|with|von|mit|"
    r"de|con|d|avec|about|around|rund|etwa|ca|approximately|unos|environ)?\W*"
    r"(?:about|around|rund|etwa|ca|approximately|unos|environ|some)?\W*$",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+|\d+(?:[.,]\d+)?)"
    r"(?:\s*(k|thousand|tausend|mil|mille|m|mio|millions?|millionen|mill[oó]n|millones|mn)\b\.?)?",
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(
    r"^\s*(?:%|€|\$|eur|euro|usd|dollars?|tonnes?|tons?|t\b|km|kg|ha|m2|m²|years?|jahre|años|"
    r"ans|days?|households?|haushalte|hogares|ménages)",
    re.IGNORECASE,
)


def _number_value(digits: str, multiplier: str | None) -> int:
    mult = _MULTIPLIERS.get(fold(multiplier), 1_000_000) if multiplier else None
    if re.fullmatch(r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+", digits) and not mult:
        return int(re.sub(r"\D", "", digits))  # thousands separators: 300,000 / 300.000
    value = float(digits.replace(",", "."))  # a decimal: 1.2 / 1,2 (million)
    return int(round(value * (mult or 1)))


def extract_population(text: str) -> int | None:
    """The number of inhabitants a need mentions, or None.

    A number counts when a population word follows it ("300,000 inhabitants",
    "120.000 Einwohnern", "80 000 habitants") or a city word precedes it ("city of 300,000",
    "Stadt mit 250.000"); "300k" or "1.2 million" count unless a unit follows (EUR, tonnes).
    """
    fallback: int | None = None
    for m in _NUMBER.finditer(text):
        digits, multiplier = m.group(1), m.group(2)
        if multiplier and multiplier.lower() == "m" and re.match(r"\s", text[m.end(1) :]):
            multiplier = None  # "30 m" is metres; "1.2M" is a million
        value = _number_value(digits, multiplier)
        if value < 500:
            continue
        after, before = text[m.end() :], text[: m.start()]
        if re.fullmatch(r"(19|20)\d\d", digits) and not multiplier:
            if not _POPULATION_AFTER.match(after):
                continue  # a year
        if _POPULATION_AFTER.match(after) or _POPULATION_BEFORE.search(before[-40:]):
            return value
        if multiplier and fallback is None and not _UNIT_AFTER.match(after):
            fallback = value
    return fallback


# ---------------------------------------------------------------- countries


@functools.cache
def _country_names() -> dict[str, str]:
    """Folded country name (English, official, common, and de/es/fr/pt/ar translations) ->
    alpha-2. Arabic names also without their article ("الأردن" and "أردن")."""
    names: dict[str, str] = {}
    translators = []
    for lang in ("de", "es", "fr", "pt", "ar"):
        try:
            translators.append(
                gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]).gettext
            )
        except OSError:  # pragma: no cover - pycountry ships these catalogues
            continue
    for c in pycountry.countries:
        english = [c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)]
        variants = {n for n in english if n}
        for tr in translators:
            variants |= {tr(n) for n in english if n}
        for name in variants:
            # "Bolivia, Plurinational State of" -> also "Bolivia"
            for form in {name, name.split(",")[0], re.sub(r"\s*\(.*\)", "", name)}:
                key = _country_key(form)
                if len(key) >= 4 and key not in _AMBIGUOUS_COUNTRY_NAMES:
                    names.setdefault(key, c.alpha_2)
    return names


def _country_key(name: str) -> str:
    """A country name folded for lookup; Arabic words without harakat and article."""
    if is_arabic(name):
        return " ".join(arabic_stem(w) for w in name.split())
    return fold(name)


@dataclass(frozen=True)
class Mention:
    value: str  # an ISO code or a GeoNames id
    surface: str  # the words in the text
    start: int  # first token index
    end: int  # one past the last token index


def find_countries(tokens: Sequence[Token]) -> list[Mention]:
    """Country names in the text, longest match first (e.g. "Bosnia and Herzegovina")."""
    names = _country_names()
    found: list[Mention] = []
    used = [False] * len(tokens)
    for n in (4, 3, 2, 1):
        for i in range(len(tokens) - n + 1):
            if any(used[i : i + n]):
                continue
            surface = " ".join(t.text for t in tokens[i : i + n])
            code = names.get(_country_key(surface))
            # Names are capitalised (Arabic script has no capitals).
            if code is None or not (tokens[i].text[:1].isupper() or is_arabic(surface)):
                continue
            found.append(Mention(code, surface, i, i + n))
            used[i : i + n] = [True] * n
    return sorted(found, key=lambda m: m.start)


# Big cities whose names are also common words in the needs people write ("Nice", "Split",
# "Mobile", "Salé"): never taken as a city from free text (the city parameter still works).
_NOT_CITIES = frozenset(
    fold(w)
    for w in """city town municipality mission union progress progreso center centre market
    markets green energy smart victoria concordia esperanza libertad paz trinidad providence
    harmony liberty independence unity nice split mobile reading sale male paradise hope bath
    marks forest bello""".split()
)


def find_cities(tokens: Sequence[Token], country: str | None, taken: set[int]) -> list[Mention]:
    """GeoNames cities named in the text: runs of up to three capitalised words.

    Without a country named in the text only cities of 100,000 or more count (German nouns are
    capitalised, and GeoNames knows many small towns called like common words); with a country,
    only its cities count, of any size.
    """
    found: list[Mention] = []
    used = set(taken)
    for n in (3, 2, 1):
        for i in range(len(tokens) - n + 1):
            span = tokens[i : i + n]
            if any(k in used for k in range(i, i + n)):
                continue
            if not all(t.text[:1].isupper() and not t.stop for t in span):
                continue
            surface = " ".join(t.text for t in span)
            key = fold(surface)
            # Three letters or fewer are mostly airport codes among GeoNames alternate names.
            if len(key) < 4 or key in _NOT_CITIES or key in GENERIC_WORDS:
                continue
            records = geonames.candidates(surface)
            if country:
                records = [r for r in records if r["countrycode"] == country]
            elif records and records[0]["population"] < 100_000:
                records = []
            if records:
                found.append(Mention(str(records[0]["geonameid"]), surface, i, i + n))
                used |= set(range(i, i + n))
    return sorted(found, key=lambda m: m.start)


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
