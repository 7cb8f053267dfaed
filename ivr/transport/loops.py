"""Which asyncio event loop the FastAGI server runs on: uvloop when it is there, else asyncio's.

uvloop (libuv under asyncio's interface) does the loop's own work, the socket reads and
writes, the selector and the timers, in C; the server's calls are protocol callbacks
(``ivr.transport.connection``), which is where that shows most. ``BENCHMARKS.md`` has the
measurement. Where uvloop is not installed (it has no wheel for the platform, or the
installation left it out) ``auto`` falls back to the standard loop with one log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: ``ivr serve --loop`` choices.
CHOICES = ("auto", "uvloop", "asyncio")


class LoopUnavailable(RuntimeError):
    """``--loop uvloop`` where uvloop cannot be imported."""


def loop_factory(choice: str = "auto") -> tuple[str, Callable[[], asyncio.AbstractEventLoop]]:
    """The loop's name and a function making one. ``auto``: uvloop if importable."""
    if choice not in CHOICES:
        raise ValueError(f"unknown event loop {choice!r}; expected one of {', '.join(CHOICES)}")
    if choice in ("auto", "uvloop"):
        try:
            import uvloop
        except ImportError as exc:
            if choice == "uvloop":
                raise LoopUnavailable(
                    f"--loop uvloop: uvloop cannot be imported ({exc}); install it "
                    "(pip install uvloop) or use --loop asyncio"
                ) from exc
            log.info("uvloop is not installed: the standard asyncio event loop serves the calls")
        else:
            return "uvloop", uvloop.new_event_loop
    return "asyncio", asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], choice: str = "auto") -> T:
    """``asyncio.run(main)`` on the chosen loop."""
    name, factory = loop_factory(choice)
    log.info("event loop: %s", name)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
