"""Typed, validated configuration consumed by the call-flow engine.

The loader (``ivr.config.loader``) turns ``config.yaml`` into these objects only after
validation passed, so the engine may trust every reference in them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ivr.actions.base import Action
from ivr.config.directory import Directory, Misrouted
from ivr.config.hours import WorkingHours
from ivr.store.deadlines import DEFAULT_DEADLINE, Deadline


class Role(enum.StrEnum):
    SUPPLIER = "supplier"
    DSO = "dso"


@dataclass(frozen=True)
class Topic:
    code: str
    label: str
    #: how long the answer to an appeal on this topic may take (Resolution 375)
    deadline: Deadline = DEFAULT_DEADLINE
    #: the role whose business the topic is (``handled_by``); None: the catalogue's own role
    handled_by: Role | None = None


@dataclass(frozen=True)
class Menu:
    name: str
    greeting: tuple[str, ...]
    short_greeting: tuple[str, ...]  # played on repeats; equals greeting when not configured
    #: keypad key(s) -> typed action (``ivr.actions``); the default keys already merged in
    options: Mapping[str, Action]
    timeout_ms: int
    inter_digit_timeout_ms: int
    max_failures: int
    invalid_prompt: str
    timeout_prompt: str
    topic: str | None = None  # used for the operator key and max-failures transfer here
    #: the keys of ``options`` merged in from ``defaults.keys`` (the menu does not bind them)
    default_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Redirect:
    """The other company (DSO for a supplier, supplier for a DSO) for misrouted callers."""

    name: str
    company: str
    number: str
    prompts: tuple[str, ...]  # say the company's name and number
    offer_prompt: str  # "press 1 to be connected, * to go back"
    transfer_key: str = "1"


@dataclass(frozen=True)
class Company:
    role: Role
    name: str
    dialled_numbers: tuple[str, ...]
    timezone: str = "Europe/Kyiv"
    working_hours: WorkingHours = field(default_factory=WorkingHours)
    #: the company's short name in the records and reports (``company.id``); one server may
    #: serve several companies (``profiles``)
    id: str = "main"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def dialled_key(number: str) -> str:
    """A dialled number in the form profiles are matched by: digits only, and a Ukrainian
    number in its national form (``+380 44 000 0373`` and ``0440000373`` are one number)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == 12 and digits.startswith("380"):
        return "0" + digits[3:]
    return digits


@dataclass(frozen=True)
class Identification:
    """How a caller is recognised (``identify``, and ``outage_status`` before it looks up)."""

    account_length: int = 10  # digits of a personal account number at this company
    eic: bool = True  # callers may key the 12 digits of their EIC code after "62Z" instead
    attempts: int = 3  # keypad entries before the caller is handed to the operator


@dataclass(frozen=True)
class OutageData:
    """How the IVR treats the outage data it says (``outages`` in config.yaml)."""

    max_age_minutes: int = 30  # older data is said to be possibly out of date, with its time
    #: an outage report from a house that reported within this many minutes is linked to
    #: the first report instead of making a new appeal
    report_window_minutes: int = 120


@dataclass(frozen=True)
class Callback:
    """When the operator queue is long, offer to call the caller back (``operator.callback``)."""

    offer_when_waiting: int  # callers waiting in the queue from which a callback is offered
    #: a dialplan expression the IVR asks Asterisk for (GET FULL VARIABLE): the waiting
    #: count; None: ${QUEUE_WAITING_COUNT(<the call's queue>)}
    waiting: str | None = None

    def expression(self, queue: str) -> str:
        return self.waiting or f"${{QUEUE_WAITING_COUNT({queue})}}"


@dataclass(frozen=True)
class ExpectedWait:
    """Tell a caller on the way to the queue how long the wait is likely to be
    (``operator.expected_wait``), from the queue's own average hold time."""

    #: expected waits shorter than this are not announced (no "less than a minute")
    min_seconds: int = 60
    #: longer expected waits are said as "more than ``max_minutes`` minutes"
    max_minutes: int = 30
    #: a dialplan expression the IVR asks Asterisk for (GET FULL VARIABLE): the expected
    #: wait in seconds; None: the queue's average hold time, QUEUEHOLDTIME as set by
    #: QUEUE_VARIABLES(<the call's queue>) (queues.conf: ``setqueuevar = yes``)
    hold_time: str | None = None

    def expression(self, queue: str) -> str:
        """The expression for ``queue``; the default's ``:0:0`` drops QUEUE_VARIABLES' own
        result (0 or -1), which Asterisk evaluates before QUEUEHOLDTIME, left to right."""
        return self.hold_time or f"${{QUEUE_VARIABLES({queue}):0:0}}${{QUEUEHOLDTIME}}"


@dataclass(frozen=True)
class AppealSettings:
    """How appeals are handled (``appeals`` in config.yaml)."""

    #: days the company does not work: working-day deadlines skip them like weekends
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class ReadingWindow:
    """The days of a month meter readings are taken: its last ``last_days`` and the first
    ``first_days`` of the next (local days of the company's timezone); every day when
    ``always``."""

    last_days: int = 2
    first_days: int = 3
    always: bool = False

    def contains(self, day: date) -> bool:
        if self.always:
            return True
        return day.day <= self.first_days or (_month_end(day) - day).days < self.last_days

    def next_opening(self, day: date) -> tuple[date, date]:
        """The first and the last day of the next window that opens after ``day``."""
        end = _month_end(day)
        if end - timedelta(days=self.last_days - 1) <= day:  # this month's has begun
            end = _month_end(end + timedelta(days=1))
        return end - timedelta(days=self.last_days - 1), end + timedelta(days=self.first_days)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


@dataclass(frozen=True)
class Readings:
    """Meter readings passed in the IVR (``readings`` in config.yaml, ``meter_reading``)."""

    window: ReadingWindow = field(default_factory=ReadingWindow)
    max_digits: int = 6  # whole kWh a zone's value may have
    #: a zone that grew by more than this per day since the previous reading is asked again
    max_kwh_per_day: int = 150
    attempts: int = 3  # entries of one zone before the operator takes over


@dataclass(frozen=True)
class Operator:
    queue: str
    connecting_prompt: str  # "connecting you to an operator"
    closed_prompt: str  # operators are off duty (supplier schedule)
    topic: str  # topic code when nothing more specific is known
    # When set, the caller hears this prompt and the appeal number before being connected.
    appeal_prompt: str | None = None
    callback: Callback | None = None
    #: topic code -> the queue its callers go to (``operator.queues``); others: ``queue``
    topic_queues: Mapping[str, str] = field(default_factory=dict)
    expected_wait: ExpectedWait | None = None  # None: never announced

    def queue_for(self, topic: str | None) -> str:
        """The queue of a call about ``topic``."""
        return self.topic_queues.get(topic or "", self.queue)

    @property
    def queues(self) -> tuple[str, ...]:
        """Every queue the company's callers may be sent to: ``queue`` first."""
        return tuple(dict.fromkeys((self.queue, *self.topic_queues.values())))


@dataclass(frozen=True)
class Prompts:
    language: str
    texts: Mapping[str, str]  # prompt id -> Ukrainian text
    sounds_dir: Path  # audio lives at sounds_dir / language / f"{id}.wav"
    # prompt id -> TTS hints for the audio build (voice, speed); see ivr/audio/catalogue.py
    hints: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    # What was built is not configuration: the transports give the engine the audio catalogue
    # (ivr.audio.playable). These two make the prompts the engine's default ``Audio`` when a
    # flow is made without one (tools, tests): nothing is known about the build, so
    # everything is tried.

    def playable(self, prompt_id: str) -> bool:
        """Always True: without the audio catalogue the build is unknown."""
        return True

    def file_for(self, prompt_id: str) -> str:
        """The STREAM FILE argument for a prompt: absolute path, no extension."""
        return str(self.sounds_dir / self.language / prompt_id)


@dataclass(frozen=True)
class Config:
    source: Path
    company: Company
    catalogues: Mapping[Role, tuple[Topic, ...]]
    menus: Mapping[str, Menu]
    entry_menu: str
    redirects: Mapping[str, Redirect]
    operator: Operator
    prompts: Prompts
    farewell_prompt: str
    database_url: str
    # Durable local journal: call starts, and call records the database could not take
    # (replayed later).
    journal_path: Path = Path("ivr-journal.jsonl")
    # 1-99, distinct on every IVR server writing to one database: the SS digits of appeal
    # numbers and the name of their sequence file (beside a SQLite database file, else beside
    # the journal; ivr.store.appeals). Nothing else uses it.
    server_id: int = 1
    #: Where process AGI writes its log (Asterisk discards a script's stderr when it runs as
    #: a daemon); None: stderr and syslog only.
    log_file: Path | None = None
    identification: Identification = field(default_factory=Identification)
    outages: OutageData = field(default_factory=OutageData)
    appeals: AppealSettings = field(default_factory=AppealSettings)
    readings: Readings = field(default_factory=Readings)
    #: the companies misrouted callers are sent to (``directory: FILE``)
    directory: Directory = field(default_factory=Directory)
    #: how a redirect without a fixed company uses the directory (``misrouted``)
    misrouted: Misrouted | None = None
    #: the other companies this server answers for (``profiles``), by company id, each a
    #: whole configuration of its own with this one's database, journal, server id and log;
    #: empty in a profile. This configuration takes every number no profile claims.
    profiles: Mapping[str, Config] = field(default_factory=dict)

    @property
    def companies(self) -> tuple[Config, ...]:
        """This configuration and its profiles: every company the server answers for."""
        return (self, *self.profiles.values())

    def for_dialled(self, number: str) -> Config | None:
        """The configuration whose company owns the dialled ``number``; None: no one's."""
        key = dialled_key(number)
        for config in self.companies:
            if any(dialled_key(n) == key for n in config.company.dialled_numbers):
                return config
        return None

    @property
    def topics(self) -> Mapping[str, Topic]:
        """The active role's catalogue by code."""
        return {t.code: t for t in self.catalogues[self.company.role]}
