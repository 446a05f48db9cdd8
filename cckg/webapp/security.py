"""Security headers on every response, safe by default.

- ``Content-Security-Policy``: pages load scripts, styles, images and fonts from this server
  only; a ``<style>`` or ``<script>`` element in a page must carry the request's nonce
  (``csp_nonce`` in templates); no plugins, no ``<base>``, forms post only here, and no site
  may frame us (``frame-ancestors 'none'``). Non-HTML answers get ``default-src 'none'``.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``,
  ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``).
- ``Strict-Transport-Security`` when the request came over https (directly, or through the
  ``CCKG_TRUSTED_PROXIES`` proxies that say so in ``X-Forwarded-Proto``).

A view that needs more (the SPARQL editor's library adds style elements at run time) sets
``g.csp_relax`` to extra sources per directive, with a comment saying why.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request

HSTS = "max-age=31536000; includeSubDomains"


def nonce() -> str:
    """This request's CSP nonce (made on first use)."""
    value = g.get("csp_nonce")
    if value is None:
        value = g.csp_nonce = secrets.token_urlsafe(16)
    return value


def relax(directive: str, *sources: str) -> None:
    """Allow more ``sources`` for one directive of this response's policy."""
    extra: dict[str, list[str]] = g.setdefault("csp_relax", {})
    extra.setdefault(directive, []).extend(sources)


def policy(html: bool) -> str:
    if not html:
        return "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    n = f"'nonce-{nonce()}'"
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", n],
        "style-src": ["'self'", n],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    for directive, sources in g.get("csp_relax", {}).items():
        current = directives.setdefault(directive, [])
        if "'unsafe-inline'" in sources:  # browsers ignore it next to a nonce: drop the nonce
            current[:] = [s for s in current if not s.startswith("'nonce-")]
        current.extend(sources)
    return "; ".join(f"{d} {' '.join(s)}" for d, s in directives.items())


def _https() -> bool:
    if request.scheme == "https":
        return True
    hops = int(current_app.config.get("CCKG_TRUSTED_PROXIES", 0) or 0)
    if hops <= 0:
        return False
    values = [v.strip() for v in request.headers.get("X-Forwarded-Proto", "").split(",")]
    values = [v for v in values if v]
    return len(values) >= hops and values[-hops] == "https"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = nonce

    @app.after_request
    def _headers(response: Response) -> Response:
        html = response.mimetype == "text/html"
        response.headers["Content-Security-Policy"] = policy(html)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if _https():
            response.headers["Strict-Transport-Security"] = HSTS
        return response
