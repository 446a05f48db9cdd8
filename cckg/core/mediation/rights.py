"""The rights of the people in the workflow: their status page, seeing and downloading their
own data, erasing it, and the purge of what nobody confirmed.

- A status link shows one request's progress (submitted → confirmed → published →
  introduction requested → accepted/declined → outcome) and nothing personal.
- A my-data link (only ever sent by e-mail, so it proves the address) shows everything kept
  under that address, as a page and as JSON, and erases it: unpublished submissions and
  unconfirmed requests are deleted; of a published one only the public record and the
  counts stay; names, addresses, institutions, texts and consents are removed; copies in
  the outbox folder are deleted; one audit entry without personal data remains. The
  published record itself is withdrawn too when the person asks.
- ``purge`` (``cckg purge``, also at ``cckg serve`` start) deletes submissions and requests
  not confirmed within ``CCKG_UNCONFIRMED_DAYS`` (7), and rejected or merged submissions
  after ``KEEP_REVIEWED_DAYS``.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from cckg.core.mediation import publish
from cckg.core.mediation.context import Context
from cckg.core.mediation.db import audit, row_dict
from cckg.core.mediation.model import MediationError
from cckg.core.mediation.submissions import GONE
from cckg.core.mediation.tokens import Token

KEEP_REVIEWED_DAYS = 30
PERSONAL_SUBMISSION = (
    "text",
    "name",
    "institution",
    "email",
    "consent_notice",
    "consent_version",
    "consent_at",
    "reason",
)
PERSONAL_INTRO = (
    "need_text",
    "name",
    "email",
    "institution",
    "consent_notice",
    "consent_version",
    "consent_at",
)


def _subject(con: sqlite3.Connection, t: Token) -> tuple[str, dict[str, Any]]:
    """The row a link names (a submission or an introduction), when the link is still its."""
    kind, _, key = t.subject.partition(":")
    table = {"s": "submissions", "i": "introductions"}.get(kind)
    row = None
    if table is not None:  # one of two fixed names
        query = f"SELECT * FROM {table} WHERE id = ?"  # noqa: S608
        row = row_dict(con.execute(query, (key,)).fetchone())
    if row is None or row["nonce"] != t.nonce:
        raise MediationError(GONE, 410)
    return kind, row


def _intro_step(con: sqlite3.Connection, intro: dict[str, Any]) -> dict[str, Any]:
    outcomes = {
        r["side"]: r["answer"]
        for r in con.execute("SELECT side, answer FROM outcomes WHERE intro_id = ?", (intro["id"],))
    }
    return {
        "id": intro["id"],
        "state": intro["state"],
        "counterpart": intro["counterpart"],
        "counterpart_label": intro["counterpart_label"],
        "created_at": intro["created_at"],
        "answered_at": intro["answered_at"],
        "outcome": outcomes.get("requester"),
    }


def status(ctx: Context, token: str) -> dict[str, Any]:
    """One request's progress for its status page: states and times, the text the person
    wrote, no name or address. ``subject`` says whose (``s:…`` or ``i:…``)."""
    t = ctx.tokens.read(token, "status")
    with ctx.db.read() as con:
        kind, row = _subject(con, t)
        if kind == "s":
            intros = con.execute(
                "SELECT * FROM introductions WHERE owner = ? ORDER BY created_at", (row["id"],)
            ).fetchall()
            steps = [_intro_step(con, dict(i)) for i in intros]
        else:
            steps = [_intro_step(con, row)]
    view = {
        "subject": t.subject,
        "id": row["id"],
        "from_mail": t.extra == "mail",
        "kind": row.get("kind", "introduction"),
        "state": row["state"],
        "created_at": row["created_at"],
        "confirmed_at": row.get("confirmed_at"),
        "reviewed_at": row.get("reviewed_at"),
        "published_iri": row.get("published_iri"),
        "merged_into": row.get("merged_into"),
        "reason": row.get("reason"),
        "text": row.get("public_text") or row.get("text") or row.get("need_text") or "",
        "city_label": row.get("city_label"),
        "themes": row.get("themes") or [],
        "introductions": steps,
    }
    return view


def _address(con: sqlite3.Connection, kind: str, row: dict[str, Any]) -> str | None:
    if kind == "i" and row["owner"]:
        own = con.execute("SELECT email FROM submissions WHERE id = ?", (row["owner"],)).fetchone()
        return own["email"] if own else None
    return row.get("email")


def my_data(ctx: Context, token: str) -> dict[str, Any]:
    """Everything kept under the address the link was sent to (JSON-ready)."""
    t = ctx.tokens.read(token, "my-data")
    with ctx.db.read() as con:
        kind, row = _subject(con, t)
        email = _address(con, kind, row)
        if not email:
            raise MediationError(GONE, 410)
        subs = [
            row_dict(r)
            for r in con.execute(
                "SELECT * FROM submissions WHERE email = ? ORDER BY created_at", (email,)
            )
        ]
        own_ids = [s["id"] for s in subs if s]
        marks = ",".join("?" * len(own_ids))
        intros = [
            dict(r)
            for r in con.execute(
                f"SELECT * FROM introductions WHERE email = ? OR owner IN ({marks})"  # noqa: S608
                " ORDER BY created_at",
                (email, *own_ids),
            )
        ]
        for intro in intros:
            intro["outcomes"] = {
                r["side"]: r["answer"]
                for r in con.execute(
                    "SELECT side, answer FROM outcomes WHERE intro_id = ?", (intro["id"],)
                )
            }
    hidden = ("nonce",)
    return {
        "email": email,
        "submissions": [{k: v for k, v in s.items() if k not in hidden} for s in subs if s],
        "introductions": [{k: v for k, v in i.items() if k not in hidden} for i in intros],
        "kept_where": "the workflow database of this server (never the public graphs)",
    }


def erase(ctx: Context, token: str, withdraw: bool = False) -> dict[str, int]:
    """Erase everything kept under the link's address (see the module docstring)."""
    data = my_data(ctx, token)
    email = data["email"]
    now = ctx.now()
    done = {"submissions": 0, "introductions": 0, "withdrawn": 0, "mails": 0}
    for sub in data["submissions"]:
        if sub["state"] in ("published", "erased") and withdraw and sub["published_iri"]:
            publish.withdraw(ctx.require_writer(), sub["published_iri"], sub["kind"], sub["id"])
            sub["state"] = "withdrawn"
            done["withdrawn"] += 1
    with ctx.db.transaction() as con:
        for sub in data["submissions"]:
            if sub["state"] == "published":  # the public record stays, without its person
                blanks = ", ".join(f"{k} = NULL" for k in PERSONAL_SUBMISSION)
                con.execute(
                    f"UPDATE submissions SET {blanks}, state = 'erased', nonce = ? WHERE id = ?",  # noqa: S608
                    (secrets.token_urlsafe(12), sub["id"]),
                )
            else:
                con.execute("DELETE FROM submissions WHERE id = ?", (sub["id"],))
            audit(con, now, "submitter", "erased", sub["id"])
            done["submissions"] += 1
        for intro in data["introductions"]:
            if intro["state"] == "unconfirmed":
                con.execute("DELETE FROM introductions WHERE id = ?", (intro["id"],))
            else:  # the counts keep its themes, region and answers; nothing personal
                blanks = ", ".join(f"{k} = NULL" for k in PERSONAL_INTRO)
                con.execute(
                    f"UPDATE introductions SET {blanks}, owner = NULL, nonce = ? WHERE id = ?",  # noqa: S608
                    (secrets.token_urlsafe(12), intro["id"]),
                )
            audit(con, now, "requester", "erased", intro["id"])
            done["introductions"] += 1
    assert ctx.mailer is not None
    done["mails"] = ctx.mailer.forget(email)
    return done


def purge(ctx: Context) -> dict[str, int]:
    """Delete what was never confirmed in time, and reviewed-but-refused submissions after
    ``KEEP_REVIEWED_DAYS``; counted."""
    now = ctx.now()
    unconfirmed, reviewed = ctx.ago(ctx.settings.unconfirmed_days), ctx.ago(KEEP_REVIEWED_DAYS)
    done = {"submissions": 0, "introductions": 0}
    with ctx.db.transaction() as con:
        for table, where, args in (
            ("submissions", "state = 'unconfirmed' AND created_at <= ?", (unconfirmed,)),
            ("submissions", "state IN ('rejected', 'merged') AND reviewed_at <= ?", (reviewed,)),
            ("introductions", "state = 'unconfirmed' AND created_at <= ?", (unconfirmed,)),
        ):
            ids = [r[0] for r in con.execute(f"SELECT id FROM {table} WHERE {where}", args)]  # noqa: S608
            for rid in ids:
                con.execute(f"DELETE FROM {table} WHERE id = ?", (rid,))  # noqa: S608
                audit(con, now, "system", "purged", rid)
            done[table] += len(ids)
    return done
