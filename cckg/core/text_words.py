"""The words of a need's free text in en, de, es, fr, pt or ar: tokens, folding (case and
accents), function words, stems (Snowball; Arabic by a light stemmer of our own that also takes
off the article and attached conjunctions and prepositions) and the text's language
(``cckg.core.language_detection``, with counting function words as the fallback).
``cckg.core.text_analysis`` finds themes and search words in them, ``cckg.core.text_mentions``
places and sizes."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import snowballstemmer

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


def accented_stem(word: str, lang: str) -> str:
    """Snowball's stem of a lower-case word in ``lang``, accents kept (solution text is
    matched as written); the word itself in a language without a Snowball stemmer."""
    return _stemmer(lang).stemWord(word) if lang in STEM_LANGUAGES else word


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
