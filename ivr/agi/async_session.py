"""FastAGI session over asyncio streams (pyst2 cannot do asyncio).

Same rules as the process-AGI session: one command at a time, ``HANGUP`` lines and EOF
handled, dead-safe commands only after a hangup. Per call it holds one small object and an
``asyncio.Lock``: no threads, no buffers beyond the StreamReader's own (create the server
with ``limit=MAX_LINE + 2`` to keep that small too).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .protocol import (
    MAX_LINE,
    CallState,
    EnvBlockReader,
    ReplyReader,
    check_raw_line,
    format_command,
)
from .types import AgiError, AgiHangup, AgiProtocolError, Command, Reply

_CLOSE_TIMEOUT = 2.0
#: How long a ``200 result=-1`` waits for the ``HANGUP`` line res_agi writes after it when the
#: channel hung up (it notices the hang-up just after the reply). With TCP_QUICKACK on our
#: socket the line follows within a millisecond; without it Asterisk's Nagle holds it until
#: our delayed ACK (40 ms and more). A -1 on a live channel (a missing file) costs this wait.
HANGUP_GRACE = 0.2


async def _readline(reader: asyncio.StreamReader) -> bytes:
    """One raw line; b"" (or a partial line) at EOF; AgiProtocolError if over the limit."""
    try:
        return await reader.readline()
    except (ValueError, asyncio.LimitOverrunError) as exc:
        raise AgiProtocolError(f"line from Asterisk longer than the stream limit: {exc}") from exc
    except ConnectionError:
        return b""


class AsyncAgiSession:
    """One FastAGI call. Build it with ``await AsyncAgiSession.start(reader, writer)``.

    ``send(cmd)`` raises AgiHangup when the call is over (``HANGUP`` line, also one that
    follows a ``-1`` within ``HANGUP_GRACE``, EOF, ``511``, ``-1 (hangup)``, broken
    connection, or ``reply_timeout`` expiry: Asterisk always answers, so a silent peer is
    treated as dead), AgiCommandError for ``503``/``510``/
    ``520``, AgiProtocolError for garbage or an oversized line (the connection is then
    dead), AgiArgumentError for unsafe arguments (nothing is written). A cancelled or
    otherwise interrupted exchange marks the session closed, because the reply that is
    still in flight would be mistaken for the next command's.
    """

    __slots__ = (
        "env",
        "_reader",
        "_writer",
        "_state",
        "_reply_timeout",
        "_lock",
        "_deadline",
        "_timer",
        "_timed_out",
        "on_sent",
        "_pushed",
    )

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        env: dict[str, str],
        *,
        reply_timeout: float | None = None,
    ) -> None:
        """Use ``start()``; this constructor does no I/O and expects the env already read."""
        self.env = env
        self._reader = reader
        self._writer = writer
        self._state = CallState()
        self._reply_timeout = reply_timeout
        self._lock = asyncio.Lock()
        # Reply timeout without a timer per command: ``_deadline`` moves on with every
        # exchange and one timer per session checks it, re-arming itself only when needed.
        self._deadline = 0.0  # 0: no reply awaited
        self._timer: asyncio.TimerHandle | None = None
        self._timed_out = False
        #: Called after each command is written (the server re-arms TCP_QUICKACK there).
        self.on_sent: Callable[[], None] | None = None
        self._pushed = b""  # a line read while waiting for a HANGUP line that was not one

    @classmethod
    async def start(
        cls,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        env_timeout: float = 10.0,
        reply_timeout: float | None = None,
    ) -> AsyncAgiSession:
        """Read the env block and return the session.

        Raises AgiProtocolError if the block does not arrive within ``env_timeout`` seconds
        (or is malformed), AgiHangup on EOF before any line. A block cut short by EOF is
        accepted (the session is then already closed). On error the writer is closed.
        """
        env_reader = EnvBlockReader()
        got_line = False
        try:
            async with asyncio.timeout(env_timeout):
                while True:
                    raw = await _readline(reader)
                    if not raw:
                        break
                    got_line = True
                    if env_reader.feed(check_raw_line(raw)) or not raw.endswith(b"\n"):
                        break
            if not got_line:
                raise AgiHangup("connection closed before the AGI environment")
        except TimeoutError as exc:
            writer.close()
            raise AgiProtocolError(f"no AGI environment within {env_timeout} s") from exc
        except AgiError:
            writer.close()
            raise
        session = cls(reader, writer, env_reader.env, reply_timeout=reply_timeout)
        if not env_reader.done:
            session._state.closed = True
        return session

    @property
    def hung_up(self) -> bool:
        return self._state.hung_up

    @property
    def closed(self) -> bool:
        """True once nothing can be written any more (EOF, broken pipe, protocol error)."""
        return self._state.closed

    async def send(self, cmd: Command) -> Reply:
        """Send one command and return its final ``200`` reply; concurrent calls queue up."""
        self._state.before_send(cmd)
        data = format_command(cmd)  # AgiArgumentError before anything is written
        async with self._lock:
            self._state.before_send(cmd)  # the state may have changed while we waited
            try:
                return await self._exchange(data)
            except AgiError:
                raise
            except BaseException:  # cancelled or interrupted mid-exchange: out of step
                self._state.closed = True
                raise

    async def close(self) -> None:
        """Close the connection; never raises (except for cancellation)."""
        self._state.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            self._writer.close()
            async with asyncio.timeout(_CLOSE_TIMEOUT):
                await self._writer.wait_closed()
        except TimeoutError:
            self._writer.transport.abort()
        except Exception:  # closing must not fail
            pass

    async def _exchange(self, data: bytes) -> Reply:
        if self._writer.is_closing():
            raise self._state.on_eof()
        try:
            self._writer.write(data)
            await self._writer.drain()
            if self.on_sent is not None:
                self.on_sent()
        except ConnectionError as exc:
            self._state.closed = True
            raise AgiHangup(f"cannot write to Asterisk: {exc}") from exc
        if self._reply_timeout is None:
            return await self._read_reply()
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self._reply_timeout
        if self._timer is None:
            self._timer = loop.call_at(self._deadline, self._check_deadline)
        try:
            return await self._read_reply()
        except AgiError as exc:
            if self._timed_out:
                raise AgiHangup(f"no reply from Asterisk within {self._reply_timeout} s") from exc
            raise
        finally:
            self._deadline = 0.0

    def _check_deadline(self) -> None:
        """The session's timer: cut the connection if a reply is overdue, else re-arm."""
        self._timer = None
        if not self._deadline or self._state.closed:
            return  # no reply awaited now: the next exchange arms a new timer
        loop = asyncio.get_running_loop()
        if loop.time() < self._deadline:
            self._timer = loop.call_at(self._deadline, self._check_deadline)
            return
        self._timed_out = True
        self._state.closed = True
        self._writer.transport.abort()  # the pending readline sees EOF

    async def _read_reply(self) -> Reply:
        reader = ReplyReader()
        while True:
            try:
                raw, self._pushed = self._pushed, b""
                raw = raw or await _readline(self._reader)
                if raw.endswith(b"\n"):
                    line = check_raw_line(raw)
                elif len(raw) > MAX_LINE:
                    raise AgiProtocolError(f"line from Asterisk longer than {MAX_LINE} bytes")
                else:  # EOF, possibly after a partial line
                    raise self._state.on_eof()
            except AgiProtocolError:
                self._state.closed = True
                raise
            reply = self._state.on_line(reader, line)
            if reply is not None:
                if reply.result == "-1":
                    await self._hangup_line(reply)
                return reply

    async def _hangup_line(self, reply: Reply) -> None:
        """After a ``-1`` on a channel not known dead: wait ``HANGUP_GRACE`` for the HANGUP
        line; when it comes the call is over (AgiHangup), so the flow needs no CHANNEL STATUS
        to tell a hang-up from a missing file. Anything else read meanwhile (Asterisk writes
        nothing else unsolicited; EOF) is kept for the next command's reply."""
        try:
            async with asyncio.timeout(HANGUP_GRACE):
                raw = await _readline(self._reader)
        except TimeoutError:
            return  # no HANGUP line: the flow asks (CHANNEL STATUS)
        except AgiProtocolError:
            self._state.closed = True
            raise
        if raw.rstrip(b"\r\n") != b"HANGUP" or not raw.endswith(b"\n"):
            self._pushed = raw  # EOF or a line that is not ours to judge: the next read's
            return
        self._state.signalled = True
        raise AgiHangup(f"hangup signalled; command returned {reply.raw}")
