"""The vocabulary of config.yaml: keys, defaults, patterns, and message helpers.

The sections are declared once (``ROOT``, ``DIRECTORY`` and the sections they hold, in the
kinds of :mod:`ivr.config.kinds`): the loader's key tuples (``*_KEYS``, ``*_REQUIRED``) and
number ranges are read from them, and ``ivr schema`` (:mod:`ivr.config.json_schema`) builds
the published JSON Schema from the same objects.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ivr.config.directory import CompanyRole
from ivr.config.kinds import (
    AnyOf,
    Choice,
    Const,
    Date,
    Field,
    Flag,
    Keyed,
    KeypadKey,
    ListOf,
    Nothing,
    Number,
    Option,
    Phone,
    PromptId,
    PromptList,
    Section,
    Text,
    TopicCode,
)
from ivr.config.model import Role
from ivr.config.regions import REGIONS

DEFAULT_DATABASE_URL = "sqlite:///ivr.sqlite3"
DEFAULT_JOURNAL = "ivr-journal.jsonl"
DEFAULT_LANGUAGE = "uk"
DEFAULT_SOUNDS = "prompts"
DEFAULT_KEYS: dict[str, str | None] = {"operator": "0", "back": "*", "repeat": "#"}
DEFAULT_TIMEOUT_S = 6
DEFAULT_INTER_DIGIT_S = 3
DEFAULT_MAX_FAILURES = 3

# (lowest, highest) sane values
TIMEOUT_RANGE = (1, 60)
INTER_DIGIT_RANGE = (1, 10)
MAX_FAILURES_RANGE = (1, 10)
WAITING_RANGE = (0, 1000)  # callers in the queue; 0: offer a callback always
MIN_SECONDS_RANGE = (0, 3600)  # shorter expected waits are not announced
MAX_MINUTES_RANGE = (1, 180)  # longer ones are said as "more than N minutes"
SERVER_ID_RANGE = (1, 99)
DEADLINE_DAYS_RANGE = (1, 365)
DEADLINE_WORKING_DAYS_RANGE = (1, 60)
#: the longest answer term of Resolution 375 (with a technical check); longer is warned
LONGEST_LEGAL_DAYS = 45
ACCOUNT_LENGTH_RANGE = (4, 20)
ATTEMPTS_RANGE = (1, 5)
MAX_AGE_RANGE = (1, 24 * 60)  # minutes
REPORT_WINDOW_RANGE = (1, 7 * 24 * 60)  # minutes
WINDOW_DAYS_RANGE = (0, 14)
READING_DIGITS_RANGE = (1, 6)  # read back as a number: at most 999 999 (ivr.speech)
MAX_KWH_PER_DAY_RANGE = (1, 10_000)

#: ``company.id`` when not given: what the records of a single-company server say
DEFAULT_COMPANY_ID = "main"

#: how to fix a missing option field
FIELD_HINTS = {
    "menu": "'menu: <menu name>'",
    "prompts": "'prompts: [<prompt id>, ...]'",
    "number": "'number: \"<digits>\"'",
    "to": "'to: <redirect name>'",
    "topic": "'topic: <code>' (calls are counted by topic)",
    "open": "'open: {action: ...}' (the option in working hours)",
    "closed": "'closed: {action: ...}' (the option outside them)",
}

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KEY_RE = re.compile(r"^[0-9*#]{1,3}$")
#: menu, redirect and prompt ids (a prompt id becomes a sound file name)
NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
COMPANY_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
PHONE_RE = re.compile(r"^\+?[0-9]{2,20}$")
QUEUE_RE = re.compile(r"""^[^\s,|"'()\\]+$""")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z]{2})?$")
HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DIALPLAN_EXPRESSION_RE = re.compile(r"^\$\{[^{}]+(\{[^{}]*\}[^{}]*)*\}$")
COMMENT_KEY_RE = re.compile(r"^\s*#\s*:(\s|$)")
#: a region key of ``misrouted.regions.keys``
REGION_KEY_RE = re.compile(r"^[1-9]$")
#: an e-mail address as the directory's check reads it: one '@', a '.' after it
EMAIL_RE = re.compile(r"^[^@]*@[^@]*\.[^@]*$")


def _anycase(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def _day_spec_re(days: tuple[str, ...]) -> re.Pattern[str]:
    """``mon-fri``, ``sat``, ``daily``, ``mon,wed-fri``, in any case (the loader lowercases)."""
    day = "(" + "|".join(_anycase(d) for d in days) + ")"
    part = rf"\s*({_anycase('daily')}|{day}(\s*-\s*{day})?)\s*"
    return re.compile(rf"^{part}(,{part})*$")


#: a weekly schedule's key (``company.working_hours``)
DAY_SPEC_RE = _day_spec_re(DAYS)
#: a directory entry's weekly hours key: a day or a range, lowercase
DAY_RANGE_RE = re.compile(rf"^({'|'.join(DAYS)})(-({'|'.join(DAYS)}))?$")

# -- the declarations (ivr.config.kinds): the loader's key checks and the JSON Schema ------

_ROLE = Choice(values=tuple(r.value for r in Role))
_HOURS = AnyOf(
    options=(
        Nothing(),
        Const(value="closed"),
        Text(pattern=HOURS_RE, examples=("08:00-20:00",)),
        ListOf(item=Text(pattern=HOURS_RE), min_items=1),
    ),
    description='"HH:MM-HH:MM", a list of them, or closed',
)
_WEEKLY = Keyed(
    keys=Text(pattern=DAY_SPEC_RE),
    values=_HOURS,
    description='weekdays and their hours, e.g. {mon-fri: "08:00-20:00", sat: "09:00-14:00"}; '
    "a day left out is closed",
)
WORKING_HOURS = Section(
    fields=(
        Field("weekly", _WEEKLY, "the hours of each weekday", required=True),
        Field(
            "exceptions",
            AnyOf(options=(Nothing(), Keyed(keys=Text(pattern=DATE_RE), values=_HOURS))),
            "dates and their hours instead of the weekday's: {2027-01-01: closed, "
            '2026-12-31: "08:00-17:00"}',
        ),
    )
)
COMPANY = Section(
    fields=(
        Field(
            "id",
            Text(pattern=COMPANY_ID_RE),
            "the company in records and reports: lowercase letters, digits, '_' and '-'",
            default=DEFAULT_COMPANY_ID,
        ),
        Field("role", _ROLE, "dso (оператор системи розподілу) or supplier", required=True),
        Field("name", Text(), "the company's name, e.g. ТОВ «Демоенергозбут»", required=True),
        Field(
            "dialled_numbers",
            ListOf(item=Phone(), min_items=1),
            "the numbers callers dial (as Asterisk delivers them), in quotes",
            required=True,
        ),
        Field(
            "timezone",
            Text(examples=("Europe/Kyiv",)),
            "a timezone name",
            default="Europe/Kyiv",
        ),
        Field(
            "working_hours",
            AnyOf(options=(Const(value="always"), WORKING_HOURS, _WEEKLY)),
            "the operators' hours: always (24/7, a DSO's), or {weekly: ..., exceptions: ...}",
            default="always",
        ),
    )
)
_DIALPLAN = Text(pattern=DIALPLAN_EXPRESSION_RE, description="a dialplan expression ${...}")
CALLBACK = Section(
    fields=(
        Field(
            "offer_when_waiting",
            Number(bounds=WAITING_RANGE, unit=" waiting callers"),
            "offer a callback when this many callers wait (0: always)",
            required=True,
        ),
        Field("waiting", _DIALPLAN, "the waiting count; default ${QUEUE_WAITING_COUNT(<queue>)}"),
    )
)
EXPECTED_WAIT = Section(
    fields=(
        Field("hold_time", _DIALPLAN, "seconds of expected wait; default the queue's hold time"),
        Field(
            "min_seconds",
            Number(bounds=MIN_SECONDS_RANGE, unit=" seconds"),
            "shorter expected waits are not said",
            default=60,
        ),
        Field(
            "max_minutes",
            Number(bounds=MAX_MINUTES_RANGE, unit=" minutes"),
            'longer ones are said as "понад N хвилин"',
            default=30,
        ),
    )
)
_OPERATOR_REQUIRED = (
    Field("queue", Text(pattern=QUEUE_RE), "the Asterisk queue (queues.conf)", required=True),
    Field(
        "connecting_prompt",
        PromptId(),
        "said before the caller joins the queue",
        required=True,
    ),
    Field("closed_prompt", PromptId(), "said outside working hours", required=True),
    Field("topic", TopicCode(), "the topic of a call that reaches the operator", required=True),
)
OPERATOR = Section(
    fields=(
        *_OPERATOR_REQUIRED,
        Field(
            "appeal_prompt",
            AnyOf(options=(PromptId(), Nothing())),
            "said with the appeal number",
        ),
        Field("callback", CALLBACK, "offer a callback when the queue is long"),
        Field(
            "expected_wait",
            EXPECTED_WAIT,
            "tell the caller the expected wait ({} for the defaults)",
        ),
        Field(
            "queues",
            Keyed(keys=Text(pattern=QUEUE_RE), values=ListOf(item=TopicCode(), min_items=1)),
            "topics with a queue of their own: {QUEUE: [TOPIC, ...]}",
        ),
    )
)
DATABASE = Section(
    fields=(
        Field(
            "url",
            Text(examples=(DEFAULT_DATABASE_URL,)),
            "sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE",
            default=DEFAULT_DATABASE_URL,
        ),
        Field("journal", Text(), "call records the database cannot take", default=DEFAULT_JOURNAL),
        Field(
            "server_id",
            Number(bounds=SERVER_ID_RANGE),
            "different on every IVR server writing to one database",
            default=1,
        ),
    )
)
PROMPTS = Section(
    fields=(
        Field("language", Text(pattern=LANGUAGE_RE), "a language code", default=DEFAULT_LANGUAGE),
        Field("texts", Text(), "the prompt texts file, default prompts/<language>.yaml"),
        Field("sounds", Text(), "the built audio's directory", default=DEFAULT_SOUNDS),
    )
)
_KEY_OR_NONE = AnyOf(options=(KeypadKey(), Nothing()))
DEFAULT_KEY_ROLES = Section(
    fields=tuple(
        Field(role, _KEY_OR_NONE, f"the {role} key in every menu (empty: none)", default=key)
        for role, key in DEFAULT_KEYS.items()
    )
)
_TIMING = (
    Field(
        "timeout",
        Number(bounds=TIMEOUT_RANGE, unit=" seconds", integer=False),
        "seconds to wait for the first key",
        default=DEFAULT_TIMEOUT_S,
    ),
    Field(
        "inter_digit_timeout",
        Number(bounds=INTER_DIGIT_RANGE, unit=" seconds", integer=False),
        "seconds between the keys of a multi-key option",
        default=DEFAULT_INTER_DIGIT_S,
    ),
    Field(
        "max_failures",
        Number(bounds=MAX_FAILURES_RANGE),
        "wrong or missing inputs before the operator takes over",
        default=DEFAULT_MAX_FAILURES,
    ),
    Field("invalid_prompt", PromptId(), "said after a wrong key"),
    Field("timeout_prompt", PromptId(), "said when no key came"),
)
DEFAULTS = Section(
    fields=(
        Field("keys", DEFAULT_KEY_ROLES, "the keys every menu has: operator, back, repeat"),
        *_TIMING[:3],
        Field(_TIMING[3].name, _TIMING[3].kind, _TIMING[3].description, required=True),
        Field(_TIMING[4].name, _TIMING[4].kind, _TIMING[4].description, required=True),
        Field("farewell_prompt", PromptId(), "said before the IVR hangs up", required=True),
    )
)
DEADLINE = Section(
    fields=(
        Field("days", Number(bounds=DEADLINE_DAYS_RANGE, unit=" days"), "calendar days"),
        Field(
            "working_days",
            Number(bounds=DEADLINE_WORKING_DAYS_RANGE, unit=" working days"),
            "working days (weekends and appeals.holidays skipped)",
        ),
    ),
    max_keys=1,
    description="{days: N} or {working_days: N}; 30 days when not given",
)
TOPIC = Section(
    fields=(
        Field("code", Text(pattern=CODE_RE), "the topic code, e.g. D1", required=True),
        Field("label", Text(), "what the topic is, e.g. Передача показів", required=True),
        Field("deadline", DEADLINE, "how long the answer to an appeal may take"),
        Field("handled_by", _ROLE, "whose business the topic is (default: the catalogue's)"),
    )
)
TOPICS = Section(
    fields=tuple(
        Field(r.value, ListOf(item=TOPIC, min_items=1), f"the {r.value} topic catalogue")
        for r in Role
    ),
    description="topic catalogues for both roles; company.role's is used",
)
REDIRECT = Section(
    fields=(
        Field("company", Text(), "the company's name", required=True),
        Field("number", Phone(), "its number, in quotes", required=True),
        Field("prompts", PromptList(), "what the caller hears first", required=True),
        Field("offer_prompt", PromptId(), "offers the transfer", required=True),
        Field("transfer_key", KeypadKey(), "the key that transfers", default="1"),
    )
)
MENU = Section(
    fields=(
        Field("greeting", PromptList(), "the prompts played first", required=True),
        Field("short_greeting", PromptList(), "played when the caller comes back"),
        Field("topic", TopicCode(), "the topic of a call that is in this menu"),
        *_TIMING,
        Field(
            "options",
            Keyed(keys=Text(pattern=KEY_RE), values=Option()),
            'keypad keys in quotes ("1", "12", "*", "#") -> {action: ...}',
        ),
    )
)
IDENTIFICATION = Section(
    fields=(
        Field(
            "account_length",
            Number(bounds=ACCOUNT_LENGTH_RANGE),
            "digits of a personal account number",
            default=10,
        ),
        Field(
            "eic", Flag(), 'callers may key the 12 digits of their EIC after "62Z"', default=True
        ),
        Field(
            "attempts",
            Number(bounds=ATTEMPTS_RANGE),
            "keypad entries before the operator takes over",
            default=3,
        ),
    )
)
OUTAGES = Section(
    fields=(
        Field(
            "max_age",
            Number(bounds=MAX_AGE_RANGE, unit=" minutes"),
            "minutes; older outage data is said to be maybe out of date",
            default=30,
        ),
        Field(
            "report_window",
            Number(bounds=REPORT_WINDOW_RANGE, unit=" minutes"),
            "minutes; a house's repeated outage reports join the first one",
            default=120,
        ),
    )
)
APPEALS = Section(
    fields=(
        Field(
            "holidays",
            AnyOf(options=(Nothing(), ListOf(item=Date()))),
            "days without appeal answers, skipped by working-day deadlines: [2027-01-01]",
        ),
    )
)
READING_WINDOW = Section(
    fields=(
        Field(
            "last_days",
            Number(bounds=WINDOW_DAYS_RANGE, unit=" days"),
            "the last days of a month",
            default=0,
        ),
        Field(
            "first_days",
            Number(bounds=WINDOW_DAYS_RANGE, unit=" days"),
            "the first days of the next",
            default=0,
        ),
    )
)
READINGS = Section(
    fields=(
        Field(
            "window",
            AnyOf(options=(Const(value="always"), READING_WINDOW)),
            "the days readings are taken: always, or {last_days: 2, first_days: 3}",
        ),
        Field(
            "max_digits",
            Number(bounds=READING_DIGITS_RANGE, unit=" digits"),
            "whole kWh of one zone's value",
            default=6,
        ),
        Field(
            "max_kwh_per_day",
            Number(bounds=MAX_KWH_PER_DAY_RANGE, unit=" kWh"),
            "a zone grown more a day since the last reading is asked again",
            default=150,
        ),
        Field(
            "attempts",
            Number(bounds=ATTEMPTS_RANGE),
            "entries of one zone before the operator takes over",
            default=3,
        ),
    )
)
_REGION = Choice(values=tuple(REGIONS))
MISROUTED_REGIONS = Section(
    fields=(
        Field("prompt", PromptId(), "says which key is which region", required=True),
        Field(
            "keys",
            Keyed(keys=Text(pattern=REGION_KEY_RE), values=_REGION),
            'keys 1-9 -> region ids: {"1": kyivska}',
            required=True,
        ),
    )
)
MISROUTED = Section(
    fields=(
        Field("offer_prompt", PromptId(), "offers the transfer", required=True),
        Field("transfer_key", KeypadKey(), "the key that transfers", default="1"),
        Field("regions", MISROUTED_REGIONS, "the caller picks the region on the keypad"),
        Field("national_number", Phone(), "said where no company of the directory serves"),
    )
)
_SERVER = " (the main config only: a profile uses the main config's)"
ROOT = Section(
    fields=(
        Field("company", COMPANY, "who answers: role, name, numbers, hours", required=True),
        Field("operator", OPERATOR, "the operator queue and its prompts", required=True),
        Field("database", DATABASE, "where call records and appeals go" + _SERVER),
        Field("prompts", PROMPTS, "the prompt texts and their audio"),
        Field("defaults", DEFAULTS, "what every menu has unless it says otherwise", required=True),
        Field("topics", TOPICS, "the topic catalogues (Resolution 373)", required=True),
        Field(
            "redirects",
            Keyed(keys=Text(pattern=NAME_RE), values=REDIRECT),
            "redirect name -> another company's number (action: redirect, to: NAME)",
        ),
        Field("entry_menu", Text(), "the menu a call starts in", default="main"),
        Field(
            "menus",
            Keyed(keys=Text(pattern=NAME_RE), values=MENU, min_items=1),
            "menu name -> menu",
            required=True,
        ),
        Field("log_file", Text(), "process AGI's log file" + _SERVER),
        Field("identification", IDENTIFICATION, "how a caller is recognised"),
        Field("outages", OUTAGES, "how outage data is used"),
        Field("appeals", APPEALS, "appeal answer days"),
        Field("readings", READINGS, "meter readings on the keypad (meter_reading)"),
        Field("directory", Text(), "the directory file of companies for misrouted callers"),
        Field("misrouted", MISROUTED, "how a redirect without 'to' uses the directory"),
        Field(
            "profiles",
            ListOf(item=Text()),
            "the other companies' configuration files" + _SERVER,
        ),
    ),
    description="the IVR configuration (ivr validate config.yaml checks it)",
)
DIRECTORY_ENTRY = Section(
    fields=(
        Field("id", Text(pattern=NAME_RE), "letters, digits, '_' and '-'", required=True),
        Field("name", Text(), "the company's name as written", required=True),
        Field(
            "role",
            Choice(values=tuple(r.value for r in CompanyRole)),
            "supplier, universal_supplier (постачальник універсальних послуг) or dso",
            required=True,
        ),
        Field("regions", ListOf(item=_REGION, min_items=1), "region ids", required=True),
        Field("number", Phone(), "the multichannel number, in quotes", required=True),
        Field("name_prompt", PromptId(), "the prompt that says its name", required=True),
        Field("settlements", ListOf(item=Text()), "the settlements it serves", default=[]),
        Field("alternatives", ListOf(item=Phone()), "other numbers", default=[]),
        Field("email", Text(pattern=EMAIL_RE), "an e-mail address"),
        Field("website", Text(), "a web address"),
        Field(
            "hours",
            AnyOf(
                options=(
                    Text(),
                    Keyed(
                        keys=Text(pattern=DAY_RANGE_RE),
                        values=AnyOf(
                            options=(Text(pattern=HOURS_RE), ListOf(item=Text(pattern=HOURS_RE)))
                        ),
                    ),
                )
            ),
            'a text ("always", "пн-пт 8:00-20:00") or {mon-fri: "08:00-20:00"}',
        ),
        Field("info_prompt", PromptId(), "says more about it"),
    )
)
DIRECTORY = Section(
    fields=(Field("companies", ListOf(item=DIRECTORY_ENTRY), "the companies", required=True),),
    description="the companies misrouted callers are sent to (config.yaml: directory)",
)

ROOT_KEYS = ROOT.keys
#: What belongs to the server, not to a company: set in the main config only, never in a
#: profile file (``profiles``), whose calls use the main config's.
SERVER_KEYS = ("database", "log_file", "profiles")
ROOT_REQUIRED = ROOT.required
COMPANY_KEYS = COMPANY.keys
COMPANY_REQUIRED = COMPANY.required
WORKING_HOURS_KEYS = WORKING_HOURS.keys
OPERATOR_REQUIRED = tuple(f.name for f in _OPERATOR_REQUIRED)
OPERATOR_KEYS = OPERATOR.keys
CALLBACK_KEYS = CALLBACK.keys
EXPECTED_WAIT_KEYS = EXPECTED_WAIT.keys
DATABASE_KEYS = DATABASE.keys
PROMPTS_KEYS = PROMPTS.keys
DEFAULTS_KEYS = DEFAULTS.keys
DEFAULTS_REQUIRED = DEFAULTS.required
TIMING_KEYS = tuple(f.name for f in _TIMING)
MENU_KEYS = MENU.keys
REDIRECT_KEYS = REDIRECT.keys
REDIRECT_REQUIRED = REDIRECT.required
TOPIC_REQUIRED = TOPIC.required
TOPIC_KEYS = TOPIC.keys
DEADLINE_KEYS = DEADLINE.keys
APPEALS_KEYS = APPEALS.keys
IDENTIFICATION_KEYS = IDENTIFICATION.keys
OUTAGES_KEYS = OUTAGES.keys
READINGS_KEYS = READINGS.keys
WINDOW_KEYS = READING_WINDOW.keys
MISROUTED_KEYS = MISROUTED.keys
MISROUTED_REQUIRED = MISROUTED.required
REGIONS_KEYS = MISROUTED_REGIONS.keys
ENTRY_KEYS = DIRECTORY_ENTRY.keys
ENTRY_REQUIRED = DIRECTORY_ENTRY.required


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def describe(value: Any) -> str:
    """How a YAML value reads to an admin in a 'wrong type' message."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off as true/false; quote it)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


@dataclass
class MenuDefaults:
    """The ``defaults`` section, applied to every menu that does not override it."""

    keys: dict[str, str | None] = field(default_factory=lambda: dict(DEFAULT_KEYS))
    timeout_ms: int = DEFAULT_TIMEOUT_S * 1000
    inter_digit_timeout_ms: int = DEFAULT_INTER_DIGIT_S * 1000
    max_failures: int = DEFAULT_MAX_FAILURES
    invalid_prompt: str | None = None
    timeout_prompt: str | None = None
    farewell_prompt: str | None = None
