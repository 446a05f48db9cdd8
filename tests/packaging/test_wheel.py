"""The wheel is the app: built from a clean copy of the checkout, it carries every file the app
reads and no top-level package but ``cckg``; installed into a fresh virtual environment outside
the checkout, ``cckg load``, ``cckg query`` and ``cckg serve`` work from a working directory of
their own and keep the store there (``./var/store``), never inside site-packages.

One test, in steps (each failing with the command's output): about 1.5 minutes with pip's
cache warm, mostly installing the dependencies and the default load. Needs pip's index (PyPI
or a mirror) for the build backend and the dependencies, as ``make setup`` does.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
import yaml

from cckg.core.resources import NAMES as RESOURCE_FOLDERS
from tests import ROOT

pytestmark = pytest.mark.slow


WEBAPP_FOLDERS = ("cckg/webapp/templates", "cckg/webapp/static")
ID = "https://w3id.org/cckg/id/"
# What a build must not see: local state of the checkout (virtual environment, store, caches,
# earlier builds). ``build/`` matters most: setuptools copies into it and never removes a file,
# so a file deleted from the checkout would still ride in a wheel built in place.
LOCAL_STATE = {
    ".git", ".venv", "var", "build", "dist", "node_modules", "test-artifacts",
    ".hypothesis", ".schemathesis", ".pytest_cache", ".ruff_cache", ".mypy_cache",
}  # fmt: skip

# Generous limits: the test must hold on a busy 2-core machine.
PIP_TIMEOUT_S = 900
LOAD_TIMEOUT_S = 900
COMMAND_TIMEOUT_S = 300
SERVE_START_S = 300
REQUEST_TIMEOUT_S = 120
SERVE_STOP_S = 120


# What the installed interpreter imports, from where: run in the working directory.
WHERE = """
import importlib.metadata as md, json, sysconfig
import cckg
from cckg.core.resources import resource_dir
print(json.dumps({
    "module": cckg.__file__,
    "ontology": str(resource_dir("ontology")),
    "dists": [str(d.locate_file("")) for d in md.distributions(name="cckg")],
    "purelib": sysconfig.get_paths()["purelib"],
}))
"""


def _ignore(folder: str, names: list[str]) -> set[str]:
    top = Path(folder).resolve() == ROOT
    skip = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".egg-info"))}
    return skip | (LOCAL_STATE & set(names) if top else set())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _files(root: Path, folder: str) -> set[str]:
    """The files under ``root/folder``, as paths relative to ``root`` (no bytecode)."""
    return {
        p.relative_to(root).as_posix()
        for p in (root / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def _run(cmd: list[str | Path], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    try:
        done = subprocess.run(
            [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{' '.join(map(str, cmd))}: no result in {timeout} s\n{e.stdout}\n{e.stderr}")
    assert done.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that points at the checkout or at another store."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CCKG_", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"))
    }
    return {**env, **extra}


def _get(url: str, accept: str) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as r:  # noqa: S310 (loopback)
        return r.status, r.headers.get("Content-Type", ""), r.read()


def _wait_healthy(base: str, proc: subprocess.Popen, log: Path) -> None:
    """Poll /health until it answers 200; fail at once when the server exits."""
    deadline = time.monotonic() + SERVE_START_S
    while True:
        if proc.poll() is not None:
            pytest.fail(f"cckg serve exited {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            status, _, _ = _get(f"{base}/health", "application/json")
            if status == 200:
                return
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"cckg serve did not answer in {SERVE_START_S} s:\n{log.read_text()}")
        time.sleep(0.5)


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    # -- build from a copy of the checkout without its local state
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=_ignore)
    dist = tmp_path / "dist"
    build_env = _clean_env()
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, src],
        cwd=tmp_path, env=build_env, timeout=PIP_TIMEOUT_S,
    )  # fmt: skip
    (wheel,) = dist.glob("cckg-*.whl")

    # -- what the wheel holds
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/RECORD"))
        top_level = z.read(f"{dist_info}/top_level.txt").decode().split()
        entry_points = z.read(f"{dist_info}/entry_points.txt").decode()
    assert top_level == ["cckg"]
    outside = sorted(n for n in names if n.split("/")[0] not in ("cckg", dist_info))
    assert not outside, f"the wheel installs more than the package cckg: {outside}"
    assert "cckg = cckg.cli:main" in entry_points
    for folder in RESOURCE_FOLDERS:  # ontology, shapes, queries, data, eval: the same files
        expected = {f"cckg/_resources/{f}" for f in _files(src, folder)}
        packaged = {n for n in names if n.startswith(f"cckg/_resources/{folder}/")}
        assert expected, folder
        assert packaged == expected, (folder, expected ^ packaged)
    for folder in WEBAPP_FOLDERS:
        expected = _files(src, folder)
        packaged = {n for n in names if n.startswith(f"{folder}/")}
        assert expected and packaged == expected, (folder, expected ^ packaged)
    modules = {f for f in _files(src, "cckg") if f.endswith(".py")}
    assert modules <= names, sorted(modules - names)
    for suffix in (".ttl", ".rq", ".yaml", ".csv"):  # the kinds of file the app reads
        assert any(n.endswith(suffix) for n in names), suffix

    # -- a fresh virtual environment outside the checkout, the wheel and its dependencies
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=build_env, timeout=PIP_TIMEOUT_S)
    bin_dir = venv / "bin"
    env = _clean_env(PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    _run(
        [bin_dir / "python", "-m", "pip", "install", "-q", wheel],
        cwd=tmp_path, env=env, timeout=PIP_TIMEOUT_S,
    )  # fmt: skip

    work = tmp_path / "work"
    work.mkdir()
    where = json.loads(_run([bin_dir / "python", "-c", WHERE], cwd=work, env=env, timeout=60))
    site_packages = Path(where["purelib"])
    assert site_packages.is_relative_to(venv)
    assert Path(where["module"]).is_relative_to(site_packages / "cckg"), where
    assert Path(where["ontology"]) == site_packages / "cckg" / "_resources" / "ontology", where
    assert where["dists"] == [str(site_packages)], where  # one cckg: the wheel

    # -- load (the default: ontology, curated data, all reference data) and query
    cckg = bin_dir / "cckg"
    _run([cckg, "load", "--quiet"], cwd=work, env=env, timeout=LOAD_TIMEOUT_S)
    store = work / "var" / "store"
    assert (store / "CURRENT").is_file(), "the store is not under the working directory"
    out = _run(
        [cckg, "query", "list_solutions_by_theme", "--format", "csv"],
        cwd=work, env=env, timeout=COMMAND_TIMEOUT_S,
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows, out
    assert all(r["solution"].startswith(f"{ID}solution/") for r in rows), rows[0]

    # -- serve, three requests, stop
    solutions = yaml.safe_load((src / "data" / "solutions.yaml").read_text(encoding="utf-8"))
    slug = solutions["records"][0]["id"]  # a curated solution
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [str(cckg), "serve", "--port", str(port)],
            cwd=work, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_healthy(base, proc, log)
            status, ctype, body = _get(f"{base}/id/solution/{slug}", "text/html")
            assert status == 200 and ctype.startswith("text/html"), (status, ctype)
            assert f"/id/solution/{slug}".encode() in body
            status, ctype, body = _get(
                f"{base}/sparql?query=ASK%7B%7D", "application/sparql-results+json"
            )
            assert status == 200 and json.loads(body)["boolean"] is True, body
            proc.send_signal(signal.SIGTERM)  # as a service manager stops it
            proc.wait(timeout=SERVE_STOP_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    # -- the store stayed in the working directory
    stores = [p.parent for p in venv.rglob("CURRENT") if (p.parent / "IDENTITY").exists()]
    assert not stores, f"a store inside the virtual environment: {stores}"
    assert not (site_packages / "var").exists() and not (site_packages / "cckg" / "var").exists()
