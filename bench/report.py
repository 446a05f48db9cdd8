"""Targets, verdicts and the printed table of a benchmark run."""

from __future__ import annotations

from typing import Any

TARGET_LOAD_TPS = 100_000  # validated load at 1e6, triples/s
TARGET_P95_MS = 100.0  # every named query and the matcher at 1e6, embedded store
# Over HTTP (Oxigraph server, Virtuoso): every named query, and the matcher warm.
TARGET_REMOTE_P95_MS = 300.0
REMOTE_ENGINES = {"remote": "Oxigraph server", "virtuoso": "Virtuoso"}
TARGET_SPARQL_RATIO = 0.5  # /sparql vs the Oxigraph server, same query
TARGET_LD_RPS = 1_000.0  # linked-data pages with HTTP caching
TARGET_WORKERS_RATIO = 0.25  # /sparql, cckg serve --workers 2, vs the Oxigraph server
TARGET_NGINX_RATIO = 1.0  # repeated /sparql through the documented nginx cache, vs Oxigraph


def verdict(
    value: float | None, target: float, higher_is_better: bool, bound: bool = False
) -> dict[str, Any]:
    """``{"verdict", "ratio"}``; ratio = value / target. With ``bound`` the run was stopped and
    ``value`` is the most it can be (a throughput) or the least (a latency): it can show a
    miss, never a pass ("open" when the bound reaches the target)."""
    if value is None:
        return {"verdict": "n/a", "ratio": None}
    ratio = value / target
    ok = ratio >= 1 if higher_is_better else ratio < 1
    label = ("open" if bound else "PASS") if ok else "MISS"
    return {"verdict": label, "ratio": round(ratio, 4), "bound": bound}


def _v(v: dict[str, Any]) -> str:
    if v["verdict"] == "n/a":
        return "n/a"
    if v.get("ratio") is None:
        return f"{v['verdict']} (> cap)"
    prefix = "≤ " if v.get("bound") else ""
    est = f"; ≈ {v['estimate_ratio']:.3g}× estimated" if v.get("estimate_ratio") else ""
    return f"{v['verdict']} ({prefix}{v['ratio']:.3g}×{est})"


def _n(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def _load_cell(v: dict[str, Any] | None) -> str:
    if not v:
        return "–"
    if v.get("timed_out"):
        rss = _n(v["rss_mb_at_least"])
        est = f" ≈{_n(v['tps_estimate'])}" if v.get("tps_estimate") else ""
        return f"<{_n(v['tps_below'])}{est} (stop {v['cap_s']:.0f} s) ≥{rss} MB"
    if v.get("error"):
        return f"error: {v['error'][:40]}"
    return f"{_n(v['tps'])} /s {_n(v['rss_mb'])} MB n={v['n']}"


def _lat_cell(t: dict[str, Any] | None) -> str:
    if not t:
        return "–"
    if t.get("median_ms") is None:
        if t.get("timeout_s"):
            return f"> {t['timeout_s']:g} s"
        return f"error: {(t.get('error') or '')[:30]}"
    return f"{_n(t['median_ms'], 1)} / {_n(t['p95_ms'], 1)} (n={t['n']})"


def _p95(t: dict[str, Any], target: float) -> dict[str, Any]:
    if t.get("p95_ms") is not None:
        return verdict(t["p95_ms"], target, False)
    if t.get("timeout_s"):
        return {"verdict": "MISS", "ratio": None, "bound": True}
    return {"verdict": "n/a", "ratio": None}


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target with its figure and verdict (also stored in the JSON)."""
    out = []
    big = results.get("query_size")
    for row in results.get("loads", []):
        if row["size"] != "1e6":
            continue
        v = row["validated"]
        if v.get("tps") is not None:
            verdict_ = verdict(v["tps"], TARGET_LOAD_TPS, True)
        else:
            verdict_ = verdict(v.get("tps_below"), TARGET_LOAD_TPS, True, bound=True)
            if v.get("tps_estimate"):
                verdict_["estimate_ratio"] = round(v["tps_estimate"] / TARGET_LOAD_TPS, 4)
        out.append({"target": "validated load ≥ 100k triples/s at 1e6", **verdict_})
    engines = {"embedded": ("embedded", TARGET_P95_MS), **{
        e: (title, TARGET_REMOTE_P95_MS) for e, title in REMOTE_ENGINES.items()
    }}  # fmt: skip
    for engine, (title, target) in engines.items():
        lat = results.get("latency", {}).get(engine, {}).get("tasks", {})
        for name, t in lat.items():
            out.append(
                {"target": f"p95 < {target:g} ms at {big}, {title}: {name}", **_p95(t, target)}
            )
    http = results.get("http", {})
    ours = (http.get("cckg_sparql") or {}).get("rps")
    theirs = (http.get("oxigraph_sparql") or {}).get("rps")
    ratio = ours / theirs if ours and theirs else None
    out.append(
        {"target": "/sparql ≥ 50% of Oxigraph server", **verdict(ratio, TARGET_SPARQL_RATIO, True)}
    )
    deploy = results.get("deploy", {})
    base = (deploy.get("oxigraph_sparql") or {}).get("rps")
    for key, label, target in (
        (
            "sparql",
            f"/sparql, cckg serve --workers {deploy.get('workers', 2)}",
            TARGET_WORKERS_RATIO,
        ),
        ("nginx_sparql", "/sparql repeated, through the nginx cache", TARGET_NGINX_RATIO),
    ):
        if not deploy:
            break
        rps = (deploy.get(key) or {}).get("rps")
        ratio = rps / base if rps and base else None
        out.append(
            {"target": f"{label} ≥ {target:g}× Oxigraph server", **verdict(ratio, target, True)}
        )
    pages = (("id_304", "304 revalidation"), ("id_turtle", "Turtle"), ("id_html", "HTML"))
    for key, label in pages:
        rps = (http.get(key) or {}).get("rps")
        out.append(
            {"target": f"/id pages ≥ 1,000 req/s ({label})", **verdict(rps, TARGET_LD_RPS, True)}
        )
    return out


def table(results: dict[str, Any]) -> str:
    """The human-readable report: one section per phase that ran, then the targets."""
    lines: list[str] = []
    env = results["environment"]
    lines.append(
        f"cckg benchmark — {results['mode']} run, {env['started']}, {env['cpus']} CPUs, "
        f"load average {env['loadavg_start'][0]:.2f} at start / "
        f"{env['loadavg_end'][0]:.2f} at end, seed {results['seed']}, "
        f"{results['elapsed_s']:.0f} s"
    )
    if env["loadavg_start"][0] > 1.0:
        lines.append("  WARNING: the machine was busy when the run started; figures are noisy.")
    lines.append("")
    for section in (_loads, _latency, _http, _embedding):
        lines.extend(section(results))
    deploy = results.get("deploy")
    if deploy:
        lines.extend(_deploy_lines(deploy))
    cold = results.get("cold_start")
    if cold:
        lines.append(
            f"4. Cold start: cckg serve until GET /health 200 on the {results['query_size']} store:"
            f" {cold['seconds']:.2f} s (median of {len(cold['runs'])}: "
            f"{', '.join(f'{x:.2f}' for x in cold['runs'])}) without the warm-up"
        )
        if "warmed_seconds" in cold:
            lines.append(
                f"   with the warm-up of cckg serve (at most {cold['warm_up_wait_s']:.0f} s):"
                f" {cold['warmed_seconds']:.2f} s"
            )
        lines.append("")
    targets = results.get("targets", [])
    misses = [t for t in targets if t["verdict"] == "MISS"]
    passes = [t for t in targets if t["verdict"] == "PASS"]
    still = [t for t in targets if t["verdict"] == "open"]
    lines.append(
        f"Targets: {len(passes)} PASS, {len(misses)} MISS, {len(still)} open (a stopped run's"
        " bound reaches the target), ratio = measured / target"
    )
    for t in targets:
        shown = _v(t) if t["verdict"] != "n/a" else ""
        lines.append(f"  {t['verdict']:<5} {t['target']}  {shown}")
    return "\n".join(lines)


def _loads(results: dict[str, Any]) -> list[str]:
    """Section 1: validated load and the bare parsers, per size."""
    lines: list[str] = []
    if results.get("loads"):
        lines.append("1. Load throughput: triples/s (median of n runs) and peak RSS of the process")
        head = f"{'size':>6} {'triples':>10}  {'validated: cckg load FILE':<44} "
        head += f"{'rdflib Graph.parse':<24} {'pyoxigraph bulk_load':<24} "
        head += "fast_shacl (validate only)"
        lines.append(head)
        for row in results["loads"]:
            v = row["validated"]
            engine = f" [{v['engine']}]" if v.get("engine") else ""
            lines.append(
                f"{row['size']:>6} {row['triples']:>10,}  {_load_cell(v) + engine:<44} "
                f"{_load_cell(row['rdflib']):<24} {_load_cell(row['oxigraph']):<24} "
                f"{_load_cell(row.get('fast_shacl'))}"
            )
        lines.append("")
    return lines


def _latency(results: dict[str, Any]) -> list[str]:
    """Section 2: named queries and the matcher per engine, with verdicts."""
    lines: list[str] = []
    lat = results.get("latency")
    if lat:
        engines = [e for e in ("embedded", "remote", "virtuoso", "rdflib") if e in lat]
        titles = {
            "embedded": "embedded (pyoxigraph)",
            "rdflib": "rdflib Dataset",
            "remote": "Oxigraph server (HTTP)",
            "virtuoso": "Virtuoso (HTTP)",
        }
        lines.append(
            f"2. Latency at {results['query_size']} ({lat.get('store_quads', 0):,} quads): "
            "median / p95 ms (n runs) of the repeats, served from the per-version caches"
        )
        for e in engines:
            lines.append(
                f"   {titles[e]}: opened in {lat[e]['open_s']} s, queries + matcher warm-up "
                f"ready {lat[e]['warm_s']} s later, {lat[e]['open_rss_mb']} MB"
            )
        head = f"{'task':<42}" + "".join(f"{titles[e]:<28}" for e in engines)
        lines.append(head + "p95 < 100 ms embedded, < 300 ms HTTP")
        names = list(lat[engines[0]]["tasks"]) if engines else []
        for name in names:
            cells = "".join(f"{_lat_cell(lat[e]['tasks'].get(name)):<28}" for e in engines)
            marks = []
            for e, target in (("embedded", TARGET_P95_MS), *(
                (r, TARGET_REMOTE_P95_MS) for r in REMOTE_ENGINES
            )):  # fmt: skip
                t = lat.get(e, {}).get("tasks", {}).get(name)
                if t is not None:
                    v = _p95(t, target)
                    marks.append(v["verdict"] if v.get("ratio") is not None else f"{v['verdict']}*")
            lines.append(f"{name:<42}{cells}{' '.join(marks)}")
        lines.append(
            "   (> N s: the run was stopped at the cap of N s; n: runs measured; verdicts in"
            " column order, * = stopped or failed)"
        )
        lines.append(
            "   first run per store version (fills the caches; not a sample), ms: task: "
            + ", ".join(titles[e].split(" (")[0] for e in engines)
        )
        for name in names:
            firsts = [_n(lat[e]["tasks"].get(name, {}).get("first_ms")) for e in engines]
            lines.append(f"     {name:<40} {' / '.join(firsts)}")
        lines.extend(_answers(lat, engines, titles))
        lines.extend(_past_page_limit(lat, engines, names, titles))
        lines.append("")
    return lines


def _past_page_limit(
    lat: dict[str, Any], engines: list[str], names: list[str], titles: dict[str, str]
) -> list[str]:
    """The named queries (``names`` but the matcher's tasks) whose first run took longer than
    the pages give a query (the default ``CCKG_SPARQL_TIMEOUT_S``): after every write their
    page answers 503 on that engine, as an answer is kept only once it completes."""
    from bench.latency import MATCH_REQUESTS
    from cckg.core.settings import Settings

    limit_ms = Settings().sparql_timeout_s * 1000
    slow = []
    for name in (n for n in names if n not in MATCH_REQUESTS):
        for e in engines:
            task = lat[e]["tasks"].get(name, {})
            first, cap = task.get("first_ms"), task.get("timeout_s")
            if first is not None and first > limit_ms:
                slow.append(f"{name} on {titles[e].split(' (')[0]}: {_n(first)} ms")
            elif first is None and cap and cap * 1000 > limit_ms:  # stopped at the cap
                slow.append(f"{name} on {titles[e].split(' (')[0]}: > {cap:g} s (stopped)")
    if not slow:
        return []
    return [f"   first runs past the pages' time limit ({limit_ms / 1000:g} s):"] + [
        f"     {s}" for s in slow
    ]


def _answers(lat: dict[str, Any], engines: list[str], titles: dict[str, str]) -> list[str]:
    """Whether every engine gave the embedded store's answer (digests of the first runs)."""
    base = lat.get("embedded", {}).get("tasks", {})
    if not any(t.get("answer") for t in base.values()):
        return []  # a results file from before answers were compared
    differ = []
    for name, t in base.items():
        for e in engines:
            other = lat[e]["tasks"].get(name, {})
            if e != "embedded" and t.get("answer") and other.get("answer") not in (
                None, t["answer"]
            ):  # fmt: skip
                differ.append(
                    f"{name} on {titles[e].split(' (')[0]} ({other.get('rows')} rows against "
                    f"{t.get('rows')})"
                )
    if not differ:
        return ["   answers: every engine that answered gave the embedded store's answer"]
    return ["   answers that differ from the embedded store's (a wrong answer is no speed):"] + [
        f"     {d}" for d in differ
    ]


def _http(results: dict[str, Any]) -> list[str]:
    """Section 3: /sparql and linked-data throughput over HTTP."""
    lines: list[str] = []
    http = results.get("http")
    if http:
        lines.append(
            f"3. HTTP throughput: req/s, wrk -t2 -c10, median of {len(http['cckg_sparql']['runs'])}"
            f" × {http['seconds']:g} s, loopback"
        )
        ours = http["cckg_sparql"]["rps"]
        theirs = http.get("oxigraph_sparql", {}).get("rps")
        ratio = ours / theirs if ours and theirs else None
        lines.append(
            f"   {'/sparql simple SELECT':<30} cckg serve {_n(ours)}   "
            f"Oxigraph server {_n(theirs)}   ratio {_n(ratio, 3)}   "
            f"target ≥ 0.5: {_v(verdict(ratio, TARGET_SPARQL_RATIO, True))}"
        )
        uncached = (http.get("cckg_sparql_uncached") or {}).get("rps")
        if uncached:
            ratio_u = uncached / theirs if theirs else None
            lines.append(
                f"   {'/sparql, body cache off':<30} cckg serve {_n(uncached)}   "
                f"ratio {_n(ratio_u, 3)}   (every request runs the query in a worker)"
            )
        describe = http.get("oxigraph_describe", {}).get("rps")
        for key, label in (
            ("id_turtle", f"{http['path']} Turtle 200"),
            ("id_html", f"{http['path']} HTML 200"),
            ("id_304", f"{http['path']} Turtle 304"),
        ):
            entry = http.get(key) or {}
            rps = entry.get("rps")
            note = f"  ({entry['note']})" if entry.get("note") else ""
            ref = f"   (Oxigraph DESCRIBE Turtle: {_n(describe)})" if key == "id_turtle" else ""
            bad = entry.get("bad_responses")
            bad_s = f"  [{bad} bad responses]" if bad else ""
            lines.append(
                f"   {label:<30} cckg serve {_n(rps)}   target ≥ 1,000: "
                f"{_v(verdict(rps, TARGET_LD_RPS, True))}{ref}{note}{bad_s}"
            )
        for key, label in (
            ("id_turtle_uncached", f"{http['path']} Turtle, cache off"),
            ("health", "/health (no work: the floor)"),
        ):
            rps = (http.get(key) or {}).get("rps")
            if rps:
                lines.append(f"   {label:<30} cckg serve {_n(rps)}")
        lines.append("")
    return lines


def _embedding(results: dict[str, Any]) -> list[str]:
    """Section 5: the cost of the sentence index."""
    lines: list[str] = []
    emb = results.get("embedding")
    if emb:
        lines.append("5. Embedding cost: the sentence index of a store with no cached vector")
        for r in emb:
            total = (
                f"{_n(r['encode_all_s'], 1)} s (all encoded)"
                if r.get("encode_all_s") is not None
                else f"≈ {_n(r['encode_all_s_estimate'], 1)} s (estimate: sample rate × count)"
            )
            lines.append(
                f"   {r['size']:>4}: {r['sentences']:,} sentences of {r['things']:,} things, "
                f"read and split in {r['read_s']} s; {r['encoded']:,} encoded at "
                f"{r['per_sentence_ms']} ms each; all: {total}; load average {r['loadavg'][0]:.2f}"
            )
        lines.append("")
    return lines


def _deploy_lines(deploy: dict[str, Any]) -> list[str]:
    """Section 5: the deployment's figures side by side, with the Oxigraph server's."""
    workers = deploy["workers"]
    base = (deploy.get("oxigraph_sparql") or {}).get("rps")
    lines = [
        f"5. Deployment: req/s, same query and wrk settings as 3, side by side; ratio to the "
        f"Oxigraph server's {_n(base)} req/s"
    ]
    rows = (
        ("sparql", f"cckg serve --workers {workers}, /sparql", TARGET_WORKERS_RATIO),
        ("health", "  the same, /health", None),
        ("nginx_sparql", "  nginx (deploy/nginx.conf) in front, repeats", TARGET_NGINX_RATIO),
        ("sparql_uncached", "  the same, --threads 12, answer caches off", None),
        ("remote_sparql", f"cckg serve --workers {workers} on the Oxigraph server", None),
    )
    for key, label, target in rows:
        entry = deploy.get(key) or {}
        rps = entry.get("rps")
        ratio = rps / base if rps and base else None
        verdict_s = f"   target ≥ {target:g}×: {_v(verdict(ratio, target, True))}" if target else ""
        bad = entry.get("bad_responses")
        bad_s = f"  [{bad} bad responses]" if bad else ""
        lines.append(f"   {label:<52} {_n(rps):>8}   ratio {_n(ratio, 3)}{verdict_s}{bad_s}")
    if deploy.get("nginx_cache_status"):
        lines.append(
            f"   (second request through nginx: X-Cache-Status {deploy['nginx_cache_status']})"
        )
    lines.append("")
    return lines
