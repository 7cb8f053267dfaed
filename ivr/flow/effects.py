"""Effects: work a call asks for that may block (a file lock, an fsync, a database query).

The call-flow engine is a sans-IO generator: besides AGI commands it yields ``Effect``
objects and receives an ``EffectResult`` for each. The transport owns an effect runner that
does the work: process AGI and the simulator inline (``EffectRunner.run``), the FastAGI server
in a thread pool with a deadline per effect (``AsyncEffectRunner.submit``), so a slow disk
or database never freezes the other calls on the event loop. A failed or late effect comes
back as a result with an error, which the flow must handle (the caller still reaches a
person), never as an exception or silence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ivr.accounts.model import Account

if TYPE_CHECKING:  # process AGI imports this module: keep asyncio out of its start-up
    from concurrent.futures import Executor


@dataclass(frozen=True)
class Effect:
    """A request for blocking work; subclasses name what to do and carry its arguments."""

    #: Seconds the FastAGI server waits for the result before the flow gets a timeout.
    deadline: ClassVar[float] = 2.0


@dataclass(frozen=True)
class AllocateAppealNumber(Effect):
    """The next appeal number of this server for ``moment`` (a locked, fsynced state file)."""

    moment: datetime


@dataclass(frozen=True)
class FindAccountsByPhone(Effect):
    """The accounts (``ivr.accounts.model.Account``) that have ``phone`` (E.164) on record."""

    phone: str


@dataclass(frozen=True)
class FindAccount(Effect):
    """The account with this personal account number, or with this EIC code; None if none."""

    number: str | None = None
    eic: str | None = None


@dataclass(frozen=True)
class LookUpOutages(Effect):
    """The outages and schedules (``ivr.outages.report.OutageReport``) for an account's
    address, feeder and groups at ``at``."""

    account: Account
    at: datetime


@dataclass(frozen=True)
class FindOpenReport(Effect):
    """The appeal number of the first outage report from the house ``address_key`` since
    ``since`` that is not yet answered or closed, or None; ``test``: among test calls' (a
    simulated report never joins a real one, nor the other way round)."""

    address_key: str
    since: datetime
    test: bool = False


@dataclass(frozen=True)
class LastReading(Effect):
    """The latest meter reading on record for an account (``MeterReadingRecord``), or
    None; a real call leaves out the readings of test calls, a test call sees them all."""

    account_number: str
    include_test: bool = False


@dataclass(frozen=True)
class EffectResult:
    value: Any = None
    error: str | None = None  # why there is no value (failed, timed out, no handler)

    @property
    def ok(self) -> bool:
        return self.error is None


Handler = Callable[[Any], Any]


class EffectRunner:
    """Runs effects inline: one handler per effect type (process AGI, the simulator)."""

    def __init__(self, handlers: Mapping[type[Effect], Handler] | None = None) -> None:
        self.handlers = dict(handlers or {})

    def run(self, effect: Effect) -> EffectResult:
        """Never raises: an unknown effect or a failing handler is an error result."""
        handler = self.handlers.get(type(effect))
        if handler is None:
            return EffectResult(error=f"no handler for {type(effect).__name__} here")
        try:
            return EffectResult(handler(effect))
        except Exception as exc:
            return EffectResult(error=f"{type(exc).__name__}: {exc}")


class AsyncEffectRunner(EffectRunner):
    """Runs effects in ``executor`` threads, off the event loop, each within its deadline."""

    def __init__(self, handlers: Mapping[type[Effect], Handler] | None, executor: Executor) -> None:
        super().__init__(handlers)
        self.executor = executor

    def submit(self, effect: Effect, done: Callable[[EffectResult], None]) -> None:
        """Run ``effect`` in a thread; ``done(result)`` is called on the event loop once,
        with the handler's result or, past the effect's deadline, a timeout error (a late
        thread finishes on its own and its result is dropped). Call it on the loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self.executor, self.run, effect)
        except RuntimeError as exc:  # the threads are shut down: the server is stopping
            loop.call_soon(done, EffectResult(error=f"{type(effect).__name__} not run: {exc}"))
            return
        settled = False

        def settle(result: EffectResult) -> None:
            nonlocal settled
            if not settled:
                settled = True
                timer.cancel()
                done(result)

        def finished(future: asyncio.Future[EffectResult]) -> None:
            if future.cancelled():
                settle(EffectResult(error=f"{type(effect).__name__} was cancelled"))
            else:
                settle(future.result())

        def late() -> None:
            name = type(effect).__name__
            settle(EffectResult(error=f"{name} took longer than {effect.deadline:g} s"))

        timer = loop.call_later(effect.deadline, late)
        future.add_done_callback(finished)
