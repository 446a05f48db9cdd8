"""Which of the six need languages (en, de, es, fr, pt, ar) a text is written in.

A statistical detector (lingua, restricted to the six languages) tells Portuguese from Spanish
even on a few words ("coleta seletiva" / "recolección selectiva"), which counting function
words cannot. It is built once per process, on first use, and shared by all threads.

Mode: lingua's high-accuracy mode. Its low-accuracy mode needs about 20 MB instead of about
150 MB, but on the 2-5 word theme labels of ``ontology/themes.ttl`` it named the right language
for 87 % of the Spanish and 85 % of the Portuguese labels against 97 % in high-accuracy mode,
and it was wrong on 14 of the 225 Spanish labels it was at least 70 % sure of (none in
high-accuracy mode): needs typed in a hurry are that short. High-accuracy mode takes about
20 ms for a paragraph; only the first ``MAX_CHARS`` characters are looked at.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("en", "de", "es", "fr", "pt", "ar")
# A detection this sure (lingua's relative confidence, 0..1) overrides the language a caller
# gave. Below it the caller's word stands. On the theme labels (1,952 labels found in one
# language only), detections at 0.7 or more were right for 1,497 of 1,501.
CONFIDENT = 0.7
MAX_CHARS = 1000  # enough to tell the language; bounds the work on a long text

_lock = threading.Lock()
_detector: Any = None
_unavailable = False


@dataclass(frozen=True)
class Detection:
    language: str  # ISO 639-1, one of LANGUAGES
    confidence: float  # 0..1, relative to the other five languages

    @property
    def confident(self) -> bool:
        return self.confidence >= CONFIDENT


def _build() -> Any:
    global _detector, _unavailable
    with _lock:
        if _detector is None and not _unavailable:
            try:
                from lingua import Language, LanguageDetectorBuilder
            except ImportError:  # pragma: no cover - a dependency; callers fall back
                _unavailable = True
                return None
            codes = {
                "en": Language.ENGLISH,
                "de": Language.GERMAN,
                "es": Language.SPANISH,
                "fr": Language.FRENCH,
                "pt": Language.PORTUGUESE,
                "ar": Language.ARABIC,
            }
            _detector = LanguageDetectorBuilder.from_languages(*codes.values()).build()
    return _detector


def detect(text: str) -> Detection | None:
    """The language of ``text`` and how sure the detector is, or None when it cannot tell
    (no letters, or the detector is not installed)."""
    sample = text[:MAX_CHARS]
    if not any(c.isalpha() for c in sample):
        return None
    detector = _build()
    if detector is None:
        return None
    values = detector.compute_language_confidence_values(sample)
    if not values or values[0].value <= 0:
        return None
    top = values[0]
    code = top.language.iso_code_639_1.name.lower()
    return Detection(code, round(float(top.value), 4)) if code in LANGUAGES else None


def warm_up() -> None:
    """Build the detector and load its models now rather than on the first need."""
    detect("warm up the language models")
