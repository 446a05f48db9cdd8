"""The one query registry: every ``queries/**/*.rq`` file, read once per process.

Names follow the folders: ``list_solutions_by_theme`` is a *named query* (top level: listed on
``/queries``, run by ``cckg query``, parsed with its ``#+`` header); ``match/list_theme_holders``,
``internal/get_store_version``, ``pages/…`` and ``search/…`` are *helper queries* of the code
that uses them. Every file name is ``verb_noun.rq`` in snake case (checked by the tests).
Helpers are not parsed at run time (rdflib's parser needs about 30 ms a query, which the
matcher's first request would pay): the tests parse every one of them.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from pathlib import Path

from cckg.core.queries.definition import load_query
from cckg.core.queries.model import (
    NamedQuery,
    UnknownQueryError,
    without_comment_lines,
)
from cckg.core.resources import resource_dir

_LOCK = threading.Lock()


def queries_dir() -> Path:
    return resource_dir("queries")


@cache
def _files() -> dict[str, Path]:
    """Every query file, keyed ``stem`` (top level) or ``folder/stem``."""
    root = queries_dir()
    out = {}
    for path in sorted(root.rglob("*.rq")):
        out[path.relative_to(root).with_suffix("").as_posix()] = path
    return out


def names() -> list[str]:
    """Every query's registry name, helpers included."""
    return list(_files())


@cache
def helper(name: str) -> str:
    """The text of the helper query ``folder/stem`` without its comment lines."""
    return without_comment_lines(helper_source(name))


@cache
def helper_source(name: str) -> str:
    """The helper query's file as written, comments included (shown to users on pages)."""
    path = _files().get(name)
    if path is None or "/" not in name:
        raise UnknownQueryError(f"no helper query named {name!r}")
    return path.read_text(encoding="utf-8")


def named_queries() -> dict[str, NamedQuery]:
    """The named queries (top-level files), parsed and checked once, keyed by file stem."""
    with _LOCK:
        return dict(_named())


@cache
def _named() -> dict[str, NamedQuery]:
    return {n: load_query(p) for n, p in _files().items() if "/" not in n}


def resolve(name_or_path: str) -> NamedQuery:
    """The named query ``NAME``, or a ``.rq`` file given by path.

    Raises UnknownQueryError (listing the known names) or QueryDefinitionError.
    """
    if re.fullmatch(r"[A-Za-z0-9_-]+", name_or_path) and name_or_path in _files():
        return named_queries()[name_or_path]
    path = Path(name_or_path)
    if path.suffix == ".rq" and path.is_file():
        return load_query(path)
    known = ", ".join(sorted(n for n in _files() if "/" not in n)) or "(none)"
    raise UnknownQueryError(f"no query named {name_or_path!r}; known queries: {known}")
