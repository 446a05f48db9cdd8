"""Evaluate search on the labelled queries of ``eval/search-queries.yaml``.

``python -m cckg.search_evaluation`` prints nDCG@10, MRR and hit@10 of four rankings, for the
dev and the test split, by language and by wording: the fused ranking (BM25 + semantic), BM25
alone, semantic similarity alone, and the ranking before BM25 (``cckg.core.search.legacy``);
then the latency of the fused search (median and 95th percentile over all queries) and the
off-topic results in the top 10 of the topic queries named in ``TOPIC_QUERIES``.

Honest measurement: tune on ``dev`` only. ``--details`` prints each dev query's top 10 with
its grades, never a test query's: the test split is meant to be looked at in aggregate, once.

The store is the one named by CCKG_STORE or CCKG_ENDPOINT when either is set, else a demo
store built in memory from data/ (as ``cckg.evaluation``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cckg.core.resources import resource_dir
from cckg.core.search import SearchIndex
from cckg.core.search.legacy import LegacySearchIndex
from cckg.core.search.ranking import BM25_ONLY, DEFAULT, SEMANTIC_ONLY, Ranking
from cckg.core.semantic.index import SemanticIndex
from cckg.core.semantic.vectors import VectorCache, derived_dir
from cckg.core.settings import Settings
from cckg.core.store import Store, open_store
from cckg.loaders.demo import in_memory_store

DEFAULT_QUERIES = resource_dir("eval") / "search-queries.yaml"
K = 10
TOPIC_QUERIES = ("movilidad urbana", "mobilidade urbana", "gestión de residuos")
RANKINGS = ("fused", "bm25", "semantic", "legacy")


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    lang: str
    wording: str
    split: str
    q: str
    relevant: Mapping[str, int]


def load_queries(path: Path = DEFAULT_QUERIES) -> list[LabelledQuery]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]
    return [
        LabelledQuery(i["id"], i["lang"], i["wording"], i["split"], i["q"], dict(i["relevant"]))
        for i in items
    ]


def key_of(iri: str) -> str:
    """``kind/slug`` of one of our IRIs ({base}id/{kind}/{slug})."""
    return iri.split("/id/", 1)[-1]


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = K) -> float:
    """Graded nDCG (gain 2^grade - 1), the ideal order from all labelled documents."""
    dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    for i, d in enumerate(ranked, 1):
        if relevant.get(d, 0) > 0:
            return 1.0 / i
    return 0.0


def hit_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = K) -> float:
    return float(any(relevant.get(d, 0) > 0 for d in ranked[:k]))


def metrics(ranked: Sequence[str], relevant: Mapping[str, int]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at(ranked, relevant),
        "mrr": reciprocal_rank(ranked, relevant),
        "hit@10": hit_at(ranked, relevant),
    }


Ranker = Callable[[str], list[str]]


def rankers(store: Store, index: SearchIndex, fused: Ranking = DEFAULT) -> dict[str, Ranker]:
    legacy = LegacySearchIndex(store)

    def by(ranking: Ranking) -> Ranker:
        return lambda q: [
            key_of(h.doc.iri) for h in index.search(q, page_size=K, ranking=ranking).hits
        ]

    return {
        "fused": by(fused),
        "bm25": by(BM25_ONLY),
        "semantic": by(SEMANTIC_ONLY),
        "legacy": lambda q: [key_of(h.doc.iri) for h in legacy.search(q, page_size=K).hits],
    }


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0


def evaluate(
    queries: Sequence[LabelledQuery], ranked: Mapping[str, Ranker], splits: Sequence[str]
) -> dict[str, Any]:
    """Mean metrics per split and ranking, overall, by language and by wording."""
    report: dict[str, Any] = {}
    for split in splits:
        items = [q for q in queries if q.split == split]
        per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for name, ranker in ranked.items():
            for item in items:
                m = metrics(ranker(item.q), item.relevant)
                for group in ("all", f"lang={item.lang}", f"wording={item.wording}"):
                    for metric, value in m.items():
                        per[f"{name}|{group}"][metric].append(value)
        report[split] = {
            "queries": len(items),
            "results": {
                key: {m: _mean(v) for m, v in values.items()} | {"n": len(values["mrr"])}
                for key, values in per.items()
            },
        }
    return report


def latency(index: SearchIndex, queries: Sequence[LabelledQuery]) -> dict[str, float]:
    """Milliseconds per fused search, query encoding included (each query once, before any
    other search of it, after one warm-up query)."""
    index.search("warm up")
    times = []
    for item in queries:
        started = time.perf_counter()
        index.search(item.q)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1)}


def topic_check(index: SearchIndex, queries: Sequence[LabelledQuery]) -> dict[str, list[str]]:
    """The off-topic documents in the top 10 of each topic query (empty: all on topic)."""
    out = {}
    for item in queries:
        if item.q in TOPIC_QUERIES:
            top = [key_of(h.doc.iri) for h in index.search(item.q, page_size=K).hits]
            out[f"{item.q} ({item.split})"] = [d for d in top if item.relevant.get(d, 0) <= 0]
    return out


def details(index: SearchIndex, queries: Sequence[LabelledQuery], ranking: Ranking) -> str:
    """Each dev query's top 10 with grades, lexical and semantic scores."""
    lines = []
    for item in queries:
        if item.split != "dev":
            continue
        result = index.search(item.q, page_size=K, ranking=ranking)
        m = metrics([key_of(h.doc.iri) for h in result.hits], item.relevant)
        lines.append(f"\n{item.id} {item.q!r} ndcg={m['ndcg@10']:.3f} total={result.total}")
        for h in result.hits:
            grade = item.relevant.get(key_of(h.doc.iri), 0)
            lines.append(
                f"  [{grade}] {h.score:.3f} lex={h.lexical:6.2f} sem={h.semantic:.2f} "
                f"{key_of(h.doc.iri)}"
            )
    return "\n".join(lines)


def table(report: Mapping[str, Any]) -> str:
    lines = []
    for split, part in report.items():
        if split not in ("dev", "test"):
            continue
        lines.append(f"\n{split} ({part['queries']} queries): nDCG@10 / MRR / hit@10")
        groups = sorted({k.split("|", 1)[1] for k in part["results"]}, key=_group_order)
        names = [n for n in RANKINGS if f"{n}|all" in part["results"]]
        lines.append(f"{'':24}" + "".join(f"{n:>22}" for n in names))
        for group in groups:
            cells = []
            for name in names:
                r = part["results"][f"{name}|{group}"]
                cells.append(f"{r['ndcg@10']:.3f} {r['mrr']:.3f} {r['hit@10']:.2f}".rjust(22))
            n = part["results"][f"{names[0]}|{group}"]["n"]
            lines.append(f"{group + f' ({n})':24}" + "".join(cells))
    return "\n".join(lines)


def _group_order(group: str) -> tuple[int, str]:
    return (0 if group == "all" else 1 if group.startswith("lang") else 2, group)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cckg.search_evaluation", description=__doc__)
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    parser.add_argument("--details", action="store_true", help="dev queries' top 10")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    queries = load_queries(args.queries)
    if os.environ.get("CCKG_STORE") or os.environ.get("CCKG_ENDPOINT"):
        store, where = open_store(Settings.from_env(), read_only=True), "CCKG_STORE/ENDPOINT"
    else:
        print("Building the demo store in memory ...", file=sys.stderr)
        store, where = in_memory_store(), "demo store (in memory)"
    try:
        index = SearchIndex(
            store,
            semantic=lambda: SemanticIndex.build(store, cache=VectorCache(derived_dir(store))),
        )
        if args.details:
            print(details(index, queries, DEFAULT))
            return 0
        splits = ("dev", "test") if args.split == "both" else (args.split,)
        timing = latency(index, queries)  # first: the query vectors are not cached yet
        report = {
            "store": where,
            **evaluate(queries, rankers(store, index), splits),
            "latency": timing,
            "topics": topic_check(index, [q for q in queries if q.split in splits]),
            "load": _load(),
        }
    finally:
        store.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"store: {where}; machine load (1, 5, 15 min): {report['load']}")
        print(table(report))
        lat = report["latency"]
        print(f"\nfused search latency: median {lat['median_ms']} ms, p95 {lat['p95_ms']} ms")
        for q, off in report["topics"].items():
            print(f"top 10 of {q}: {'all on topic' if not off else 'off topic: ' + ', '.join(off)}")
    return 0


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


if __name__ == "__main__":
    raise SystemExit(main())
