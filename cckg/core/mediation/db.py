"""The workflow database: the private side of mediation, in one SQLite file.

It holds what must never reach the public graphs: submissions with their submitters' names,
institutions and e-mail addresses and the consent they gave, introductions and which contact
answered, outcomes, moderators (argon2 hashes), and the audit trail (ids and actions, never
personal data). Why SQLite: the workflow is small, relational and transactional (a state
change and its audit entry commit together), it needs no server, several processes (the web
app, ``cckg followup``, ``cckg purge``) share it safely, and erasure can be made physical
(``secure_delete`` overwrites deleted rows instead of leaving them in free pages).

The file sits beside the embedded store's data (``{store}/mediation.sqlite``), so a backup of
the store folder carries it; with a remote store it is ``var/mediation.sqlite`` or
``CCKG_MEDIATION_DB``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                 -- need | offer
    state TEXT NOT NULL,
    lang TEXT NOT NULL,                 -- the submitter's language: their e-mails use it
    text TEXT,                          -- as submitted (private; erased)
    city TEXT, city_label TEXT, country TEXT, region TEXT,
    themes TEXT NOT NULL DEFAULT '[]',  -- JSON list of theme IRIs
    languages TEXT NOT NULL DEFAULT '[]',
    name TEXT, institution TEXT, email TEXT COLLATE NOCASE,
    consent_notice TEXT, consent_version TEXT, consent_at TEXT,
    title_en TEXT,                      -- what is published, as the moderator left it
    public_text TEXT,
    offered_by TEXT,                    -- offers: the institution IRI that offers
    nonce TEXT NOT NULL,                -- part of every link: a new one voids the old links
    created_at TEXT NOT NULL, confirmed_at TEXT, reviewed_at TEXT, reviewed_by TEXT,
    published_iri TEXT, reason TEXT, merged_into TEXT
);
CREATE INDEX IF NOT EXISTS submissions_state ON submissions (state);
CREATE INDEX IF NOT EXISTS submissions_email ON submissions (email);
CREATE INDEX IF NOT EXISTS submissions_published ON submissions (published_iri);

CREATE TABLE IF NOT EXISTS introductions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    lang TEXT NOT NULL,
    owner TEXT,                         -- the requester's own submission, when proved
    need_iri TEXT, need_text TEXT,
    counterpart TEXT NOT NULL, counterpart_label TEXT, counterpart_kind TEXT,
    name TEXT, email TEXT COLLATE NOCASE, institution TEXT,
    consent_notice TEXT, consent_version TEXT, consent_at TEXT,
    themes TEXT NOT NULL DEFAULT '[]', region TEXT,  -- for the anonymous outcome counts
    nonce TEXT NOT NULL,
    created_at TEXT NOT NULL, confirmed_at TEXT, requested_at TEXT, answered_at TEXT,
    followup_at TEXT
);
CREATE INDEX IF NOT EXISTS introductions_state ON introductions (state);
CREATE INDEX IF NOT EXISTS introductions_email ON introductions (email);
CREATE INDEX IF NOT EXISTS introductions_owner ON introductions (owner);

CREATE TABLE IF NOT EXISTS intro_contacts (
    intro_id TEXT NOT NULL REFERENCES introductions (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    ref TEXT NOT NULL,                  -- practitioner IRI or submission:{id}
    lang TEXT NOT NULL,
    answer TEXT, answered_at TEXT,      -- accept | decline
    PRIMARY KEY (intro_id, idx)
);

CREATE TABLE IF NOT EXISTS outcomes (
    intro_id TEXT NOT NULL,
    side TEXT NOT NULL,                 -- requester | counterpart
    answer TEXT NOT NULL,               -- helped | project | no
    at TEXT NOT NULL,
    PRIMARY KEY (intro_id, side)
);

CREATE TABLE IF NOT EXISTS moderators (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);

CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,                -- a role (system, submitter, …) or moderator:{id}
    action TEXT NOT NULL,
    subject TEXT NOT NULL,              -- a submission or introduction id
    detail TEXT NOT NULL DEFAULT ''     -- never personal data
);
"""


class WorkflowDB:
    """The workflow database at ``path``, created on first use. Every use opens its own
    connection (SQLite serialises writers across threads and processes)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    def _open(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA foreign_keys = ON")
        # Erased rows are overwritten, not left readable in free pages of the file.
        con.execute("PRAGMA secure_delete = ON")
        return con

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = self._open()
            try:
                con.executescript(SCHEMA)
            finally:
                con.close()
            self.path.chmod(0o600)  # personal data: the owner only
            self._ready = True

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (each statement sees committed data)."""
        self._ensure()
        con = self._open()
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back when it raises
        (so a step whose e-mail could not be sent leaves nothing behind)."""
        self._ensure()
        con = self._open()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()


def audit(
    con: sqlite3.Connection, at: str, actor: str, action: str, subject: str, detail: str = ""
) -> None:
    """One audit entry: who (a role or a moderator id), did what, to which id. Never a name,
    an address or a text."""
    con.execute(
        "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (at, actor, action, subject, detail),
    )


def insert(con: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
    """One row; ``table`` and the column names come from code, the values are bound."""
    columns = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    con.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)  # noqa: S608


def row_dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    """A row as a dict, its JSON list columns decoded."""
    if row is None:
        return None
    out = dict(row)
    for key in ("themes", "languages"):
        if key in out and isinstance(out[key], str):
            out[key] = json.loads(out[key])
    return out
