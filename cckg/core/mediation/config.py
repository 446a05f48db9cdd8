"""The mediation settings: where the workflow database lives, how e-mail leaves, what signs the
links, and how long things are kept. Read from the environment when asked for, never at import.

- ``CCKG_MEDIATION_DB``: the workflow database (personal data); default beside the embedded
  store's data, ``{store}/mediation.sqlite``, or ``var/mediation.sqlite`` with a remote store;
- ``CCKG_SMTP_URL``: ``smtp://host:port`` (``smtps://``, ``smtp+starttls://``, ``user:password@``);
  none: messages are written to ``CCKG_OUTBOX`` (default ``var/outbox``) as ``.eml`` files;
- ``CCKG_MAIL_FROM``: the sender (default ``cckg <noreply@localhost>``);
- ``CCKG_SECRET_KEY``: signs the links and the session cookies; generated into
  ``var/secret_key`` on first use when unset;
- ``CCKG_PUBLIC_URL``: the base of the links in e-mails (default ``http://127.0.0.1:5000/``);
- ``CCKG_FOLLOWUP_DAYS`` (30): days after an accepted introduction before both sides are asked
  how it went; ``CCKG_UNCONFIRMED_DAYS`` (7): days an unconfirmed submission is kept.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cckg.core.settings import Settings

DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000/"
DEFAULT_FROM = "cckg <noreply@localhost>"


def var_dir() -> Path:
    """``var/`` under the current directory (as the default store), never inside the package."""
    return Path.cwd() / "var"


def default_db_path(settings: Settings) -> Path:
    """Beside the embedded store's data (its own folder), else ``var/mediation.sqlite``."""
    if settings.endpoint:
        return var_dir() / "mediation.sqlite"
    return settings.store_path / "mediation.sqlite"


def secret_key(env: dict[str, str] | None = None, key_file: Path | None = None) -> str:
    """``CCKG_SECRET_KEY``, else the key kept in ``var/secret_key``, made on first use (readable
    by its owner only): links and sessions stay valid across restarts without any setting."""
    env = dict(os.environ if env is None else env)
    if env.get("CCKG_SECRET_KEY"):
        return env["CCKG_SECRET_KEY"]
    path = key_file or var_dir() / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not each write their own key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key


@dataclass(frozen=True)
class MediationSettings:
    db_path: Path | str  # a path, or ":memory:" (tests)
    smtp_url: str | None = None
    outbox: Path = Path("var/outbox")
    mail_from: str = DEFAULT_FROM
    public_url: str = DEFAULT_PUBLIC_URL
    followup_days: float = 30.0
    unconfirmed_days: float = 7.0

    @classmethod
    def from_env(
        cls, env: dict[str, str] | None = None, settings: Settings | None = None
    ) -> MediationSettings:
        env = dict(os.environ if env is None else env)
        settings = settings or Settings.from_env(env)
        return cls.from_mapping(env, default_db_path(settings))

    @classmethod
    def from_mapping(cls, values: dict, default_db: Path | str) -> MediationSettings:
        """From a mapping of ``CCKG_*`` names (the environment or a Flask config)."""
        public = str(values.get("CCKG_PUBLIC_URL") or DEFAULT_PUBLIC_URL)
        return cls(
            db_path=values.get("CCKG_MEDIATION_DB") or default_db,
            smtp_url=values.get("CCKG_SMTP_URL") or None,
            outbox=Path(values.get("CCKG_OUTBOX") or var_dir() / "outbox"),
            mail_from=str(values.get("CCKG_MAIL_FROM") or DEFAULT_FROM),
            public_url=public if public.endswith("/") else public + "/",
            followup_days=_number(values, "CCKG_FOLLOWUP_DAYS", 30.0),
            unconfirmed_days=_number(values, "CCKG_UNCONFIRMED_DAYS", 7.0),
        )


def _number(values: dict, key: str, default: float) -> float:
    value = values.get(key)
    return default if value in (None, "") else float(value)
