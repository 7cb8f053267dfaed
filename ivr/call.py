"""What the engine knows about one call, and the record it leaves behind."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from ivr.appeals import AppealRecord
from ivr.callerid import CallerId, clean_text, from_env
from ivr.records import known_fields


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


#: The account code that marks a test call (``Set(CHANNEL(accountcode)=ivr-test)`` on a test
#: trunk; the simulator sends it): recorded with ``test`` set, left out of reports.
TEST_ACCOUNTCODE = "ivr-test"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CallContext:
    """Facts about a call known when it starts, taken from the AGI environment."""

    call_uid: str
    caller: CallerId
    dialled_number: str
    unique_id: str
    channel: str
    transport: str
    started_at: datetime
    test: bool = False  # a simulated or test call: kept, but left out of reports

    @classmethod
    def from_env(cls, env: dict[str, str], transport: str, started_at: datetime | None = None):
        dnid = clean_text(env.get("agi_dnid", ""), 64)
        if dnid.lower() in ("", "unknown"):
            dnid = clean_text(env.get("agi_extension", ""), 64)
        return cls(
            call_uid=uuid.uuid4().hex,
            caller=from_env(env),
            dialled_number=dnid or "unknown",
            unique_id=clean_text(env.get("agi_uniqueid", ""), 64),
            channel=clean_text(env.get("agi_channel", ""), 128),
            transport=transport,
            started_at=started_at or utcnow(),
            test=transport == "simulator"
            or env.get("agi_accountcode", "").strip() == TEST_ACCOUNTCODE,
        )


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
        """A record from ``to_json()`` output of this or any other version (``ivr.records``)."""
        values = known_fields(cls, data, cls.RENAMED)
        values["started_at"] = datetime.fromisoformat(str(values["started_at"]))
        values["ended_at"] = datetime.fromisoformat(str(values["ended_at"]))
        values["outcome"] = Outcome(str(values["outcome"]))
        values["result"] = Result(str(values["result"])) if values.get("result") else None
        appeals = values.get("appeals") or []
        assert isinstance(appeals, list)
        values["appeals"] = [AppealRecord.from_json(a) for a in appeals]
        return cls(**values)
