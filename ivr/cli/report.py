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
    from ivr.reports.calls import build_call_report, empty_call_report
    from ivr.reports.queue_log import QueueIndicators, read_queue_log
    from ivr.reports.render import as_csv, as_dict, as_table
    from ivr.store.queries import ReportError
    from ivr.store.repository import StorageError

    config = load_or_exit(config_path).config
    companies = list(config.companies)
    if company_id is not None:
        companies = [c for c in companies if c.company.id == company_id]
        if not companies:
            known = ", ".join(c.company.id for c in config.companies)
            raise click.BadParameter(
                f"'{company_id}' is not a company of {config_path} ({known})",
                param_hint="--company",
            )
    #: without profiles every call is the one company's, whatever id it was recorded with
    by_company = bool(config.profiles)
    try:
        rng = ReportRange(parse_date(first, "--from"), parse_date(last, "--to"), config.company.tz)
    except PeriodError as exc:
        raise click.UsageError(str(exc)) from exc
    reports = []
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
        for company in companies:
            catalogue = company.catalogues[company.company.role]
            role = company.company.role.value
            if empty:
                calls = empty_call_report(rng, Granularity(granularity), catalogue, role)
            else:
                assert repository is not None
                calls = build_call_report(
                    repository,
                    rng,
                    Granularity(granularity),
                    catalogue,
                    role,
                    include_test,
                    company.company.id if by_company else None,
                )
            reports.append((company, calls))
    except (StorageError, ReportError) as exc:
        click.echo(f"ivr: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # database unreachable, schema missing
        click.echo(f"ivr: cannot read the database: {str(exc).splitlines()[0]}", err=True)
        sys.exit(2)
    sections = []
    read: dict[tuple[str, ...] | None, QueueIndicators] = {}  # one read per set of queues
    for company, calls in reports:
        indicators = None
        if queue_log:
            name = None if queue == "*" else ((queue,) if queue else company.operator.queues)
            if name not in read:
                read[name] = read_queue_log(Path(queue_log), rng, name, Granularity(granularity))
            indicators = read[name]
        sections.append((company, calls, indicators))
    if fmt == "json":
        data = [
            as_dict(calls, ind, c.company.name) | {"company_id": c.company.id}
            for c, calls, ind in sections
        ]
        click.echo(json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2))
    elif fmt == "csv":
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


def companies_csv(tables: list[tuple[str, str]]) -> str:
    """The CSV of each company's report in one: a ``company`` column first when there are
    several, one header line."""
    if len(tables) == 1:
        return tables[0][1]
    lines: list[str] = []
    for i, (company_id, text) in enumerate(tables):
        header, *rows = text.splitlines()
        if i == 0:
            lines.append(f"company,{header}")
        lines += [f"{company_id},{row}" for row in rows]
    return "\n".join(lines) + "\n"
