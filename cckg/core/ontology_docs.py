"""HTML documentation of the ontology, rendered with pyLODE (OntPub profile), offline.

Five pyLODE 3.4.1 quirks are handled here:
- ``import pylode`` fails in a wheel install: ``pylode/version.py`` reads a pyproject.toml that
  is not shipped (RDFLib/pyLODE#260). We provide the version module from the package metadata.
- importing pylode runs ``logging.basicConfig(level=DEBUG)`` (profiles/supermodel/loader.py),
  which would switch on DEBUG logging for the whole process; we undo that right after import.
- OntPub is monolingual: with en and de labels it prints "SolutionLösung" and picks either
  title. We hand it a copy of the ontology reduced to one language.
- ``make_html()`` leaves its stylesheet file open (a ResourceWarning).
- fragment ids come from labels, not from the term IRIs' local names (fixed below).
Given a file path, pyLODE's loader calls ``exit()`` on a parse error, so we parse with rdflib
and pass the Graph. Nothing is cached here; pyLODE itself pickles its background vocabularies
inside its package directory on first use.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import sys
import types
import warnings
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef

from cckg.core.settings import ONTOLOGY_NS


def render_ontology_html(path: Path, lang: str = "en") -> str:
    """The ontology at ``path`` as a standalone HTML page, in language ``lang`` ("en", "de")."""
    graph = Graph().parse(path, format="turtle")
    ontpub = _ontpub_class()
    with warnings.catch_warnings():
        # make_html() reads its stylesheet with a bare open(): a ResourceWarning that becomes an
        # error under -W error. (catch_warnings is process-wide: render at start-up, not per
        # request in threads.)
        warnings.simplefilter("ignore", ResourceWarning)
        doc = ontpub(ontology=_one_language(graph, lang))
        # pyLODE makes fragment ids from labels ("Eventformat", "Lsung" for "Lösung"); seeding
        # its id table with local names makes cckg#EventFormat land on its section in any
        # language, and keeps the ids stable.
        doc.fids.update(_fragment_ids(graph))
        html = doc.make_html()
    return str(html)


def _fragment_ids(graph: Graph) -> dict[str, str]:
    return {
        str(s): str(s)[len(ONTOLOGY_NS) :]
        for s in set(graph.subjects())
        if isinstance(s, URIRef) and str(s).startswith(ONTOLOGY_NS) and len(s) > len(ONTOLOGY_NS)
    }


def _one_language(graph: Graph, lang: str) -> Graph:
    """A copy without other-language literals where a value in ``lang`` exists.

    Values only available in other languages (e.g. a Spanish-only note) are kept.
    """

    def matches(literal: Literal) -> bool:
        tag = (literal.language or "").lower()
        return tag == lang or tag.startswith(lang + "-")

    has_lang = {(s, p) for s, p, o in graph if isinstance(o, Literal) and o.language and matches(o)}
    out = Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace)
    for s, p, o in graph:
        if isinstance(o, Literal) and o.language and not matches(o) and (s, p) in has_lang:
            continue
        out.add((s, p, o))
    return out


def _ontpub_class() -> Any:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        try:
            module = importlib.import_module("pylode.profiles.ontpub")
        except FileNotFoundError:
            version = types.ModuleType("pylode.version")
            version.__version__ = importlib.metadata.version("pylode")  # type: ignore[attr-defined]
            sys.modules["pylode.version"] = version
            module = importlib.import_module("pylode.profiles.ontpub")
    finally:
        root.setLevel(level)
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
    return module.OntPub
