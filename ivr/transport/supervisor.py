"""``ivr serve --workers N``: N FastAGI worker processes on one port, watched by a supervisor.

One event loop uses one core; a busy call centre has more. Each worker is a whole
``ivr serve`` (its own event loop, recorder, journal writer and effect threads), started as
``python -m ivr serve ... --worker K --worker-of PID`` and listening on the same port with
``SO_REUSEPORT``, so the kernel spreads new connections between the workers' own listening
sockets. The supervisor does no call work:

* it reserves the port first (a socket bound with ``SO_REUSEPORT`` that never listens, so it
  receives no connection), which makes ``--listen HOST:0`` one port for every worker and says
  at once when the port is taken;
* it restarts a worker that dies (a crash, SIGKILL, the OOM killer) after a backoff that
  doubles while the worker keeps dying young (``MIN_BACKOFF`` to ``MAX_BACKOFF``), so a
  worker failing in a loop does not spin the CPU;
* SIGHUP is passed on to every worker (each reloads its configuration);
* SIGTERM and SIGINT are passed on as SIGTERM (each worker drains its calls); the supervisor
  waits for them and exits 0 when every worker stopped cleanly.

A worker asks the kernel for SIGTERM when the supervisor dies (``PR_SET_PDEATHSIG``), so a
killed supervisor leaves no worker behind: each drains and stops.

The workers share the configured journal (appends and replays are serialised by ``flock``,
and each call start names the process running it): a restarted worker replays the journal at
once, and the calls its dead predecessor was running are saved ``interrupted``. They share the
appeal-number state file as well (``ivr.store.appeals``: a fresh descriptor and ``flock`` per
number).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger("ivr.supervisor")

#: The first restart of a dead worker waits this long (seconds)...
MIN_BACKOFF = 0.5
#: ...doubling while it keeps dying young, up to this.
MAX_BACKOFF = 10.0
#: A worker that ran this long before it died counts as healthy: its backoff starts again.
HEALTHY_AFTER = 30.0
#: How often the supervisor looks at its workers (seconds).
POLL = 0.1


@dataclass
class Worker:
    number: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = MIN_BACKOFF
    restart_at: float | None = None
    restarts: int = 0


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound (never listening) to ``host:port`` with ``SO_REUSEPORT``: it keeps the
    port for the workers and names it when ``port`` is 0. OSError when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def exit_text(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit code {code}"


def die_with_parent(parent: int) -> None:
    """Worker: SIGTERM to this process when the supervisor ``parent`` dies (Linux's
    ``PR_SET_PDEATHSIG``); if it is gone already, stop now."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    if os.getppid() != parent:
        raise SystemExit(f"ivr: worker: the supervisor (pid {parent}) is gone")


def _ignore_hup() -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


class Supervisor:
    """Runs ``count`` workers (``command(K)`` starts worker K) until SIGTERM or SIGINT."""

    def __init__(
        self,
        command: Callable[[int], list[str]],
        count: int,
        stop_timeout: float,
    ) -> None:
        self.command = command
        self.workers = [Worker(number) for number in range(1, count + 1)]
        #: After SIGTERM, workers still running this much later are killed.
        self.stop_timeout = stop_timeout
        self._stop: int | None = None
        self._hup = False

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        self._stop = signum

    def _on_hup(self, _signum: int, _frame: FrameType | None) -> None:
        self._hup = True

    def run(self) -> int:
        """Start the workers, watch them until SIGTERM/SIGINT, stop them; the exit code."""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)
        log.info("supervisor (pid %d) starting %d workers", os.getpid(), len(self.workers))
        for worker in self.workers:
            self._start(worker)
        while self._stop is None:
            if self._hup:
                self._hup = False
                self._forward_hup()
            now = time.monotonic()
            for worker in self.workers:
                self._watch(worker, now)
            time.sleep(POLL)
        return self._stop_all(self._stop)

    def _start(self, worker: Worker) -> None:
        worker.restart_at = None
        try:
            # SIGHUP ignored from the fork until the worker handles it: one that arrives
            # before then is moot (the worker reads the configuration after it)
            worker.proc = subprocess.Popen(self.command(worker.number), preexec_fn=_ignore_hup)
        except OSError as exc:
            log.error("cannot start worker %d: %s", worker.number, exc)
            worker.proc = None
            self._schedule_restart(worker, time.monotonic())
            return
        worker.started = time.monotonic()
        log.info("worker %d started (pid %d)", worker.number, worker.proc.pid)

    def _schedule_restart(self, worker: Worker, now: float) -> None:
        if now - worker.started >= HEALTHY_AFTER:
            worker.backoff = MIN_BACKOFF
        worker.restart_at = now + worker.backoff
        worker.restarts += 1
        worker.backoff = min(worker.backoff * 2, MAX_BACKOFF)

    def _watch(self, worker: Worker, now: float) -> None:
        if worker.restart_at is not None:
            if now >= worker.restart_at:
                self._start(worker)
            return
        if worker.proc is None:
            return
        code = worker.proc.poll()
        if code is None:
            return
        self._schedule_restart(worker, now)
        assert worker.restart_at is not None
        log.error(
            "worker %d (pid %d) died (%s) after %.1f s; restarting it in %.1f s",
            worker.number,
            worker.proc.pid,
            exit_text(code),
            now - worker.started,
            worker.restart_at - now,
        )
        worker.proc = None

    def _running(self) -> list[subprocess.Popen[bytes]]:
        return [w.proc for w in self.workers if w.proc is not None and w.proc.poll() is None]

    def _forward_hup(self) -> None:
        running = self._running()
        log.info("SIGHUP: reloading the configuration in %d workers", len(running))
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGHUP)

    def _stop_all(self, signum: int) -> int:
        running = self._running()
        log.info(
            "%s: stopping %d workers (each drains its calls)",
            signal.Signals(signum).name,
            len(running),
        )
        for running_proc in running:
            with contextlib.suppress(ProcessLookupError):
                running_proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        clean = True
        for worker in self.workers:
            if worker.proc is None:
                continue
            proc = worker.proc
            try:
                code = proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error(
                    "worker %d (pid %d) still running %.0f s after SIGTERM; killing it",
                    worker.number,
                    proc.pid,
                    self.stop_timeout,
                )
                proc.kill()
                code = proc.wait()
            if code not in (0, -signal.SIGTERM):
                clean = False
                log.error(
                    "worker %d (pid %d) stopped: %s", worker.number, proc.pid, exit_text(code)
                )
        log.info("supervisor stopped")
        return 0 if clean else 1
