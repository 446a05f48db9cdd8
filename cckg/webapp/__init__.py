"""The cckg web app: an app factory with one blueprint per feature (``pages/``), and the
infrastructure the pages share beside it (store accessors, errors, languages, caching, content
negotiation, reliability)."""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask

from cckg.core.settings import Settings
from cckg.core.store import Store, open_store
from cckg.webapp import edge_cache, errors, i18n, mediation, reliability, security
from cckg.webapp import store as app_store
from cckg.webapp.pages import (
    admin,
    dataset,
    definitions,
    explore,
    geo,
    home,
    introductions,
    linked_data,
    match,
    my_data,
    network,
    openapi,
    queries,
    releases,
    review,
    search,
    sparql,
    submissions,
)

BLUEPRINTS = (
    home.bp, match.bp, search.bp, sparql.bp, linked_data.bp, definitions.bp, dataset.bp,
    queries.bp, explore.bp, admin.bp, openapi.bp, submissions.bp, review.bp, introductions.bp,
    my_data.bp, geo.bp, network.bp, releases.bp,
)  # fmt: skip


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` may carry a ready ``CCKG_STORE_OBJECT`` (a Store), or
    ``CCKG_STORE_READ_ONLY`` (open the embedded store read-only: one of several server
    workers, ``cckg serve --workers N``)."""
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
        store = open_store(settings, read_only=bool(app.config.get("CCKG_STORE_READ_ONLY")))
    app_store.init_app(app, store)
    app.config["CCKG_DESCRIPTION"] = store.location

    errors.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    mediation.init_app(app)
    # CSRF guards every form; the SPARQL protocol and the admin writes are not forms (the
    # latter carry the admin token).
    mediation.csrf.exempt(sparql.bp)
    mediation.csrf.exempt(admin.bp)
    base = app.config["CCKG_BASE_IRI"]
    app.jinja_env.filters["local"] = lambda iri: app_store.local_path(str(iri), base)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    edge_cache.init_app(app)  # inside the access log: hits are logged too
    reliability.init_app(app)
    return app
