"""The effects a call can ask for, bound to the services that do them (one set per
configuration snapshot): appeal numbers from the allocator's state file, and the database
look-ups of identification, outage status, outage reports and meter readings."""

from __future__ import annotations

from typing import Any

from ivr.config.model import Config
from ivr.flow.effects import (
    AllocateAppealNumber,
    Effect,
    FindAccount,
    FindAccountsByPhone,
    FindOpenReport,
    Handler,
    LastReading,
    LookUpOutages,
)


def call_effect_handlers(
    config: Config, shared: dict[str, Any] | None = None
) -> dict[type[Effect], Handler]:
    """The handlers of ``config``'s calls. ``shared``: the services of another company of the
    same server, reused (one appeal-number sequence, one look-up engine and outage index:
    profiles share the main configuration's database, server id and timezone)."""
    from ivr.store.appeals import AppealNumberAllocator
    from ivr.store.lookups import Lookups

    shared = {} if shared is None else shared
    if not shared:
        shared["allocator"] = AppealNumberAllocator.for_config(config)
        shared["lookups"] = Lookups(config.database_url, config.company.tz)
    allocator: AppealNumberAllocator = shared["allocator"]
    lookups: Lookups = shared["lookups"]

    def allocate(effect: AllocateAppealNumber) -> str:
        return allocator.next(effect.moment)

    def by_phone(effect: FindAccountsByPhone) -> Any:
        return lookups.accounts_by_phone(effect.phone)

    def find(effect: FindAccount) -> Any:
        return lookups.account(effect.number, effect.eic)

    def outages(effect: LookUpOutages) -> Any:
        return lookups.outage_report(effect.account, effect.at)

    def open_report(effect: FindOpenReport) -> Any:
        return lookups.open_report(effect.address_key, effect.since, effect.test)

    def last_reading(effect: LastReading) -> Any:
        return lookups.last_reading(effect.account_number, effect.include_test)

    return {
        FindOpenReport: open_report,
        AllocateAppealNumber: allocate,
        FindAccountsByPhone: by_phone,
        FindAccount: find,
        LookUpOutages: outages,
        LastReading: last_reading,
    }
