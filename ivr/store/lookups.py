"""The look-ups a call asks for (identification, outage status, meter readings), answered
from the database.

One ``Lookups`` per configuration snapshot; it opens the database on its first look-up (so
process AGI loads SQLAlchemy only on calls that look something up) and is safe to call from
the FastAGI server's effect threads. Each method answers one effect of ``ivr.flow.effects``.

Two things are held in memory and checked against the database's version at most once a
second (one small round trip), reloaded when it changed: the outage data (``OutageIndex``),
so that a dispatcher's new estimate reaches callers within a second, and the set of phone
numbers on record, so that a caller whose number is not in the registry (most callers in a
storm) costs no query at all (once a hundred look-ups by phone have been asked: a
process-AGI call never loads the set). While one thread reloads, the others answer from what
they have. An account itself is read from the database (one round trip) when the number is
on record or the caller keys in an account number or EIC.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar
from zoneinfo import ZoneInfo

from ivr.accounts.model import Account
from ivr.outages.index import OutageIndex
from ivr.outages.report import OutageReport
from ivr.store.records import MeterReadingRecord

if TYPE_CHECKING:
    from ivr.store.accounts import AccountStore
    from ivr.store.outages import OutageStore
    from ivr.store.readings import ReadingStore


#: Seconds between two checks of the data's version (outages, the registry's phones).
CHECK_EVERY = 1.0
#: Look-ups by phone answered by a query before the registry's phone numbers are held in
#: memory: a long-running server reaches it in its first seconds of calls, a process-AGI
#: call (one or two look-ups in its process) never loads the whole set.
HOLD_PHONES_AFTER = 100

T = TypeVar("T")


class _Fresh(Generic[T]):
    """A value held in memory, refreshed (``refresh(old)``: it compares versions and reloads
    what changed) when it was last checked ``every`` seconds ago or more. The first caller
    waits for the load; later ones never wait for another thread's refresh."""

    def __init__(self, every: float, refresh: Callable[[T | None], T]) -> None:
        self.every = every
        self._refresh = refresh
        self._held: tuple[T, float] | None = None  # the value, time.monotonic() of its check
        self._refreshing = threading.Lock()

    def get(self) -> T:
        held = self._held
        if held is not None and time.monotonic() - held[1] < self.every:
            return held[0]
        if not self._refreshing.acquire(blocking=held is None):
            assert held is not None
            return held[0]
        try:
            held = self._held  # another thread may have loaded it while this one waited
            if held is None or time.monotonic() - held[1] >= self.every:
                checked = time.monotonic()
                held = (self._refresh(held[0] if held is not None else None), checked)
                self._held = held
            return held[0]
        finally:
            self._refreshing.release()


@dataclass(frozen=True)
class _Held:
    index: OutageIndex
    stamp: tuple[object, ...]
    updated_at: datetime | None


@dataclass(frozen=True)
class _Phones:
    numbers: frozenset[str]
    version: int


class Lookups:
    def __init__(
        self,
        database_url: str,
        tz: ZoneInfo,
        check_every: float = CHECK_EVERY,
        hold_phones_after: int = HOLD_PHONES_AFTER,
    ) -> None:
        self.database_url = database_url
        self.tz = tz
        self._lock = threading.Lock()
        self._stores: tuple[AccountStore, OutageStore, ReadingStore] | None = None
        self._outages = _Fresh(check_every, self._refresh)
        self._phones = _Fresh(check_every, self._refresh_phones)
        self._queried_by_phone = 0
        self.hold_phones_after = hold_phones_after

    def _open(self) -> tuple[AccountStore, OutageStore, ReadingStore]:
        with self._lock:
            if self._stores is None:
                from ivr.store.accounts import AccountStore
                from ivr.store.outages import OutageStore
                from ivr.store.readings import ReadingStore
                from ivr.store.repository import CallRepository

                repository = CallRepository(self.database_url)
                # reads only: no transaction to begin and to roll back (a round trip less)
                repository.engine = repository.engine.execution_options(
                    isolation_level="AUTOCOMMIT"
                )
                self._stores = (
                    AccountStore(repository),
                    OutageStore(repository),
                    ReadingStore(repository),
                )
            return self._stores

    @property
    def check_every(self) -> float:
        """Seconds between two checks of the data's versions."""
        return self._outages.every

    @check_every.setter
    def check_every(self, seconds: float) -> None:
        self._outages.every = self._phones.every = seconds

    def accounts_by_phone(self, phone: str) -> list[Account]:
        if self._queried_by_phone < self.hold_phones_after:
            self._queried_by_phone += 1  # (threads may race here: a look-up more or less)
        elif phone not in self._phones.get().numbers:
            return []  # not on record: no query
        return self._open()[0].by_phone(phone)

    def account(self, number: str | None, eic: str | None) -> Account | None:
        accounts = self._open()[0]
        if number:
            return accounts.by_number(number)
        return accounts.by_eic(eic) if eic else None

    def open_report(self, address_key: str, since: datetime, test: bool) -> str | None:
        from ivr.store.reports import first_open_report

        return first_open_report(self._open()[1].engine, address_key, since, test)

    def last_reading(self, account_number: str, include_test: bool) -> MeterReadingRecord | None:
        return self._open()[2].last(account_number, include_test)

    def outage_report(self, account: Account, at: datetime) -> OutageReport:
        """The active outages at the account's address and groups, and the groups'
        schedules for today and tomorrow (local days of the company's timezone)."""
        held = self._outages.get()
        address = account.address
        active = held.index.active_for(
            address.settlement, address.street, address.house, None, account.groups, at=at
        )
        today = at.astimezone(self.tz).date()
        wanted = [today, today + timedelta(days=1)]
        if held.index.holds(today):
            days = held.index.schedule(account.groups, wanted)
        else:  # a simulated call in the past: not in memory
            days = self._open()[1].schedule(account.groups, wanted)
        return OutageReport(tuple(active), tuple(days), held.updated_at)

    def _refresh(self, held: _Held | None) -> _Held:
        outages = self._open()[1]
        version = outages.version()
        if held is not None and held.stamp == version.stamp:
            return _Held(held.index, held.stamp, version.updated_at)
        # yesterday too, so that a call just after midnight or simulated a day back is held
        first_day = datetime.now(self.tz).date() - timedelta(days=1)
        active, days = outages.current(first_day)
        return _Held(OutageIndex.build(active, days, first_day), version.stamp, version.updated_at)

    def _refresh_phones(self, held: _Phones | None) -> _Phones:
        accounts = self._open()[0]
        version = accounts.version()
        if held is not None and held.version == version:
            return held
        # read after the version: an import in between is read again at the next check
        return _Phones(accounts.phones(), version)
