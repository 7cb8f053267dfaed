"""``ivr outages``: import outage data files; add, update, restore and list outages; watch a
DSO's feed; serve the dispatch system's pushes."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from ivr.cli.common import (
    cli_actor,
    config_option,
    listen_address,
    load_or_exit,
    open_repository,
    setup_logging,
)
from ivr.outages import fetch
from ivr.outages.batch import Origin
from ivr.outages.formats import PARSERS, read_file
from ivr.outages.groups import group_problem
from ivr.outages.model import Area, Outage, OutageKind, OutageStatus, Restoration
from ivr.outages.moments import parse_moment
from ivr.outages.problems import BadData
from ivr.store.outages import OutageError, OutageStore, utcnow
from ivr.store.repository import StorageError

TZ = "Europe/Kyiv"


def _store(config_path: str) -> OutageStore:
    repository = open_repository(load_or_exit(config_path).config)
    click.get_current_context().call_on_close(repository.close)
    return OutageStore(repository)


def _moment(value: str | None, option: str):
    if value is None:
        return None
    try:
        return parse_moment(value, TZ)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc


def _fail(exc: OutageError) -> None:
    click.echo(f"ivr: {exc}", err=True)
    sys.exit(1)


@click.group()
def outages() -> None:
    """Outage data: imports from the DSOs' files, the dispatchers' outages."""


@outages.command(name="import")
@config_option
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--format", "format_", required=True, type=click.Choice(sorted(PARSERS)))
@click.option("--source", default=None, help="The data's source name (default: the file name).")
def import_(config_path: str, file: Path, format_: str, source: str | None) -> None:
    """Import a file; a broken file is refused whole (exit 1), with every problem."""
    origin = Origin(file.name, source or file.name, TZ)
    try:
        batch = read_file(file, format_, origin)
    except BadData as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{file}: {len(exc.problems)} problem(s), nothing imported", err=True)
        sys.exit(1)
    summary = _store(config_path).import_batch(batch, origin.source)
    click.echo(f"{file}: {summary}")


@outages.command()
@config_option
@click.argument("outage_id")
@click.option("--kind", type=click.Choice([k.value for k in OutageKind]), default="emergency")
@click.option("--settlement", required=True)
@click.option("--street", "streets", multiple=True, help="Repeat for several streets.")
@click.option("--house", "houses", multiple=True, help="Houses on the one street.")
@click.option("--feeder", default=None)
@click.option("--group", "groups", multiple=True, help="ГПВ group, e.g. 3.1.")
@click.option("--start", default=None, help="Default: now. 2026-12-01 07:55 or 01.12.2026 07:55.")
@click.option("--restoration", default=None, help="The estimated restoration time.")
@click.option("--note", default="")
@click.option("--source", default="dispatcher", show_default=True)
def add(
    config_path: str,
    outage_id: str,
    kind: str,
    settlement: str,
    streets: tuple[str, ...],
    houses: tuple[str, ...],
    feeder: str | None,
    groups: tuple[str, ...],
    start: str | None,
    restoration: str | None,
    note: str,
    source: str,
) -> None:
    """Record a new outage."""
    begun = _moment(start, "--start") or utcnow()
    back = _moment(restoration, "--restoration")
    for value, hint in ((outage_id, "OUTAGE_ID"), (settlement, "--settlement")):
        if not value.strip():
            raise click.BadParameter("must not be empty", param_hint=hint)
    for group in groups:
        if problem := group_problem(group):
            raise click.BadParameter(problem, param_hint="--group")
    if houses and len(streets) != 1:
        raise click.BadParameter("houses need exactly one --street", param_hint="--house")
    if back is not None and back <= begun:
        raise click.BadParameter("must be after the start", param_hint="--restoration")
    outage = Outage(
        outage_id,
        OutageKind(kind),
        Area(settlement, streets, houses, feeder, groups),
        begun,
        OutageStatus.ACTIVE,
        (Restoration(back, utcnow(), source),),
        note,
        source,
    )
    store = _store(config_path)
    try:
        added = store.add(outage, actor=cli_actor())
    except OutageError as exc:
        _fail(exc)
    _show(config_path, store, [added])


@outages.command()
@config_option
@click.argument("outage_id")
@click.option("--restoration", default=None, help="A new estimate (kept as a revision).")
@click.option("--note", default=None)
@click.option("--status", type=click.Choice([s.value for s in OutageStatus]), default=None)
@click.option("--source", default="dispatcher", show_default=True)
def update(
    config_path: str,
    outage_id: str,
    restoration: str | None,
    note: str | None,
    status: str | None,
    source: str,
) -> None:
    """Give an outage a new restoration estimate, note or status."""
    back = _moment(restoration, "--restoration")
    store = _store(config_path)
    try:
        outage = store.update(
            source,
            outage_id,
            restoration=back,
            note=note,
            status=OutageStatus(status) if status else None,
            actor=cli_actor(),
        )
    except OutageError as exc:
        _fail(exc)
    _show(config_path, store, [outage])


@outages.command()
@config_option
@click.argument("outage_id")
@click.option("--at", "at_", default=None, help="When power came back (default: now).")
@click.option("--source", default="dispatcher", show_default=True)
def restore(config_path: str, outage_id: str, at_: str | None, source: str) -> None:
    """Power is back: the outage is restored."""
    store = _store(config_path)
    try:
        restored = store.restore(source, outage_id, _moment(at_, "--at"), actor=cli_actor())
    except OutageError as exc:
        _fail(exc)
    _show(config_path, store, [restored])


@outages.command()
@config_option
@click.argument("outage_id")
@click.option("--source", default="dispatcher", show_default=True)
def cancel(config_path: str, outage_id: str, source: str) -> None:
    """The outage will not happen, or was entered by mistake: cancelled."""
    store = _store(config_path)
    try:
        cancelled = store.cancel(source, outage_id, actor=cli_actor())
    except OutageError as exc:
        _fail(exc)
    _show(config_path, store, [cancelled])


@outages.command(name="list")
@config_option
@click.option("--all", "show_all", is_flag=True, help="Restored and cancelled ones too.")
def list_(config_path: str, show_all: bool) -> None:
    """The outages, a table, local times; REPORTS: how many callers reported no power on
    the outage's streets (or in its settlement) from the report window before its start."""
    store = _store(config_path)
    found = store.list(active_only=not show_all)
    click.echo(
        f"{'SOURCE/ID':<24} {'KIND':<9} {'STATUS':<9} {'START':<16} {'RESTORATION':<16} "
        f"{'REPORTS':>7} AREA"
    )
    _show(config_path, store, found)
    click.echo(f"{len(found)} outage(s)")


def _show(config_path: str, store: OutageStore, found: list[Outage]) -> None:
    """One line per outage, with the callers' reports on it (``ivr.outages.reported``)."""
    from ivr.outages.reported import reports_on
    from ivr.store.reports import report_moments

    config = load_or_exit(config_path).config
    window = timedelta(minutes=config.outages.report_window_minutes)
    since = min((o.start for o in found), default=datetime.now(UTC)) - window
    reports = report_moments(store.engine, since)
    for outage in found:
        click.echo(_line(outage, reports_on(outage, reports, window)))


class Duration(click.ParamType):
    """``30s``, ``5m``, ``1h``: seconds."""

    name = "duration"

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, float):
            return value
        try:
            return fetch.parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@outages.command()
@config_option
@click.argument("source")
@click.option("--format", "format_", required=True, type=click.Choice(sorted(PARSERS)))
@click.option("--every", type=Duration(), default="5m", show_default=True, help="30s, 5m, 1h.")
@click.option(
    "--source",
    "name",
    default=None,
    help="The data's source name (default: the URL's host or the file's name).",
)
@click.option("--timeout", type=Duration(), default="30s", show_default=True)
@click.option("--once", is_flag=True, help="Fetch once and exit (for cron): exit 1 on failure.")
@click.option("--verbose", is_flag=True, help="Log every fetch, not only changes and failures.")
def watch(
    config_path: str,
    source: str,
    format_: str,
    every: float,
    name: str | None,
    timeout: float,
    once: bool,
    verbose: bool,
) -> None:
    """Fetch SOURCE (a URL or a file) every interval and import it. A fetch or data that
    fails is logged (WARNING) and nothing is imported: the last good data stays."""
    setup_logging(verbose)
    origin = Origin(source, name or fetch.default_source_name(source), TZ)
    store = _store(config_path)
    if once:
        try:
            outcome = fetch.watch_once(store, source, format_, origin, timeout=timeout)
        except StorageError as exc:  # fetched and valid, but the database cannot take it
            click.echo(f"ivr: {source}: cannot store the data: {exc}", err=True)
            sys.exit(1)
        sys.exit(0 if outcome.summary is not None else 1)
    logging.getLogger(__name__).info(
        "watching %s (%s, as source %s) every %gs", source, format_, origin.source, every
    )
    with contextlib.suppress(KeyboardInterrupt):
        fetch.watch(store, source, format_, origin, every=every, timeout=timeout)


@outages.command(name="serve-push")
@config_option
@click.option("--listen", default="127.0.0.1:8089", show_default=True, help="HOST:PORT.")
@click.option(
    "--allow-remote", is_flag=True, help="Allow a --listen address other machines can reach."
)
@click.option("--source", default="push", show_default=True, help="The pushed records' source.")
def serve_push(config_path: str, listen: str, allow_remote: bool, source: str) -> None:
    """Accept the dispatch system's outages: POST /outages, our JSON format, with
    Authorization: Bearer $IVR_PUSH_TOKEN."""
    from ivr.outages import push
    from ivr.transport import http

    problem = push.token_problem(os.environ.get(push.TOKEN_ENV))
    if problem:
        click.echo(f"ivr: {problem}", err=True)
        sys.exit(1)
    host, port = listen_address(
        listen,
        allow_remote,
        "pass --allow-remote as well (and put TLS in front), or listen on 127.0.0.1",
    )
    setup_logging()
    app = push.make_app(_store(config_path), os.environ[push.TOKEN_ENV], source=source, tz=TZ)
    log = logging.getLogger(__name__)
    http.serve(
        app,
        host,
        port,
        lambda bound: log.info("accepting pushes on http://%s:%d/outages", host, bound),
    )


def _line(outage: Outage, reports: int) -> str:
    from zoneinfo import ZoneInfo

    def local(moment) -> str:
        return moment.astimezone(ZoneInfo(TZ)).strftime("%d.%m.%Y %H:%M") if moment else "-"

    area = outage.area
    where = ", ".join([area.settlement, *area.streets])
    if area.houses:
        where += " " + ", ".join(area.houses)
    if area.feeder:
        where += f"; feeder {area.feeder}"
    if area.groups:
        where += f"; groups {', '.join(area.groups)}"
    revised = f" (revised {local(outage.revised_at)})" if outage.revised_at else ""
    return (
        f"{outage.source + '/' + outage.id:<24} {outage.kind.value:<9} "
        f"{outage.status.value:<9} {local(outage.start):<16} "
        f"{local(outage.restoration):<16} {reports:>7} {where}{revised}"
    )
