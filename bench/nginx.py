"""The documented deployment's nginx (``deploy/nginx.conf``) on loopback, for the deployment
test and the benchmark: its own prefix folder, a free port, no root service. Stopped by its
process id."""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cckg.core.resources import CHECKOUT

TEMPLATE = CHECKOUT / "deploy" / "nginx.conf"
NGINX_PATHS = ("/usr/sbin/nginx",)


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return next((p for p in NGINX_PATHS if os.access(p, os.X_OK)), None)


def render(
    prefix: Path,
    port: int,
    upstreams: list[str],
    *,
    worker_processes: int = 1,
    rate: str = "1000000r/s",
    burst: int = 1000000,
) -> str:
    """``deploy/nginx.conf`` with its placeholders filled for a loopback run under ``prefix``.
    The default rate limit is effectively off (a load test comes from one address)."""
    values = {
        # A root master would run its workers as `nobody`, who cannot write the prefix.
        "USER_LINE": f"user {getpass.getuser()};" if os.geteuid() == 0 else "",
        "WORKER_PROCESSES": str(worker_processes),
        "PREFIX": str(prefix),
        "RATE": rate,
        "BURST": str(burst),
        "UPSTREAM_SERVERS": " ".join(f"server {u};" for u in upstreams),
        "LISTEN": f"127.0.0.1:{port}",
        "ADMIN_ALLOW": "allow 127.0.0.1; deny all;",
    }
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.findall(r"\{\{[A-Z_]+\}\}", text)
    if left:
        raise ValueError(f"unfilled placeholders in {TEMPLATE}: {', '.join(left)}")
    return text


@contextmanager
def nginx(prefix: Path, port: int, upstreams: list[str], **options: object) -> Iterator[str]:
    """nginx in the foreground on ``127.0.0.1:port`` in front of ``upstreams``; yields its
    base URL. Raises RuntimeError when nginx is not installed or does not come up."""
    exe = nginx_binary()
    if exe is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    for sub in ("tmp", "cache"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(render(prefix, port, upstreams, **options))  # type: ignore[arg-type]
    log = (prefix / "stderr.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            exe,
            "-p",
            str(prefix),
            "-c",
            str(conf),
            "-e",
            str(prefix / "error.log"),
            "-g",
            "daemon off;",
        ],  # fmt: skip
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                error = (prefix / "error.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"nginx stopped at start: {error}")
            try:
                # A generous time per attempt: the app behind may be slow to answer its first
                # requests (a worker still starting, a remote store).
                urllib.request.urlopen(f"{base}/health", timeout=10).read()  # noqa: S310
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not answer within 30 s") from None
                time.sleep(0.1)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGQUIT)  # graceful: workers finish their requests
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
