"""The customer registry in the database: look-ups by phone, account number and EIC, and bulk
imports. It hands back ``ivr.accounts.model.Account`` records (phones and groups sorted),
never rows.

Imports are core ``INSERT``s of many rows per statement (executemany) inside one transaction:
either the whole registry file is stored or nothing is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Select,
    Table,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from ivr.accounts.houses import house_key
from ivr.accounts.model import Account, Address
from ivr.accounts.numbers import mask_account, mask_eic
from ivr.store.models import AccountGroup, AccountPhone, AccountRow, RegistryStateRow
from ivr.store.repository import CallRepository

_ACCOUNTS = cast(Table, AccountRow.__table__)
_PHONES = cast(Table, AccountPhone.__table__)
_GROUPS = cast(Table, AccountGroup.__table__)
_STATE = cast(Table, RegistryStateRow.__table__)
_CHUNK = 5000  # rows per INSERT batch
_IN_CHUNK = 500  # values per IN (...) list


class AccountStoreError(Exception):
    """The registry cannot take these accounts (the message masks personal data)."""


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for first in range(0, len(values), size):
        yield values[first : first + size]


class AccountStore:
    """The customer registry of one database (``CallRepository.ensure_schema`` creates it)."""

    def __init__(self, repository: CallRepository) -> None:
        self.engine = repository.engine

    # -- look-ups ---------------------------------------------------------------------------

    def by_phone(self, e164: str) -> list[Account]:
        """Every account with this phone number on record (+380XXXXXXXXX), by number."""
        return self._find(select(_PHONES.c.account_number).where(_PHONES.c.phone == e164))

    def by_number(self, number: str) -> Account | None:
        """The account with this personal account number, or None."""
        found = self._find(select(_ACCOUNTS.c.number).where(_ACCOUNTS.c.number == number))
        return found[0] if found else None

    def by_eic(self, eic: str) -> Account | None:
        """The account of the metering point with this EIC code (any case), or None."""
        found = self._find(select(_ACCOUNTS.c.number).where(_ACCOUNTS.c.eic == eic.upper()))
        return found[0] if found else None

    def _find(self, numbers: Select[Any]) -> list[Account]:
        """The accounts whose numbers ``numbers`` selects, by number."""
        with self.engine.connect() as connection:
            return _load(connection, numbers)

    def phones(self) -> frozenset[str]:
        """Every phone number on record (for ``ivr.store.lookups``' in-memory check)."""
        with self.engine.connect() as connection:
            return frozenset(connection.scalars(select(_PHONES.c.phone).distinct()))

    def version(self) -> int:
        """The registry's version: counted up by every import (0 before the first)."""
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.max(_STATE.c.version))) or 0)

    def count(self) -> int:
        """How many accounts the registry holds."""
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(_ACCOUNTS)) or 0)

    # -- imports ----------------------------------------------------------------------------

    def replace_all(self, accounts: Sequence[Account]) -> int:
        """Make the registry exactly ``accounts``, in one transaction; returns how many."""
        _check_unique(accounts)
        with self.engine.begin() as connection:
            for table in (_GROUPS, _PHONES, _ACCOUNTS):
                connection.execute(delete(table))
            _insert(connection, accounts)
            _count_up(connection)
        self._analyze()
        return len(accounts)

    def upsert(self, accounts: Sequence[Account]) -> int:
        """Add ``accounts``, replacing those with the same numbers and keeping the others,
        in one transaction; returns how many were given."""
        _check_unique(accounts)
        numbers = [a.number for a in accounts]
        with self.engine.begin() as connection:
            _refuse_taken_eics(connection, accounts)
            for chunk in _chunks(numbers, _IN_CHUNK):
                for table in (_GROUPS, _PHONES):
                    connection.execute(delete(table).where(table.c.account_number.in_(chunk)))
                connection.execute(delete(_ACCOUNTS).where(_ACCOUNTS.c.number.in_(chunk)))
            _insert(connection, accounts)
            _count_up(connection)
        self._analyze()
        return len(accounts)

    def _analyze(self) -> None:
        """Fresh planner statistics after a bulk import (PostgreSQL), so the first look-ups
        use the indexes; a role that does not own the tables only gets a warning."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as connection:
                connection.execute(text("ANALYZE accounts, account_phones, account_groups"))


def _count_up(connection: Connection) -> None:
    """The registry changed: its version one up (its row made if it is missing)."""
    counted = connection.execute(update(_STATE).values(version=_STATE.c.version + 1))
    if not counted.rowcount:
        connection.execute(insert(_STATE).values(id=1, version=1))


def _check_unique(accounts: Sequence[Account]) -> None:
    numbers: set[str] = set()
    eics: set[str] = set()
    for account in accounts:
        if account.number in numbers:
            raise AccountStoreError(f"account {mask_account(account.number)} is given twice")
        numbers.add(account.number)
        if account.eic is not None:
            if account.eic.upper() in eics:
                raise AccountStoreError(f"EIC {mask_eic(account.eic)} is given twice")
            eics.add(account.eic.upper())


def _refuse_taken_eics(connection: Connection, accounts: Sequence[Account]) -> None:
    """An EIC held by an account on record that this import does not replace is refused."""
    owner = {a.eic.upper(): a.number for a in accounts if a.eic is not None}
    replaced = {a.number for a in accounts}
    for chunk in _chunks(list(owner), _IN_CHUNK):
        rows = connection.execute(
            select(_ACCOUNTS.c.eic, _ACCOUNTS.c.number).where(_ACCOUNTS.c.eic.in_(chunk))
        )
        for eic, number in rows:
            if number not in replaced:
                raise AccountStoreError(
                    f"EIC {mask_eic(eic)} of account {mask_account(owner[eic])} belongs to "
                    f"account {mask_account(number)} on record"
                )


def _insert(connection: Connection, accounts: Sequence[Account]) -> None:
    for table, rows in (
        (_ACCOUNTS, (_account_row(a) for a in accounts)),
        (_PHONES, _link_rows(accounts, "phone", lambda a: a.phones)),
        (_GROUPS, _link_rows(accounts, "group_code", lambda a: a.groups)),
    ):
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == _CHUNK:
                connection.execute(insert(table), batch)
                batch = []
        if batch:
            connection.execute(insert(table), batch)


def _account_row(account: Account) -> dict[str, Any]:
    address = account.address
    return {
        "number": account.number,
        "eic": account.eic.upper() if account.eic is not None else None,
        "settlement": address.settlement,
        "street": address.street,
        "house": address.house,
        "house_key": house_key(address.house),
        "supplier": account.supplier,
        "zones": account.zones,
    }


def _link_rows(accounts: Iterable[Account], column: str, values: Any) -> Iterator[dict[str, Any]]:
    for account in accounts:
        for value in sorted(set(values(account))):
            yield {"account_number": account.number, column: value}


def _load(connection: Connection, numbers: Select[Any]) -> list[Account]:
    """The accounts whose numbers the ``numbers`` query selects, ordered by number: one
    query, a row per (account, phone, group) that the accounts' few links multiply to."""
    stmt = (
        select(_ACCOUNTS, _PHONES.c.phone, _GROUPS.c.group_code)
        .outerjoin(_PHONES, _PHONES.c.account_number == _ACCOUNTS.c.number)
        .outerjoin(_GROUPS, _GROUPS.c.account_number == _ACCOUNTS.c.number)
        .where(_ACCOUNTS.c.number.in_(numbers))
        .order_by(_ACCOUNTS.c.number)
    )
    found: dict[str, tuple[Any, set[str], set[str]]] = {}
    for row in connection.execute(stmt):
        _, phones, groups = found.setdefault(row.number, (row, set(), set()))
        if row.phone is not None:
            phones.add(row.phone)
        if row.group_code is not None:
            groups.add(row.group_code)
    return [
        Account(
            number=row.number,
            eic=row.eic,
            phones=tuple(sorted(phones)),
            address=Address(settlement=row.settlement, street=row.street, house=row.house),
            groups=tuple(sorted(groups)),
            supplier=row.supplier,
            zones=int(row.zones),
        )
        for row, phones, groups in found.values()
    ]
