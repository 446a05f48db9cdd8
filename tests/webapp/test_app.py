"""The app over the demo store: home page and health, in process and behind waitress."""

from __future__ import annotations

import json
import urllib.request


def test_home_lists_counts(client):
    r = client.get("/")
    assert r.status_code == 200
    assert b"68 proven solutions" in r.data  # in words, not class names


def test_health_checks_the_store(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.get_json()["status"] == "ok"


def test_unknown_route_is_a_clean_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert b"Traceback" not in r.data


def test_live_server_answers(live_server):
    with urllib.request.urlopen(f"{live_server}/health") as r:  # noqa: S310 (loopback)
        assert json.loads(r.read())["status"] == "ok"
