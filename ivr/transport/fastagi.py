"""FastAGI server: one asyncio task per call on a single event loop.

Why asyncio: a call spends almost all its life waiting for Asterisk (a prompt plays for
seconds, the caller thinks). A coroutine waiting on a socket costs a few kilobytes and no
thread, so thousands of concurrent calls fit in one process on two cores; the engine itself
is a plain generator, so no call ever blocks the loop. Blocking work runs in threads: the
database writes in one worker (``AsyncCallRecorder``), the work a call asks for (appeal
numbers from a locked, fsynced file) in the effect threads, and reading the configuration
(SIGHUP) and the audio build (``ivr.transport.provider``) in the loop's default executor.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import ipaddress
import logging
import resource
import signal
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ivr.agi.async_session import AsyncAgiSession
from ivr.agi.protocol import MAX_LINE
from ivr.agi.types import AgiError, AgiHangup
from ivr.config.problems import ConfigError
from ivr.flow.call import dialled_number
from ivr.flow.effects import AsyncEffectRunner
from ivr.flow.engine import CallFlow
from ivr.store.async_recorder import AsyncCallRecorder
from ivr.transport import sockets
from ivr.transport.journals import JournalRecorders
from ivr.transport.provider import ConfigProvider, Snapshot
from ivr.transport.runner import CallRun

log = logging.getLogger(__name__)

#: Script names served (``agi://HOST/ivr``); an empty script name is accepted too.
SCRIPTS = frozenset({"ivr", ""})

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: The default allow-list: this machine only (Asterisk on the same host).
LOOPBACK: tuple[IpNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
#: ``--allow any``: every peer (only behind a firewall that does the filtering).
ANY: tuple[IpNetwork, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
#: Allocations between collections of the youngest generation (Python's default is 700).
GC_THRESHOLD = 20_000
#: At most one "connection limit reached" / "peer refused" log line per this many seconds.
REFUSAL_LOG_EVERY = 10.0


def parse_allow(text: str) -> tuple[IpNetwork, ...]:
    """``"127.0.0.1,10.0.0.0/24"`` -> networks; ``"any"`` -> every address. ValueError if bad."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ValueError("empty allow-list")
    if [i.lower() for i in items] == ["any"]:
        return ANY
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 4573
    max_connections: int = 5000
    env_timeout: float = 10.0  # a client that connects and sends no env block is dropped
    reply_timeout: float = 600.0  # no Asterisk reply takes this long; longer = dead peer
    drain_timeout: float = 30.0  # SIGTERM: running calls get this long to finish
    #: After the drain deadline each remaining call is handed to the operator queue at its
    #: next reply (a prompt ends, a wait times out); calls still running this much later are
    #: closed and recorded ``interrupted`` (the dialplan's fallback queue takes them).
    cut_grace: float = 10.0
    #: Asterisk addresses allowed to connect; anyone else is closed at once with a log line.
    allow: Sequence[IpNetwork] = field(default_factory=lambda: LOOPBACK)


def peer_allowed(peer: object, allow: Sequence[IpNetwork]) -> bool:
    """Is the peer address (``writer.get_extra_info("peername")``) in the allow-list?"""
    if not isinstance(peer, tuple) or not peer:
        return False  # not an IP socket: refuse
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in allow)


def prepare_process(max_connections: int) -> None:
    """Process-wide settings for a server of thousands of calls (``serve_until_stopped``).

    * File descriptors: raise the soft limit to the hard one when ``max_connections``
      sockets (plus the database and logs) would not fit; say so when even that is too low.
    * Garbage collector: what exists at start-up (configuration, SQLAlchemy, modules) is
      moved out of the collector's sight (``gc.freeze``), and the youngest generation is
      collected less often. With 2 000 calls in flight the default settings cost full
      collections of 40-130 ms, which every waiting call then feels as think time.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = hard if hard == resource.RLIM_INFINITY else min(hard, wanted)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if soft < wanted:
            log.warning(
                "only %d file descriptors (ulimit -n) for --max-connections %d; raise "
                "the limit (LimitNOFILE= in the systemd unit)",
                soft,
                max_connections,
            )
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


#: At most this many lines of a reload's change summary are logged.
CHANGES_LOGGED = 40


def change_summary(old: Snapshot, new: Snapshot) -> list[str]:
    """What a reload changed, as ``ivr validate --diff`` says it: ``["no changes"]`` when
    nothing did; a long summary is cut at ``CHANGES_LOGGED`` lines."""
    from ivr.audio.build import stale_prompts
    from ivr.config.diff import diff_configs, render

    source = new.config.source
    lines = render(
        diff_configs(old.config, new.config, stale_prompts),
        f"'ivr prompts build --config {source}'",
    )
    if len(lines) > CHANGES_LOGGED:
        more = len(lines) - CHANGES_LOGGED + 1
        lines = lines[: CHANGES_LOGGED - 1]
        lines.append(f"... {more} more lines: ivr validate --diff OLD {source}")
    return lines


def script_name(env: dict[str, str]) -> str:
    return env.get("agi_network_script", "").split("?", 1)[0].strip("/")


class FastAgiServer:
    """Serves calls on the provider's current snapshot; ``recorder`` records them (and a
    recorder of the same database is made for each other journal a reload names)."""

    def __init__(
        self, provider: ConfigProvider, recorder: AsyncCallRecorder, settings: ServerSettings
    ) -> None:
        self.provider = provider
        self.recorders = JournalRecorders(recorder, provider.current)
        self.settings = settings
        self.active: set[asyncio.Task[None]] = set()
        #: The flow of each running call, for the SIGTERM cut.
        self.flows: dict[asyncio.Task[None], CallFlow] = {}
        self.calls_served = 0
        #: Blocking work a call asks for (appeal numbers...) runs in these threads, never on
        #: the event loop.
        self._effect_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ivr-effect")
        self.refused = {"limit": 0, "peer": 0}
        self.reloads = {"ok": 0, "failed": 0}
        self._last_refusal_log = {"limit": float("-inf"), "peer": float("-inf")}
        self._server: asyncio.Server | None = None
        self._reloading: asyncio.Task[bool] | None = None

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
        self.recorders.start()
        log.info("FastAGI server listening on %s:%d", self.settings.host, self.port)

    def _refuse(self, writer: asyncio.StreamWriter, kind: str, message: str) -> None:
        """Close a connection at once; log it, at most once per ``REFUSAL_LOG_EVERY`` s."""
        self.refused[kind] += 1
        now = time.monotonic()
        if now - self._last_refusal_log[kind] >= REFUSAL_LOG_EVERY:
            self._last_refusal_log[kind] = now
            log.warning("%s (%d refused so far)", message, self.refused[kind])
        writer.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if not peer_allowed(peer, self.settings.allow):
            self._refuse(
                writer,
                "peer",
                f"refusing FastAGI connection from {peer}: address not in the allow-list (--allow)",
            )
            return
        if len(self.active) >= self.settings.max_connections:
            self._refuse(
                writer,
                "limit",
                f"connection limit {self.settings.max_connections} "
                f"reached (--max-connections); refusing {peer}",
            )
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
        sock = writer.get_extra_info("socket")
        if sock is not None:  # no Nagle, no delayed-ACK wait (ivr.transport.sockets)
            sockets.tune_agi_socket(sock)
            session.on_sent = functools.partial(sockets.rearm_quickack, sock)
        try:
            script = script_name(session.env)
            if script not in SCRIPTS:
                # Closing without commands makes AGISTATUS=FAILURE: the dialplan falls back.
                log.warning("unknown FastAGI script %r from %s", script, peer)
                return
            # the dialled number's company; the call keeps its snapshot to its end
            snapshot = (await self._snapshot()).for_dialled(dialled_number(session.env))
            run = CallRun(snapshot, session.env, "fastagi", self.recorders.for_snapshot(snapshot))
            task = asyncio.current_task()
            assert task is not None
            self.flows[task] = run.flow
            try:  # cancelled past the cut grace: closed, but recorded
                await run.run_async(
                    session.send, AsyncEffectRunner(snapshot.effects, self._effect_threads)
                )
            finally:
                self.flows.pop(task, None)
            self.calls_served += 1
        finally:
            await session.close()

    async def _snapshot(self) -> Snapshot:
        """The snapshot for a new call; at most once a second the audio build is looked at
        first (in a worker thread), so a rebuild reaches new calls without a reload."""
        if self.provider.audio_check_due():
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.provider.refresh_audio)
            except Exception:  # the call goes on with the audio it has
                log.exception("checking the audio build failed")
        return self.provider.current

    async def serve_until_stopped(self) -> None:
        """Serve until SIGTERM or SIGINT, then drain running calls and pending records."""
        prepare_process(self.settings.max_connections)
        await self.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        await stop.wait()
        log.info(
            "stopping: %d calls running; waiting up to %.0f s for them",
            len(self.active),
            self.settings.drain_timeout,
        )
        await self.close()
        log.info("stopped after %d calls", self.calls_served)

    def request_reload(self) -> None:
        """SIGHUP: re-read the configuration (in a thread) unless a reload is running."""
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.get_running_loop().create_task(self.reload())

    async def reload(self) -> bool:
        """Load and validate the config file and read the audio build, in a worker thread;
        new calls get the new snapshot, running calls keep theirs.

        An invalid file changes nothing: the problems are logged and the old snapshot stays.
        """
        path = self.provider.path
        if path is None:
            log.warning("SIGHUP ignored: the server was started without a config file path")
            return False
        old = self.provider.current
        loop = asyncio.get_running_loop()
        try:
            new, changes = await loop.run_in_executor(None, self._reload_and_compare, old)
        except (ConfigError, OSError) as exc:
            self.reloads["failed"] += 1
            log.error("config reload of %s refused; keeping the running config:\n%s", path, exc)
            return False
        if new.journal.path != old.journal.path:
            log.warning(
                "config reload: database.journal changed from %s to %s: calls starting now "
                "journal to the new file; the old one is still replayed while this server "
                "runs (what is left in it at a stop: 'ivr db flush' with a config naming it)",
                old.journal.path,
                new.journal.path,
            )
            self.recorders.start()
        self.reloads["ok"] += 1
        log.info(
            "config reloaded from %s; new calls use it (%d running calls keep theirs)",
            path,
            len(self.active),
        )
        for line in changes:
            log.info("config reload: %s", line)
        return True

    def _reload_and_compare(self, old: Snapshot) -> tuple[Snapshot, list[str]]:
        """The reload, and what changed since ``old`` as summary lines (``ivr validate
        --diff``): run in a worker thread (the comparison reads the build manifest)."""
        new = self.provider.reload(self.recorders.prepare)
        try:
            lines = change_summary(old, new)
        except Exception:  # the reload stands; only its summary is lost
            log.exception("config reload: comparing the old and the new config failed")
            lines = []
        return new, lines

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()  # stop accepting; running calls go on
        if self.active:
            _done, pending = await asyncio.wait(
                set(self.active), timeout=self.settings.drain_timeout
            )
            if pending:
                log.warning(
                    "drain deadline: handing %d running calls to the operator queue", len(pending)
                )
                for task in pending:
                    flow = self.flows.get(task)
                    if flow is not None:
                        flow.cut_reason = "the server is stopping"
                _done, pending = await asyncio.wait(pending, timeout=self.settings.cut_grace)
            if pending:
                log.warning(
                    "cutting %d calls that did not reach a reply in %.0f s; the "
                    "dialplan's fallback queue takes them",
                    len(pending),
                    self.settings.cut_grace,
                )
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=5)  # they record their calls
        if self._server is not None:
            await self._server.wait_closed()
        await self.recorders.drain()
        await self.recorders.close()
        self._effect_threads.shutdown(wait=False)
