"""Entity pages per kind (issue 16 part B): each page answers what a visitor comes for (who can
help with a need, what an event led to, …) above the collapsed linked-data table; through the
Flask test client on the demo store (the real curated data)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from rdflib import URIRef

from cckg.core.namespaces import CCKG
from cckg.webapp.kind_pages import useful_names
from tests.core.test_queries import rdflib_dataset  # noqa: F401 (fixture)

BASE = "https://w3id.org/cckg/"
NEED = "/id/need/2020-amman-community-land-use-plan"
UNCERTAIN_NEED = "/id/need/2020-rostock-land-management-strategy"
OFFER = "/id/offer/belo-horizonte-zona-30"
EVENT = "/id/event/2017-bremen-sustainable-urban-mobility"
INSTITUTION = "/id/institution/city-of-belo-horizonte"
THEME = "/id/theme/land-management"
AMMAN = "/id/city/250441"
KIND_PAGES = [NEED, OFFER, EVENT, INSTITUTION, THEME, AMMAN]


def page(client, path: str, lang: str = "en") -> str:
    resp = client.get(f"{path}?lang={lang}")
    assert resp.status_code == 200, path
    return resp.get_data(as_text=True)


def section(html: str, kind: str) -> str:
    m = re.search(rf'<section class="kind-section kind-{kind}".*?</section>', html, re.S)
    assert m, f"no {kind} section"
    return m.group(0)


def items(html: str, list_class: str) -> list[str]:
    m = re.search(rf'<ol class="{list_class}">(.*?)\n</ol>', html, re.S)
    assert m, list_class
    return re.findall(r"\n  <li>(.*?)\n  </li>", m.group(1), re.S)


def texts(fragment: str, tag_class: str) -> list[str]:
    m = re.search(rf'<ul class="{tag_class}">(.*?)</ul>', fragment, re.S)
    return [unescape(t) for t in re.findall(r"<li>(.*?)</li>", m.group(1))] if m else []


def test_need_page_lists_helpers_with_reasons_and_an_introduction_link(client):
    html = page(client, NEED)
    helpers = items(section(html, "need"), "kind-results")
    assert len(helpers) >= 3
    kinds = set()
    for h in helpers:
        kinds.add(re.search(r'<span class="kind">(.*?)</span>', h).group(1))
        assert texts(h, "reasons"), h
        link = re.search(r'<a class="introduce" href="([^"]+)"', h)
        assert link, h
        query = parse_qs(urlsplit(unescape(link.group(1))).query)
        assert query["need"] == [BASE + NEED[1:]]
        assert query["counterpart"][0].startswith(BASE + "id/")
        assert client.get(unescape(link.group(1))).status_code == 200  # the form opens
    assert {"Good practice", "Institution"} <= kinds
    # the linked-data table is still there, collapsed below
    assert '<details class="linked-data">' in html and 'id="props"' in html


def test_need_reasons_are_in_the_ui_language(client):
    en = [texts(h, "reasons") for h in items(section(page(client, NEED), "need"), "kind-results")]
    de_html = page(client, NEED, "de")
    de = [texts(h, "reasons") for h in items(section(de_html, "need"), "kind-results")]
    assert len(en) == len(de)
    assert en[0] != de[0]
    assert "Wer helfen kann" in de_html


def test_offer_page_lists_needs_it_could_serve(client):
    sec = section(page(client, OFFER), "offer")
    needs = items(sec, "kind-results")
    assert needs
    for n in needs:
        assert re.search(r'href="/id/need/', n) and texts(n, "reasons")
    assert 'href="/id/solution/belo-horizonte-zona-30"' in sec  # based on
    assert 'href="/id/institution/city-of-belo-horizonte"' in sec  # offered by


def test_event_page_shows_facts_participants_and_the_idea_to_solution_chain(client):
    html = page(client, EVENT)
    sec = section(html, "event")
    dates = re.search(r"<dt>Date</dt><dd>(.*?)</dd>", sec).group(1)
    assert "June 19" in dates and "June 21" in dates and "2017" in dates
    assert 'href="/id/city/2944388"' in sec  # Bremen hosts
    assert 'href="/id/institution/city-of-bremen"' in sec
    assert 'href="/id/country/br"' in sec and 'href="/id/country/za"' in sec
    chain = re.search(r'<li class="chain">(.*?)</li>', sec, re.S).group(1)
    idea = chain.index('href="/id/project-idea/2017-belo-horizonte-30-kmh-zones"')
    status = chain.index('class="step status">implemented')
    solution = chain.index('href="/id/solution/belo-horizonte-zona-30"')
    assert idea < status < solution


def test_institution_page_lists_its_work(client):
    sec = section(page(client, INSTITUTION), "institution")
    assert 'href="/id/solution/belo-horizonte-zona-30"' in sec
    assert 'href="/id/offer/belo-horizonte-green-commuters"' in sec


def test_theme_page_shows_the_tree_counts_and_content(client):
    sec = section(page(client, THEME), "theme")
    assert 'href="/id/theme/good-urban-governance"' in sec  # broader
    counts = dict(re.findall(r"<li>([^<:]+): <strong>(\d+)</strong></li>", sec))
    assert int(counts["Good practices"]) >= 2 and int(counts["Open needs"]) >= 2
    assert 'href="/id/need/2020-amman-community-land-use-plan"' in sec
    assert 'href="/id/practitioner/example-layla-namudhaj"' in sec
    assert "fictional example" in sec


def test_city_page_collapses_aliases_and_lists_similar_cities(client):
    sec = section(page(client, AMMAN), "city")
    shown = texts(sec.split('<details class="more-names">')[0], "names")
    assert "عمان" in [re.sub(r"</?bdi>", "", n) for n in shown]
    assert len(shown) <= 6
    more = re.search(r'<details class="more-names">(.*?)</details>', sec, re.S)
    assert more and more.group(1).count("<li>") > 20  # the rest, collapsed
    assert 'href="/id/need/2020-amman-community-land-use-plan"' in sec
    assert 'href="/id/offer/amman-urban-gardens"' in sec
    similar = re.search(r'<ul class="similar">(.*?)\n  </ul>', sec, re.S).group(1)
    assert similar.count('href="/id/city/') >= 3
    assert "same world region" in similar


def test_useful_names_rule():
    from rdflib import Literal

    names = [Literal(n) for n in ("Amman", "Ammān", "عمان", "عَمّان", "عمّان", "ئاممان", "Амман")]
    names += [Literal("Amã", lang="pt"), Literal("アンマン", lang="ja")]
    shown, rest = useful_names(names, "Amman", {"ar", "en"})
    assert "عمان" in shown and "Amã" in shown
    assert "アンマン" in rest and "Амман" in rest and "Ammān" in rest
    assert "Amman" not in shown + rest  # the label itself
    shown, rest = useful_names([Literal("Амман")], "Amman", {"ru"})
    assert shown == ["Амман"]


def test_uncertain_records_carry_a_notice_not_a_raw_row(client):
    html = page(client, UNCERTAIN_NEED)
    assert '<p class="uncertain" role="note">' in html
    assert str(CCKG.uncertain) not in html.split("<details")[0]
    props = html.split('id="props"')[1].split("</table>")[0]
    assert "#uncertain" not in props
    assert '<p class="uncertain"' not in page(client, NEED)


@pytest.fixture(scope="module")
def contact_values(demo_store) -> list[str]:
    rows = demo_store.select(
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
        {"g": URIRef("https://w3id.org/cckg/graph/private")},
        dataset="all",
    )
    values = [str(r["o"]) for r in rows if "@" in str(r["o"]) or str(r["o"]).startswith("+")]
    assert len(values) >= 5  # the fixture really holds e-mail addresses and phone numbers
    return values


@pytest.mark.parametrize("path", [*KIND_PAGES, "/id/institution/greater-amman-municipality"])
def test_no_email_or_phone_on_kind_pages(client, contact_values, path):
    for lang in ("en", "ar"):
        html = page(client, path, lang)
        for value in contact_values:
            assert value not in html, f"{value} on {path}"
        assert "mailto:" not in html and 'href="tel:' not in html
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", html), path


@pytest.mark.parametrize("lang", ["de", "es", "fr", "pt", "ar"])
def test_sections_render_in_every_ui_language(client, lang):
    for path in KIND_PAGES:
        html = page(client, path, lang)
        assert 'class="kind-section' in html
        assert "Linked data: all properties" not in html  # translated


KIND_QUERIES = [
    ("list_need_context", NEED),
    ("list_offer_context", OFFER),
    ("list_event_facts", EVENT),
    ("list_event_ideas", EVENT),
    ("list_institution_work", INSTITUTION),
    ("list_theme_content", THEME),
    ("list_city_content", AMMAN),
    ("get_city_country", AMMAN),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,path", KIND_QUERIES, ids=[q for q, _ in KIND_QUERIES])
def test_kind_queries_give_the_same_rows_with_values_on_rdflib(
    demo_store,
    rdflib_dataset,  # noqa: F811 (the fixture imported above)
    name,
    path,
):
    """The helper queries bind ``?this``: pyoxigraph's substitutions and the VALUES block a
    remote store gets (``inject_values``, here run by rdflib) give the same rows."""
    from cckg.core.queries import helper
    from cckg.core.sparql_text import inject_values
    from tests.core.test_queries import _rows

    text = helper(f"pages/kinds/{name}")
    bindings = {"this": URIRef(BASE + path[1:])}
    ours = demo_store.select(text, bindings)
    theirs = [
        {str(k): v for k, v in r.asdict().items()}
        for r in rdflib_dataset.query(inject_values(text, bindings))
    ]
    variables = sorted({k for r in ours + theirs for k in r})
    assert ours and _rows(variables, ours) == _rows(variables, theirs)


def test_warm_up_matches_every_need_and_offer_ahead(demo_store):
    """``cckg serve`` warms the pages' per-version data, so no need page waits for the matcher."""
    from cckg.webapp import caching, create_app, kind_pages

    app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": demo_store})
    n = kind_pages.warm_up(app)
    rows = demo_store.select(
        f"SELECT ?t WHERE {{ {{ ?t a <{CCKG.Need}> }} UNION {{ ?t a <{CCKG.Offer}> }} }}"
    )
    assert n == len(rows) >= 20
    kept = caching.version_cache(app)
    assert f"kinds:need:{BASE}{NEED[1:]}" in kept and f"kinds:offer:{BASE}{OFFER[1:]}" in kept
    assert "kinds:active-cities" in kept


def test_event_chain_names_the_open_need_an_idea_left(client):
    sec = section(page(client, "/id/event/2020-trier-land-management"), "event")
    chains = re.findall(r'<li class="chain">(.*?)</li>', sec, re.S)
    rostock = next(c for c in chains if "2020-rostock-land-management-strategy" in c)
    assert 'class="step status">idea' in rostock
    assert 'href="/id/need/2020-rostock-land-management-strategy"' in rostock
    assert 'class="step solution"' not in rostock  # not realised (yet)
