"""The `cckg` command group and what its commands share: exit codes and settings."""

from __future__ import annotations

import click

from cckg import __version__
from cckg.core.settings import Settings

EXIT_NONCONFORMING = 1
EXIT_BAD_INPUT = 2


def current_settings() -> Settings:
    return Settings.from_env()


@click.group()
@click.version_option(__version__, prog_name="cckg")
def main() -> None:
    """Connective Cities Knowledge Graph: load, validate, query, match and serve."""
