"""The ``cckg`` command. Exit codes: 0 ok, 1 data does not conform, 2 bad input or usage.

One click group (``base.main``); each module registers the commands of one area. The command
line sits on top of the layers: it may import the loaders, the web app and the core. Those
imports are made inside the commands, so that ``cckg --help`` and a quick ``cckg query`` do not
pay for loading the web app or the SHACL engine.
"""

from __future__ import annotations

# Each module registers its commands on import.
from cckg.cli import load, match, mediation, ontology, query, release, serve  # noqa: F401
from cckg.cli.base import EXIT_BAD_INPUT, EXIT_NONCONFORMING, main

__all__ = ["EXIT_BAD_INPUT", "EXIT_NONCONFORMING", "main"]

if __name__ == "__main__":  # pragma: no cover
    main()
