"""Everything a call learns and decides while it runs, in one object."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ivr.accounts.model import Account
from ivr.store.records import AppealLinkRecord, AppealRecord, MeterReadingRecord


@dataclass
class CallState:
    """Per-call state, owned by the call's ``FlowContext``; handlers read and set it."""

    #: The topic code the call is counted under (the last one chosen).
    topic: str | None = None
    served: bool = False  # an announcement was heard to its end
    after_hours: bool = False  # asked for an operator outside working hours
    error: str | None = None  # the first thing that went wrong (kept in the record)
    path: list[dict[str, str]] = field(default_factory=list)  # menus, keys, actions, events
    appeals: list[AppealRecord] = field(default_factory=list)
    #: repeated outage reports joined to an earlier report's appeal
    links: list[AppealLinkRecord] = field(default_factory=list)
    #: Meter readings the caller passed, each whole (``meter_reading``).
    readings: list[MeterReadingRecord] = field(default_factory=list)
    #: The caller's identified account (set by identification), if any.
    account: Account | None = None
    #: The directory company (its id) a misrouted caller was sent to (``redirect``).
    redirect_company: str | None = None
    #: Values actions collect or look up during the call (an entered number, a look-up result).
    variables: dict[str, str] = field(default_factory=dict)
    #: Counters actions keep across menu visits (offers made, re-entries...).
    counters: Counter[str] = field(default_factory=Counter)
    # -- where the caller is in the menus
    stack: list[str] = field(default_factory=list)  # entry menu first, current menu last
    heard: set[str] = field(default_factory=set)  # menus whose full greeting was played
    invalid: int = 0  # wrong keys in the current menu visit
    timeouts: int = 0  # silences in the current menu visit
