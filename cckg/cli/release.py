"""`cckg release`: a dated, citable release of the public graphs (``cckg.core.release``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from cckg.cli.base import EXIT_BAD_INPUT, current_settings, main


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Releases folder (default: $CCKG_RELEASES, else var/releases).",
)
@click.option(
    "--version",
    "version",
    help="Release version: a date YYYY-MM-DD or semver 1.2.3 (default: today, UTC).",
)
def release(out: Path | None, version: str | None) -> None:
    """Write a citable release: N-Quads dumps with SHA-256 checksums, a DCAT description and a
    changelog of the things added, removed and changed since the previous release."""
    # Start-up: imported when the command runs (cckg --help stays quick).
    from cckg.core.release import ReleaseError, make_release
    from cckg.core.store import open_store

    settings = current_settings()
    folder = out or Path(os.environ.get("CCKG_RELEASES") or Path.cwd() / "var" / "releases")
    store = open_store(settings, read_only=True)
    try:
        made = make_release(store, folder, version)
    except ReleaseError as e:
        click.echo(f"Cannot release: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    finally:
        store.close()
    c = made.changes
    click.echo(
        f"Release {made.version} <{made.iri}>: {made.quads} quads in {len(made.files)} graphs, "
        f"{made.things} things; {len(c.added)} added, {len(c.removed)} removed, "
        f"{len(c.changed)} changed since {made.previous or 'nothing (first release)'}."
    )
    click.echo(f"Written to {folder / made.version}")
