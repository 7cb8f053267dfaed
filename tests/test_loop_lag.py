"""The event-loop lag monitor (``ivr.transport.loop_lag``) on a real event loop."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from ivr.transport.loop_lag import LagHistogram, LoopLagMonitor


def test_histogram_percentiles_within_five_percent():
    h = LagHistogram()
    for ms in range(1, 101):  # 1..100 ms
        h.add(ms / 1000)
    assert h.count == 100
    assert h.max == pytest.approx(0.1)
    assert h.percentile(50) == pytest.approx(0.050, rel=0.06)
    assert h.percentile(99) == pytest.approx(0.099, rel=0.06)
    assert h.percentile(100) == pytest.approx(0.1)
    other = LagHistogram()
    other.add(2.0)
    h.merge(other)
    assert h.count == 101 and h.max == 2.0
    assert LagHistogram().percentile(50) != LagHistogram().percentile(50)  # NaN when empty


def test_a_blocking_call_on_the_loop_shows_as_lag(caplog):
    caplog.set_level(logging.INFO, logger="ivr.transport.loop_lag")

    async def main() -> LoopLagMonitor:
        monitor = LoopLagMonitor(every=3600, tick=0.005).start()
        await asyncio.sleep(0.1)  # idle: the timer is on time
        idle_max = monitor.total.max
        time.sleep(0.25)  # blocks the loop
        await asyncio.sleep(0.05)
        monitor.stop()
        assert idle_max < 0.1
        return monitor

    monitor = asyncio.run(main())
    assert monitor.total.max >= 0.2
    assert monitor.total.count >= 10
    assert monitor.total.percentile(50) < 0.1  # most ticks were on time
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("event loop lag since start") for line in lines), lines


def test_a_line_every_window(caplog):
    caplog.set_level(logging.INFO, logger="ivr.transport.loop_lag")

    async def main() -> None:
        monitor = LoopLagMonitor(every=0.05, tick=0.005).start()
        await asyncio.sleep(0.2)
        monitor.stop()

    asyncio.run(main())
    windows = [r.getMessage() for r in caplog.records if "lag over" in r.getMessage()]
    assert len(windows) >= 2
    assert "p50" in windows[0] and "p99" in windows[0] and "max" in windows[0]


def test_the_environment_sets_or_turns_off_the_monitor(monkeypatch):
    monkeypatch.setenv("IVR_LOOP_LAG_EVERY", "0")
    assert LoopLagMonitor.from_env() is None
    monkeypatch.setenv("IVR_LOOP_LAG_EVERY", "5")
    monkeypatch.setenv("IVR_LOOP_LAG_TICK", "0.02")
    monitor = LoopLagMonitor.from_env()
    assert monitor is not None and monitor.every == 5 and monitor.tick == 0.02
    monkeypatch.setenv("IVR_LOOP_LAG_EVERY", "soon")
    monitor = LoopLagMonitor.from_env()
    assert monitor is not None and monitor.every == 60
