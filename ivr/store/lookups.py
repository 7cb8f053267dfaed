"""The look-ups a call asks for (identification, outage status), answered from the database.

One ``Lookups`` per configuration snapshot; it opens the database on its first look-up (so
process AGI loads SQLAlchemy only on calls that look something up) and is safe to call from
the FastAGI server's effect threads. Each method answers one effect of ``ivr.flow.effects``.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ivr.accounts.model import Account
from ivr.outages.report import OutageReport

if TYPE_CHECKING:
    from ivr.store.accounts import AccountStore
    from ivr.store.outages import OutageStore


#: Seconds between two reads of when the outage data last changed.
UPDATED_EVERY = 1.0


class Lookups:
    def __init__(self, database_url: str, tz: ZoneInfo) -> None:
        self.database_url = database_url
        self.tz = tz
        self._lock = threading.Lock()
        self._stores: tuple[AccountStore, OutageStore] | None = None
        self._updated: tuple[float, datetime | None] = (float("-inf"), None)

    def _open(self) -> tuple[AccountStore, OutageStore]:
        with self._lock:
            if self._stores is None:
                from ivr.store.accounts import AccountStore
                from ivr.store.outages import OutageStore
                from ivr.store.repository import CallRepository

                repository = CallRepository(self.database_url)
                self._stores = (AccountStore(repository), OutageStore(repository))
            return self._stores

    def accounts_by_phone(self, phone: str) -> list[Account]:
        return self._open()[0].by_phone(phone)

    def account(self, number: str | None, eic: str | None) -> Account | None:
        accounts = self._open()[0]
        if number:
            return accounts.by_number(number)
        return accounts.by_eic(eic) if eic else None

    def outage_report(self, account: Account, at: datetime) -> OutageReport:
        """The active outages at the account's address, feeder and groups, and the groups'
        schedules for today and tomorrow (local days of the company's timezone)."""
        outages = self._open()[1]
        address = account.address
        active = outages.active_for(
            address.settlement, address.street, address.house, None, account.groups, at
        )
        today = at.astimezone(self.tz).date()
        days = outages.schedule(account.groups, [today, today + timedelta(days=1)])
        return OutageReport(tuple(active), tuple(days), self._updated_at(outages))

    def _updated_at(self, outages: OutageStore) -> datetime | None:
        """When the data last changed, asked of the database at most once a second (the age
        the caller hears is in minutes; three aggregate queries per call are not needed)."""
        checked, value = self._updated
        now = time.monotonic()
        if now - checked >= UPDATED_EVERY:
            value = outages.updated_at()
            self._updated = (now, value)
        return value
