"""Texts into the sentences that are embedded one by one and quoted back in reasons.

A title is one sentence; a description or outcome is split at sentence ends. Very long
sentences are cut into pieces of at most ``MAX_WORDS`` words (the encoder averages over its
tokens: a long passage says everything a little). Very short pieces are kept with their
neighbour.
"""

from __future__ import annotations

import re

MAX_WORDS = 40
MIN_WORDS = 3
_END = re.compile(r"(?<=[.!?؟])\s+(?=[\"'“«(]?[A-ZÀ-ÝĀ-Ž0-9\u0600-\u06ff])")


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (whitespace normalised, none empty)."""
    text = " ".join(text.split())
    if not text:
        return []
    parts: list[str] = []
    for piece in _END.split(text):
        words = piece.split()
        for i in range(0, len(words), MAX_WORDS):
            parts.append(" ".join(words[i : i + MAX_WORDS]))
    merged: list[str] = []
    for part in parts:
        if merged and len(part.split()) < MIN_WORDS:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged
