"""Evaluate the matcher on labelled sets of needs, against its parts and a keyword baseline.

    python -m cckg.evaluation [--needs eval/needs-v2.yaml] [--k 10] [--json]

For each part of the set (``dev``, tuned on; ``test``, reported), hit@k, MRR and nDCG@k of
four rankers of solutions: the matcher (hybrid: theme vocabulary and meaning), the matcher on
the theme vocabulary alone, the embedding alone (the solutions whose closest sentence is
nearest to the need), and the keyword baseline (SPARQL CONTAINS of the need's words in the
lower-cased solution titles); the hybrid's hit@k by language and by kind of wording; its
median and 95th-percentile latency. Then the summary on the project's first set
(``eval/needs.yaml``, recall@k as before). The store is the one named by CCKG_STORE or
CCKG_ENDPOINT when either is set, else a demo store built in memory from ``data/`` and the
GeoNames cities it links to (about 30 s).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from rdflib import Literal

from cckg.core import text_words
from cckg.core.matching import DEFAULT_WEIGHTS, Matcher, MatchError, MatchRequest, Weights, run
from cckg.core.resources import resource_dir
from cckg.core.semantic.encoder import shared_encoder
from cckg.core.settings import Settings
from cckg.core.store import Store, open_store
from cckg.loaders.demo import in_memory_store

DEFAULT_NEEDS = resource_dir("eval") / "needs.yaml"  # the project's first set
LABELLED_NEEDS = resource_dir("eval") / "needs-v2.yaml"  # written apart from the system


@dataclass(frozen=True)
class LabelledNeed:
    id: str
    text: str
    expected: Mapping[str, int]  # solution slug -> grade (2 exactly, 1 useful)
    lang: str | None = None
    city: str | None = None
    wording: str | None = None  # vocabulary, paraphrase, symptom, typo, short, long
    split: str | None = None  # dev or test


@dataclass
class Metrics:
    recall: float
    mrr: float
    ndcg: float


@dataclass
class Report:
    k: int
    needs: int
    matcher: Metrics
    baseline: Metrics
    latency_ms: dict[str, float]
    per_need: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "needs": self.needs,
            "matcher": vars(self.matcher),
            "baseline": vars(self.baseline),
            "latency_ms": self.latency_ms,
            "per_need": self.per_need,
        }

    def table(self) -> str:
        k = self.k
        lines = [
            f"{self.needs} labelled needs, top {k}",
            f"{'':10} {'recall@' + str(k):>10} {'MRR':>8} {'nDCG@' + str(k):>9}",
        ]
        for name, m in (("matcher", self.matcher), ("baseline", self.baseline)):
            lines.append(f"{name:10} {m.recall:10.3f} {m.mrr:8.3f} {m.ndcg:9.3f}")
        lat = self.latency_ms
        lines.append(
            f"matcher latency: median {lat['median']:.0f} ms, p95 {lat['p95']:.0f} ms "
            f"(first call {lat['first']:.0f} ms, incl. loading theme labels and GeoNames names)"
        )
        return "\n".join(lines)


def load_needs(path: Path = DEFAULT_NEEDS) -> list[LabelledNeed]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    records = data["needs"] if isinstance(data, dict) else data
    for rec in records:
        expected = rec["expected"]
        if isinstance(expected, list):
            expected = dict.fromkeys(expected, 1)
        out.append(
            LabelledNeed(
                id=rec["id"],
                text=rec["text"],
                expected={str(k): int(v) for k, v in expected.items()},
                lang=rec.get("lang"),
                city=rec.get("city"),
                wording=rec.get("wording"),
                split=rec.get("split"),
            )
        )
    return out


# ---------------------------------------------------------------- metrics


def recall_at(ranked: Sequence[str], expected: Mapping[str, int], k: int) -> float:
    return len(set(ranked[:k]) & set(expected)) / len(expected) if expected else 0.0


def reciprocal_rank(ranked: Sequence[str], expected: Mapping[str, int]) -> float:
    for i, slug in enumerate(ranked, 1):
        if slug in expected:
            return 1 / i
    return 0.0


def ndcg_at(ranked: Sequence[str], expected: Mapping[str, int], k: int) -> float:
    """Graded nDCG: gain 2^grade - 1, log2 discount."""
    dcg = sum((2 ** expected.get(s, 0) - 1) / math.log2(i + 1) for i, s in enumerate(ranked[:k], 1))
    ideal = sorted(expected.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 1) for i, g in enumerate(ideal, 1))
    return dcg / idcg if idcg else 0.0


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------- the two rankers


def baseline_words(text: str) -> list[str]:
    """The need's words, lower case, without function words and very short words."""
    words = []
    for t in text_words.tokenize(text):
        if not t.stop and len(t.lower) >= 3 and t.lower not in words:
            words.append(t.lower)
    return words


def baseline(store: Store, text: str) -> list[str]:
    """Solution slugs ranked by how many of the need's words their title contains."""
    words = baseline_words(text)
    if not words:
        return []
    rows = run(store, "match_keyword_baseline", rows={"word": [Literal(w) for w in words]})
    return [_slug(str(r["candidate"])) for r in rows]


def matcher_ranking(matcher: Matcher, need: LabelledNeed, k: int) -> list[str]:
    request = MatchRequest(
        text=need.text,
        city=need.city,
        langs=(need.lang,) if need.lang else (),
        kinds=("solution",),
        limit=k,
    )
    try:
        response = matcher.match(request)
    except MatchError as e:
        if e.param != "city":
            raise
        # A town GeoNames does not list: the user is told so and asks without it.
        response = matcher.match(replace(request, city=None))
    return [_slug(r.iri) for r in response.results]


def evaluate(
    store: Store,
    needs: Sequence[LabelledNeed],
    k: int = 10,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Report:
    matcher = Matcher(store, weights)
    t0 = time.perf_counter()
    matcher.warm_up()  # theme labels, GeoNames index: reported as the first call
    first_ms = (time.perf_counter() - t0) * 1000
    per_need, latencies = [], []
    m_scores: dict[str, list[float]] = {"r": [], "rr": [], "n": []}
    b_scores: dict[str, list[float]] = {"r": [], "rr": [], "n": []}
    for need in needs:
        t = time.perf_counter()
        ranked = matcher_ranking(matcher, need, k)
        latencies.append((time.perf_counter() - t) * 1000)
        base = baseline(store, need.text)
        for scores, ranking in ((m_scores, ranked), (b_scores, base)):
            scores["r"].append(recall_at(ranking, need.expected, k))
            scores["rr"].append(reciprocal_rank(ranking[:k], need.expected))
            scores["n"].append(ndcg_at(ranking, need.expected, k))
        per_need.append(
            {
                "id": need.id,
                "matcher_top": ranked[:5],
                "baseline_top": base[:5],
                "recall": m_scores["r"][-1],
                "baseline_recall": b_scores["r"][-1],
                "ms": round(latencies[-1], 1),
            }
        )
    ordered = sorted(latencies)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0
    return Report(
        k=k,
        needs=len(needs),
        matcher=Metrics(_mean(m_scores["r"]), _mean(m_scores["rr"]), _mean(m_scores["n"])),
        baseline=Metrics(_mean(b_scores["r"]), _mean(b_scores["rr"]), _mean(b_scores["n"])),
        latency_ms={
            "median": round(statistics.median(latencies), 1) if latencies else 0.0,
            "p95": round(p95, 1),
            "first": round(first_ms + (latencies[0] if latencies else 0.0), 1),
        },
        per_need=per_need,
    )


# ---------------------------------------------------------------- the labelled set, part by part

RANKERS = ("hybrid", "vocabulary", "embedding", "keyword")
RANKER_NAMES = {
    "hybrid": "matcher (hybrid)",
    "vocabulary": "vocabulary only",
    "embedding": "embedding only",
    "keyword": "keyword baseline",
}


def embedding_ranking(matcher: Matcher, text: str, k: int) -> list[str]:
    """Solutions by the cosine of their closest sentence to the need, nothing else."""
    index = matcher.semantic_index()
    scores = index.scores(shared_encoder().encode_query(text))
    return [_slug(h.iri) for h in index.nearest(scores, kinds={"solution"}, k=k)]


@dataclass
class Breakdown:
    """Per ranker, per part (dev, test) and for the hybrid per language and wording."""

    k: int
    scores: dict[tuple[str, str], Metrics] = field(default_factory=dict)  # (ranker, part)
    counts: dict[str, int] = field(default_factory=dict)  # part -> needs
    by_group: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)

    def table(self) -> str:
        k = self.k
        lines = [
            f"{'part':5} {'ranker':18} {'needs':>5} {f'hit@{k}':>7} {'MRR':>6} {f'nDCG@{k}':>8}"
        ]
        for part in ("dev", "test"):
            for ranker in RANKERS:
                m = self.scores.get((ranker, part))
                if m is not None:
                    lines.append(
                        f"{part:5} {RANKER_NAMES[ranker]:18} {self.counts[part]:5} "
                        f"{m.recall:7.3f} {m.mrr:6.3f} {m.ndcg:8.3f}"
                    )
        for part in ("dev", "test"):
            groups = sorted((g, v) for (p, g), v in self.by_group.items() if p == part)
            if groups:
                shown = "  ".join(f"{g} {hit:.2f} ({n})" for g, (hit, n) in groups)
                lines.append(f"{part} hybrid hit@{k} by language and wording: {shown}")
        lat = self.latency_ms
        if lat:
            lines.append(
                f"hybrid latency: median {lat['median']:.0f} ms, p95 {lat['p95']:.0f} ms "
                "(warm; encoding the need included)"
            )
        return "\n".join(lines)


def evaluate_parts(
    store: Store, needs: Sequence[LabelledNeed], k: int = 10, weights: Weights = DEFAULT_WEIGHTS
) -> Breakdown:
    """Every ranker on every need, aggregated by part, and the hybrid by language/wording."""
    hybrid = Matcher(store, weights)
    vocabulary = Matcher(store, replace(weights, semantic=0.0))
    hybrid.warm_up()
    vocabulary.warm_up()
    out = Breakdown(k)
    collected: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    groups: dict[tuple[str, str], list[float]] = {}
    latencies = []
    for need in needs:
        part = need.split or "all"
        out.counts[part] = out.counts.get(part, 0) + 1
        t0 = time.perf_counter()
        rankings = {"hybrid": matcher_ranking(hybrid, need, k)}
        latencies.append((time.perf_counter() - t0) * 1000)
        rankings["vocabulary"] = matcher_ranking(vocabulary, need, k)
        rankings["embedding"] = embedding_ranking(hybrid, need.text, k)
        rankings["keyword"] = baseline(store, need.text)
        for ranker, ranked in rankings.items():
            hit = 1.0 if set(ranked[:k]) & set(need.expected) else 0.0
            rr = reciprocal_rank(ranked[:k], need.expected)
            collected.setdefault((ranker, part), []).append(
                (hit, rr, ndcg_at(ranked, need.expected, k))
            )
            if ranker == "hybrid":
                for group in (need.lang, need.wording):
                    if group:
                        groups.setdefault((part, group), []).append(hit)
    for key, values in collected.items():
        hits, rrs, ndcgs = zip(*values, strict=True)
        out.scores[key] = Metrics(_mean(hits), _mean(rrs), _mean(ndcgs))
    out.by_group = {key: (_mean(v), len(v)) for key, v in groups.items()}
    ordered = sorted(latencies)
    if ordered:
        p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
        out.latency_ms = {"median": statistics.median(ordered), "p95": p95}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cckg.evaluation", description=__doc__)
    parser.add_argument("--needs", type=Path, default=LABELLED_NEEDS, help="labelled needs")
    parser.add_argument("--k", type=int, default=10, help="cut-off rank (default 10)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if os.environ.get("CCKG_STORE") or os.environ.get("CCKG_ENDPOINT"):
        store = open_store(Settings.from_env(), read_only=True)
        where = os.environ.get("CCKG_ENDPOINT") or os.environ["CCKG_STORE"]
    else:
        print("Building the demo store in memory (about 30 s) ...", file=sys.stderr)
        store, where = in_memory_store(), "demo store (in memory)"
    try:
        parts = evaluate_parts(store, load_needs(args.needs), args.k)
        first = evaluate(store, load_needs(DEFAULT_NEEDS), args.k)
    finally:
        store.close()
    if args.json:
        body = {
            "store": where,
            "needs": str(args.needs),
            "parts": {f"{r}/{p}": vars(m) for (r, p), m in parts.scores.items()},
            "groups": {f"{p}/{g}": v for (p, g), v in parts.by_group.items()},
            "latency_ms": parts.latency_ms,
            "first_set": first.as_dict(),
        }
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print(f"store: {where}")
        print(f"Matching: {args.needs.name}, top {args.k}")
        print(parts.table())
        print(f"\nThe project's first set ({DEFAULT_NEEDS.name}):")
        print(first.table())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
