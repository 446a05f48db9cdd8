"""Connective Cities Knowledge Graph: shared core (settings, namespaces, store, matching, CLI)."""

__version__ = "0.1.0"
