"""Writing call records at the end of a call, without losing them and without blocking calls.

The database comes first; when it fails (down, slow, full) the record goes to the local
journal, and after a failure the database is left alone for ``retry_after`` seconds so that a
dead database costs each call one fsync, not a connect timeout. The journal is replayed when
the database answers again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ivr.call import CallRecord
from ivr.callerid import mask
from ivr.journal import Journal, ReplayReport
from ivr.storage import CallRepository

log = logging.getLogger(__name__)

DATABASE = "database"
JOURNAL = "journal"
LOST = "lost"


class CallRecorder:
    def __init__(
        self,
        repository: CallRepository,
        journal: Journal | None = None,
        retry_after: float = 5.0,
        clock=time.monotonic,
    ) -> None:
        self.repository = repository
        self.journal = journal
        self.retry_after = retry_after
        self.clock = clock
        self._down_until = 0.0
        self._lock = threading.Lock()  # replay and breaker state across threads
        self.counts = {DATABASE: 0, JOURNAL: 0, LOST: 0}

    @property
    def database_down(self) -> bool:
        return self.clock() < self._down_until

    def record(self, record: CallRecord) -> str:
        """Store a record; returns where it went: ``database``, ``journal`` or ``lost``."""
        error: Exception | None = None
        if not self.database_down:
            try:
                self.repository.save_call(record)
                self.counts[DATABASE] += 1
                return DATABASE
            except Exception as exc:
                error = exc
                self._down_until = self.clock() + self.retry_after
                log.warning("database unavailable (%s); journalling call records for %.0f s",
                            _first_line(exc), self.retry_after)
        if self.journal is not None:
            try:
                self.journal.append(record)
                self.counts[JOURNAL] += 1
                return JOURNAL
            except Exception as exc:
                error = exc
        self.counts[LOST] += 1
        log.error(
            "CALL RECORD NOT SAVED (%s); record follows, caller numbers masked: %s",
            _first_line(error) if error else "database unavailable and no journal",
            json.dumps(masked(record.to_json()), ensure_ascii=False),
        )
        return LOST

    def flush(self) -> ReplayReport:
        """Replay the journal into the database (``ivr db flush`` and the server's timer)."""
        if self.journal is None:
            return ReplayReport()
        with self._lock:
            report = self.journal.replay(self.repository.save_call)
        if report.error:
            self._down_until = self.clock() + self.retry_after
        elif report.replayed or report.already_stored:
            self._down_until = 0.0
            log.info("journal replayed: %s", report)
        return report


def masked(data: dict[str, object]) -> dict[str, object]:
    """A record for a log line: personal data (caller numbers) masked."""
    data = dict(data)
    for key in ("caller_raw", "caller_number"):
        data[key] = mask(data.get(key))  # type: ignore[arg-type]
    if "appeals" in data:
        data["appeals"] = [masked(a) for a in data["appeals"] or []]  # type: ignore[union-attr]
    return data


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class AsyncCallRecorder:
    """Runs the blocking writes in one worker thread, off the event loop; the call never waits."""

    def __init__(self, recorder: CallRecorder, replay_every: float = 10.0) -> None:
        self.recorder = recorder
        self.replay_every = replay_every
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ivr-db")
        self._pending: set[asyncio.Future[str]] = set()
        self._replayer: asyncio.Task[None] | None = None

    def record(self, record: CallRecord) -> asyncio.Future[str]:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self.recorder.record, record)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return future

    def start_replayer(self) -> None:
        """Replay the journal periodically while the server runs."""
        if self._replayer is None and self.recorder.journal is not None:
            self._replayer = asyncio.get_running_loop().create_task(self._replay_loop())

    async def _replay_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.replay_every)
            if self.recorder.journal and self.recorder.journal.pending() \
                    and not self.recorder.database_down:
                try:
                    await loop.run_in_executor(self._executor, self.recorder.flush)
                except Exception:
                    log.exception("journal replay failed")

    async def drain(self) -> None:
        """Wait for every record handed over so far to be written (or journalled)."""
        if self._replayer is not None:
            self._replayer.cancel()
            self._replayer = None
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
