"""FastAGI server: one asyncio task per call on a single event loop.

Why asyncio: a call spends almost all its life waiting for Asterisk (a prompt plays for
seconds, the caller thinks). A coroutine waiting on a socket costs a few kilobytes and no
thread, so thousands of concurrent calls fit in one process on two cores; the engine itself
is a plain generator, so no call ever blocks the loop. Database writes, the only blocking
work, run in one worker thread (``AsyncCallRecorder``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass

from ivr.agi.async_session import AsyncAgiSession
from ivr.agi.protocol import MAX_LINE
from ivr.agi.types import AgiError, AgiHangup
from ivr.appeals import AppealNumberAllocator
from ivr.call import CallContext
from ivr.config import Config
from ivr.engine import CallFlow, drive_async
from ivr.recorder import AsyncCallRecorder

log = logging.getLogger(__name__)

#: Script names served (``agi://HOST/ivr``); an empty script name is accepted too.
SCRIPTS = frozenset({"ivr", ""})


@dataclass
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 4573
    max_connections: int = 5000
    env_timeout: float = 10.0  # a client that connects and sends no env block is dropped
    reply_timeout: float = 600.0  # no Asterisk reply takes this long; longer = dead peer
    drain_timeout: float = 30.0  # SIGTERM: running calls get this long to finish


def script_name(env: dict[str, str]) -> str:
    return env.get("agi_network_script", "").split("?", 1)[0].strip("/")


class FastAgiServer:
    def __init__(
        self, config: Config, recorder: AsyncCallRecorder, settings: ServerSettings
    ) -> None:
        self.config = config
        self.recorder = recorder
        self.settings = settings
        self.active: set[asyncio.Task[None]] = set()
        self.calls_served = 0
        self.appeal_numbers = AppealNumberAllocator.for_config(config).next
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept,
            self.settings.host,
            self.settings.port,
            limit=MAX_LINE + 2,
            backlog=1024,
        )
        self.recorder.start_replayer()
        log.info("FastAGI server listening on %s:%d", self.settings.host, self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self.active) >= self.settings.max_connections:
            log.warning(
                "connection limit %d reached; refusing %s",
                self.settings.max_connections,
                writer.get_extra_info("peername"),
            )
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self.active.add(task)
        try:
            await self._serve_call(reader, writer)
        finally:
            self.active.discard(task)

    async def _serve_call(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            session = await AsyncAgiSession.start(
                reader,
                writer,
                env_timeout=self.settings.env_timeout,
                reply_timeout=self.settings.reply_timeout,
            )
        except AgiHangup:
            writer.close()
            return
        except AgiError as exc:
            log.warning("dropping connection from %s: %s", peer, exc)
            writer.close()
            return
        try:
            script = script_name(session.env)
            if script not in SCRIPTS:
                # Closing without commands makes AGISTATUS=FAILURE: the dialplan falls back.
                log.warning("unknown FastAGI script %r from %s", script, peer)
                return
            call = CallContext.from_env(session.env, "fastagi")
            flow = CallFlow(self.config, call, appeal_numbers=self.appeal_numbers)
            record = await drive_async(flow.run(), session.send)
            self.calls_served += 1
            self.recorder.record(record)
        finally:
            await session.close()

    async def serve_until_stopped(self) -> None:
        """Serve until SIGTERM or SIGINT, then drain running calls and pending records."""
        await self.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("stopping: %d calls running", len(self.active))
        await self.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()  # stop accepting; running calls go on
        if self.active:
            _done, pending = await asyncio.wait(
                set(self.active), timeout=self.settings.drain_timeout
            )
            for task in pending:
                task.cancel()
        if self._server is not None:
            await self._server.wait_closed()
        await self.recorder.drain()
