"""Appeal (звернення) numbers: allocated when a call needs follow-up, parsed when typed.

Appeal number format: ``YYMMDD SS NNNNN C`` (14 digits), e.g. ``26112801000427``:

- ``YYMMDD``: the registration date in the company's timezone, so numbers sort by date;
- ``SS``: the IVR server id (``database.server_id`` in config.yaml, 1-99), unique per server
  writing to the same database, so servers never need to talk to each other;
- ``NNNNN``: the server's sequence number for that day (up to 99 999 appeals a day a server),
  kept in a small locked state file ``ivr-appeal-sequence-SS.state`` beside the SQLite
  database file (else beside the journal) and shared by every IVR process that uses it, so it
  survives restarts and works for process AGI as well as the FastAGI server (no in-process
  counter);
- ``C``: a Luhn check digit, so an operator can tell a misheard number at once.

Read to a caller in groups: ``261128 01 00042 7``.
"""

from __future__ import annotations

import fcntl
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ivr.store.dburl import sqlite_file

APPEAL_NUMBER_LENGTH = 14
MAX_SEQUENCE = 99_999


class AppealNumberError(Exception):
    pass


def luhn_digit(digits: str) -> str:
    """The Luhn check digit for a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # double every second digit from the right, check digit excluded
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def is_valid_appeal_number(number: str) -> bool:
    return (
        len(number) == APPEAL_NUMBER_LENGTH
        and number.isdigit()
        and luhn_digit(number[:-1]) == number[-1]
    )


def format_appeal_number(number: str) -> str:
    """Human grouping: ``261128-01-00042-7``."""
    return f"{number[:6]}-{number[6:8]}-{number[8:13]}-{number[13:]}"


def parse_appeal_number(text: str) -> str:
    """An appeal number as typed (``261128-01-00042-7``, ``261128 01 00042 7`` or the bare
    digits) -> its 14 digits; AppealNumberError says what is wrong with it."""
    digits = "".join(text.split()).replace("-", "")
    example = "e.g. 261128-01-00042-7"
    if not (digits.isascii() and digits.isdigit()):
        raise AppealNumberError(
            f"'{text}' is not an appeal number: only digits, with or without dashes ({example})"
        )
    if len(digits) != APPEAL_NUMBER_LENGTH:
        raise AppealNumberError(
            f"'{text}' is not an appeal number: {len(digits)} digits, expected "
            f"{APPEAL_NUMBER_LENGTH} ({example})"
        )
    if luhn_digit(digits[:-1]) != digits[-1]:
        raise AppealNumberError(
            f"'{text}' is not an appeal number: its check digit (the last) does not match; "
            "a digit is mistyped or misheard"
        )
    return digits


def sequence_dir(database_url: str, journal_path: Path) -> Path:
    """Where the appeal-number sequence lives: beside a SQLite database file, else beside
    the journal."""
    database = sqlite_file(database_url)
    return database.parent if database is not None else Path(journal_path).parent


class AppealNumberAllocator:
    """Allocates appeal numbers from a per-server, per-day sequence in a locked state file."""

    def __init__(self, state_dir: Path, server_id: int, tz: ZoneInfo) -> None:
        if not 1 <= server_id <= 99:
            raise AppealNumberError(f"server id must be 1..99, got {server_id}")
        self.path = Path(state_dir) / f"ivr-appeal-sequence-{server_id:02d}.state"
        self.server_id = server_id
        self.tz = tz

    @classmethod
    def for_config(cls, config) -> AppealNumberAllocator:
        """The allocator of this server for this database.

        Numbers must be unique in the database whatever configs write to it, so the sequence
        belongs to the database: beside the SQLite file (every config on that file shares
        it), else beside the journal (servers sharing a PostgreSQL database have distinct
        ``server_id``; configs on one server share it through one journal directory).
        """
        return cls(
            sequence_dir(config.database_url, config.journal_path),
            config.server_id,
            config.company.tz,
        )

    def next(self, moment: datetime) -> str:
        day = moment.astimezone(self.tz).strftime("%y%m%d")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.read(fd, 64).decode("ascii", "replace").split()
            last_day, last = (
                (raw[0], int(raw[1])) if len(raw) == 2 and raw[1].isdigit() else ("", 0)
            )
            sequence = last + 1 if last_day == day else 1
            if sequence > MAX_SEQUENCE:
                raise AppealNumberError(
                    f"more than {MAX_SEQUENCE} appeals today on server "
                    f"{self.server_id}; add a server id"
                )
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{day} {sequence}\n".encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock
        body = f"{day}{self.server_id:02d}{sequence:05d}"
        return body + luhn_digit(body)
