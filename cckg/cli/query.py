"""`cckg query`: a named query of queries/ (or a .rq file) on the public data."""

from __future__ import annotations

import click

from cckg.cli.base import current_settings, main


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
    # Start-up: imported when the command runs (cckg --help stays quick).
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
    settings = current_settings()
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
