"""`cckg check-ontology`: the HermiT consistency check of the ontology."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cckg.cli.base import EXIT_BAD_INPUT, EXIT_NONCONFORMING, main
from cckg.core.resources import resource_dir


@main.command("check-ontology")
@click.argument("path", required=False, type=click.Path(path_type=Path, exists=True))
def check_ontology(path: Path | None) -> None:
    """Check the ontology for consistency with HermiT and print class/property counts."""
    # Start-up: imported when the command runs (cckg --help stays quick).
    from cckg.core.ontology_check import OntologyCheckError
    from cckg.core.ontology_check import check_ontology as run_check

    try:
        report = run_check(path or resource_dir("ontology") / "cckg.ttl")
    except OntologyCheckError as e:
        click.echo(f"Cannot check the ontology: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(report.summary())
    sys.exit(0 if report.ok else EXIT_NONCONFORMING)
