"""The mediation commands: ``cckg users add``, ``cckg purge``, ``cckg followup`` and
``cckg outcomes`` (anonymous counts, and labelled pairs for the matcher's evaluation).

They work on the workflow database alone (no graph store is opened: ``cckg serve`` may hold
the embedded store meanwhile), found as the web app finds it (``CCKG_MEDIATION_DB``, else
beside the store's data).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import click

from cckg.cli.base import main
from cckg.core.mediation import AccountError, Context, Mediation, MediationSettings, secret_key
from cckg.core.mediation.moderators import ROLES
from cckg.core.mediation.moderators import add as add_moderator

DAY_S = 86400


def _mediation(links: bool = False) -> Mediation:
    """The workflow over the database alone; ``links``: it sends e-mails with signed links
    (then it needs the server's secret key)."""
    return Mediation(Context(MediationSettings.from_env(), secret_key() if links else "unused"))


@click.group()
def users() -> None:
    """Moderator accounts (in the workflow database)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="moderator", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(username: str, role: str, password_stdin: bool) -> None:
    """Add a moderator; asks for the password twice (not echoed)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    med = _mediation()
    try:
        moderator = add_moderator(med.ctx.db, username, password, role)
    except AccountError as e:
        raise click.UsageError(str(e)) from e
    click.echo(f"added {moderator.role} {moderator.username!r} ({moderator.actor})")


@click.command()
def purge() -> None:
    """Delete submissions and requests not confirmed in time (and refused ones after 30 days)."""
    done = _mediation().purge()
    click.echo(f"purged {done['submissions']} submission(s), {done['introductions']} request(s)")


@click.command()
def followup() -> None:
    """Ask both sides of due introductions how it went; record unanswered requests."""
    done = _mediation(links=True).run_followup()
    click.echo(f"asked {done['asked']} introduction(s); {done['unanswered']} went unanswered")


@click.command()
@click.option("--pairs", is_flag=True, help="Labelled (need, counterpart) pairs, JSON lines.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file.")
def outcomes(pairs: bool, output: Path | None) -> None:
    """Anonymous outcome counts (JSON), or with --pairs the labelled pairs for evaluation."""
    med = _mediation()
    if pairs:
        text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in med.labelled_pairs())
    else:
        text = json.dumps(med.counts(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def housekeeping(
    mediation: Callable[[], Mediation], stop: threading.Event, db: Path, every_s: float = DAY_S
) -> None:
    """Purge and follow up now, then once a day, until ``stop`` is set (``cckg serve``)."""
    while True:
        if db.exists():  # before the first submission there is nothing to do, nor to create
            try:
                med = mediation()
                purged, asked = med.purge(), med.run_followup()
                click.echo(f"mediation: purged {purged}, follow-up {asked}", err=True)
            except Exception as e:  # a mail server that is down must not stop the web app
                click.echo(f"mediation housekeeping failed: {type(e).__name__}: {e}", err=True)
        if stop.wait(every_s):
            return


for _command in (users, purge, followup, outcomes):
    main.add_command(_command)
