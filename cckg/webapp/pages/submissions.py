"""Submitting a need or an offer: the forms (``/needs/new``, ``/offers/new``, no JavaScript
needed), the JSON API (``POST /api/needs``, ``POST /api/offers`` → 202 ``{id, status_url}``),
the confirmation link (``/confirm/{token}``: a page with a button, so a mail scanner following
the link confirms nothing), the city list for the form's autocomplete (``/api/cities``) and
the privacy notice (``/privacy``).

Every route writes nothing when it refuses (4xx, in the person's language); the forms carry a
CSRF token and a honeypot field, the JSON routes are rate limited per client address (and, in
the core, per e-mail address).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, session
from flask_babel import gettext
from werkzeug.exceptions import RequestEntityTooLarge

from cckg.core.i18n import N_
from cckg.core.mediation import MAX_BODY, NOTICE_ID, NOTICE_VERSION, MediationError
from cckg.webapp.i18n import LANG_NAMES, current_lang
from cckg.webapp.mediation import csrf, get_mediation, limit, no_store
from cckg.webapp.store import get_matcher, get_store

bp = Blueprint("submissions", __name__)
HEADINGS = {"need": N_("Submit a need"), "offer": N_("Offer your know-how")}
NOTICE = {"id": NOTICE_ID, "version": NOTICE_VERSION}
MAX_OWN = 20  # submissions a browser session remembers as its own


def remember_own(sid: str) -> None:
    """This browser proved it holds the submission's links (used to ask for introductions)."""
    mine = [s for s in session.get("mine", []) if s != sid]
    session["mine"] = [*mine, sid][-MAX_OWN:]


def read_json() -> Any:
    """The JSON body (at most ``MAX_BODY`` bytes), or MediationError 400/413."""
    request.max_content_length = MAX_BODY
    try:
        data = request.get_json(silent=True)
    except RequestEntityTooLarge as e:
        raise MediationError(N_("The request is too large."), 413) from e
    if not isinstance(data, dict):
        raise MediationError(N_("Please send a JSON object."), 400)
    return data


def read_form() -> Any:
    request.max_content_length = MAX_BODY
    try:
        return request.form
    except RequestEntityTooLarge as e:
        raise MediationError(N_("The request is too large."), 413) from e


def form_consent(form: Any) -> dict[str, Any]:
    return {
        "accepted": form.get("consent") == "yes",
        "notice": form.get("consent_notice"),
        "version": form.get("consent_version"),
    }


def _form_values(form: Any) -> dict[str, Any]:
    other = form.get("languages_other", "")
    return {
        "text": form.get("text", ""),
        "city": form.get("city", ""),
        "themes": form.getlist("themes"),
        "languages": form.getlist("languages"),
        "languages_other": other,
        "name": form.get("name", ""),
        "institution": form.get("institution", ""),
        "email": form.get("email", ""),
    }


def _render(
    kind: str,
    form: dict[str, Any],
    error: MediationError | None = None,
    suggest: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    lang = current_lang()
    base = get_store().base_iri
    themes = get_matcher().themes((lang, "en"))
    chosen = {f"{base}id/theme/{s}" if "/" not in s else s for s in form.get("themes", [])}
    suggested: list[str] = []
    if form.get("text") and (suggest or not chosen):
        suggested = get_mediation().suggest_themes(form["text"])
        if not chosen:
            chosen = set(suggested)
    return render_template(
        "submit.html",
        kind=kind,
        heading=gettext(HEADINGS[kind]),
        action=request.path,
        form={"languages": [], **form},
        themes=themes,
        suggested=set(suggested),
        chosen=chosen,
        ui_languages=LANG_NAMES,
        notice=NOTICE,
        error={"field": error.field, "text": error.text(gettext)} if error else None,
    ), status


def _form_page(kind: str) -> Any:
    if request.method == "GET":
        form = {"text": request.args.get("text", "")[:5000], "city": request.args.get("city", "")}
        return _render(kind, form)
    form = read_form()
    values = _form_values(form)
    if form.get("action") == "suggest":
        return _render(kind, values, suggest=True)
    if form.get("website"):  # the honeypot: a bot; it is told nothing useful
        return _sent_page(None)
    data = dict(values)
    data["languages"] = values["languages"] + [
        c for c in values["languages_other"].split(",") if c.strip()
    ]
    data["consent"] = form_consent(form)
    try:
        limit("submit")
        result = get_mediation().submit(kind, data, current_lang())
    except MediationError as e:
        return _render(kind, values, error=e, status=e.status)
    return _sent_page(result["status_url"])


def _sent_page(status_url: str | None) -> Response:
    days = int(get_mediation().ctx.settings.unconfirmed_days)
    page = render_template(
        "message.html",
        title=gettext("Check your e-mail"),
        message=gettext(
            "We sent you a link. Please confirm your e-mail address within %(days)s days; "
            "nothing is published before a moderator has reviewed it.",
            days=days,
        ),
        link=(status_url, gettext("Follow your request")) if status_url else None,
    )
    return no_store(Response(page))


@bp.route("/needs/new", methods=["GET", "POST"])
def new_need() -> Any:
    return _form_page("need")


@bp.route("/offers/new", methods=["GET", "POST"])
def new_offer() -> Any:
    return _form_page("offer")


def _api_submit(kind: str) -> tuple[Response, int]:
    limit("submit")
    data = read_json()
    if data.get("website"):  # honeypot: looks accepted, nothing is kept or sent
        fake = secrets.token_hex(6)
        return jsonify(
            {"id": fake, "status_url": request.url_root + "status/" + secrets.token_urlsafe(40)}
        ), 202
    return jsonify(get_mediation().submit(kind, data, current_lang())), 202


@bp.post("/api/needs")
@csrf.exempt
def api_needs() -> tuple[Response, int]:
    return _api_submit("need")


@bp.post("/api/offers")
@csrf.exempt
def api_offers() -> tuple[Response, int]:
    return _api_submit("offer")


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Response:
    med = get_mediation()
    if request.method == "GET":
        row = med.confirm_check(token)
        page = render_template("confirm.html", row=row)
        return no_store(Response(page))
    row = med.confirm(token)
    if row["subject"] == "s":
        remember_own(row["id"])
        message = gettext(
            "Thank you: your e-mail address is confirmed. "
            "A moderator will review what you sent and write to you."
        )
    else:
        message = gettext(
            "Thank you: your request was sent to %(counterpart)s. "
            "We will write to you when they answer.",
            counterpart=row["counterpart_label"],
        )
    page = render_template(
        "message.html",
        title=gettext("Confirmed"),
        message=message,
        link=(row["status_url"], gettext("Follow your request")),
    )
    return no_store(Response(page))


@bp.get("/api/cities")
def cities() -> Response:
    q = request.args.get("q", "")[:100]
    response = jsonify({"cities": get_mediation().cities(q) if len(q.strip()) >= 2 else []})
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/privacy")
def privacy() -> str:
    return render_template("privacy.html", notice_id=NOTICE_ID, version=NOTICE_VERSION)
