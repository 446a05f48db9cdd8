"""The latency phase compares the engines' answers, not only their speed: a store that answers
a named query wrongly (Virtuoso 7.2 did, for ``list_needs_without_offers`` at 10^6) is named
in the report."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from bench import latency, report


def _task(rows: int, answer: str | None) -> dict:
    return {"median_ms": 1.0, "p95_ms": 2.0, "first_ms": 3.0, "n": 20, "rows": rows,
            "timeout_s": None, "error": None, "answer": answer}  # fmt: skip


def _results(virtuoso_answer: str | None) -> dict:
    def engine(tasks: dict) -> dict:
        return {"open_s": 0, "warm_s": 0, "open_rss_mb": 1, "tasks": tasks}

    return {
        "query_size": "1e6",
        "latency": {
            "store_quads": 10,
            "embedded": engine({"q1": _task(0, "a"), "q2": _task(5, "b")}),
            "virtuoso": engine({"q1": _task(9, virtuoso_answer), "q2": _task(5, "b")}),
        },
    }


def test_a_different_answer_is_named_with_its_rows() -> None:
    text = "\n".join(report._latency(_results("c")))
    assert "answers that differ from the embedded store's" in text
    assert "q1 on Virtuoso (9 rows against 0)" in text
    assert "q2 on" not in text


def test_the_same_answers_and_a_stopped_run_are_not_flagged() -> None:
    assert "every engine that answered gave the embedded store's answer" in "\n".join(
        report._latency(_results("a"))
    )
    assert "differ" not in "\n".join(report._latency(_results(None)))  # stopped at the cap


def test_the_digest_ignores_only_the_string_datatype() -> None:
    plain, typed = Literal("Amman"), Literal("Amman", datatype=XSD.string)
    assert latency._term(plain) == latency._term(typed)
    assert latency._term(Literal("Amman", lang="en")) != latency._term(plain)
    assert latency._term(Literal(5)) != latency._term(Literal("5"))
    assert latency._term(URIRef("https://w3id.org/cckg/id/city/1")) != latency._term(
        Literal("https://w3id.org/cckg/id/city/1")
    )
    one = latency.answer_digest([("<a>", '"x"')])
    assert one == latency.answer_digest([("<a>", '"x"')]) != latency.answer_digest([("<a>",)])


def test_a_first_run_past_the_pages_time_limit_is_named() -> None:
    """A named query whose first run exceeds CCKG_SPARQL_TIMEOUT_S (10 s) fails its page after
    every write (Virtuoso's list_needs_without_offers took 24.5 s at 10^6)."""
    results = _results("a")
    slow, quick = _task(0, "a"), _task(3, "b")
    slow["first_ms"], quick["first_ms"] = 24_498.0, 9_900.0
    results["latency"]["embedded"]["tasks"]["list_needs_without_offers"] = _task(0, "a")
    results["latency"]["virtuoso"]["tasks"]["list_needs_without_offers"] = slow
    results["latency"]["embedded"]["tasks"]["count_sdg_coverage"] = _task(3, "b")
    results["latency"]["virtuoso"]["tasks"]["count_sdg_coverage"] = quick
    text = "\n".join(report._latency(results))
    assert "first runs past the pages' time limit (10 s)" in text
    assert "list_needs_without_offers on Virtuoso: 24,498 ms" in text
    assert "count_sdg_coverage on" not in text
    stopped = _task(0, None)
    stopped["first_ms"], stopped["timeout_s"], stopped["n"] = None, 60.0, 0
    results["latency"]["virtuoso"]["tasks"]["count_sdg_coverage"] = stopped
    text = "\n".join(report._latency(results))
    assert "count_sdg_coverage on Virtuoso: > 60 s (stopped)" in text
    assert "past the pages' time limit" not in "\n".join(report._latency(_results("a")))
