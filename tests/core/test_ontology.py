"""The OWL ontology: well-formed, documented in English and German, and consistent (HermiT)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from cckg.core.ontology_check import OntologyCheckError, OntologyReport, check_ontology
from cckg.core.settings import ONTOLOGY_NS
from tests import ROOT

ONTOLOGY = ROOT / "ontology" / "cckg.ttl"
FIXTURES = ROOT / "tests" / "data" / "ontology"
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def report() -> OntologyReport:
    return check_ontology(ONTOLOGY)


def _our_terms(g: Graph, *types: URIRef) -> list[URIRef]:
    found = {s for t in types for s in g.subjects(RDF.type, t) if str(s).startswith(ONTOLOGY_NS)}
    return sorted(found, key=str)


def _langs(g: Graph, term: URIRef, predicate: URIRef) -> list[str]:
    return sorted(o.language or "" for o in g.objects(term, predicate) if isinstance(o, Literal))


def test_declares_ontology_with_version_iri(ontology: Graph) -> None:
    onto = URIRef(ONTOLOGY_NS.rstrip("#"))
    assert (onto, RDF.type, OWL.Ontology) in ontology
    version = ontology.value(onto, OWL.versionIRI)
    assert isinstance(version, URIRef) and str(version).startswith(str(onto) + "/")


def test_defines_the_classes_the_data_uses(ontology: Graph) -> None:
    classes = set(_our_terms(ontology, OWL.Class))
    for name in ("City", "Country", "Region", "Institution", "Practitioner", "Solution"):
        assert URIRef(ONTOLOGY_NS + name) in classes
    for name in ("Theme", "Event", "ProjectIdea", "Need", "Offer"):
        assert URIRef(ONTOLOGY_NS + name) in classes


def test_every_class_and_property_has_label_and_comment_in_en_and_de(ontology: Graph) -> None:
    terms = _our_terms(ontology, *TERM_TYPES)
    assert len(terms) > 40
    for term in terms:
        assert _langs(ontology, term, RDFS.label) == ["de", "en"], term
        assert _langs(ontology, term, RDFS.comment) == ["de", "en"], term


def test_every_controlled_value_has_label_in_en_and_de(ontology: Graph) -> None:
    values = _our_terms(ontology, OWL.NamedIndividual)
    assert values
    for value in values:
        assert {"de", "en"} <= set(_langs(ontology, value, RDFS.label)), value


@pytest.mark.slow
def test_real_ontology_is_consistent(report: OntologyReport) -> None:
    assert report.consistent, report.explanation
    assert report.ok, report.unsatisfiable_classes
    assert report.explanation is None
    assert report.classes >= 16 and report.individuals >= 20
    assert report.object_properties >= 15 and report.datatype_properties >= 15


@pytest.mark.slow
def test_counts_match_the_turtle(report: OntologyReport, ontology: Graph) -> None:
    assert report.classes == len(set(ontology.subjects(RDF.type, OWL.Class)))
    assert report.object_properties == len(set(ontology.subjects(RDF.type, OWL.ObjectProperty)))
    assert report.individuals == len(set(ontology.subjects(RDF.type, OWL.NamedIndividual)))


@pytest.mark.slow
def test_disjoint_types_are_reported_inconsistent() -> None:
    result = check_ontology(FIXTURES / "inconsistent.ttl")
    assert not result.consistent and not result.ok
    assert result.explanation is not None
    assert "t:singapore is a t:City (as a t:Capital) and a t:Country" in result.explanation
    assert "disjoint" in result.explanation


@pytest.mark.slow
def test_two_values_of_a_functional_property_are_reported_inconsistent() -> None:
    result = check_ontology(FIXTURES / "inconsistent-functional.ttl")
    assert not result.consistent
    assert result.explanation is not None
    assert "t:bonn has several values of functional t:population" in result.explanation


@pytest.mark.slow
def test_unsatisfiable_class_and_inferred_subclasses_are_reported() -> None:
    result = check_ontology(FIXTURES / "unsatisfiable.ttl")
    assert result.consistent and not result.ok
    assert result.unsatisfiable_classes == ("https://w3id.org/cckg/test/unsatisfiable#CityState",)
    # Capital = City and Seat: HermiT adds Capital subClassOf City and Capital subClassOf Seat.
    assert result.inferred_subclass_axioms == 2


@pytest.mark.slow
def test_hermit_refusal_is_an_error_not_an_inconsistency(tmp_path: Path) -> None:
    bad = tmp_path / "gyear.ttl"
    bad.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "<urn:x> a owl:Ontology .\n"
        "<urn:x#year> a owl:DatatypeProperty ; rdfs:range xsd:gYear .\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyCheckError, match="XMLSchema#gYear"):
        check_ontology(bad)


def test_bad_turtle_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    with pytest.raises(OntologyCheckError, match="broken.ttl"):
        check_ontology(bad)


@pytest.mark.slow
def test_scheme_files_keep_the_ontology_consistent_if_present(report: OntologyReport) -> None:
    extra = [p for p in (ROOT / "ontology").glob("*.ttl") if p.name != "cckg.ttl"]
    if not extra:
        pytest.skip("no SKOS scheme files in ontology/ yet")
    merged = check_ontology(ONTOLOGY, *extra)
    assert merged.consistent, merged.explanation
    assert merged.classes >= report.classes


# ---------------------------------------------------------------- HTML documentation


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to open a network connection."""
    import socket

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the ontology docs must render offline")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.usefixtures("no_network")
def test_html_docs_render_offline_in_english() -> None:
    import logging

    from cckg.core.ontology_docs import render_ontology_html

    level = logging.getLogger().level
    html = render_ontology_html(ONTOLOGY)
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "<title>Connective Cities Knowledge Graph ontology</title>" in html
    assert "https://w3id.org/cckg/def/cckg#Solution" in html
    # Fragment ids are the local names, so every term IRI lands on its section.
    for name in ("Solution", "EventFormat", "periodStart", "city", "City"):
        assert f'id="{name}"' in html, name
    assert "A good practice: a local solution" in html
    assert "Lösung" not in html, "German labels leak into the English page"
    assert logging.getLogger().level == level, "importing pyLODE changed the root logger"


@pytest.mark.slow
@pytest.mark.usefixtures("no_network")
def test_html_docs_in_german() -> None:
    from cckg.core.ontology_docs import render_ontology_html

    html = render_ontology_html(ONTOLOGY, lang="de")
    assert "<title>Ontologie des Connective-Cities-Wissensgraphen</title>" in html
    assert "Eine gute Praxis" in html
    for name in ("Solution", "EventFormat", "periodStart", "startDate", "city", "City"):
        assert f'id="{name}"' in html, name
