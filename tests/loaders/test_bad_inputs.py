"""Every file of the bad-input corpus, loaded with the real CLI into a real store: the exit
code the corpus table gives, a report naming the file, and the store byte-for-byte untouched."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cckg.cli import main
from cckg.core.store import EmbeddedStore, canonical_hash
from tests.support.bad_corpus import BAD, bad_rows

ROWS = bad_rows()


@pytest.fixture(scope="module")
def snapshot(demo_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("bad") / "store"
    demo_store.backup(path)
    s = EmbeddedStore(path)
    digest = canonical_hash(s.export_nquads())
    s.close()
    return path, digest


@pytest.mark.slow
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input_fails_cleanly_and_writes_nothing(row, snapshot):
    name, _defect, code, _by, _where = row
    path, digest = snapshot
    result = CliRunner().invoke(
        main, ["load", "--format", "json", str(BAD / name)], env={"CCKG_STORE": str(path)}
    )
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    report = json.loads(result.stdout)
    assert report["conforms"] is False
    if code == 2:
        assert name in report["error"]["file"] and report["error"]["message"]
    else:
        v = report["violations"][0]
        assert name in v["file"] and v["message"]
    s = EmbeddedStore(path)
    try:
        assert canonical_hash(s.export_nquads()) == digest
    finally:
        s.close()
