"""Fuzzing: schemathesis against /openapi.json on the live server; hypothesis on the loaders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cckg.core.gate.model import ParsedSource, SourceError
from cckg.loaders.tabular import parse_file

KINDS = [
    "solutions",
    "institutions",
    "cities",
    "events",
    "needs",
    "offers",
    "practitioners",
    "project-ideas",
    "unknown",
]
FIELDS = [
    "id",
    "name",
    "title",
    "city",
    "country",
    "themes",
    "summary",
    "year",
    "email",
    "phone",
    "member_of",
    "expert_in",
    "languages",
    "is_example",
    "url",
    "institutions",
    "lat",
    "lon",
    "status",
    "sdgs",
    "event",
    "text",
    "kind",
]
SCALARS = st.one_of(
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.sampled_from(
        [
            "Rostock",
            "DE",
            "BR",
            "belo-horizonte-zona-30",
            "cycling-walking",
            "2019-13-45",
            "../../etc/passwd",
            "\u202e",
            "\x00",
            "<x:a>",
            "a b",
        ]
    ),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=5), SCALARS, max_size=3),
)
RECORDS = st.lists(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8), max_size=5)


def _parse(name: str, text: str | bytes) -> None:
    folder = Path(tempfile.mkdtemp(prefix="cckg-fuzz-"))
    try:
        path = folder / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        try:
            result = parse_file(path)
        except SourceError as e:
            assert str(path) in str(e) or path.name in str(e)
            return
        assert isinstance(result, ParsedSource)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(KINDS), records=RECORDS)
def test_yaml_records_never_crash_the_loader(kind, records):
    _parse(f"{kind}.yaml", yaml.safe_dump({"kind": kind, "records": records}, allow_unicode=True))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(KINDS),
    header=st.lists(st.sampled_from(FIELDS), max_size=6),
    rows=st.lists(st.lists(st.text(max_size=20), max_size=7), max_size=5),
)
def test_csv_records_never_crash_the_loader(kind, header, rows):
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    _parse(f"{kind}.csv", buf.getvalue())


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.sampled_from(["solutions.yaml", "institutions.csv", "needs.yml"]),
    data=st.binary(max_size=300),
)
def test_random_bytes_never_crash_the_loader(name, data):
    _parse(name, data)


@pytest.mark.server
def test_schemathesis_finds_no_server_errors(live_server, tmp_path):
    exe = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    if not Path(exe).exists():
        pytest.skip("schemathesis is not installed (pip install schemathesis==4.32.5)")
    proc = subprocess.run(
        [
            exe,
            "run",
            f"{live_server}/openapi.json",
            "--url",
            live_server,
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--mode",
            "positive",
            "--phases",
            "examples,coverage,fuzzing",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
