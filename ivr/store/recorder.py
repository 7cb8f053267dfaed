"""Writing call records at the end of a call, without losing them and without blocking calls.

The database comes first; when it fails (down, slow, full) the record goes to the local
journal, and after a failure the database is left alone for ``retry_after`` seconds so that a
dead database costs each call one fsync, not a connect timeout. The journal is replayed when
the database answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ivr.callerid import masked
from ivr.store.journal import Journal, RecordRejected, ReplayReport, StartWriter, first_line
from ivr.store.records import CallRecord
from ivr.store.repository import CallRepository

log = logging.getLogger(__name__)

DATABASE = "database"
JOURNAL = "journal"
REJECTED = "rejected"  # the database refuses the record itself: set aside, with the reason
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
        self.counts = {DATABASE: 0, JOURNAL: 0, REJECTED: 0, LOST: 0}
        self.last_problem: str | None = None  # why the last record did not reach the database

    @property
    def database_down(self) -> bool:
        return self.clock() < self._down_until

    def record(self, record: CallRecord) -> str:
        """Store a record; returns where it went: ``database``, ``journal`` or ``lost``."""
        error: Exception | None = None
        self.last_problem = None
        if not self.database_down:
            try:
                self.repository.save_call(record)
                self.counts[DATABASE] += 1
                return DATABASE
            except RecordRejected as exc:
                return self._set_aside(record, exc)
            except Exception as exc:
                error = exc
                self._down_until = self.clock() + self.retry_after
                log.warning(
                    "database unavailable (%s); journalling call records for %.0f s",
                    first_line(exc),
                    self.retry_after,
                )
        if self.journal is not None:
            try:
                self.journal.append(record)
                self.counts[JOURNAL] += 1
                return JOURNAL
            except Exception as exc:
                error = exc
        return self._lost(
            record, first_line(error) if error else "database unavailable and no journal"
        )

    def _lost(self, record: CallRecord, problem: str) -> str:
        """Neither the database nor the journal took it: the whole record goes to the log."""
        self.counts[LOST] += 1
        self.last_problem = problem
        log.error(
            "CALL RECORD NOT SAVED (%s); record follows, caller numbers masked: %s",
            problem,
            json.dumps(masked(record.to_json()), ensure_ascii=False),
        )
        return LOST

    def _set_aside(self, record: CallRecord, reason: RecordRejected) -> str:
        """A record the database refuses: kept beside the journal, never retried in a loop."""
        problem = str(reason)
        if self.journal is not None:
            try:
                self.journal.set_aside(record)
            except OSError as exc:
                problem += f"; not kept either: {exc}"
            else:
                self.counts[REJECTED] += 1
                self.last_problem = problem
                log.error(
                    "CALL RECORD NOT SAVED in the database (%s); kept in %s",
                    reason,
                    self.journal.broken_path,
                )
                return REJECTED
        return self._lost(record, problem)

    def record_many(self, records: list[CallRecord]) -> list[str]:
        """Store several records, in one database transaction when the database allows it.

        Under load this costs one commit for a whole batch instead of one per call. If the
        batch fails (a record already stored, the database gone), each record goes its own
        way through ``record``: database, journal or the error log. Never raises.
        """
        save_calls = getattr(self.repository, "save_calls", None)
        if len(records) > 1 and save_calls is not None and not self.database_down:
            try:
                save_calls(records)
            except Exception as exc:
                log.debug(
                    "batch of %d records failed (%s); one by one", len(records), first_line(exc)
                )
            else:
                self.counts[DATABASE] += len(records)
                return [DATABASE] * len(records)
        return [self.record(record) for record in records]

    def flush(self) -> ReplayReport:
        """Replay the journal into the database (``ivr db flush`` and the server's timer)."""
        if self.journal is None:
            return ReplayReport()
        with self._lock:
            report = self.journal.replay(
                self.repository.save_call, self.repository.stored_call_uids
            )
        if report.error:
            self._down_until = self.clock() + self.retry_after
        elif report.changed:
            self._down_until = 0.0
            log.info("journal replayed: %s", report)
        return report


def _resolve(futures: list[asyncio.Future[str]], places: list[str]) -> None:
    for future, place in zip(futures, places, strict=False):
        if not future.done():
            future.set_result(place)


#: Records written in one transaction at most (the queue is drained in batches this big).
MAX_BATCH = 200


class AsyncCallRecorder:
    """Runs the blocking writes in one worker thread, off the event loop; the call never waits.

    Records queue up while the worker writes; the worker takes everything queued (up to
    ``MAX_BATCH``) and writes it in one transaction, so a burst of calls costs a few commits,
    not one each, and the worker holds the GIL (which the event loop needs) far less.
    """

    def __init__(self, recorder: CallRecorder, replay_every: float = 10.0) -> None:
        self.recorder = recorder
        self.replay_every = replay_every
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ivr-db")
        self._pending: set[asyncio.Future[str]] = set()
        self._replayer: asyncio.Task[None] | None = None
        self._queue: list[tuple[CallRecord, asyncio.Future[str]]] = []
        self._queue_lock = threading.Lock()
        self._writing = False  # a write job is scheduled or running in the worker
        journal = recorder.journal
        self._starts = StartWriter(journal) if journal is not None else None

    def started(self, record: CallRecord) -> None:
        """Journal a call's start (batched fsync in a thread), so that a call whose server is
        killed before it ends is still recorded, ``interrupted``, at the next replay."""
        if self._starts is not None:
            self._starts.put(record)

    def record(self, record: CallRecord) -> asyncio.Future[str]:
        """Queue a record; the future resolves to where it went (database/journal/lost)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        with self._queue_lock:
            self._queue.append((record, future))
            start, self._writing = not self._writing, True
        if start:
            loop.run_in_executor(self._executor, self._write_queued, loop)
        return future

    def _write_queued(self, loop: asyncio.AbstractEventLoop) -> None:
        """Worker thread: write queued records in batches until the queue is empty."""
        while True:
            with self._queue_lock:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                if not batch:
                    self._writing = False
                    return
            try:
                places = self.recorder.record_many([record for record, _ in batch])
            except BaseException as exc:  # record_many does not raise; never strand futures
                places = [LOST] * len(batch)
                log.exception("writing %d call records failed: %s", len(batch), exc)
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_resolve, [future for _, future in batch], places)

    def start_replayer(self) -> None:
        """Replay the journal periodically while the server runs."""
        if self._replayer is None and self.recorder.journal is not None:
            self._replayer = asyncio.get_running_loop().create_task(self._replay_loop())

    async def _replay_loop(self) -> None:
        """Replay at once (calls a killed server left behind), then every ``replay_every``."""
        loop = asyncio.get_running_loop()
        first = True
        while True:
            if not first:
                await asyncio.sleep(self.replay_every)
            first = False
            if (
                self.recorder.journal
                and self.recorder.journal.pending()
                and not self.recorder.database_down
            ):
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
        if self._starts is not None:
            self._starts.close()
