"""The records of mediation and their states: submissions (needs and offers), introductions,
outcomes, the consent a person gave, and the one error type every step raises.

A submission moves ``unconfirmed`` → ``confirmed`` (its e-mail address confirmed: it waits in
the review queue, not public) → ``published`` | ``rejected`` | ``merged``; erasure deletes an
unpublished one and leaves of a published one only a row without personal data (``erased``).

An introduction moves ``unconfirmed`` (the requester must confirm the address) → ``requested``
(the counterpart's contacts have the accept/decline links) → ``accepted`` | ``declined`` |
``unanswered`` (silence until the follow-up time). Outcomes (``helped``, ``project``, ``no``)
are asked of both sides of an accepted introduction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cckg.core.i18n import N_

# The privacy notice a person agrees to; a new text gets a new version, and a consent naming
# an older version is refused (the person has to read the current one).
NOTICE_ID = "cckg-mediation-privacy"
NOTICE_VERSION = "2026-12"

KINDS = ("need", "offer")
SUBMISSION_STATES = ("unconfirmed", "confirmed", "published", "rejected", "merged", "erased")
INTRO_STATES = ("unconfirmed", "requested", "accepted", "declined", "unanswered")
ANSWERS = ("helped", "project", "no")
SIDES = ("requester", "counterpart")

# Sizes: what a person may send (characters); bodies are capped before parsing (bytes).
MAX_TEXT = 5000
MAX_NAME = 200
MAX_EMAIL = 254
MAX_REASON = 2000
MAX_THEMES = 10
MAX_LANGUAGES = 10
MAX_BODY = 64 * 1024

ANSWER_NAMES = {
    "helped": N_("It helped"),
    "project": N_("A project started"),
    "no": N_("It did not help"),
}


class MediationError(Exception):
    """A refused step: ``message`` is an English message id, translated where it is shown, with
    ``%(name)s`` parameters; ``status`` the HTTP status it means; ``where`` (``.field``) the
    input at fault."""

    def __init__(self, message: str, status: int = 400, where: str | None = None, **params: Any):
        super().__init__(message % params if params else message)
        self.message, self.status, self.field, self.params = message, status, where, params

    def text(self, gettext: Any = None) -> str:
        """The message in the language of ``gettext`` (a translation function), else English."""
        template = gettext(self.message) if gettext is not None else self.message
        return template % self.params if self.params else template


@dataclass(frozen=True)
class Consent:
    """What a person agreed to: which notice, which version (the time is the server's)."""

    accepted: bool
    notice: str
    version: str


@dataclass
class SubmissionInput:
    """A need or an offer as sent by a person, before it is checked."""

    kind: str
    text: str
    city: str
    name: str
    email: str
    consent: Consent
    themes: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    institution: str = ""
    lang: str = "en"  # the language the person used: their e-mails are written in it


@dataclass
class IntroductionInput:
    """A request to be introduced to ``counterpart`` (an IRI), for a published need (``need``
    an IRI) or a need described in ``need_text``. ``owner`` is the id of the requester's own
    confirmed submission when they proved it (their status link): then its contact is used."""

    counterpart: str
    consent: Consent
    need: str = ""
    need_text: str = ""
    name: str = ""
    email: str = ""
    institution: str = ""
    owner: str | None = None
    lang: str = "en"


@dataclass(frozen=True)
class City:
    """A checked city: its IRI, label, country and world region (IRIs)."""

    iri: str
    label: str
    country: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Contact:
    """Someone who can answer for a counterpart: a practitioner of the graph (``ref`` its IRI)
    or the offerer/requester of a submission (``ref`` ``submission:{id}``)."""

    ref: str
    name: str
    email: str
    lang: str = "en"
