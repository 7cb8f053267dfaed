"""What the engine knows about a call when it starts, taken from the AGI environment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ivr.callerid import CallerId, clean_text, from_env

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
        return cls(
            call_uid=uuid.uuid4().hex,
            caller=from_env(env),
            dialled_number=dialled_number(env),
            unique_id=clean_text(env.get("agi_uniqueid", ""), 64),
            channel=clean_text(env.get("agi_channel", ""), 128),
            transport=transport,
            started_at=started_at or utcnow(),
            test=transport == "simulator"
            or env.get("agi_accountcode", "").strip() == TEST_ACCOUNTCODE,
        )


def dialled_number(env: dict[str, str]) -> str:
    """The number the caller dialled: the DNID, else the extension the dialplan ran the
    IVR at; ``unknown`` when Asterisk gives neither."""
    dnid = clean_text(env.get("agi_dnid", ""), 64)
    if dnid.lower() in ("", "unknown"):
        dnid = clean_text(env.get("agi_extension", ""), 64)
    return dnid or "unknown"


class Audio(Protocol):
    """What the engine asks of the audio catalogue: can a prompt or speech fragment be played,
    and the ``STREAM FILE`` argument that plays it."""

    def playable(self, prompt_id: str) -> bool: ...

    def file_for(self, prompt_id: str) -> str: ...
