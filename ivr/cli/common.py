"""What the ``ivr`` commands share: the --config option, loading, the database, logging.

Every command module imports from here (never from ``ivr.cli``), so there is no import cycle.
"""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ivr import logs
from ivr.config import Config, ConfigError, default_config_path
from ivr.store.dburl import dialect, sqlite_file
from ivr.store.repository import CallRepository, StorageError
from ivr.transport.provider import Snapshot, load

if TYPE_CHECKING:
    from ivr.store.recorder import CallRecorder

F = TypeVar("F", bound=Callable[..., Any])


def config_option_with(help: str) -> Callable[[F], F]:
    """The ``--config`` option of every command (``$IVR_CONFIG``, else config.yaml)."""
    return click.option(
        "--config",
        "config_path",
        default=default_config_path,
        show_default="$IVR_CONFIG or config.yaml",
        type=click.Path(dir_okay=False),
        help=help,
    )


config_option = config_option_with("The IVR configuration file.")


def parse_date(value: str, option: str) -> date:
    """A ``YYYY-MM-DD`` option value; a usage error naming ``option`` otherwise."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date: use YYYY-MM-DD", param_hint=option
        ) from exc


def setup_logging(verbose: bool = False, tag: str | None = None) -> None:
    """The commands' logging (``ivr.logs``): stderr, debug with ``--verbose``; with ``tag``
    (``serve --workers N``: ``supervisor``, ``w1``, ``w2``...) every line names its process,
    so the log the processes write together reads apart."""
    level = logging.DEBUG if verbose else logging.INFO
    if tag is None:
        logs.setup_logging(level)
    else:
        logs.setup_logging(level, format=logs.tagged_format(tag))


def load_or_exit(
    path: str,
    for_calls: bool = False,
    refusal: str = "refusing to run with an invalid configuration",
) -> Snapshot:
    """Load through the provider's rules (``ivr.transport.provider.load``: ``for_calls``
    requires the built audio); exit 1 with ``refusal`` and every problem when invalid."""
    try:
        return load(path, for_calls=for_calls)
    except ConfigError as exc:
        click.echo(f"ivr: {refusal}:\n{exc}", err=True)
        sys.exit(1)


def open_repository(config: Config, sync_topics: bool = True) -> CallRepository:
    """Open the database at start-up, so a bad URL fails now and not at the first call;
    ``sync_topics``: record the configuration's topic labels (the servers do)."""
    try:
        repository = CallRepository(config.database_url)
        repository.ensure_schema()
        if sync_topics:
            repository.sync_config_topics(config)
    except StorageError as exc:
        click.echo(f"ivr: {exc}", err=True)
        sys.exit(2)
    return repository


def make_recorder(config: Config, repository: CallRepository) -> CallRecorder:
    """The database first, then the config's journal."""
    from ivr.store.journal import Journal
    from ivr.store.recorder import CallRecorder

    return CallRecorder(repository, Journal(config.journal_path))


def existing_repository(config: Config) -> CallRepository | None:
    """The configured database if it exists; None for a SQLite file that is not there."""
    if dialect(config.database_url) == "sqlite":
        database = sqlite_file(config.database_url)
        if database is None or not database.exists():
            return None
    try:
        return CallRepository(config.database_url)
    except StorageError:
        return None


def cli_actor() -> str:
    """Who made a change from the command line, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment
        return "cli"


def listen_address(listen: str, allow_remote: bool, remedy: str) -> tuple[str, int]:
    """An HTTP server's ``--listen HOST:PORT`` (the console, the push endpoint), refused when
    other machines could reach it and ``--allow-remote`` was not given; ``remedy`` says what
    to do instead."""
    from ivr.transport import http
    from ivr.transport.fastagi import is_loopback_host

    try:
        host, port = http.parse_listen(listen)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--listen") from exc
    if not is_loopback_host(host) and not allow_remote:
        raise click.BadParameter(
            f"{listen} is reachable from other machines: {remedy}", param_hint="--listen"
        )
    return host, port
