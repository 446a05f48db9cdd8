"""`cckg match`: ranked solutions, institutions, practitioners and cities for a need."""

from __future__ import annotations

import json

import click

from cckg.cli.base import current_settings, main


@main.command("match")
@click.option("--text", default="", help="The need, in your words (en, de, es, fr, pt or ar).")
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
    # Start-up: imported when the command runs (cckg --help stays quick).
    from cckg.core.matching import KINDS, Matcher, MatchError, MatchRequest
    from cckg.core.store import StoreError, open_store

    settings = current_settings()
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
