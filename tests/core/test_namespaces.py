"""cckg/namespaces.py is generated from the ontology, closed, and up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

# Only the module: pytest inspects test-module globals (getattr "_mock_name"), and on rdflib's
# open namespaces such as SDO or GEO that emits a UserWarning.
from cckg.core import namespaces
from cckg.core.namespace_gen import render_namespace_module
from cckg.core.settings import ONTOLOGY_NS
from tests import ROOT

CCKG = namespaces.CCKG


ONTOLOGY = ROOT / "ontology" / "cckg.ttl"


def test_committed_module_matches_a_fresh_generation() -> None:
    committed = (ROOT / "cckg" / "core" / "namespaces.py").read_text(encoding="utf-8")
    assert render_namespace_module(ONTOLOGY) == committed, "run: python -m cckg.core.namespace_gen"


def test_known_terms_resolve() -> None:
    assert CCKG.City == URIRef(ONTOLOGY_NS + "City")
    assert CCKG.periodStart == URIRef(ONTOLOGY_NS + "periodStart")
    assert CCKG["Implemented"] == URIRef(ONTOLOGY_NS + "Implemented")


def test_typo_raises() -> None:
    with pytest.raises(AttributeError):
        CCKG.Ctiy  # noqa: B018
    with pytest.raises(AttributeError):
        CCKG["Ctiy"]


def test_every_declared_term_is_in_the_namespace() -> None:
    g = Graph().parse(ONTOLOGY, format="turtle")
    declared = {str(s) for s in g.subjects(RDF.type, None) if str(s).startswith(ONTOLOGY_NS)}
    assert declared
    for iri in declared:
        assert iri[len(ONTOLOGY_NS) :] in CCKG, iri


def test_other_prefixes() -> None:
    assert str(namespaces.SDO) == "https://schema.org/"
    assert str(namespaces.GEO) == "http://www.opengis.net/ont/geosparql#"
    assert namespaces.SDG["11"] == URIRef("http://metadata.un.org/sdg/11")
    shape = namespaces.CCKGSH.SolutionShape
    assert shape == URIRef("https://w3id.org/cckg/def/shapes#SolutionShape")
    assert not str(namespaces.CCKGSH).startswith(ONTOLOGY_NS), "shapes need their own namespace"
    for name in namespaces.__all__:
        assert getattr(namespaces, name) is not None


def test_generator_handles_non_identifier_names(tmp_path: Path) -> None:
    onto = tmp_path / "o.ttl"
    onto.write_text(
        f"@prefix c: <{ONTOLOGY_NS}> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'c:Good a owl:Class ; rdfs:label "Good thing"@en .\n'
        f"<{ONTOLOGY_NS}has-hyphen> a owl:ObjectProperty .\n"
        f"<{ONTOLOGY_NS}class> a owl:ObjectProperty .\n",
        encoding="utf-8",
    )
    text = render_namespace_module(onto)
    assert "    Good: URIRef  # Good thing\n" in text
    assert '_extras = ["class", "has-hyphen"]' in text
    module: dict[str, object] = {}
    exec(compile(text, "generated", "exec"), module)  # noqa: S102 - our own generated code
    ns = module["CCKG"]
    assert ns["has-hyphen"] == URIRef(ONTOLOGY_NS + "has-hyphen")  # type: ignore[index]
