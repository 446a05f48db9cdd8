"""Moderator accounts: argon2id password hashes (argon2-cffi), and login throttling.

``cckg users add NAME --role moderator`` creates one. A login that fails ``MAX_FAILURES`` times
in a row locks the account for ``LOCK_MINUTES`` (whatever the password then), so guessing is
slow even from many addresses; the web app adds a per-address limit on top. Published records
name a moderator by id only (``moderator:3``), never by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cckg.core.mediation.context import Context, iso
from cckg.core.mediation.db import WorkflowDB, audit

ROLES = ("moderator",)
MIN_PASSWORD = 12
MAX_FAILURES = 5
LOCK_MINUTES = 15
_hasher = PasswordHasher()
# Verified against when the name is unknown, so both cases take the same time.
_DUMMY = _hasher.hash("not a real password, only for timing")


@dataclass(frozen=True)
class Moderator:
    id: int
    username: str
    role: str

    @property
    def actor(self) -> str:
        """How records and the audit name this moderator: by id, never by name."""
        return f"moderator:{self.id}"


class AccountError(ValueError):
    """A bad user name, role or password for a new account."""


def add(db: WorkflowDB, username: str, password: str, role: str = "moderator") -> Moderator:
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise AccountError("the user name must be one word of at most 100 characters")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    now = iso(datetime.now(UTC))
    with db.transaction() as con:
        if con.execute("SELECT 1 FROM moderators WHERE username = ?", (username,)).fetchone():
            raise AccountError(f"a user called {username!r} exists already")
        cur = con.execute(
            "INSERT INTO moderators (username, password_hash, role, created_at)"
            " VALUES (?, ?, ?, ?)",
            (username, _hasher.hash(password), role, now),
        )
        mid = int(cur.lastrowid or 0)
        audit(con, now, "admin-cli", "user-added", f"moderator:{mid}", role)
    return Moderator(mid, username, role)


def get(db: WorkflowDB, mid: int) -> Moderator | None:
    with db.read() as con:
        row = con.execute(
            "SELECT id, username, role FROM moderators WHERE id = ?", (mid,)
        ).fetchone()
    return Moderator(row["id"], row["username"], row["role"]) if row else None


def authenticate(ctx: Context, username: str, password: str) -> Moderator | None:
    """The moderator when the password is right and the account not locked, else None."""
    now = ctx.clock()
    with ctx.db.transaction() as con:
        row = con.execute("SELECT * FROM moderators WHERE username = ?", (username,)).fetchone()
        if row is None:
            try:
                _hasher.verify(_DUMMY, password)
            except VerificationError:
                pass
            return None
        if row["locked_until"] and row["locked_until"] > iso(now):
            audit(con, iso(now), f"moderator:{row['id']}", "login-locked", f"moderator:{row['id']}")
            return None
        try:
            _hasher.verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            failures = row["failures"] + 1
            locked = (
                iso(now + timedelta(minutes=LOCK_MINUTES)) if failures >= MAX_FAILURES else None
            )
            con.execute(
                "UPDATE moderators SET failures = ?, locked_until = ? WHERE id = ?",
                (0 if locked else failures, locked, row["id"]),
            )
            audit(con, iso(now), "anonymous", "login-failed", f"moderator:{row['id']}")
            return None
        con.execute(
            "UPDATE moderators SET failures = 0, locked_until = NULL WHERE id = ?", (row["id"],)
        )
        if _hasher.check_needs_rehash(row["password_hash"]):
            con.execute(
                "UPDATE moderators SET password_hash = ? WHERE id = ?",
                (_hasher.hash(password), row["id"]),
            )
        audit(con, iso(now), f"moderator:{row['id']}", "login", f"moderator:{row['id']}")
    return Moderator(row["id"], row["username"], row["role"])
