"""FastAGI server: every call on a single event loop, one protocol object per connection.

Why asyncio: a call spends almost all its life waiting for Asterisk (a prompt plays for
seconds, the caller thinks). A call waiting on a socket costs a few kilobytes and no thread,
so thousands of concurrent calls fit in one process; the engine itself is a plain generator,
driven from the connection's callbacks (``ivr.transport.connection``: no task, stream or
future per call), so no call ever blocks the loop. Blocking work runs in threads: the
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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ivr.config.problems import ConfigError
from ivr.flow.effects import AsyncEffectRunner
from ivr.store.async_recorder import AsyncCallRecorder
from ivr.transport.connection import AgiConnection
from ivr.transport.journals import JournalRecorders
from ivr.transport.listener import Acceptor, listening_sockets
from ivr.transport.loop_lag import start_from_env as start_loop_lag
from ivr.transport.provider import ConfigProvider, Snapshot
from ivr.transport.runner import CUT_REASON

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
    #: ``SO_REUSEPORT``: several worker processes (``ivr serve --workers N``) listen on one
    #: port and the kernel spreads the connections between them.
    reuse_port: bool = False


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


class FastAgiServer:
    """Serves calls on the provider's current snapshot; ``recorder`` records them (and a
    recorder of the same database is made for each other journal a reload names)."""

    #: Script names served (``agi://HOST/ivr``; an empty one too).
    scripts = SCRIPTS

    def __init__(
        self, provider: ConfigProvider, recorder: AsyncCallRecorder, settings: ServerSettings
    ) -> None:
        self.provider = provider
        self.recorders = JournalRecorders(recorder, provider.current)
        self.settings = settings
        #: Every open connection (env block, call, closing): the connection limit and the
        #: SIGTERM drain count these.
        self.active: set[AgiConnection] = set()
        self.calls_served = 0
        #: Blocking work a call asks for (appeal numbers, look-ups) runs in these threads,
        #: never on the event loop.
        self.effect_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ivr-effect")
        self._effect_runners: dict[int, tuple[object, AsyncEffectRunner]] = {}
        self.refused = {"limit": 0, "peer": 0}
        self.reloads = {"ok": 0, "failed": 0}
        self._last_refusal_log = {"limit": float("-inf"), "peer": float("-inf")}
        self._acceptor: Acceptor | None = None
        self._reloading: asyncio.Task[bool] | None = None

    @property
    def port(self) -> int:
        assert self._acceptor is not None
        return int(self._acceptor.sockets[0].getsockname()[1])

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        listen = functools.partial(
            listening_sockets,
            self.settings.host,
            self.settings.port,
            # a storm's connects queue here while the loop is busy (the kernel caps it at
            # net.core.somaxconn): a full queue drops SYNs, which cost the caller 1 s each
            backlog=max(1024, self.settings.max_connections),
            reuse_port=self.settings.reuse_port,
        )
        listening = await loop.run_in_executor(None, listen)  # getaddrinfo may block
        self._acceptor = Acceptor(loop, listening, lambda: AgiConnection(self))
        self._acceptor.start()
        self.recorders.start()
        log.info("FastAGI server listening on %s:%d", self.settings.host, self.port)

    # -- what the connections ask of the server ---------------------------------------------

    def admit(self, connection: AgiConnection) -> bool:
        """Is this new connection served? (its peer in the allow-list, a free slot)"""
        peer = connection.peer
        if not peer_allowed(peer, self.settings.allow):
            self._refuse(
                "peer",
                f"refusing FastAGI connection from {peer}: address not in the allow-list (--allow)",
            )
            return False
        if len(self.active) >= self.settings.max_connections:
            self._refuse(
                "limit",
                f"connection limit {self.settings.max_connections} "
                f"reached (--max-connections); refusing {peer}",
            )
            return False
        self.active.add(connection)
        return True

    def release(self, connection: AgiConnection) -> None:
        """The connection is closed and its call recorded: its slot is free."""
        self.active.discard(connection)

    def _refuse(self, kind: str, message: str) -> None:
        """Count a refused connection; log it, at most once per ``REFUSAL_LOG_EVERY`` s."""
        self.refused[kind] += 1
        now = time.monotonic()
        if now - self._last_refusal_log[kind] >= REFUSAL_LOG_EVERY:
            self._last_refusal_log[kind] = now
            log.warning("%s (%d refused so far)", message, self.refused[kind])

    def with_snapshot(self, start: Callable[[Snapshot], None]) -> None:
        """Call ``start`` with the snapshot for a new call. At most once a second the audio
        build is looked at first (in a worker thread), so a rebuild reaches new calls
        without a reload: the call that comes due waits for that look, the calls arriving
        meanwhile go on with the snapshot there is."""
        if not self.provider.audio_check_due():
            start(self.provider.current)
            return
        future = asyncio.get_running_loop().run_in_executor(None, self.provider.refresh_audio)
        future.add_done_callback(functools.partial(self._audio_checked, start))

    def _audio_checked(
        self, start: Callable[[Snapshot], None], future: asyncio.Future[bool]
    ) -> None:
        if not future.cancelled() and future.exception() is not None:
            # the call goes on with the audio it has
            log.error("checking the audio build failed", exc_info=future.exception())
        start(self.provider.current)

    def effect_runner(self, snapshot: Snapshot) -> AsyncEffectRunner:
        """The effect runner of a snapshot's services (one per snapshot, not per call)."""
        key = id(snapshot.effects)
        entry = self._effect_runners.get(key)
        if entry is None or entry[0] is not snapshot.effects:
            if len(self._effect_runners) > 16:  # old snapshots' runners (reloads)
                self._effect_runners.clear()
            entry = (snapshot.effects, AsyncEffectRunner(snapshot.effects, self.effect_threads))
            self._effect_runners[key] = entry
        return entry[1]

    async def serve_until_stopped(self, reload_first: Callable[[], bool] | None = None) -> None:
        """Serve until SIGTERM or SIGINT, then drain running calls and pending records.

        ``reload_first``: did a SIGHUP arrive before the loop handled it (a worker of
        ``serve --workers N`` starting)? Then reload as soon as the server listens."""
        prepare_process(self.settings.max_connections)
        await self.start()
        lag = start_loop_lag()  # logs the event loop's lag (IVR_LOOP_LAG_EVERY seconds)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        if reload_first is not None and reload_first():
            log.info("SIGHUP arrived while starting: reloading the configuration now")
            self.request_reload()
        await stop.wait()
        log.info(
            "stopping: %d calls running; waiting up to %.0f s for them",
            len(self.active),
            self.settings.drain_timeout,
        )
        await self.close()
        if lag is not None:
            lag.stop()
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

    async def _wait_for_calls(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every connection to end; True if they did."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.active and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return not self.active

    async def close(self) -> None:
        if self._acceptor is not None:
            self._acceptor.close()  # stop accepting; running calls go on
        if self.active and not await self._wait_for_calls(self.settings.drain_timeout):
            log.warning(
                "drain deadline: handing %d running calls to the operator queue",
                len(self.active),
            )
            for connection in list(self.active):
                connection.cut("the server is stopping")
            if not await self._wait_for_calls(self.settings.cut_grace):
                log.warning(
                    "cutting %d calls that did not reach a reply in %.0f s; the "
                    "dialplan's fallback queue takes them",
                    len(self.active),
                    self.settings.cut_grace,
                )
                for connection in list(self.active):
                    connection.abandon(CUT_REASON)  # recorded as interrupted
                await self._wait_for_calls(5)
        await self.recorders.drain()
        await self.recorders.close()
        self.effect_threads.shutdown(wait=False)
