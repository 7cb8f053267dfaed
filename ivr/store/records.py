"""The call and appeal records: each defined once, here.

Database rows (``ivr.store.models``) and journal lines (``ivr.store.journal``) are derived
from these dataclasses.

A journal line may have been written by an older ``ivr`` (a field it did not have yet, one it
had under another name) or a newer one (a field this version does not know). Records are
therefore built from JSON by their dataclass fields: renamed keys are mapped, unknown keys
are dropped, missing fields take their defaults. Only a field without a default that is
missing makes a line unreadable.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Self


class Outcome(enum.StrEnum):
    SELF_SERVED = "self_served"  # heard the information it asked for, or chose to end the call
    OPERATOR = "operator"  # handed to the operator queue
    TRANSFERRED = "transferred"  # handed to a number
    REDIRECTED = "redirected"  # misrouted: told the other company's contacts (maybe transferred)
    AFTER_HOURS = "after_hours"  # wanted an operator outside working hours
    CALLBACK = "callback"  # asked to be called back instead of waiting in the queue
    ABANDONED = "abandoned"  # hung up before being served
    FAILED = "failed"  # the IVR could not run the call (bug, Asterisk error)
    #: the IVR stopped before the call ended (server killed, crashed, cut at shutdown): the
    #: dialplan's fallback queue took the caller; known from the journalled call start
    INTERRUPTED = "interrupted"


class Result(enum.StrEnum):
    """``IVR_RESULT``: what the dialplan does with the channel after the AGI returns."""

    OPERATOR = "operator"  # Queue(${IVR_TRANSFER_TO})
    TRANSFER = "transfer"  # Dial the number in ${IVR_TRANSFER_TO}
    REDIRECT = "redirect"  # Dial the other company's number in ${IVR_TRANSFER_TO}
    HANGUP = "hangup"  # Hangup()


class AppealKind(enum.StrEnum):
    """What an appeal is about, by the way it was made."""

    OPERATOR = "operator"  # the caller was handed to an operator
    OUTAGE_REPORT = "outage_report"  # reported a fault or a missing supply
    METER_READING = "meter_reading"  # passed a meter reading
    CALLBACK = "callback"  # asked to be called back
    COMPLAINT = "complaint"


class AppealStatus(enum.StrEnum):
    """Where an appeal is in its life, in order; it moves only forward (``ivr.store.lifecycle``)."""

    REGISTERED = "registered"  # by the IVR, when the call needed follow-up
    IN_PROGRESS = "in_progress"  # someone works on it
    ANSWERED = "answered"  # the answer was given (Resolution 375 deadlines end here)
    CLOSED = "closed"


class FlatRecord:
    """``to_json``/``from_json`` for a record of plain values: timestamps as ISO 8601, lists
    and dicts copied; ``from_json`` reads any version's output (``known_fields``, the
    class's ``RENAMED``)."""

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, list | dict):
                value = value.copy()
            data[f.name] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        values = known_fields(cls, data, getattr(cls, "RENAMED", None))
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.type in ("datetime", "datetime | None") and values.get(f.name) is not None:
                values[f.name] = datetime.fromisoformat(str(values[f.name]))
        return cls(**values)


@dataclass
class AppealRecord(FlatRecord):
    """An appeal registered during a call; stored with the call record."""

    appeal_number: str
    call_uid: str
    kind: str  # operator | outage_report | meter_reading | callback | complaint
    channel: str  # phone (IVR) now; e-mail and others later
    role: str
    topic_code: str | None
    topic_label: str | None
    caller_number: str | None
    caller_raw: str
    registered_at: datetime
    due_at: datetime
    status: str = "registered"
    #: the caller's personal account and address, when known (personal data)
    account_number: str | None = None
    address: str | None = None  # as the registry writes it: "Вишневе, вул. Садова, 12-А"
    #: comparable forms of the address (``ivr.outages.names``, ``ivr.accounts.houses``): the
    #: house, to link repeated outage reports, and the street, to count them
    address_key: str | None = None
    street_key: str | None = None
    #: what the caller said: the report's answer, a callback's number, a reading's values
    details: dict[str, Any] = field(default_factory=dict)
    company: str = "main"  # the company's id (``company.id``): its call's

    #: Journal keys of earlier versions -> today's field names (add one when renaming a field).
    RENAMED: ClassVar[dict[str, str]] = {}


@dataclass
class AppealLinkRecord(FlatRecord):
    """A repeated outage report from the same house: linked to the first report's appeal
    (the caller hears that number) instead of a new appeal."""

    appeal_number: str  # the first report's
    call_uid: str
    caller_number: str | None
    linked_at: datetime
    details: dict[str, Any] = field(default_factory=dict)

    RENAMED: ClassVar[dict[str, str]] = {}


@dataclass(frozen=True)
class AppealEventRecord:
    """A change of an appeal's status: to what, when, by whom, why."""

    appeal_number: str
    status: str
    at: datetime
    by: str
    note: str = ""


@dataclass
class MeterReadingRecord(FlatRecord):
    """A meter's reading: one value per zone (kWh, whole), in the meter's zone order
    (``ivr.accounts.zones``)."""

    account_number: str
    read_at: datetime
    values: list[int]
    source: str  # "ivr" (a caller passed it), or the registry import's file
    appeal_number: str | None = None  # the appeal it was passed in, for the IVR's

    RENAMED: ClassVar[dict[str, str]] = {}


@dataclass
class CallRecord:
    """Everything logged about a call when it ends, whatever way it ends."""

    call_uid: str
    started_at: datetime
    ended_at: datetime
    caller_raw: str
    caller_number: str | None
    caller_name: str
    dialled_number: str
    unique_id: str
    channel: str
    transport: str
    role: str
    outcome: Outcome
    result: Result | None = None
    transfer_to: str | None = None
    topic_code: str | None = None
    path: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    appeals: list[AppealRecord] = field(default_factory=list)
    test: bool = False  # a simulated or test call (TEST_ACCOUNTCODE): left out of reports
    #: the caller's personal account, when the call identified it (personal data: masked in logs)
    account_number: str | None = None
    links: list[AppealLinkRecord] = field(default_factory=list)  # repeated outage reports
    #: the directory company (its id) a misrouted caller was told about or transferred to
    redirect_company: str | None = None
    readings: list[MeterReadingRecord] = field(default_factory=list)  # passed by the caller
    #: the company whose number was dialled (``company.id``; one server, several companies)
    company: str = "main"

    @property
    def duration_ms(self) -> int:
        return max(0, round((self.ended_at - self.started_at).total_seconds() * 1000))

    def to_json(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["started_at"] = self.started_at.isoformat()
        data["ended_at"] = self.ended_at.isoformat()
        data["outcome"] = self.outcome.value
        data["result"] = self.result.value if self.result else None
        data["appeals"] = [a.to_json() for a in self.appeals]
        data["links"] = [link.to_json() for link in self.links]
        data["readings"] = [r.to_json() for r in self.readings]
        return data

    #: Journal keys of earlier versions -> today's field names (add one when renaming a field).
    RENAMED: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> CallRecord:
        """A record from ``to_json()`` output of this or any other version (``known_fields``)."""
        values = known_fields(cls, data, cls.RENAMED)
        values["started_at"] = datetime.fromisoformat(str(values["started_at"]))
        values["ended_at"] = datetime.fromisoformat(str(values["ended_at"]))
        values["outcome"] = Outcome(str(values["outcome"]))
        values["result"] = Result(str(values["result"])) if values.get("result") else None
        appeals = values.get("appeals") or []
        assert isinstance(appeals, list)
        values["appeals"] = [AppealRecord.from_json(a) for a in appeals]
        values["links"] = [AppealLinkRecord.from_json(x) for x in values.get("links") or []]
        values["readings"] = [MeterReadingRecord.from_json(x) for x in values.get("readings") or []]
        return cls(**values)


def known_fields(
    cls: type, values: Mapping[str, Any], renamed: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``values`` reduced to the dataclass ``cls``'s fields, old names mapped to new ones."""
    names = {f.name for f in dataclasses.fields(cls)}
    result: dict[str, Any] = {}
    for key, value in values.items():
        key = (renamed or {}).get(key, key)
        if key in names:
            result[key] = value
    return result
