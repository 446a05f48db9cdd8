"""How e-mail leaves: SMTP when ``CCKG_SMTP_URL`` names a server, else ``.eml`` files in the
outbox folder (``CCKG_OUTBOX``, default ``var/outbox``), so ``make run`` works with no settings
and every message can be read where the log says.

``smtp://host:port`` sends in plain SMTP (a local relay), ``smtp+starttls://`` upgrades with
STARTTLS, ``smtps://`` speaks TLS from the start; ``user:password@`` logs in. A message that
cannot be handed over raises :class:`MediationError` (503): the step that wanted to send it is
rolled back, so nothing is recorded that the person was not told about.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from cckg.core.i18n import N_
from cckg.core.mediation.model import MediationError

log = logging.getLogger("cckg.mail")
SMTP_TIMEOUT_S = 20
NOT_SENT = N_("We could not send the e-mail right now. Please try again later.")


class Mailer(Protocol):
    def send(self, msg: EmailMessage) -> None: ...

    def forget(self, address: str) -> int:
        """Remove kept copies of messages to ``address``; how many were removed."""
        ...


class SmtpMailer:
    """Hands every message to an SMTP server (smtplib), one connection per message."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ValueError(f"CCKG_SMTP_URL must be smtp://host:port (or smtps://), not {url!r}")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    def send(self, msg: EmailMessage) -> None:
        try:
            if self.scheme == "smtps":
                ctx = ssl.create_default_context()
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=SMTP_TIMEOUT_S, context=ctx
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_S)
            with smtp:
                if self.scheme == "smtp+starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as e:
            log.warning("SMTP %s:%s refused or failed: %s", self.host, self.port, type(e).__name__)
            raise MediationError(NOT_SENT, 503) from e
        log.info("e-mail %s handed to %s:%s", msg["Message-ID"], self.host, self.port)

    def forget(self, address: str) -> int:
        return 0  # sent is sent: nothing is kept here


class OutboxMailer:
    """Writes every message as an ``.eml`` file into ``folder`` (no SMTP server configured)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, msg: EmailMessage) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{uuid.uuid4().hex}.eml"
            path.write_bytes(msg.as_bytes(policy=policy.SMTP))
        except OSError as e:
            raise MediationError(NOT_SENT, 503) from e
        # The log names the file, never the address.
        log.warning("no CCKG_SMTP_URL: e-mail %s written to %s", msg["Message-ID"], path)

    def forget(self, address: str) -> int:
        removed = 0
        wanted = address.strip().lower()
        for path in sorted(self.folder.glob("*.eml")) if self.folder.is_dir() else []:
            with path.open("rb") as f:
                headers = BytesParser(policy=policy.default).parse(f, headersonly=True)
            found = getaddresses(headers.get_all("To", []) + headers.get_all("Cc", []))
            if any(addr.lower() == wanted for _, addr in found):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def mailer_for(smtp_url: str | None, outbox: Path) -> Mailer:
    """SMTP when a URL is set, else the outbox folder."""
    return SmtpMailer(smtp_url) if smtp_url else OutboxMailer(outbox)
