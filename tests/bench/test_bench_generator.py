"""The benchmark's scale generator (bench/generate.py): deterministic, valid, sized as asked."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pyshacl import validate as shacl_validate
from rdflib import RDF, Graph, Namespace, URIRef

from bench import generate
from cckg.core.gate.context import ValidationContext
from cckg.core.gate.model import ParsedSource
from cckg.core.gate.shapes import class_hierarchy
from cckg.core.gate.validate import validate_source
from cckg.core.settings import ONTOLOGY_NS
from cckg.loaders import reference
from tests import ROOT
from tests.support import reference_cities

CCKG = Namespace(ONTOLOGY_NS)
KIND_CLASS = {
    "institution": CCKG.Institution,
    "practitioner": CCKG.Practitioner,
    "solution": CCKG.Solution,
    "event": CCKG.Event,
    "project-idea": CCKG.ProjectIdea,
    "need": CCKG.Need,
    "offer": CCKG.Offer,
    "city": CCKG.City,
    "country": CCKG.Country,
    "theme": CCKG.Theme,
}


def _graph(lines) -> Graph:
    return Graph().parse(data="".join(lines), format="nt")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(ROOT / "shapes" / "cckg-shapes.ttl", format="turtle")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    g = Graph()
    for name in ("cckg.ttl", "themes.ttl", "regions.ttl"):
        g.parse(ROOT / "ontology" / name, format="turtle")
    return g


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a = generate.write_ntriples(tmp_path / "a.nt", 2_000, seed=3)
    b = generate.write_ntriples(tmp_path / "b.nt", 2_000, seed=3)
    c = generate.write_ntriples(tmp_path / "c.nt", 2_000, seed=4)

    def digest(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    assert digest(a.path) == digest(b.path)
    assert digest(a.path) != digest(c.path)
    # random access gives the same record as the stream
    streamed = list(generate.iter_records(2_000, seed=3))
    assert generate.record(57, 2_000, seed=3) == streamed[57]


def test_size_of_a_1e4_run(tmp_path):
    stats = generate.write_ntriples(tmp_path / "g.nt", 10_000)
    lines = (tmp_path / "g.nt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == stats.triples
    assert 10_000 <= stats.triples < 10_000 + 60  # stops after the record that reaches it
    assert len(_graph(line + "\n" for line in lines)) == stats.triples  # no duplicates
    # the kinds come in the proportions of the schedule
    per_cycle = {k: generate.CYCLE.count(k) for k in generate.KINDS}
    for kind, n in stats.by_kind.items():
        assert abs(n / stats.records - per_cycle[kind] / len(generate.CYCLE)) < 0.01
    assert generate.SIZES == {"1e5": 100_000, "1e6": 1_000_000, "5e6": 5_000_000}
    # IRIs of generated things: {base}id/{kind}/gen-{n}
    subjects = {line.split(" ", 1)[0] for line in lines}
    assert all("/id/" in s and "/gen-" in s for s in subjects)


@pytest.mark.slow
def test_tiny_run_conforms_to_the_shapes_with_its_context(shapes, ontology):
    """Every generated kind, plus the reference nodes it links to, validated as one graph."""
    records = list(generate.iter_records(700))  # about 3 cycles of the schedule
    assert {r.kind for r in records} == set(generate.KINDS)
    data = _graph(line for r in records for line in r.lines)
    linked = {o for o in data.objects() if isinstance(o, URIRef)}
    city_ids = {int(str(o).rsplit("/", 1)[1]) for o in linked if "/id/city/" in str(o)}
    for name in ("themes.ttl", "regions.ttl"):
        data.parse(ROOT / "ontology" / name, format="turtle")
    data += reference.countries().public
    data += reference_cities.cities(only=city_ids).public
    conforms, _, text = shacl_validate(
        data,
        shacl_graph=shapes,
        ont_graph=Graph().parse(ROOT / "ontology" / "cckg.ttl", format="turtle"),
        inference="none",
        advanced=True,
    )
    assert conforms, text[:3000]
    # practitioners: public part only, flagged as examples
    for p in data.subjects(RDF.type, CCKG.Practitioner):
        assert (p, CCKG.isExample, None) in data
        assert (p, CCKG.email, None) not in data and (p, CCKG.phone, None) not in data


@pytest.mark.slow
@pytest.mark.parametrize("size", list(generate.SIZES))
def test_a_sample_of_each_size_conforms(size, shapes, ontology):
    """Records from the start, middle and end of a big size (rebuilt by random access),
    validated with pySHACL through the loader's gate: link targets typed by their kind."""
    target = generate.SIZES[size]
    n_records = int(target / 13.2)  # about 13 triples per record
    indexes = [*range(0, 12), *range(n_records // 2, n_records // 2 + 8)]
    indexes += range(n_records - 12, n_records)
    records = [generate.record(i, target) for i in indexes]
    data = _graph(line for r in records for line in r.lines)
    pool = {c.iri for c in generate.city_pool(target)}
    countries = {str(s) for s in reference.countries().public.subjects(RDF.type, CCKG.Country)}
    themes = {t.iri for t in generate.themes()}
    types: dict[URIRef, set[URIRef]] = {}
    for o in set(data.objects()):
        if not isinstance(o, URIRef) or "/id/" not in o:
            continue
        kind = str(o).split("/id/", 1)[1].split("/", 1)[0]
        if kind == "city":
            assert str(o) in pool  # every linked city is a real GeoNames city of the pool
        if kind == "country":
            assert str(o) in countries
        if kind == "theme":
            assert str(o) in themes
        if kind not in ("city", "country", "theme"):  # a generated record: an earlier one
            n = int(str(o).rsplit("-", 1)[1])
            assert n <= generate.count_before(max(indexes) + 1, kind)
        types[o] = {KIND_CLASS[kind]}
    source = ParsedSource(Path(f"gen-{size}.nt"), f"files/gen-{size}", data)
    violations = validate_source(
        source, shapes, ValidationContext(class_hierarchy(ontology), types)
    )
    assert violations == [], "\n".join(str(v) for v in violations[:20])
