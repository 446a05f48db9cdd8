"""Introductions: a requester asks to meet the people behind a counterpart (a practitioner, an
institution, a solution, an offer, a submitted need); its contacts answer through signed
accept/decline links; only an acceptance sends both sides each other's contact, in ONE e-mail.

Who answers: a practitioner of the graph (e-mail from the private graph), the practitioners
who are members of an institution (or of a solution's institutions, or of an offer's
offering institutions), or the confirmed submitter of an offer or need published through the
platform. The request they get names the need and the requester's city, never the
requester's name or address. Declines and silence (``unanswered``, set by the follow-up) are
recorded too.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from rdflib import URIRef

from cckg.core.i18n import N_
from cckg.core.mediation import reads
from cckg.core.mediation.context import Context
from cckg.core.mediation.db import audit, insert, row_dict
from cckg.core.mediation.letters import Person
from cckg.core.mediation.model import Contact, IntroductionInput, MediationError
from cckg.core.mediation.submissions import GONE, USED, check_address_quota, new_id, own_links
from cckg.core.queries import helper

NO_CONTACT = N_("We know no contact for %(counterpart)s yet, so we cannot introduce you.")


def contacts(ctx: Context, cp: reads.Counterpart, lang: str) -> list[Contact]:
    """Who may answer for ``cp``: the submitter of a published submission, else the graph's."""
    with ctx.db.read() as con:
        row = con.execute(
            "SELECT id, name, email, lang FROM submissions WHERE published_iri = ?"
            " AND state = 'published'",
            (cp.iri,),
        ).fetchone()
    if row is not None:
        return [Contact(f"submission:{row['id']}", row["name"], row["email"], row["lang"])]
    return reads.graph_contacts(ctx.require_store(), cp, lang)


def contact_person(ctx: Context, ref: str, lang: str) -> Person | None:
    """A contact's name and address, read now (None when they are no longer known)."""
    if ref.startswith("submission:"):
        with ctx.db.read() as con:
            row = con.execute(
                "SELECT name, email, institution, lang FROM submissions WHERE id = ?",
                (ref.split(":", 1)[1],),
            ).fetchone()
        if row is None or not row["email"]:
            return None
        return Person(row["name"], row["email"], row["lang"], row["institution"] or "")
    store = ctx.require_store()
    rows = store.select(helper("mediation/get_practitioner_contact"), {"thing": URIRef(ref)})
    cp = reads.Counterpart(ref, "practitioner", reads.pick_label([r["name"] for r in rows], lang))
    found = reads.graph_contacts(store, cp, lang) if rows else []
    return Person(found[0].name, found[0].email, lang) if found else None


def _need(ctx: Context, inp: IntroductionInput, con: sqlite3.Connection) -> dict[str, Any]:
    """The need the request is about: the owner's published one, a published one named by
    IRI, or one described in words. Also the requester (owner) and where they are."""
    store = ctx.require_store()
    info: dict[str, Any] = {
        "iri": None,
        "text": inp.need_text,
        "themes": [],
        "region": None,
        "city_label": "",
    }
    if inp.owner:
        own = row_dict(
            con.execute("SELECT * FROM submissions WHERE id = ?", (inp.owner,)).fetchone()
        )
        if own is None or own["state"] != "published" or own["kind"] != "need":
            raise MediationError(N_("Your need is not published yet."), 409, "need")
        info.update(
            iri=own["published_iri"],
            owner=own,
            region=own["region"],
            city_label=own["city_label"] or "",
            themes=own["themes"],
        )
        info["text"] = own["public_text"] or ""
        return info
    if inp.need:
        need = reads.published_need(store, inp.need, inp.lang)
        if need is None:
            raise MediationError(N_("No such need."), 404, "need")
        city = reads.city_facts(store, need["city"].rsplit("/", 1)[-1]) if need["city"] else None
        text = need["label"] + ("\n\n" + need["description"] if need["description"] else "")
        info.update(
            iri=inp.need,
            text=text,
            themes=need["themes"],
            region=city.region if city else None,
            city_label=city.label if city else "",
        )
        return info
    info["themes"] = ctx.suggest(inp.need_text) if ctx.suggest else []
    return info


def request(ctx: Context, inp: IntroductionInput) -> dict[str, str]:
    """Record a request. A proved owner's goes to the contacts at once; anyone else first
    confirms their address (double opt-in). ``{id, state, status_url}``."""
    store = ctx.require_store()
    cp = reads.counterpart(store, inp.counterpart, inp.lang)
    found = contacts(ctx, cp, inp.lang)
    if not found:
        raise MediationError(NO_CONTACT, 422, "counterpart", counterpart=cp.label)
    iid, nonce, now = new_id(), secrets.token_urlsafe(12), ctx.now()
    with ctx.db.transaction() as con:
        need = _need(ctx, inp, con)
        own = need.get("owner")
        requester = (
            person_of(own) if own else Person(inp.name, inp.email, inp.lang, inp.institution)
        )
        if any(c.email.lower() == requester.email.lower() for c in found):
            raise MediationError(
                N_("You cannot ask to be introduced to yourself."), 400, "counterpart"
            )
        if not own:
            check_address_quota(ctx, con, requester.email)
        state = "requested" if own else "unconfirmed"
        insert(con, "introductions", {
            "id": iid, "state": state, "lang": requester.lang, "owner": own["id"] if own else None,
            "need_iri": need["iri"], "need_text": need["text"], "counterpart": cp.iri,
            "counterpart_label": cp.label, "counterpart_kind": cp.kind,
            "name": None if own else inp.name, "email": None if own else inp.email,
            "institution": None if own else inp.institution, "consent_notice": inp.consent.notice,
            "consent_version": inp.consent.version, "consent_at": now,
            "themes": json.dumps(need["themes"]), "region": need["region"], "nonce": nonce,
            "created_at": now, "confirmed_at": now if own else None,
            "requested_at": now if own else None,
        })  # fmt: skip
        for idx, c in enumerate(found):
            con.execute(
                "INSERT INTO intro_contacts (intro_id, idx, ref, lang) VALUES (?, ?, ?, ?)",
                (iid, idx, c.ref, c.lang),
            )
        audit(con, now, "requester", "requested" if own else "asked", iid, cp.kind)
        if own:
            _send_requests(ctx, con, iid)
        else:
            status_url, data_url = own_links(ctx, f"i:{iid}", nonce)
            ctx.send(
                ctx.letters.confirm(
                    requester,
                    "introduction",
                    ctx.link("confirm", f"i:{iid}", nonce),
                    status_url,
                    data_url,
                    int(ctx.settings.unconfirmed_days),
                    counterpart=cp.label,
                )
            )
    subject = own["id"] if own else iid
    return {
        "id": iid,
        "state": state,
        "status_url": ctx.link(
            "status", f"{'s' if own else 'i'}:{subject}", own["nonce"] if own else nonce
        ),
    }


def person_of(row: dict[str, Any]) -> Person:
    return Person(row["name"] or "", row["email"] or "", row["lang"], row.get("institution") or "")


def load(con: sqlite3.Connection, iid: str) -> dict[str, Any] | None:
    return row_dict(con.execute("SELECT * FROM introductions WHERE id = ?", (iid,)).fetchone())


def requester_of(con: sqlite3.Connection, intro: dict[str, Any]) -> Person | None:
    """The requester's name and address: the intro's own, or its owner submission's."""
    if intro["owner"]:
        row = con.execute("SELECT * FROM submissions WHERE id = ?", (intro["owner"],)).fetchone()
        if row is None or not row["email"]:
            return None
        return person_of(dict(row))
    if not intro["email"]:
        return None
    return Person(intro["name"], intro["email"], intro["lang"], intro["institution"] or "")


def _send_requests(ctx: Context, con: sqlite3.Connection, iid: str) -> None:
    """The request, with its own accept/decline link, to every contact of the intro."""
    intro = load(con, iid)
    assert intro is not None
    place = ""
    if intro["owner"]:
        row = con.execute(
            "SELECT city_label FROM submissions WHERE id = ?", (intro["owner"],)
        ).fetchone()
        place = row["city_label"] or "" if row else ""
    sent = 0
    for c in con.execute(
        "SELECT * FROM intro_contacts WHERE intro_id = ? ORDER BY idx", (iid,)
    ).fetchall():
        who = contact_person(ctx, c["ref"], c["lang"])
        if who is None:
            continue
        url = ctx.link("answer", f"i:{iid}", intro["nonce"], str(c["idx"]))
        ctx.send(
            ctx.letters.request(
                who, intro["counterpart_label"], intro["need_text"] or "", place, url
            )
        )
        sent += 1
    if not sent:
        raise MediationError(NO_CONTACT, 422, "counterpart", counterpart=intro["counterpart_label"])


def confirm(ctx: Context, iid: str, nonce: str) -> dict[str, Any]:
    """The requester confirmed their address: the request goes to the contacts."""
    now = ctx.now()
    with ctx.db.transaction() as con:
        intro = load(con, iid)
        if intro is None or intro["nonce"] != nonce:
            raise MediationError(GONE, 410)
        if intro["state"] != "unconfirmed":
            raise MediationError(USED, 409)
        con.execute(
            "UPDATE introductions SET state = 'requested', confirmed_at = ?, requested_at = ?"
            " WHERE id = ?",
            (now, now, iid),
        )
        audit(con, now, "requester", "requested", iid)
        _send_requests(ctx, con, iid)
    intro.update(state="requested", confirmed_at=now, requested_at=now)
    return intro


# ---------------------------------------------------------------- the contact's answer


def _answering(con: sqlite3.Connection, ctx: Context, token: str) -> tuple[dict, sqlite3.Row]:
    t = ctx.tokens.read(token, "answer")
    intro = load(con, t.subject[2:]) if t.subject.startswith("i:") else None
    if intro is None or intro["nonce"] != t.nonce:
        raise MediationError(GONE, 410)
    contact = con.execute(
        "SELECT * FROM intro_contacts WHERE intro_id = ? AND idx = ?", (intro["id"], t.extra)
    ).fetchone()
    if contact is None:
        raise MediationError(
            N_("This link is not valid. Please use the link from your e-mail."), 400
        )
    return intro, contact


def answer_view(ctx: Context, token: str) -> dict[str, Any]:
    """What the contact sees before answering: the need, the counterpart, the state (no name
    or address of the requester)."""
    with ctx.db.read() as con:
        intro, contact = _answering(con, ctx, token)
    return {
        "id": intro["id"],
        "state": intro["state"],
        "answered": contact["answer"],
        "counterpart": intro["counterpart_label"],
        "need": intro["need_text"] or "",
        "lang": contact["lang"],
    }


def answer(ctx: Context, token: str, accept: bool) -> str:
    """Record the contact's answer; on acceptance send the one introduction e-mail to both.
    Returns the introduction's new state."""
    now = ctx.now()
    with ctx.db.transaction() as con:
        intro, contact = _answering(con, ctx, token)
        if intro["state"] != "requested" or contact["answer"] is not None:
            raise MediationError(N_("This request was already answered."), 409)
        con.execute(
            "UPDATE intro_contacts SET answer = ?, answered_at = ? WHERE intro_id = ? AND idx = ?",
            ("accept" if accept else "decline", now, intro["id"], contact["idx"]),
        )
        if accept:
            state = _introduce(ctx, con, intro, contact, now)
        else:
            open_ = con.execute(
                "SELECT COUNT(*) FROM intro_contacts WHERE intro_id = ? AND answer IS NULL",
                (intro["id"],),
            ).fetchone()[0]
            state = "requested" if open_ else "declined"
            audit(con, now, "contact", "declined", intro["id"], str(contact["idx"]))
            if state == "declined":
                con.execute(
                    "UPDATE introductions SET state = 'declined', answered_at = ? WHERE id = ?",
                    (now, intro["id"]),
                )
                _tell_declined(ctx, con, intro)
    return state


def _introduce(
    ctx: Context, con: sqlite3.Connection, intro: dict, contact: sqlite3.Row, now: str
) -> str:
    requester = requester_of(con, intro)
    who = contact_person(ctx, contact["ref"], contact["lang"])
    if requester is None or who is None:
        raise MediationError(GONE, 410)
    con.execute(
        "UPDATE introductions SET state = 'accepted', answered_at = ? WHERE id = ?",
        (now, intro["id"]),
    )
    audit(con, now, "contact", "accepted", intro["id"], str(contact["idx"]))
    days = int(ctx.settings.followup_days)
    ctx.send(ctx.letters.introduction(requester, who, intro["need_text"] or "", days))
    return "accepted"


def _tell_declined(ctx: Context, con: sqlite3.Connection, intro: dict) -> None:
    requester = requester_of(con, intro)
    if requester is None:
        return
    subject, nonce = (f"i:{intro['id']}", intro["nonce"])
    if intro["owner"]:
        row = con.execute(
            "SELECT nonce FROM submissions WHERE id = ?", (intro["owner"],)
        ).fetchone()
        subject, nonce = f"s:{intro['owner']}", row["nonce"]
    status_url, data_url = own_links(ctx, subject, nonce)
    match = ctx.url("match?need=" + intro["need_iri"]) if intro["need_iri"] else ctx.url("match")
    ctx.send(
        ctx.letters.declined(requester, intro["counterpart_label"], match, status_url, data_url)
    )
