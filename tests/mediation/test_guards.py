"""What mediation refuses, and what it never shows: every new route's bad input answers a
clear 4xx in the person's language and writes nothing (no row, no audit entry, no e-mail);
forged, expired and replayed links; CSRF; the honeypot; rate limits per client and per
address; login throttling; the commands; and leak probes on every public route (no name,
e-mail address or phone number of a submitter in pages, formats, SPARQL, dumps or search)."""

from __future__ import annotations

import gzip
import json
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cckg.core import i18n
from cckg.core.mediation.moderators import add as add_moderator
from tests.servers import free_port
from tests.support.mediation import (
    ADMIN,
    CONSENT,
    SECRET,
    csrf_of,
    link,
    make_app,
    start_smtp,
    token_of,
    writable_store,
)

BASE = "https://w3id.org/cckg/"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
CSRF_MESSAGE = (
    "This form has expired or was not sent from this site. Please reload the page and try again."
)
NAME, EMAIL, PHONE = "Joana Vazamento", "joana.vazamento@example.net", "+55 41 98765 4321"


@pytest.fixture(scope="module")
def env(demo_store_path, demo_store, tmp_path_factory):
    controller, inbox = start_smtp()
    folder = tmp_path_factory.mktemp("guards")
    store = writable_store(demo_store_path, demo_store, folder / "store")
    app = make_app(store, folder, inbox.port)
    try:
        yield app, inbox, folder
    finally:
        controller.stop()
        store.close()


def rows(folder: Path) -> tuple[int, ...]:
    db = folder / "mediation.sqlite"
    if not db.exists():
        return (0, 0, 0)
    with sqlite3.connect(db) as con:
        return tuple(
            con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in ("submissions", "introductions", "audit")
        )


def body(**extra) -> dict:
    b = {
        "text": "Precisamos de ciclovias seguras.",
        "city": "Curitiba",
        "name": "Ana Teste",
        "email": "ana.teste@example.com",
        "consent": CONSENT,
        "themes": ["cycling-walking"],
    }
    b.update(extra)
    return b


def german(message: str) -> str:
    translated = i18n.gettext_in("de", message)
    assert translated != message, f"no German for {message!r}"
    return translated


BAD_NEEDS = [
    ("no consent", {"consent": None}, 400, "Please read the privacy notice and agree to it."),
    (
        "consent not given",
        {"consent": {**CONSENT, "accepted": False}},
        400,
        "Please read the privacy notice and agree to it.",
    ),
    (
        "old notice",
        {"consent": {**CONSENT, "version": "2019-01"}},
        400,
        "You agreed to another version of the privacy notice. Please read the current one.",
    ),
    (
        "unknown city",
        {"city": "Atlantis"},
        400,
        "We do not know the city %(city)s. Please choose one from the list.",
    ),
    (
        "oversized text",
        {"text": "x" * 5001},
        400,
        "This field is too long: %(field)s (at most %(limit)s characters).",
    ),
    ("bad address", {"email": "not-an-address"}, 400, "Please check your e-mail address."),
    (
        "header injection",
        {"name": "Ana\r\nBcc: victim@example.org"},
        400,
        "Please check this field: %(field)s.",
    ),
    ("unknown theme", {"themes": ["no-such-theme"]}, 400, "Unknown theme: %(theme)s."),
    ("unknown language", {"languages": ["xx"]}, 400, "Unknown language code: %(code)s."),
    ("empty text", {"text": "  "}, 400, "Please fill in this field: %(field)s."),
]


@pytest.mark.parametrize(
    ("case", "change", "status", "message"), BAD_NEEDS, ids=[c[0] for c in BAD_NEEDS]
)
def test_bad_submissions_are_refused_in_german_and_write_nothing(
    env, case, change, status, message
):
    app, inbox, folder = env
    before, mails = rows(folder), inbox.count()
    r = app.test_client().post("/api/needs", json=body(**change), headers={"Accept-Language": "de"})
    assert r.status_code == status, r.get_json()
    got = r.get_json()["message"]
    assert got.startswith(german(message).split("%(")[0].rstrip()), got
    assert rows(folder) == before and inbox.count() == mails


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'"text"'])
def test_not_a_json_object(env, payload):
    app, inbox, folder = env
    before = rows(folder)
    r = app.test_client().post("/api/offers?lang=fr", data=payload, content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["message"] == i18n.gettext_in("fr", "Please send a JSON object.")
    assert rows(folder) == before


def test_oversized_body_is_413(env):
    app, _, folder = env
    before = rows(folder)
    r = app.test_client().post("/api/needs?lang=es", json=body(text="y" * 70_000))
    assert r.status_code == 413
    assert r.get_json()["message"] == i18n.gettext_in("es", "The request is too large.")
    assert rows(folder) == before


def test_forms_without_csrf_are_refused(env):
    app, inbox, folder = env
    before, mails = rows(folder), inbox.count()
    c = app.test_client()
    for path in (
        "/needs/new?lang=de",
        "/offers/new?lang=de",
        "/introductions/new?lang=de",
        "/login?lang=de",
    ):
        r = c.post(path, data={**body(), "consent": "yes"})
        assert r.status_code == 400, path
        assert german(CSRF_MESSAGE) in r.get_data(as_text=True)
    assert rows(folder) == before and inbox.count() == mails


def test_form_error_shows_the_form_again_in_the_language(env):
    app, _, folder = env
    c = app.test_client()
    page = c.get("/needs/new?lang=ar&text=ciclovias")
    assert page.status_code == 200 and 'dir="rtl"' in page.get_data(as_text=True)
    before = rows(folder)
    r = c.post(
        "/needs/new",
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "text": "ciclovias",
            "city": "Atlantis",
            "name": "A",
            "email": "a@example.com",
            "action": "send",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'aria-invalid="true"' in html and "ciclovias" in html
    assert rows(folder) == before


def test_honeypot_looks_accepted_but_keeps_and_sends_nothing(env):
    app, inbox, folder = env
    before, mails = rows(folder), inbox.count()
    r = app.test_client().post("/api/needs", json=body(website="http://spam.example"))
    assert r.status_code == 202
    c = app.test_client()
    page = c.get("/needs/new").get_data(as_text=True)
    r = c.post(
        "/needs/new",
        data={
            **body(),
            "consent": "yes",
            "website": "x",
            "action": "send",
            "csrf_token": csrf_of(page),
        },
    )
    assert r.status_code == 200
    time.sleep(0.2)  # an e-mail, if one were sent, is handed over before the response
    assert rows(folder) == before and inbox.count() == mails


def test_forged_expired_and_replayed_links(env, monkeypatch):
    app, inbox, folder = env
    c = app.test_client()
    for path in ("/confirm/", "/status/", "/my-data/", "/introductions/answer/", "/outcome/"):
        r = c.get(path + "WyJjb25maXJtIiwiczphYmMiLCJ4IiwiIl0.forged.signature?lang=pt")
        assert r.status_code == 400, path
        assert i18n.gettext_in(
            "pt", "This link is not valid. Please use the link from your e-mail."
        ) in r.get_data(as_text=True)
    email = "replay@example.com"
    assert c.post("/api/needs", json=body(email=email)).status_code == 202
    path = link(inbox.wait(email), "confirm")
    # A confirmation link of another purpose is not a status link.
    assert c.get("/status/" + token_of(path)).status_code == 400
    # Expired: the same kind of link, signed eight days ago.
    from itsdangerous import URLSafeTimedSerializer

    old = URLSafeTimedSerializer(SECRET, salt="cckg-mediation-link")
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: time.time_ns() / 1e9 - 8 * 86400)
    stale = old.dumps(["confirm", "s:abc", "x", ""])
    monkeypatch.undo()
    r = c.get(f"/confirm/{stale}?lang=de")
    assert r.status_code == 410 and german(
        "This link has expired. Please start again from the website."
    ) in r.get_data(as_text=True)
    page = c.get(path)
    assert (
        c.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))}).status_code == 200
    )
    before = rows(folder)
    replay = c.get(path + "?lang=es")
    assert replay.status_code == 409
    assert i18n.gettext_in("es", "This link was already used.") in replay.get_data(as_text=True)
    assert (
        c.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))}).status_code == 409
    )
    assert rows(folder) == before


def test_rate_limits_per_client_and_per_address(env):
    app, _, _ = env
    app.config.update(CCKG_LIMIT_SUBMIT=60, CCKG_LIMIT_SUBMIT_BURST=2)
    try:
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = "198.51.100.7"
        codes = [
            c.post("/api/needs?lang=de", json=body(email=f"ip{i}@example.com")).status_code
            for i in range(3)
        ]
        assert codes == [202, 202, 429]
    finally:
        app.config.update(CCKG_LIMIT_SUBMIT=0)
    c = app.test_client()
    codes = [
        c.post("/api/needs", json=body(email="same@example.com")).status_code for _ in range(6)
    ]
    assert codes == [202] * 5 + [429]


def test_review_api_needs_the_token(env):
    app, _, folder = env
    c = app.test_client()
    r = c.post("/api/needs", json=body(email="api.review@example.com"))
    sid = r.get_json()["id"]
    before = rows(folder)
    assert c.post(f"/api/review/{sid}", json={"action": "approve"}).status_code == 401
    wrong = {"Authorization": "Bearer wrong"}
    assert (
        c.post(f"/api/review/{sid}", json={"action": "approve"}, headers=wrong).status_code == 401
    )
    assert c.post(f"/api/review/{sid}", json={"action": "drop"}, headers=AUTH).status_code == 400
    r = c.post(f"/api/review/{sid}", json={"action": "approve"}, headers=AUTH)
    assert r.status_code == 409  # not confirmed yet: not in the queue
    assert (
        c.post(
            "/api/review/nope", json={"action": "reject", "reason": "x"}, headers=AUTH
        ).status_code
        == 404
    )
    assert rows(folder) == before


def test_login_is_throttled_and_locks(env):
    app, _, _ = env
    from cckg.webapp.mediation import get_mediation

    add_moderator(get_mediation(app).ctx.db, "locked", "the right password")
    c = app.test_client()
    token = csrf_of(c.get("/login").get_data(as_text=True))
    for _ in range(5):
        r = c.post("/login", data={"csrf_token": token, "username": "locked", "password": "wrong"})
        assert r.status_code == 401
    r = c.post(
        "/login", data={"csrf_token": token, "username": "locked", "password": "the right password"}
    )
    assert r.status_code == 401  # locked for a while, whatever the password


def test_introduction_bad_input(env):
    app, inbox, folder = env
    c = app.test_client()
    before, mails = rows(folder), inbox.count()
    cases = [
        ({"counterpart": f"{BASE}id/city/3464975"}, 404),  # a city: nobody to introduce
        ({"counterpart": "javascript:alert(1)"}, 404),
        ({"counterpart": f"{BASE}id/institution/no-such"}, 404),
        ({"counterpart": f"{BASE}id/institution/bhtrans", "consent": None}, 400),
        ({"counterpart": f"{BASE}id/institution/bhtrans", "need": f"{BASE}id/need/nope"}, 404),
        (
            {"counterpart": f"{BASE}id/institution/bhtrans", "email": "ana.beispiel@example.org"},
            400,
        ),
    ]
    for change, status in cases:
        data = {
            "need": "Zonas 30",
            "name": "Rui",
            "email": "rui@example.com",
            "consent": CONSENT,
            **change,
        }
        r = c.post("/api/introductions?lang=de", json=data)
        assert r.status_code == status, (change, r.get_json())
    page = c.get(f"/introductions/new?counterpart={BASE}id/institution/city-of-bizerte&lang=fr")
    assert page.status_code == 200  # Bizerte's only example contact has an address: the form
    assert c.get(f"/introductions/new?counterpart={BASE}id/city/3464975").status_code == 404
    assert rows(folder) == before and inbox.count() == mails


# ---------------------------------------------------------------- leak probes


@pytest.fixture(scope="module")
def published(env):
    """A Portuguese need whose writer put their name, address and phone into the text."""
    app, inbox, _ = env
    c = app.test_client()
    text = (
        f"Somos de Curitiba e queremos zonas 30. Falem com {NAME}: {EMAIL} ou {PHONE}. "
        "Veja https://phish.example/login"
    )
    r = c.post("/api/needs?lang=pt", json=body(text=text, name=NAME, email=EMAIL))
    sid = r.get_json()["id"]
    path = link(inbox.wait(EMAIL), "confirm")
    page = c.get(path)
    c.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    r = c.post(f"/api/review/{sid}", json={"action": "approve"}, headers=AUTH)
    assert r.status_code == 200
    return r.get_json()["iri"]


SECRETS = [NAME, NAME.split()[1], EMAIL, PHONE, "98765"]
FORMATS = [
    "text/html",
    "text/turtle",
    "application/ld+json",
    "application/rdf+xml",
    "application/n-triples",
]


def _clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaks through {where}"


@pytest.mark.parametrize("media", FORMATS)
def test_no_personal_data_on_the_public_record(env, published, media):
    app = env[0]
    r = app.test_client().get(published.replace(BASE, "/"), headers={"Accept": media})
    assert r.status_code == 200
    _clean(r.get_data(as_text=True), media)
    assert "Curitiba" in r.get_data(as_text=True)
    assert 'href="https://phish.example' not in r.get_data(as_text=True)  # text, never a link


def test_no_personal_data_in_sparql_dumps_search_or_match(env, published):
    app = env[0]
    c = app.test_client()
    construct = (
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BASE}graph/submissions/needs> {{ ?s ?p ?o }} }}"
    )
    r = c.get("/sparql", query_string={"query": construct}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and published in r.get_data(as_text=True)
    _clean(r.get_data(as_text=True), "/sparql")
    select = 'SELECT ?s ?o WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "Vazamento")) }'
    r = c.get(
        "/sparql",
        query_string={"query": select},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.get_json()["results"]["bindings"] == []
    dump = c.get("/dumps/all.nq.gz")
    assert dump.status_code == 200
    text = gzip.decompress(dump.data).decode()
    assert published in text
    _clean(text, "/dumps/all.nq.gz")
    for q in ("zonas 30 Curitiba", NAME, EMAIL):  # the answer echoes the query: look at hits
        r = c.get("/api/search", query_string={"q": q})
        _clean(json.dumps(r.get_json()["results"], ensure_ascii=False), f"/api/search?q={q}")
    assert published in c.get("/api/search", query_string={"q": "zonas Curitiba"}).get_data(
        as_text=True
    )
    _clean(
        c.get("/api/match", query_string={"need": published}).get_data(as_text=True), "/api/match"
    )
    for path in ("/explore", "/api/outcomes", "/search?q=zonas", "/.well-known/void"):
        _clean(c.get(path).get_data(as_text=True), path)


# ---------------------------------------------------------------- commands and defaults


def test_cli_users_purge_followup_and_outcomes(tmp_path):
    from cckg.cli import main

    runner = CliRunner()
    env = {
        "CCKG_MEDIATION_DB": str(tmp_path / "m.sqlite"),
        "CCKG_SECRET_KEY": SECRET,
        "CCKG_OUTBOX": str(tmp_path / "outbox"),
    }
    r = runner.invoke(
        main, ["users", "add", "mod", "--password-stdin"], input="a long password\n", env=env
    )
    assert r.exit_code == 0 and "moderator:1" in r.output
    r = runner.invoke(
        main, ["users", "add", "mod", "--password-stdin"], input="a long password\n", env=env
    )
    assert r.exit_code == 2 and "exists" in r.output
    r = runner.invoke(main, ["users", "add", "short", "--password-stdin"], input="short\n", env=env)
    assert r.exit_code == 2
    r = runner.invoke(
        main, ["users", "add", "asked"], input="a long password\na long password\n", env=env
    )
    assert r.exit_code == 0 and "a long password" not in r.output  # asked twice, not echoed
    r = runner.invoke(
        main, ["users", "add", "typo"], input="a long password\nanother one!!\n" * 2, env=env
    )
    assert "Error: The two entered values do not match." in r.output
    for command, word in (("purge", "purged"), ("followup", "asked")):
        r = runner.invoke(main, [command], env=env)
        assert r.exit_code == 0 and word in r.output
    r = runner.invoke(main, ["outcomes", "--pairs", "-o", str(tmp_path / "pairs.jsonl")], env=env)
    assert r.exit_code == 0 and (tmp_path / "pairs.jsonl").exists()


def test_no_settings_at_all(tmp_path, monkeypatch, demo_store_path, demo_store):
    """As ``make run``: no secret key, no SMTP: a key file is made, mail goes to var/outbox."""
    from cckg.webapp import create_app

    for key in ("CCKG_SECRET_KEY", "CCKG_SMTP_URL", "CCKG_OUTBOX", "CCKG_MEDIATION_DB"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    store = writable_store(demo_store_path, demo_store, tmp_path / "var" / "store")
    try:
        app = create_app({"CCKG_STORE_OBJECT": store})
        key = tmp_path / "var" / "secret_key"
        assert app.test_client().get("/health").status_code == 200
        assert not key.exists()  # made only when a cookie or a link needs it
        r = app.test_client().post("/api/needs", json=body(email="norun@example.com"))
        assert r.status_code == 202
        assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
        again = create_app({"CCKG_STORE_OBJECT": store})
        assert again.test_client().get("/needs/new").status_code == 200
        assert again.secret_key == app.secret_key  # the same key after a restart
        assert len(list((tmp_path / "var" / "outbox").glob("*.eml"))) == 1
        assert (tmp_path / "var" / "store" / "mediation.sqlite").exists()
    finally:
        store.close()


def test_mail_server_down_means_503_and_nothing_kept(demo_store_path, demo_store, tmp_path):
    store = writable_store(demo_store_path, demo_store, tmp_path / "store")
    try:
        app = make_app(store, tmp_path, free_port())  # nobody listens there
        r = app.test_client().post("/api/needs?lang=pt", json=body(email="down@example.com"))
        assert r.status_code == 503
        assert r.get_json()["message"] == i18n.gettext_in(
            "pt", "We could not send the e-mail right now. Please try again later."
        )
        assert rows(tmp_path) == (0, 0, 0)
    finally:
        store.close()


def test_scrub_defuse_and_outbox_forget(tmp_path):
    from email.message import EmailMessage

    from cckg.core.mediation.checks import scrub
    from cckg.core.mediation.letters import defuse
    from cckg.core.mediation.mail import OutboxMailer

    text = "Fale com Joana Vazamento, joana@example.net, +55 41 98765-4321, até 2026."
    clean = scrub(text, "Joana Vazamento")
    assert "Joana" not in clean and "joana@" not in clean and "98765" not in clean
    assert "2026" in clean  # a year is not a phone number
    assert defuse("see https://evil.example and www.evil.example") == (
        "see hxxps[:]//evil.example and www[.]evil.example"
    )
    outbox = OutboxMailer(tmp_path)
    for to in ("a@example.com", "b@example.com"):
        msg = EmailMessage()
        msg["To"], msg["Message-ID"] = to, "<x@test>"
        msg.set_content("hello")
        outbox.send(msg)
    assert outbox.forget("A@example.com") == 1
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_sparql_and_json_answers_do_not_vary_on_the_session_cookie(env):
    """Sessions exist for forms and moderators only: shared caches keep serving the rest."""
    c = env[0].test_client()
    assert c.get("/needs/new").headers.get("Set-Cookie", "").startswith("session=")
    for path in ("/sparql?query=ASK%7B%7D", "/api/search?q=zonas", "/api/outcomes"):
        assert "Cookie" not in c.get(path).headers.get("Vary", ""), path
