"""One call, whichever transport carries it: the call's facts from the AGI environment, its
flow on a configuration snapshot, its start and its record.

Process AGI and the simulator drive the flow on a blocking session (:meth:`CallRun.run`); the
FastAGI server pushes Asterisk's replies into ``steps`` from its protocol callbacks
(``ivr.transport.connection``) and hands the record back with :meth:`CallRun.recorded`. The
two differ only in the driver. Stdlib only at import (process AGI's start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ivr.agi.types import AgiHangup
from ivr.flow.call import CallContext, dialled_number, utcnow
from ivr.flow.drive import drive_sync
from ivr.flow.effects import EffectRunner
from ivr.flow.engine import CallFlow
from ivr.store.recorder import Recorder

if TYPE_CHECKING:
    from ivr.agi.types import Command, Reply
    from ivr.store.records import CallRecord
    from ivr.transport.provider import Snapshot

#: The error of a call closed after the SIGTERM cut grace.
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
        return self.recorded(record)

    def interrupted(self, reason: str) -> CallRecord:
        """End a flow whose connection is being closed: it sees a hang-up everywhere and
        returns its record, ``interrupted`` with ``reason``."""
        self.flow.interrupt(reason)
        while True:
            try:
                self.steps.throw(AgiHangup(reason))
            except StopIteration as stop:
                return stop.value

    def recorded(self, record: CallRecord) -> CallRecord:
        """Hand the finished call's record to the recorder."""
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
