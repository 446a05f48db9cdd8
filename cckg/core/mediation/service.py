"""The entry point of mediation for pages and commands: one :class:`Mediation` over a
:class:`Context`, each method one step of the workflow (see the package docstring)."""

from __future__ import annotations

from typing import Any

from cckg.core import geonames
from cckg.core.mediation import (
    checks,
    followup,
    introductions,
    moderators,
    reads,
    rights,
    submissions,
)
from cckg.core.mediation.context import Context
from cckg.core.mediation.model import KINDS, MediationError
from cckg.core.mediation.moderators import Moderator


class Mediation:
    """The workflow over one context (database, links, mail, store)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    # ------------------------------------------------------------ submissions

    def submit(self, kind: str, data: Any, lang: str) -> dict[str, str]:
        """A need or offer from a form or JSON body: ``{id, status_url}`` (202)."""
        if kind not in KINDS:
            raise ValueError(kind)
        return submissions.submit(self.ctx, checks.submission(kind, data, lang))

    def confirm_check(self, token: str) -> dict[str, Any]:
        """What a confirmation link would confirm, checked but not yet done (410 gone, 409
        already used): a GET must not confirm (mail scanners follow links)."""
        t = self.ctx.tokens.read(token, "confirm")
        kind, _, key = t.subject.partition(":")
        table = {"s": submissions, "i": introductions}.get(kind)
        with self.ctx.db.read() as con:
            row = table.load(con, key) if table is not None else None
        if row is None or row["nonce"] != t.nonce:
            raise MediationError(submissions.GONE, 410)
        if row["state"] != "unconfirmed":
            raise MediationError(submissions.USED, 409)
        return {"subject": kind, **row}

    def confirm(self, token: str) -> dict[str, Any]:
        """Follow a confirmation link (a submission's or an introduction's); the result
        carries the person's own status link (``status_url``)."""
        t = self.ctx.tokens.read(token, "confirm")
        kind, _, key = t.subject.partition(":")
        if kind == "s":
            row = {"subject": "s", **submissions.confirm(self.ctx, key, t.nonce)}
        elif kind == "i":
            row = {"subject": "i", **introductions.confirm(self.ctx, key, t.nonce)}
        else:
            raise MediationError(submissions.GONE, 410)
        row["status_url"] = self.ctx.link("status", t.subject, t.nonce, "mail")
        return row

    def suggest_themes(self, text: str) -> list[str]:
        return self.ctx.suggest(text) if self.ctx.suggest and text.strip() else []

    def cities(self, prefix: str, limit: int = 10) -> list[dict[str, Any]]:
        """Cities of the graph whose name starts with ``prefix``, for the autocomplete."""
        store = self.ctx.require_store()
        out = []
        for rec in geonames.complete(prefix, limit=4 * limit):
            city = reads.city_facts(store, str(rec["geonameid"]))
            if city is not None:
                out.append(
                    {
                        "id": rec["geonameid"],
                        "label": f"{rec['name']}, {rec['countrycode']}",
                        "iri": city.iri,
                    }
                )
            if len(out) >= limit:
                break
        return out

    # ------------------------------------------------------------ review

    def queue(self) -> list[dict[str, Any]]:
        return submissions.queue(self.ctx)

    def get(self, sid: str) -> dict[str, Any]:
        return submissions.get(self.ctx, sid)

    def edit(self, sid: str, actor: str, edits: dict[str, Any]) -> dict[str, Any]:
        return submissions.edit(self.ctx, sid, actor, edits)

    def approve(self, sid: str, actor: str, edits: dict[str, Any] | None = None) -> str:
        return submissions.approve(self.ctx, sid, actor, edits)

    def reject(self, sid: str, actor: str, reason: str) -> None:
        submissions.reject(self.ctx, sid, actor, reason)

    def merge(self, sid: str, actor: str, into: str) -> None:
        submissions.merge(self.ctx, sid, actor, into)

    def institutions(self, lang: str = "en") -> list[tuple[str, str]]:
        return reads.institutions(self.ctx.require_store(), lang)

    def preview_title(self, sub: dict[str, Any]) -> str:
        from cckg.core.mediation.publish import title

        return title(self.ctx.require_store(), sub, "en") if sub["themes"] else ""

    # ------------------------------------------------------------ introductions

    def counterpart(self, iri: str, lang: str = "en") -> reads.Counterpart:
        return reads.counterpart(self.ctx.require_store(), iri, lang)

    def has_contact(self, cp: reads.Counterpart, lang: str = "en") -> bool:
        return bool(introductions.contacts(self.ctx, cp, lang))

    def published_need(self, iri: str, lang: str = "en") -> dict[str, Any] | None:
        return reads.published_need(self.ctx.require_store(), iri, lang)

    def own_needs(self, ids: list[str]) -> list[dict[str, Any]]:
        """The published needs among a person's own submissions (proved by their links)."""
        out = []
        for sid in ids:
            try:
                sub = submissions.get(self.ctx, sid)
            except MediationError:
                continue
            if sub["state"] == "published" and sub["kind"] == "need":
                out.append(sub)
        return out

    def request_introduction(
        self, data: Any, lang: str, owner: str | None = None
    ) -> dict[str, str]:
        return introductions.request(self.ctx, checks.introduction(data, lang, owner))

    def answer_view(self, token: str) -> dict[str, Any]:
        return introductions.answer_view(self.ctx, token)

    def answer(self, token: str, accept: bool) -> str:
        return introductions.answer(self.ctx, token, accept)

    # ------------------------------------------------------------ follow-up and outcomes

    def run_followup(self) -> dict[str, int]:
        return followup.run_followup(self.ctx)

    def outcome_view(self, token: str) -> dict[str, Any]:
        return followup.outcome_view(self.ctx, token)

    def record_outcome(self, token: str, answer: str) -> None:
        followup.record_outcome(self.ctx, token, answer)

    def counts(self) -> dict[str, Any]:
        return followup.counts(self.ctx)

    def labelled_pairs(self) -> list[dict[str, Any]]:
        return followup.labelled_pairs(self.ctx)

    # ------------------------------------------------------------ rights

    def status(self, token: str) -> dict[str, Any]:
        return rights.status(self.ctx, token)

    def my_data(self, token: str) -> dict[str, Any]:
        return rights.my_data(self.ctx, token)

    def erase(self, token: str, withdraw: bool = False) -> dict[str, int]:
        return rights.erase(self.ctx, token, withdraw)

    def purge(self) -> dict[str, int]:
        return rights.purge(self.ctx)

    # ------------------------------------------------------------ moderators

    def authenticate(self, username: str, password: str) -> Moderator | None:
        return moderators.authenticate(self.ctx, username, password)

    def moderator(self, mid: int) -> Moderator | None:
        return moderators.get(self.ctx.db, mid)
