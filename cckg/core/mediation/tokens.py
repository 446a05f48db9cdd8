"""Signed links: what each e-mail link carries, for how long it is valid, and how a forged,
expired or replayed one is told apart.

A token is ``itsdangerous``'s URL-safe timed signature over ``[purpose, subject, nonce, extra]``
with the secret key. ``purpose`` keeps a link of one kind from being used as another;
``nonce`` is the subject's own random value in the workflow database: erasing the subject (or
giving it a new nonce) voids every link made for it. One-time links (confirmation,
accept/decline, outcome) are refused once their step is done: the state says so (409).
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cckg.core.i18n import N_
from cckg.core.mediation.model import MediationError

DAY = 86400
# Purpose -> how long its links stay valid (seconds).
MAX_AGE = {
    "confirm": 7 * DAY,  # also how long an unconfirmed submission is kept
    "status": 365 * DAY,
    "my-data": 365 * DAY,
    "answer": 30 * DAY,
    "outcome": 120 * DAY,
}


@dataclass(frozen=True)
class Token:
    purpose: str
    subject: str  # s:{submission id} or i:{introduction id}
    nonce: str
    extra: str = ""  # the contact's index (answer), the side (outcome)


class Tokens:
    """Makes and reads the signed links of one secret key."""

    def __init__(self, secret: str, max_age: dict[str, int] | None = None):
        self._s = URLSafeTimedSerializer(secret, salt="cckg-mediation-link")
        self.max_age = {**MAX_AGE, **(max_age or {})}

    def make(self, purpose: str, subject: str, nonce: str, extra: str = "") -> str:
        if purpose not in self.max_age:
            raise ValueError(f"unknown link purpose {purpose!r}")
        return str(self._s.dumps([purpose, subject, nonce, extra]))

    def read(self, token: str, purpose: str) -> Token:
        """The token's content; MediationError 400 when forged or of another purpose, 410 when
        expired."""
        try:
            data = self._s.loads(token, max_age=self.max_age[purpose])
        except SignatureExpired as e:
            raise MediationError(
                N_("This link has expired. Please start again from the website."), 410
            ) from e
        except BadSignature as e:
            raise MediationError(
                N_("This link is not valid. Please use the link from your e-mail."), 400
            ) from e
        if not (isinstance(data, list) and len(data) == 4 and data[0] == purpose):
            raise MediationError(
                N_("This link is not valid. Please use the link from your e-mail."), 400
            )
        return Token(*(str(x) for x in data))
