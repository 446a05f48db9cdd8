"""User-facing text in Jinja templates that does not go through the message catalogue.

A template is lexed with Jinja's own lexer. Everything outside ``{{ … }}`` and ``{% … %}`` is
HTML; its text nodes and its user-facing attributes (``title``, ``alt``, ``placeholder``,
``aria-label``, ``label``) must hold no words, except inside ``{% trans %}`` blocks and
``<script>``, ``<style>``, ``<pre>``, ``<code>`` and ``<textarea>`` elements (code or the
reader's own text, not prose). String literals
inside tags that read like prose (two words or more) must be arguments of ``_()``,
``gettext()`` or ``ngettext()``. Words that are the same in every language (brand and format
names) are allowed: :data:`ALLOWED`; so are words of one or two letters (language codes).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

# Names that stay as they are in every language: brands, standards, formats, units.
ALLOWED = frozenset(
    """cckg SPARQL YASGUI GeoNames JSON JSON-LD Turtle RDF RDF/XML N-Triples N-Quads TriG CSV
    TSV XML HTML GraphML GeoJSON VoID DCAT SHACL OWL SKOS PROV-O IRI IRIs API CC BY SDG ISO
    OpenAPI Wikidata SELECT ASK CONSTRUCT DESCRIBE BibTeX RIS CSL-JSON
    CHANGELOG.md changes.json SHA-256""".split()
)
ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label", "label"})
CODE = frozenset({"script", "style", "pre", "code", "textarea"})
MARK = " "  # where a {{ … }} or {% … %} stood
WORD = re.compile(r"[^\W\d_][\w'’.-]*")
TRANSLATING = frozenset({"_", "gettext", "ngettext", "N_", "lazy_gettext"})


PATH = re.compile(r"(?:https?:/)?/\S*")  # /sparql, /api/search: addresses, not words
ATTRIBUTE = re.compile(r"[\w-]+=\"[^\"]*\"")  # markup a macro writes into a tag


def _words(text: str) -> list[str]:
    text = ATTRIBUTE.sub(" ", PATH.sub(" ", text))
    return [w.strip(".-'’") for w in WORD.findall(text)]


def untranslated(text: str) -> list[str]:
    """Words of ``text`` that a translator would have to translate."""
    return [w for w in _words(text) if len(w) > 2 and w not in ALLOWED]


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CODE:
            self.code += 1
        for name, value in attrs:
            if name in ATTRIBUTES and value and untranslated(value):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in CODE and self.code:
            self.code -= 1

    def handle_data(self, data: str) -> None:
        if not self.code and untranslated(data):
            self.found.append(" ".join(data.split()))


def _prose(literal: str) -> bool:
    return len(untranslated(literal)) >= 2 and " " in literal


def scan(path: Path, env: Environment | None = None) -> list[str]:
    """The untranslated text of one template, as short excerpts."""
    env = env or Environment(extensions=["jinja2.ext.i18n"])
    html: list[str] = []
    found: list[str] = []
    in_trans = False
    previous: list[tuple[str, str]] = []  # the tokens of the current tag
    for _line, kind, value in env.lex(path.read_text(encoding="utf-8")):
        if kind in ("block_begin", "variable_begin"):
            previous = []
            continue
        if kind in ("block_end", "variable_end"):
            names = [v for k, v in previous if k == "name"]
            if kind == "block_end" and names[:1] == ["trans"]:
                in_trans = True
            elif kind == "block_end" and names[:1] == ["endtrans"]:
                in_trans = False
            elif not in_trans and names[:1] not in (["set"], ["from"], ["import"]):
                html.append(MARK)
            previous = []
            continue
        if kind == "data":
            if not in_trans:
                html.append(value)
            continue
        if kind == "comment" or kind.startswith("comment") or kind.startswith("raw"):
            continue
        if kind == "string" and _prose(value) and not _translated(previous):
            found.append(f"'{value}'")
        previous.append((kind, value))
    parser = _Html()
    parser.feed("".join(html))
    parser.close()
    return parser.found + found


def _translated(tokens: list[tuple[str, str]]) -> bool:
    """Whether a string literal that follows ``tokens`` (in one tag) is inside a call of a
    translating function: the nearest unclosed ``(`` comes right after one of their names."""
    depth = 0
    for i in range(len(tokens) - 1, -1, -1):
        kind, value = tokens[i]
        if kind == "operator" and value == ")":
            depth += 1
        elif kind == "operator" and value == "(":
            if depth == 0:
                return (
                    i > 0
                    and tokens[i - 1] == ("name", tokens[i - 1][1])
                    and (tokens[i - 1][1] in TRANSLATING)
                )
            depth -= 1
    return False
