"""Needs and offers from submission to publication: submit (double opt-in), confirm, and the
moderators' review (edit, approve, reject with a reason, merge a duplicate).

Nothing public happens before a moderator approves: the submission waits in the workflow
database; approval writes the reviewed description (no personal data) through the one Writer.
Every step commits its state change and its audit entry together; a step whose e-mail to the
person cannot be sent is rolled back, so the person is never told less than was recorded.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
from typing import Any

from cckg.core import iris
from cckg.core.i18n import N_
from cckg.core.mediation import checks, publish, reads
from cckg.core.mediation.context import Context
from cckg.core.mediation.db import audit, insert, row_dict
from cckg.core.mediation.letters import Person
from cckg.core.mediation.model import MediationError, SubmissionInput

log = logging.getLogger("cckg.mediation")
GONE = N_("This request no longer exists: it was erased, or never confirmed in time.")
USED = N_("This link was already used.")


def new_id() -> str:
    return secrets.token_hex(6)


def person(row: dict[str, Any]) -> Person:
    return Person(row["name"] or "", row["email"] or "", row["lang"], row.get("institution") or "")


def own_links(ctx: Context, subject: str, nonce: str) -> tuple[str, str]:
    """The status and my-data links of a person's own request, as e-mails carry them (the
    status link marked as coming from an e-mail: it proves the address)."""
    return ctx.link("status", subject, nonce, "mail"), ctx.link("my-data", subject, nonce)


def check_address_quota(ctx: Context, con: sqlite3.Connection, email: str) -> None:
    """At most ``ctx.max_per_address`` submissions and requests per address a day (429)."""
    since = ctx.ago(1)
    n = con.execute(
        "SELECT (SELECT COUNT(*) FROM submissions WHERE email = ? AND created_at > ?)"
        " + (SELECT COUNT(*) FROM introductions WHERE email = ? AND created_at > ?)",
        (email, since, email, since),
    ).fetchone()[0]
    if n >= ctx.max_per_address:
        raise MediationError(
            N_("Too many requests from this e-mail address today. Please try again tomorrow."),
            429,
            "email",
        )


def submit(ctx: Context, inp: SubmissionInput) -> dict[str, str]:
    """Store a need or offer (not public) and send the confirmation link; ``{id, status_url}``."""
    store = ctx.require_store()
    city = reads.resolve_city(store, inp.city)
    if inp.themes:
        themes = reads.check_themes(store, inp.themes)
    else:  # the matcher's understanding of the text; a moderator checks it
        themes = ctx.suggest(inp.text) if ctx.suggest else []
    sid, nonce, now = new_id(), secrets.token_urlsafe(12), ctx.now()
    with ctx.db.transaction() as con:
        check_address_quota(ctx, con, inp.email)
        insert(con, "submissions", {
            "id": sid, "kind": inp.kind, "state": "unconfirmed", "lang": inp.lang,
            "text": inp.text, "city": city.iri, "city_label": city.label, "country": city.country,
            "region": city.region, "themes": json.dumps(themes),
            "languages": json.dumps(inp.languages), "name": inp.name,
            "institution": inp.institution, "email": inp.email,
            "consent_notice": inp.consent.notice, "consent_version": inp.consent.version,
            "consent_at": now, "nonce": nonce, "created_at": now,
        })  # fmt: skip
        audit(con, now, "submitter", "submitted", sid, inp.kind)
        status_url, data_url = own_links(ctx, f"s:{sid}", nonce)
        ctx.send(
            ctx.letters.confirm(
                Person(inp.name, inp.email, inp.lang),
                inp.kind,
                ctx.link("confirm", f"s:{sid}", nonce),
                status_url,
                data_url,
                int(ctx.settings.unconfirmed_days),
            )
        )
    return {"id": sid, "status_url": ctx.link("status", f"s:{sid}", nonce)}


def load(con: sqlite3.Connection, sid: str) -> dict[str, Any] | None:
    return row_dict(con.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone())


def confirm(ctx: Context, sid: str, nonce: str) -> dict[str, Any]:
    """The confirmation link was followed: the submission joins the review queue."""
    now = ctx.now()
    with ctx.db.transaction() as con:
        sub = load(con, sid)
        if sub is None or sub["nonce"] != nonce:
            raise MediationError(GONE, 410)
        if sub["state"] != "unconfirmed":
            raise MediationError(USED, 409)
        con.execute(
            "UPDATE submissions SET state = 'confirmed', confirmed_at = ? WHERE id = ?", (now, sid)
        )
        audit(con, now, "submitter", "confirmed", sid)
    sub.update(state="confirmed", confirmed_at=now)
    return sub


# ---------------------------------------------------------------- review


def queue(ctx: Context) -> list[dict[str, Any]]:
    """Confirmed submissions waiting for review, oldest first."""
    with ctx.db.read() as con:
        rows = con.execute(
            "SELECT * FROM submissions WHERE state = 'confirmed' ORDER BY confirmed_at, id"
        ).fetchall()
    return [row_dict(r) for r in rows]  # type: ignore[misc]


def get(ctx: Context, sid: str) -> dict[str, Any]:
    with ctx.db.read() as con:
        sub = load(con, sid)
    if sub is None:
        raise MediationError(N_("No such submission."), 404)
    return sub


def _reviewable(con: sqlite3.Connection, sid: str) -> dict[str, Any]:
    sub = load(con, sid)
    if sub is None:
        raise MediationError(N_("No such submission."), 404)
    if sub["state"] != "confirmed":
        raise MediationError(N_("This submission is not waiting for review."), 409)
    return sub


def _edits(ctx: Context, sub: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    """The moderator's changes, checked: title, text, themes, city, languages, offerer."""
    store = ctx.require_store()
    out: dict[str, Any] = {}
    if edits.get("title_en") is not None:
        out["title_en"] = checks.single_line(edits["title_en"], "title_en", 300, required=False)
    if edits.get("public_text") is not None:
        out["public_text"] = checks.text(edits["public_text"], "public_text")
    if edits.get("themes") is not None:
        out["themes"] = reads.check_themes(store, checks.string_list(edits["themes"], "themes", 10))
    if edits.get("languages") is not None:
        out["languages"] = checks.languages(edits["languages"])
    if edits.get("city") and str(edits["city"]).strip() not in (sub.get("city_label"), sub["city"]):
        city = reads.resolve_city(store, str(edits["city"]))
        out.update(city=city.iri, city_label=city.label, country=city.country, region=city.region)
    if edits.get("offered_by"):
        iri = str(edits["offered_by"]).strip()
        if dict(reads.institutions(store)).get(iri) is None:
            raise MediationError(N_("Choose the institution that offers it."), 400, "offered_by")
        out["offered_by"] = iri
    return out


def _save(con: sqlite3.Connection, sid: str, values: dict[str, Any]) -> None:
    if not values:
        return
    encoded = {k: json.dumps(v) if isinstance(v, list) else v for k, v in values.items()}
    assignments = ", ".join(f"{k} = ?" for k in encoded)  # keys: _edits' own names only
    con.execute(f"UPDATE submissions SET {assignments} WHERE id = ?", (*encoded.values(), sid))  # noqa: S608


def edit(ctx: Context, sid: str, moderator: str, edits: dict[str, Any]) -> dict[str, Any]:
    """Save a moderator's changes to a waiting submission (nothing is published)."""
    now = ctx.now()
    with ctx.db.transaction() as con:
        sub = _reviewable(con, sid)
        values = _edits(ctx, sub, edits)
        _save(con, sid, values)
        audit(con, now, moderator, "edited", sid, ",".join(sorted(values)))
    sub.update(values)
    return sub


def approve(ctx: Context, sid: str, moderator: str, edits: dict[str, Any] | None = None) -> str:
    """Publish the submission (with the moderator's changes) through the Writer; its IRI."""
    now = ctx.now()
    with ctx.db.transaction() as con:
        sub = _reviewable(con, sid)
        values = _edits(ctx, sub, edits or {})
        sub.update(values)
        if not sub["themes"]:
            raise MediationError(N_("Choose at least one theme before approving."), 400, "themes")
        if sub["kind"] == "offer" and not sub.get("offered_by"):
            raise MediationError(N_("Choose the institution that offers it."), 400, "offered_by")
        if not sub.get("public_text"):
            sub["public_text"] = checks.scrub(sub["text"], sub["name"] or "")
        values["public_text"] = sub["public_text"]
        iri = publish.publish(ctx.require_writer(), sub, moderator, now)
        _save(
            con,
            sid,
            {
                **values,
                "state": "published",
                "published_iri": iri,
                "reviewed_at": now,
                "reviewed_by": moderator,
            },
        )
        audit(con, now, moderator, "approved", sid, iri)
    status_url, data_url = own_links(ctx, f"s:{sid}", sub["nonce"])
    match_url = ctx.url("match?need=" + iri) if sub["kind"] == "need" else None
    _tell(
        ctx, ctx.letters.published(person(sub), ctx.thing_url(iri), match_url, status_url, data_url)
    )
    return iri


def reject(ctx: Context, sid: str, moderator: str, reason: str) -> None:
    """Refuse the submission; the reason goes to the submitter."""
    reason = checks.reason(reason)
    now = ctx.now()
    with ctx.db.transaction() as con:
        sub = _reviewable(con, sid)
        _save(
            con,
            sid,
            {"state": "rejected", "reason": reason, "reviewed_at": now, "reviewed_by": moderator},
        )
        audit(con, now, moderator, "rejected", sid)
    status_url, data_url = own_links(ctx, f"s:{sid}", sub["nonce"])
    _tell(ctx, ctx.letters.rejected(person(sub), reason, status_url, data_url))


def merge(ctx: Context, sid: str, moderator: str, into: str) -> None:
    """Mark the submission as a duplicate of a published need or offer (``into``, its IRI)."""
    store = ctx.require_store()
    now = ctx.now()
    with ctx.db.transaction() as con:
        sub = _reviewable(con, sid)
        parts = iris.split(into.strip(), store.base_iri)
        if parts is None or parts[0] != sub["kind"]:
            raise MediationError(N_("Name the published record it duplicates."), 400, "into")
        reads.counterpart(store, into.strip())  # exists in the graph (404 otherwise)
        _save(
            con,
            sid,
            {
                "state": "merged",
                "merged_into": into.strip(),
                "reviewed_at": now,
                "reviewed_by": moderator,
            },
        )
        audit(con, now, moderator, "merged", sid, into.strip())
    status_url, data_url = own_links(ctx, f"s:{sid}", sub["nonce"])
    _tell(ctx, ctx.letters.merged(person(sub), ctx.thing_url(into.strip()), status_url, data_url))


def _tell(ctx: Context, msg: Any) -> None:
    """A moderator's decision stands even when the e-mail about it cannot go out now."""
    try:
        ctx.send(msg)
    except MediationError:
        log.warning("the e-mail about a review decision could not be sent")
