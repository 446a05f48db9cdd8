"""The mediation workflow without the web app: the states of an introduction with several
contacts (one decline is not the answer, all declines are; the first acceptance wins), a
requester who must confirm first, silence becoming "unanswered", links of the wrong purpose,
and moderators' accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from cckg.core.mediation import Context, Mediation, MediationError, MediationSettings
from cckg.core.mediation.moderators import AccountError
from cckg.core.mediation.moderators import add as add_moderator
from tests.support.mediation import CONSENT, token_of, writable_store

OFFER = "https://w3id.org/cckg/id/offer/example-composting-plant-partnership"
CONTACTS = {"lukas.muster@example.org", "sami.mithal@example.org"}


class Recorder:
    """A mailer that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, msg: EmailMessage) -> None:
        self.sent.append(msg)

    def forget(self, address: str) -> int:
        return 0

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.sent if address in str(m["To"])]


@pytest.fixture(scope="module")
def store(demo_store_path, demo_store, tmp_path_factory):
    s = writable_store(demo_store_path, demo_store, tmp_path_factory.mktemp("wf") / "store")
    yield s
    s.close()


@pytest.fixture
def med(store, tmp_path):
    now = [datetime.now(UTC)]
    settings = MediationSettings(db_path=tmp_path / "m.sqlite", outbox=tmp_path / "outbox")
    ctx = Context(settings, "secret", store=store, mailer=Recorder(), clock=lambda: now[0])
    m = Mediation(ctx)
    m.now = now  # type: ignore[attr-defined]
    return m


def ask(med: Mediation, email: str = "rui@example.com") -> str:
    """A request from someone without a published need: confirmed by e-mail first."""
    r = med.request_introduction(
        {"counterpart": OFFER, "need": "Queremos uma usina de compostagem.", "name": "Rui",
         "email": email, "consent": CONSENT},
        "pt",
    )  # fmt: skip
    assert r["state"] == "unconfirmed"
    mailer = med.ctx.mailer
    assert not any(c in str(m["To"]) for m in mailer.sent for c in CONTACTS)  # nothing sent yet
    confirm = [m for m in mailer.to(email)][-1]
    token = token_of(next(w for w in confirm.get_content().split() if "/confirm/" in w))
    assert med.confirm(token)["state"] == "requested"
    with pytest.raises(MediationError) as replay:
        med.confirm(token)
    assert replay.value.status == 409
    return r["id"]


def answer_links(med: Mediation) -> dict[str, str]:
    out = {}
    for c in CONTACTS:
        msg = med.ctx.mailer.to(c)[-1]
        out[c] = token_of(next(w for w in msg.get_content().split() if "/answer/" in w))
    return out


def test_one_decline_is_not_the_answer_all_declines_are(med):
    ask(med)
    links = answer_links(med)
    lukas, sami = sorted(CONTACTS)
    assert med.answer(links[lukas], accept=False) == "requested"
    assert med.ctx.mailer.to("rui@example.com")[-1]["Subject"] != "O seu pedido de apresentação"
    assert med.answer(links[sami], accept=False) == "declined"
    told = med.ctx.mailer.to("rui@example.com")[-1]
    assert told["Subject"] == "O seu pedido de apresentação"
    assert not any(c in told.get_content() for c in CONTACTS)


def test_the_first_acceptance_wins(med):
    ask(med)
    links = answer_links(med)
    lukas, sami = sorted(CONTACTS)
    assert med.answer(links[sami], accept=True) == "accepted"
    intro = med.ctx.mailer.sent[-1]
    assert {a.addr_spec for a in intro["To"].addresses} == {"rui@example.com", sami}
    with pytest.raises(MediationError) as late:
        med.answer(links[lukas], accept=True)
    assert late.value.status == 409
    view = med.answer_view(links[lukas])
    assert view["state"] == "accepted" and "Rui" not in str(view)


def test_silence_becomes_unanswered(med):
    iid = ask(med)
    assert med.run_followup() == {"asked": 0, "unanswered": 0}
    med.now[0] += timedelta(days=31)
    assert med.run_followup() == {"asked": 0, "unanswered": 1}
    with med.ctx.db.read() as con:
        state = con.execute("SELECT state FROM introductions WHERE id = ?", (iid,)).fetchone()[0]
    assert state == "unanswered"


def test_links_of_another_purpose_are_refused(med):
    ask(med)
    link = answer_links(med)[sorted(CONTACTS)[0]]
    for read in (med.status, med.my_data, med.confirm, med.outcome_view):
        with pytest.raises(MediationError) as e:
            read(link)
        assert e.value.status == 400


def test_moderator_accounts(med):
    db = med.ctx.db
    m = add_moderator(db, "alice", "a long enough password")
    assert m.actor == "moderator:1"
    with pytest.raises(AccountError):
        add_moderator(db, "alice", "a long enough password")
    with pytest.raises(AccountError):
        add_moderator(db, "bob", "short")
    with pytest.raises(AccountError):
        add_moderator(db, "carol", "a long enough password", role="admin")
    assert med.authenticate("alice", "a long enough password") == m
    assert med.authenticate("nobody", "a long enough password") is None
    with db.read() as con:
        stored = con.execute("SELECT password_hash FROM moderators").fetchone()[0]
    assert stored.startswith("$argon2id$") and "a long enough" not in stored
