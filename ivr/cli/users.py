"""``ivr users``: the web console's users (add, passwd, disable, enable, list) and the audit
log of changes people made."""

from __future__ import annotations

import sys

import click

from ivr.cli.common import cli_actor, config_option, load_or_exit, open_repository
from ivr.store.users import ROLES, UserError, UserStore


def _store(config_path: str) -> UserStore:
    repository = open_repository(load_or_exit(config_path).config)
    click.get_current_context().call_on_close(repository.close)
    return UserStore(repository)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _fail(exc: UserError) -> None:
    click.echo(f"ivr: {exc}", err=True)
    sys.exit(1)


password_stdin = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts) instead of "
    "asking twice.",
)


@click.group()
def users() -> None:
    """The web console's users: dispatchers, supervisors and admins."""


@users.command("add")
@config_option
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@password_stdin
def add(config_path: str, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME with a role; the password is asked for (argon2 hash stored)."""
    store = _store(config_path)
    try:
        store.add(name, role, _password(password_stdin), cli_actor())
    except UserError as exc:
        _fail(exc)
    click.echo(f"user {name} added ({role})")


@users.command("passwd")
@config_option
@click.argument("name")
@password_stdin
def passwd(config_path: str, name: str, password_stdin: bool) -> None:
    """Set a new password for user NAME."""
    store = _store(config_path)
    try:
        store.set_password(name, _password(password_stdin), cli_actor())
    except UserError as exc:
        _fail(exc)
    click.echo(f"password of {name} changed")


def _switch(config_path: str, name: str, disabled: bool) -> None:
    try:
        _store(config_path).set_disabled(name, disabled, cli_actor())
    except UserError as exc:
        _fail(exc)
    click.echo(f"user {name} {'disabled' if disabled else 'enabled'}")


@users.command("disable")
@config_option
@click.argument("name")
def disable(config_path: str, name: str) -> None:
    """Disable user NAME: they can no longer sign in (the audit log keeps their changes)."""
    _switch(config_path, name, True)


@users.command("enable")
@config_option
@click.argument("name")
def enable(config_path: str, name: str) -> None:
    """Enable a disabled user NAME again."""
    _switch(config_path, name, False)


@users.command("list")
@config_option
def list_users(config_path: str) -> None:
    """Every user with their role and state (never a password or hash)."""
    for user in _store(config_path).users():
        state = "disabled" if user.disabled else "active"
        click.echo(f"{user.name}\t{user.role}\t{state}\t{user.changed_at:%Y-%m-%d %H:%M} UTC")


@users.command("audit")
@config_option
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def audit(config_path: str, limit: int) -> None:
    """The latest changes people made: when, who, what, from what to what."""
    for event in _store(config_path).audit(limit):
        change = ""
        if event.before or event.after:
            change = f"{event.before or ''} -> {event.after or ''}"
        when = f"{event.at:%Y-%m-%d %H:%M:%S} UTC"
        click.echo("\t".join((when, event.actor, event.action, event.target, change)))
