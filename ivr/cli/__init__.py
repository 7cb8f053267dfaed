"""The ``ivr`` command line: validate, agi, serve, simulate, and the command groups."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import click

from ivr.cli.accounts import accounts
from ivr.cli.appeals import appeals
from ivr.cli.common import (
    config_option,
    existing_repository,
    load_or_exit,
    make_recorder,
    open_repository,
    setup_logging,
)
from ivr.cli.console import check_listen, console, start_console, stop_console
from ivr.cli.db import db
from ivr.cli.graph import graph
from ivr.cli.outages import Duration, outages
from ivr.cli.prompts import prompts, say
from ivr.cli.report import report
from ivr.cli.scenarios import test
from ivr.cli.users import users
from ivr.config import default_config_path
from ivr.logs import setup_logging as setup_logging_at

if TYPE_CHECKING:
    from ivr.config.model import Config
    from ivr.config.problems import Problem
    from ivr.store.repository import CallRepository


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ivr", prog_name="ivr")
def main() -> None:
    """Ukrainian voice autoresponder for electricity suppliers and DSOs (Asterisk AGI)."""


@main.command("schema")
@click.option(
    "--out",
    "folder",
    default="schema",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The folder of config.schema.json and directory.schema.json.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; fail when the files there differ from the ones built now.",
)
def schema_command(folder: str, check: bool) -> None:
    """Write the JSON Schema of config.yaml and of the directory file, built from the
    definitions the validator uses, for editors with a YAML language server (completion and
    inline errors); `ivr validate` stays the full check."""
    from pathlib import Path

    from ivr.config.json_schema import REGENERATE, stale_files, write_files

    if check:
        stale = stale_files(Path(folder))
        for path in stale:
            click.echo(f"{path}: stale or missing; run '{REGENERATE} --out {folder}'", err=True)
        if stale:
            sys.exit(1)
        click.echo(f"{folder}: the schema files are up to date")
        return
    for path in write_files(Path(folder)):
        click.echo(f"wrote {path}")


@main.command()
@click.argument("file", default=default_config_path, type=click.Path(dir_okay=False))
@click.option(
    "--no-audio-check",
    is_flag=True,
    help="Do not require built prompt audio (while editing, before 'ivr prompts build').",
)
@click.option(
    "--dialplan",
    "dialplan_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="The Asterisk dialplan to check against the config (default: "
    "dialplan/extensions_ivr.conf beside the config file, when it exists).",
)
@click.option(
    "--diff",
    "old_file",
    default=None,
    metavar="OLD",
    type=click.Path(dir_okay=False),
    help="Also validate OLD (the running file; its audio is not required) and print what "
    "changes from OLD to FILE: menus, options, prompts, topics, other settings, and the "
    "prompts whose audio must be built. Usage: ivr validate --diff OLD NEW.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="--diff: the summary as text lines or as JSON.",
)
def validate(
    file: str,
    no_audio_check: bool,
    dialplan_path: str | None,
    old_file: str | None,
    output_format: str,
) -> None:
    """Check a configuration file; print every problem as FILE:LINE: path: message, then
    what Asterisk must define for it (queues, numbers, language, sounds).

    With --diff OLD: check both files, then print what changes from OLD to FILE (no diff
    when either is invalid: exit 1)."""
    from pathlib import Path

    from ivr.config.dialplan import asterisk_requirements, check_dialplan, dialplan_for
    from ivr.config.loader import check_file

    problems, config = check_file(file, require_audio=not no_audio_check)
    dialplan = dialplan_for(Path(file), dialplan_path)
    fallback = None
    if config is not None and dialplan is not None:
        found, fallback = check_dialplan(config, dialplan)
        problems = problems + found
    if old_file is not None:
        validate_diff(old_file, file, problems, config, output_format)
        return
    for problem in problems:
        click.echo(str(problem), err=problem.severity == "error")
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if errors:
        click.echo(f"{file}: {errors} error(s), {warnings} warning(s)", err=True)
        sys.exit(1)
    click.echo(f"{file}: OK ({warnings} warning(s))")
    assert config is not None
    for line in asterisk_requirements(config, dialplan, fallback):
        click.echo(line)


def validate_diff(
    old_file: str,
    new_file: str,
    new_problems: list[Problem],
    new: Config | None,
    output_format: str,
) -> None:
    """``ivr validate --diff OLD NEW``: both files' errors (NEW's warnings too), then the
    change summary; exit 1 without it when either file is invalid."""
    import json

    from ivr.audio.build import stale_prompts
    from ivr.config.diff import diff_configs, render
    from ivr.config.loader import check_file

    old_problems, old = check_file(old_file)  # running already: its audio is not asked
    invalid = []
    for name, problems, config in (("OLD", old_problems, old), ("NEW", new_problems, new)):
        shown = problems if name == "NEW" else [p for p in problems if p.is_error]
        for problem in shown:
            click.echo(str(problem), err=problem.is_error)
        errors = sum(1 for p in problems if p.is_error)
        if errors or config is None:
            path = old_file if name == "OLD" else new_file
            invalid.append(f"{name} {path} is invalid ({errors} error(s))")
    if invalid:
        click.echo(f"ivr validate --diff: {'; '.join(invalid)}: no diff shown", err=True)
        sys.exit(1)
    assert old is not None and new is not None
    diff = diff_configs(old, new, stale_prompts)
    if output_format == "json":
        data = {"old": old_file, "new": new_file, **diff.as_dict()}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    warnings = sum(1 for p in new_problems if not p.is_error)
    click.echo(f"{new_file}: OK ({warnings} warning(s)); changes from {old_file}:")
    for line in render(diff, f"'ivr prompts build --config {new_file}'"):
        click.echo(f"  {line}")


@main.command()
@config_option
def agi(config_path: str) -> None:
    """Process AGI: answer one call on stdin/stdout (AGI(ivr-agi) in the dialplan)."""
    setup_logging()
    run_process_agi(config_path)


def run_process_agi(config_path: str) -> None:
    """The lean process-AGI path (``ivr.transport.process_agi``): cached config, the record
    to the journal."""
    from ivr.transport.process_agi import run

    run(config_path)


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise click.BadParameter(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


@main.command()
@config_option
@click.option(
    "--listen",
    default="127.0.0.1:4573",
    show_default=True,
    help="Address to listen on; Asterisk uses agi://HOST[:PORT]/ivr.",
)
@click.option(
    "--max-connections",
    default=5000,
    show_default=True,
    help="Concurrent calls (per worker process); more are refused with a log line.",
)
@click.option(
    "--allow",
    default=None,
    metavar="ADDR[/BITS],...",
    help="Asterisk addresses allowed to connect, e.g. 127.0.0.1,10.0.0.0/24, or "
    "'any'. Default: loopback only; required when --listen is not a loopback "
    "address.",
)
@click.option(
    "--drain-timeout",
    default=30.0,
    show_default=True,
    help="SIGTERM: seconds running calls get to finish before they are cut.",
)
@click.option(
    "--cut-grace",
    default=10.0,
    show_default=True,
    help="SIGTERM: after the drain timeout each remaining call goes to the operator "
    "queue at its next reply; calls still running this many seconds later are "
    "closed (the dialplan's fallback takes them).",
)
@click.option(
    "--watch",
    "watch_source",
    default=None,
    metavar="SOURCE",
    help="Also watch an outage feed (a URL or a file), as 'ivr outages watch' does, in a "
    "thread of this server (of its first worker).",
)
@click.option(
    "--watch-format",
    type=click.Choice(["yasno", "dtek", "csv", "json"]),
    default=None,
    help="The feed's format (required with --watch).",
)
@click.option("--watch-every", type=Duration(), default="5m", show_default=True)
@click.option(
    "--loop",
    "loop_choice",
    type=click.Choice(["auto", "uvloop", "asyncio"]),
    default="auto",
    show_default=True,
    help="Event loop: uvloop (faster; 'auto' uses it when it is installed) or asyncio's own.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    show_default="the number of cores",
    help="Worker processes, each with its own event loop, all on the --listen port "
    "(SO_REUSEPORT); a supervisor restarts a dead one and passes SIGHUP and SIGTERM on. "
    "1: one process, no supervisor.",
)
@click.option(
    "--console",
    "console_listen",
    default=None,
    metavar="HOST:PORT",
    help="Also serve the web console there (a loopback address; 'ivr console' as a child "
    "process, ended with this server); its reload button sends this server SIGHUP.",
)
@click.option(
    "--console-queue-log",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    metavar="PATH",
    help="Asterisk's queue_log for the console's live page (its --queue-log).",
)
@click.option("--worker", "worker_number", type=int, default=None, hidden=True)
@click.option("--worker-of", "supervisor_pid", type=int, default=None, hidden=True)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def serve(
    config_path: str,
    listen: str,
    max_connections: int,
    allow: str | None,
    drain_timeout: float,
    cut_grace: float,
    watch_source: str | None,
    watch_format: str | None,
    watch_every: float,
    loop_choice: str,
    workers: int | None,
    console_listen: str | None,
    console_queue_log: str | None,
    worker_number: int | None,
    supervisor_pid: int | None,
    verbose: bool,
) -> None:
    """FastAGI server: many calls at once on an asyncio event loop in each of --workers
    processes.

    SIGHUP re-reads the configuration and the audio build (new calls only; an invalid file
    is refused and the running one kept); a rebuilt audio build is picked up without it.
    SIGTERM stops accepting and drains running calls. With --workers N (N > 1) a supervisor
    runs N such servers on the one port and passes both signals on to each.
    """
    from ivr.store.async_recorder import AsyncCallRecorder
    from ivr.transport import loops
    from ivr.transport.fastagi import (
        LOOPBACK,
        FastAgiServer,
        ServerSettings,
        is_loopback_host,
        parse_allow,
    )
    from ivr.transport.provider import ConfigProvider

    early_hup: list[int] = []
    if worker_number is not None:  # a worker of `serve --workers N` (hidden options)
        # a SIGHUP before the event loop handles it: reload once the server listens
        signal.signal(signal.SIGHUP, lambda signum, _frame: early_hup.append(signum))
        setup_logging(verbose, tag=f"w{worker_number}")
        if supervisor_pid is not None:
            from ivr.transport.supervisor import die_with_parent

            die_with_parent(supervisor_pid)
        workers = 1
    elif workers is None:
        workers = os.cpu_count() or 1
    if worker_number is None:
        setup_logging(verbose, tag="supervisor" if workers > 1 else None)
        if workers > 1:  # the workers read the configuration after this anyway
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
    host, port = parse_listen(listen)
    if console_listen is not None:
        check_listen(console_listen, allow_remote=False)
    elif console_queue_log is not None:
        raise click.UsageError("--console-queue-log needs --console HOST:PORT")
    if allow is None and not is_loopback_host(host):
        click.echo(
            f"ivr: --listen {listen} is reachable from other machines; name the Asterisk "
            "servers allowed to connect with --allow ADDR[/BITS],... (or --allow any "
            "behind a firewall)",
            err=True,
        )
        sys.exit(2)
    try:
        allowed = parse_allow(allow) if allow is not None else LOOPBACK
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--allow") from exc
    if allow is not None and allow.strip().lower() == "any":
        logging.getLogger("ivr").warning(
            "--allow any: every address may connect; make sure a "
            "firewall lets only Asterisk reach %s",
            listen,
        )
    snapshot = load_or_exit(config_path, for_calls=True)
    repository = open_repository(snapshot.config)
    # the console after the schema is made, so the two never race to migrate it
    console_process = (
        start_console(config_path, console_listen, console_queue_log) if console_listen else None
    )
    try:
        if workers > 1:  # checked and the schema made once, before any worker starts
            del snapshot
            repository.close()
            supervise(
                workers,
                config_path,
                host,
                port,
                [
                    "--max-connections",
                    str(max_connections),
                    *(["--allow", allow] if allow is not None else []),
                    "--drain-timeout",
                    str(drain_timeout),
                    "--cut-grace",
                    str(cut_grace),
                    "--loop",
                    loop_choice,
                    *(["--verbose"] if verbose else []),
                ],
                watch_options(watch_source, watch_format, watch_every),
                stop_timeout=drain_timeout + cut_grace + 30,
            )
            return
        recorder = AsyncCallRecorder(make_recorder(snapshot.config, repository))
        settings = ServerSettings(
            host=host,
            port=port,
            max_connections=max_connections,
            allow=allowed,
            drain_timeout=drain_timeout,
            cut_grace=cut_grace,
            reuse_port=worker_number is not None,
        )
        # a reload records the new topic labels; with workers only the first does (they would
        # race to open the same new versions)
        topics = repository if worker_number in (None, 1) else None
        provider = ConfigProvider(snapshot, config_path, topics=topics)
        server = FastAgiServer(provider, recorder, settings)
        stop_watching = start_watching(watch_source, watch_format, watch_every, repository)
        try:
            loops.run(server.serve_until_stopped(lambda: bool(early_hup)), loop_choice)
        except loops.LoopUnavailable as exc:
            click.echo(f"ivr: {exc}", err=True)
            sys.exit(2)
        except OSError as exc:
            click.echo(f"ivr: cannot listen on {listen}: {exc}", err=True)
            sys.exit(2)
        finally:
            stop_watching()
            recorder.close()
            repository.close()
    finally:
        stop_console(console_process)


def watch_options(source: str | None, format_: str | None, every: float) -> list[str]:
    """``serve --watch``'s options, for the one worker that watches the feed."""
    if source is None:
        if format_ is not None:
            raise click.UsageError("--watch-format needs --watch SOURCE")
        return []
    if format_ is None:
        raise click.UsageError("--watch needs --watch-format yasno|dtek|csv|json")
    return [
        "--watch",
        source,
        "--watch-format",
        format_,
        "--watch-every",
        f"{max(1, round(every))}s",
    ]


def supervise(
    workers: int,
    config_path: str,
    host: str,
    port: int,
    options: list[str],
    watch: list[str],
    stop_timeout: float,
) -> None:
    """``serve --workers N`` (N > 1): reserve the port, run the workers until SIGTERM, exit
    with the supervisor's code (``ivr.transport.supervisor``)."""
    from ivr.transport.supervisor import Supervisor, listen_address, reserve_port

    try:
        reserved = reserve_port(host, port)
    except OSError as exc:
        click.echo(f"ivr: cannot listen on {listen_address(host, port)}: {exc}", err=True)
        sys.exit(2)
    address = listen_address(host, reserved.getsockname()[1])
    supervisor_pid = os.getpid()

    def command(number: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "ivr",
            "serve",
            "--config",
            config_path,
            "--listen",
            address,
            *options,
            *(watch if number == 1 else []),  # one worker watches the feed
            "--worker",
            str(number),
            "--worker-of",
            str(supervisor_pid),
        ]

    logging.getLogger("ivr").info("%d FastAGI workers on %s (SO_REUSEPORT)", workers, address)
    try:
        code = Supervisor(command, workers, stop_timeout).run()
    finally:
        reserved.close()
    sys.exit(code)


def start_watching(
    source: str | None, format_: str | None, every: float, repository: CallRepository
) -> Callable[[], None]:
    """``serve --watch``: the outage feed watched in a thread of the server (fetches and
    imports block; they never run on the event loop); returns what stops it."""
    if source is None:
        if format_ is not None:
            raise click.UsageError("--watch-format needs --watch SOURCE")
        return lambda: None
    if format_ is None:
        raise click.UsageError("--watch needs --watch-format yasno|dtek|csv|json")
    import threading

    from ivr.outages import fetch
    from ivr.outages.batch import Origin
    from ivr.store.outages import OutageStore

    name = fetch.default_source_name(source)
    origin = Origin(name, name, "Europe/Kyiv")
    stop = threading.Event()
    thread = threading.Thread(
        target=fetch.watch,
        args=(OutageStore(repository), source, format_, origin),
        kwargs={"every": every, "stop": stop},
        name="ivr-outage-watch",
        daemon=True,
    )
    thread.start()
    logging.getLogger("ivr").info("watching %s (%s) every %.0f s", source, format_, every)

    def stop_it() -> None:
        stop.set()
        thread.join(5)

    return stop_it


def call_clock(at: str | None, tz: str) -> Callable[[], datetime]:
    """The simulated call's clock (``ivr.simulator.call_clock``); a usage error for a bad
    ``--at``."""
    from ivr.simulator import call_clock as clock_at

    try:
        return clock_at(at, tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from exc


@main.command()
@config_option
@click.option(
    "--caller",
    default="0441234567",
    show_default=True,
    help="Caller ID as Asterisk would send it ('unknown' when withheld).",
)
@click.option("--dnid", default=None, help="Dialled number (default: the first configured).")
@click.option(
    "--keys",
    default="",
    help="Keys pressed in order, e.g. '1 2'; t = let it time out, h = hang up there.",
)
@click.option(
    "--hangup-after", type=int, default=None, help="The caller hangs up after N AGI commands."
)
@click.option("--interactive", is_flag=True, help="Type keys while the call runs.")
@click.option(
    "--fastagi",
    default=None,
    metavar="HOST:PORT",
    help="Drive a running 'ivr serve' instead of the built-in flow.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the transcript as JSON.")
@click.option(
    "--at",
    "at",
    default=None,
    metavar="YYYY-MM-DDTHH:MM",
    help="The moment the call starts (local time of the company unless an offset is given): "
    "working hours, schedules and the data's age are judged then.",
)
@click.option(
    "--queue-waiting",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Callers waiting in the operator queue, as Asterisk's QUEUE_WAITING_COUNT would "
    "tell the IVR (operator.callback offers a callback from its threshold on).",
)
@click.option(
    "--queue-holdtime",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="The operator queue's average hold time, as Asterisk's QUEUE_VARIABLES sets "
    "QUEUEHOLDTIME (operator.expected_wait says it; 0: unknown, nothing said).",
)
@click.option(
    "--seed-sample",
    is_flag=True,
    help="Load the fictional sample accounts and outages (examples/sample/) into the "
    "database first (built-in mode only).",
)
def simulate(
    config_path: str,
    caller: str,
    dnid: str | None,
    keys: str,
    hangup_after: int | None,
    interactive: bool,
    fastagi: str | None,
    as_json: bool,
    at: str | None,
    queue_waiting: int,
    queue_holdtime: int,
    seed_sample: bool,
) -> None:
    """Play a whole call over the AGI byte protocol and print its transcript."""
    from ivr.simulator import (
        KeyScript,
        KeyScriptError,
        asterisk_env,
        parse_keys,
        prompt_describer,
        simulate_builtin,
        simulate_fastagi,
    )
    from ivr.transcript import event_line, render_json, render_summary, render_text

    setup_logging_at(logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    snapshot = load_or_exit(config_path)
    config = snapshot.config
    clock = call_clock(at, config.company.timezone)
    if fastagi and (at or seed_sample or queue_waiting or queue_holdtime):
        raise click.UsageError(
            "--at, --queue-waiting, --queue-holdtime and --seed-sample work in the built-in "
            "mode, not --fastagi"
        )
    try:
        tokens = parse_keys(keys)
    except KeyScriptError as exc:
        raise click.BadParameter(str(exc), param_hint="--keys") from exc
    ask = None
    on_event = None
    if interactive:

        def ask() -> str:
            return click.prompt("keys (Enter = wait, h = hang up)", default="", show_default=False)

        def on_event(event: dict[str, object]) -> None:
            click.echo(event_line(event))

    script = KeyScript(tokens, ask=ask)
    dialled = dnid or config.company.dialled_numbers[0]
    # the company of the dialled number (profiles): its prompts describe what is heard
    snapshot = snapshot.for_dialled(dialled)
    config = snapshot.config
    if fastagi:
        # The server writes to its own database: read that one (the URL of --config), and
        # never create a database file here.
        address = parse_listen(fastagi)
        env = asterisk_env(caller, dialled, network=True)
        repository = existing_repository(config)
        try:
            transcript = simulate_fastagi(
                address,
                env,
                script,
                prompt_describer(config),
                repository=repository,
                hangup_after=hangup_after,
                on_event=on_event,
            )
        except OSError as exc:
            click.echo(f"ivr: cannot reach FastAGI server {fastagi}: {exc}", err=True)
            sys.exit(2)
        if repository is None:
            transcript.record_problem = (
                f"database {config.database_url} does not exist here; "
                "run from the server's directory or give "
                "database.url an absolute path"
            )
    else:
        env = asterisk_env(caller, dialled)
        repository = open_repository(config)
        if seed_sample:
            from ivr.cli.sample import seed_sample as seed

            for line in seed(repository):
                click.echo(f"sample data: {line}", err=True)
        transcript = simulate_builtin(
            config,
            make_recorder(config, repository),
            env,
            script,
            hangup_after=hangup_after,
            on_event=on_event,
            audio=snapshot.audio,
            clock=clock,
            queue_waiting=queue_waiting,
            queue_holdtime=queue_holdtime,
        )
    if repository is not None:
        repository.close()
    if as_json:
        click.echo(render_json(transcript))
    elif interactive:  # the events were printed as they happened
        click.echo(render_summary(transcript, config))
    else:
        click.echo(render_text(transcript, config))
    if not transcript.record_saved:
        sys.exit(1)  # the call left no record: a tester must see it failed


main.add_command(db)
main.add_command(outages)
main.add_command(accounts)
main.add_command(appeals)
main.add_command(report)
main.add_command(test)
main.add_command(prompts)
main.add_command(say)
main.add_command(graph)
main.add_command(users)
main.add_command(console)

if __name__ == "__main__":
    main()
