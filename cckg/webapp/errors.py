"""HTTP errors: one handler renders every error with a short, clear body, never a traceback.

Pages raise :class:`WebError` (or a subclass) carrying the status, the message, extra fields and
headers; errors of the core that pages let through are mapped to their status here
(``CORE_STATUS``). A subclass may fix its representation: the SPARQL endpoint answers plain
text (as SPARQL clients expect), the admin routes JSON; otherwise ``/api/…`` paths and clients
that prefer JSON get JSON, and everyone else plain text.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from cckg.core.iris import BadSlugError
from cckg.core.matching import MatchError
from cckg.core.queries import QueryParamError, UnknownQueryError
from cckg.core.search import SearchError

log = logging.getLogger("cckg.web")

Media = Literal["negotiate", "json", "text"]


class WebError(Exception):
    """An answer other than 2xx, raised by a page; ``fields`` are added to a JSON body."""

    media: Media = "negotiate"

    def __init__(
        self,
        message: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ):
        super().__init__(message)
        self.message, self.status = message, status
        self.headers = headers or {}
        self.fields = fields

    def payload(self) -> dict[str, Any]:
        error = HTTP_STATUS_CODES.get(self.status, "Error")
        return {"status": self.status, "error": error, "message": self.message, **self.fields}


class JsonError(WebError):
    """Always JSON (the admin write routes)."""

    media: Media = "json"

    def payload(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, **self.fields}


class TextError(WebError):
    """Always a plain-text body: the message alone (the SPARQL endpoint)."""

    media: Media = "text"


# Errors of the core that a page may let through, with the status they mean.
CORE_STATUS: dict[type[Exception], int] = {
    BadSlugError: 400,
    MatchError: 400,
    QueryParamError: 400,
    SearchError: 400,
    UnknownQueryError: 404,
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith("/api/") or best == "application/json"


def render(e: WebError) -> Response:
    json_body = e.media == "json" or (e.media == "negotiate" and _wants_json())
    if json_body:
        response = jsonify(e.payload())
    elif e.media == "text":
        response = Response(e.message.rstrip("\n") + "\n", mimetype="text/plain")
    else:
        error = HTTP_STATUS_CODES.get(e.status, "Error")
        text = f"{e.status} {error}: {e.message}\n"
        response = Response(text, content_type="text/plain; charset=utf-8")
    response.status_code = e.status
    response.headers.update(e.headers)
    return response


def _core_error(e: Exception) -> WebError:
    param = getattr(e, "param", None)  # MatchError, QueryParamError, SearchError name one
    fields = {"parameter": param} if param else {}
    message = getattr(e, "message", None) or str(e)
    return WebError(message, CORE_STATUS[type(e)], **fields)


def parameter_error(e: Exception, key: str = "parameter") -> WebError:
    """A 400 for a core error about one request parameter, named under ``key``."""
    return WebError(getattr(e, "message", None) or str(e), 400, **{key: getattr(e, "param", None)})


def init_app(app: Flask) -> None:
    app.register_error_handler(WebError, render)

    for error in CORE_STATUS:
        app.register_error_handler(error, lambda e: render(_core_error(e)))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Response:
        return render(WebError(e.description or "", e.code or 500))

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Response | tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return jsonify({"status": 500, "error": "Internal Server Error"}), 500
        return Response("500 Internal Server Error\n", 500, mimetype="text/plain")
