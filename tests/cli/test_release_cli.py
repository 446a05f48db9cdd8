"""`cckg release`: writes a release into --out, refuses an existing or malformed version
(exit code 2), and names the changes since the previous release."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from cckg.cli import main
from cckg.core.store import EmbeddedStore

BASE = "https://w3id.org/cckg/"
GRAPH = URIRef(f"{BASE}graph/curated/cities")


def _store(path, labels: dict[str, str]) -> None:
    g = Graph()
    for slug, label in labels.items():
        g.add((URIRef(f"{BASE}id/city/{slug}"), RDFS.label, Literal(label, lang="en")))
    store = EmbeddedStore(path, BASE)
    store.replace_graphs({GRAPH: [g.serialize(format="nt", encoding="utf-8")]})
    store.close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CCKG_STORE", str(tmp_path / "store"))
    monkeypatch.delenv("CCKG_ENDPOINT", raising=False)
    return tmp_path


def test_release_command(env):
    _store(env / "store", {"bonn": "Bonn", "leipzig": "Leipzig"})
    runner = CliRunner()
    out = env / "releases"
    first = runner.invoke(main, ["release", "--out", str(out), "--version", "2026-01-01"])
    assert first.exit_code == 0, first.output
    assert "Release 2026-01-01" in first.output and "2 added" in first.output
    assert (out / "2026-01-01" / "graphs" / "curated-cities.nq.gz").is_file()
    again = runner.invoke(main, ["release", "--out", str(out), "--version", "2026-01-01"])
    assert again.exit_code == 2 and "exists" in again.output
    bad = runner.invoke(main, ["release", "--out", str(out), "--version", "next"])
    assert bad.exit_code == 2 and "semver" in bad.output
    _store(env / "store", {"bonn": "Bonn (Rhein)", "erfurt": "Erfurt"})
    second = runner.invoke(main, ["release", "--out", str(out), "--version", "1.0.0"])
    assert second.exit_code == 0, second.output
    changes = json.loads((out / "1.0.0" / "changes.json").read_text())
    assert changes == {
        "added": [f"{BASE}id/city/erfurt"],
        "removed": [f"{BASE}id/city/leipzig"],
        "changed": [f"{BASE}id/city/bonn"],
    }
