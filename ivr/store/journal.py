"""A local, durable, append-only journal: call starts, and call records the database could
not take.

One entry per line: ``<crc32 as 8 hex digits> <JSON>\\n``, the JSON a versioned envelope
``{"v": 2, "kind": "start"|"end", "call": {...}, "owner": {...}}``. Lines of version 1 (the
bare record, as the first releases wrote them) stay readable, and so do records with fields
added, renamed or unknown (``CallRecord.from_json``). Every append is a single ``write`` under
an exclusive ``flock`` followed by ``fsync``, so an entry survives a crash of the process or
the machine.

Two kinds of entry:

* **end**: a finished call's record (the database was down when the call ended, or process
  AGI, which never opens the database);
* **start**: the call as it would be recorded if the IVR died now (outcome ``interrupted``),
  with the process that runs it (pid and start time). Every call writes one when it starts, so
  a SIGKILL, a crash or a power cut still leaves the call in the legal record.

Replaying saves each end entry through the repository (an insert that skips records already
stored, and completes an ``interrupted`` row when the real end arrives), drops start entries
whose call has ended, keeps those whose process still runs (the call is in progress), and
saves the rest as ``interrupted`` calls. Lines that fail their checksum or do not parse (a
write cut off by a crash), and records the database refuses itself, are moved to
``<journal>.broken`` and reported; nothing is silently dropped, and nothing blocks the lines
behind it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.store.records import CallRecord


class RecordRejected(Exception):
    """The database refuses this record itself (a constraint, a value it cannot hold), not
    because it is down: retrying cannot help, so the record is set aside with the reason."""


#: The envelope version written now; version 1 was the bare record.
JOURNAL_VERSION = 2
#: Version 1's key of a start entry's owner (the process running the call).
OWNER_V1 = "_owner"
Owner = dict[str, int]

log = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    replayed: int = 0  # written to the database now
    already_stored: int = 0  # were in the database already (an earlier partial replay)
    remaining: int = 0  # still in the journal (the database failed during the replay)
    interrupted: int = 0  # calls whose IVR died before they ended, saved as interrupted
    rejected: list[str] = field(default_factory=list)  # "call UID: reason", set aside
    in_progress: int = 0  # call starts kept: their process still runs the call
    broken: list[str] = field(default_factory=list)  # "line N: reason"
    error: str | None = None

    def __str__(self) -> str:
        text = (
            f"{self.replayed} replayed, {self.already_stored} already stored, "
            f"{self.interrupted} interrupted, {self.in_progress} in progress, "
            f"{self.remaining} remaining, {len(self.broken)} broken, "
            f"{len(self.rejected)} rejected"
        )
        return text + (f" (stopped: {self.error})" if self.error else "")

    @property
    def changed(self) -> bool:
        return bool(
            self.replayed or self.already_stored or self.interrupted or self.broken or self.rejected
        )


def process_owner(pid: int | None = None) -> Owner:
    """This process (or ``pid``) as a start entry's owner: pid and its start time, so that a
    reused pid is not taken for the process that wrote the entry."""
    pid = os.getpid() if pid is None else pid
    return {"pid": pid, "since": _process_start(pid) or 0}


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/PID/stat`` field 22)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()
    return int(fields[19]) if len(fields) > 19 else None


def owner_alive(owner: Owner) -> bool:
    """Does the process that wrote a start entry still run?"""
    pid = int(owner.get("pid", 0))
    if pid <= 0:
        return False
    since = _process_start(pid)
    if since is not None:
        return not owner.get("since") or since == int(owner["since"])
    if Path("/proc/self/stat").exists():
        return False  # /proc works here and has no such process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def encode(record: CallRecord, owner: Owner | None = None) -> bytes:
    """An end entry, or with ``owner`` a start entry (``record`` is the interrupted call)."""
    values: dict[str, object] = {
        "v": JOURNAL_VERSION,
        "kind": "end" if owner is None else "start",
        "call": record.to_json(),
    }
    if owner is not None:
        values["owner"] = owner
    body = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    data = body.encode("utf-8")
    return b"%08x " % zlib.crc32(data) + data + b"\n"


def decode_entry(line: bytes) -> tuple[CallRecord, Owner | None]:
    """Parse one journal line (with its newline): the record and, for a start entry, its
    owner. Raises ValueError when the line is damaged."""
    values, owner = _parse_entry(line)
    return CallRecord.from_json(values), owner


def _parse_entry(line: bytes) -> tuple[dict[str, Any], Owner | None]:
    """A journal line's record as JSON values (not yet a CallRecord: a replay builds only
    the records it saves) and its owner. Raises ValueError when the line is damaged."""
    if not line.endswith(b"\n"):
        raise ValueError("truncated record (no end of line)")
    head, sep, data = line[:-1].partition(b" ")
    if not sep or len(head) != 8:
        raise ValueError("no checksum")
    if int(head, 16) != zlib.crc32(data):
        raise ValueError("checksum mismatch")
    values = json.loads(data.decode("utf-8"))
    if not isinstance(values, dict):
        raise ValueError("not a journal entry")
    if "v" in values and isinstance(values.get("call"), dict):  # version 2 and later
        owner = values.get("owner") if values.get("kind") == "start" else None
        call = values["call"]
    else:
        owner = values.pop(OWNER_V1, None)  # version 1: the bare record
        call = values
    if not isinstance(call.get("call_uid"), str):
        raise ValueError("no call id")
    return call, owner


def decode(line: bytes) -> CallRecord:
    return decode_entry(line)[0]


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def broken_path(self) -> Path:
        return self.path.with_name(self.path.name + ".broken")

    def append(self, record: CallRecord) -> None:
        """Append a finished call's record (fsynced)."""
        self.write([encode(record)])

    def append_start(self, record: CallRecord, owner: Owner | None = None) -> None:
        """Append a call's start: ``record`` as it stands if the IVR dies now (fsynced)."""
        self.write([encode(record, owner or process_owner())])

    def write(self, lines: Iterable[bytes]) -> None:
        """Append encoded entries in one write and one fsync."""
        data = b"".join(lines)
        if not data:
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def pending(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def replay(
        self,
        save: Callable[[CallRecord], bool],
        stored: Callable[[list[str]], set[str]] | None = None,
        alive: Callable[[Owner], bool] = owner_alive,
    ) -> ReplayReport:
        """Save every good entry with ``save`` (True: written, False: already stored).

        ``stored`` tells which of some call ids the database holds already (their start
        entries are dropped unsaved); ``alive`` whether a start entry's process still runs.
        """
        report = ReplayReport()
        if not self.pending():
            return report
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with os.fdopen(os.dup(fd), "rb") as stream:
                lines = stream.readlines()
            # the lines and what the replay decides on (not the records: most of them are
            # the starts of calls still running, kept as they are)
            entries: list[tuple[int, bytes, str, Owner | None]] = []
            broken: list[bytes] = []
            for number, line in enumerate(lines, start=1):
                try:
                    values, owner = _parse_entry(line)
                except (ValueError, KeyError, TypeError) as exc:
                    report.broken.append(f"line {number}: {exc}")
                    broken.append(line if line.endswith(b"\n") else line + b"\n")
                    continue
                entries.append((number, line, values["call_uid"], owner))
            ended = {uid for _, _, uid, owner in entries if owner is None}
            open_uids = [
                uid for _, _, uid, owner in entries if owner is not None and uid not in ended
            ]
            # one look in /proc per process, not per call it has running
            seen: dict[tuple[tuple[str, int], ...], bool] = {}

            def alive_owner(owner: Owner) -> bool:
                key = tuple(sorted(owner.items()))
                if key not in seen:
                    seen[key] = alive(owner)
                return seen[key]

            keep: list[bytes] = []
            try:
                in_database = stored(open_uids) if stored and open_uids else set()
            except Exception as exc:  # the database is down: keep everything for later
                report.error = first_line(exc)
                in_database = set()
            for number, line, uid, owner in entries:
                if report.error is not None:
                    report.remaining += 1
                    keep.append(line)
                    continue
                if owner is not None:
                    if uid in ended or uid in in_database:
                        continue  # the call's end is here or stored: the start is spent
                    if alive_owner(owner):
                        report.in_progress += 1
                        keep.append(line)
                        continue
                try:
                    record = decode_entry(line)[0]
                except (ValueError, KeyError, TypeError) as exc:
                    report.broken.append(f"line {number}: {exc}")
                    broken.append(line)
                    continue
                try:
                    written = save(record)
                except RecordRejected as exc:  # this record can never go in: set it aside
                    report.rejected.append(f"call {record.call_uid}: {exc}")
                    broken.append(line)
                    continue
                except Exception as exc:  # the database failed again: keep the journal
                    report.error = first_line(exc)
                    report.remaining += 1
                    keep.append(line)
                    continue
                if owner is not None:
                    report.interrupted += int(written)
                    report.already_stored += int(not written)
                elif written:
                    report.replayed += 1
                else:
                    report.already_stored += 1
            if broken:
                self._quarantine(broken)
            if keep != lines:
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, b"".join(keep))
                os.fsync(fd)
        finally:
            os.close(fd)
        for item in report.broken:
            log.error(
                "journal %s: broken record skipped (%s); kept in %s",
                self.path,
                item,
                self.broken_path,
            )
        for item in report.rejected:
            log.error(
                "journal %s: record refused by the database (%s); kept in %s",
                self.path,
                item,
                self.broken_path,
            )
        return report

    def in_progress(
        self,
        stored: Callable[[list[str]], set[str]] | None = None,
        alive: Callable[[Owner], bool] = owner_alive,
    ) -> list[CallRecord]:
        """The calls running now, read only (the web console's live page): the start
        entries without an end entry whose process still runs (``alive``) and whose call
        the database does not hold yet (``stored``, as ``replay`` takes it), each as the
        record it would be saved as. Damaged lines are skipped (a replay deals with them);
        no journal: no call. Reads under a shared lock, so never half a writer's batch."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            with os.fdopen(os.dup(fd), "rb") as stream:
                lines = stream.readlines()
        finally:
            os.close(fd)  # and the lock with it
        starts: dict[str, tuple[bytes, Owner]] = {}
        ended: set[str] = set()
        for line in lines:
            try:
                values, owner = _parse_entry(line)
            except (ValueError, KeyError, TypeError):
                continue
            uid = values["call_uid"]
            if owner is None:
                ended.add(uid)
            else:
                starts[uid] = (line, owner)
        seen: dict[tuple[tuple[str, int], ...], bool] = {}
        running: list[tuple[str, bytes]] = []
        for uid, (line, owner) in starts.items():
            if uid in ended or not isinstance(owner, dict):
                continue
            key = tuple(sorted(owner.items()))
            if key not in seen:
                seen[key] = alive(owner)
            if seen[key]:
                running.append((uid, line))
        in_database = stored([uid for uid, _ in running]) if stored and running else set()
        records = []
        for uid, line in running:
            if uid in in_database:
                continue
            try:
                records.append(decode_entry(line)[0])
            except (ValueError, KeyError, TypeError):
                continue
        return records

    def set_aside(self, record: CallRecord) -> None:
        """Keep a record the database refuses in ``<journal>.broken`` (fsynced)."""
        self._quarantine([encode(record)])

    def _quarantine(self, lines: list[bytes]) -> None:
        fd = os.open(self.broken_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, b"".join(lines))
            os.fsync(fd)
        finally:
            os.close(fd)


def first_line(exc: BaseException) -> str:
    """An error in one line for a log or a report (its class name when it says nothing)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class StartWriter:
    """Journals call starts for a server of many calls: one thread, one fsync per batch.

    ``put`` never blocks (the FastAGI event loop calls it); the thread waits ``interval``
    after the first start of a batch (so a burst of calls costs a few ``fsync``s a second, and
    the loop is not interrupted by a thread waking for every call), then writes everything
    queued in one ``write`` and one ``fsync``.
    """

    def __init__(self, journal: Journal, interval: float = 0.05) -> None:
        self.journal = journal
        self.interval = interval
        self.owner = process_owner()
        self.failures = 0
        self._queue: list[bytes] = []
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="ivr-journal", daemon=True)
        self._thread.start()

    def put(self, record: CallRecord) -> None:
        line = encode(record, self.owner)
        with self._wake:
            self._queue.append(line)
            if len(self._queue) == 1:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._stopping:
                    self._wake.wait()
                if not self._stopping:
                    self._wake.wait(self.interval)  # gather the batch (close() cuts it short)
                batch, self._queue = self._queue, []
                stopping = self._stopping
            if batch:
                try:
                    self.journal.write(batch)
                except OSError as exc:
                    self.failures += 1
                    log.error(
                        "journal %s: %d call starts not journalled: %s",
                        self.journal.path,
                        len(batch),
                        exc,
                    )
            if stopping and not batch:
                return

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(10)
