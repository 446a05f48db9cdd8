"""Nothing a user reads escapes the catalogue: the sources extract to exactly the committed
template, every language translates every message (each plural form too, with the same
placeholders), and the templates hold no untranslated prose (tests/support/template_text.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from cckg.core import i18n
from tests import ROOT
from tests.support.template_text import scan, untranslated

KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "lazy_gettext": None,
}
TEMPLATES = sorted((ROOT / "cckg" / "webapp" / "templates").glob("*.html"))
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w*)\}")


def _template_ids() -> set[str]:
    with (i18n.CATALOGUE / "messages.pot").open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def _extracted_ids() -> set[str]:
    method_map, options_map = parse_mapping_cfg((ROOT / "babel.cfg").open())
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_template_holds_what_the_sources_ask_for():
    """A string wrapped in _() since the last `make i18n` would show in English everywhere."""
    missing = sorted(_extracted_ids() - _template_ids())
    assert not missing, f"run make i18n and translate: {missing[:10]}"


@pytest.mark.parametrize("lang", i18n.LANGUAGES[1:])
def test_every_message_and_plural_form_is_translated(lang):
    path = i18n.CATALOGUE / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalogue = read_po(f, locale=lang)
    wanted = _template_ids()
    gaps, bad = [], []
    for m in catalogue:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if key in wanted and (m.fuzzy or not all(strings)):
            gaps.append(key)
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        names = {a or b for i in ids for a, b in PLACEHOLDER.findall(i)}
        for s in strings:
            if s and {a or b for a, b in PLACEHOLDER.findall(s)} - names:
                bad.append((key, s))
    have = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    gaps += sorted(wanted - have)
    assert not gaps, f"{lang}: untranslated {gaps[:10]}"
    assert not bad, f"{lang}: placeholders not in the English message {bad[:5]}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_has_no_untranslated_text(path: Path):
    assert scan(path) == [], f"{path.name}: wrap these in _(): {scan(path)[:8]}"


def test_the_scanner_finds_untranslated_text(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<h1>{{ _('Fine') }}</h1><p>Plain words here</p>"
        '<input placeholder="type a city">{{ x or "two words" }}'
        "<code>SELECT ?x WHERE</code>{% trans %}Inside trans{% endtrans %}"
        "{{ _('also %(n)s fine', n=format_number(3)) }} GeoNames JSON-LD /sparql",
        encoding="utf-8",
    )
    found = scan(page)
    assert found == ["Plain words here", 'placeholder="type a city"', "'\"two words\"'"]
    assert untranslated("SPARQL, Turtle · /api/search") == []


# ---------------------------------------------------------------- pages (test client)


def test_home_counts_in_plain_words_and_local_digits(client):
    html = client.get("/?lang=de").get_data(as_text=True)
    assert re.search(r">\d+ erprobte Lösungen<", html)
    assert re.search(r">\d+ Städte<", html) and "Neueste Veranstaltungen" in html
    for class_name in ("ProjectIdea", "SolutionStatus", "EventFormat", "InstitutionKind"):
        assert f">{class_name}<" not in html
    # four focus areas, each with its entry points
    assert html.count('class="f-card"') == 4
    assert html.count('href="/match?theme=') == 4


def test_match_page_in_arabic(client):
    html = client.get("/match?lang=ar&text=waste+collection&city=Tunis").get_data(as_text=True)
    assert 'lang="ar"' in html and 'dir="rtl"' in html
    assert "ما فهمناه" in html  # What we understood
    assert "project-idea" not in html and "citys" not in html
    assert "Find matches" not in html and "What we understood" not in html
    # an English title quoted in an Arabic reason is isolated
    assert re.search(r"«\s?<bdi>[A-Za-z]", html)


def test_match_errors_name_the_field_in_the_page_language(client):
    r = client.get("/match?lang=fr&text=x&limit=abc")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Veuillez vérifier « Nombre de résultats »" in html
    assert "nombre entier de 1 à" in html


def test_ontology_page_is_inside_the_site(client):
    r = client.get("/def/cckg?lang=pt", headers={"Accept": "text/html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'lang="pt"' in html
    assert 'aria-label="Navegação principal"' in html or "<nav" in html
    assert 'href="/def/cckg"' in html  # the menu links it
    toc = html[html.index('class="toc"') : html.index("</nav>", html.index('class="toc"'))]
    anchors = re.findall(r'href="#(\w+)"', toc)
    assert anchors and len(anchors) == len(set(anchors))  # no term listed twice
    city = html[html.index('id="City"') : html.index("</section>", html.index('id="City"'))]
    assert re.search(r">\d+</a>", city)  # live count
    assert "?thing a cckg:City" in city  # example query
    assert "cckgsh:CityShape" in city  # the shape that constrains it


def test_theme_scheme_shows_counts(client):
    html = client.get("/def/themes?lang=es").get_data(as_text=True)
    assert re.search(r'class="count">\d+ elementos?<', html)


def test_named_query_page_keeps_working_after_a_language_switch(client):
    """The language switcher adds lang= to the page's own parameters."""
    r = client.get(
        "/queries/list_solutions_by_theme?theme=waste-management-circular-economy&lang=ar"
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'lang="ar"' in html and "unknown parameter" not in html
