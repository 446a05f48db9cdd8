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
