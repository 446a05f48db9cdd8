"""Fixtures of the /sparql tests."""

from __future__ import annotations

import pytest

from cckg.webapp.pages.sparql import close_pool


@pytest.fixture(scope="module", autouse=True)
def _stop_workers(app):
    """Stop this module's query workers when it is done (a later use starts new ones)."""
    yield
    close_pool(app)
