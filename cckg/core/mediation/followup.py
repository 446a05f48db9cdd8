"""After an introduction: asking both sides how it went, recording the answers, and turning
them into data: anonymous counts per theme and world region (public), and labelled
(need, counterpart) pairs for evaluating the matcher.

``run_followup`` (``cckg followup``, also run by ``cckg serve`` at start and daily) asks both
sides of every introduction accepted at least ``CCKG_FOLLOWUP_DAYS`` ago, once, and records
silence: a request nobody answered in that time becomes ``unanswered``.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

from cckg.core.i18n import N_
from cckg.core.mediation.context import Context
from cckg.core.mediation.db import audit
from cckg.core.mediation.introductions import contact_person, load, requester_of
from cckg.core.mediation.model import ANSWERS, SIDES, MediationError
from cckg.core.mediation.submissions import GONE

# Grades for the evaluation export, as in eval/needs*.yaml: 2 = exactly, 1 = useful, 0 = not.
GRADES = {"project": 2, "helped": 1, "no": 0}
INTRO_COUNTED = ("requested", "accepted", "declined", "unanswered")


def run_followup(ctx: Context) -> dict[str, int]:
    """Send the due follow-up questions and record silence; what was done, counted."""
    now, due = ctx.now(), ctx.ago(ctx.settings.followup_days)
    done = {"asked": 0, "unanswered": 0}
    with ctx.db.read() as con:
        ids = [
            r["id"]
            for r in con.execute(
                "SELECT id FROM introductions WHERE state = 'accepted' AND followup_at IS NULL"
                " AND answered_at <= ?",
                (due,),
            ).fetchall()
        ]
    for iid in ids:
        with ctx.db.transaction() as con:
            intro = load(con, iid)
            if intro is None or intro["followup_at"] is not None:
                continue  # another process asked meanwhile
            _ask(ctx, con, intro)
            con.execute("UPDATE introductions SET followup_at = ? WHERE id = ?", (now, iid))
            audit(con, now, "system", "followup-sent", iid)
            done["asked"] += 1
    with ctx.db.transaction() as con:
        silent = [
            r["id"]
            for r in con.execute(
                "SELECT id FROM introductions WHERE state = 'requested' AND requested_at <= ?",
                (due,),
            ).fetchall()
        ]
        for iid in silent:
            con.execute(
                "UPDATE introductions SET state = 'unanswered', answered_at = ? WHERE id = ?",
                (now, iid),
            )
            audit(con, now, "system", "unanswered", iid)
        done["unanswered"] = len(silent)
    return done


def _ask(ctx: Context, con: sqlite3.Connection, intro: dict[str, Any]) -> None:
    requester = requester_of(con, intro)
    row = con.execute(
        "SELECT * FROM intro_contacts WHERE intro_id = ? AND answer = 'accept'", (intro["id"],)
    ).fetchone()
    contact = contact_person(ctx, row["ref"], row["lang"]) if row is not None else None
    subject = f"i:{intro['id']}"
    if requester is not None:
        url = ctx.link("outcome", subject, intro["nonce"], "requester")
        ctx.send(ctx.letters.followup(requester, intro["counterpart_label"], url))
    if contact is not None:
        url = ctx.link("outcome", subject, intro["nonce"], "counterpart")
        other = requester.name if requester is not None else ""
        ctx.send(ctx.letters.followup(contact, other or intro["counterpart_label"], url))


def _outcome_intro(con: sqlite3.Connection, ctx: Context, token: str) -> tuple[dict, str]:
    t = ctx.tokens.read(token, "outcome")
    intro = load(con, t.subject[2:]) if t.subject.startswith("i:") else None
    if intro is None or intro["nonce"] != t.nonce or t.extra not in SIDES:
        raise MediationError(GONE, 410)
    return intro, t.extra


def outcome_view(ctx: Context, token: str) -> dict[str, Any]:
    """What the outcome page shows: the counterpart, and the answer given, if any."""
    with ctx.db.read() as con:
        intro, side = _outcome_intro(con, ctx, token)
        given = con.execute(
            "SELECT answer FROM outcomes WHERE intro_id = ? AND side = ?", (intro["id"], side)
        ).fetchone()
    return {
        "counterpart": intro["counterpart_label"],
        "side": side,
        "answer": given["answer"] if given else None,
    }


def record_outcome(ctx: Context, token: str, answer: str) -> None:
    """One side's answer (helped / project / no), once."""
    if answer not in ANSWERS:
        raise MediationError(N_("Please choose one of the answers."), 400, "answer")
    now = ctx.now()
    with ctx.db.transaction() as con:
        intro, side = _outcome_intro(con, ctx, token)
        if intro["state"] != "accepted":
            raise MediationError(GONE, 410)
        try:
            con.execute(
                "INSERT INTO outcomes (intro_id, side, answer, at) VALUES (?, ?, ?, ?)",
                (intro["id"], side, answer, now),
            )
        except sqlite3.IntegrityError as e:
            raise MediationError(N_("You have already answered. Thank you!"), 409) from e
        audit(con, now, side, "outcome", intro["id"], answer)


def counts(ctx: Context) -> dict[str, Any]:
    """Anonymous counts: introductions by state, outcomes by answer, per theme and region."""
    if not ctx.db.path.exists():  # nothing yet: a page view does not create the database
        return {"introductions": dict.fromkeys(INTRO_COUNTED, 0),
                "outcomes": dict.fromkeys(ANSWERS, 0), "by_theme": [], "by_region": []}  # fmt: skip
    with ctx.db.read() as con:
        states = Counter(
            {
                r[0]: r[1]
                for r in con.execute("SELECT state, COUNT(*) FROM introductions GROUP BY state")
            }
        )
        rows = con.execute(
            "SELECT i.themes, i.region, o.answer FROM outcomes o"
            " JOIN introductions i ON i.id = o.intro_id"
        ).fetchall()
    answers: Counter[str] = Counter()
    by_theme: dict[str, Counter[str]] = {}
    by_region: dict[str, Counter[str]] = {}
    for themes, region, answer in rows:
        answers[answer] += 1
        for theme in json.loads(themes or "[]"):
            by_theme.setdefault(theme, Counter())[answer] += 1
        by_region.setdefault(region or "", Counter())[answer] += 1

    def table(groups: dict[str, Counter[str]], key: str) -> list[dict[str, Any]]:
        out = [
            {key: k or None, **{a: c[a] for a in ANSWERS}, "total": sum(c.values())}
            for k, c in groups.items()
        ]
        return sorted(out, key=lambda r: (-r["total"], r[key] or ""))

    return {
        "introductions": {s: states.get(s, 0) for s in INTRO_COUNTED},
        "outcomes": {a: answers[a] for a in ANSWERS},
        "by_theme": table(by_theme, "theme"),
        "by_region": table(by_region, "region"),
    }


def labelled_pairs(ctx: Context) -> list[dict[str, Any]]:
    """(need, counterpart, answer) for every answered or declined introduction about a
    published need: public IRIs and answers only, for the matcher's evaluation."""
    with ctx.db.read() as con:
        rows = con.execute(
            "SELECT i.id, i.need_iri, i.counterpart, i.counterpart_kind, i.state, i.themes,"
            " o.side, o.answer FROM introductions i LEFT JOIN outcomes o ON o.intro_id = i.id"
            " WHERE i.need_iri IS NOT NULL AND i.state IN ('accepted', 'declined', 'unanswered')"
            " ORDER BY i.created_at, i.id, o.side"
        ).fetchall()
    pairs: dict[str, dict[str, Any]] = {}
    for r in rows:
        pair = pairs.setdefault(
            r["id"],
            {
                "need": r["need_iri"],
                "counterpart": r["counterpart"],
                "kind": r["counterpart_kind"],
                "introduction": r["state"],
                "themes": json.loads(r["themes"] or "[]"),
                "answers": {},
            },
        )
        if r["answer"]:
            pair["answers"][r["side"]] = r["answer"]
    for pair in pairs.values():
        grades = [GRADES[a] for a in pair["answers"].values()]
        pair["grade"] = max(grades) if grades else None
    return list(pairs.values())
