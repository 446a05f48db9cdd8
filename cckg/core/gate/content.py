"""The content hash of a graph: what a reload compares to leave an unchanged graph untouched.

``sha256:`` + SHA-256 of the graph's distinct triples as N-Triples lines (pyoxigraph's
canonical form), sorted, joined with newlines; blank nodes are renamed ``_:c0, _:c1, ...``
in an order computed from the graph's structure (colour refinement), not from their labels.
Equal hashes therefore mean isomorphic graphs. Isomorphic graphs get equal hashes unless
colour refinement cannot tell some of their blank nodes apart (rare); then the graph is
merely written again.
"""

from __future__ import annotations

import hashlib


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
    triples = [_terms(line) for line in blank]
    names = {n: b"_:c%d" % i for i, n in enumerate(_canonical_order(triples))}
    for s, p, o in triples:
        out.add(b"%s %s %s ." % (names.get(s, s), p, names.get(o, o)))
    return sorted(out)


def _canonical_order(triples: list[tuple[bytes, bytes, bytes]]) -> list[bytes]:
    """The blank nodes in an order that does not depend on their labels.

    Colour refinement: a node's colour is the hash of its triples with itself and the other
    blank nodes replaced by their colours, repeated until the colours stop splitting. Nodes
    left with one colour are alike for any practical graph (and the order among them
    matters only then).
    """
    colour = {t: b"" for s, _, o in triples for t in (s, o) if t.startswith(b"_:")}
    classes = 1
    while True:
        seen: dict[bytes, list[bytes]] = {n: [] for n in colour}

        def show(term: bytes, me: bytes, colour: dict[bytes, bytes] = colour) -> bytes:
            if term == me:
                return b"@"
            return b"_:" + colour[term].hex().encode() if term in colour else term

        for s, p, o in triples:
            if s in colour:
                seen[s].append(b"@ %s %s" % (p, show(o, s)))
            if o in colour:
                seen[o].append(b"%s %s @" % (show(s, o), p))
        refined = {n: hashlib.sha256(b"\n".join(sorted(v))).digest() for n, v in seen.items()}
        count = len(set(refined.values()))
        colour = refined
        if count <= classes:
            return sorted(colour, key=lambda n: colour[n])
        classes = count


def digest(ntriples: bytes) -> str:
    """The content hash of a graph given as canonical N-Triples (see the module docstring)."""
    return "sha256:" + hashlib.sha256(b"\n".join(canonical_lines(ntriples))).hexdigest()
