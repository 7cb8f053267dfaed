"""One call, whichever transport carries it: the call's facts from the AGI environment, its
flow on a configuration snapshot, its start and its record.

Process AGI and the simulator drive the flow on a blocking session (:meth:`CallRun.run`), the
FastAGI server on an asyncio session (:meth:`CallRun.run_async`); the two differ only in the
driver. Stdlib only at import: asyncio is imported by the async entry alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ivr.agi.types import AgiHangup
from ivr.flow.call import CallContext, dialled_number, utcnow
from ivr.flow.drive import drive_async, drive_sync
from ivr.flow.effects import AsyncEffectRunner, EffectRunner
from ivr.flow.engine import CallFlow
from ivr.store.recorder import Recorder

if TYPE_CHECKING:
    from ivr.agi.types import Command, Reply
    from ivr.store.records import CallRecord
    from ivr.transport.provider import Snapshot

#: The error of a call closed after the SIGTERM cut grace (``run_async`` cancelled).
CUT_REASON = "call cut: the server stopped before the call ended; the dialplan's fallback took it"


class CallRun:
    """One call on ``snapshot``: made when the AGI environment has arrived, which also
    records the call's start (so a call whose process dies is still recorded)."""

    def __init__(
        self,
        snapshot: Snapshot,
        env: dict[str, str],
        transport: str,
        recorder: Recorder,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        clock = clock or utcnow
        self.snapshot = snapshot
        self.recorder = recorder
        call = CallContext.from_env(env, transport, started_at=clock())
        self.flow = CallFlow(snapshot.config, call, clock, audio=snapshot.audio)
        recorder.started(self.flow.start_record())
        self.steps = self.flow.run()

    def run(self, send: Callable[[Command], Reply]) -> CallRecord:
        """Drive the call on a blocking session, effects inline; record it."""
        record = drive_sync(self.steps, send, EffectRunner(self.snapshot.effects))
        return self._recorded(record)

    async def run_async(
        self, send: Callable[[Command], Awaitable[Reply]], effects: AsyncEffectRunner
    ) -> CallRecord:
        """Drive the call on an asyncio session, effects in ``effects``' threads; record it.

        Cancelling the task (the server's cut grace is over) ends the flow as ``interrupted``
        with ``CUT_REASON``; the call is still recorded and the task goes on to close the
        connection.
        """
        import asyncio

        try:
            record = await drive_async(self.steps, send, effects)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()
            record = self.interrupted(CUT_REASON)
        return self._recorded(record)

    def interrupted(self, reason: str) -> CallRecord:
        """End a flow whose connection is being closed: it sees a hang-up everywhere and
        returns its record, ``interrupted`` with ``reason``."""
        self.flow.interrupt(reason)
        while True:
            try:
                self.steps.throw(AgiHangup(reason))
            except StopIteration as stop:
                return stop.value

    def _recorded(self, record: CallRecord) -> CallRecord:
        self.recorder.record(record)
        return record


class Session(Protocol):
    env: dict[str, str]

    def send(self, cmd: Command) -> Reply: ...


def run_call(
    snapshot: Snapshot,
    session: Session,
    recorder: Recorder,
    transport: str = "agi",
    clock: Callable[[], datetime] | None = None,
) -> CallRecord:
    """Walk one call through the flow on a blocking session and record it; the snapshot of
    the company whose number was dialled (``snapshot``'s profiles) carries it."""
    chosen = snapshot.for_dialled(dialled_number(session.env))
    return CallRun(chosen, session.env, transport, recorder, clock).run(session.send)
