"""Rendered pages kept per store version: the map, the network and the dashboard are drawn
from data that changes only with the store, so a repeated request (same path and query
string, language and cited release) is answered with the body rendered the first time.

Bodies live in ``caching.body_cache`` (bounded by entries and bytes, emptied when the store
changes). Pages cached here must not carry the per-response CSP nonce."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, request

from cckg.webapp import caching
from cckg.webapp.i18n import current_lang
from cckg.webapp.versions import latest_version


def cached_page(name: str, render: Callable[[], str]) -> Response:
    """The page ``render`` draws for this request, rendered once per store version."""
    version = caching.store_version()
    key = (version.tag, request.full_path, current_lang(), latest_version())
    bodies = caching.body_cache(f"page:{name}")
    hit = bodies.get(key)
    if hit is not None:
        return Response(hit.body, content_type=hit.content_type)
    response = Response(render(), content_type="text/html; charset=utf-8")
    bodies.put(key, response.get_data(), response.content_type)
    return response
