"""The releases the app serves and cites (``cckg release`` writes them): the releases folder
(``CCKG_RELEASES``, default ``var/releases`` under the working directory), the latest release,
the citation of every page, and in-memory stores of a release's dumps for pinned queries.

A release store is loaded on first use and kept (``CCKG_RELEASE_STORES`` of them, default 1,
least recently used out first): a pinned query pays the load once, not per request."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from cckg.core import citation
from cckg.core.release import (
    ReleaseError,
    check_version,
    latest_release,
    list_releases,
    load_release,
)
from cckg.core.store import EmbeddedStore

STORES = "cckg_release_stores"
_lock = threading.Lock()


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def releases_dir(app: Flask | None = None) -> Path:
    app = app or _app()
    configured = app.config.get("CCKG_RELEASES")
    return Path(configured) if configured else Path.cwd() / "var" / "releases"


def releases() -> list[dict[str, Any]]:
    """The manifests of every release, newest first."""
    return list(reversed(list_releases(releases_dir())))


def latest() -> dict[str, Any] | None:
    return latest_release(releases_dir())


def latest_version() -> str:
    """The latest release's version ("" when none): part of the cache keys of pages that
    show the citation."""
    found = latest()
    return found["version"] if found else ""


def manifest(version: str) -> dict[str, Any]:
    """One release's manifest; raises ReleaseError for a malformed or unknown version."""
    check_version(version)
    found = next((r for r in list_releases(releases_dir()) if r["version"] == version), None)
    if found is None:
        raise ReleaseError(f"no release {version!r}; see /releases")
    return found


def citable(version: str | None = None) -> citation.Citable:
    base = _app().config["CCKG_BASE_IRI"]
    return citation.citable(manifest(version) if version else latest(), base)


def release_store(version: str) -> EmbeddedStore:
    """An in-memory store holding the release's dumps (loaded once, then kept)."""
    manifest(version)
    app = _app()
    with _lock:
        stores: OrderedDict[str, EmbeddedStore] = app.extensions.setdefault(STORES, OrderedDict())
        found = stores.get(version)
        if found is not None:
            stores.move_to_end(version)
            return found
    store = load_release(releases_dir(app), version, app.config["CCKG_BASE_IRI"])
    keep = max(int(app.config.get("CCKG_RELEASE_STORES", 1)), 1)
    with _lock:
        stores[version] = store
        while len(stores) > keep:
            stores.popitem(last=False)[1].close()
    return store
