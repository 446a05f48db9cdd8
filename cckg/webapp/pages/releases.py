"""Citing the dataset: ``/releases`` (every release), ``/release/{version}`` (one release: its
files with their checksums, its changes, how to cite it; the version IRI
``{base}release/{version}`` resolves here), ``/release/{version}/{file}`` (the files) and
``/cite.bib``, ``/cite.ris``, ``/cite.json`` (BibTeX, RIS, CSL-JSON of the latest release, or
``?release=VERSION``; the live dataset when there is no release). Every page shows a "Cite this"
box (``_cite.html``, included by ``base.html``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request, send_file

from cckg.core import citation
from cckg.core.release import ReleaseError
from cckg.webapp.errors import WebError
from cckg.webapp.versions import citable, manifest, releases, releases_dir

bp = Blueprint("releases", __name__)

EXTRA_FILES = ("SHA256SUMS", "release.ttl", "release.json", "CHANGELOG.md", "changes.json")
MEDIA = {
    ".gz": "application/gzip",
    ".ttl": "text/turtle; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
}


@bp.app_template_global()
def citation_box() -> dict[str, Any]:
    """The citation of the latest release (or of the live dataset) in every format."""
    c = citable()
    return {
        "citable": c,
        "bibtex": citation.bibtex(c),
        "ris": citation.ris(c),
        "csl": citation.csl_json(c),
    }


def _release_arg() -> str | None:
    version = request.args.get("release", "").strip()
    if not version:
        return None
    try:
        manifest(version)
    except ReleaseError as e:
        raise WebError(f"release: {e}", 404 if "no release" in str(e) else 400) from e
    return version


def _cite(fmt: str) -> Response:
    media, ext = citation.FORMATS[fmt]
    c = citable(_release_arg())
    response = Response(citation.render(c, fmt), content_type=f"{media}; charset=utf-8")
    response.headers["Content-Disposition"] = f'inline; filename="{c.key}.{ext}"'
    return response


@bp.get("/cite.bib")
def cite_bibtex() -> Response:
    return _cite("bibtex")


@bp.get("/cite.ris")
def cite_ris() -> Response:
    return _cite("ris")


@bp.get("/cite.json")
def cite_csl() -> Response:
    return _cite("csl")


@bp.get("/releases")
def release_list() -> str:
    return render_template("releases.html", releases=releases())


def _manifest_or_404(version: str) -> dict[str, Any]:
    try:
        return manifest(version)
    except ReleaseError as e:
        status = 404 if "no release" in str(e) else 400
        raise WebError(str(e), status) from e


@bp.get("/release/<version>")
def release_page(version: str) -> str:
    found = _manifest_or_404(version)
    c = citable(version)
    return render_template(
        "release.html",
        release=found,
        bibtex=citation.bibtex(c),
        ris=citation.ris(c),
        csl=citation.csl_json(c),
        extra=EXTRA_FILES,
    )


@bp.get("/release/<version>/<path:name>")
def release_file(version: str, name: str) -> Response:
    found = _manifest_or_404(version)
    allowed = {f["name"] for f in found["files"]} | set(EXTRA_FILES)
    if name not in allowed:
        abort(404, description=f"release {version} has no file {name!r}; see /release/{version}")
    path = releases_dir() / version / name
    suffix = next((s for s in MEDIA if name.endswith(s)), "")
    media = MEDIA.get(suffix, "text/plain; charset=utf-8")
    response = send_file(path, mimetype=media, as_attachment=suffix == ".gz", conditional=True)
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
