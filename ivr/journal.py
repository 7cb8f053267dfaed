"""A local, durable, append-only journal for call records the database could not take.

One record per line: ``<crc32 as 8 hex digits> <JSON>\\n``. Every append is a single
``write`` under an exclusive ``flock`` followed by ``fsync``, so a record in the journal
survives a crash of the process or the machine. Replaying saves each good record through the
repository (an insert that skips records already stored, so a replay never writes a record
twice) and empties the journal only when every good record is in the database. Lines that
fail their checksum or do not parse (a write cut off by a crash) are moved to
``<journal>.broken`` and reported; nothing is silently dropped.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ivr.call import CallRecord

log = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    replayed: int = 0  # written to the database now
    already_stored: int = 0  # were in the database already (an earlier partial replay)
    remaining: int = 0  # still in the journal (the database failed during the replay)
    broken: list[str] = field(default_factory=list)  # "line N: reason"
    error: str | None = None

    def __str__(self) -> str:
        text = (f"{self.replayed} replayed, {self.already_stored} already stored, "
                f"{self.remaining} remaining, {len(self.broken)} broken")
        return text + (f" (stopped: {self.error})" if self.error else "")


def encode(record: CallRecord) -> bytes:
    body = json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":"))
    data = body.encode("utf-8")
    return b"%08x " % zlib.crc32(data) + data + b"\n"


def decode(line: bytes) -> CallRecord:
    """Parse one journal line (with its newline); raises ValueError when it is damaged."""
    if not line.endswith(b"\n"):
        raise ValueError("truncated record (no end of line)")
    head, sep, data = line[:-1].partition(b" ")
    if not sep or len(head) != 8:
        raise ValueError("no checksum")
    if int(head, 16) != zlib.crc32(data):
        raise ValueError("checksum mismatch")
    return CallRecord.from_json(json.loads(data.decode("utf-8")))


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def broken_path(self) -> Path:
        return self.path.with_name(self.path.name + ".broken")

    def append(self, record: CallRecord) -> None:
        line = encode(record)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def pending(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def replay(self, save: Callable[[CallRecord], bool]) -> ReplayReport:
        """Save every good record with ``save`` (True: written, False: already stored)."""
        report = ReplayReport()
        if not self.pending():
            return report
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with os.fdopen(os.dup(fd), "rb") as stream:
                lines = stream.readlines()
            broken: list[bytes] = []
            for number, line in enumerate(lines, start=1):
                try:
                    record = decode(line)
                except (ValueError, KeyError, TypeError) as exc:
                    report.broken.append(f"line {number}: {exc}")
                    broken.append(line if line.endswith(b"\n") else line + b"\n")
                    continue
                if report.error is not None:
                    report.remaining += 1
                    continue
                try:
                    if save(record):
                        report.replayed += 1
                    else:
                        report.already_stored += 1
                except Exception as exc:  # the database failed again: keep the journal
                    report.error = str(exc).splitlines()[0] if str(exc) else repr(exc)
                    report.remaining += 1
            if broken:
                self._quarantine(broken)
            if report.error is None:
                os.ftruncate(fd, 0)
                os.fsync(fd)
            elif broken:
                # Keep only the good lines, so broken ones are not reported again.
                good = [line for line in lines if line.endswith(b"\n") and line not in broken]
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, b"".join(good))
                os.fsync(fd)
        finally:
            os.close(fd)
        for item in report.broken:
            log.error("journal %s: broken record skipped (%s); kept in %s",
                      self.path, item, self.broken_path)
        return report

    def _quarantine(self, lines: list[bytes]) -> None:
        fd = os.open(self.broken_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, b"".join(lines))
            os.fsync(fd)
        finally:
            os.close(fd)
