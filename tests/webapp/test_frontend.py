"""Server-rendered pages: home, explore, editor, languages, favicon (no browser needed)."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from cckg.core import i18n

MAIN_PAGES = ["/", "/search?q=compost", "/explore", "/editor", "/match", "/queries"]


def test_catalogue_is_complete():
    """Every message of the template (extracted by make i18n) is translated in every
    language, and the compiled catalogues say what the .po files say."""
    with (i18n.CATALOGUE / "messages.pot").open("rb") as f:
        template = read_po(f)
    wanted = {m.id for m in template if m.id}
    for lang in i18n.LANGUAGES[1:]:
        with (i18n.CATALOGUE / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalogue = read_po(f, locale=lang)
        done = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
        assert not sorted(wanted - done)[:10], lang
        for m in catalogue:  # plural messages: tests/webapp/test_i18n.py
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy:
                assert i18n.gettext_in(lang, m.id) == m.string, (lang, m.id)
    assert i18n.gettext_in("de", "Search") == "Suche"
    assert i18n.gettext_in("en", "Search") == "Search"


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_main_pages_render_with_skip_link_and_no_external_assets(client, path):
    r = client.get(path)
    assert r.status_code == 200, path
    html = r.get_data(as_text=True)
    assert 'href="#content"' in html and 'id="content"' in html
    for tag in ("<script src=", '<link rel="stylesheet" href='):
        for chunk in html.split(tag)[1:]:
            assert chunk[1] == "/", f"{path}: external asset {chunk[:60]}"


def test_home_shows_focus_areas_with_counts(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    for slug in (
        "good-urban-governance",
        "local-economic-development",
        "integrated-urban-development",
        "municipal-services",
    ):
        assert f"theme={slug}" in html
    assert 'role="search"' in html


def test_language_from_query_is_remembered_in_cookie(client):
    r = client.get("/?lang=de")
    assert 'lang="de"' in r.get_data(as_text=True)
    assert "lang=de" in r.headers.get("Set-Cookie", "")
    assert "Accept-Language" in r.headers.get("Vary", "")
    again = client.get("/")  # the test client keeps the cookie
    assert "Zum Inhalt springen" in again.get_data(as_text=True)
    client.get("/?lang=en")


def test_accept_language_and_rtl(client):
    fr = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert 'lang="fr"' in fr.get_data(as_text=True)
    ar = client.get("/?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in ar and 'lang="ar"' in ar
    client.get("/?lang=en")


def test_explore_lists_graphs_with_provenance_and_charts(client):
    html = client.get("/explore?lang=en").get_data(as_text=True)
    assert "Graphs and provenance" in html and "sha256:" in html
    assert 'class="bars"' in html and "Solution" in html


def test_editor_has_yasgui_and_plain_fallback(client):
    html = client.get("/editor?example=list_solutions_by_theme").get_data(as_text=True)
    assert "vendor/yasgui/yasgui.min.js" in html
    assert '<form id="plain-editor" method="post" action="/sparql">' in html
    assert "list_solutions_by_theme" in html
    assert client.get("/static/vendor/yasgui/yasgui.min.css").status_code == 200


def test_favicon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"


def test_search_facets_keep_filters_and_show_theme_hierarchy(client):
    html = client.get("/search?q=Kompostierung&lang=de").get_data(as_text=True)
    assert 'data-facet="theme"' in html and 'class="depth-1' in html
    assert "Abfall- und Kreislaufwirtschaft" in html  # a label, not an IRI
    filtered = client.get("/search?q=Kompostierung&kind=solution&lang=en").get_data(as_text=True)
    assert "q=Kompostierung&amp;kind=solution&amp;lang=en&amp;theme=" in filtered
    assert 'aria-current="true"' in filtered


def test_entity_pages_have_kind_sections_and_their_sparql(client):
    solution = client.get("/id/solution/quelimane-mangroves?lang=en").get_data(as_text=True)
    assert 'class="entity entity-solution"' in solution and "/id/city/1028434" in solution
    assert "The SPARQL behind this page" in solution
    city = client.get("/id/city/1028434?lang=en").get_data(as_text=True)
    assert "Coordinates" in city and "-17.8786" in city and "<svg" in city
    assert "/id/solution/quelimane-mangroves" in city


def test_practitioner_is_flagged_and_has_no_contact_data(client):
    html = client.get("/id/practitioner/example-olena-pryklad?lang=en").get_data(as_text=True)
    assert "Fictional example" in html
    assert "mailto:" not in html and "tel:" not in html
