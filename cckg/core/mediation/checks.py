"""Checks of what people send (sizes, addresses, consent, languages) and the scrubbing of a
text before it is published (no e-mail address, phone number or the writer's own name).

Every refusal is a :class:`MediationError` naming the field, with a message id that the page or
API translates into the person's language.
"""

from __future__ import annotations

import re
from typing import Any

import pycountry

from cckg.core.i18n import N_
from cckg.core.mediation.model import (
    MAX_EMAIL,
    MAX_LANGUAGES,
    MAX_NAME,
    MAX_REASON,
    MAX_TEXT,
    MAX_THEMES,
    NOTICE_ID,
    NOTICE_VERSION,
    Consent,
    IntroductionInput,
    MediationError,
    SubmissionInput,
)

# One @, no spaces or angle brackets, a dot in the domain: deliverability is the confirmation
# link's job. No CR/LF can pass (they would forge mail headers).
EMAIL = re.compile(r"^[^@\s<>\"(),;:\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# In a published text: addresses and phone-like digit runs are replaced.
EMAIL_IN_TEXT = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[A-Za-z]{2,}")
PHONE_IN_TEXT = re.compile(r"(?<![\w/])\+?\d[\d ()./-]{6,}\d(?![\w/])")
REMOVED = "[…]"


def _text(value: Any, field: str, limit: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise MediationError(N_("Please check this field: %(field)s."), 400, field, field=field)
    value = value.strip()
    if required and not value:
        raise MediationError(N_("Please fill in this field: %(field)s."), 400, field, field=field)
    if len(value) > limit:
        raise MediationError(
            N_("This field is too long: %(field)s (at most %(limit)s characters)."),
            400,
            field,
            field=field,
            limit=limit,
        )
    return value


def single_line(value: Any, field: str, limit: int = MAX_NAME, required: bool = True) -> str:
    value = _text(value, field, limit, required)
    if CONTROL.search(value):
        raise MediationError(N_("Please check this field: %(field)s."), 400, field, field=field)
    return value


def email(value: Any) -> str:
    value = _text(value, "email", MAX_EMAIL)
    if not EMAIL.match(value):
        raise MediationError(N_("Please check your e-mail address."), 400, "email")
    return value


def text(value: Any, field: str = "text") -> str:
    """A free text (a need, an offer): at most 5,000 characters, control characters other
    than line breaks and tabs removed."""
    value = _text(value, field, MAX_TEXT)
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value)


def reason(value: Any) -> str:
    return _text(value, "reason", MAX_REASON)


def consent(value: Any) -> Consent:
    """The consent given: accepted, naming the current notice and its version."""
    if not isinstance(value, dict) or value.get("accepted") is not True:
        raise MediationError(N_("Please read the privacy notice and agree to it."), 400, "consent")
    notice, version = value.get("notice"), value.get("version")
    if notice != NOTICE_ID or version != NOTICE_VERSION:
        raise MediationError(
            N_("You agreed to another version of the privacy notice. Please read the current one."),
            400,
            "consent",
        )
    return Consent(True, NOTICE_ID, NOTICE_VERSION)


def string_list(value: Any, field: str, limit: int) -> list[str]:
    """A list of short strings (JSON list, or one comma-separated string)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MediationError(N_("Please check this field: %(field)s."), 400, field, field=field)
    out = [v.strip() for v in value if v.strip()]
    if len(out) > limit or any(len(v) > 300 for v in out):
        raise MediationError(N_("Please check this field: %(field)s."), 400, field, field=field)
    return list(dict.fromkeys(out))


def languages(value: Any) -> list[str]:
    codes = [c.lower() for c in string_list(value, "languages", MAX_LANGUAGES)]
    for code in codes:
        if not re.fullmatch(r"[a-z]{2}", code) or pycountry.languages.get(alpha_2=code) is None:
            raise MediationError(
                N_("Unknown language code: %(code)s."), 400, "languages", code=code[:10]
            )
    return codes


def submission(kind: str, data: Any, lang: str) -> SubmissionInput:
    """A need or offer from a JSON body or a form (already turned into a dict)."""
    if not isinstance(data, dict):
        raise MediationError(N_("Please send a JSON object."), 400)
    return SubmissionInput(
        kind=kind,
        text=text(data.get("text")),
        city=single_line(data.get("city"), "city"),
        name=single_line(data.get("name"), "name"),
        email=email(data.get("email")),
        consent=consent(data.get("consent")),
        themes=string_list(data.get("themes"), "themes", MAX_THEMES),
        languages=languages(data.get("languages")),
        institution=single_line(data.get("institution"), "institution", required=False),
        lang=lang,
    )


def introduction(data: Any, lang: str, owner: str | None = None) -> IntroductionInput:
    """A request for an introduction. With ``owner`` (a proved own submission) no name or
    address is asked: the submission's are used."""
    if not isinstance(data, dict):
        raise MediationError(N_("Please send a JSON object."), 400)
    counterpart = single_line(data.get("counterpart"), "counterpart", 500)
    need = single_line(data.get("need"), "need", 500, required=False)
    need_text = ""
    if not need.startswith(("http://", "https://")):
        # Not a published need: a need described in words (an owner's own need is known).
        need_text = "" if owner else text(data.get("need_text") or need, "need")
        need = ""
    intro = IntroductionInput(
        counterpart=counterpart,
        consent=consent(data.get("consent")),
        need=need,
        need_text=need_text,
        owner=owner,
        lang=lang,
    )
    if owner is None:
        intro.name = single_line(data.get("name"), "name")
        intro.email = email(data.get("email"))
        intro.institution = single_line(data.get("institution"), "institution", required=False)
    return intro


def scrub(value: str, name: str = "") -> str:
    """``value`` without e-mail addresses, phone numbers or the writer's name (what a person
    may have written into their own text), before it is published."""
    value = EMAIL_IN_TEXT.sub(REMOVED, value)
    value = PHONE_IN_TEXT.sub(REMOVED, value)
    for part in {name.strip(), *name.split()} if name else ():
        if len(part) >= 3:
            value = re.sub(rf"\b{re.escape(part)}\b", REMOVED, value, flags=re.IGNORECASE)
    return value
