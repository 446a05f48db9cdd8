"""What every mediation step works with: the workflow database, the signed links, the mailer,
the letters, the graph store and its writer, the clock, and the theme suggester.

The web app builds one :class:`Context` per app, the command line one per command (without a
store when the command needs none: ``purge``, ``followup``, ``users add``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from cckg.core.mediation.config import MediationSettings
from cckg.core.mediation.db import WorkflowDB
from cckg.core.mediation.letters import Letters
from cckg.core.mediation.mail import Mailer, mailer_for
from cckg.core.mediation.tokens import Tokens
from cckg.core.store import Store
from cckg.core.writer import Writer

# Where each kind of link leads, under the public URL.
PATHS = {
    "confirm": "confirm/",
    "status": "status/",
    "my-data": "my-data/",
    "answer": "introductions/answer/",
    "outcome": "outcome/",
}
MAX_PER_ADDRESS_PER_DAY = 5  # submissions and requests one address may make in 24 hours


def iso(moment: datetime) -> str:
    """A time as the database keeps it: UTC, seconds, ISO 8601 (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class Context:
    settings: MediationSettings
    secret: str
    store: Store | None = None
    writer: Writer | None = None
    mailer: Mailer | None = None
    suggest: Callable[[str], list[str]] | None = None  # text -> theme IRIs (the matcher's)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    max_per_address: int = MAX_PER_ADDRESS_PER_DAY

    def __post_init__(self) -> None:
        self.db = WorkflowDB(self.settings.db_path)
        self.tokens = Tokens(self.secret)
        self.letters = Letters(self.settings.mail_from)
        if self.mailer is None:
            self.mailer = mailer_for(self.settings.smtp_url, self.settings.outbox)

    # ------------------------------------------------------------ time and links

    def now(self) -> str:
        return iso(self.clock())

    def ago(self, days: float) -> str:
        return iso(self.clock() - timedelta(days=days))

    def url(self, path: str) -> str:
        return self.settings.public_url + path.lstrip("/")

    def link(self, purpose: str, subject: str, nonce: str, extra: str = "") -> str:
        return self.url(PATHS[purpose] + self.tokens.make(purpose, subject, nonce, extra))

    def thing_url(self, iri: str) -> str:
        """The page of one of our things on this server."""
        base = self.require_store().base_iri
        return self.url(iri[len(base) :]) if iri.startswith(base) else iri

    # ------------------------------------------------------------ the rest

    def send(self, msg: EmailMessage) -> None:
        assert self.mailer is not None
        self.mailer.send(msg)

    def require_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("this mediation step needs the graph store")
        return self.store

    def require_writer(self) -> Writer:
        if self.writer is None:
            self.writer = Writer(self.require_store())
        return self.writer
