"""The whole mediation loop in a real headless Chromium (Debian package, Playwright), against
the app behind waitress on loopback and a real SMTP server (aiosmtpd): a Portuguese need
submitted from the match page → the confirmation link from the e-mail → a moderator logs in
and approves → the need is public without personal data (its page in every format, SPARQL,
dumps, search) → the requester asks for an introduction to a solution's institution → its
contact accepts from the e-mail link → both get one introduction e-mail → the outcome is
recorded → the requester erases their data, and nothing of them remains but an audit entry.
"""

from __future__ import annotations

import gzip
import re
import sqlite3
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest

from cckg.core.mediation.moderators import add as add_moderator
from tests.servers import free_port, wait_http
from tests.support.mediation import link, make_app, start_smtp, writable_store
from tests.webapp.test_browser import ARGS, CHROMIUM, _missing

pytestmark = pytest.mark.browser

NAME, EMAIL = "Luíza Exemplar Teste", "luiza.exemplar@example.com"
CONTACT = "ana.beispiel@example.org"  # BHTrans's (fictional) practitioner
PASSWORD = "moderator password for the browser"
NEED = (
    "Precisamos de zonas 30 perto das escolas em Curitiba: as crianças atravessam ruas com "
    "muito trânsito e queremos acalmar o tráfego com a participação dos moradores."
)
FORMATS = [
    "text/html",
    "text/turtle",
    "application/ld+json",
    "application/rdf+xml",
    "application/n-triples",
]


@pytest.fixture(scope="module")
def site(demo_store_path, demo_store, tmp_path_factory):
    """The app over a writable copy of the demo store, served by waitress; the SMTP inbox."""
    from waitress.server import create_server

    controller, inbox = start_smtp()
    folder = tmp_path_factory.mktemp("mediation-browser")
    store = writable_store(demo_store_path, demo_store, folder / "store")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(store, folder, inbox.port, CCKG_PUBLIC_URL=base + "/")
    from cckg.webapp.mediation import get_mediation

    add_moderator(get_mediation(app).ctx.db, "moderadora", PASSWORD)
    server = create_server(app, host="127.0.0.1", port=port, threads=6, ident="cckg-test")
    threading.Thread(target=server.run, daemon=True).start()
    wait_http(f"{base}/health")
    try:
        yield {"base": base, "app": app, "inbox": inbox, "db": folder / "mediation.sqlite"}
    finally:
        server.close()
        controller.stop()
        store.close()


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright; never playwright install)")
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def fetch(url: str, accept: str = "text/html") -> str:
    req = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310 (loopback test server)
        data = r.read()
    return (gzip.decompress(data) if url.endswith(".gz") else data).decode("utf-8")


def no_trace(text: str, where: str) -> None:
    for secret in (NAME, "Luíza", "Exemplar Teste", EMAIL):
        assert secret not in text, f"{secret!r} in {where}"


def public_probes(base: str, need_path: str) -> None:
    """The need's page in every format, SPARQL, the dump and search: no personal data."""
    for media in FORMATS:
        no_trace(fetch(base + need_path, media), f"{need_path} as {media}")
    graph = "https://w3id.org/cckg/graph/submissions/needs"
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    no_trace(fetch(f"{base}/sparql?query={urllib.parse.quote(query)}", "text/turtle"), "/sparql")
    no_trace(fetch(f"{base}/dumps/all.nq.gz", "application/n-quads"), "/dumps/all.nq.gz")
    search = fetch(f"{base}/api/search?q=zonas+escolas+Curitiba", "application/json")
    assert need_path.rsplit("/", 1)[-1] in search
    no_trace(search, "/api/search")


def test_the_whole_mediation_loop(site, chromium):
    started = time.monotonic()
    base, inbox = site["base"], site["inbox"]
    requester = chromium.new_context(locale="pt-BR")
    page = requester.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    # 1. A Portuguese need, written on the match page, then submitted from there.
    page.goto(f"{base}/match?lang=pt")
    page.locator("#text").fill(NEED)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/match\?"))
    assert page.locator("li.result").count() >= 1
    page.get_by_role("link", name="Enviar esta necessidade").click()
    page.wait_for_url(re.compile(r"/needs/new\?"))
    assert page.locator("#text").input_value().startswith("Precisamos de zonas 30")
    assert page.locator("input[name=themes]:checked").count() >= 1  # suggested from the text
    page.locator("#city").fill("Curit")
    page.wait_for_selector("#city-list option", state="attached", timeout=60000)  # the autocomplete
    page.locator("#city").fill("Curitiba, BR")
    page.locator("input[name=languages][value=pt]").check()
    page.locator("#name").fill(NAME)
    page.locator("#email").fill(EMAIL)
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Enviar", exact=True).click()
    page.wait_for_selector("text=Verifique o seu e-mail")

    # 2. The confirmation link from the e-mail the SMTP server received.
    confirm_mail = inbox.wait(EMAIL)
    assert confirm_mail["Subject"] == "Confirme o seu endereço de e-mail"
    page.goto(base + link(confirm_mail, "confirm"))
    page.get_by_role("button", name="Confirmar").click()
    page.wait_for_selector("text=Confirmado")

    # 3. A moderator logs in and approves.
    moderator = chromium.new_context(locale="en-GB")
    mod = moderator.new_page()
    mod.goto(f"{base}/review?lang=en")
    mod.wait_for_url(re.compile(r"/login"))
    mod.locator("#username").fill("moderadora")
    mod.locator("#password").fill(PASSWORD)
    mod.get_by_role("button", name="Log in").click()
    mod.wait_for_url(re.compile(r"/review(\?|$)"))
    mod.locator("ol.queue a").first.click()
    assert EMAIL not in mod.content()
    mod.get_by_role("button", name="Approve and publish").click()
    mod.wait_for_selector("text=Published.")
    need_path = mod.locator("main a[href^='/id/need/']").get_attribute("href")

    # 4. Public, without personal data, in every format, SPARQL, dumps and search.
    public_probes(base, need_path)

    # 5. The requester (their status link from the e-mail) asks BHTrans, the institution
    #    behind Belo Horizonte's 30 km/h zones, for an introduction.
    published = inbox.wait(EMAIL, 2)
    page.goto(base + link(published, "status"))
    assert page.locator("ol.timeline li.done").count() >= 3
    page.goto(f"{base}/id/solution/belo-horizonte-zona-30")
    page.locator("section.entity a[href='/id/institution/bhtrans']").click()
    page.wait_for_url(re.compile(r"/id/institution/bhtrans"))
    page.get_by_role("link", name="Pedir uma apresentação").click()
    page.wait_for_url(re.compile(r"/introductions/new"))
    assert page.locator("input[name=choice][value^='own:']").is_checked()
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Enviar o pedido").click()
    page.wait_for_selector("text=Pedido enviado")

    # 6. The contact accepts from the e-mail link; both get one introduction e-mail.
    request = inbox.wait(CONTACT)
    assert NAME not in request.get_content() and EMAIL not in request.get_content()
    contact = chromium.new_context(locale="en-GB").new_page()
    contact.goto(base + link(request, "introductions/answer"))
    contact.get_by_role("button", name="Accept the introduction").click()
    contact.wait_for_selector("text=Thank you")
    intro = inbox.wait(EMAIL, 3)
    assert inbox.wait(CONTACT, 2)["Message-ID"] == intro["Message-ID"]
    assert {a.addr_spec for a in intro["To"].addresses} == {EMAIL, CONTACT}
    assert EMAIL in intro.get_content() and CONTACT in intro.get_content()

    # 7. The follow-up (as 31 days later) and the outcome.
    from cckg.webapp.mediation import get_mediation

    med = get_mediation(site["app"])
    real_clock = med.ctx.clock
    med.ctx.clock = lambda: real_clock() + timedelta(days=31)
    try:
        assert med.run_followup()["asked"] == 1
    finally:
        med.ctx.clock = real_clock
    page.goto(base + link(inbox.wait(EMAIL, 4), "outcome"))
    page.get_by_role("button", name="Um projeto começou").click()
    page.wait_for_selector("text=Obrigado!")
    counts = fetch(f"{base}/api/outcomes", "application/json")
    assert '"project":1' in counts.replace(" ", "")

    # 8. The requester erases their data: nothing of them remains but the audit entry.
    page.goto(base + link(confirm_mail, "my-data"))
    assert EMAIL in page.content()
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name="Apagar os meus dados").click()
    page.wait_for_selector("text=Os seus dados foram apagados.")
    raw = site["db"].read_bytes()
    for secret in (NAME, EMAIL):
        assert secret.encode() not in raw, f"{secret!r} still in the workflow database"
    with sqlite3.connect(site["db"]) as con:
        audit = con.execute(
            "SELECT actor, action, subject, detail FROM audit WHERE action = 'erased'"
        ).fetchall()
    assert audit and all(NAME not in str(row) and EMAIL not in str(row) for row in audit)
    public_probes(base, need_path)
    no_trace(fetch(f"{base}/explore"), "/explore")
    assert errors == [], errors
    for ctx in (requester, moderator, contact.context):
        ctx.close()
    print(f"\nthe whole mediation loop took {time.monotonic() - started:.1f} s")
