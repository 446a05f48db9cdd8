"""Settings from the environment, read when asked for (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BASE_IRI = "https://w3id.org/cckg/"
ONTOLOGY_NS = "https://w3id.org/cckg/def/cckg#"


def default_store_path() -> Path:
    """``var/store`` under the current directory: never inside the installed package."""
    return Path.cwd() / "var" / "store"


@dataclass(frozen=True)
class Settings:
    base_iri: str = DEFAULT_BASE_IRI
    store_path: Path = field(default_factory=default_store_path)
    endpoint: str | None = None
    update_endpoint: str | None = None
    admin_token: str | None = None
    sparql_timeout_s: float = 10.0
    sparql_row_cap: int = 10000

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        base = env.get("CCKG_BASE_IRI", DEFAULT_BASE_IRI)
        if not base.endswith("/"):
            base += "/"
        store = env.get("CCKG_STORE")
        return cls(
            base_iri=base,
            store_path=Path(store) if store else default_store_path(),
            endpoint=env.get("CCKG_ENDPOINT") or None,
            update_endpoint=env.get("CCKG_UPDATE_ENDPOINT") or None,
            admin_token=env.get("CCKG_ADMIN_TOKEN") or None,
            sparql_timeout_s=float(env.get("CCKG_SPARQL_TIMEOUT_S", "10")),
            sparql_row_cap=int(env.get("CCKG_SPARQL_ROW_CAP", "10000")),
        )
