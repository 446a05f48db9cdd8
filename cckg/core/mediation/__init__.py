"""Mediation: from a match to a consented introduction, every step recorded as data.

A city official submits a need (or someone offers know-how), confirms the e-mail address
(double opt-in), and a moderator reviews it; only the reviewed text, without personal data, is
published (through the one Writer). From any match result, solution, institution, offer or
practitioner one can ask to be introduced; the counterpart's contacts answer through signed
links, and only an acceptance sends both sides each other's contact, in one e-mail. Later both
are asked how it went; the answers become anonymous counts and labelled pairs for the matcher.

The modules, each importing only those above it:

- ``model``: records, states, sizes, the consent notice, ``MediationError``;
- ``config``: the settings (database path, SMTP, outbox, secret key, public URL, days);
- ``db``: the workflow database (SQLite, private) and its audit trail;
- ``tokens``: the signed links; ``mail``: SMTP or the outbox; ``letters``: the e-mails;
- ``checks``: what people send, and scrubbing before publication;
- ``reads``: cities, themes, counterparts and contacts from the graph;
- ``publish``: the public record of a reviewed submission, through the Writer;
- ``context``: what every step works with;
- ``submissions``, ``introductions``, ``followup``, ``rights``, ``moderators``: the steps;
- ``service``: :class:`Mediation`, the entry point pages and commands use.
"""

from __future__ import annotations

from cckg.core.mediation.config import MediationSettings, secret_key
from cckg.core.mediation.context import Context
from cckg.core.mediation.model import (
    ANSWER_NAMES,
    ANSWERS,
    KINDS,
    MAX_BODY,
    MAX_TEXT,
    NOTICE_ID,
    NOTICE_VERSION,
    MediationError,
)
from cckg.core.mediation.moderators import AccountError, Moderator
from cckg.core.mediation.service import Mediation

__all__ = [
    "ANSWERS",
    "ANSWER_NAMES",
    "KINDS",
    "MAX_BODY",
    "MAX_TEXT",
    "NOTICE_ID",
    "NOTICE_VERSION",
    "AccountError",
    "Context",
    "Mediation",
    "MediationError",
    "MediationSettings",
    "Moderator",
    "secret_key",
]
