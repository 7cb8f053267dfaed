"""Process AGI transport: Asterisk starts ``ivr agi`` per call and talks over stdin/stdout."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

from ivr.agi.sync_session import PystAgi
from ivr.appeals import AppealNumberAllocator
from ivr.call import CallContext, CallRecord, utcnow
from ivr.config import Config
from ivr.engine import CallFlow, drive_sync
from ivr.recorder import CallRecorder

log = logging.getLogger(__name__)


def run_call(
    config: Config,
    session: PystAgi,
    recorder: CallRecorder,
    transport: str = "agi",
    clock: Callable[[], datetime] = utcnow,
) -> CallRecord:
    """Walk one call through the flow on a blocking session and record it."""
    call = CallContext.from_env(session.env, transport, started_at=clock())
    appeal_numbers = AppealNumberAllocator.for_config(config).next
    record = drive_sync(CallFlow(config, call, clock, appeal_numbers).run(), session.send)
    recorder.record(record)
    return record


def serve_stdio(
    config: Config,
    recorder: CallRecorder,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
) -> CallRecord:
    session = PystAgi(stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)
    return run_call(config, session, recorder)
