"""Mediation through the web app, against a real SMTP server on loopback (aiosmtpd): needs and
offers from submission to publication, introductions, follow-up and outcomes, the rights of
the people in the data, every route's bad input (4xx in the person's language, nothing
written), and leak probes on every public route."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from cckg.core import i18n
from cckg.core.mediation.moderators import add as add_moderator
from tests.support.mediation import (
    ADMIN,
    CONSENT,
    FORM_CONSENT,
    Inbox,
    csrf_of,
    link,
    make_app,
    start_smtp,
    writable_store,
)

PASSWORD = "a long moderator password"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
BASE = "https://w3id.org/cckg/"
BAHN = "https://w3id.org/cckg/id/institution/bhtrans"


@dataclass
class Env:
    app: object
    store: object
    inbox: Inbox
    folder: Path

    @property
    def db(self) -> Path:
        return self.folder / "mediation.sqlite"

    def client(self, ip: str = "127.0.0.1"):
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = ip
        return client

    def rows(self) -> tuple[int, int, int]:
        """Submissions, introductions and audit entries kept."""
        with sqlite3.connect(self.db) as con:
            return tuple(
                con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
                for t in ("submissions", "introductions", "audit")
            )


@pytest.fixture(scope="module")
def env(demo_store_path, demo_store, tmp_path_factory):
    controller, inbox = start_smtp()
    folder = tmp_path_factory.mktemp("mediation")
    store = writable_store(demo_store_path, demo_store, folder / "store")
    app = make_app(store, folder, inbox.port)
    from cckg.webapp.mediation import get_mediation

    add_moderator(get_mediation(app).ctx.db, "moderator", PASSWORD)
    try:
        yield Env(app, store, inbox, folder)
    finally:
        controller.stop()
        store.close()


def need_body(email: str, **extra) -> dict:
    body = {
        "text": "Precisamos de zonas 30 perto das escolas para reduzir acidentes.",
        "city": "Curitiba",
        "themes": ["road-safety-traffic-calming"],
        "languages": ["pt"],
        "name": "Maria Exemplo",
        "institution": "Prefeitura de Curitiba",
        "email": email,
        "consent": CONSENT,
    }
    body.update(extra)
    return body


def confirm(env: Env, msg) -> None:
    c = env.client()
    path = link(msg, "confirm")
    page = c.get(path)
    assert page.status_code == 200
    done = c.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert done.status_code == 200, done.get_data(as_text=True)


def publish_need(env: Env, email: str, **extra) -> dict:
    """Submit (API), confirm (link from the e-mail the SMTP server got), approve (API)."""
    r = env.client().post("/api/needs?lang=pt", json=need_body(email, **extra))
    assert r.status_code == 202, r.get_json()
    sid = r.get_json()["id"]
    first = env.inbox.wait(email)
    confirm(env, first)
    r = env.client().post(f"/api/review/{sid}", json={"action": "approve"}, headers=AUTH)
    assert r.status_code == 200, r.get_json()
    iri = r.get_json()["iri"]
    return {
        "id": sid,
        "iri": iri,
        "path": iri.replace(BASE, "/"),
        "first": first,
        "published": env.inbox.wait(email, 2),
    }


# ---------------------------------------------------------------- the whole loop, in process


def test_need_from_submission_to_public_record(env):
    email = "loop@example.com"
    before = env.inbox.count()
    r = env.client().post("/api/needs?lang=pt", json=need_body(email))
    assert r.status_code == 202
    body = r.get_json()
    assert set(body) == {"id", "status_url"} and "/status/" in body["status_url"]
    msg = env.inbox.wait(email)
    assert env.inbox.count() == before + 1
    assert msg["Subject"] == i18n.gettext_in("pt", "Please confirm your e-mail address")
    assert msg["Content-Language"] == "pt"
    # Not public before confirmation and review: the queue holds it, the graph does not.
    status = env.client().get(link(msg, "status"))
    assert status.status_code == 200 and "no-store" in status.headers["Cache-Control"]
    confirm(env, msg)
    c = env.client()
    assert c.get("/review").status_code == 302  # moderators only
    login = c.get("/login")
    r = c.post(
        "/login",
        data={
            "csrf_token": csrf_of(login.get_data(as_text=True)),
            "username": "moderator",
            "password": PASSWORD,
            "next": "/review",
        },
    )
    assert r.status_code == 302 and r.headers["Location"] == "/review"
    queue = c.get("/review").get_data(as_text=True)
    assert body["id"] in queue
    item = c.get(f"/review/{body['id']}").get_data(as_text=True)
    assert email not in item  # moderators judge the text, not the address
    r = c.post(
        f"/review/{body['id']}",
        data={
            "csrf_token": csrf_of(item),
            "action": "approve",
            "title_en": "Curitiba: 30 km/h zones near schools",
            "public_text": "Precisamos de zonas 30 perto das escolas.",
            "themes": ["road-safety-traffic-calming"],
            "city": "Curitiba",
            "languages": "pt",
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    iri = re.search(r"https://w3id.org/cckg/id/need/submitted-[0-9a-f]+", r.get_data(as_text=True))[
        0
    ]
    ttl = env.client().get(iri.replace(BASE, "/"), headers={"Accept": "text/turtle"})
    text = ttl.get_data(as_text=True)
    assert ttl.status_code == 200 and "Curitiba: 30 km/h zones near schools" in text
    assert '"moderator:1"' in text and "prov:wasAssociatedWith" in text  # who, by id only
    assert "Maria" not in text and email not in text
    published = env.inbox.wait(email, 2)
    assert iri.split("/id/", 1)[1] in published.get_content()


def test_the_graph_is_written_through_the_writer_with_prov(env):
    pub = publish_need(env, "prov@example.com")
    graph = "https://w3id.org/cckg/graph/submissions/needs"
    rows = env.store.select(
        "SELECT ?p ?o WHERE { GRAPH ?g { ?g ?p ?o } }", {"g": __import__("rdflib").URIRef(graph)}
    )
    props = {str(r["p"]).rsplit("#", 1)[-1].rsplit("/", 1)[-1]: str(r["o"]) for r in rows}
    assert props["wasDerivedFrom"] == "POST /review" and props["contentHash"].startswith("sha256:")
    assert pub["iri"].startswith("https://w3id.org/cckg/id/need/submitted-")


def test_offer_needs_its_institution_before_approval(env):
    email = "offer@example.com"
    body = need_body(email, text="Podemos ensinar como planejar zonas 30 com escolas.")
    r = env.client().post("/api/offers?lang=pt", json=body)
    assert r.status_code == 202
    sid = r.get_json()["id"]
    confirm(env, env.inbox.wait(email))
    r = env.client().post(f"/api/review/{sid}", json={"action": "approve"}, headers=AUTH)
    assert r.status_code == 400 and r.get_json()["field"] == "offered_by"
    r = env.client().post(
        f"/api/review/{sid}", json={"action": "approve", "offered_by": BAHN}, headers=AUTH
    )
    assert r.status_code == 200 and "/id/offer/submitted-" in r.get_json()["iri"]


def test_reject_sends_the_reason(env):
    email = "reject@example.com"
    r = env.client().post("/api/needs?lang=de", json=need_body(email))
    sid = r.get_json()["id"]
    confirm(env, env.inbox.wait(email))
    r = env.client().post(
        f"/api/review/{sid}", json={"action": "reject", "reason": "Zu allgemein"}, headers=AUTH
    )
    assert r.status_code == 200 and r.get_json()["state"] == "rejected"
    msg = env.inbox.wait(email, 2)
    assert "Zu allgemein" in msg.get_content()
    assert msg["Subject"] == i18n.gettext_in("de", "Your submission was not published")


# ---------------------------------------------------------------- introductions and outcomes


def _introduce(env: Env, pub: dict, accept: bool):
    """As the need's owner (its status link from the e-mail), ask BHTrans; answer as its contact."""
    c = env.client()
    assert c.get(link(pub["published"], "status")).status_code == 200  # proves the address
    form = c.get(f"/introductions/new?counterpart={BAHN}").get_data(as_text=True)
    choice = re.search(r'value="(own:[0-9a-f]+)"', form)[1]
    contact = "ana.beispiel@example.org"
    before = env.inbox.count(contact)
    r = c.post(
        "/introductions/new",
        data={"csrf_token": csrf_of(form), "counterpart": BAHN, "choice": choice, **FORM_CONSENT},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    request = env.inbox.wait(contact, before + 1)
    assert pub["id"] not in request.get_content() and "Maria" not in request.get_content()
    answer = link(request, "introductions/answer")
    page = c.get(answer)
    assert page.status_code == 200
    r = c.post(
        answer,
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "action": "accept" if accept else "decline",
        },
    )
    assert r.status_code == 200
    return answer, page.get_data(as_text=True), c


def test_introduction_accepted_sends_one_email_to_both(env):
    email = "intro@example.com"
    pub = publish_need(env, email)
    contact = "ana.beispiel@example.org"
    before = env.inbox.count(contact)
    answer, page, c = _introduce(env, pub, accept=True)
    intro = env.inbox.wait(email, 3)
    assert set(intro.get_all("To")[0].addresses[i].addr_spec for i in range(2)) == {email, contact}
    # The contact got the request, then the same one message as the requester.
    assert env.inbox.count(contact) == before + 2
    assert env.inbox.wait(contact, before + 2)["Message-ID"] == intro["Message-ID"]
    ids = [m["Message-ID"] for _, m in env.inbox.received]
    assert ids.count(intro["Message-ID"]) == 1
    body = intro.get_content()
    assert email in body and contact in body and "Maria Exemplo" in body
    # A replayed answer changes nothing.
    r = c.post(answer, data={"csrf_token": csrf_of(page), "action": "decline"})
    assert r.status_code == 409


def test_declined_introduction_tells_the_requester_and_passes_nothing_on(env):
    email = "declined@example.com"
    pub = publish_need(env, email)
    _introduce(env, pub, accept=False)
    msg = env.inbox.wait(email, 3)
    assert msg["Subject"] == i18n.gettext_in("pt", "Your introduction request")
    assert "ana.beispiel" not in msg.get_content()


def test_followup_outcome_counts_and_pairs(env, monkeypatch):
    from cckg.webapp.mediation import get_mediation

    email = "outcome@example.com"
    pub = publish_need(env, email)
    _introduce(env, pub, accept=True)
    med = get_mediation(env.app)
    later = med.ctx.clock() + __import__("datetime").timedelta(days=31)
    monkeypatch.setattr(med.ctx, "clock", lambda: later)
    assert med.run_followup()["asked"] >= 1
    question = env.inbox.wait(email, 4)
    path = link(question, "outcome")
    c = env.client()
    page = c.get(path)
    assert page.status_code == 200
    token = csrf_of(page.get_data(as_text=True))
    assert c.post(path, data={"csrf_token": token, "answer": "project"}).status_code == 200
    assert c.post(path, data={"csrf_token": token, "answer": "no"}).status_code == 409
    counts = env.client().get("/api/outcomes").get_json()
    assert counts["outcomes"]["project"] >= 1
    assert any(r["theme"].endswith("road-safety-traffic-calming") for r in counts["by_theme"])
    pairs = med.labelled_pairs()
    assert {"need": pub["iri"], "counterpart": BAHN} in [
        {k: p[k] for k in ("need", "counterpart")} for p in pairs
    ]
    assert "Maria" not in json.dumps(pairs) and email not in json.dumps(pairs)
    html = env.client().get("/explore?lang=en").get_data(as_text=True)
    assert "Introductions and their outcomes" in html


# ---------------------------------------------------------------- rights


def test_my_data_download_and_erasure_leave_only_the_audit(env):
    email = "erase.me@example.com"
    pub = publish_need(env, email, name="Erika Loeschbar")
    data_path = link(pub["first"], "my-data")
    c = env.client()
    page = c.get(data_path)
    assert page.status_code == 200 and email in page.get_data(as_text=True)
    download = c.get(data_path + ".json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.get_json()["submissions"][0]["name"] == "Erika Loeschbar"
    r = c.post(
        data_path, data={"csrf_token": csrf_of(page.get_data(as_text=True)), "confirm": "yes"}
    )
    assert r.status_code == 200
    raw = env.db.read_bytes()
    assert email.encode() not in raw and b"Erika" not in raw and b"Loeschbar" not in raw
    with sqlite3.connect(env.db) as con:
        audit = con.execute(
            "SELECT actor, action, detail FROM audit WHERE subject = ?", (pub["id"],)
        ).fetchall()
    assert ("submitter", "erased", "") in audit
    assert c.get(data_path).status_code == 410  # the link died with the data
    assert c.get(link(pub["first"], "status")).status_code == 410
    assert env.client().get(pub["path"]).status_code == 200  # the public record stays, anonymous


def test_purge_deletes_unconfirmed_after_seven_days(env, monkeypatch):
    from cckg.webapp.mediation import get_mediation

    email = "never.confirmed@example.com"
    r = env.client().post("/api/needs", json=need_body(email))
    sid = r.get_json()["id"]
    med = get_mediation(env.app)
    med.purge()
    assert sid.encode() in env.db.read_bytes()  # kept for now
    later = med.ctx.clock() + __import__("datetime").timedelta(days=8)
    monkeypatch.setattr(med.ctx, "clock", lambda: later)
    med.purge()
    assert email.encode() not in env.db.read_bytes()
    assert env.client().get(link(env.inbox.wait(email), "confirm")).status_code == 410
