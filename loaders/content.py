"""The content hash of a graph: what a reload compares to leave an unchanged graph untouched.

``sha256:`` + SHA-256 of the graph's distinct triples as N-Triples lines (pyoxigraph's
canonical form), sorted, joined with newlines; blank nodes are renamed ``_:c0, _:c1, ...``
in the order of their lines with the labels masked. Equal hashes therefore mean isomorphic
graphs. Graphs that differ only in how a parser labelled their blank nodes mostly get equal
hashes too; when they do not, the graph is merely written again.
"""

from __future__ import annotations

import hashlib
import re

_LABEL = re.compile(rb"_:[^\s]+")


def _blank(line: bytes) -> bool:
    """Does the subject or the object of this canonical N-Triples line name a blank node?"""
    if line.startswith(b"_:"):
        return True
    parts = line.split(b" ", 2)
    return len(parts) == 3 and parts[2].startswith(b"_:")


def _terms(line: bytes) -> tuple[bytes, bytes, bytes]:
    subject, predicate, rest = line.split(b" ", 2)
    return subject, predicate, rest.removesuffix(b" .")


def canonical_lines(ntriples: bytes) -> list[bytes]:
    """The lines of canonical N-Triples with distinct lines (a store's dump), sorted, with
    blank nodes renamed."""
    lines = ntriples.split(b"\n")
    if b"_:" in ntriples:
        blank = [line for line in lines if _blank(line)]
        if blank:
            return _renamed(lines, blank)
    lines.sort()
    return lines[1:] if lines and not lines[0] else lines  # the final newline's empty line


def _renamed(lines: list[bytes], blank: list[bytes]) -> list[bytes]:
    out = set(lines)
    out.discard(b"")
    out.difference_update(blank)
    names: dict[bytes, bytes] = {}

    def rename(term: bytes) -> bytes:
        if not term.startswith(b"_:"):
            return term
        return names.setdefault(term, b"_:c%d" % len(names))

    for line in sorted(blank, key=lambda x: _LABEL.sub(b"_:", x)):
        s, p, o = _terms(line)
        out.add(b"%s %s %s ." % (rename(s), p, rename(o)))
    return sorted(out)


def digest(ntriples: bytes) -> str:
    """The content hash of a graph given as canonical N-Triples (see the module docstring)."""
    return "sha256:" + hashlib.sha256(b"\n".join(canonical_lines(ntriples))).hexdigest()
