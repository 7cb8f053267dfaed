"""Process-AGI session: pyst2's ``AGI`` class on top of our strict protocol layer.

``PystAgi`` keeps pyst2's ``env``, its SIGHUP flag and its exceptions (ours are also
catchable as pyst2's), but its one command method is ``send(cmd) -> Reply`` and every byte
goes through ``ivr.agi.protocol``: arguments are quoted safely, ``HANGUP`` lines, EOF, ``511``
and ``520`` are handled, and the constructor works outside the main thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import BinaryIO

from asterisk import agi as pyst

from .protocol import (
    MAX_LINE,
    CallState,
    EnvBlockReader,
    ReplyReader,
    check_raw_line,
    format_command,
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


class PystAgi(pyst.AGI):
    """pyst2 ``AGI`` over binary streams (``sys.stdin.buffer``/``sys.stdout.buffer`` or
    ``socket.makefile('rb'/'wb')``), with a strict protocol underneath.

    * ``send(cmd)`` writes one command (never pipelined, flushed) and returns the ``200``
      Reply; ``200 result=-1`` is returned unless a hangup was signalled (SIGHUP) by the
      time it is parsed.
    * Raises AgiHangup (also pyst2's AGIHangup) when the call is over, AgiCommandError for
      ``503``/``510``/``520``, AgiProtocolError for garbage, AgiArgumentError for unsafe args.
    * After a hangup (SIGHUP, ``HANGUP`` line, ``511``) only dead-safe commands are written;
      after EOF or a broken pipe nothing is.
    * SIGHUP is handled only if ``handle_sighup`` and the constructor runs in the main thread
      (``signal.signal`` is impossible elsewhere).
    * If the exchange is interrupted by a foreign exception (socket timeout,
      KeyboardInterrupt), the stream may be out of step, so the session is marked closed.
    * pyst2's own command methods (``answer()``, ``stream_file()``...) are not part of it:
      they fail without writing anything (they would write unquoted text).
    """

    def __init__(self, stdin: BinaryIO, stdout: BinaryIO, *, handle_sighup: bool = True) -> None:
        # pyst2's __init__ is skipped on purpose: it calls signal.signal unconditionally and
        # prints debug output to stderr. ``_got_sighup`` is its SIGHUP handler's flag.
        self.stdin = stdin
        self.stdout = stdout
        self.env: dict[str, str] = {}
        self._got_sighup = False
        self._state = CallState()
        if handle_sighup and threading.current_thread() is threading.main_thread():
            with suppress(ValueError):  # not the main interpreter
                signal.signal(signal.SIGHUP, self._handle_sighup)
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
