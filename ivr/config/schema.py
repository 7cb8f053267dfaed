"""The vocabulary of config.yaml: keys, defaults, patterns, and message helpers."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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

ROOT_KEYS = (
    "company",
    "operator",
    "database",
    "prompts",
    "defaults",
    "topics",
    "redirects",
    "entry_menu",
    "menus",
    "log_file",
    "identification",
    "outages",
    "appeals",
    "readings",
    "directory",
    "misrouted",
    "profiles",
)
#: What belongs to the server, not to a company: set in the main config only, never in a
#: profile file (``profiles``), whose calls use the main config's.
SERVER_KEYS = ("database", "log_file", "profiles")
ROOT_REQUIRED = ("company", "operator", "defaults", "topics", "menus")
COMPANY_KEYS = ("id", "role", "name", "dialled_numbers", "timezone", "working_hours")
#: ``company.id`` when not given: what the records of a single-company server say
DEFAULT_COMPANY_ID = "main"
COMPANY_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
WORKING_HOURS_KEYS = ("weekly", "exceptions")
COMPANY_REQUIRED = ("role", "name", "dialled_numbers")
OPERATOR_REQUIRED = ("queue", "connecting_prompt", "closed_prompt", "topic")
OPERATOR_KEYS = (*OPERATOR_REQUIRED, "appeal_prompt", "callback", "expected_wait", "queues")
CALLBACK_KEYS = ("offer_when_waiting", "waiting")
WAITING_RANGE = (0, 1000)  # callers in the queue; 0: offer a callback always
EXPECTED_WAIT_KEYS = ("hold_time", "min_seconds", "max_minutes")
MIN_SECONDS_RANGE = (0, 3600)  # shorter expected waits are not announced
MAX_MINUTES_RANGE = (1, 180)  # longer ones are said as "more than N minutes"
DIALPLAN_EXPRESSION_RE = re.compile(r"^\$\{[^{}]+(\{[^{}]*\}[^{}]*)*\}$")
PROMPTS_KEYS = ("language", "texts", "sounds")
DEFAULTS_KEYS = (
    "keys",
    "timeout",
    "inter_digit_timeout",
    "max_failures",
    "invalid_prompt",
    "timeout_prompt",
    "farewell_prompt",
)
DEFAULTS_REQUIRED = ("invalid_prompt", "timeout_prompt", "farewell_prompt")
TIMING_KEYS = ("timeout", "inter_digit_timeout", "max_failures", "invalid_prompt", "timeout_prompt")
MENU_KEYS = ("greeting", "short_greeting", "topic", *TIMING_KEYS, "options")
REDIRECT_KEYS = ("company", "number", "prompts", "offer_prompt", "transfer_key")
REDIRECT_REQUIRED = ("company", "number", "prompts", "offer_prompt")
TOPIC_REQUIRED = ("code", "label")
TOPIC_KEYS = (*TOPIC_REQUIRED, "deadline", "handled_by")
DEADLINE_KEYS = ("days", "working_days")
DEADLINE_DAYS_RANGE = (1, 365)
DEADLINE_WORKING_DAYS_RANGE = (1, 60)
#: the longest answer term of Resolution 375 (with a technical check); longer is warned
LONGEST_LEGAL_DAYS = 45
APPEALS_KEYS = ("holidays",)
IDENTIFICATION_KEYS = ("account_length", "eic", "attempts")
ACCOUNT_LENGTH_RANGE = (4, 20)
ATTEMPTS_RANGE = (1, 5)
OUTAGES_KEYS = ("max_age", "report_window")
MAX_AGE_RANGE = (1, 24 * 60)  # minutes
REPORT_WINDOW_RANGE = (1, 7 * 24 * 60)  # minutes
READINGS_KEYS = ("window", "max_digits", "max_kwh_per_day", "attempts")
WINDOW_KEYS = ("last_days", "first_days")
WINDOW_DAYS_RANGE = (0, 14)
READING_DIGITS_RANGE = (1, 6)  # read back as a number: at most 999 999 (ivr.speech)
MAX_KWH_PER_DAY_RANGE = (1, 10_000)

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
PHONE_RE = re.compile(r"^\+?[0-9]{2,20}$")
QUEUE_RE = re.compile(r"^[^\s,|\"'()\\]+$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z]{2})?$")
HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
COMMENT_KEY_RE = re.compile(r"^\s*#\s*:(\s|$)")


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
