"""Resolution 375 call-centre indicators from Asterisk's ``queue_log``.

One event per line: ``epoch|uniqueid|queuename|agent|event|data1|...|data5`` (older Asterisk
versions write fewer data fields, so 5 to 10 fields). Counting is per call (``uniqueid``):

- a call is **offered** when it enters the queue reported on (``ENTERQUEUE``) and its *first*
  entry falls inside the report's local dates; it counts once however often it re-enters (the
  dialplan sends it back after a timeout, an operator transfers it back);
- its **final fate**, the last of these events in the file, decides (events after the last
  date count too: a call queued at 23:59 and answered at 00:01 belongs to the day it queued):

  - ``CONNECT``: answered by an operator. The wait is ``data1`` (holdtime); for a call that
    entered more than once it is the time since its first ``ENTERQUEUE``. Answered within the
    service level when the wait is at most 30 s;
  - ``ABANDON`` (hung up while waiting), ``EXITWITHTIMEOUT`` (the queue's timeout) and
    ``EXITEMPTY`` (no operator logged in): **lost in the queue**;
  - ``EXITWITHKEY``: the caller left the queue by a key for an alternative the company offered
    (a callback, voicemail, the menu). Counted as offered, neither answered nor lost, and shown
    on its own line: it lowers the service level (nobody answered it) but it is not a lost call;

- an offered call with no fate in the file (Asterisk restarted, or the file was cut while it
  waited) is reported as *without a fate* and left out of the indicators: it cannot be judged.

Service level = answered within 30 s / offered; lost share = lost in the queue / offered
(Resolution 375 targets: at least 75 %, at most 10 %). Calls that ended inside the IVR menu
never reach a queue, so they are excluded by construction, as the standard requires.

Unknown event names and malformed lines (fewer than 5 or more than 10 fields, a time that is
not a Unix time, a ``CONNECT`` without a numeric wait) are counted and reported with example
line numbers, and skipped: they never stop the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ivr.reports.periods import Granularity, ReportRange, period_label

SERVICE_LEVEL_SECONDS = 30
SERVICE_LEVEL_TARGET = 0.75  # at least
LOST_TARGET = 0.10  # at most

MIN_FIELDS, MAX_FIELDS = 5, 10
ANSWERED = "CONNECT"
LEFT_BY_KEY = "EXITWITHKEY"
LOST_EVENTS = frozenset({"ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"})
FATE_EVENTS = LOST_EVENTS | {ANSWERED, LEFT_BY_KEY}
#: Standard events that say nothing about whether a queued call was answered or lost.
KNOWN_EVENTS = FATE_EVENTS | {
    "ENTERQUEUE",
    "COMPLETECALLER",
    "COMPLETEAGENT",
    "TRANSFER",
    "BLINDTRANSFER",
    "ATTENDEDTRANSFER",
    "RINGNOANSWER",
    "RINGCANCELED",
    "AGENTLOGIN",
    "AGENTLOGOFF",
    "AGENTCALLBACKLOGIN",
    "AGENTCALLBACKLOGOFF",
    "AGENTDUMP",
    "ADDMEMBER",
    "REMOVEMEMBER",
    "PAUSE",
    "UNPAUSE",
    "PAUSEALL",
    "UNPAUSEALL",
    "CONFIGRELOAD",
    "QUEUESTART",
    "SYSCOMPAT",
    "PENALTY",
    "DID",
    "INFO",
}
MAX_EXAMPLES = 5  # example line numbers kept per kind of problem


@dataclass
class QueueFigures:
    """The indicators over one period, or over the whole range."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0  # wait <= 30 s
    abandoned: int = 0  # ABANDON
    timed_out: int = 0  # EXITWITHTIMEOUT
    no_agents: int = 0  # EXITEMPTY
    left_by_key: int = 0  # EXITWITHKEY
    wait_answered_s: int = 0  # total wait of the answered calls

    @property
    def lost(self) -> int:
        return self.abandoned + self.timed_out + self.no_agents

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

    @property
    def average_wait_answered_s(self) -> float | None:
        return self.wait_answered_s / self.answered if self.answered else None

    def count(self, fate: str, wait: int) -> None:
        self.offered += 1
        if fate == ANSWERED:
            self.answered += 1
            self.wait_answered_s += wait
            if wait <= SERVICE_LEVEL_SECONDS:
                self.answered_within += 1
        elif fate == "ABANDON":
            self.abandoned += 1
        elif fate == "EXITWITHTIMEOUT":
            self.timed_out += 1
        elif fate == "EXITEMPTY":
            self.no_agents += 1
        else:
            self.left_by_key += 1

    def as_dict(self) -> dict[str, object]:
        return {
            "offered": self.offered,
            "answered": self.answered,
            "answered_within_30s": self.answered_within,
            "answered_after_30s": self.answered - self.answered_within,
            "average_wait_answered_s": self.average_wait_answered_s,
            "lost": self.lost,
            "abandoned": self.abandoned,
            "exit_timeout": self.timed_out,
            "exit_empty": self.no_agents,
            "left_by_key": self.left_by_key,
            "service_level": self.service_level,
            "service_level_target": SERVICE_LEVEL_TARGET,
            "service_level_met": self.service_level_met,
            "lost_share": self.lost_share,
            "lost_target": LOST_TARGET,
            "lost_met": self.lost_met,
        }


@dataclass
class QueueIndicators(QueueFigures):
    """The whole range, per period, and what was read from the file."""

    queue: str | None = None  # None: every queue in the file
    by_period: dict[str, QueueFigures] = field(default_factory=dict)
    lines: int = 0  # non-blank lines read
    waiting: int = 0  # offered calls without a fate in the file (left out)
    #: when each of those first entered the queue (the live page's callers still waiting)
    waiting_since: list[datetime] = field(default_factory=list)
    outside_range: int = 0  # calls whose first ENTERQUEUE is outside the dates
    other_queue_events: int = 0  # ENTERQUEUE and fate events of other queues
    malformed: int = 0
    unknown_events: int = 0
    unknown_names: Counter[str] = field(default_factory=Counter)
    malformed_examples: list[str] = field(default_factory=list)  # "line N: why"
    unknown_examples: list[str] = field(default_factory=list)

    @property
    def examples(self) -> list[str]:
        return [*self.malformed_examples, *self.unknown_examples]

    def bad_line(self, number: int, why: str) -> None:
        self.malformed += 1
        if len(self.malformed_examples) < MAX_EXAMPLES:
            self.malformed_examples.append(f"line {number}: {why}")

    def unknown_line(self, number: int, event: str) -> None:
        self.unknown_events += 1
        self.unknown_names[event] += 1
        if len(self.unknown_examples) < MAX_EXAMPLES:
            self.unknown_examples.append(f"line {number}: unknown event {event!r}")

    def as_dict(self) -> dict[str, object]:
        return {
            "queue": self.queue or "*",
            **super().as_dict(),
            "by_period": {p: f.as_dict() for p, f in self.by_period.items()},
            "ivr_calls": "excluded by construction: calls that ended in the IVR menu never "
            "enter a queue",
            "calls_without_fate": self.waiting,
            "calls_outside_range": self.outside_range,
            "lines": self.lines,
            "other_queue_events": self.other_queue_events,
            "malformed_lines": self.malformed,
            "unknown_event_lines": self.unknown_events,
            "unknown_events": dict(self.unknown_names),
            "examples": self.examples,
        }


@dataclass
class _Call:
    first_enter: int  # Unix time
    entries: int = 1
    fate: str | None = None
    wait: int = 0


def read_queue_log(
    path: Path | str,
    rng: ReportRange | None = None,
    queue: str | Collection[str] | None = None,
    granularity: Granularity = Granularity.DAY,
) -> QueueIndicators:
    with open(path, encoding="utf-8", errors="replace") as stream:
        return compute_indicators(stream, rng, queue, granularity)


def compute_indicators(
    lines: Iterable[str],
    rng: ReportRange | None = None,
    queue: str | Collection[str] | None = None,
    granularity: Granularity = Granularity.DAY,
) -> QueueIndicators:
    """Indicators over the calls whose first entry into ``queue`` (or one of several: a
    company's queues; None: any queue) falls in ``rng`` (None: the whole file), per the
    rules of this module."""
    wanted = None if queue is None else {queue} if isinstance(queue, str) else set(queue)
    stats = QueueIndicators(queue=None if wanted is None else ", ".join(sorted(wanted)))
    calls: dict[str, _Call] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        stats.lines += 1
        fields = line.split("|")
        if not MIN_FIELDS <= len(fields) <= MAX_FIELDS:
            stats.bad_line(number, f"{len(fields)} fields, expected {MIN_FIELDS} to {MAX_FIELDS}")
            continue
        epoch, callid, queue_name, _agent, event = fields[:5]
        data = fields[5:]
        try:
            moment = int(epoch)
            datetime.fromtimestamp(moment, UTC)
        except (ValueError, OverflowError, OSError):
            stats.bad_line(number, f"time {epoch[:20]!r} is not a Unix time")
            continue
        if event not in KNOWN_EVENTS:
            stats.unknown_line(number, event[:30])
            continue
        if event != "ENTERQUEUE" and event not in FATE_EVENTS:
            continue  # known; says nothing about answered or lost
        if event == ANSWERED and not (data and data[0].strip().isdigit()):
            stats.bad_line(number, "CONNECT without a wait time")
            continue
        if wanted is not None and queue_name not in wanted:
            stats.other_queue_events += 1
            continue
        call = calls.get(callid)
        if event == "ENTERQUEUE":
            if call is None:
                calls[callid] = _Call(first_enter=moment)
            else:
                call.entries += 1
            continue
        if call is None:
            continue  # entered before the file starts: not offered in it
        call.fate = event
        if event == ANSWERED:
            held = int(data[0])
            call.wait = held if call.entries == 1 else max(held, moment - call.first_enter)

    if rng is not None:
        stats.by_period = {p: QueueFigures() for p in rng.periods(granularity)}
    for call in calls.values():
        entered = datetime.fromtimestamp(call.first_enter, UTC)
        if rng is not None and not rng.contains_utc(entered):
            stats.outside_range += 1
            continue
        if call.fate is None:
            stats.waiting += 1
            stats.waiting_since.append(entered)
            continue
        stats.count(call.fate, call.wait)
        if rng is not None:
            period = period_label(rng.local(entered).date(), granularity)
            stats.by_period.setdefault(period, QueueFigures()).count(call.fate, call.wait)
    return stats
