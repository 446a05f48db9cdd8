"""The moderators' side: login (Flask-Login session, argon2 hashes, throttled), the review
queue (``/review``), one submission to edit, approve, reject with a reason, or merge into the
record it duplicates (``/review/{id}``), and the same decisions over JSON with the admin token
(``POST /api/review/{id}``: ``{"action": "approve"|"reject", "reason"?}``).

Moderators see the submitter's name and institution, never the e-mail address: they judge the
text, and the e-mails are the workflow's business. Records name the moderator by id only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request
from flask import session as flask_session
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from cckg.core.i18n import N_
from cckg.core.mediation import MediationError
from cckg.core.mediation.checks import scrub
from cckg.webapp import caching
from cckg.webapp.i18n import current_lang
from cckg.webapp.mediation import ModeratorUser, admin_token_ok, csrf, get_mediation, limit
from cckg.webapp.pages.submissions import read_json
from cckg.webapp.store import forget_derived, get_matcher

bp = Blueprint("review", __name__)
BAD_LOGIN = N_("Wrong name or password, or the account is locked for a while.")


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/review"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        try:
            limit("login", 20, 5)
            moderator = get_mediation().authenticate(
                request.form.get("username", "")[:100], request.form.get("password", "")[:1000]
            )
            if moderator is None:
                raise MediationError(BAD_LOGIN, 401)
        except MediationError as e:
            error = e.text(gettext)
            return render_template(
                "login.html", error=error, next=request.form.get("next")
            ), e.status
        mine = flask_session.get("mine", [])
        flask_session.clear()  # a fresh session for the logged-in moderator
        flask_session["mine"] = mine
        login_user(ModeratorUser(moderator))
        return redirect(_safe_next(request.form.get("next")))
    return render_template("login.html", error=error, next=request.args.get("next"))


@bp.post("/logout")
@login_required
def logout() -> Any:
    logout_user()
    return redirect("/")


def actor() -> str:
    return current_user.moderator.actor


@bp.get("/review")
@login_required
def queue() -> Any:
    response = Response(render_template("review.html", items=get_mediation().queue()))
    response.headers["Cache-Control"] = "no-store"
    return response


def _edits(form: Any) -> dict[str, Any]:
    return {
        "title_en": form.get("title_en"),
        "public_text": form.get("public_text"),
        "themes": form.getlist("themes"),
        "city": form.get("city"),
        "languages": form.get("languages", ""),
        "offered_by": form.get("offered_by"),
    }


def _item_page(sub: dict[str, Any], error: MediationError | None = None, status: int = 200) -> Any:
    med = get_mediation()
    lang = current_lang()
    draft = {
        "title_en": sub.get("title_en") or med.preview_title(sub),
        "public_text": sub.get("public_text") or scrub(sub["text"] or "", sub["name"] or ""),
    }
    page = render_template(
        "review_item.html",
        sub=sub,
        draft=draft,
        themes=get_matcher().themes((lang, "en")),
        institutions=med.institutions(lang) if sub["kind"] == "offer" else [],
        error={"field": error.field, "text": error.text(gettext)} if error else None,
    )
    response = Response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def after_write() -> None:
    """Pages, search and matching see the new public record at once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    caching.invalidate(app)
    forget_derived(app)


def decide(sid: str, action: str, who: str, data: Any) -> tuple[str, str | None]:
    """Apply one decision; (message id, IRI published or merged into)."""
    med = get_mediation()
    if action == "approve":
        iri = med.approve(
            sid, who, data.get("edits") if isinstance(data.get("edits"), dict) else None
        )
        after_write()
        return N_("Published."), iri
    if action == "reject":
        med.reject(sid, who, data.get("reason"))
        return N_("Rejected; the reason was sent to the submitter."), None
    if action == "merge":
        med.merge(sid, who, str(data.get("into") or ""))
        return N_("Merged; the submitter was told where to find the existing record."), str(
            data.get("into")
        )
    raise MediationError(N_("Unknown action."), 400, "action")


@bp.route("/review/<sid>", methods=["GET", "POST"])
@login_required
def item(sid: str) -> Any:
    med = get_mediation()
    sub = med.get(sid)
    if request.method == "GET":
        return _item_page(sub)
    action = request.form.get("action", "")
    edits = _edits(request.form)
    try:
        if action == "save":
            return _item_page(med.edit(sid, actor(), edits))
        if action == "approve":
            med.edit(sid, actor(), edits)
        data = {"reason": request.form.get("reason"), "into": request.form.get("into")}
        message, iri = decide(sid, action, actor(), data)
    except MediationError as e:
        sub = med.get(sid)
        sub.update({k: v for k, v in edits.items() if k in ("title_en", "public_text") and v})
        return _item_page(sub, e, e.status)
    link = (
        (iri.replace(med.ctx.require_store().base_iri, "/"), iri)
        if iri
        else ("/review", gettext("Back to the queue"))
    )
    return render_template(
        "message.html", title=gettext(message), message=gettext(message), link=link
    )


@bp.post("/api/review/<sid>")
@csrf.exempt
def api_review(sid: str) -> Any:
    if not current_app.config.get("CCKG_ADMIN_TOKEN"):
        raise MediationError(
            N_("Reviews over the API are off on this server (no CCKG_ADMIN_TOKEN)."), 404
        )
    if not admin_token_ok():
        response = jsonify(
            {
                "status": 401,
                "message": gettext("Send the admin token: Authorization: Bearer <token>."),
            }
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="cckg-admin"'
        return response
    data = read_json()
    action = data.get("action")
    if action not in ("approve", "reject"):
        raise MediationError(N_("Unknown action."), 400, "action")
    edits = {k: data[k] for k in ("offered_by", "themes", "title_en", "public_text") if k in data}
    message, iri = decide(sid, action, "admin-token", {**data, "edits": edits})
    sub = get_mediation().get(sid)
    return jsonify({"id": sid, "state": sub["state"], "iri": iri, "message": gettext(message)})
