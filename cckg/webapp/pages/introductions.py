"""Asking to be introduced, and answering: the form (``/introductions/new?counterpart=IRI``,
linked from every match result, solution, institution, offer and practitioner page), the JSON
API (``POST /api/introductions``), and the contact's accept/decline page
(``/introductions/answer/{token}``: the e-mail link opens it; only its buttons answer).

A browser that proved it holds a published need's links (its status link from an e-mail, or
its confirmation) may ask on that need's behalf at once; anyone else confirms their e-mail
address first.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, session
from flask_babel import gettext

from cckg.core.i18n import N_
from cckg.core.mediation import NOTICE_ID, NOTICE_VERSION, MediationError
from cckg.webapp.i18n import current_lang
from cckg.webapp.mediation import csrf, get_mediation, limit, no_store
from cckg.webapp.pages.submissions import form_consent, read_form, read_json

bp = Blueprint("introductions", __name__)
NOTICE = {"id": NOTICE_ID, "version": NOTICE_VERSION}


def _page(values: dict[str, Any], error: MediationError | None = None, status: int = 200) -> Any:
    med = get_mediation()
    lang = current_lang()
    cp = med.counterpart(values.get("counterpart", ""), lang)
    need = (
        med.published_need(values["need"], lang)
        if values.get("need", "").startswith("http")
        else None
    )
    page = render_template(
        "introduce.html",
        cp=cp,
        has_contact=med.has_contact(cp, lang),
        own=med.own_needs(list(session.get("mine", []))),
        need=need,
        form=values,
        notice=NOTICE,
        error={"field": error.field, "text": error.text(gettext)} if error else None,
    )
    return page, status


@bp.route("/introductions/new", methods=["GET", "POST"])
def new() -> Any:
    if request.method == "GET":
        values = {k: request.args.get(k, "")[:5000] for k in ("counterpart", "need", "text")}
        return _page(values)
    form = read_form()
    values = {
        k: form.get(k, "")
        for k in ("counterpart", "need", "text", "name", "institution", "email", "choice")
    }
    if form.get("website"):  # honeypot
        return _done(None, own=False)
    choice = values["choice"]
    owner = None
    if choice.startswith("own:") and choice[4:] in session.get("mine", []):
        owner = choice[4:]
    data = {
        "counterpart": values["counterpart"],
        "need": values["need"] if choice == "need" else "",
        "need_text": values["text"],
        "name": values["name"],
        "email": values["email"],
        "institution": values["institution"],
        "consent": form_consent(form),
    }
    try:
        limit("submit")
        result = get_mediation().request_introduction(data, current_lang(), owner)
    except MediationError as e:
        return _page(values, e, e.status)
    return _done(result["status_url"], own=owner is not None)


def _done(status_url: str | None, own: bool) -> Response:
    if own:
        title = gettext("Request sent")
        message = gettext(
            "Your request was sent. We will write to you when they answer; "
            "your contact is passed on only if they accept."
        )
    else:
        title = gettext("Check your e-mail")
        message = gettext(
            "We sent you a link. Please confirm your e-mail address; then we send your request."
        )
    link = (status_url, gettext("Follow your request")) if status_url else None
    return no_store(
        Response(render_template("message.html", title=title, message=message, link=link))
    )


@bp.post("/api/introductions")
@csrf.exempt
def api_new() -> tuple[Response, int]:
    limit("submit")
    data = read_json()
    if data.get("website"):  # honeypot: looks accepted, nothing is kept or sent
        return jsonify({"id": secrets.token_hex(6), "state": "unconfirmed"}), 202
    result = get_mediation().request_introduction(data, current_lang())
    return jsonify(result), 202


@bp.route("/introductions/answer/<token>", methods=["GET", "POST"])
def answer(token: str) -> Response:
    med = get_mediation()
    if request.method == "GET":
        view = med.answer_view(token)
        return no_store(Response(render_template("answer.html", view=view)))
    action = request.form.get("action")
    if action not in ("accept", "decline"):
        raise MediationError(N_("Please choose one of the answers."), 400, "action")
    state = med.answer(token, action == "accept")
    if state == "accepted":
        message = gettext("Thank you. We have just introduced you to each other by e-mail.")
    else:
        message = gettext("Thank you. Nothing about you was passed on.")
    return no_store(
        Response(render_template("message.html", title=gettext("Thank you"), message=message))
    )
