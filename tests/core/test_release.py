"""Citable releases (``cckg.core.release``) and citations (``cckg.core.citation``): a release's
dumps reload into an empty store isomorphic to the release, checksums hold, the changelog names
the things added, removed and changed, and bad versions are refused."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

from cckg.core import citation
from cckg.core.release import (
    ReleaseError,
    check_version,
    latest_release,
    list_releases,
    load_release,
    make_release,
)
from cckg.core.store import EmbeddedStore

DAY = dt.date(2026, 12, 1)


@pytest.fixture
def store(demo_store):
    """A writable in-memory copy of the demo store's public graphs."""
    copy = EmbeddedStore(None, demo_store.base_iri)
    copy.replace_graphs({g: [_triples(demo_store, g)] for g in demo_store.public_graphs()})
    yield copy
    copy.close()


def _triples(store: EmbeddedStore, name: URIRef) -> bytes:
    quads = ox.parse(store.export_nquads([name]), format=ox.RdfFormat.N_QUADS)
    return ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES) or b""


def _graph(store: EmbeddedStore, name: URIRef) -> Graph:
    g = Graph().parse(data=_triples(store, name).decode(), format="nt")
    assert len(g) > 0, name
    return g


def test_release_reloads_isomorphic_with_checksums(store, tmp_path):
    made = make_release(store, tmp_path, today=DAY)
    folder = tmp_path / "2026-12-01"
    assert made.version == "2026-12-01" and made.iri == f"{store.base_iri}release/2026-12-01"
    sums = dict(
        reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines()
    )
    assert set(sums) == {f.name for f in made.files} and len(made.files) == len(
        store.public_graphs()
    )
    for f in made.files:
        data = (folder / f.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sums[f.name] == f.sha256
        assert gzip.decompress(data).count(b"\n") == f.quads
    reloaded = load_release(tmp_path, "2026-12-01", store.base_iri)
    try:
        assert sorted(map(str, reloaded.public_graphs())) == sorted(map(str, store.public_graphs()))
        for name in store.public_graphs():
            assert isomorphic(_graph(reloaded, name), _graph(store, name)), name
    finally:
        reloaded.close()
    description = Graph().parse(folder / "release.ttl")
    assert (
        URIRef(made.iri),
        URIRef("http://www.w3.org/ns/dcat#version"),
        Literal("2026-12-01"),
    ) in description
    assert len(
        list(
            description.objects(URIRef(made.iri), URIRef("http://www.w3.org/ns/dcat#distribution"))
        )
    ) == len(made.files)
    manifest = json.loads((folder / "release.json").read_text())
    assert manifest["changes"] == {"added": made.things, "removed": 0, "changed": 0}


def test_same_content_gives_the_same_bytes(store, tmp_path):
    first = make_release(store, tmp_path, "1.0.0", today=DAY)
    second = make_release(store, tmp_path, "1.0.1", today=DAY)
    assert [f.sha256 for f in first.files] == [f.sha256 for f in second.files]
    assert second.previous == "1.0.0"
    assert second.changes.added == second.changes.removed == second.changes.changed == []


def test_changelog_names_added_removed_and_changed_things(store, tmp_path):
    make_release(store, tmp_path, "2026-12-01", today=DAY)
    base = store.base_iri
    solutions = URIRef(f"{base}graph/curated/solutions")
    g = _graph(store, solutions)
    gone = URIRef(f"{base}id/solution/bizerte-composting")
    changed = URIRef(f"{base}id/solution/belo-horizonte-zona-30")
    new = URIRef(f"{base}id/solution/a-new-one")
    g.remove((gone, None, None))
    g.add((changed, RDFS.comment, Literal("edited", lang="en")))
    g.add((new, RDFS.label, Literal("A new one", lang="en")))
    store.replace_graphs({solutions: [g.serialize(format="nt", encoding="utf-8")]})
    made = make_release(store, tmp_path, "2026-12-02", today=DAY)
    assert made.changes.added == [str(new)]
    assert made.changes.removed == [str(gone)]
    assert made.changes.changed == [str(changed)]
    log = (tmp_path / "2026-12-02" / "CHANGELOG.md").read_text()
    assert f"<{new}>" in log and "since release 2026-12-01" in log
    assert [r["version"] for r in list_releases(tmp_path)] == ["2026-12-01", "2026-12-02"]
    assert latest_release(tmp_path)["version"] == "2026-12-02"


def test_bad_and_existing_versions_are_refused(store, tmp_path):
    for bad in ("2026-13-01", "latest", "1.0", "../x"):
        with pytest.raises(ReleaseError):
            check_version(bad)
    make_release(store, tmp_path, "2.0.0", today=DAY)
    with pytest.raises(ReleaseError, match="exists"):
        make_release(store, tmp_path, "2.0.0", today=DAY)
    assert not list(tmp_path.glob(".*partial"))


def test_a_tampered_dump_is_refused(store, tmp_path):
    made = make_release(store, tmp_path, "3.0.0", today=DAY)
    path = tmp_path / "3.0.0" / made.files[0].name
    path.write_bytes(gzip.compress(b"<a:b> <c:d> <e:f> <g:h> .\n"))
    with pytest.raises(ReleaseError, match="checksum"):
        load_release(tmp_path, "3.0.0", store.base_iri)


def test_citation_formats():
    release = {"version": "2026-12-01", "iri": "https://w3id.org/cckg/release/2026-12-01",
               "issued": "2026-12-02"}  # fmt: skip
    c = citation.citable(release, "https://w3id.org/cckg/")
    bib = citation.bibtex(c)
    assert bib.startswith("@misc{cckg_2026_12_01,") and "version = {2026-12-01}" in bib
    assert "url = {https://w3id.org/cckg/release/2026-12-01}" in bib and bib.count(
        "{"
    ) == bib.count("}")
    ris = citation.ris(c)
    assert (
        ris.startswith("TY  - DATA\r\n") and "ET  - 2026-12-01" in ris and ris.endswith("ER  -\r\n")
    )
    item = json.loads(citation.csl_json(c))[0]
    assert item["type"] == "dataset" and item["version"] == "2026-12-01"
    assert item["issued"] == {"date-parts": [[2026, 12, 2]]}
    live = citation.citable(None, "https://w3id.org/cckg/", today=DAY)
    assert not live.is_release and live.url == "https://w3id.org/cckg/dataset"
    assert "accessed 2026-12-01" in citation.bibtex(live) and "accessed" in citation.csl_json(live)
