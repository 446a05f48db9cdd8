"""The embedding cost of a store: what building the matcher's sentence index costs when no
vector is cached (a new deployment, or a remote store's first start on a machine).

Per size: the texts read from the query store (``match/list_semantic_texts``) and split into
sentences as ``SemanticIndex.build`` does (``read_s``: both), and a seeded sample of the
distinct sentences encoded in the index's batches. ``encode_all_s`` is measured when the
sample is every sentence; otherwise ``encode_all_s_estimate`` is the sample's rate times the
sentence count (marked as an estimate in the table).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from bench import generate, stores, util


def measure(
    size: int, seed: int, sample: int | None, log: Callable[[str], None] = print
) -> dict[str, Any]:
    from cckg.core.queries import helper
    from cckg.core.semantic.encoder import shared_encoder
    from cckg.core.semantic.index import ENCODE_BATCH, KIND_OF_TYPE
    from cckg.core.semantic.sentences import sentences
    from cckg.core.store import EmbeddedStore

    nt, _ = generate.ensure(size, seed=seed, log=log)
    path = stores.query_store(size, nt, log=log)
    store = EmbeddedStore(path, read_only=True)
    try:
        t0 = time.perf_counter()
        rows = store.select_terms(helper("match/list_semantic_texts"))
        things: set[str] = set()
        distinct: set[str] = set()
        for row in rows:
            if row["type"].value in KIND_OF_TYPE:
                things.add(row["x"].value)
                distinct.update(sentences(row["text"].value))
        read_s = time.perf_counter() - t0
    finally:
        store.close()
    texts = sorted(distinct)
    chosen = texts if sample is None or sample >= len(texts) else (
        random.Random(seed).sample(texts, sample)  # noqa: S311 (a seeded sample)
    )  # fmt: skip
    encoder = shared_encoder()
    t0 = time.perf_counter()
    encoder.encode(chosen[:8])  # the model's load, not an encoding cost
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, len(chosen), ENCODE_BATCH):
        encoder.encode(chosen[start : start + ENCODE_BATCH])
    encode_s = time.perf_counter() - t0
    per_ms = 1000 * encode_s / max(1, len(chosen))
    out: dict[str, Any] = {
        "size": generate.size_label(size),
        "things": len(things),
        "sentences": len(texts),
        "read_s": round(read_s, 2),
        "model_load_s": round(load_s, 2),
        "encoded": len(chosen),
        "encode_s": round(encode_s, 2),
        "per_sentence_ms": round(per_ms, 3),
        "loadavg": util.load_average(),
    }
    if len(chosen) == len(texts):
        out["encode_all_s"] = round(encode_s, 1)
    else:
        out["encode_all_s_estimate"] = round(per_ms * len(texts) / 1000, 1)
    log(
        f"  {out['size']}: {len(texts):,} sentences of {len(things):,} things (read, split "
        f"{read_s:.1f} s); {len(chosen):,} encoded in {encode_s:.1f} s = {per_ms:.2f} ms each"
    )
    return out
