"""One FastAGI connection as an asyncio protocol: bytes in, lines, replies, the flow pumped.

No stream reader and no task per call: ``data_received`` splits the bytes into lines, the
sans-IO readers of ``ivr.agi.protocol`` turn them into the env block and the replies, and
each reply is pushed into the call's flow (``FlowPump``), whose next command is written at
once. A call waiting for Asterisk is this object, its flow's generator and two small readers.

The rules are the sessions' (``ivr.agi``): one command at a time; ``HANGUP`` lines, ``511``
and EOF end the channel, after which only dead-safe commands are written; a line over
``MAX_LINE`` or garbage closes the connection at once (nothing could be read in step after
it); a peer that does not answer within ``reply_timeout`` is treated as dead. Whatever ends
the call, the flow runs to its end and the call is recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Protocol, cast

from ivr.agi.protocol import (
    MAX_LINE,
    CallState,
    EnvBlockReader,
    ReplyReader,
    check_raw_line,
    format_command,
)
from ivr.agi.types import AgiError, AgiHangup, AgiProtocolError, Command, Reply
from ivr.flow.call import dialled_number
from ivr.flow.drive import FlowPump
from ivr.flow.effects import Effect, EffectResult
from ivr.transport import sockets
from ivr.transport.runner import CallRun

if TYPE_CHECKING:
    from ivr.flow.effects import AsyncEffectRunner
    from ivr.store.records import CallRecord
    from ivr.transport.journals import JournalRecorders
    from ivr.transport.provider import Snapshot

log = logging.getLogger("ivr.transport.fastagi")

#: A closed connection whose peer does not take the close is aborted after this long.
CLOSE_TIMEOUT = 2.0
#: How long a ``200 result=-1`` waits for the ``HANGUP`` line res_agi writes after it when the
#: channel hung up (it notices the hang-up just after the reply). With TCP_QUICKACK on our
#: socket the line follows within a millisecond; without it Asterisk's Nagle holds it until
#: our delayed ACK (40 ms and more). A -1 on a live channel (a missing file) costs this wait.
HANGUP_GRACE = 0.2


class Timeouts(Protocol):
    @property
    def env_timeout(self) -> float: ...

    @property
    def reply_timeout(self) -> float: ...


class Host(Protocol):
    """What a connection needs of its server (``ivr.transport.fastagi.FastAgiServer``)."""

    calls_served: int

    @property
    def scripts(self) -> Collection[str]: ...

    @property
    def settings(self) -> Timeouts: ...

    @property
    def recorders(self) -> JournalRecorders: ...

    def admit(self, connection: AgiConnection) -> bool: ...

    def release(self, connection: AgiConnection) -> None: ...

    def with_snapshot(self, start: Callable[[Snapshot], None]) -> None: ...

    def effect_runner(self, snapshot: Snapshot) -> AsyncEffectRunner: ...


def script_name(env: dict[str, str]) -> str:
    return env.get("agi_network_script", "").split("?", 1)[0].strip("/")


class AgiConnection(asyncio.Protocol):
    """One FastAGI connection of ``server``: its env block, then its call."""

    __slots__ = (
        "server",
        "transport",
        "peer",
        "run",
        "pump",
        "_partial",
        "_env",
        "_got_line",
        "_reader",
        "_state",
        "_waiting",
        "_deadline",
        "_timer",
        "_timed_out",
        "_finished",
        "_lost",
        "_sock",
        "_minus_one",
        "_grace_timer",
    )

    def __init__(self, server: Host) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.peer: object = None
        self.run: CallRun | None = None
        self.pump: FlowPump[CallRecord] | None = None
        self._partial = b""
        #: The env block being read; None once it is complete (or given up).
        self._env: EnvBlockReader | None = EnvBlockReader()
        self._got_line = False
        self._reader = ReplyReader()
        self._state = CallState()
        self._waiting = False  # a command was written and its final reply is awaited
        # Reply timeout without a timer per command: ``_deadline`` moves on with every
        # command and one timer per connection checks it, re-arming itself only when needed.
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._timed_out = False
        self._finished = False  # the call is recorded, or there is no call to run
        self._lost = False
        self._sock: Any = None  # the socket, for TCP_QUICKACK after each command
        #: A ``-1`` reply held for ``HANGUP_GRACE`` while the HANGUP line may follow it.
        self._minus_one: Reply | None = None
        self._grace_timer: asyncio.TimerHandle | None = None

    @property
    def hung_up(self) -> bool:
        return self._state.hung_up

    # -- asyncio callbacks -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.peer = transport.get_extra_info("peername")
        if not self.server.admit(self):
            self._finished = True
            self._env = None
            transport.close()
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:  # no Nagle, no delayed-ACK wait (ivr.transport.sockets)
            sockets.tune_agi_socket(sock)
            self._sock = sock
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.server.settings.env_timeout, self._env_overdue)

    def data_received(self, data: bytes) -> None:
        if self._state.closed or self._finished:
            return  # nothing more is read once the call is recorded
        buffer = self._partial + data if self._partial else data
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            raw = buffer[start : end + 1]
            start = end + 1
            if not self._line(raw) or self._finished:
                return
        rest = buffer[start:]
        if len(rest) > MAX_LINE + 1:
            self._broken(AgiProtocolError(f"line from Asterisk longer than {MAX_LINE} bytes"))
            return
        self._partial = rest

    def eof_received(self) -> bool:
        return False  # close our side too: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._state.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._end_grace()
        if self._env is not None:  # EOF inside the env block
            if self._got_line:
                self._env_complete()  # a block cut short: the call runs on a closed line
            else:
                self._env = None
                self._finished = True
        elif self._waiting and self.pump is not None:
            self._waiting = False
            self.pump.fail(self._eof_error())
        self._maybe_done()

    # -- lines -------------------------------------------------------------------------------

    def _line(self, raw: bytes) -> bool:
        """Handle one raw line; False when the connection was given up."""
        try:
            line = check_raw_line(raw)
        except AgiProtocolError as exc:
            self._broken(exc)
            return False
        env = self._env
        if env is not None:
            self._got_line = True
            try:
                done = env.feed(line)
            except AgiProtocolError as exc:
                self._drop(str(exc))
                return False
            if done:
                self._env_complete()
            return True
        if not self._waiting:
            # Between commands Asterisk sends nothing but the unsolicited HANGUP line.
            if line.rstrip("\r") == "HANGUP":
                self._state.signalled = True
                return True
            self._broken(AgiProtocolError(f"line from Asterisk between commands: {line[:120]!r}"))
            return False
        pump = self.pump
        assert pump is not None
        held = self._end_grace()
        if held is not None:  # a -1 came just before: is this its HANGUP line?
            if line.rstrip("\r") != "HANGUP":  # Asterisk writes nothing else unsolicited
                self._broken(AgiProtocolError(f"line from Asterisk after -1: {line[:120]!r}"))
                return False
            self._state.signalled = True
            self._replied()
            pump.fail(AgiHangup(f"hangup signalled; command returned {held.raw}"))
            return not self._state.closed
        try:
            reply = self._state.on_line(self._reader, line)
        except AgiProtocolError as exc:
            self._broken(exc)
            return False
        except AgiError as exc:  # a hang-up or a rejected command: the flow decides
            self._replied()
            pump.fail(exc)
            return not self._state.closed
        if reply is not None:
            if reply.result == "-1":
                # A hang-up or a missing file. res_agi writes the HANGUP line right after
                # the reply when the channel hung up: wait a moment for it, so that the flow
                # learns of the hang-up without a CHANNEL STATUS round trip.
                self._minus_one = reply
                self._grace_timer = asyncio.get_running_loop().call_later(
                    HANGUP_GRACE, self._no_hangup_line
                )
                return True
            self._replied()
            pump.resume(reply)
        return not self._state.closed

    def _end_grace(self) -> Reply | None:
        """Stop waiting for a HANGUP line; the ``-1`` reply that was held, if any."""
        held, self._minus_one = self._minus_one, None
        if self._grace_timer is not None:
            self._grace_timer.cancel()
            self._grace_timer = None
        return held

    def _no_hangup_line(self) -> None:
        """No HANGUP line followed the ``-1``: the flow gets it (and asks CHANNEL STATUS)."""
        self._grace_timer = None
        held, self._minus_one = self._minus_one, None
        if held is not None and self.pump is not None:
            self._replied()
            self.pump.resume(held)

    def _replied(self) -> None:
        self._waiting = False
        self._deadline = 0.0

    def _broken(self, exc: AgiProtocolError) -> None:
        """Garbage or an oversized line: nothing can be read in step any more. Close at
        once; the flow learns it and ends (its hand-back cannot be written)."""
        self._state.closed = True
        if self.transport is not None:
            self.transport.abort()
        if self._env is not None:
            self._drop(str(exc))
        elif self._waiting and self.pump is not None:
            self._replied()
            self.pump.fail(exc)

    def _drop(self, reason: str) -> None:
        """Give up a connection before its call started."""
        log.warning("dropping connection from %s: %s", self.peer, reason)
        self._env = None
        self._finished = True
        self._state.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _env_overdue(self) -> None:
        self._timer = None
        if self._env is not None:
            self._drop(f"no AGI environment within {self.server.settings.env_timeout:g} s")

    # -- the call ----------------------------------------------------------------------------

    def _env_complete(self) -> None:
        env_reader = self._env
        assert env_reader is not None
        self._env = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        env = env_reader.env
        script = script_name(env)
        if script not in self.server.scripts:
            # Closing without commands makes AGISTATUS=FAILURE: the dialplan falls back.
            log.warning("unknown FastAGI script %r from %s", script, self.peer)
            self._finished = True
            self._close()
            return
        self.server.with_snapshot(lambda snapshot: self._start_call(snapshot, env))

    def _start_call(self, snapshot: Snapshot, env: dict[str, str]) -> None:
        """Start the call on the dialled company's snapshot (kept to the call's end)."""
        try:
            chosen = snapshot.for_dialled(dialled_number(env))
            recorder = self.server.recorders.for_snapshot(chosen)
            self.run = CallRun(chosen, env, "fastagi", recorder)
        except Exception:  # a bug: the dialplan's fallback queue takes the caller
            log.exception("a call from %s could not start; closing its connection", self.peer)
            self._finished = True
            if self.transport is not None:
                self.transport.abort()
            self._maybe_done()
            return
        self.pump = FlowPump(self.run.steps, self._send, self._start_effect, self._finish)
        self.pump.start()

    def _send(self, cmd: Command) -> AgiError | None:
        """Write one command (the pump resumes with its reply), or the error to throw."""
        try:
            self._state.before_send(cmd)
            data = format_command(cmd)  # AgiArgumentError: nothing is written
        except AgiError as exc:
            return exc
        transport = self.transport
        if transport is None or transport.is_closing():
            return self._state.on_eof()
        self._waiting = True
        transport.write(data)
        if self._sock is not None:  # Linux clears it: the reply is acknowledged at once
            sockets.rearm_quickack(self._sock)
        timeout = self.server.settings.reply_timeout
        if timeout:
            loop = asyncio.get_running_loop()
            self._deadline = loop.time() + timeout
            if self._timer is None:
                self._timer = loop.call_at(self._deadline, self._check_deadline)
        return None

    def _check_deadline(self) -> None:
        """The connection's timer: cut the connection if a reply is overdue, else re-arm."""
        self._timer = None
        if not self._deadline or self._state.closed:
            return  # no reply awaited now: the next command arms a new timer
        loop = asyncio.get_running_loop()
        if loop.time() < self._deadline:
            self._timer = loop.call_at(self._deadline, self._check_deadline)
            return
        self._timed_out = True
        if self.transport is not None:
            self.transport.abort()  # connection_lost fails the awaited reply

    def _eof_error(self) -> AgiHangup:
        if self._timed_out:
            return AgiHangup(
                f"no reply from Asterisk within {self.server.settings.reply_timeout:g} s"
            )
        return self._state.on_eof()

    def _start_effect(self, effect: Effect) -> None:
        assert self.run is not None
        self.server.effect_runner(self.run.snapshot).submit(effect, self._effect_done)

    def _effect_done(self, result: EffectResult) -> None:
        if self.pump is not None:
            self.pump.resume(result)

    def _finish(self, record: CallRecord) -> None:
        assert self.run is not None
        self.run.recorded(record)
        # the pump's callbacks are this connection's methods: let go of it now rather than
        # leave a reference cycle for the garbage collector
        self.pump = None
        self.server.calls_served += 1
        self._finished = True
        self._close()
        self._maybe_done()

    def cut(self, reason: str) -> None:
        """SIGTERM past the drain deadline: hand the caller to the operator at the next
        reply (the flow checks ``cut_reason``)."""
        if self.run is not None:
            self.run.flow.cut_reason = reason

    def abandon(self, reason: str) -> None:
        """Past the cut grace: end the flow now as ``interrupted`` (recorded) and close."""
        self._end_grace()
        if self.pump is not None and self.run is not None:
            self.pump.done = True
            self._waiting = False
            self._finish(self.run.interrupted(reason))
        if self.transport is not None:
            self.transport.abort()

    def _close(self) -> None:
        transport = self.transport
        if transport is None or self._lost:
            return
        unsent = transport.get_write_buffer_size()
        transport.close()
        if unsent:  # a peer that does not take what is left (its window full) is cut
            asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._abort_if_open)

    def _abort_if_open(self) -> None:
        if not self._lost and self.transport is not None:
            self.transport.abort()

    def _maybe_done(self) -> None:
        if self._lost and self._finished:
            self.server.release(self)
