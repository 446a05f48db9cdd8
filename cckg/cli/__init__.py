"""The ``cckg`` command. Exit codes: 0 ok, 1 data does not conform, 2 bad input or usage."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from cckg import __version__
from cckg.core.resources import resource_dir
from cckg.core.settings import Settings

EXIT_NONCONFORMING = 1
EXIT_BAD_INPUT = 2


def _settings() -> Settings:
    return Settings.from_env()


@click.group()
@click.version_option(__version__, prog_name="cckg")
def main() -> None:
    """Connective Cities Knowledge Graph: load, validate, query, match and serve."""


# ---------------------------------------------------------------- load / validate


def _report_violations(violations, fmt: str) -> None:
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


def _report_source_error(err, fmt: str) -> None:
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
    from cckg.core.gate.model import LoadRejectedError, SourceError
    from cckg.loaders.pipeline import Loader, default_paths, parse_all

    settings = _settings()
    chosen = [Path(p) for p in paths] or default_paths()
    with_reference = not paths
    store = None
    try:
        t0 = time.perf_counter()
        sources = parse_all(chosen, settings.base_iri, with_reference, all_cities)
        parse_s = time.perf_counter() - t0
        if write:
            from cckg.core.store import open_store

            store = open_store(settings)
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


def _open_for_context(settings: Settings):
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

    store = open_store(_settings())
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
            data = ox.serialize(quads, format=ox.RdfFormat.TRIG)
        else:  # Turtle has no graphs: the union of the public graphs
            triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
            data = ox.serialize(triples, format=ox.RdfFormat.TURTLE)
    if output:
        output.write_bytes(data)
        click.echo(f"Wrote {output} ({len(data):,} bytes).", err=True)
    else:
        sys.stdout.buffer.write(data)


# ---------------------------------------------------------------- ontology


@main.command("check-ontology")
@click.argument("path", required=False, type=click.Path(path_type=Path, exists=True))
def check_ontology(path: Path | None) -> None:
    """Check the ontology for consistency with HermiT and print class/property counts."""
    from cckg.core.ontology_check import OntologyCheckError
    from cckg.core.ontology_check import check_ontology as run_check

    try:
        report = run_check(path or resource_dir("ontology") / "cckg.ttl")
    except OntologyCheckError as e:
        click.echo(f"Cannot check the ontology: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(report.summary())
    sys.exit(0 if report.ok else EXIT_NONCONFORMING)


# ---------------------------------------------------------------- match


@main.command("match")
@click.option("--text", default="", help="The need, in your words (en, de, es or fr).")
@click.option("--theme", help="A theme slug or IRI (e.g. waste-management-circular-economy).")
@click.option("--city", help="The asking city: name (Köln, Cologne), GeoNames id or IRI.")
@click.option("--lang", "langs", multiple=True, help="A working language (ISO 639-1); repeat.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["solution", "institution", "practitioner", "city"]),
    help="Kinds of results (default: all); repeat.",
)
@click.option("--need", help="Match a stored Need (IRI or slug) instead of, or with, --text.")
@click.option("--offer", help="Find the needs a stored Offer (IRI or slug) could serve.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 50))
@click.option("--display", help="Language of the reasons (en, de, es, fr, pt, ar).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of /api/match.")
def match_command(
    text: str,
    theme: str | None,
    city: str | None,
    langs: tuple[str, ...],
    kinds: tuple[str, ...],
    need: str | None,
    offer: str | None,
    limit: int,
    display: str | None,
    as_json: bool,
) -> None:
    """Rank solutions, institutions, practitioners and cities for a need, with reasons."""
    from cckg.core.matching import KINDS, Matcher, MatchError, MatchRequest
    from cckg.core.store import StoreError, open_store

    settings = _settings()
    if not settings.endpoint and not (settings.store_path / "CURRENT").exists():
        raise click.UsageError(f"no store at {settings.store_path}: run `cckg load` first")
    request = MatchRequest(
        text=text,
        theme=theme,
        city=city,
        langs=langs,
        kinds=kinds or KINDS,
        limit=limit,
        need=need,
        offer=offer,
        display=display,
    )
    try:
        store = open_store(settings, read_only=True)
    except OSError as e:
        raise click.ClickException(f"cannot open the store: {e}") from e
    try:
        response = Matcher(store).match(request)
    except MatchError as e:
        raise click.BadParameter(e.message, param_hint=f"--{e.param}") from e
    except StoreError as e:
        raise click.ClickException(f"the store did not answer: {e}") from e
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(response.as_dict(), ensure_ascii=False, indent=2))
        return
    q = response.query
    themes = ", ".join(f"{t['label']} ({t['weight']:g})" for t in q["themes"]) or "none"
    click.echo(f"Themes: {themes}")
    place = [q["city"] and q["city"]["label"], q["country"] and q["country"]["label"]]
    if any(place) or q["population"]:
        pop = f", {q['population']:,} inhabitants" if q["population"] else ""
        click.echo(f"Asking: {', '.join(p for p in place if p) or 'unknown place'}{pop}")
    if not response.results:
        click.echo("No matches.")
    for i, r in enumerate(response.results, 1):
        flag = "  [fictional example]" if r.is_example else ""
        click.echo(f"\n{i:>2}. {r.score:.3f}  {r.kind}: {r.label}{flag}\n    {r.iri}")
        for reason in r.reasons:
            click.echo(f"    - {reason.text}")
    click.echo("\nCity data: GeoNames (geonames.org), CC BY 4.0.")


# ---------------------------------------------------------------- query


@main.command("query")
@click.argument("name")
@click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A parameter; repeat."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for reading, csv / json as SPARQL 1.1 results.",
)
@click.option("--limit", metavar="N", help="Rows per page of a paged query (1-1000).")
@click.option("--offset", metavar="N", help="Rows of a paged query to skip (default 0).")
def query_command(
    name: str, params: tuple[str, ...], fmt: str, limit: str | None, offset: str | None
) -> None:
    """Run a named query of queries/ (by NAME) or a .rq file on the public data.

    Parameters are declared in the query's '#+ param:' header and bound as RDF terms. A paged
    query (one with a LIMIT) returns one page: --limit rows from --offset on.
    """
    from cckg.core import queries as nq
    from cckg.core.store import StoreError, open_store

    try:
        query = nq.resolve(name)
        raw: dict[str, str | None] = dict(nq.parse_param_options(params))
        raw.update({k: v for k, v in (("limit", limit), ("offset", offset)) if v is not None})
        nq.bindings_for(query, raw)  # check the values before opening the store
        nq.paging_for(query, raw)
    except nq.UnknownQueryError as e:
        raise click.UsageError(str(e.args[0])) from e
    except nq.QueryDefinitionError as e:
        raise click.UsageError(f"broken query file: {e}") from e
    except nq.QueryParamError as e:
        hint = f"--{e.param}" if e.param in nq.PAGING_PARAMS else "--param"
        raise click.BadParameter(str(e), param_hint=hint) from e
    settings = _settings()
    if not settings.endpoint and not (settings.store_path / "CURRENT").exists():
        raise click.UsageError(f"no store at {settings.store_path}: run `cckg load` first")
    try:
        store = open_store(settings, read_only=True)
    except OSError as e:
        raise click.ClickException(f"cannot open the store: {e}") from e
    try:
        page = nq.run_page(store, query, raw)
    except StoreError as e:
        raise click.ClickException(f"the store did not answer: {e}") from e
    finally:
        store.close()
    rows = page.rows
    if fmt == "csv":
        click.echo(nq.to_csv(query.variables, rows), nl=False)
    elif fmt == "json":
        click.echo(nq.to_json(query.variables, rows))
    else:
        click.echo(nq.to_table(query.variables, rows))
    if page.next_offset is not None:
        click.echo(f"(more rows: --offset {page.next_offset})", err=fmt != "table")


# ---------------------------------------------------------------- serve


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app and SPARQL endpoint with waitress."""
    from waitress import serve as waitress_serve

    from cckg.cli.mediation import housekeeping
    from cckg.webapp import create_app
    from cckg.webapp.mediation import db_path, get_mediation

    config: dict[str, Any] = {"CCKG_SERVER_THREADS": threads}
    if not os.environ.get("CCKG_PUBLIC_URL"):  # links in e-mails lead here
        config["CCKG_PUBLIC_URL"] = f"http://{host}:{port}/"
    app = create_app(config)
    click.echo(
        f"Serving cckg on http://{host}:{port}/  (store: {app.config['CCKG_DESCRIPTION']})",
        err=True,
    )
    threading.Thread(target=_warm_up, args=(app,), name="warm-up", daemon=True).start()
    # Unconfirmed submissions purged and due follow-ups sent at start, then daily.
    threading.Thread(
        target=housekeeping,
        args=(lambda: get_mediation(app), threading.Event(), db_path(app)),
        name="mediation",
        daemon=True,
    ).start()
    waitress_serve(app, host=host, port=port, threads=threads, ident="cckg")


def _warm_up(app: Any) -> None:
    """Load the matcher's vocabulary and name indexes, and build the search index, while the
    server already answers, so the first match or search request does not pay for them."""
    from cckg.webapp.store import get_matcher, get_search_index

    try:
        get_matcher(app).warm_up()
        get_search_index(app)
    except Exception as e:  # a store that is not ready yet: the first request loads them
        click.echo(f"warm-up skipped: {type(e).__name__}: {e}", err=True)


from cckg.cli.mediation import register as _register_mediation  # noqa: E402 (after main)

_register_mediation(main)

if __name__ == "__main__":  # pragma: no cover
    main()
