"""The registry file: a UTF-8 CSV (comma-separated, a BOM allowed) read and checked whole.

Header, in any order::

    account,eic,phones,settlement,street,house,groups,supplier,zones

``account`` (digits, the company's length) and ``settlement`` and ``house`` are required;
``eic`` (16 characters, a valid check character) may be empty; ``phones`` and ``groups`` are
``;``-separated lists (Ukrainian numbers in any usual form, stored as +380...; ГПВ groups
``N.M``), either may be empty; ``zones`` is 1, 2 or 3 (empty: 1); ``supplier`` may be empty.

Every problem is reported as ``FILE:LINE: column: message``; messages name the column and the
offending character or a masked value, never the row or a whole account number, EIC or phone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivr.accounts.eic import LENGTH as EIC_LENGTH
from ivr.accounts.eic import is_valid_eic
from ivr.accounts.model import Account, Address
from ivr.accounts.numbers import DEFAULT_LENGTH, account_number_problem, mask_account, mask_eic
from ivr.callerid import mask, normalise_ua

COLUMNS = (
    "account",
    "eic",
    "phones",
    "settlement",
    "street",
    "house",
    "groups",
    "supplier",
    "zones",
)
REQUIRED = ("account", "settlement", "house")
_GROUP = re.compile(r"\d{1,2}\.\d{1,2}")
_LIMITS = {"settlement": 100, "street": 200, "house": 20, "supplier": 100}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the registry file."""

    path: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.column}: {self.message}"


class RegistryFileError(Exception):
    """The registry file has problems; nothing of it may be stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def read_accounts(path: Path, account_length: int = DEFAULT_LENGTH) -> list[Account]:
    """Every account of the file, or RegistryFileError with every problem found."""
    accounts, problems = check_accounts_file(path, account_length)
    if problems:
        raise RegistryFileError(problems)
    return accounts


def check_accounts_file(
    path: Path, account_length: int = DEFAULT_LENGTH
) -> tuple[list[Account], list[Problem]]:
    """The file's accounts and its problems (the accounts are only usable without problems)."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Problem(name, 0, "file", f"cannot read: {exc.strerror or exc}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [Problem(name, line, "file", "not UTF-8 text (save the file as CSV UTF-8)")]
    return _Reader(name, account_length).read(text)


class _Reader:
    """One pass over the file's rows, gathering accounts and problems."""

    def __init__(self, name: str, account_length: int) -> None:
        self.name = name
        self.account_length = account_length
        self.problems: list[Problem] = []
        self.first_lines: dict[tuple[str, str], int] = {}  # (column, value) -> line

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.name, line, column, message))

    def read(self, text: str) -> tuple[list[Account], list[Problem]]:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        accounts: list[Account] = []
        try:
            header = next(reader, None)
            if header is None:
                self.problem(1, "header", f"empty file; expected the header {','.join(COLUMNS)}")
                return [], self.problems
            index = self.header(header)
            line = reader.line_num + 1
            for row in reader:
                if index is not None and any(cell.strip() for cell in row):
                    account = self.row(line, row, index)
                    if account is not None:
                        accounts.append(account)
                line = reader.line_num + 1
        except csv.Error as exc:
            self.problem(reader.line_num, "file", f"not valid CSV: {exc}")
        return accounts, self.problems

    def header(self, header: list[str]) -> dict[str, int] | None:
        names = [h.strip().lower() for h in header]
        unknown = [n for n in names if n not in COLUMNS]
        missing = [c for c in COLUMNS if c not in names]
        twice = sorted({n for n in names if names.count(n) > 1})
        for message, values in (
            ("unknown column(s)", unknown),
            ("missing column(s)", missing),
            ("column(s) given twice", twice),
        ):
            if values:
                self.problem(
                    1, "header", f"{message}: {', '.join(values)}; expected {','.join(COLUMNS)}"
                )
        if unknown or missing or twice:
            return None
        return {n: i for i, n in enumerate(names)}

    def row(self, line: int, row: list[str], index: dict[str, int]) -> Account | None:
        if len(row) != len(index):
            self.problem(line, "row", f"{len(row)} fields, expected {len(index)}")
            return None
        cell = {c: row[i].strip() for c, i in index.items()}
        before = len(self.problems)
        for column in REQUIRED:
            if not cell[column] and column != "account":
                self.problem(line, column, "missing")
        for column, limit in _LIMITS.items():
            if len(cell[column]) > limit:
                self.problem(line, column, f"{len(cell[column])} characters, at most {limit}")
        number = self.number(line, cell["account"])
        eic = self.eic(line, cell["eic"])
        phones = self.listed(line, "phones", cell["phones"], self.phone)
        groups = self.listed(line, "groups", cell["groups"], self.group)
        zones = self.zones(line, cell["zones"])
        if len(self.problems) > before:
            return None
        return Account(
            number=number,
            eic=eic,
            phones=phones,
            address=Address(cell["settlement"], cell["street"], cell["house"]),
            groups=groups,
            supplier=cell["supplier"] or None,
            zones=zones,
        )

    def number(self, line: int, number: str) -> str:
        problem = account_number_problem(number, self.account_length)
        if problem is not None:
            self.problem(line, "account", problem)
        else:
            self.once(line, "account", number, mask_account(number))
        return number

    def eic(self, line: int, value: str) -> str | None:
        if not value:
            return None
        code = value.upper()
        if len(code) != EIC_LENGTH:
            self.problem(line, "eic", f"{len(code)} characters, expected {EIC_LENGTH}")
        elif not is_valid_eic(code):
            self.problem(line, "eic", f"{mask_eic(code)}: wrong check character or characters")
        else:
            self.once(line, "eic", code, mask_eic(code))
        return code

    def once(self, line: int, column: str, value: str, masked: str) -> None:
        """A problem when ``value`` of ``column`` was on an earlier line."""
        first = self.first_lines.setdefault((column, value), line)
        if first != line:
            self.problem(line, column, f"{masked} already on line {first}")

    def listed(
        self, line: int, column: str, value: str, parse: Callable[[str], str | None]
    ) -> tuple[str, ...]:
        found: set[str] = set()
        for n, item in enumerate(value.split(";") if value else [], start=1):
            parsed = parse(item.strip())
            if parsed is None:
                self.problem(line, column, self.what(column, n, item.strip()))
            else:
                found.add(parsed)
        return tuple(sorted(found))

    @staticmethod
    def what(column: str, n: int, item: str) -> str:
        if not item:
            return f"item {n} is empty"
        if column == "phones":
            return f"item {n} ({mask(item)}) is not a Ukrainian phone number"
        return f"item {n} ({item!r}) is not a group N.M such as 3.1"

    @staticmethod
    def phone(item: str) -> str | None:
        return normalise_ua(item) if item else None

    @staticmethod
    def group(item: str) -> str | None:
        return item if _GROUP.fullmatch(item) and item.isascii() else None

    def zones(self, line: int, value: str) -> int:
        if not value:
            return 1
        if value in ("1", "2", "3"):
            return int(value)
        self.problem(line, "zones", f"{value[:10]!r} is not 1, 2 or 3")
        return 1
