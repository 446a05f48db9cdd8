"""/openapi.json describes every public JSON route the app serves (the fuzz test reads it)."""

from __future__ import annotations

# Routes that need the admin token are described in the README and docs/mediation.md, not here.
ADMIN_ONLY = {"/api/review/<sid>"}


def test_every_public_json_route_is_documented(app, client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in ADMIN_ONLY:
            continue
        assert rule.rule in paths, f"{rule.rule} is missing from /openapi.json"
        methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
        assert methods <= set(paths[rule.rule]), (rule.rule, methods, set(paths[rule.rule]))


def test_write_routes_document_their_body_and_202(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in ("/api/needs", "/api/offers", "/api/introductions"):
        post = paths[path]["post"]
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        assert "consent" in schema["properties"], path
        assert {"202", "400", "429"} <= set(post["responses"]), path
