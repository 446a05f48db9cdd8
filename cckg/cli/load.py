"""`cckg load`, `cckg validate` and `cckg export`: sources into the store (through the
loaders and the one writer), or a dump of the public graphs out of it."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cckg.cli.base import EXIT_BAD_INPUT, EXIT_NONCONFORMING, current_settings, main
from cckg.core.settings import Settings

if TYPE_CHECKING:  # types only: the gate and the store load when a command runs
    from cckg.core.gate.model import SourceError, Violation
    from cckg.core.store import Store


def _report_violations(violations: Sequence[Violation], fmt: str) -> None:
    if fmt == "json":
        click.echo(
            json.dumps(
                {"conforms": False, "violations": [v.as_dict() for v in violations]},
                ensure_ascii=False,
                indent=2,
            )
        )
    elif fmt == "ttl":
        from cckg.core.gate.report import violations_turtle

        click.echo(violations_turtle(violations))
    else:
        click.echo(f"Rejected: {len(violations)} violation(s); nothing was written.", err=True)
        for v in violations:
            click.echo(f"  {v}", err=True)


def _report_source_error(err: SourceError, fmt: str) -> None:
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "conforms": False,
                    "error": {
                        "file": err.location.file,
                        "line": err.location.line,
                        "record": err.location.record,
                        "field": err.field,
                        "message": err.message,
                    },
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(f"Unreadable input; nothing was written.\n  {err}", err=True)


def _run_load(
    paths: tuple[Path, ...], fmt: str, quiet: bool, write: bool, all_cities: bool = True
) -> None:
    # Start-up: imported when the command runs (cckg --help stays quick).
    from cckg.core.gate.model import LoadRejectedError, SourceError
    from cckg.loaders.pipeline import Loader, default_paths, parse_all

    settings = current_settings()
    chosen = [Path(p) for p in paths] or default_paths()
    with_reference = not paths
    store = None
    try:
        t0 = time.perf_counter()
        sources = parse_all(chosen, settings.base_iri, with_reference, all_cities)
        parse_s = time.perf_counter() - t0
        if write:
            from cckg.core.store import open_store

            try:
                store = open_store(settings)
            except OSError as e:  # pyoxigraph: one process may hold an on-disk store
                click.echo(
                    f"Cannot open the store at {settings.store_path} for writing; nothing was "
                    f"written.\n  {e}\n  Another process holds it (a running `cckg serve` or "
                    "`cckg load`?): load when it has stopped.",
                    err=True,
                )
                sys.exit(EXIT_BAD_INPUT)
        else:
            store = _open_for_context(settings)
        loader = Loader(store, settings.base_iri, quiet=quiet)
        if write:
            report = loader.load(sources)
        else:
            violations = loader.validate(sources)
            if violations:
                raise LoadRejectedError(violations)
    except SourceError as err:
        _report_source_error(err, fmt)
        sys.exit(EXIT_BAD_INPUT)
    except LoadRejectedError as rej:
        _report_violations(rej.violations, fmt)
        sys.exit(EXIT_NONCONFORMING)
    finally:
        if store is not None:
            store.close()
    total = time.perf_counter() - t0
    if not write:
        n = sum(len(s.public) for s in sources)
        if fmt == "json":
            click.echo(json.dumps({"conforms": True, "sources": len(sources), "triples": n}))
        else:
            click.echo(f"Conforms: {len(sources)} source(s), {n} triples.")
        return
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "conforms": True,
                    "graphs": report.graphs,
                    "classes": report.classes,
                    "private_triples": report.private_triples,
                    "seconds": round(total, 2),
                },
                indent=2,
            )
        )
        return
    click.echo(
        f"Loaded {report.triples} triples into {len(report.graphs)} graph(s) in {total:.1f} s "
        f"(parse {parse_s:.1f} s, {report.triples / max(total, 1e-9):,.0f} triples/s)."
    )
    click.echo("Per graph:")
    for g, n in sorted(report.graphs.items()):
        click.echo(f"  {n:>9,}  {g}")
    if report.private_triples:
        click.echo(f"  {report.private_triples:>9,}  (private graph, not public)")
    click.echo("Per class:")
    for c, n in sorted(report.classes.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {n:>9,}  {c}")


def _open_for_context(settings: Settings) -> Store | None:
    """For validation: an existing store gives context (link targets); never created here."""
    from cckg.core.store import EmbeddedStore, open_store

    if settings.endpoint:
        return open_store(settings)
    if (settings.store_path / "CURRENT").exists():
        try:
            return EmbeddedStore(settings.store_path, settings.base_iri, read_only=True)
        except OSError:
            return None
    return None


_fmt_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "ttl"]),
    default="text",
    show_default=True,
    help="Report format.",
)
_quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_fmt_option
@_quiet_option
@click.option(
    "--cities",
    type=click.Choice(["all", "linked"]),
    default="all",
    show_default=True,
    help="GeoNames cities to load with the reference data: all ~34,000, or only those linked.",
)
def load(paths: tuple[Path, ...], fmt: str, quiet: bool, cities: str) -> None:
    """Validate and load PATHS (default: data/, the ontology and all reference data).

    Each source replaces its own named graph; all of them are written in one transaction,
    and nothing is written when any source is unreadable or does not conform.
    """
    _run_load(paths, fmt, quiet, write=True, all_cities=cities == "all")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_fmt_option
@_quiet_option
def validate(paths: tuple[Path, ...], fmt: str, quiet: bool) -> None:
    """Validate PATHS against the shapes without writing anything."""
    _run_load(paths, fmt, quiet, write=False)


# ---------------------------------------------------------------- export


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["nquads", "trig", "turtle"]),
    default="nquads",
    show_default=True,
)
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), help="File to write (default: stdout)."
)
@click.option(
    "--graph", "graphs", multiple=True, help="Only these graph IRIs (default: all public graphs)."
)
def export(fmt: str, output: Path | None, graphs: tuple[str, ...]) -> None:
    """Write a dump of the public graphs (never the private graph)."""
    from rdflib import URIRef

    from cckg.core.store import open_store

    store = open_store(current_settings())
    try:
        public = store.public_graphs()
        chosen = [URIRef(g) for g in graphs] or public
        unknown = [g for g in chosen if g not in public]
        if unknown:
            raise click.UsageError(f"not a public graph: {', '.join(unknown)}")
        data = store.export_nquads(chosen)
    finally:
        store.close()
    if fmt != "nquads":
        import pyoxigraph as ox

        quads = ox.parse(data, format=ox.RdfFormat.N_QUADS)
        if fmt == "trig":
            data = ox.serialize(quads, format=ox.RdfFormat.TRIG) or b""
        else:  # Turtle has no graphs: the union of the public graphs
            triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
            data = ox.serialize(triples, format=ox.RdfFormat.TURTLE) or b""
    if output:
        output.write_bytes(data)
        click.echo(f"Wrote {output} ({len(data):,} bytes).", err=True)
    else:
        sys.stdout.buffer.write(data)
