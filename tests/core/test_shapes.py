"""SHACL shapes: they are valid SHACL, and every node shape has conforming and violating examples.

Examples live in tests/data/shapes/{valid,invalid}/<kind>-<what>.ttl; <kind> is the IRI kind of
the focus class (city, project-idea, ...) or ``private`` for the private contact graph.
invalid/expected.json records, per file, the English message fragment, the sh:resultPath and
the focus node of the single rule the file breaks. Every violation of an invalid file must be
that rule, so an example cannot pass by breaking something else by accident.

Validation as documented at the top of shapes/cckg-shapes.ttl: the example is the data graph,
ontology/cckg.ttl the ont_graph (pyshacl copies its class axioms and controlled values into a
clone of the data), no inference. Linked nodes are described in the example itself, since
sh:class looks only at the data graph.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, SH

from tests import ROOT

ONTOLOGY = ROOT / "ontology" / "cckg.ttl"
PUBLIC_SHAPES = ROOT / "shapes" / "cckg-shapes.ttl"
PRIVATE_SHAPES = ROOT / "shapes" / "private-shapes.ttl"
EXAMPLES = ROOT / "tests" / "data" / "shapes"
EXPECTED = json.loads((EXAMPLES / "invalid" / "expected.json").read_text(encoding="utf-8"))
SHACL_SHACL = Path(pyshacl.__file__).parent / "assets" / "shacl-shacl.ttl"
CCKG = Namespace("https://w3id.org/cckg/def/cckg#")

VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.ttl"))


def _parse(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return _parse(ONTOLOGY)


@pytest.fixture(scope="session")
def shapes() -> dict[str, Graph]:
    return {"public": _parse(PUBLIC_SHAPES), "private": _parse(PRIVATE_SHAPES)}


def _shapes_for(example: Path, shapes: dict[str, Graph]) -> Graph:
    return shapes["private" if example.name.startswith("private-") else "public"]


def _validate(example: Path, shapes: dict[str, Graph], ontology: Graph) -> tuple[bool, Graph]:
    conforms, results, _text = pyshacl.validate(
        _parse(example),
        shacl_graph=_shapes_for(example, shapes),
        ont_graph=ontology,
        inference="none",
    )
    return bool(conforms), results


def _kind(cls: URIRef) -> str:
    """cckg:ProjectIdea -> project-idea: the IRI kind, used as example file prefix."""
    local = str(cls).rsplit("#", 1)[1]
    return re.sub(r"(?<!^)(?=[A-Z])", "-", local).lower()


def _messages(graph: Graph, node: URIRef | BNode, predicate: URIRef) -> dict[str, list[str]]:
    by_lang: dict[str, list[str]] = {}
    for m in graph.objects(node, predicate):
        assert isinstance(m, Literal), f"{node}: message {m!r} is not a literal"
        by_lang.setdefault(m.language or "", []).append(str(m))
    return by_lang


def _result_messages(results: Graph, result: BNode, shapes: Graph) -> dict[str, list[str]]:
    """Result messages by language.

    pyshacl 0.40 drops the language tag of SPARQL-constraint messages when it fills in
    {?value}; such untagged messages get the language of the template they were made from.
    """
    by_lang = _messages(results, result, SH.resultMessage)
    untagged = by_lang.pop("", [])
    constraint = results.value(result, SH.sourceConstraint)
    templates = _messages(shapes, constraint, SH.message) if constraint is not None else {}
    for text in untagged:
        for lang, (template,) in templates.items():
            parts = re.split(r"\{[?$]\w+\}", template)
            if re.fullmatch(".+?".join(re.escape(x) for x in parts), text):
                by_lang.setdefault(lang, []).append(text)
                break
        else:
            by_lang.setdefault("", []).append(text)
    return by_lang


# ---------------------------------------------------------------- the shapes themselves


@pytest.mark.slow
@pytest.mark.parametrize("path", [PUBLIC_SHAPES, PRIVATE_SHAPES], ids=lambda p: p.name)
def test_shapes_conform_to_shacl_shacl(path: Path) -> None:
    conforms, _results, text = pyshacl.validate(
        _parse(path), shacl_graph=_parse(SHACL_SHACL), inference="none"
    )
    assert conforms, text


def test_every_target_class_exists_in_ontology(shapes: dict[str, Graph], ontology: Graph) -> None:
    targets = {c for g in shapes.values() for c in g.objects(None, SH.targetClass)}
    assert targets, "no sh:targetClass found"
    missing = {t for t in targets if (t, RDF.type, OWL.Class) not in ontology}
    assert not missing


def test_every_cckg_term_in_the_shapes_exists_in_the_ontology(
    shapes: dict[str, Graph], ontology: Graph
) -> None:
    """Catches typos such as cckg:Municipality in sh:in, which would reject every value."""
    declared = {s for s in ontology.subjects(RDF.type, None) if str(s).startswith(str(CCKG))}
    used = {
        t
        for g in shapes.values()
        for triple in g
        for t in triple
        if isinstance(t, URIRef) and str(t).startswith(str(CCKG))
    }
    assert used and not used - declared


def test_every_class_used_by_data_has_a_node_shape(shapes: dict[str, Graph]) -> None:
    wanted = {"City", "Country", "Region", "Institution", "Practitioner", "Solution", "Theme"}
    wanted |= {"Event", "ProjectIdea", "Need", "Offer"}
    targets = set(shapes["public"].objects(None, SH.targetClass))
    assert {CCKG[c] for c in wanted} <= targets


def test_every_constraint_has_english_and_german_message(shapes: dict[str, Graph]) -> None:
    node_level = (SH.nodeKind, SH.pattern, SH.closed, SH["class"], SH.datatype, SH["in"])
    for name, g in shapes.items():
        needs_message = set(g.subjects(RDF.type, SH.PropertyShape))
        needs_message |= set(g.subjects(RDF.type, SH.SPARQLConstraint))
        needs_message |= {
            s for p in node_level for s in g.subjects(p, None) if (s, RDF.type, SH.NodeShape) in g
        }
        assert needs_message
        for node in needs_message:
            langs = _messages(g, node, SH.message)
            assert len(langs.get("en", [])) == 1 and len(langs.get("de", [])) == 1, (name, node)
            assert set(langs) == {"en", "de"}, (name, node)


def test_every_node_shape_has_valid_and_invalid_examples(shapes: dict[str, Graph]) -> None:
    kinds = {_kind(c) for c in shapes["public"].objects(None, SH.targetClass)} | {"private"}
    for kind in kinds:
        pattern = re.compile(rf"^{kind}-[a-z0-9-]+\.ttl$")
        assert any(pattern.match(p.name) for p in VALID), f"no valid example for {kind}"
        assert any(pattern.match(p.name) for p in INVALID), f"no invalid example for {kind}"


def test_expected_json_matches_invalid_files() -> None:
    assert set(EXPECTED) == {p.name for p in INVALID}


# ---------------------------------------------------------------- examples


@pytest.mark.parametrize("example", VALID, ids=lambda p: p.stem)
def test_valid_example_conforms(example: Path, shapes: dict[str, Graph], ontology: Graph) -> None:
    conforms, results = _validate(example, shapes, ontology)
    assert conforms, results.serialize(format="turtle")


@pytest.mark.parametrize("example", INVALID, ids=lambda p: p.stem)
def test_invalid_example_fails_with_expected_message(
    example: Path, shapes: dict[str, Graph], ontology: Graph
) -> None:
    expected = EXPECTED[example.name]
    conforms, results = _validate(example, shapes, ontology)
    assert not conforms
    # Top-level results only: nested sh:detail results explain them (e.g. a bad geometry).
    reports = list(results.objects(None, SH.result))
    assert reports
    for r in reports:
        messages = _result_messages(results, r, _shapes_for(example, shapes))
        where = f"{example.name}: {messages}"
        assert len(messages.get("en", [])) == 1, where
        assert expected["message"] in messages["en"][0], where
        assert len(messages.get("de", [])) == 1, where
        path = results.value(r, SH.resultPath)
        assert (str(path) if path is not None else None) == expected["path"], where
        assert str(results.value(r, SH.focusNode)) == expected["focus"], where


# ---------------------------------------------------------------- other engineers' SKOS files


@pytest.mark.parametrize("name", ["themes.ttl", "regions.ttl"])
def test_scheme_files_conform_if_present(name: str, shapes: dict[str, Graph], ontology: Graph):
    path = ROOT / "ontology" / name
    if not path.exists():
        pytest.skip(f"ontology/{name} not written yet")
    conforms, _results, text = pyshacl.validate(
        _parse(path), shacl_graph=shapes["public"], ont_graph=ontology, inference="none"
    )
    assert conforms, text
