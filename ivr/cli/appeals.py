"""``ivr appeals``: the back office's list (the overdue view among them), one appeal, the
CRM export, status changes, and the dispatcher's outage reports per street."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import click

from ivr.cli.common import config_option, existing_repository, load_or_exit, parse_date
from ivr.config import Config
from ivr.reports import appeals as views
from ivr.reports.tabular import FORMATS, render
from ivr.store.appeal_queries import AppealFilter, AppealQueries
from ivr.store.appeals import AppealNumberError, format_appeal_number, parse_appeal_number
from ivr.store.lifecycle import AppealLifecycle, LifecycleError
from ivr.store.records import AppealKind, AppealStatus
from ivr.store.repository import CallRepository, StorageError

F = TypeVar("F", bound=Callable[..., Any])


class Opened:
    """The configuration and its database, for one command."""

    def __init__(self, config_path: str) -> None:
        self.config: Config = load_or_exit(config_path).config
        self.now = datetime.now(UTC)

    @cached_property
    def repository(self) -> CallRepository:
        """Opened on first use: the options are checked before."""
        return _existing(self.config)

    @property
    def tz(self) -> ZoneInfo:
        return self.config.company.tz

    @cached_property
    def label(self) -> views.Labels:
        """The catalogues' label of a topic code."""
        return views.topic_labels(self.config)


def _existing(config: Config) -> CallRepository:
    """The server's database as it is: never created nor migrated here."""
    repository = existing_repository(config)
    if repository is None:
        raise StorageError(
            f"the database {config.database_url} does not exist here; use the server's "
            "config and working directory, or give database.url an absolute path"
        )
    click.get_current_context().call_on_close(repository.dispose)
    repository.check_schema_current()
    return repository


def appeal_number(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """NUMBER as typed, with or without dashes; a usage error when it is not one."""
    try:
        return parse_appeal_number(value)
    except AppealNumberError as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc


def filter_options(command: F) -> F:
    """The options that choose appeals (list, export)."""
    options = [
        click.option("--kind", type=click.Choice([k.value for k in AppealKind])),
        click.option("--topic", metavar="CODE", help="A topic code of the catalogue, e.g. D1."),
        click.option("--status", type=click.Choice([s.value for s in AppealStatus])),
        click.option(
            "--overdue",
            is_flag=True,
            help="Only open appeals (not answered nor closed) past their deadline now.",
        ),
        click.option("--since", metavar="DATE", help="Registered on or after YYYY-MM-DD."),
        click.option("--until", metavar="DATE", help="Registered on or before YYYY-MM-DD."),
        click.option("--include-test", is_flag=True, help="Test calls' appeals too."),
        click.option(
            "--company",
            metavar="ID",
            help="One company's (its company.id) on a server answering for several.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _filters(opened: Opened, options: dict[str, Any]) -> AppealFilter:
    """The appeals the filter options choose; a usage error for bad dates."""
    since = parse_date(options["since"], "--since") if options["since"] else None
    until = parse_date(options["until"], "--until") if options["until"] else None
    if since and until and since > until:
        raise click.UsageError(
            f"--since {since.isoformat()} is after --until {until.isoformat()}; "
            "give the earlier date first"
        )
    topic = options["topic"]
    config = opened.config
    if topic is not None and not views.known_topic(config, topic):
        roles = "/".join(dict.fromkeys(c.company.role.value for c in config.companies))
        click.echo(f"note: topic '{topic}' is not in the {roles} catalogue of the config", err=True)
    company = options["company"]
    if company is not None and not views.known_company(config, company):
        click.echo(f"note: '{company}' is not a company.id of the config", err=True)
    return views.appeal_filter(
        config,
        opened.now,
        kind=options["kind"],
        topic=topic,
        status=options["status"],
        overdue=options["overdue"],
        since=since,
        until=until,
        include_test=options["include_test"],
        company=company,
    )


def _fail(problem: object) -> NoReturn:
    click.echo(f"ivr: {problem}", err=True)
    sys.exit(1)


class _Group(click.Group):
    """The database's refusals (missing, older schema, no permission) exit 2, named."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StorageError as exc:
            click.echo(f"ivr: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
def appeals() -> None:
    """Appeals (звернення): list, show, export to the CRM, change their status."""


@appeals.command(name="list")
@config_option
@filter_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def list_(config_path: str, fmt: str, **options: Any) -> None:
    """Appeals, oldest first, without personal data (--overdue: the compensation cases)."""
    opened = Opened(config_path)
    filters = _filters(opened, options)
    found = AppealQueries(opened.repository).find(filters)
    rows = [views.list_row(view, opened.now) for view in found]
    click.echo(render(views.LIST_COLUMNS, rows, fmt, opened.tz))
    if fmt == "table":
        overdue = sum(1 for row in rows if row["days_overdue"] is not None)
        click.echo(f"{len(rows)} appeal(s), {overdue} overdue")


@appeals.command()
@config_option
@click.argument("number", callback=appeal_number)
def show(config_path: str, number: str) -> None:
    """One appeal: its deadline, caller, account, address, history, linked reports and
    meter readings."""
    opened = Opened(config_path)
    detail = AppealQueries(opened.repository).get(number)
    if detail is None:
        _fail(f"no appeal {format_appeal_number(number)} in the database")
    for line in views.detail_lines(detail, opened.now, opened.tz, opened.label):
        click.echo(line)


@appeals.command()
@config_option
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (readable by its owner only) instead of standard output.",
)
def export(config_path: str, fmt: str, output: Path | None, **options: Any) -> None:
    """Every column of the chosen appeals for the CRM, personal data included."""
    opened = Opened(config_path)
    filters = _filters(opened, options)
    found = AppealQueries(opened.repository).find(filters)
    rows = [views.export_row(view, opened.now, opened.label) for view in found]
    text = render(views.EXPORT_COLUMNS, rows, fmt, opened.tz) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_private(output, text)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    click.echo(f"{len(rows)} appeal(s) written to {output}", err=True)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` at once (a temporary file renamed over it), mode 0600."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _change(config_path: str, number: str, status: str, by: str, note: str) -> None:
    opened = Opened(config_path)
    try:
        event = AppealLifecycle(opened.repository).change(number, status, by, note)
    except LifecycleError as exc:
        _fail(exc)
    at = event.at.astimezone(opened.tz).strftime("%d.%m.%Y %H:%M")
    click.echo(f"{format_appeal_number(number)}: {event.status} (by {event.by}, {at})")


@appeals.command()
@config_option
@click.argument("number", callback=appeal_number)
@click.argument(
    "status", type=click.Choice([AppealStatus.IN_PROGRESS.value, AppealStatus.ANSWERED.value])
)
@click.option("--by", required=True, help="Who makes the change (name, login).")
@click.option("--note", default="", help="Why, what was answered, ...")
def status(config_path: str, number: str, status: str, by: str, note: str) -> None:
    """Move an appeal forward: in_progress, answered."""
    _change(config_path, number, status, by, note)


@appeals.command()
@config_option
@click.argument("number", callback=appeal_number)
@click.option("--by", required=True, help="Who closes it (name, login).")
@click.option("--note", default="", help="Required when the appeal was never answered.")
def close(config_path: str, number: str, by: str, note: str) -> None:
    """Close an appeal (for good: it cannot be reopened)."""
    _change(config_path, number, AppealStatus.CLOSED.value, by, note)


@appeals.command()
@config_option
@click.option(
    "--hours", type=click.IntRange(1, 24 * 31), default=24, show_default=True, help="The window."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--include-test", is_flag=True, help="Test calls' reports too.")
def reports(config_path: str, hours: int, fmt: str, include_test: bool) -> None:
    """Outage reports per street in the last hours, most first (first and linked ones)."""
    opened = Opened(config_path)
    streets = AppealQueries(opened.repository).outage_reports(
        opened.now - timedelta(hours=hours), include_test
    )
    rows = [views.street_row(street) for street in streets]
    click.echo(render(views.STREET_COLUMNS, rows, fmt, opened.tz))
    if fmt == "table":
        total = sum(street.reports for street in streets)
        click.echo(f"{total} report(s) from {len(streets)} street(s) in the last {hours} h")
