"""The writer's rules about a write as a whole run beside the SHACL gate (on a thread, until
the gate first writes to a source's store): what they find is the whole answer, an error in
them fails the write, and no thread outlives it (the gate forks only when none runs)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from cckg.core.gate import rules
from cckg.core.store import EmbeddedStore
from cckg.core.writer import Write, Writer
from cckg.loaders.pipeline import parse_path

BASE = "https://w3id.org/cckg/"
CCKG = "https://w3id.org/cckg/def/cckg#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SOLUTION = f"{BASE}id/solution/s1"
PRACTITIONER = f"{BASE}id/practitioner/p1"


def _source(tmp_path: Path, lines: list[str]):
    path = tmp_path / "data.nt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return parse_path(path, BASE)


def _validate(tmp_path: Path, lines: list[str]):
    writer = Writer(EmbeddedStore(None, BASE))
    return writer.validate(Write([_source(tmp_path, lines)], [None]))


# A solution without its required fields: the shapes refuse it.
INCOMPLETE = f"<{SOLUTION}> <{RDF_TYPE}> <{CCKG}Solution> ."


def test_the_shapes_judge_when_the_rules_find_nothing(tmp_path):
    found = _validate(tmp_path, [INCOMPLETE])
    assert found and all(v.shape != "cckg:write-rules" for v in found)


def test_what_the_rules_find_is_the_whole_answer(tmp_path):
    found = _validate(
        tmp_path,
        [
            INCOMPLETE,
            f"<{SOLUTION}> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <mailto:a@example.org> .",
            f'<{PRACTITIONER}> <{CCKG}note> "+49 228 1234567" .',
            f'<{PRACTITIONER}> <{RDFS_LABEL}> "Erika Example"@en .',
        ],
    )
    assert {(v.focus, v.field, v.shape) for v in found} == {
        (SOLUTION, "seeAlso", "cckg:write-rules"),  # a mailto: link under any property
        (PRACTITIONER, "note", "cckg:write-rules"),  # a phone number in a literal
    }
    assert all(not t.name.startswith("cckg-write-rules") for t in threading.enumerate())


def test_an_error_in_the_rules_fails_the_write(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the rules could not read the store")

    monkeypatch.setattr(rules, "ownership", broken)
    with pytest.raises(RuntimeError, match="could not read the store"):
        _validate(tmp_path, [INCOMPLETE])
    assert all(not t.name.startswith("cckg-write-rules") for t in threading.enumerate())
