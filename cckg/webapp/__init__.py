"""The cckg web app: an app factory with one blueprint per feature."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from flask import Flask

from cckg.core.settings import Settings
from cckg.core.store import Store, open_store


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` may carry a ready ``CCKG_STORE_OBJECT`` (a Store)."""
    app = Flask(__name__)
    settings = Settings.from_env()
    app.config.from_mapping(
        CCKG_BASE_IRI=settings.base_iri,
        CCKG_SPARQL_TIMEOUT_S=settings.sparql_timeout_s,
        CCKG_SPARQL_ROW_CAP=settings.sparql_row_cap,
        CCKG_ADMIN_TOKEN=settings.admin_token,
        JSON_AS_ASCII=False,
    )
    # Every other CCKG_* variable (e.g. CCKG_SPARQL_WORKERS, CCKG_TRUSTED_PROXIES) becomes a
    # config key of the same name; JSON values (numbers, booleans) are decoded.
    for key, raw in os.environ.items():
        if key.startswith("CCKG_") and key not in app.config:
            try:
                app.config[key] = json.loads(raw)
            except ValueError:
                app.config[key] = raw
    if test_config:
        app.config.update(test_config)
    store: Store | None = app.config.get("CCKG_STORE_OBJECT")
    if store is None:
        store = open_store(settings)
    app.extensions["cckg_store"] = store
    app.config["CCKG_DESCRIPTION"] = getattr(store, "endpoint", None) or str(
        getattr(store, "path", "memory")
    )

    from cckg.webapp import (
        admin,
        dataset,
        definitions,
        errors,
        frontend,
        home,
        i18n,
        linked_data,
        openapi,
        reliability,
        search,
    )
    from cckg.webapp import match as match_pages
    from cckg.webapp import queries as named_query_pages
    from cckg.webapp import sparql as sparql_endpoint

    errors.init_app(app)
    i18n.init_app(app)
    app.jinja_env.filters["local"] = lambda iri: local_path(str(iri), app.config["CCKG_BASE_IRI"])
    app.register_blueprint(home.bp)
    app.register_blueprint(match_pages.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(sparql_endpoint.bp)
    app.register_blueprint(linked_data.bp)
    app.register_blueprint(definitions.bp)
    app.register_blueprint(dataset.bp)
    app.register_blueprint(named_query_pages.bp)
    app.register_blueprint(frontend.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(openapi.bp)
    reliability.init_app(app)
    logging.getLogger("waitress").setLevel(logging.INFO)
    return app


def get_store(app: Flask | None = None) -> Store:
    from flask import current_app

    return (app or current_app).extensions["cckg_store"]


def local_path(iri: str, base: str) -> str:
    """Our own IRIs as paths on this server (so links work wherever it is deployed)."""
    return "/" + iri[len(base) :] if iri.startswith(base) else iri
