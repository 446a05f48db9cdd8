"""Small helpers: statistics, a run-time budget, child processes with their peak memory."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cckg.core.resources import CHECKOUT

PYTHON = sys.executable
VENV_BIN = Path(sys.executable).parent


def median(xs: Sequence[float]) -> float | None:
    return statistics.median(xs) if xs else None


def p95(xs: Sequence[float]) -> float | None:
    """Nearest-rank 95th percentile (with fewer than 20 samples: the maximum)."""
    if not xs:
        return None
    ordered = sorted(xs)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Budget:
    """Wall-clock budget of the whole run; phases ask how much is left."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return self.seconds - self.elapsed()


@dataclass
class ChildResult:
    returncode: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    wall_s: float
    max_rss_mb: float  # peak resident set of the child itself (VmHWM)
    work_s: float | None = None  # killed: seconds of measured work (after imports) until then
    killed_at: float | None = None  # killed: wall-clock time (time.time())

    def marks(self, key: str) -> list[dict]:
        """The child's JSON progress lines that carry ``key``."""
        return [json.loads(x) for x in self.stdout.splitlines() if x.startswith(f'{{"{key}"')]

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def json(self) -> dict:
        """The last line of stdout that is a JSON object."""
        for line in reversed(self.stdout.strip().splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        raise ValueError(f"no JSON result from child: {self.stderr[-2000:]}")


def run_child(
    args: Sequence[str], timeout: float | None = None, env: dict[str, str] | None = None
) -> ChildResult:
    """Run ``python -m bench.child ARGS`` and measure its wall time and peak RSS (VmHWM,
    sampled while it runs and reported by the child at its end).

    The child is killed (its whole process group) when it exceeds ``timeout`` seconds.
    """
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [PYTHON, "-m", "bench.child", *args],
            stdout=out,
            stderr=err,
            cwd=CHECKOUT,
            env=full_env,
            start_new_session=True,
        )
        deadline = None if timeout is None else started + timeout
        peak_kb = 0
        code: int | None = None
        while True:
            peak_kb = max(peak_kb, peak_rss_kb(proc.pid))
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if deadline is not None and time.perf_counter() > deadline:
                killed_at = time.time()
                os.killpg(proc.pid, signal.SIGKILL)
                os.waitpid(proc.pid, 0)
                code = None
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
        proc.returncode = -9 if code is None else code  # already reaped by waitpid
        out.seek(0)
        err.seek(0)
        result = ChildResult(code, out.read(), err.read(), wall, peak_kb / 1024)
    if code is None:
        result.killed_at = killed_at
        marks = result.marks("started_at")
        if marks:
            result.work_s = killed_at - marks[0]["started_at"]
        return result
    try:  # the child's own figure (read just before it exits) is the exact peak
        result.max_rss_mb = max(result.max_rss_mb, result.json().get("peak_rss_kb", 0) / 1024)
    except ValueError:
        pass
    return result


def peak_rss_kb(pid: int | str = "self") -> int:
    """Peak resident set (VmHWM) of a process since its last exec, in KiB; 0 if unknown.

    Not ``getrusage``: its ru_maxrss counts the parent's pages a child shared before exec.
    """
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(
    url: str, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a GET; 3xx/4xx/5xx are answers, not exceptions. Header
    names are lower-cased: servers spell them differently (granian sends ``etag``)."""
    req = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback only)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.02) -> float | None:
    """Seconds until ``check()`` is true, or None after ``timeout``."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if check():
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(interval)
    return None


def stop(proc: subprocess.Popen, grace: float = 10) -> None:
    """Stop a server we started: SIGTERM to its process group, SIGKILL after ``grace``."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
