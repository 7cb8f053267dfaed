"""Where a finished call's record goes: one ``Recorder`` protocol, two blocking recorders.

* ``CallRecorder``: the database first; when it fails (down, slow, full) the record goes to
  the local journal, and after a failure the database is left alone for ``retry_after``
  seconds, so that a dead database costs each call one fsync, not a connect timeout. The
  journal is replayed when the database answers again.
* ``JournalRecorder``: process AGI's: the journal only (the FastAGI server's replay or
  ``ivr db flush`` moves the records into the database).

The FastAGI server runs a ``CallRecorder`` in a worker thread (``ivr.store.async_recorder``).
A record neither place took is logged whole, caller numbers masked, by ``log_lost_record``.

Process AGI imports this module for every call, so it loads neither SQLAlchemy nor asyncio.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from ivr.callerid import masked
from ivr.store.journal import Journal, RecordRejected, ReplayReport, first_line
from ivr.store.records import CallRecord

if TYPE_CHECKING:
    from ivr.store.repository import CallRepository

log = logging.getLogger(__name__)

DATABASE = "database"
JOURNAL = "journal"
REJECTED = "rejected"  # the database refuses the record itself: set aside, with the reason
LOST = "lost"


class Recorder(Protocol):
    """What a transport hands a call's records to."""

    def started(self, record: CallRecord) -> None:
        """Journal a call's start (``record`` as it stands if the IVR dies now)."""

    def record(self, record: CallRecord) -> object:
        """Store a finished call's record; where it went: ``database``, ``journal``,
        ``rejected`` or ``lost`` (``AsyncCallRecorder``: a future of that)."""
        ...


def log_lost_record(record: CallRecord, problem: str) -> None:
    """Nothing took the record: the whole of it goes to the log, caller numbers masked."""
    log.error(
        "CALL RECORD NOT SAVED (%s); record follows, caller numbers masked: %s",
        problem,
        json.dumps(masked(record.to_json()), ensure_ascii=False),
    )


def journal_start(journal: Journal, record: CallRecord) -> None:
    """Journal a call's start (fsynced); a failure is logged, the call goes on."""
    try:
        journal.append_start(record)
    except OSError as exc:
        log.error("call start not journalled (journal %s: %s)", journal.path, exc)


class JournalRecorder:
    """Process AGI's recorder: append the record to the journal (fsynced), nothing else."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def started(self, record: CallRecord) -> None:
        """Journal the call's start: a call whose process is killed is still recorded."""
        journal_start(self.journal, record)

    def record(self, record: CallRecord) -> str:
        try:
            self.journal.append(record)
        except Exception as exc:  # never lose it silently: the log has the whole record
            log_lost_record(record, f"journal {self.journal.path}: {exc}")
            return LOST
        return JOURNAL


class CallRecorder:
    """The database first, then the journal (see the module docstring)."""

    def __init__(
        self,
        repository: CallRepository,
        journal: Journal | None = None,
        retry_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
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

    def started(self, record: CallRecord) -> None:
        """Journal the call's start, when there is a journal."""
        if self.journal is not None:
            journal_start(self.journal, record)

    def record(self, record: CallRecord) -> str:
        """Store a record; returns where it went: database, journal, rejected or lost."""
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
        log_lost_record(record, problem)
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
        if len(records) > 1 and not self.database_down:
            try:
                self.repository.save_calls(records)
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
