"""``python -m bench``: every comparison of issue 7 in one run, a table and var/bench/results.json.

Phases (in this order, so the adjustable load caps absorb any overrun of the budget):
cold start, HTTP throughput, the deployment (several workers, nginx's cache, the remote
store), query/match latency, load throughput.

The system tools the chosen phases need (wrk, nginx) are installed by
``scripts/ensure-bench-deps.sh`` when missing (as root or with sudo); otherwise the run stops
before it starts, naming them, with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import embedding, generate, latency, loads, report, stores, util, virtuoso, web
from bench.nginx import nginx_binary
from cckg.core.resources import CHECKOUT

PHASES = ("cold", "http", "deploy", "latency", "embedding", "load")
ENGINES = ("embedded", "remote", "virtuoso", "rdflib")
# The servers' own query time limit: above the task cap (the parent stops a task at the cap),
# since a worker's warm-up and a task's first run read the whole store (the sentence texts:
# over 8 s at 1e6 on a busy machine).
SERVER_TIMEOUT_S = 120
# System tools by phase: (command, the paths it may have outside PATH).
TOOLS = {"http": ("wrk",), "deploy": ("wrk", "nginx")}
DEPS_SCRIPT = CHECKOUT / "scripts" / "ensure-bench-deps.sh"
EXIT_MISSING = 2


@dataclass
class Config:
    budget_s: float
    load_sizes: list[int]
    query_size: int
    load: loads.LoadSettings
    lat: latency.Settings  # embedded store, Oxigraph server, Virtuoso
    rdflib: latency.Settings  # rdflib is far slower: fewer runs, its own cap
    wrk_s: float
    wrk_runs: int
    cold_runs: int
    embed_sizes: list[int] = field(default_factory=list)
    embed_sample: int | None = None  # sentences encoded per size (None: all)
    phases: tuple[str, ...] = field(default=PHASES)
    engines: tuple[str, ...] = field(default=ENGINES)  # of the latency phase


FULL = Config(
    budget_s=2400,
    load_sizes=[10_000, generate.SIZES["1e5"], generate.SIZES["1e6"]],
    query_size=generate.SIZES["1e6"],
    load=loads.LoadSettings(runs=3, cap_s=120, slow_s=15),
    lat=latency.Settings(cap_s=8, budget_s=2.5, max_reps=20),
    rdflib=latency.Settings(cap_s=3, budget_s=3, max_reps=3),
    wrk_s=5,
    wrk_runs=3,
    cold_runs=3,
    embed_sizes=[generate.SIZES["1e5"], generate.SIZES["1e6"]],
    embed_sample=4000,
)
QUICK = Config(
    budget_s=120,
    load_sizes=[10_000],
    query_size=10_000,
    load=loads.LoadSettings(runs=1, cap_s=30, slow_s=5),
    lat=latency.Settings(cap_s=2, budget_s=0.5, max_reps=5),
    rdflib=latency.Settings(cap_s=1, budget_s=1, max_reps=1),
    wrk_s=2,
    wrk_runs=1,
    cold_runs=1,
    embed_sizes=[10_000],
    embed_sample=500,
)


def _log_factory(started: float):
    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.0f} s] {message}", file=sys.stderr, flush=True)

    return log


def _choices(text: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    """A comma-separated option's values, each one of ``allowed`` (else exit with a message)."""
    chosen = tuple(v.strip() for v in text.split(",") if v.strip())
    unknown = set(chosen) - set(allowed)
    if unknown:
        raise SystemExit(f"unknown {what}(s): {', '.join(sorted(unknown))}; use {allowed}")
    return chosen


def configure(args: argparse.Namespace) -> Config:
    cfg = QUICK if args.quick else FULL
    if args.big:
        cfg = replace(cfg, load_sizes=[*cfg.load_sizes, generate.SIZES["5e6"]], budget_s=3600)
    if args.load_cap is not None:
        cap = args.load_cap if args.load_cap > 0 else None
        cfg = replace(cfg, load=replace(cfg.load, cap_s=cap))
    if args.phases:
        cfg = replace(cfg, phases=_choices(args.phases, PHASES, "phase"))
    if args.engines:
        cfg = replace(cfg, engines=_choices(args.engines, ENGINES, "engine"))
    if args.query_size:
        cfg = replace(cfg, query_size=generate.parse_size(args.query_size))
    return cfg


def run(cfg: Config, mode: str, seed: int, out: Path) -> dict[str, Any]:
    started = time.monotonic()
    log = _log_factory(started)
    budget = util.Budget(cfg.budget_s)
    results: dict[str, Any] = {
        "mode": mode,
        "seed": seed,
        "config": asdict(cfg),
        "environment": {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_start": util.load_average(),
        },
        "query_size": generate.size_label(cfg.query_size),
    }
    nt, _ = generate.ensure(cfg.query_size, seed=seed, log=log)
    qstore = stores.query_store(cfg.query_size, nt, log=log)
    if "cold" in cfg.phases:
        log("cold start")
        results["cold_start"] = web.cold_start(qstore, cfg.cold_runs, log)
    if "http" in cfg.phases:
        log("HTTP throughput")
        results["http"] = web.http_phase(qstore, cfg.wrk_s, cfg.wrk_runs, log)
    if "deploy" in cfg.phases:
        log("deployment: several workers, nginx cache, remote store")
        results["deploy"] = web.deployment_phase(qstore, cfg.wrk_s, cfg.wrk_runs, log)
    if "latency" in cfg.phases:
        log("latency of named queries and the matcher")
        names = latency.task_names()
        lat: dict[str, Any] = {"store_quads": stores.count_quads(qstore)}
        reserve = 0.3 * cfg.budget_s if "load" in cfg.phases else 0  # kept for the loads
        if "embedded" in cfg.engines:
            lat["embedded"] = latency.run_engine(
                "embedded", str(qstore), names, cfg.lat, log, budget, reserve
            )
        if "remote" in cfg.engines:
            with web.oxigraph_server(qstore, timeout_s=SERVER_TIMEOUT_S) as base:
                lat["remote"] = latency.run_engine(
                    "remote", base, names, cfg.lat, log, budget, reserve
                )
        dump = stores.nquads_dump(qstore)
        if "virtuoso" in cfg.engines and not virtuoso.available():
            log("  virtuoso: not installed (apt-get install virtuoso-opensource), left out")
        elif "virtuoso" in cfg.engines:
            with virtuoso.server(dump, timeout_s=SERVER_TIMEOUT_S, log=log) as sparql:
                lat["virtuoso"] = latency.run_engine(
                    "virtuoso", sparql, names, cfg.lat, log, budget, reserve
                )
        if "rdflib" in cfg.engines:
            lat["rdflib"] = latency.run_engine(
                "rdflib", str(dump), names, cfg.rdflib, log, budget, reserve
            )
        results["latency"] = lat
    if "embedding" in cfg.phases:
        log("embedding cost: the sentence index from no cached vector")
        results["embedding"] = [
            embedding.measure(size, seed, cfg.embed_sample, log) for size in cfg.embed_sizes
        ]
    if "load" in cfg.phases:
        log("load throughput")
        results["loads"] = [loads.load_size(t, cfg.load, budget, log) for t in cfg.load_sizes]
    results["environment"]["loadavg_end"] = util.load_average()
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    results["targets"] = report.evaluate(results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    log(f"wrote {out}")
    return results


def missing_tools(phases: tuple[str, ...]) -> list[str]:
    """The system tools the phases need that this machine lacks."""
    needed = sorted({tool for phase in phases for tool in TOOLS.get(phase, ())})
    found = {"wrk": shutil.which("wrk") is not None, "nginx": nginx_binary() is not None}
    return [tool for tool in needed if not found[tool]]


def ensure_tools(phases: tuple[str, ...]) -> None:
    """Install what is missing (scripts/ensure-bench-deps.sh), or stop with exit code 2."""
    missing = missing_tools(phases)
    if not missing:
        return
    print(f"bench: installing {', '.join(missing)} ({DEPS_SCRIPT.name})", file=sys.stderr)
    done = subprocess.run([str(DEPS_SCRIPT)], check=False)  # noqa: S603 (our own script)
    missing = missing_tools(phases)
    if done.returncode != 0 or missing:
        print(
            f"bench: missing {', '.join(missing)}: install them (apt-get install "
            f"{' '.join(missing)}, or run {DEPS_SCRIPT.relative_to(CHECKOUT)} as root), or "
            "leave out the phases that need them (--phases)",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_MISSING)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description="cckg benchmark suite (issue 7): loads, latency, HTTP, cold start.",
    )
    ap.add_argument("--quick", action="store_true", help="2-minute smoke run (small sizes)")
    ap.add_argument("--big", action="store_true", help="also load 5e6 triples (long)")
    ap.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    ap.add_argument(
        "--load-cap",
        type=float,
        help="stop a validated load after this many seconds (0: never); default 120 "
        "(3 times that from 1e6 on, within the run's budget), quick 30",
    )
    ap.add_argument("--phases", help=f"comma-separated subset of {','.join(PHASES)}")
    ap.add_argument("--engines", help=f"latency engines, a subset of {','.join(ENGINES)}")
    ap.add_argument("--query-size", help="the store of the latency phase: 1e4, 1e5, 1e6")
    ap.add_argument(
        "--out", type=Path, default=generate.CACHE_DIR / "results.json", help="JSON results"
    )
    args = ap.parse_args(argv)
    cfg = configure(args)
    ensure_tools(cfg.phases)
    mode = "quick" if args.quick else ("big" if args.big else "full")
    try:
        results = run(cfg, mode, args.seed, args.out)
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        # A server that did not start, a tool that failed: say which, never a traceback.
        print(
            f"bench: stopped: {type(e).__name__}: {e} (the servers' logs: {web.LOG_DIR})",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    print(report.table(results))
