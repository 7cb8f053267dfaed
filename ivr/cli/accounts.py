"""``ivr accounts``: load the customer registry from a CSV file, count it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ivr.accounts.csv_import import check_accounts_file
from ivr.accounts.numbers import DEFAULT_LENGTH
from ivr.cli.common import config_option, load_or_exit, open_repository
from ivr.store.accounts import AccountStore, AccountStoreError

#: How many problems are printed; the rest are counted.
SHOWN_PROBLEMS = 200


def _store(config_path: str) -> AccountStore:
    repository = open_repository(load_or_exit(config_path).config)
    click.get_current_context().call_on_close(repository.close)
    return AccountStore(repository)


@click.group()
def accounts() -> None:
    """The customer registry: personal accounts, EIC codes, phone numbers, ГПВ groups."""


@accounts.command("import")
@config_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--account-length",
    default=DEFAULT_LENGTH,
    show_default=True,
    type=click.IntRange(1, 20),
    help="Digits in a personal account number at this company.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Make the registry exactly this file (default: add its accounts, replacing those "
    "with the same numbers).",
)
@click.option("--check", is_flag=True, help="Only check the file; store nothing.")
def import_accounts(
    config_path: str, file: Path, account_length: int, replace: bool, check: bool
) -> None:
    """Check the whole CSV FILE, then store it in one transaction (nothing when it has a
    problem). Problems are printed as FILE:LINE: column: message."""
    found, problems = check_accounts_file(file, account_length)
    if problems:
        for problem in problems[:SHOWN_PROBLEMS]:
            click.echo(str(problem), err=True)
        if len(problems) > SHOWN_PROBLEMS:
            click.echo(f"... and {len(problems) - SHOWN_PROBLEMS} more", err=True)
        click.echo(f"{file}: {len(problems)} problem(s); nothing stored", err=True)
        sys.exit(1)
    if check:
        click.echo(f"{file}: OK, {len(found)} account(s); nothing stored (--check)")
        return
    store = _store(config_path)
    try:
        stored = store.replace_all(found) if replace else store.upsert(found)
    except AccountStoreError as exc:
        click.echo(f"ivr: {file}: {exc}; nothing stored", err=True)
        sys.exit(1)
    how = "replaced the registry with" if replace else "stored"
    click.echo(f"{file}: {how} {stored} account(s); the registry holds {store.count()}")


@accounts.command()
@config_option
def count(config_path: str) -> None:
    """How many accounts the registry holds."""
    click.echo(str(_store(config_path).count()))
