"""Process-AGI session: pyst2's ``AGI`` class on top of our strict protocol layer.

``PystAgi`` keeps pyst2's public surface (``env``, ``answer()``, ``stream_file()``...), but
every byte goes through ``ivr.agi.protocol``: arguments are quoted safely, ``HANGUP`` lines,
EOF, ``511`` and ``520`` are handled, and the constructor works outside the main thread.
The call-flow engine only uses ``send(cmd) -> Reply``.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from asterisk import agi as pyst

from .protocol import (
    MAX_LINE,
    CallState,
    EnvBlockReader,
    ReplyReader,
    check_raw_line,
    format_command,
    quote_arg,
)
from .types import (
    AgiArgumentError,
    AgiCommandError,
    AgiError,
    AgiHangup,
    AgiProtocolError,
    Command,
    Reply,
)

# Our exceptions, also catchable as pyst2's, so code written for pyst2 keeps working.


class PystHangup(AgiHangup, pyst.AGIHangup):
    """AgiHangup that is also pyst2's AGIHangup."""


class PystInvalidCommand(AgiCommandError, pyst.AGIInvalidCommand):
    """``510``: AgiCommandError that is also pyst2's AGIInvalidCommand."""


class PystUsageError(AgiCommandError, pyst.AGIUsageError):
    """``520``: AgiCommandError that is also pyst2's AGIUsageError."""


class PystCommandError(AgiCommandError, pyst.AGIError):
    """Other rejected commands (``503``): AgiCommandError that is also pyst2's AGIError."""


class PystProtocolError(AgiProtocolError, pyst.AGIUnknownError):
    """AgiProtocolError that is also pyst2's AGIUnknownError."""


def _compat(exc: AgiError) -> AgiError:
    if isinstance(exc, (pyst.AGIException, AgiArgumentError)):
        return exc
    if isinstance(exc, AgiHangup):
        return PystHangup(*exc.args)
    if isinstance(exc, AgiCommandError):
        cls = {510: PystInvalidCommand, 520: PystUsageError}.get(exc.code, PystCommandError)
        return cls(exc.code, exc.message, exc.usage)
    if isinstance(exc, AgiProtocolError):
        return PystProtocolError(*exc.args)
    return exc


@contextmanager
def _pyst_errors() -> Iterator[None]:
    try:
        yield
    except AgiError as exc:
        new = _compat(exc)
        if new is exc:
            raise
        raise new from exc


class _Quoted(str):
    """What ``PystAgi._quote`` returns: the quoted text, with the original in ``raw``.

    ``execute`` recognises it and quotes ``raw`` exactly once.
    """

    raw: str

    def __new__(cls, raw: str) -> _Quoted:
        obj = super().__new__(cls, quote_arg(raw))
        obj.raw = raw
        return obj


def _pyst_arg(value: object) -> str:
    if isinstance(value, _Quoted):
        return value.raw
    return value if isinstance(value, str) else str(value)


def _pyst_result(reply: Reply) -> dict[str, tuple[str, str]]:
    """pyst2's result dict; like pyst2, a ``result=-1`` raises AGIAppError."""
    if reply.result == "-1":
        raise pyst.AGIAppError(f"Error executing application, or hangup: {reply.raw}")
    result = {"result": (reply.result, reply.data or "")}
    if reply.endpos is not None:
        result["endpos"] = (str(reply.endpos), "")
    return result


class PystAgi(pyst.AGI):
    """pyst2 ``AGI`` over binary streams (``sys.stdin.buffer``/``sys.stdout.buffer`` or
    ``socket.makefile('rb'/'wb')``), with a strict protocol underneath.

    * ``send(cmd)`` writes one command (never pipelined, flushed) and returns the ``200``
      Reply; ``200 result=-1`` is returned unless a hangup was already signalled.
    * Raises AgiHangup (also pyst2's AGIHangup) when the call is over, AgiCommandError for
      ``503``/``510``/``520``, AgiProtocolError for garbage, AgiArgumentError for unsafe args.
    * After a hangup (SIGHUP, ``HANGUP`` line, ``511``) only dead-safe commands are written;
      after EOF or a broken pipe nothing is.
    * SIGHUP is handled only if ``handle_sighup`` and the constructor runs in the main thread
      (``signal.signal`` is impossible elsewhere); ``restore_sighup()`` undoes it.
    * If the exchange is interrupted by a foreign exception (socket timeout,
      KeyboardInterrupt), the stream may be out of step, so the session is marked closed.
    """

    def __init__(self, stdin: BinaryIO, stdout: BinaryIO, *, handle_sighup: bool = True) -> None:
        # pyst2's __init__ is skipped on purpose: it calls signal.signal unconditionally and
        # prints debug output to stderr. These are the attributes its methods rely on.
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = sys.stderr
        self.env: dict[str, str] = {}
        self._got_sighup = False
        self._state = CallState()
        self._previous_sighup: Any = None
        self._sighup_installed = False
        if handle_sighup and threading.current_thread() is threading.main_thread():
            try:
                self._previous_sighup = signal.signal(signal.SIGHUP, self._handle_sighup)
                self._sighup_installed = True
            except ValueError:  # not the main interpreter
                pass
        self._read_env()

    # ------------------------------------------------------------------ our API

    @property
    def hung_up(self) -> bool:
        return self._got_sighup or self._state.hung_up

    @property
    def closed(self) -> bool:
        """True once nothing can be written any more (EOF, broken pipe, protocol error)."""
        return self._state.closed

    def send(self, cmd: Command) -> Reply:
        """Send one command and return its final ``200`` reply (see the class docstring)."""
        with _pyst_errors():
            self._write(cmd)
            return self._read_reply()

    def restore_sighup(self) -> None:
        """Put back the SIGHUP handler that was active before this session installed its own."""
        if self._sighup_installed:
            signal.signal(signal.SIGHUP, self._previous_sighup)
            self._sighup_installed = False

    # ------------------------------------------------------------------ pyst2 overrides

    def _quote(self, string: object) -> str:
        return _Quoted(string if isinstance(string, str) else str(string))

    def execute(self, command: str, *args: object) -> dict[str, tuple[str, str]]:
        self.send_command(command, *args)
        return self.get_result()

    def send_command(self, command: str, *args: object) -> None:
        name = " ".join(command.split()).upper()
        with _pyst_errors():
            self._write(Command(name, tuple(_pyst_arg(a) for a in args)))

    def get_result(self, stdin: object = None) -> dict[str, tuple[str, str]]:
        with _pyst_errors():
            reply = self._read_reply()
        return _pyst_result(reply)

    def database_get(self, family: str, key: str) -> str:
        # pyst2 wraps family/key in literal quotes before _quote(); with real quoting that
        # would put the quotes into the key, so quote once.
        res, value = self.execute("DATABASE GET", self._quote(family), self._quote(key))["result"]
        if res == "0":
            raise pyst.AGIDBError(f"Key not found in database: family={family}, key={key}")
        return value

    # ------------------------------------------------------------------ internals

    def _readline(self) -> bytes:
        try:
            return self.stdin.readline(MAX_LINE + 2)
        except (ConnectionResetError, BrokenPipeError):
            return b""

    def _read_env(self) -> None:
        reader = EnvBlockReader()
        try:
            while True:
                raw = self._readline()
                if not raw:
                    break
                if reader.feed(check_raw_line(raw)) or not raw.endswith(b"\n"):
                    break
        finally:
            self.env = reader.env
        if not reader.done:
            self._state.closed = True  # EOF: no reply can ever come

    def _write(self, cmd: Command) -> None:
        if self._got_sighup:
            self._state.signalled = True
        self._state.before_send(cmd)
        data = format_command(cmd)  # AgiArgumentError before anything is written
        try:
            self.stdout.write(data)
            self.stdout.flush()
        except (BrokenPipeError, ConnectionResetError) as exc:
            self._state.closed = True
            raise AgiHangup(f"cannot write to Asterisk: {exc}") from exc
        except BaseException:
            self._state.closed = True
            raise

    def _read_reply(self) -> Reply:
        if self._state.closed:
            raise AgiHangup("connection to Asterisk is closed")
        reader = ReplyReader()
        try:
            while True:
                raw = self._readline()
                if not raw.endswith(b"\n"):  # EOF, possibly after a partial line
                    if len(raw) > MAX_LINE:
                        self._state.closed = True
                        raise AgiProtocolError(f"line from Asterisk longer than {MAX_LINE} bytes")
                    raise self._state.on_eof()
                try:
                    line = check_raw_line(raw)
                except AgiProtocolError:
                    self._state.closed = True
                    raise
                if self._got_sighup:
                    self._state.signalled = True
                reply = self._state.on_line(reader, line)
                if reply is not None:
                    return reply
        except AgiError:
            raise
        except BaseException:
            self._state.closed = True
            raise
