"""Matching: ``/api/match`` (JSON) and ``/match`` (an HTML form that works without JavaScript)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from cckg.core.i18n import N_
from cckg.core.matching import KINDS, MAX_LIMIT, MatchError, MatchRequest, MatchResponse
from cckg.webapp.errors import parameter_error
from cckg.webapp.i18n import KIND_NAMES, current_lang, kind_name
from cckg.webapp.store import get_matcher

bp = Blueprint("match", __name__)

# The form's fields, by the parameter an error names.
FIELDS = {
    "text": N_("Describe your need"),
    "theme": N_("Theme"),
    "city": N_("Your city"),
    "lang": N_("Languages you work in"),
    "kind": N_("Show"),
    "limit": N_("Number of results"),
    "need": N_("Need"),
    "offer": N_("Offer"),
    "display": N_("Language"),
}


def _field_name(param: str) -> str:
    return gettext(FIELDS[param]) if param in FIELDS else param


def _error_text(error: MatchError) -> str:
    values = dict(error.values)
    if isinstance(values.get("kind"), str) and values["kind"] in KIND_NAMES:
        values["kind"] = kind_name(values["kind"])
    return gettext(error.template, **values)


def _values(name: str) -> tuple[str, ...]:
    """Repeated parameters and comma-separated lists alike: kind=solution&kind=city or
    kind=solution,city."""
    out: list[str] = []
    for value in request.args.getlist(name):
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def _request(display: str | None = None, langs: str = "lang") -> MatchRequest:
    """The request from the query string; ``langs``: the parameter naming the asking side's
    languages (the page's form calls it ``langs``: ``lang`` is the page's language there)."""
    limit_text = request.args.get("limit", "").strip()
    if limit_text and not limit_text.isdigit():
        raise MatchError(
            "limit", N_("limit must be a whole number from 1 to %(max)s"), max=MAX_LIMIT
        )
    return MatchRequest(
        text=request.args.get("text", ""),
        theme=request.args.get("theme") or None,
        city=request.args.get("city") or None,
        langs=_values(langs),
        kinds=_values("kind") or KINDS,
        limit=int(limit_text) if limit_text else 10,
        need=request.args.get("need") or None,
        offer=request.args.get("offer") or None,
        display=display or request.args.get("display") or None,
    )


@bp.get("/api/match")
def api_match() -> Response:
    try:
        response: MatchResponse = get_matcher().match(_request())
    except MatchError as e:
        raise parameter_error(e) from e
    body = response.as_dict()
    body["attribution"] = "City data: GeoNames (https://www.geonames.org/), CC BY 4.0."
    return jsonify(body)


@bp.get("/match")
def match_page() -> ResponseReturnValue:
    matcher = get_matcher()
    form = {
        "text": request.args.get("text", ""),
        "theme": request.args.get("theme", ""),
        "city": request.args.get("city", ""),
        "langs": ", ".join(_values("langs")),
        "kinds": _values("kind"),
        "need": request.args.get("need", ""),
        "offer": request.args.get("offer", ""),
    }
    asked = any(request.args.get(k) for k in ("text", "theme", "need", "offer"))
    response, error, status = None, None, 200
    if asked:
        try:
            response = matcher.match(_request(display=current_lang(), langs="langs"))
        except MatchError as e:
            error, status = e, 400
    return (
        render_template(
            "match.html",
            form=form,
            kinds=KINDS,
            themes=matcher.themes((current_lang(), "en")),
            response=response,
            error=error,
            field_name=_field_name,
            error_text=_error_text,
        ),
        status,
    )
