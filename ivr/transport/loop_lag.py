"""Event-loop lag: how late a periodic timer on the server's loop fires.

Every call on a FastAGI server shares one event loop; whatever holds it (a long callback, a
garbage collection, a wave of replies queued behind each other, the GIL taken by a thread)
delays every waiting call by as much. A timer due every ``tick`` seconds measures that: the
time between when it was due and when it ran is the lag a reply arriving at that moment
would have waited for. The lags go into a histogram (about 5 % resolution, fixed memory);
every ``every`` seconds one INFO line gives that window's percentiles, and ``stop`` logs the
totals since start::

    event loop lag over 60 s: p50 0.4 ms, p99 12 ms, max 30 ms (5990 ticks)
    event loop lag since start (3600 s): p50 0.4 ms, p99 9.8 ms, max 41 ms (359400 ticks)

``IVR_LOOP_LAG_EVERY`` (seconds, default 60) sets the window; 0 turns the monitor off.
``IVR_LOOP_LAG_TICK`` (seconds, default 0.01) sets the timer's period.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time

log = logging.getLogger(__name__)

EVERY_ENV = "IVR_LOOP_LAG_EVERY"
TICK_ENV = "IVR_LOOP_LAG_TICK"
DEFAULT_EVERY = 60.0
DEFAULT_TICK = 0.01
#: Bucket ``i`` holds lags up to ``FLOOR * GROWTH**i`` seconds (the first: up to 10 µs).
FLOOR = 1e-5
GROWTH = 1.05
BUCKETS = 400  # up to ~3 000 s; anything longer goes in the last bucket


class LagHistogram:
    """Lags in seconds: count, max, and percentiles to about 5 %."""

    def __init__(self) -> None:
        self.counts = [0] * BUCKETS
        self.count = 0
        self.max = 0.0

    def add(self, lag: float) -> None:
        index = 0
        if lag > FLOOR:
            index = min(BUCKETS - 1, math.ceil(math.log(lag / FLOOR, GROWTH)))
        self.counts[index] += 1
        self.count += 1
        if lag > self.max:
            self.max = lag

    def percentile(self, pct: float) -> float:
        """The lag (seconds) that ``pct`` % of the ticks did not exceed (a bucket's upper
        bound, never above the largest lag seen); NaN with no ticks."""
        if not self.count:
            return float("nan")
        rank = max(1, math.ceil(pct / 100 * self.count))
        seen = 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return min(self.max, FLOOR * GROWTH**index)
        return self.max

    def merge(self, other: LagHistogram) -> None:
        for index, n in enumerate(other.counts):
            self.counts[index] += n
        self.count += other.count
        self.max = max(self.max, other.max)

    def summary(self) -> str:
        return (
            f"p50 {_ms(self.percentile(50))}, p99 {_ms(self.percentile(99))}, "
            f"max {_ms(self.max)} ({self.count} ticks)"
        )


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    if ms != ms:
        return "-"
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.0f} ms"


def _env_seconds(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %g", name, text, default)
        return default
    return value if value >= 0 else default


class LoopLagMonitor:
    """A timer every ``tick`` seconds on the running loop; a log line every ``every`` s."""

    def __init__(self, every: float = DEFAULT_EVERY, tick: float = DEFAULT_TICK) -> None:
        self.every = every
        self.tick = max(0.001, tick)
        self.window = LagHistogram()
        self.total = LagHistogram()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._started = 0.0
        self._window_started = 0.0

    @classmethod
    def from_env(cls) -> LoopLagMonitor | None:
        """The monitor the environment asks for (``IVR_LOOP_LAG_EVERY``, ``_TICK``), or
        None when it is turned off (``IVR_LOOP_LAG_EVERY=0``)."""
        every = _env_seconds(EVERY_ENV, DEFAULT_EVERY)
        if every <= 0:
            return None
        return cls(every, _env_seconds(TICK_ENV, DEFAULT_TICK))

    def start(self) -> LoopLagMonitor:
        """Start on the running loop (call from a coroutine)."""
        self._loop = asyncio.get_running_loop()
        self._started = self._window_started = time.monotonic()
        self._due = self._loop.time() + self.tick
        self._handle = self._loop.call_at(self._due, self._fire)
        return self

    def _fire(self) -> None:
        loop = self._loop
        assert loop is not None
        now = loop.time()
        lag = max(0.0, now - self._due)
        self.window.add(lag)
        self.total.add(lag)
        # the next tick is due one period after this one ran: a stall counts once
        self._due = now + self.tick
        self._handle = loop.call_at(self._due, self._fire)
        if self.every and time.monotonic() - self._window_started >= self.every:
            self.flush()

    def flush(self) -> None:
        """Log the current window's line and start a new window."""
        seconds = time.monotonic() - self._window_started
        if self.window.count:
            log.info("event loop lag over %.0f s: %s", seconds, self.window.summary())
        self.window = LagHistogram()
        self._window_started = time.monotonic()

    def stop(self) -> None:
        """Stop the timer; log the last window and the totals since start."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self.window.count and self.window.count != self.total.count:
            self.flush()
        seconds = time.monotonic() - self._started
        log.info("event loop lag since start (%.0f s): %s", seconds, self.total.summary())


def start_from_env() -> LoopLagMonitor | None:
    """``FastAgiServer.serve_until_stopped``: the monitor started on the running loop,
    unless ``IVR_LOOP_LAG_EVERY=0``."""
    monitor = LoopLagMonitor.from_env()
    return monitor.start() if monitor else None
