"""Load throughput and peak memory: validated load (``cckg load FILE``: parse + SHACL + write)
beside a plain rdflib in-memory parse and a pyoxigraph bulk load of the same file, plus (when
``cckg.core.gate.engine`` exists) validation alone with that engine. Every run is its own
process (``bench.child``), so its peak RSS is its own."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import generate, stores, util


@dataclass
class LoadSettings:
    runs: int  # runs per variant when they are quick
    cap_s: float | None  # a run is stopped after this many seconds (None: never)
    slow_s: float  # after a run longer than this, no more runs of that variant
    big_cap_factor: float = 3.0  # caps (validated, fast_shacl) are this much longer from 1e6 on


def _extrapolate(r: util.ChildResult, triples: int) -> dict[str, Any]:
    """For a validated load stopped at the cap: how far the SHACL gate got, and the
    throughput that rate implies for the whole load (parse time so far + the gate at its
    rate; the write is left out, so this estimate is on the high side)."""
    started = r.marks("started_at")
    gate = r.marks("gate_started_at")
    done = r.marks("gate_done")
    if not (started and gate and done and r.killed_at):
        return {}
    if done[-1]["gate_done"] >= (gate[0]["total"] or triples):
        return {}  # the gate had finished: the measured bound says more than an estimate
    before_gate = gate[0]["gate_started_at"] - started[0]["started_at"]
    rate = done[-1]["gate_done"] / max(done[-1]["at"] - gate[0]["gate_started_at"], 1e-6)
    total = gate[0]["total"] or triples
    estimate = triples / (before_gate + total / rate)
    return {
        "gate_triples_done": done[-1]["gate_done"],
        "gate_total": total,
        "gate_rate": round(rate),
        "before_gate_s": round(before_gate, 2),
        "tps_estimate": round(estimate),
    }


def _summary(name: str, triples: int, runs: list[dict], cap: float | None) -> dict[str, Any]:
    done = [r for r in runs if not r.get("timed_out") and not r.get("error")]
    out: dict[str, Any] = {"variant": name, "n": len(done), "runs": runs, "cap_s": cap}
    if done:
        secs = util.median([r["seconds"] for r in done])
        out.update(
            seconds=round(secs, 3),
            tps=round(triples / secs),
            rss_mb=round(util.median([r["rss_mb"] for r in done])),
        )
    elif runs and runs[-1].get("timed_out"):
        # Stopped at the cap: a measured bound, not a figure.
        out.update(
            timed_out=True,
            tps_below=round(triples / runs[-1]["seconds"]),
            rss_mb_at_least=round(runs[-1]["rss_mb"]),
        )
        if "tps_estimate" in runs[-1]:
            out["tps_estimate"] = runs[-1]["tps_estimate"]
    else:
        out["error"] = runs[-1].get("error") if runs else "not run"
    for key in ("engine", "violations"):
        if done and key in done[-1]:
            out[key] = done[-1][key]
    return out


def _variant(
    name: str,
    triples: int,
    prepare: Callable[[Path], tuple[list[str], dict[str, str]]],
    s: LoadSettings,
    cap: float | None,
    log: Callable[[str], None],
) -> dict[str, Any]:
    runs: list[dict] = []
    for _ in range(s.runs):
        tmp = Path(tempfile.mkdtemp(prefix="load-", dir=generate.CACHE_DIR))
        try:
            args, env = prepare(tmp)
            r = util.run_child(args, timeout=cap, env=env)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if r.timed_out:
            work = r.work_s if r.work_s is not None else r.wall_s
            run = {"timed_out": True, "seconds": work, "rss_mb": r.max_rss_mb}
            run.update(_extrapolate(r, triples))
            runs.append(run)
            est = run.get("tps_estimate")
            shown = f", gate progress suggests ≈ {est:,.0f} triples/s" if est else ""
            log(f"    {name:12s} stopped at the cap of {cap:g} s ({r.max_rss_mb:.0f} MB){shown}")
            break
        if r.returncode != 0:
            runs.append({"error": f"exit {r.returncode}: {r.stderr.strip()[-300:]}"})
            log(f"    {name:12s} failed: {runs[-1]['error']}")
            break
        data = r.json()
        run = {"seconds": data["seconds"], "rss_mb": round(r.max_rss_mb, 1)}
        if name == "validated":
            run["engine"] = data["engine"]
            if data.get("exit_code") or not data.get("conforms"):
                run["error"] = f"rejected (exit {data.get('exit_code')})"
        if "violations" in data:
            run["violations"] = data["violations"]
        runs.append(run)
        log(
            f"    {name:12s} {data['seconds']:8.2f} s  {triples / data['seconds']:>10,.0f} "
            f"triples/s  {r.max_rss_mb:6.0f} MB"
        )
        if data["seconds"] > s.slow_s:
            break
    return _summary(name, triples, runs, cap)


def load_size(
    target: int, s: LoadSettings, budget: util.Budget, log: Callable[[str], None]
) -> dict[str, Any]:
    """All variants for one size."""
    nt, meta = generate.ensure(target, log=log)
    base = stores.base_store(target, log=log)
    triples = meta["triples"]
    log(f"  loads at {generate.size_label(target)} ({triples:,} triples, {nt.name})")
    out: dict[str, Any] = {"size": generate.size_label(target), "triples": triples}

    def rdflib_args(tmp: Path):
        return ["rdflib", str(nt)], {}

    def oxigraph_args(tmp: Path):
        return ["oxigraph", str(nt), str(tmp / "store")], {}

    def validated_args(tmp: Path):
        stores.copy_store(base, tmp / "store")
        return ["validated", str(nt)], {"CCKG_STORE": str(tmp / "store")}

    def fast_shacl_args(tmp: Path):
        return ["fast-shacl", str(nt), str(base)], {}

    out["rdflib"] = _variant("rdflib", triples, rdflib_args, s, None, log)
    out["oxigraph"] = _variant("oxigraph", triples, oxigraph_args, s, None, log)
    # From 1e6 on the capped variants get longer caps (parse, gate and write each take
    # minutes there). The validated load goes last: its cap takes what is left of the budget.
    cap = s.cap_s
    if cap is not None and triples >= 1_000_000:
        cap *= s.big_cap_factor
    if importlib.util.find_spec("cckg.core.gate.engine") is not None:
        out["fast_shacl"] = _variant("fast-shacl", triples, fast_shacl_args, s, cap, log)
    if cap is not None:
        cap = max(10.0, min(cap, budget.left() - 15))
    out["validated"] = _variant("validated", triples, validated_args, s, cap, log)
    return out
