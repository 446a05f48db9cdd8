"""Helpers of the mediation tests: a real SMTP server on loopback (aiosmtpd) that keeps what
it receives, a writable copy of the demo store, an app wired to both, and link extraction.

Waiting for e-mail polls with a generous deadline: the tests must hold on a busy machine.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller

from cckg.core.mediation import NOTICE_ID, NOTICE_VERSION
from cckg.core.store import EmbeddedStore
from tests.servers import free_port

CONSENT = {"accepted": True, "notice": NOTICE_ID, "version": NOTICE_VERSION}
FORM_CONSENT = {"consent": "yes", "consent_notice": NOTICE_ID, "consent_version": NOTICE_VERSION}
SECRET = "test-secret-key-for-signed-links-0123456789"
ADMIN = "test-admin-token-mediation-0123456789"
MAIL_DEADLINE_S = 120.0


class Inbox:
    """What the SMTP server received: (recipients, message), in order."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        msg = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        with self._lock:
            self.received.append(([r.lower() for r in envelope.rcpt_tos], msg))
        return "250 Message accepted for delivery"

    def count(self, to: str | None = None) -> int:
        with self._lock:
            return sum(1 for rcpts, _ in self.received if to is None or to.lower() in rcpts)

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for rcpts, m in self.received if address.lower() in rcpts]

    def wait(self, to: str, n: int = 1, timeout: float = MAIL_DEADLINE_S) -> EmailMessage:
        """The ``n``-th message to ``to`` (1-based), waiting for it up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(to)
            if len(found) >= n:
                return found[n - 1]
            time.sleep(0.05)
        raise AssertionError(f"no message #{n} to {to} within {timeout} s: {self.count(to)} came")


def start_smtp() -> tuple[Controller, Inbox]:
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    return controller, inbox


def link(msg: EmailMessage, path: str) -> str:
    """The path (and token) of the first link to ``/{path}/…`` in the message's text."""
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(rf"https?://[^/\s]+(/{re.escape(path)}/[^\s]+)", body)
    assert found, f"no /{path}/ link in:\n{body}"
    return found.group(1)


def token_of(url_path: str) -> str:
    return url_path.rstrip("/").rsplit("/", 1)[-1]


def writable_store(demo_store_path: Path, demo_store: EmbeddedStore, target: Path) -> EmbeddedStore:
    """A private copy of the demo store (its sentence vectors too, so nothing is recomputed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    demo_store.backup(target)
    derived = demo_store_path / "derived"
    if derived.is_dir():
        shutil.copytree(derived, target / "derived", dirs_exist_ok=True)
    return EmbeddedStore(target)


def make_app(store: EmbeddedStore, folder: Path, smtp_port: int | None, **config):
    from cckg.webapp import create_app

    settings = {
        "TESTING": True,
        "CCKG_STORE_OBJECT": store,
        "SECRET_KEY": SECRET,
        "CCKG_MEDIATION_DB": str(folder / "mediation.sqlite"),
        "CCKG_OUTBOX": str(folder / "outbox"),
        "CCKG_PUBLIC_URL": "http://cckg.test/",
        "CCKG_ADMIN_TOKEN": ADMIN,
        "CCKG_LIMIT_SUBMIT": 0,
        "CCKG_LIMIT_LOGIN": 0,
    }
    if smtp_port:
        settings["CCKG_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    settings.update(config)
    return create_app(settings)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)
