"""A worker of ``cckg serve --workers N`` has the embedded store open read-only: publishing or
withdrawing a submission there is refused with a 503 (a MediationError the pages show in the
person's language) before anything is read or written, not with the store's write error."""

from __future__ import annotations

import pytest

from cckg.core.mediation import MediationError
from cckg.core.mediation import publish as publishing
from cckg.core.store import EmbeddedStore
from cckg.core.writer import Writer
from tests.support.mediation import writable_store


@pytest.fixture
def read_only_store(demo_store_path, demo_store, tmp_path):
    path = tmp_path / "store"
    writable_store(demo_store_path, demo_store, path).close()
    store = EmbeddedStore(path, read_only=True)
    yield store
    store.close()


def test_publish_and_withdraw_on_a_read_only_store_are_refused_with_503(read_only_store):
    writer = Writer(read_only_store)
    before = sorted(read_only_store.public_graphs())
    with pytest.raises(MediationError) as refused:
        publishing.publish(writer, {"kind": "need", "id": "x"}, "moderator:1", "2026-12-07")
    assert refused.value.status == 503
    assert "read-only" in refused.value.text()
    with pytest.raises(MediationError) as refused:
        publishing.withdraw(writer, "https://w3id.org/cckg/id/need/submitted-x", "need", "x")
    assert refused.value.status == 503
    assert sorted(read_only_store.public_graphs()) == before
