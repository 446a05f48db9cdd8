"""Tabular sources: every curated file parses; the same records in CSV, YAML and Turtle give
isomorphic graphs; every bad input fails as tests/data/bad/README.md says; the city resolver;
the theme and region schemes; the facts conversion."""

from __future__ import annotations

import importlib.util
import re
import warnings
from functools import cache
from pathlib import Path

import pycountry
import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS, SH, SKOS

from cckg.core import geonames
from cckg.core.gate.model import ParsedSource, SourceError
from cckg.core.namespaces import CCKG
from cckg.core.resources import CHECKOUT as PROJECT_ROOT
from cckg.loaders.tabular import parse_file
from tests.support.bad_corpus import bad_rows

DATA = PROJECT_ROOT / "data"
VARIANTS = PROJECT_ROOT / "tests" / "data" / "variants"
BAD = PROJECT_ROOT / "tests" / "data" / "bad"
ONTOLOGY = PROJECT_ROOT / "ontology"
SHAPES = PROJECT_ROOT / "shapes" / "cckg-shapes.ttl"
FACTS = PROJECT_ROOT.parent / "shared" / "data" / "connective-cities-facts.yaml"
ID = "https://w3id.org/cckg/id/"
DATA_FILES = sorted(p for p in DATA.rglob("*") if p.suffix in {".yaml", ".csv"})
PREFIXES = {"cckg": str(CCKG), "rdfs": str(RDFS), "dcterms": str(DCTERMS)}


def rel(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


@cache
def parsed(path: Path) -> ParsedSource:
    return parse_file(path)


@cache
def known_things() -> frozenset[URIRef]:
    """Everything a curated link may point to: curated subjects, themes, GeoNames cities and
    ISO countries (the reference loader describes the last two)."""
    known: set[URIRef] = set()
    for path in DATA_FILES:
        known |= {s for s in parsed(path).public.subjects() if isinstance(s, URIRef)}
    themes = Graph().parse(ONTOLOGY / "themes.ttl")
    known |= {s for s in themes.subjects(RDF.type, CCKG.Theme) if isinstance(s, URIRef)}
    known |= {URIRef(f"{ID}city/{gid}") for gid in geonames._cities()}
    known |= {URIRef(f"{ID}country/{c.alpha_2.lower()}") for c in pycountry.countries}
    return frozenset(known)


# ---------------------------------------------------------------- the curated data


def test_data_folder_has_every_class():
    stems = {p.stem for p in DATA_FILES}
    assert {
        "solutions",
        "events",
        "project-ideas",
        "institutions",
        "cities",
        "needs",
        "offers",
        "practitioners",
    } <= stems


@pytest.mark.parametrize("path", DATA_FILES, ids=rel)
def test_data_file_parses(path: Path):
    # its parse time is a figure of `python -m bench.startup`, not an assertion here
    source = parse_file(path)
    folder = "examples" if path.parent.name == "examples" else "curated"
    assert source.graph_name == f"{folder}/{path.stem}"
    assert source.locations, "no records"
    for subject, location in source.locations.items():
        assert (subject, RDF.type, None) in source.public
        assert location.file == str(path) and location.line and location.record
        assert any(lit.language == "en" for lit in source.public.objects(subject, RDFS.label))
    # Contact data never reaches a public graph.
    assert not list(source.public.triples((None, CCKG.email, None)))
    assert not list(source.public.triples((None, CCKG.phone, None)))


@pytest.mark.parametrize("path", DATA_FILES, ids=rel)
def test_data_links_point_at_things_that_exist(path: Path):
    dangling = sorted(str(iri) for iri in parsed(path).references if iri not in known_things())
    assert dangling == []


def test_only_ontology_terms_are_used():
    ontology = Graph().parse(ONTOLOGY / "cckg.ttl")
    declared = set(ontology.subjects())
    used = set()
    for path in DATA_FILES:
        for graph in (parsed(path).public, parsed(path).private):
            for _s, p, o in graph:
                used |= {t for t in (p, o) if isinstance(t, URIRef) and t.startswith(str(CCKG))}
                if p == RDF.type:
                    used.add(o)
    undeclared = sorted(t for t in used if t.startswith(str(CCKG)) and t not in declared)
    assert undeclared == []


def test_example_practitioners_are_flagged_and_contacts_private():
    source = parsed(DATA / "examples" / "practitioners.yaml")
    people = set(source.public.subjects(RDF.type, CCKG.Practitioner))
    assert 10 <= len(people) <= 15
    for person in people:
        assert (person, CCKG.isExample, Literal(True)) in source.public
        name = str(source.public.value(person, RDFS.label))
        assert name.startswith("Example Person ")
    assert set(source.private.predicates()) == {CCKG.email, CCKG.phone}
    for email in source.private.objects(None, CCKG.email):
        assert str(email).endswith("@example.org")
    for phone in source.private.objects(None, CCKG.phone):
        assert str(phone).startswith("+00 ")


def test_needs_and_offers_are_derived_from_ideas_and_solutions():
    needs = parsed(DATA / "needs.yaml").public
    for need in needs.subjects(RDF.type, CCKG.Need):
        assert needs.value(need, CCKG.neededBy) is not None
    offers = parsed(DATA / "offers.yaml").public
    solutions = parsed(DATA / "solutions.yaml").public
    for offer in offers.subjects(RDF.type, CCKG.Offer):
        for solution in offers.objects(offer, CCKG.basedOn):
            assert solutions.value(solution, CCKG.status) in (CCKG.Implemented, CCKG.Scaled)


# ---------------------------------------------------------------- variants


def _assert_isomorphic(got: Graph, expected: Graph) -> None:
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        pytest.fail(
            f"only parsed:\n{only_got.serialize(format='nt')}\n"
            f"only expected:\n{only_expected.serialize(format='nt')}"
        )


@pytest.mark.parametrize("stem", ["solutions", "institutions", "practitioners", "cities"])
def test_csv_yaml_and_turtle_variants_agree(stem: str):
    from_yaml = parse_file(VARIANTS / f"{stem}.yaml")
    from_csv = parse_file(VARIANTS / f"{stem}.csv")
    expected = Graph().parse(VARIANTS / f"{stem}.ttl")
    _assert_isomorphic(from_yaml.public, from_csv.public)
    _assert_isomorphic(from_yaml.public, expected)
    _assert_isomorphic(from_yaml.private, from_csv.private)
    private = VARIANTS / f"{stem}-private.ttl"
    if private.exists():
        _assert_isomorphic(from_yaml.private, Graph().parse(private))
    assert set(from_yaml.locations) == set(from_csv.locations)
    assert set(from_yaml.references) == set(from_csv.references)


def test_variant_locations_name_lines():
    source = parse_file(VARIANTS / "solutions.yaml")
    where = source.locations[URIRef(f"{ID}solution/variant-koeln-open-ended")]
    assert (where.line, where.record) == (31, "variant-koeln-open-ended")
    csv_source = parse_file(VARIANTS / "solutions.csv")
    assert csv_source.locations[URIRef(f"{ID}solution/variant-koeln-open-ended")].line == 3
    ref = source.references[URIRef(f"{ID}institution/stadtentsorgung-rostock")]
    assert (ref.line, ref.record) == (13, "variant-bizerte-composting")  # the key's line


def test_base_iri_is_a_parameter():
    source = parse_file(VARIANTS / "institutions.yaml", base="https://example.org/kg/")
    assert set(map(str, source.locations)) == {
        "https://example.org/kg/id/institution/variant-stadtentwaesserung"
    }


def test_kind_header_bom_and_name_prefix(tmp_path: Path):
    text = (VARIANTS / "institutions.csv").read_text(encoding="utf-8")
    header_only = tmp_path / "partners.csv"  # name says nothing: the #kind: line does
    header_only.write_text(text, encoding="utf-8")
    with_bom = tmp_path / "institutions-2025.csv"  # name prefix; Excel's UTF-8 byte order mark
    with_bom.write_bytes(b"\xef\xbb\xbf" + text.split("\n", 1)[1].encode("utf-8"))
    expected = parse_file(VARIANTS / "institutions.csv").public
    assert isomorphic(parse_file(header_only).public, expected)
    assert isomorphic(parse_file(with_bom).public, expected)


# ---------------------------------------------------------------- bad inputs


BAD_ROWS = bad_rows()


def test_bad_readme_lists_every_bad_file():
    listed = [row[0] for row in BAD_ROWS]
    on_disk = sorted(p.name for p in BAD.iterdir() if p.name != "README.md")
    assert sorted(listed) == on_disk
    assert len(listed) >= 40
    for name, _, code, by, _ in BAD_ROWS:
        assert code == (2 if by.startswith("parse") else 1), name


@cache
def _shapes() -> tuple[Graph, Graph]:
    return Graph().parse(SHAPES), Graph().parse(ONTOLOGY / "cckg.ttl")


@pytest.mark.parametrize("row", BAD_ROWS, ids=[row[0] for row in BAD_ROWS])
def test_bad_input_is_caught_where_the_readme_says(row):
    name, _defect, _code, by, where = row
    path = BAD / name
    if by == "parse":
        with pytest.raises(SourceError) as caught:
            parse_file(path)
        error = caught.value
        assert error.location.file == str(path)
        assert name in str(error)
        line = re.search(r"line (\d+)", where)
        field = re.search(r"field `([^`]+)`", where)
        assert error.location.line == (int(line.group(1)) if line else None)
        assert error.field == (field.group(1) if field else None)
        if error.field:
            assert f"field {error.field!r}" in str(error)
    elif by.startswith("parse (RDF"):
        fmt = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld"}[path.suffix]
        with warnings.catch_warnings():  # rdflib's JSON-LD parser warns about its own internals
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(Exception):  # noqa: B017 - rdflib raises many exception types
                Graph().parse(path, format=fmt)
    elif by == "shacl":
        pyshacl = pytest.importorskip("pyshacl")
        if not SHAPES.exists():
            pytest.skip("shapes/cckg-shapes.ttl not written yet")
        source = parse_file(path)
        shapes, ontology = _shapes()
        _, results, _ = pyshacl.validate(
            source.public, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True
        )
        prefix, local = re.fullmatch(r"path `(\w+):(\w+)`", where).groups()
        expected_path = URIRef(PREFIXES[prefix] + local)
        subjects = set(source.locations)
        hits = [
            r
            for r in results.subjects(RDF.type, SH.ValidationResult)
            if results.value(r, SH.resultPath) == expected_path
            and results.value(r, SH.focusNode) in subjects
        ]
        assert hits, f"no SHACL result on {expected_path}"
    else:
        assert by == "links"
        source = parse_file(path)
        target = URIRef(ID + where.strip("`"))
        assert target in source.references
        assert target not in known_things()
        assert source.references[target].file == str(path)


def test_source_error_names_file_line_record_and_field():
    path = BAD / "solutions-unknown-key-typo.yaml"
    with pytest.raises(SourceError) as caught:
        parse_file(path)
    assert str(caught.value) == (
        f"{path}, line 5, record 'bad-example', field 'sumary': unknown key 'sumary' for "
        "solutions (did you mean 'summary'?)"
    )


def test_unknown_theme_suggests_the_nearest():
    with pytest.raises(SourceError, match="did you mean 'waste-management-circular-economy'"):
        parse_file(BAD / "solutions-unknown-theme.yaml")


def test_city_hint_names_the_country_that_has_it():
    with pytest.raises(SourceError, match=r"'Bremen' in BR \(there is one in DE\)"):
        parse_file(BAD / "solutions-city-in-wrong-country.yaml")


# ---------------------------------------------------------------- city resolver


@pytest.mark.parametrize("name", ["Köln", "Cologne", "Colonia", "KOELN", "köln", "كولونيا"])
@pytest.mark.parametrize("country", [None, "DE", "de"])
def test_cologne_in_any_language_is_one_city(name: str, country: str | None):
    assert geonames.resolve_city(name, country) == 2886242


def test_resolver_prefers_the_country_then_population():
    assert geonames.resolve_city("Belo Horizonte", "BR") == 3470127
    assert geonames.resolve_city("Bethlehem", "PS") == 284315
    assert geonames.city_record(geonames.resolve_city("Bethlehem", None))["countrycode"] == "BR"
    assert geonames.resolve_city("Bremen", "BR") == 2944388  # preferred, not required
    assert geonames.resolve_city("Bremen", "BR", strict=True) is None
    assert geonames.resolve_city("Atlantis-upon-Nowhere", None) is None


def test_city_record():
    record = geonames.city_record(2886242)
    assert (record["name"], record["countrycode"]) == ("Köln", "DE")
    assert record["population"] > 1_000_000
    record["name"] = "changed"  # a copy: the cache stays intact
    assert geonames.city_record(2886242)["name"] == "Köln"
    with pytest.raises(KeyError):
        geonames.city_record(1)


# ---------------------------------------------------------------- theme and region schemes

THEMES = URIRef("https://w3id.org/cckg/def/themes")
LANGS = ("en", "de", "es", "fr")
THEME_LANGS = (*LANGS, "pt", "ar")  # the languages of the needs matched against themes


@cache
def theme_graph() -> Graph:
    return Graph().parse(ONTOLOGY / "themes.ttl")


def test_theme_scheme_structure():
    g = theme_graph()
    concepts = set(g.subjects(RDF.type, CCKG.Theme))
    assert 30 <= len(concepts) <= 60
    assert concepts == set(g.subjects(RDF.type, SKOS.Concept))
    tops = {str(c)[len(ID) + len("theme/") :] for c in g.objects(THEMES, SKOS.hasTopConcept)}
    assert tops == {
        "good-urban-governance",
        "local-economic-development",
        "integrated-urban-development",
        "municipal-services",
    }
    for concept in concepts:
        assert str(concept).startswith(f"{ID}theme/")
        assert (concept, SKOS.inScheme, THEMES) in g
        langs = [lit.language for lit in g.objects(concept, SKOS.prefLabel)]
        assert sorted(lang for lang in langs if lang in THEME_LANGS) == sorted(THEME_LANGS), concept
        assert len(langs) == len(set(langs)), concept
        assert any(d.language == "en" for d in g.objects(concept, SKOS.definition)), concept
        broader = list(g.objects(concept, SKOS.broader))
        is_top = (concept, SKOS.topConceptOf, THEMES) in g
        assert is_top == (not broader) and len(broader) <= 1, concept
        for parent in broader:
            assert (parent, SKOS.narrower, concept) in g
        for child in g.objects(concept, SKOS.narrower):
            assert (child, SKOS.broader, concept) in g
        for other in g.objects(concept, SKOS.related):
            assert (other, SKOS.related, concept) in g
        for goal in g.objects(concept, SKOS.closeMatch):
            assert re.fullmatch(r"http://metadata\.un\.org/sdg/([1-9]|1[0-7])", str(goal))
        depth, node = 1, concept
        while (node := g.value(node, SKOS.broader)) is not None:
            depth += 1
        assert depth <= 3, concept


def test_theme_labels_are_unambiguous():
    """Free-text matching looks up altLabels: each word must lead to one concept."""
    g = theme_graph()
    owner: dict[tuple[str, str], URIRef] = {}
    for predicate in (SKOS.prefLabel, SKOS.altLabel):
        for concept, label in g.subject_objects(predicate):
            key = (label.language, str(label).casefold())
            assert owner.setdefault(key, concept) == concept, key
    alt_langs = {label.language for label in g.objects(None, SKOS.altLabel)}
    assert {"en", "de", "es", "fr", "pt", "ar"} <= alt_langs


def test_every_theme_has_portuguese_and_arabic_synonyms():
    """Needs come in Brazilian Portuguese and Arabic too: every theme has a preferred label and
    at least one synonym in each (the words matching looks up)."""
    g = theme_graph()
    for concept in g.subjects(RDF.type, CCKG.Theme):
        for lang in ("pt", "ar"):
            alts = [a for a in g.objects(concept, SKOS.altLabel) if a.language == lang]
            assert alts, (concept, lang)
    waste = URIRef(f"{ID}theme/waste-management-circular-economy")
    pref = {lit.language: str(lit) for lit in g.objects(waste, SKOS.prefLabel)}
    assert pref["pt"] == "Gestão de resíduos e economia circular"
    alts = {(lit.language, str(lit)) for lit in g.objects(waste, SKOS.altLabel)}
    assert {("pt", "coleta seletiva"), ("pt", "reciclagem"), ("pt", "compostagem")} <= alts


@pytest.mark.parametrize(
    "slug",
    [
        "waste-management-circular-economy",
        "mobility",
        "energy-efficiency",
        "land-management",
        "climate-adaptation-urban-heat",
        "water-sanitation",
        "citizen-participation",
        "digitalisation",
        "start-up-promotion",
        "sme-promotion",
        "social-entrepreneurship",
        "tourism",
        "urban-gardening",
        "flood-management",
        "housing",
        "safety",
        "gender",
        "sdg-localisation",
        "covid-19-response",
    ],
)
def test_expected_themes_exist(slug: str):
    assert (URIRef(f"{ID}theme/{slug}"), RDF.type, CCKG.Theme) in theme_graph()


def test_waste_synonyms_in_several_languages():
    waste = URIRef(f"{ID}theme/waste-management-circular-economy")
    alts = {(lit.language, str(lit)) for lit in theme_graph().objects(waste, SKOS.altLabel)}
    assert {
        ("en", "composting"),
        ("de", "Kompostierung"),
        ("de", "Abfall"),
        ("es", "residuos"),
        ("es", "compostaje"),
        ("fr", "déchets"),
        ("fr", "compostage"),
    } <= alts


def test_region_scheme():
    g = Graph().parse(ONTOLOGY / "regions.ttl")
    regions = set(g.subjects(RDF.type, CCKG.Region))
    assert {str(r)[len(ID) + len("region/") :] for r in regions} == {
        "mena",
        "sub-saharan-africa",
        "latin-america-caribbean",
        "southeast-europe-caucasus",
        "asia-pacific",
        "europe",
        "north-america",
    }
    scheme = URIRef("https://w3id.org/cckg/def/regions")
    for region in regions:
        assert (region, RDF.type, SKOS.Concept) in g
        assert (region, SKOS.inScheme, scheme) in g
        assert (scheme, SKOS.hasTopConcept, region) in g
        langs = {lit.language for lit in g.objects(region, SKOS.prefLabel)}
        assert set(LANGS) <= langs


# ---------------------------------------------------------------- conversion of the facts


@pytest.mark.slow
@pytest.mark.skipif(not FACTS.exists(), reason="the shared facts file is not present")
def test_conversion_is_reproducible_and_complete(tmp_path: Path):
    spec = importlib.util.spec_from_file_location(
        "convert_facts", PROJECT_ROOT / "scripts" / "convert_facts.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    assert module.main(["--out", str(tmp_path)]) == 2  # never overwrites edited files
    facts = yaml.safe_load(FACTS.read_text(encoding="utf-8"))
    counts = {
        "solutions.yaml": len(facts["good_practices"]),
        "events.yaml": len(facts["events"]),
        "project-ideas.yaml": len(facts["project_ideas"]),
    }
    for path in sorted(tmp_path.iterdir()):
        source = parse_file(path, cities=tmp_path / "cities.csv")
        if path.name in counts:
            assert len(source.locations) == counts[path.name], path.name
    institutions = parse_file(tmp_path / "institutions.csv", cities=tmp_path / "cities.csv")
    labels = {str(o) for o in institutions.public.objects(None, RDFS.label)}
    for org in facts["organisations"]:  # every organisation made it (some split in several)
        first = re.split(r"[;/(]", org["name"])[0].strip()
        assert any(first.casefold() in label.casefold() for label in labels), org["name"]
