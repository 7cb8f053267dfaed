"""``ivr console``: the web console for dispatchers, supervisors and admins."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import click

from ivr.cli.common import (
    config_option,
    listen_address,
    load_or_exit,
    open_repository,
    setup_logging,
)

DEFAULT_LISTEN = "127.0.0.1:8080"


def listen_option(command):
    return click.option(
        "--listen",
        default=DEFAULT_LISTEN,
        show_default=True,
        help="HOST:PORT of the console; loopback unless --allow-remote.",
    )(command)


def check_listen(listen: str, allow_remote: bool) -> tuple[str, int]:
    """The console's address, refused when other machines could reach it unasked."""
    return listen_address(
        listen,
        allow_remote,
        "put the console behind a reverse proxy with TLS on this machine (README, 'Web "
        "console'), or pass --allow-remote",
    )


@click.command()
@config_option
@listen_option
@click.option(
    "--allow-remote", is_flag=True, help="Allow a --listen address other machines can reach."
)
@click.option(
    "--server-pid",
    type=int,
    default=None,
    help="The FastAGI server ('ivr serve', its supervisor with --workers) that the "
    "configuration page's reload button sends SIGHUP to.",
)
@click.option(
    "--secure-cookies",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="The session cookie's Secure flag; auto: when the browser came over HTTPS "
    "(directly, or through a proxy on this machine sending X-Forwarded-Proto: https).",
)
@click.option(
    "--queue-log",
    type=click.Path(dir_okay=False),
    default=None,
    help="Asterisk's queue_log: the live page shows the callers waiting in the queue, and "
    "the pages show the Resolution 375 indicators (read at every page view).",
)
@click.option("--with-parent", "parent_pid", type=int, default=None, hidden=True)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def console(
    config_path: str,
    listen: str,
    allow_remote: bool,
    server_pid: int | None,
    secure_cookies: str,
    queue_log: str | None,
    parent_pid: int | None,
    verbose: bool,
) -> None:
    """Serve the web console (pages in Ukrainian): live calls, outages, appeals, reports,
    configuration; its users come from 'ivr users add'."""
    from ivr.console.app import make_app
    from ivr.console.web import Console
    from ivr.transport import http

    host, port = check_listen(listen, allow_remote)
    if parent_pid is not None:  # started by `ivr serve --console`: end with it
        from ivr.transport.supervisor import die_with_parent

        die_with_parent(parent_pid)
    setup_logging(verbose, tag="console")
    config = load_or_exit(config_path).config
    repository = open_repository(config, sync_topics=False)  # the servers record them
    state = Console(
        config_path=Path(config_path),
        config=config,
        repository=repository,
        server_pid=server_pid,
        secure_cookies={"auto": None, "always": True, "never": False}[secure_cookies],
        queue_log=Path(queue_log) if queue_log else None,
    )
    log = logging.getLogger("ivr.console")
    try:
        http.serve(
            make_app(state),
            host,
            port,
            lambda bound: log.info("console on http://%s:%d/", host, bound),
        )
    except OSError as exc:
        click.echo(f"ivr: cannot listen on {listen}: {exc}", err=True)
        sys.exit(2)
    finally:
        repository.close()


def console_command(
    config_path: str, listen: str, server_pid: int, queue_log: str | None = None
) -> list[str]:
    """The command line ``ivr serve --console`` starts the console with."""
    return [
        sys.executable,
        "-m",
        "ivr",
        "console",
        "--config",
        config_path,
        "--listen",
        listen,
        "--server-pid",
        str(server_pid),
        "--with-parent",
        str(os.getpid()),
        *(["--queue-log", queue_log] if queue_log else []),
    ]


def start_console(
    config_path: str, listen: str, queue_log: str | None = None
) -> subprocess.Popen[bytes]:
    """``ivr serve --console``: the console as a child process of this server, knowing its
    pid (the reload button's SIGHUP); it ends with this process (``--with-parent``)."""
    return subprocess.Popen(
        console_command(config_path, listen, server_pid=os.getpid(), queue_log=queue_log)
    )


def stop_console(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """SIGTERM to the console started by ``start_console``; SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
