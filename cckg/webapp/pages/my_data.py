"""The person's own pages, each reached by a signed link: the status of a request
(``/status/{token}``), their data to see, download and erase (``/my-data/{token}``, JSON at
``/my-data/{token}.json``), and the follow-up question (``/outcome/{token}``); plus the public,
anonymous outcome counts (``/api/outcomes``, also shown on ``/explore``).

None of these pages is cached or passes its address on (``no-store``, ``no-referrer``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import gettext

from cckg.core.i18n import N_
from cckg.core.mediation import ANSWER_NAMES, ANSWERS, MediationError
from cckg.webapp.mediation import get_mediation, no_store
from cckg.webapp.pages.review import after_write
from cckg.webapp.pages.submissions import remember_own

bp = Blueprint("my_data", __name__)
# The steps a status page shows, in order.
STEPS = ("submitted", "confirmed", "published", "introduction", "answer", "outcome")


def _timeline(view: dict[str, Any]) -> list[tuple[str, bool]]:
    """(step, reached) for a submission's status page."""
    intros = view["introductions"]
    answered = [i for i in intros if i["state"] in ("accepted", "declined", "unanswered")]
    reached = {
        "submitted": True,
        "confirmed": view["state"] != "unconfirmed",
        "published": bool(view.get("published_iri")),
        "introduction": bool(intros),
        "answer": bool(answered),
        "outcome": any(i["outcome"] for i in intros),
    }
    return [(step, reached[step]) for step in STEPS]


@bp.get("/status/<token>")
def status(token: str) -> Response:
    view = get_mediation().status(token)
    if view["from_mail"] and view["subject"].startswith("s:"):
        remember_own(view["id"])  # the link came by e-mail: this browser holds the address
    page = render_template("status.html", view=view, timeline=_timeline(view))
    return no_store(Response(page))


@bp.get("/my-data/<token>.json")
def my_data_json(token: str) -> Response:
    data = get_mediation().my_data(token)
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-cckg-data.json"'
    return no_store(response)


@bp.route("/my-data/<token>", methods=["GET", "POST"])
def my_data(token: str) -> Response:
    med = get_mediation()
    if request.method == "GET":
        return no_store(
            Response(render_template("my_data.html", data=med.my_data(token), token=token))
        )
    if request.form.get("confirm") != "yes":
        raise MediationError(N_("Please tick the box to confirm the erasure."), 400, "confirm")
    withdraw = request.form.get("withdraw") == "yes"
    done = med.erase(token, withdraw=withdraw)
    if done["withdrawn"]:
        after_write()
    page = render_template(
        "message.html", title=gettext("Erased"), message=gettext("Your data was erased.")
    )
    return no_store(Response(page))


@bp.route("/outcome/<token>", methods=["GET", "POST"])
def outcome(token: str) -> Response:
    med = get_mediation()
    if request.method == "GET":
        view = med.outcome_view(token)
        page = render_template(
            "outcome.html", view=view, answers=[(a, gettext(ANSWER_NAMES[a])) for a in ANSWERS]
        )
        return no_store(Response(page))
    med.record_outcome(token, request.form.get("answer", ""))
    page = render_template(
        "message.html",
        title=gettext("Thank you"),
        message=gettext("Thank you! Your answer is counted anonymously."),
    )
    return no_store(Response(page))


@bp.get("/api/outcomes")
def outcomes() -> Response:
    """Anonymous counts of introductions and their outcomes, per theme and world region."""
    return jsonify(get_mediation().counts())
