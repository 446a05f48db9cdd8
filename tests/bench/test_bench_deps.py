"""``make bench`` on a machine without its system tools: it tries to install them
(scripts/ensure-bench-deps.sh) and, when it cannot, names them and exits 2, without a
traceback and before any measurement starts.

The machine is simulated with a PATH that holds only the shell tools the scripts use: no wrk,
no apt-get, no sudo (nginx is looked up outside PATH too, so the deploy phase is not used)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests import ROOT

SHELL_TOOLS = ("bash", "env", "id", "dirname")


def test_missing_wrk_without_a_way_to_install_it_exits_2(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in SHELL_TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    out = tmp_path / "results.json"
    done = subprocess.run(  # noqa: S603 (our own module)
        [sys.executable, "-m", "bench", "--quick", "--phases", "http", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "missing: wrk" in done.stderr  # the install script's own word
    assert "bench: missing wrk" in done.stderr  # and what to do, from the bench
    assert "--phases" in done.stderr
    assert not out.exists()  # nothing measured
