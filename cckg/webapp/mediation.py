"""What the mediation pages share: the app's :class:`Mediation` (one per app), the secret key
and session cookies, CSRF protection on every form, moderators' logins, the per-address rate
limits of the public submit routes, and the rendering of refusals in the person's language.

- The secret key (``SECRET_KEY``/``CCKG_SECRET_KEY``, else ``var/secret_key``, made the first
  time a cookie or a link needs it; a test app gets a random one) signs the session cookie
  and the links in e-mails.
- Session cookies are HttpOnly, SameSite=Lax, and Secure when the public URL is https.
- CSRF (Flask-WTF ``CSRFProtect``) checks every POST/PUT/PATCH/DELETE; the SPARQL protocol,
  the admin write routes and the JSON APIs are exempt (they carry the admin token or are
  public submit endpoints, rate limited per address instead).
- A refusal (:class:`MediationError`, a CSRF failure) answers its status with the message in
  the request's language: JSON on ``/api/…``, else a small page.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from cckg.core.i18n import N_
from cckg.core.matching import MatchRequest
from cckg.core.mediation import Context, Mediation, MediationError, MediationSettings
from cckg.core.mediation import secret_key as stored_secret_key
from cckg.core.mediation.config import default_db_path
from cckg.core.mediation.moderators import Moderator
from cckg.core.settings import Settings
from cckg.core.writer import Writer
from cckg.webapp.reliability import TokenBucket
from cckg.webapp.store import get_matcher, get_store

log = logging.getLogger("cckg.mediation")
EXTENSION = "cckg_mediation"
csrf = CSRFProtect()
login_manager = LoginManager()
_lock = threading.RLock()  # get_mediation makes the writer under it
SUGGESTED_THEMES = 3
TOO_MANY = N_("Too many requests. Please wait a moment and try again.")


class ModeratorUser(UserMixin):
    """A logged-in moderator for Flask-Login (id, name, role)."""

    def __init__(self, moderator: Moderator):
        self.moderator = moderator
        self.id = str(moderator.id)


def ensure_secret(app: Flask) -> str:
    """The app's secret key, made when first needed (a cookie to sign, a link to make): a
    server that never sets a cookie or sends a link never writes ``var/secret_key``."""
    if not app.secret_key:
        with _lock:
            if not app.secret_key:
                configured = app.config.get("CCKG_SECRET_KEY")
                if configured:
                    app.secret_key = str(configured)
                elif app.testing:  # a test app never writes a key file into the checkout
                    app.secret_key = secrets.token_urlsafe(32)
                else:
                    app.secret_key = stored_secret_key()
    return str(app.secret_key)


class LazyKeySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a request without a session cookie opens an empty
    session without the key, which is made only when a session is saved."""

    def get_signing_serializer(self, app: Flask) -> Any:
        ensure_secret(app)
        return super().get_signing_serializer(app)

    def open_session(self, app: Flask, request: Any) -> Any:
        if request.cookies.get(self.get_cookie_name(app)) is None:
            return self.session_class()
        return super().open_session(app, request)


def _csrf_token(*args: Any, **kwargs: Any) -> str:
    ensure_secret(current_app._get_current_object())  # type: ignore[attr-defined]
    return generate_csrf(*args, **kwargs)


def _db_path(app: Flask) -> Path | str:
    """``CCKG_MEDIATION_DB``; else beside the embedded store's data; else ``var/``."""
    if app.config.get("CCKG_MEDIATION_DB"):
        return app.config["CCKG_MEDIATION_DB"]
    own = get_store(app).cache_dir
    if own is not None:
        return own.parent / "mediation.sqlite"
    return default_db_path(Settings.from_env())


def _settings(app: Flask) -> MediationSettings:
    db = _db_path(app)
    values = dict(app.config)
    if app.testing and not values.get("CCKG_OUTBOX"):  # never the checkout's var/
        values["CCKG_OUTBOX"] = str(Path(db).parent / "outbox")
    return MediationSettings.from_mapping(values, db)


def _suggester(app: Flask) -> Callable[[str], list[str]]:
    """The matcher's understanding of a text: its themes, strongest first."""

    def suggest(text: str) -> list[str]:
        if not text.strip():
            return []
        response = get_matcher(app).match(
            MatchRequest(text=text[:5000], kinds=("solution",), limit=1)
        )
        return [t["iri"] for t in response.query["themes"]][:SUGGESTED_THEMES]

    return suggest


def writer(app: Flask) -> Writer:
    """The app's one Writer (shared with the admin routes: its gate compiles the shapes once)."""
    w = app.extensions.get("cckg_writer")
    if w is None:
        with _lock:
            w = app.extensions.get("cckg_writer")
            if w is None:
                w = app.extensions["cckg_writer"] = Writer(get_store(app))
    return w


def get_mediation(app: Flask | None = None) -> Mediation:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    med = app.extensions.get(EXTENSION)
    if med is None:
        with _lock:
            med = app.extensions.get(EXTENSION)
            if med is None:
                ctx = Context(
                    _settings(app),
                    ensure_secret(app),
                    store=get_store(app),
                    writer=writer(app),
                    mailer=app.config.get("CCKG_MAILER"),
                    suggest=_suggester(app),
                )
                med = app.extensions[EXTENSION] = Mediation(ctx)
    return med


# ---------------------------------------------------------------- refusals


def error_response(e: MediationError) -> Response:
    """The refusal in the request's language (JSON on /api/…, else a page)."""
    message = e.text(gettext)
    if request.path.startswith("/api/"):
        body: dict[str, Any] = {"status": e.status, "message": message}
        if e.field:
            body["field"] = e.field
        response = jsonify(body)
    else:
        response = Response(
            render_template("message.html", title=gettext("Sorry"), message=message, error=True)
        )
    response.status_code = e.status
    response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_error(e: CSRFError) -> Response:
    return error_response(
        MediationError(
            N_(
                "This form has expired or was not sent from this site. "
                "Please reload the page and try again."
            ),
            400,
        )
    )


# ---------------------------------------------------------------- rate limits


def _bucket(name: str, per_hour: float, burst: float) -> TokenBucket:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    key = f"cckg_limit_{name}_{per_hour}_{burst}"  # a changed setting gets a new bucket
    bucket = app.extensions.get(key)
    if bucket is None:
        with _lock:
            bucket = app.extensions.get(key)
            if bucket is None:
                bucket = app.extensions[key] = TokenBucket(per_hour / 60.0, burst)
    return bucket


def limit(name: str, default_per_hour: float = 20, default_burst: float = 5) -> None:
    """Take one token of the client address's bucket ``name`` (``CCKG_LIMIT_{NAME}`` per hour,
    0: off; bursts of ``CCKG_LIMIT_{NAME}_BURST``); MediationError 429 when it is empty."""
    config = current_app.config
    per_hour = float(config.get(f"CCKG_LIMIT_{name.upper()}", default_per_hour))
    if per_hour <= 0:
        return
    burst = float(config.get(f"CCKG_LIMIT_{name.upper()}_BURST", min(default_burst, per_hour)))
    wait = _bucket(name, per_hour, burst).take(request.remote_addr or "unknown")
    if wait > 0:
        raise MediationError(TOO_MANY, 429)


def admin_token_ok() -> bool:
    token = current_app.config.get("CCKG_ADMIN_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), str(token).encode())
    )


def no_store(response: Response) -> Response:
    """Pages reached by a personal link are never cached, nor their address passed on."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# ---------------------------------------------------------------- wiring


def db_path(app: Flask) -> Path:
    return Path(_db_path(app))


def init_app(app: Flask) -> None:
    app.session_interface = LazyKeySessions()
    https = str(app.config.get("CCKG_PUBLIC_URL") or "").startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
    )
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)
    csrf.init_app(app)
    app.jinja_env.globals["csrf_token"] = _csrf_token  # the key is made when a form needs it
    app.context_processor(lambda: {"csrf_token": _csrf_token})
    login_manager.init_app(app)
    # No "remember me" cookies here: Flask-Login's hook that refreshes them reads the session
    # on every response, which would add "Vary: Cookie" to SPARQL and JSON answers too.
    hooks = app.after_request_funcs.get(None, [])
    if login_manager._update_remember_cookie in hooks:
        hooks.remove(login_manager._update_remember_cookie)
    login_manager.login_view = "review.login"
    login_manager.login_message = ""  # the login page says it
    login_manager.session_protection = "strong"
    app.register_error_handler(MediationError, error_response)
    app.register_error_handler(CSRFError, _csrf_error)


@login_manager.user_loader
def _load_user(user_id: str) -> ModeratorUser | None:
    try:
        moderator = get_mediation().moderator(int(user_id))
    except ValueError:
        return None
    return ModeratorUser(moderator) if moderator else None
