"""Process AGI transport: Asterisk starts ``ivr-agi`` per call and talks over stdin/stdout.

A process per call pays Python's start-up on every call, so this path is kept lean: no
click, no PyYAML (``ivr.transport.provider`` takes the validated configuration and the audio
catalogue, checked against the build, from the compiled cache ``ivr.config.cache``), no
SQLAlchemy (the call
record is appended to the durable journal, and the FastAGI server's periodic replay or ``ivr
db flush`` moves it into the database). Only the protocol layer and pyst2 are imported before
the first AGI command (``ANSWER``); the call itself runs in ``ivr.transport.runner``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivr.agi.sync_session import PystAgi
    from ivr.agi.types import AgiError, Command, Reply
    from ivr.store.records import CallRecord


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
    from ivr.config.problems import ConfigError
    from ivr.store.recorder import JournalRecorder
    from ivr.transport.provider import load
    from ivr.transport.runner import run_call

    try:
        snapshot = load(config_path, for_calls=True, cached=True)
    except ConfigError as exc:
        import logging

        logging.getLogger(__name__).error(
            "refusing to run with an invalid configuration "
            "(the dialplan's fallback takes the call):\n%s",
            exc,
        )
        sys.exit(1)
    log_to_file(snapshot.config.log_file)
    return run_call(snapshot, session, JournalRecorder(snapshot.journal))


def main(argv: list[str] | None = None) -> None:
    """``ivr-agi [CONFIG]``, for ``AGI(/opt/ivr/.venv/bin/ivr-agi,/opt/ivr/config.yaml)``."""
    args = [a for a in (sys.argv[1:] if argv is None else argv) if a]
    run(args[0] if args else _default_config_path())


def main_from_cli(argv: list[str]) -> bool:
    """``python -m ivr agi [--config PATH]`` without click; False: let click handle it."""
    if not argv:
        path = _default_config_path()
    elif len(argv) == 2 and argv[0] == "--config":
        path = argv[1]
    elif len(argv) == 1 and argv[0].startswith("--config="):
        path = argv[0].split("=", 1)[1]
    else:
        return False  # --help, mistakes: click explains
    run(path)
    return True


def _default_config_path() -> str:
    """Imported only when no path is given: ``ivr.config`` loads the whole model, which
    would otherwise delay the ``ANSWER``."""
    from ivr.config import default_config_path

    return default_config_path()
