"""``ivr report``: figures for supervisors over a date range."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ivr.cli.common import config_option, existing_repository, load_or_exit, parse_date
from ivr.reports.periods import Granularity, PeriodError, ReportRange


@click.command()
@config_option
@click.option("--from", "first", required=True, help="First day, YYYY-MM-DD (company time).")
@click.option("--to", "last", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@click.option(
    "--by",
    "granularity",
    type=click.Choice([g.value for g in Granularity]),
    default="day",
    show_default=True,
    help="Period of the per-topic table.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--chart", type=click.Path(dir_okay=False), help="Write a PNG chart here.")
@click.option(
    "--queue-log",
    type=click.Path(exists=True, dir_okay=False),
    help="Asterisk queue_log for the Resolution 375 indicators.",
)
@click.option(
    "--queue",
    default=None,
    help="Queue name in queue_log (default: the "
    "operator queue of the config; '*' for every queue).",
)
@click.option(
    "--include-test",
    is_flag=True,
    help="Count test calls too (the simulator's, "
    "and calls with the account code ivr-test); left out by default.",
)
def report(
    config_path: str,
    first: str,
    last: str,
    granularity: str,
    fmt: str,
    chart: str | None,
    queue_log: str | None,
    queue: str | None,
    include_test: bool,
) -> None:
    """Calls and appeals per topic, outcomes, durations, busiest hours and the regulator's
    call-centre indicators, for the days --from..--to."""
    from ivr.reports.calls import build_call_report, empty_call_report
    from ivr.reports.queue_log import read_queue_log
    from ivr.reports.render import as_csv, as_json, as_table
    from ivr.store.queries import ReportError
    from ivr.store.repository import StorageError

    config = load_or_exit(config_path).config
    try:
        rng = ReportRange(parse_date(first, "--from"), parse_date(last, "--to"), config.company.tz)
    except PeriodError as exc:
        raise click.UsageError(str(exc)) from exc
    catalogue = config.catalogues[config.company.role]
    role = config.company.role.value
    try:
        repository = existing_repository(config)
        if repository is None or repository.schema_revision() is None:
            problem = (
                f"the database {config.database_url} has no IVR tables (no call was "
                "recorded there, or it is not the server's database); run 'ivr db "
                "upgrade' or use the server's config and working directory"
            )
            if not queue_log:
                click.echo(f"ivr: {problem}", err=True)
                sys.exit(2)
            click.echo(f"ivr: {problem}; reporting the queue_log indicators only", err=True)
            calls = empty_call_report(rng, Granularity(granularity), catalogue, role)
        else:
            calls = build_call_report(
                repository, rng, Granularity(granularity), catalogue, role, include_test
            )
    except (StorageError, ReportError) as exc:
        click.echo(f"ivr: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # database unreachable, schema missing
        click.echo(f"ivr: cannot read the database: {str(exc).splitlines()[0]}", err=True)
        sys.exit(2)
    indicators = None
    if queue_log:
        name = None if queue == "*" else ((queue,) if queue else config.operator.queues)
        indicators = read_queue_log(Path(queue_log), rng, name, Granularity(granularity))
    company = config.company.name
    render = {"table": as_table, "csv": as_csv, "json": as_json}[fmt]
    click.echo(render(calls, indicators, company))
    if chart:
        from ivr.reports.chart import write_chart

        try:
            write_chart(calls, indicators, company, Path(chart))
        except OSError as exc:
            click.echo(f"ivr: cannot write the chart {chart}: {exc}", err=True)
            sys.exit(1)
        click.echo(f"chart written to {chart}", err=True)
