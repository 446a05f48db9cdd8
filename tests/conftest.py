"""Shared fixtures: real stores (pyoxigraph on disk, a real Oxigraph server and a real Virtuoso
over HTTP, from ``tests/servers.py``), the demo store and the app over it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cckg.core.store import EmbeddedStore

pytest_plugins = ["tests.servers"]


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "virtuoso: needs Virtuoso (virtuoso-t, Debian virtuoso-opensource)"
    )


# ---------------------------------------------------------------- the demo store


@pytest.fixture(scope="session", autouse=True)
def _derived_data_outside_the_checkout(tmp_path_factory):
    """Data derived from remote (or fake remote) stores goes to a temporary folder, never to
    the checkout's var/cache."""
    old = os.environ.get("CCKG_CACHE_DIR")
    os.environ["CCKG_CACHE_DIR"] = str(tmp_path_factory.mktemp("derived"))
    yield
    if old is None:
        os.environ.pop("CCKG_CACHE_DIR", None)
    else:
        os.environ["CCKG_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory) -> Path:
    """The real curated data + reference data (only the GeoNames cities it links to), loaded
    through the real pipeline into an on-disk store, once per session. Read-only for tests."""
    from cckg.loaders.pipeline import Loader, default_paths, parse_all

    path = tmp_path_factory.mktemp("demo") / "store"
    store = EmbeddedStore(path)
    sources = parse_all(default_paths(), store.base_iri, with_reference=True, all_cities=False)
    Loader(store, store.base_iri).load(sources)
    store.close()
    return path


@pytest.fixture(scope="session")
def demo_store(demo_store_path):
    """The demo store, opened once for the whole session (pyoxigraph: one opener per process)."""
    s = EmbeddedStore(demo_store_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def app(demo_store):
    from cckg.webapp import create_app

    return create_app({"TESTING": True, "CCKG_STORE_OBJECT": demo_store})


@pytest.fixture
def client(app):
    return app.test_client()
