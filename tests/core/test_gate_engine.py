"""The fast SHACL engine (cckg.core.gate.engine) against pySHACL, result for result.

pySHACL is the reference: for every example in tests/data/shapes/ and for a synthetic shapes
graph that uses the supported features our shapes do not (yet), both engines must return the
same top-level results, as (focus node, result path, source shape, English message) and as
the gate's Violation objects (value, German message and severity included). Each fast run is
repeated with every query strategy, which must not change a thing.

The fast engine gets the data graph pySHACL really validates: pySHACL "inoculates" a copy of
the data with the ontology's class axioms and controlled values (ont_graph); we build the same
graph with pySHACL's own function.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyshacl
import pytest
from pyshacl.rdfutil.inoculate import inoculate
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, SH
from rdflib.term import Node

from cckg.core.gate.context import ValidationContext
from cckg.core.gate.engine import (
    CompiledShapes,
    ValidationResult,
    to_violation,
    validate_graph_fast,
)
from cckg.core.gate.model import Location
from cckg.core.gate.pyshacl_check import violations_from
from cckg.core.gate.shapes import class_hierarchy
from cckg.loaders import reference
from tests import ROOT
from tests.support import reference_cities

ONTOLOGY = ROOT / "ontology" / "cckg.ttl"
EXAMPLES = ROOT / "tests" / "data" / "shapes"
ALL_EXAMPLES = sorted((EXAMPLES / "valid").glob("*.ttl")) + sorted(
    (EXAMPLES / "invalid").glob("*.ttl")
)
STRATEGIES = ("auto", "per-focus", "bulk")
CCKG = Namespace("https://w3id.org/cckg/def/cckg#")
RDFS_LABEL = RDFS.label
GEO = Namespace("http://www.opengis.net/ont/geosparql#")


def _locate(node) -> Location:
    return Location("test", record=str(node))


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


@pytest.fixture(scope="module")
def shapes() -> dict[str, Graph]:
    return {
        "public": Graph().parse(ROOT / "shapes" / "cckg-shapes.ttl"),
        "private": Graph().parse(ROOT / "shapes" / "private-shapes.ttl"),
    }


@pytest.fixture(scope="module")
def compiled(shapes: dict[str, Graph]) -> dict[str, CompiledShapes]:
    return {name: CompiledShapes(g) for name, g in shapes.items()}


# ---------------------------------------------------------------- comparing results


def _english(results: Graph, r: Node, shapes: Graph) -> str:
    """pySHACL's English message; its SPARQL messages lose their tag (see cckg-shapes.ttl)."""
    messages = list(results.objects(r, SH.resultMessage))
    tagged = [str(m) for m in messages if m.language == "en"]
    if tagged:
        return tagged[0]
    untagged = [str(m) for m in messages if not m.language]
    constraint = results.value(r, SH.sourceConstraint)
    for template in shapes.objects(constraint, SH.message) if constraint is not None else ():
        if template.language == "en":
            parts = re.split(r"\{[?$]\w+\}", str(template))
            pattern = ".+?".join(re.escape(p) for p in parts)
            for text in untagged:
                if re.fullmatch(pattern, text, re.DOTALL):
                    return text
    return untagged[0] if untagged else ""


def _pyshacl(data: Graph, shapes: Graph, **kwargs) -> tuple[bool, set, set]:
    conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", **kwargs
    )
    report = results.value(predicate=RDF.type, object=SH.ValidationReport, any=True)
    raw = set()
    for r in results.objects(report, SH.result):  # top-level results only
        path = results.value(r, SH.resultPath)
        raw.add(
            (
                str(results.value(r, SH.focusNode)),
                str(path) if path is not None else None,
                str(results.value(r, SH.sourceShape)),
                _english(results, r, shapes),
            )
        )
    violations = {_key(v) for v in violations_from(results, _locate, shapes)}
    return bool(conforms), raw, violations


def _key(v) -> tuple:
    return (v.focus, v.field, v.shape, v.message, v.message_de, v.value, v.severity)


def _fast(results: list[ValidationResult]) -> tuple[set, set]:
    raw = {
        (
            str(r.focus),
            str(r.path) if r.path is not None else None,
            str(r.source_shape),
            r.message("en"),
        )
        for r in results
    }
    return raw, {_key(to_violation(r, _locate)) for r in results}


def _assert_same(expected: tuple[bool, set, set], results: list[ValidationResult], where: str):
    conforms, raw, violations = expected
    fast_raw, fast_violations = _fast(results)
    assert conforms == (not results), where
    assert fast_raw == raw, f"{where}\npySHACL only: {raw - fast_raw}\nfast only: {fast_raw - raw}"
    assert fast_violations == violations, (
        f"{where}\npySHACL only: {violations - fast_violations}\n"
        f"fast only: {fast_violations - violations}"
    )


# ---------------------------------------------------------------- the example files


@pytest.mark.slow
@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_example_agrees_with_pyshacl(example: Path, shapes, compiled, ontology) -> None:
    which = "private" if example.name.startswith("private-") else "public"
    data = Graph().parse(example)
    expected = _pyshacl(data, shapes[which], ont_graph=ontology)
    assert expected[0] == (example.parent.name == "valid")
    seen_by_pyshacl = inoculate(Graph() + data, ontology)
    for strategy in STRATEGIES:
        results = compiled[which].validate(
            seen_by_pyshacl, restrict_to_subjects=False, strategy=strategy
        )
        _assert_same(expected, results, f"{example.name} ({strategy})")


# ---------------------------------------------------------------- 2,000 GeoNames cities


@pytest.fixture(scope="module")
def cities() -> Graph:
    return reference_cities.cities(limit=2000).public


@pytest.fixture(scope="module")
def country_context(ontology: Graph) -> ValidationContext:
    types: dict[URIRef, set[URIRef]] = {}
    for s, o in reference.countries().public.subject_objects(RDF.type):
        types.setdefault(s, set()).add(o)
    return ValidationContext(class_hierarchy(ontology), types)


def _gate_pyshacl(data: Graph, shapes: Graph, context: ValidationContext) -> set:
    """What validate_source does with one batch: the context graph, then only results about
    the batch's own subjects (the linked nodes are context, not under test)."""
    own = {str(s) for s in data.subjects()}
    _conforms, results, _text = pyshacl.validate(
        context.graph_for(data),
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    return {v for v in violations_from(results, _locate, shapes) if v.focus in own}


def _gate_fast(data, compiled: CompiledShapes, context: ValidationContext) -> set:
    return set(validate_graph_fast(data, compiled, context.hierarchy, context.types, _locate))


def _mutate(cities: Graph) -> tuple[Graph, set]:
    """Break four cities: no label, negative population, bad sameAs, bad WKT (sh:node)."""
    g = Graph() + cities
    city = sorted(set(g.subjects(RDF.type, CCKG.City)))
    g.remove((city[0], RDFS_LABEL, None))
    g.set((city[1], CCKG.population, Literal(-5)))
    g.set((city[2], OWL.sameAs, URIRef("https://example.org/not-geonames")))
    geometry = g.value(city[3], GEO.hasGeometry)
    g.set((geometry, GEO.asWKT, Literal("LINESTRING(1 2, 3 4)", datatype=GEO.wktLiteral)))
    expected = {
        (str(city[0]), "label", None),
        (str(city[1]), "population", "-5"),
        (str(city[2]), "sameAs", "https://example.org/not-geonames"),
        (str(city[3]), "hasGeometry", str(geometry)),
    }
    return g, expected


@pytest.mark.slow
def test_cities_agree_with_the_pyshacl_gate(cities, shapes, compiled, country_context) -> None:
    """2,000 cities with the countries as context, unchanged and with four broken cities.

    pySHACL runs once, on the broken graph (it takes a while): every constraint here looks at
    one record, so agreement there covers the 1,996 untouched cities as well.
    """
    base = _gate_fast(cities, compiled["public"], country_context)
    assert base == set(), [str(v) for v in sorted(base, key=str)[:5]]

    broken, expected = _mutate(cities)
    fast = _gate_fast(broken, compiled["public"], country_context)
    assert {(v.focus, v.field, v.value) for v in fast} == expected
    slow = _gate_pyshacl(broken, shapes["public"], country_context)
    assert fast == slow, f"pySHACL only: {slow - fast}\nfast only: {fast - slow}"
    for strategy in ("per-focus", "bulk"):
        results = compiled["public"].validate(
            broken, country_context.hierarchy, country_context.types, strategy=strategy
        )
        assert {to_violation(r, _locate) for r in results} == fast, strategy


@pytest.mark.slow
def test_n_triples_input_gives_the_same_violations(cities, compiled, country_context) -> None:
    broken, _expected = _mutate(cities)
    as_graph = _gate_fast(broken, compiled["public"], country_context)
    as_bytes = _gate_fast(
        broken.serialize(format="nt", encoding="utf-8"), compiled["public"], country_context
    )
    assert as_bytes == as_graph and len(as_graph) == 4


@pytest.mark.slow
def test_store_input_and_a_forked_half_give_the_same_violations(
    cities, compiled, country_context, monkeypatch
) -> None:
    """The loader's path: the data in a pyoxigraph store, validated in place, half of the
    shapes in a forked process, the linked nodes' types asked from a resolver."""
    import pyoxigraph as ox

    from cckg.core.gate import engine, forked

    broken, _expected = _mutate(cities)
    as_graph = _gate_fast(broken, compiled["public"], country_context)
    monkeypatch.setattr(engine, "PARALLEL_MIN", 0)
    monkeypatch.setattr(forked, "usable", lambda: True)
    forks = []
    monkeypatch.setattr(forked.os, "fork", lambda f=forked.os.fork: forks.append(1) or f())
    asked: list[list[URIRef]] = []
    written: list[int] = []

    def resolve(untyped: list[URIRef], typed: list[URIRef]) -> dict:
        asked.append(untyped)
        return {n: country_context.types[n] for n in untyped if n in country_context.types}

    store = ox.Store()
    store.load(broken.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    results = compiled["public"].validate(
        store, country_context.hierarchy, resolve, workers=2, before_write=lambda: written.append(1)
    )
    assert forks and asked and written
    assert {to_violation(r, _locate) for r in results} == as_graph and len(as_graph) == 4


def test_a_failing_forked_half_fails_the_run() -> None:
    from cckg.core.gate import forked

    def work(item: int) -> list[int]:
        if item == 3:
            raise ValueError("three")
        return [item]

    assert sorted(forked.in_two([1, 2], [4, 5], work)) == [1, 2, 4, 5]
    with pytest.raises(RuntimeError, match="three"):
        forked.in_two([1, 2], [3], work)


def test_nested_literals_are_checked_unlike_pyshacl_with_focus_nodes(
    shapes, compiled, ontology, country_context
) -> None:
    """pySHACL's focus_nodes option also filters the value nodes that sh:or looks at, so with
    it a non-text altLabel passes; restrict_to_subjects is a filter on results instead.
    """
    data = Graph().parse(EXAMPLES / "valid" / "city-geonames.ttl")
    city = URIRef("https://w3id.org/cckg/id/city/2946447")
    data.add((city, URIRef("http://www.w3.org/2004/02/skos/core#altLabel"), Literal(5)))
    expected = _pyshacl(data, shapes["public"], ont_graph=ontology)
    assert {v[1] for v in expected[2]} == {"altLabel"}
    fast = compiled["public"].validate(
        data, country_context.hierarchy, country_context.types, restrict_to_subjects=True
    )
    assert _fast(fast)[1] == expected[2]


# ---------------------------------------------------------------- features our shapes lack

SYNTHETIC_SHAPES = """
@prefix ex: <http://example.org/ns#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:PersonShape a sh:NodeShape ;
    sh:targetClass ex:Person ;
    sh:property ex:name , ex:age , ex:email , ex:knows , ex:parent , ex:nick , ex:code ,
        ex:tag , ex:friendName , ex:child , ex:off , ex:mails , ex:descendant , ex:born ,
        ex:flag .
ex:name sh:path ex:name ; sh:minCount 2 ; sh:maxCount 3 ; sh:minLength 2 ; sh:maxLength 10 ;
    sh:message "name"@en , "Name"@de .
ex:age sh:path ex:age ; sh:datatype xsd:integer ; sh:minExclusive 0 ; sh:maxExclusive 150 ;
    sh:maxInclusive 149 ; sh:message "age"@en .
ex:email sh:path ex:email ; sh:pattern "^[a-z]+@EXAMPLE[.]org$" ; sh:flags "i" ;
    sh:message "email"@en .
ex:knows sh:path ex:knows ; sh:node ex:Known ; sh:message "knows"@en .
ex:Known a sh:NodeShape ;
    sh:not [ sh:class ex:Robot ] ;
    sh:and ( [ sh:nodeKind sh:IRI ] [ sh:property [ sh:path ex:name ; sh:minCount 1 ] ] ) .
ex:parent sh:path [ sh:inversePath ex:child ] ; sh:maxCount 2 ; sh:class ex:Person ;
    sh:message "parent"@en .
ex:nick sh:path ex:nick ; sh:uniqueLang true ;
    sh:xone ( [ sh:datatype xsd:string ] [ sh:languageIn ( "en" "de" ) ] ) ;
    sh:message "nick"@en .
ex:code sh:path ex:code ; sh:in ( 1 2 "three" ex:Four ) ; sh:message "code"@en .
ex:tag sh:path ex:tag ; sh:hasValue "core" ;
    sh:qualifiedValueShape [ sh:pattern "^x" ] ; sh:qualifiedMaxCount 1 ; sh:message "tag"@en .
ex:friendName sh:path ( ex:knows ex:name ) ; sh:minCount 1 ; sh:message "friend name"@en .
ex:child sh:path ex:child ; sh:property ex:childName ; sh:message "child"@en .
ex:childName sh:path ex:name ; sh:minCount 1 ; sh:message "child name"@en .
ex:off sh:path ex:age ; sh:deactivated true ; sh:maxCount 0 ; sh:message "off"@en .
ex:mails sh:path [ sh:alternativePath ( ex:mail ex:email ) ] ; sh:maxCount 2 ;
    sh:severity sh:Warning ; sh:message "mails"@en .
ex:descendant sh:path [ sh:oneOrMorePath ex:child ] ; sh:nodeKind sh:IRI ;
    sh:message "descendant"@en .
ex:born sh:path ex:born ; sh:datatype xsd:date ; sh:message "born"@en .
ex:flag sh:path ex:flag ; sh:datatype xsd:boolean ; sh:message "flag"@en .

ex:Robot a sh:NodeShape , rdfs:Class ;
    sh:closed true ; sh:ignoredProperties ( rdf:type ) ;
    sh:property [ sh:path ex:serial ; sh:datatype xsd:string ; sh:message "serial"@en ] ;
    sh:message "robot"@en .

ex:Targets a sh:NodeShape ;
    sh:targetNode ex:alice , ex:ghost ; sh:targetSubjectsOf ex:serial ;
    sh:targetObjectsOf ex:knows ;
    sh:nodeKind sh:IRI ; sh:hasValue ex:alice ; sh:message "targets"@en .

ex:Never a sh:NodeShape ; sh:targetClass ex:Person ; sh:deactivated true ;
    sh:nodeKind sh:BlankNode ; sh:message "never"@en .
"""

SYNTHETIC_DATA = """
@prefix ex: <http://example.org/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

ex:Sub rdfs:subClassOf ex:Person .
ex:alice a ex:Person ; ex:name "Alice" , "Ali" ; ex:age 30 ; ex:email "alice@example.ORG" ;
    ex:knows ex:bob ; ex:nick "al" , "Al"@en ; ex:code 1 , "three" ; ex:tag "core" , "xa" ;
    ex:child ex:carl , ex:frank ; ex:mail "a@b.c" .
ex:bob a ex:Sub ; ex:name "B" , "Bobby-the-great" ; ex:age 0 , "x" ;
    ex:email "bob@example.com" ; ex:knows ex:r2d2 , "Carl" ;
    ex:nick "b"@fr , "bb"@en , "bbb"@EN ; ex:code 3 , ex:Four ; ex:tag "xa" , "xb" ;
    ex:child ex:eve , ex:frank .
ex:carl a ex:Person ; ex:name "Carl" , "Carlo" ; ex:tag "core" ; ex:knows ex:alice ;
    ex:child ex:frank ; ex:mail "1" , "2" ; ex:email "c@example.org" .
ex:frank a ex:Person ; ex:name "Frank" , "Fr" , "Fra" , "Fran" ; ex:tag "core" ;
    ex:knows ex:alice .
ex:eve ex:child "not a node" .
ex:r2d2 a ex:Robot ; ex:serial "R2" ; ex:name "Artoo" .
ex:c3po a ex:Robot ; ex:serial 42 .
"""


def test_synthetic_features_agree_with_pyshacl() -> None:
    shapes = Graph().parse(data=SYNTHETIC_SHAPES, format="turtle")
    data = Graph().parse(data=SYNTHETIC_DATA, format="turtle")
    expected = _pyshacl(data, shapes)
    assert len(expected[2]) >= 20  # the data breaks most rules (24 results today)
    compiled = CompiledShapes(shapes)
    for strategy in STRATEGIES:
        results = compiled.validate(data, restrict_to_subjects=False, strategy=strategy)
        _assert_same(expected, results, f"synthetic ({strategy})")
        # N-Triples input: the same (this data has no blank nodes)
        nt = data.serialize(format="nt", encoding="utf-8")
        from_bytes = compiled.validate(nt, restrict_to_subjects=False, strategy=strategy)
        _assert_same(expected, from_bytes, f"synthetic as N-Triples ({strategy})")


def test_restricting_focus_to_subjects_drops_only_other_focus_nodes() -> None:
    """As pyshacl_check.py's filter: targets that are not subjects of the data are skipped
    (here ex:ghost, a sh:targetNode, and "Carl", a sh:targetObjectsOf), nothing else changes.
    These shapes have an inner sh:property unit, so the restriction runs inside the queries.
    """
    shapes = Graph().parse(data=SYNTHETIC_SHAPES, format="turtle")
    data = Graph().parse(data=SYNTHETIC_DATA, format="turtle")
    compiled = CompiledShapes(shapes)
    assert compiled.needs_markers
    everything = _fast(compiled.validate(data, restrict_to_subjects=False))[1]
    others = {"http://example.org/ns#ghost", "Carl"}
    expected = {v for v in everything if v[0] not in others}
    assert expected < everything
    for strategy in STRATEGIES:
        for given in (data, data.serialize(format="nt", encoding="utf-8")):
            results = compiled.validate(given, restrict_to_subjects=True, strategy=strategy)
            assert _fast(results)[1] == expected, strategy


def test_rdflib_ill_typed_literals_fail_sh_datatype_as_in_pyshacl() -> None:
    """sh:datatype also needs a well-formed literal, by rdflib's reading (as pySHACL)."""
    shapes = Graph().parse(data=SYNTHETIC_SHAPES, format="turtle")
    x, alice = "http://www.w3.org/2001/XMLSchema#", "<http://example.org/ns#alice>"
    extra = (
        f'{alice} <http://example.org/ns#age> "31.5"^^<{x}integer> .\n'
        f'{alice} <http://example.org/ns#born> "2021-02-30"^^<{x}date> .\n'
        f'{alice} <http://example.org/ns#born> "2021-02-28"^^<{x}date> .\n'
    )
    data = Graph().parse(data=SYNTHETIC_DATA, format="turtle")
    nt = data.serialize(format="nt", encoding="utf-8") + extra.encode()
    graph = Graph().parse(data=nt, format="nt")
    expected = _pyshacl(graph, shapes)
    assert {("31.5", "age"), ("2021-02-30", "born")} <= {(v[5], v[1]) for v in expected[2]}
    compiled = CompiledShapes(shapes)
    _assert_same(expected, compiled.validate(graph, restrict_to_subjects=False), "graph")
    _assert_same(expected, compiled.validate(nt, restrict_to_subjects=False), "N-Triples")

    # rdflib reads "TRUE" as an ill-typed "true" (and "1" as a well-typed "true": the same
    # rdflib term, so the first one read wins); the store keeps "TRUE", and flags it
    nt += f'{alice} <http://example.org/ns#flag> "TRUE"^^<{x}boolean> .\n'.encode()
    expected = _pyshacl(Graph().parse(data=nt, format="nt"), shapes)
    assert ("flag", "true") in {(v[1], v[5]) for v in expected[2]}
    _assert_same(expected, compiled.validate(nt, restrict_to_subjects=False), "TRUE")


# ---------------------------------------------------------------- unsupported features

_PREFIXES = """
@prefix ex: <http://example.org/ns#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@pytest.mark.parametrize(
    "turtle",
    [
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:equals ex:q ] .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:lessThan ex:q ] .",
        "ex:S sh:target [ a sh:SPARQLTarget ; sh:select 'SELECT ?this WHERE { }' ] .",
        "ex:S sh:targetClass ex:C ; sh:someFutureThing true .",
        "ex:S sh:targetClass ex:C ; sh:node ex:S .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:sparql [ "
        "sh:select 'SELECT $this WHERE { $this ex:p ?x }' ] ] .",
        "ex:S sh:targetClass ex:C ; sh:sparql [ "
        "sh:select 'SELECT $this WHERE { VALUES ?x { 1 } $this ex:p ?x }' ] .",
        "ex:S sh:targetClass ex:C ; sh:sparql [ sh:ask 'ASK { $this ex:p ?x }' ] .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; "
        "sh:qualifiedValueShape [ sh:datatype xsd:string ] ; sh:qualifiedMinCount 1 ; "
        "sh:qualifiedValueShapesDisjoint true ] .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:pattern '(?<=a)b' ] .",
        "ex:S sh:targetClass ex:C ; sh:or ( [ sh:property [ sh:path ex:p ; sh:maxCount 7 ] ] ) .",
        "ex:S sh:targetClass ex:C ; sh:closed true ; sh:property [ sh:path ex:p ; "
        "sh:closed true ] .",
        "ex:S sh:targetClass ex:C ; sh:datatype rdfs:Datatype .",
    ],
)
def test_unsupported_features_fail_at_compile_time(turtle: str) -> None:
    shapes = Graph().parse(
        data=_PREFIXES + "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n" + turtle,
        format="turtle",
    )
    with pytest.raises(NotImplementedError):
        CompiledShapes(shapes)


@pytest.mark.parametrize(
    "turtle",
    [
        "ex:S sh:targetClass ex:C ; sh:node ex:Undefined .",
        "ex:S sh:targetClass ex:C ; sh:property ex:Undefined .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:minCount 1 ] .",
        "ex:NotAShape sh:minCount 1 .",
    ],
)
def test_shapes_that_would_silently_pass_are_refused(turtle: str) -> None:
    shapes = Graph().parse(data=_PREFIXES + turtle, format="turtle")
    with pytest.raises(ValueError):
        CompiledShapes(shapes)


def test_the_project_shapes_compile(compiled) -> None:
    assert compiled["public"].validate(Graph()) == []
