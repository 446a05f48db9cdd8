"""HTTP errors: a short, clear body for every status, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("cckg.web")


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith("/api/") or best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        body = {"status": e.code, "error": e.name, "message": e.description}
        if _wants_json():
            return jsonify(body), e.code
        return (
            f"{e.code} {e.name}: {e.description}\n",
            e.code,
            {"Content-Type": "text/plain; charset=utf-8"},
        )

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return jsonify({"status": 500, "error": "Internal Server Error"}), 500
        return "500 Internal Server Error\n", 500, {"Content-Type": "text/plain; charset=utf-8"}
