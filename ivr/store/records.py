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
from typing import Any, ClassVar


class Outcome(enum.StrEnum):
    SELF_SERVED = "self_served"  # heard the information it asked for, or chose to end the call
    OPERATOR = "operator"  # handed to the operator queue
    TRANSFERRED = "transferred"  # handed to a number
    REDIRECTED = "redirected"  # misrouted: told the other company's contacts (maybe transferred)
    AFTER_HOURS = "after_hours"  # wanted an operator outside working hours
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


@dataclass
class AppealRecord:
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

    def to_json(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["registered_at"] = self.registered_at.isoformat()
        data["due_at"] = self.due_at.isoformat()
        return data

    #: Journal keys of earlier versions -> today's field names (add one when renaming a field).
    RENAMED: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> AppealRecord:
        """An appeal from ``to_json()`` output of this or any other version."""
        values = known_fields(cls, data, cls.RENAMED)
        values["registered_at"] = datetime.fromisoformat(str(values["registered_at"]))
        values["due_at"] = datetime.fromisoformat(str(values["due_at"]))
        return cls(**values)


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
