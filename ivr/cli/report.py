"""``ivr report``: figures for supervisors over a date range."""

from __future__ import annotations

import json
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
@click.option(
    "--company",
    "company_id",
    default=None,
    metavar="ID",
    help="One company of a config with profiles (its company.id); default: each company "
    "in turn, every figure its own.",
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
    company_id: str | None,
) -> None:
    """Calls and appeals per topic, outcomes, durations, busiest hours and the regulator's
    call-centre indicators, for the days --from..--to; per company when the config answers
    for several (profiles)."""
    from ivr.reports.companies import (
        UnknownCompany,
        call_reports,
        companies_of,
        queue_indicators,
    )
    from ivr.reports.render import as_csv, as_dict, as_table
    from ivr.store.queries import ReportError
    from ivr.store.repository import StorageError

    config = load_or_exit(config_path).config
    try:
        companies = companies_of(config, company_id)
    except UnknownCompany as exc:
        raise click.BadParameter(
            f"'{company_id}' is not a company of {config_path} ({', '.join(exc.known)})",
            param_hint="--company",
        ) from exc
    try:
        rng = ReportRange(parse_date(first, "--from"), parse_date(last, "--to"), config.company.tz)
    except PeriodError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        repository = existing_repository(config)
        empty = repository is None or repository.schema_revision() is None
        if empty:
            problem = (
                f"the database {config.database_url} has no IVR tables (no call was "
                "recorded there, or it is not the server's database); run 'ivr db "
                "upgrade' or use the server's config and working directory"
            )
            if not queue_log:
                click.echo(f"ivr: {problem}", err=True)
                sys.exit(2)
            click.echo(f"ivr: {problem}; reporting the queue_log indicators only", err=True)
        call_figures = call_reports(
            config,
            companies,
            None if empty else repository,
            rng,
            Granularity(granularity),
            include_test,
        )
    except (StorageError, ReportError) as exc:
        click.echo(f"ivr: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # database unreachable, schema missing
        click.echo(f"ivr: cannot read the database: {str(exc).splitlines()[0]}", err=True)
        sys.exit(2)
    queue_figures = queue_indicators(
        companies, Path(queue_log) if queue_log else None, rng, Granularity(granularity), queue
    )
    sections = list(zip(companies, call_figures, queue_figures, strict=True))
    if fmt == "json":
        data = [
            as_dict(calls, ind, c.company.name) | {"company_id": c.company.id}
            for c, calls, ind in sections
        ]
        click.echo(json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        from ivr.reports.companies import companies_csv

        click.echo(
            companies_csv([(c.company.id, as_csv(r, i, c.company.name)) for c, r, i in sections]),
            nl=False,
        )
    else:
        click.echo("\n\n".join(as_table(r, i, c.company.name) for c, r, i in sections))
    if chart:
        from ivr.reports.chart import write_chart

        for company, calls, indicators in sections:
            target = Path(chart)
            if len(sections) > 1:  # one picture per company: chart-ID.png
                target = target.with_name(f"{target.stem}-{company.company.id}{target.suffix}")
            try:
                write_chart(calls, indicators, company.company.name, target)
            except OSError as exc:
                click.echo(f"ivr: cannot write the chart {target}: {exc}", err=True)
                sys.exit(1)
            click.echo(f"chart written to {target}", err=True)
