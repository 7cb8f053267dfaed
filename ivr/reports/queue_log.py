"""Resolution 375 call-centre indicators from Asterisk's ``queue_log``.

Each line is ``epoch|uniqueid|queuename|agent|event|data1|data2|...``. A call offered to the
queue is an ``ENTERQUEUE``; what happened next decides its fate:

- ``CONNECT`` (data1 = seconds waited): answered by an operator; within the service level
  when it waited at most 30 s;
- ``ABANDON`` (the caller hung up while waiting), ``EXITWITHTIMEOUT`` (the queue's timeout)
  and ``EXITEMPTY`` (no operator logged in): **lost in the queue**;
- ``EXITWITHKEY``: the caller left the queue by a key (for example to order a callback). It is
  counted as offered but neither answered nor lost, and shown on its own line.

Service level = answered within 30 s / offered; lost share = lost / offered (targets: at least
75 %, at most 10 %). Calls that ended inside the IVR menu never reach a queue, so they are
excluded by construction, as the standard requires. Unknown events and malformed lines are
counted and reported, never fatal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ivr.reports.periods import ReportRange

SERVICE_LEVEL_SECONDS = 30
SERVICE_LEVEL_TARGET = 0.75  # at least
LOST_TARGET = 0.10  # at most

LOST_EVENTS = frozenset({"ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"})
KNOWN_EVENTS = LOST_EVENTS | {
    "ENTERQUEUE", "CONNECT", "EXITWITHKEY", "COMPLETECALLER", "COMPLETEAGENT", "TRANSFER",
    "BLINDTRANSFER", "ATTENDEDTRANSFER", "RINGNOANSWER", "RINGCANCELED", "AGENTLOGIN",
    "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "AGENTDUMP", "ADDMEMBER",
    "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "CONFIGRELOAD",
    "QUEUESTART", "SYSCOMPAT", "PENALTY", "DID", "INFO",
}
MAX_EXAMPLES = 5


@dataclass
class QueueIndicators:
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    lost: int = 0
    left_by_key: int = 0
    lines: int = 0
    malformed: int = 0
    unknown_events: int = 0
    examples: list[str] = field(default_factory=list)  # "line N: why"

    @property
    def waiting(self) -> int:
        """Offered calls with no final event in the file (still waiting when it was cut)."""
        return self.offered - self.answered - self.lost - self.left_by_key

    @property
    def service_level(self) -> float | None:
        return self.answered_within / self.offered if self.offered else None

    @property
    def lost_share(self) -> float | None:
        return self.lost / self.offered if self.offered else None

    @property
    def service_level_met(self) -> bool | None:
        level = self.service_level
        return None if level is None else level >= SERVICE_LEVEL_TARGET

    @property
    def lost_met(self) -> bool | None:
        share = self.lost_share
        return None if share is None else share <= LOST_TARGET

    def note(self, number: int, why: str) -> None:
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"line {number}: {why}")


def read_queue_log(path: Path, rng: ReportRange | None = None,
                   queue: str | None = None) -> QueueIndicators:
    with open(path, encoding="utf-8", errors="replace") as stream:
        return compute_indicators(stream, rng, queue)


def compute_indicators(lines: Iterable[str], rng: ReportRange | None = None,
                       queue: str | None = None) -> QueueIndicators:
    """Indicators over the calls that entered the queue inside the range (and queue)."""
    stats = QueueIndicators()
    waiting: set[tuple[str, str]] = set()  # (uniqueid, queue) offered, no fate yet
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        stats.lines += 1
        fields = line.split("|")
        if len(fields) < 5:
            stats.malformed += 1
            stats.note(number, f"{len(fields)} fields, expected at least 5")
            continue
        epoch, callid, queue_name, _agent, event = fields[:5]
        data = fields[5:]
        try:
            moment = datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            stats.malformed += 1
            stats.note(number, f"time {epoch[:20]!r} is not a Unix time")
            continue
        if event not in KNOWN_EVENTS:
            stats.unknown_events += 1
            stats.note(number, f"unknown event {event[:30]!r}")
            continue
        key = (callid, queue_name)
        if event == "ENTERQUEUE":
            if (rng is None or rng.contains_utc(moment)) and queue in (None, queue_name):
                stats.offered += 1
                waiting.add(key)
            continue
        if key not in waiting:
            continue  # not offered inside the range, or already decided
        if event == "CONNECT":
            try:
                held = int(data[0])
            except (IndexError, ValueError):
                stats.malformed += 1
                stats.note(number, "CONNECT without a wait time")
                continue
            waiting.discard(key)
            stats.answered += 1
            if held <= SERVICE_LEVEL_SECONDS:
                stats.answered_within += 1
        elif event in LOST_EVENTS:
            waiting.discard(key)
            stats.lost += 1
        elif event == "EXITWITHKEY":
            waiting.discard(key)
            stats.left_by_key += 1
    return stats
