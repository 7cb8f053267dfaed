"""``ivr db``: schema migrations, journal replay and retention purge."""

from __future__ import annotations

import sys

import click

from ivr.cli.common import config_option, load_or_exit, make_recorder, open_repository
from ivr.flow.call import utcnow
from ivr.store.retention import RetentionError, cutoff_for


def _context(config_path: str):
    config = load_or_exit(config_path).config
    repository = open_repository(config)
    click.get_current_context().call_on_close(repository.close)
    return config, repository, make_recorder(config, repository)


@click.group()
def db() -> None:
    """The appeals database: upgrade, flush, purge."""


@db.command()
@config_option
def upgrade(config_path: str) -> None:
    """Create the schema or migrate it to the newest revision; record the topic catalogue."""
    _config, repository, _recorder = _context(config_path)
    click.echo(f"database schema at revision {repository.schema_revision()}")


@db.command()
@config_option
def flush(config_path: str) -> None:
    """Replay the journal of call records the database could not take."""
    config, _repository, recorder = _context(config_path)
    report = recorder.flush()
    click.echo(f"journal {config.journal_path}: {report}")
    for item in report.broken:
        click.echo(
            f"broken record skipped and kept in {recorder.journal.broken_path}: {item}", err=True
        )
    if report.error:
        click.echo(f"ivr: database failed during the replay: {report.error}", err=True)
        sys.exit(1)


@db.command()
@config_option
@click.option(
    "--older-than",
    "period",
    required=True,
    help="Age of the records to delete: 3y or more (e.g. 3y, 40m, 1200d).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
def purge(config_path: str, period: str, dry_run: bool) -> None:
    """Delete calls and appeals older than the period (never younger than 3 years)."""
    try:
        cutoff = cutoff_for(period, utcnow())
    except RetentionError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    _config, repository, _recorder = _context(config_path)
    counts = repository.purge(cutoff, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {counts['calls']} call(s) and {counts['appeals']} appeal(s) that "
        f"started before {cutoff.isoformat(timespec='seconds')}, and "
        f"{counts['audit_events']} audit event(s) from before then"
    )
