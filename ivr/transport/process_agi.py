"""Process AGI transport: Asterisk starts ``ivr-agi`` per call and talks over stdin/stdout.

A process per call pays Python's start-up on every call, so this path is kept lean: no
click, no PyYAML (the validated configuration comes from ``ivr.config.cache``), no
SQLAlchemy (the call record is appended to the durable journal, and the FastAGI server's
periodic replay or ``ivr db flush`` moves it into the database). Only the protocol layer,
pyst2 and the engine are imported before the first AGI command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from ivr.agi.sync_session import PystAgi
    from ivr.agi.types import AgiError, Command, Reply
    from ivr.config import Config
    from ivr.store.recorder import Recorder
    from ivr.store.records import CallRecord


class Session(Protocol):
    env: dict[str, str]

    def send(self, cmd: Command) -> Reply: ...


def run_call(
    config: Config,
    session: Session,
    recorder: Recorder,
    transport: str = "agi",
    clock: Callable[[], datetime] | None = None,
) -> CallRecord:
    """Walk one call through the flow on a blocking session and record it."""
    from ivr.flow.call import CallContext, utcnow
    from ivr.flow.drive import drive_sync
    from ivr.flow.effects import EffectRunner, call_effect_handlers
    from ivr.flow.engine import CallFlow

    clock = clock or utcnow
    call = CallContext.from_env(session.env, transport, started_at=clock())
    flow = CallFlow(config, call, clock)
    recorder.started(flow.start_record())
    record = drive_sync(flow.run(), session.send, EffectRunner(call_effect_handlers(config)))
    recorder.record(record)
    return record


def serve_stdio(
    config: Config,
    recorder: Recorder,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
) -> CallRecord:
    from ivr.agi.sync_session import PystAgi

    session = PystAgi(stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)
    return run_call(config, session, recorder)


class AnsweredSession:
    """A session that sends ``ANSWER`` at once, before the flow and its configuration are
    loaded; the flow's own ``ANSWER`` then gets that reply (or that error).

    Asterisk waits for the script's first command with the channel ringing; answering first
    lets the imports of the engine and the configuration overlap with the answered channel.
    """

    def __init__(self, session: PystAgi) -> None:
        from ivr.agi.types import AgiError, Command

        self.session = session
        self.env = session.env
        self._answer: Reply | None = None
        self._error: AgiError | None = None
        self._pending = True
        try:
            self._answer = session.send(Command("ANSWER"))
        except AgiError as exc:  # a hang-up, EOF...: the flow sees it at its ANSWER
            self._error = exc

    def send(self, cmd: Command) -> Reply:
        if self._pending and cmd.name == "ANSWER":
            self._pending = False
            if self._error is not None:
                raise self._error
            assert self._answer is not None
            return self._answer
        self._pending = False
        return self.session.send(cmd)


def run(config_path: str) -> CallRecord:
    """One call: answer, the configuration (cached), the flow on stdin/stdout, the journal.

    An invalid configuration ends the script with status 1 (``AGISTATUS=FAILURE``: the
    dialplan sends the caller to the fallback queue) and the problems on stderr.
    """
    from ivr.agi.sync_session import PystAgi

    session = AnsweredSession(PystAgi(sys.stdin.buffer, sys.stdout.buffer))
    from ivr.logs import log_to_file, setup_logging

    setup_logging(syslog=True)
    from ivr.config.cache import load_config_cached
    from ivr.config.problems import ConfigError
    from ivr.store.journal import Journal
    from ivr.store.recorder import JournalRecorder

    try:
        config = load_config_cached(config_path, require_audio=True)
    except ConfigError as exc:
        import logging

        logging.getLogger(__name__).error(
            "refusing to run with an invalid configuration "
            "(the dialplan's fallback takes the call):\n%s",
            exc,
        )
        sys.exit(1)
    log_to_file(config.log_file)
    return run_call(config, session, JournalRecorder(Journal(config.journal_path)))


def main(argv: list[str] | None = None) -> None:
    """``ivr-agi [CONFIG]``, for ``AGI(/opt/ivr/.venv/bin/ivr-agi,/opt/ivr/config.yaml)``."""
    from ivr.config import default_config_path

    args = [a for a in (sys.argv[1:] if argv is None else argv) if a]
    run(args[0] if args else default_config_path())


def main_from_cli(argv: list[str]) -> bool:
    """``python -m ivr agi [--config PATH]`` without click; False: let click handle it."""
    from ivr.config import default_config_path

    if not argv:
        path = default_config_path()
    elif len(argv) == 2 and argv[0] == "--config":
        path = argv[1]
    elif len(argv) == 1 and argv[0].startswith("--config="):
        path = argv[0].split("=", 1)[1]
    else:
        return False  # --help, mistakes: click explains
    run(path)
    return True
