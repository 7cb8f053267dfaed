"""Validate ``config.yaml`` and turn it into the typed :class:`~ivr.config.model.Config`.

Every finding is a :class:`Problem` (``FILE:LINE: dotted.path: message``). Validation never
stops at the first error: the admin gets the whole list in one run. ``load_config`` refuses
(``ConfigError``) when any finding is an error; warnings are logged.

Relative paths inside the config (prompt texts file, sounds directory) resolve against the
directory of the config file. See ``config.yaml`` for the schema with comments.
"""

from __future__ import annotations

import difflib
import logging
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from ivr.audio.catalogue import read_hints
from ivr.audio.manifest import missing_audio, playable_ids
from ivr.audio.text import text_problems
from ivr.config.model import (
    TOPIC_REQUIRED,
    Action,
    ActionKind,
    Company,
    Config,
    Menu,
    Operator,
    Prompts,
    Redirect,
    Role,
    Topic,
    WorkingHours,
)
from ivr.config.problems import ConfigError, Problem, Severity, dotted
from ivr.config.yamlmap import YamlDoc, YamlPath, load_yaml, load_yaml_file

log = logging.getLogger(__name__)

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

ROOT_KEYS = ("company", "operator", "database", "prompts", "defaults", "topics", "redirects",
             "entry_menu", "menus")
ROOT_REQUIRED = ("company", "operator", "defaults", "topics", "menus")
COMPANY_KEYS = ("role", "name", "dialled_numbers", "timezone", "working_hours")
COMPANY_REQUIRED = ("role", "name", "dialled_numbers")
OPERATOR_REQUIRED = ("queue", "connecting_prompt", "closed_prompt", "topic")
OPERATOR_KEYS = (*OPERATOR_REQUIRED, "appeal_prompt")
PROMPTS_KEYS = ("language", "texts", "sounds")
DEFAULTS_KEYS = ("keys", "timeout", "inter_digit_timeout", "max_failures", "invalid_prompt",
                 "timeout_prompt", "farewell_prompt")
DEFAULTS_REQUIRED = ("invalid_prompt", "timeout_prompt", "farewell_prompt")
TIMING_KEYS = ("timeout", "inter_digit_timeout", "max_failures", "invalid_prompt",
               "timeout_prompt")
MENU_KEYS = ("greeting", "short_greeting", "topic", *TIMING_KEYS, "options")
REDIRECT_KEYS = ("company", "number", "prompts", "offer_prompt", "transfer_key")
REDIRECT_REQUIRED = ("company", "number", "prompts", "offer_prompt")
TOPIC_KEYS = ("code", "label")
OPTION_KEYS = ("action", "menu", "prompts", "number", "to", "topic", "then")

#: action -> (required fields, optional fields); "action" itself is always required.
ACTION_FIELDS: dict[ActionKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ActionKind.MENU: (("menu",), ("topic",)),
    ActionKind.BACK: ((), ()),
    ActionKind.MAIN: ((), ()),
    ActionKind.REPEAT: ((), ()),
    ActionKind.ANNOUNCE: (("prompts", "topic"), ("then",)),
    ActionKind.OPERATOR: (("topic",), ()),
    ActionKind.TRANSFER: (("number", "topic"), ()),
    ActionKind.REDIRECT: (("to", "topic"), ()),
    ActionKind.HANGUP: ((), ("prompts", "topic")),
}
#: how to fix a missing option field
FIELD_HINTS = {
    "menu": "'menu: <menu name>'",
    "prompts": "'prompts: [<prompt id>, ...]'",
    "number": "'number: \"<digits>\"'",
    "to": "'to: <redirect name>'",
    "topic": "'topic: <code>' (calls are counted by topic)",
}
THEN_VALUES = ("menu", "hangup")

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


def validate_file(path: str | Path, require_audio: bool = False) -> list[Problem]:
    """All problems of a config file and of the files it refers to, sorted by file and line.

    ``require_audio``: a referenced prompt (or a speech fragment) without built audio is an error.
    """
    problems, _ = _Loader(path, require_audio).run()
    return problems


def load_config(path: str | Path, require_audio: bool = False) -> Config:
    """Validated :class:`Config`; raises :class:`ConfigError` listing every problem."""
    problems, config = _Loader(path, require_audio).run()
    if config is None or any(p.is_error for p in problems):
        raise ConfigError(problems)
    for problem in problems:
        log.warning("%s", problem)
    return config


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
class _Defaults:
    keys: dict[str, str | None] = field(default_factory=lambda: dict(DEFAULT_KEYS))
    timeout_ms: int = DEFAULT_TIMEOUT_S * 1000
    inter_digit_timeout_ms: int = DEFAULT_INTER_DIGIT_S * 1000
    max_failures: int = DEFAULT_MAX_FAILURES
    invalid_prompt: str | None = None
    timeout_prompt: str | None = None
    farewell_prompt: str | None = None


@dataclass
class _PromptFile:
    display: str  # file name used in problems
    texts: dict[str, str] | None = None  # None: unreadable, references are not checked
    empty: dict[str, int | None] = field(default_factory=dict)  # blank id -> line in the file
    hints: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> voice/speed hints


class _Loader:
    """One validation run over one config file."""

    def __init__(self, path: str | Path, require_audio: bool = False) -> None:
        self.path = Path(path)
        self.require_audio = require_audio
        self.audio: frozenset[str] | None = None  # ids with built audio (build manifest)
        self.file = str(path)
        self.problems: list[Problem] = []
        self.doc = YamlDoc(self.file)
        self.role: Role | None = None
        self.catalogues: dict[Role, tuple[Topic, ...]] = {}
        self.catalogues_ok = False
        self.prompt_file = _PromptFile("")
        self.redirect_names: set[str] | None = None
        self.used_redirects: set[str] = set()
        self.broken_menu_refs = False  # reachability is unknown when a menu reference is bad

    # -- reporting -----------------------------------------------------------------------

    def report(self, path: YamlPath, message: str, severity: Severity = "error",
               line: int | None = None) -> None:
        where = line if line is not None else self.doc.line(path)
        self.problems.append(Problem(self.file, where, dotted(path), message, severity))

    def warn(self, path: YamlPath, message: str) -> None:
        self.report(path, message, "warning")

    # -- typed getters (report and return None on a wrong value) -------------------------

    def mapping(self, path: YamlPath, value: Any, known: Iterable[str] | None = None,
                required: Iterable[str] = (), what: str = "a mapping") -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.report(path, f"expected {what}, got {describe(value)}",
                        line=self.doc.value_line(path))
            return None
        if known is not None:
            known = tuple(known)
            for key in value:
                if key not in known:
                    self.report((*path, key), f"unknown key '{key}'{did_you_mean(key, known)}")
        for key in required:
            if key not in value:
                self.report(path, f"missing required key '{key}'")
        return value

    def text(self, path: YamlPath, value: Any, what: str = "text") -> str | None:
        if not isinstance(value, str):
            self.report(path, f"expected {what}, got {describe(value)}")
            return None
        if not value.strip():
            self.report(path, f"expected {what}, got empty text")
            return None
        return value.strip()

    def name(self, path: YamlPath, value: Any, what: str) -> str | None:
        result = self.text(path, value, what)
        if result is not None and not NAME_RE.match(result):
            self.report(path, f"{what} '{result}' may contain only letters, digits, '_' and '-'")
            return None
        return result

    def number(self, path: YamlPath, value: Any, bounds: tuple[int, int], unit: str,
               integer: bool = False) -> float | None:
        low, high = bounds
        wanted = "a whole number" if integer else "a number"
        wanted += f" of{unit}" if unit else ""
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                integer and not isinstance(value, int)):
            self.report(path, f"expected {wanted}, got {describe(value)}")
            return None
        if not low <= value <= high:
            self.report(path, f"{value} is out of range: use {low} to {high}{unit}")
            return None
        return value

    def seconds_ms(self, path: YamlPath, value: Any, bounds: tuple[int, int]) -> int | None:
        seconds = self.number(path, value, bounds, " seconds")
        return None if seconds is None else round(seconds * 1000)

    def phone(self, path: YamlPath, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.report(path, f"expected a phone number in quotes, got {describe(value)} "
                              "(YAML drops leading zeros of unquoted numbers)")
            return None
        number = self.text(path, value, "a phone number")
        if number is not None and not PHONE_RE.match(number):
            self.report(path, f"'{number}' is not a phone number: use digits only, "
                              "optionally with a leading '+'")
            return None
        return number

    def keypad_key(self, path: YamlPath, value: Any) -> str | None:
        """A key bound in ``defaults.keys`` or ``transfer_key``."""
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
            value = str(value)
        key = self.text(path, value, "a keypad key in quotes, e.g. \"0\"")
        if key is not None and not KEY_RE.match(key):
            self.report(path, f"'{key}' is not a keypad key: use 1 to 3 of 0-9, * and #")
            return None
        return key

    def prompt(self, path: YamlPath, value: Any) -> str | None:
        prompt_id = self.name(path, value, "a prompt id")
        texts = self.prompt_file.texts
        if prompt_id is None or texts is None:
            return prompt_id
        if prompt_id in self.prompt_file.empty:
            line = self.prompt_file.empty[prompt_id]
            self.report(path, f"prompt '{prompt_id}' has no text "
                              f"(see {self.prompt_file.display}:{line})")
            return None
        if prompt_id not in texts:
            hint = did_you_mean(prompt_id, texts)
            self.report(path, f"unknown prompt '{prompt_id}' (no text in "
                              f"{self.prompt_file.display}){hint}")
            return None
        if self.require_audio and self.audio is not None and prompt_id not in self.audio:
            self.report(path, f"prompt '{prompt_id}' has no built audio: run "
                              f"'ivr prompts build --config {self.file}'")
        return prompt_id

    def prompt_list(self, path: YamlPath, value: Any, allow_empty: bool = False,
                    ) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.report(path, "expected a list of prompt ids, e.g. [welcome], "
                              f"got {describe(value)}")
            return None
        if not value and not allow_empty:
            self.report(path, "expected at least one prompt id")
            return None
        ids = [self.prompt((*path, i), item) for i, item in enumerate(value)]
        return None if None in ids else tuple(i for i in ids if i is not None)

    def topic(self, path: YamlPath, value: Any) -> str | None:
        code = self.text(path, value, "a topic code")
        if code is None or self.role is None or not self.catalogues_ok:
            return code
        active = [t.code for t in self.catalogues.get(self.role, ())]
        if code in active:
            return code
        for role, topics in self.catalogues.items():
            if role is not self.role and code in {t.code for t in topics}:
                hint = did_you_mean(code, active)
                self.report(path, f"topic '{code}' is from the {role.value} catalogue; this "
                                  f"company's role is {self.role.value}{hint}")
                return None
        self.report(path, f"unknown topic '{code}' (not in the {self.role.value} catalogue)"
                          f"{did_you_mean(code, active)}")
        return None

    # -- the run -------------------------------------------------------------------------

    def run(self) -> tuple[list[Problem], Config | None]:
        config = self.load()
        order = {self.file: 0}
        self.problems.sort(key=lambda p: (order.get(p.file, 1), p.file, p.line or 0))
        return self.problems, config

    def load(self) -> Config | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(self.file, None, "", f"cannot read the config: {exc}"))
            return None
        self.doc = load_yaml(text, self.file)
        self.problems.extend(self.doc.problems)
        if self.doc.problems and self.doc.data is None:
            return None
        if self.doc.data is None:
            self.problems.append(Problem(self.file, None, "", "the file is empty"))
            return None
        for number, line in enumerate(text.splitlines(), start=1):
            if COMMENT_KEY_RE.match(line):
                self.report((), "this line is a YAML comment, so its '#' option is ignored; "
                                "quote the key: \"#\":", "warning", line=number)
        root = self.mapping((), self.doc.data, ROOT_KEYS, ROOT_REQUIRED,
                            "a mapping with company, operator, defaults, topics and menus")
        if root is None:
            return None
        company = self.company(root)
        self.load_catalogues(root)
        prompts = self.load_prompts(root)
        defaults = self.defaults(root)
        operator = self.operator(root)
        redirects = self.redirects(root)
        database_url, journal_path, server_id = self.database(root)
        entry, menus = self.menus(root, defaults, operator)
        unused = set(redirects or {}) - self.used_redirects if menus is not None else set()
        for name in sorted(unused):
            self.warn(("redirects", name), f"redirect '{name}' is not used by any menu option")
        if any(p.is_error for p in self.problems):
            return None
        farewell = defaults.farewell_prompt
        parts = (company, prompts, operator, entry, menus, redirects, database_url, farewell)
        if any(part is None for part in parts):  # every None comes with an error; be safe
            self.problems.append(Problem(self.file, None, "", "incomplete configuration"))
            return None
        assert company and prompts and operator and entry and menus is not None
        assert redirects is not None and database_url and farewell
        return Config(
            source=self.path.resolve(),
            company=company,
            catalogues=dict(self.catalogues),
            menus=menus,
            entry_menu=entry,
            redirects=redirects,
            operator=operator,
            prompts=prompts,
            farewell_prompt=farewell,
            database_url=database_url,
            journal_path=journal_path,
            server_id=server_id,
        )

    # -- sections ------------------------------------------------------------------------

    def company(self, root: dict[str, Any]) -> Company | None:
        if "company" not in root:
            return None
        path: YamlPath = ("company",)
        data = self.mapping(path, root["company"], COMPANY_KEYS, COMPANY_REQUIRED)
        if data is None:
            return None
        role = None
        if "role" in data:
            raw = self.text((*path, "role"), data["role"], "'dso' or 'supplier'")
            roles = [r.value for r in Role]
            if raw is not None and raw not in roles:
                self.report((*path, "role"), f"unknown role '{raw}': use 'dso' or 'supplier'"
                                             f"{did_you_mean(raw, roles)}")
            elif raw is not None:
                role = self.role = Role(raw)
        name = None
        if "name" in data:
            name = self.text((*path, "name"), data["name"], "the company name")
        numbers = None
        if "dialled_numbers" in data:
            numbers = self.dialled_numbers((*path, "dialled_numbers"), data["dialled_numbers"])
        timezone = "Europe/Kyiv"
        if "timezone" in data:
            timezone = self.timezone((*path, "timezone"), data["timezone"]) or timezone
        hours = WorkingHours()
        if "working_hours" in data:
            hours = self.working_hours((*path, "working_hours"), data["working_hours"]) or hours
            if role is Role.DSO and not hours.always:
                self.warn((*path, "working_hours"),
                          "a DSO call centre must work 24/7 (Resolution 373): use 'always'")
        if role is None or name is None or numbers is None:
            return None
        return Company(role, name, numbers, timezone, hours)

    def dialled_numbers(self, path: YamlPath, value: Any) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.report(path, f"expected a list of phone numbers, got {describe(value)}")
            return None
        if not value:
            self.report(path, "list at least one number callers dial to reach this IVR")
            return None
        numbers = [self.phone((*path, i), item) for i, item in enumerate(value)]
        return None if None in numbers else tuple(n for n in numbers if n is not None)

    def timezone(self, path: YamlPath, value: Any) -> str | None:
        name = self.text(path, value, "a timezone name such as Europe/Kyiv")
        if name is None:
            return None
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            hint = did_you_mean(name, zoneinfo.available_timezones())
            self.report(path, f"unknown timezone '{name}'{hint}")
            return None
        return name

    def working_hours(self, path: YamlPath, value: Any) -> WorkingHours | None:
        if value == "always":
            return WorkingHours()
        if not isinstance(value, dict):
            self.report(path, "expected 'always' or a weekly schedule such as "
                              f"{{mon-fri: \"08:00-20:00\"}}, got {describe(value)}")
            return None
        weekly: dict[int, list[tuple[time, time]]] = {}
        scheduled_by: dict[int, str] = {}
        ok = True
        for spec, hours in value.items():
            entry: YamlPath = (*path, spec)
            days = self.days(entry, spec)
            intervals = self.intervals(entry, hours)
            if days is None or intervals is None:
                ok = False
                continue
            for day in days:
                if day in scheduled_by:
                    self.report(entry, f"'{DAYS[day]}' is already scheduled by "
                                       f"'{scheduled_by[day]}'")
                    ok = False
                scheduled_by[day] = spec
                weekly[day] = intervals
        if not ok:
            return None
        if not any(weekly.values()):
            self.report(path, "no open hours at all; use 'always' for 24/7")
            return None
        return WorkingHours(always=False,
                            weekly={d: tuple(v) for d, v in sorted(weekly.items()) if v})

    def days(self, path: YamlPath, spec: str) -> list[int] | None:
        days: list[int] = []
        for part in spec.split(","):
            part = part.strip().lower()
            if part == "daily":
                days.extend(range(7))
                continue
            ends = [p.strip() for p in part.split("-")]
            for end in ends:
                if end not in DAYS:
                    hint = did_you_mean(end, DAYS) or did_you_mean(end[:3], DAYS)
                    self.report(path, f"unknown day '{end}': use {', '.join(DAYS)}, daily, or a "
                                      f"range such as mon-fri{hint}")
                    return None
            if len(ends) > 2:
                self.report(path, f"day range '{part}' has more than two ends")
                return None
            first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
            if first > last:
                self.report(path, f"day range '{part}' goes backwards (write e.g. mon-fri)")
                return None
            days.extend(range(first, last + 1))
        return days

    def intervals(self, path: YamlPath, value: Any) -> list[tuple[time, time]] | None:
        if value is None or value == "closed":
            return []
        items = value if isinstance(value, list) else [value]
        result: list[tuple[time, time]] = []
        for i, item in enumerate(items):
            where = (*path, i) if isinstance(value, list) else path
            if not isinstance(item, str):
                self.report(where, f"expected hours in quotes such as \"08:00-20:00\", "
                                   f"got {describe(item)}")
                return None
            interval = self.interval(where, item)
            if interval is None:
                return None
            result.append(interval)
        result.sort()
        for (_, end), (start, _) in zip(result, result[1:], strict=False):
            if start < end:
                self.report(path, "opening hours overlap")
                return None
        return result

    def interval(self, path: YamlPath, text: str) -> tuple[time, time] | None:
        match = HOURS_RE.match(text)
        if not match:
            self.report(path, f"bad hours '{text}': write them as \"HH:MM-HH:MM\", "
                              "e.g. \"08:00-20:00\", or closed")
            return None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        bounds = []
        for hour, minute, label in ((h1, m1, match.group(1)), (h2, m2, match.group(3))):
            if hour > 24 or minute > 59 or (hour == 24 and minute):
                self.report(path, f"bad time '{label}:{minute:02d}' in '{text}': "
                                  "use 00:00 to 24:00")
                return None
            bounds.append(time.max if hour == 24 else time(hour, minute))
        start, end = bounds
        if start >= end:
            self.report(path, f"opening time {h1:02d}:{m1:02d} is not before closing time "
                              f"{h2:02d}:{m2:02d} (split hours past midnight over two days)")
            return None
        return start, end

    def load_catalogues(self, root: dict[str, Any]) -> None:
        if "topics" not in root:
            return
        path: YamlPath = ("topics",)
        roles = [r.value for r in Role]
        data = self.mapping(path, root["topics"], roles)
        if data is None:
            return
        ok = True
        for role in Role:
            if role.value not in data:
                continue
            topics = self.catalogue((*path, role.value), data[role.value])
            if topics is None:
                ok = False
            else:
                self.catalogues[role] = topics
        if self.role is not None and self.role.value not in data:
            self.report(path, f"missing the catalogue of the company's role: "
                              f"'{self.role.value}'")
            ok = False
        self.catalogues_ok = ok

    def catalogue(self, path: YamlPath, value: Any) -> tuple[Topic, ...] | None:
        if not isinstance(value, list):
            self.report(path, f"expected a list of {{code, label}} topics, got {describe(value)}")
            return None
        if not value:
            self.report(path, "the topic catalogue is empty")
            return None
        topics: list[Topic] = []
        first_line: dict[str, int | None] = {}
        ok = True
        for i, item in enumerate(value):
            entry = self.mapping((*path, i), item, TOPIC_KEYS, TOPIC_KEYS)
            if entry is None or "code" not in entry or "label" not in entry:
                ok = False
                continue
            code = self.text((*path, i, "code"), entry["code"], "a topic code")
            label = self.text((*path, i, "label"), entry["label"], "a topic label")
            if code is not None and not CODE_RE.match(code):
                self.report((*path, i, "code"), f"topic code '{code}' may contain only letters, "
                                                "digits, '_' and '-' (at most 16)")
                code = None
            if code is not None and code in first_line:
                self.report((*path, i, "code"),
                            f"duplicate topic code '{code}' (first at line {first_line[code]})")
                code = None
            if code is None or label is None:
                ok = False
                continue
            first_line[code] = self.doc.line((*path, i, "code"))
            topics.append(Topic(code, label))
        return tuple(topics) if ok else None

    def load_prompts(self, root: dict[str, Any]) -> Prompts | None:
        path: YamlPath = ("prompts",)
        data: dict[str, Any] = {}
        if "prompts" in root:
            checked = self.mapping(path, root["prompts"], PROMPTS_KEYS)
            if checked is None:
                return None
            data = checked
        language = DEFAULT_LANGUAGE
        if "language" in data:
            language = self.text((*path, "language"), data["language"], "a language code") or ""
            if language and not LANGUAGE_RE.match(language):
                self.report((*path, "language"), f"'{language}' is not a language code such as uk")
                language = ""
        texts = f"prompts/{language or DEFAULT_LANGUAGE}.yaml"
        if "texts" in data:
            texts = self.text((*path, "texts"), data["texts"],
                              "the path of the prompt texts file") or ""
        sounds = DEFAULT_SOUNDS
        if "sounds" in data:
            sounds = self.text((*path, "sounds"), data["sounds"], "a directory path") or ""
        base = self.path.parent
        if texts:
            self.prompt_file = self.read_prompt_texts(base / texts, (*path, "texts"))
        if not language or not texts or not sounds or self.prompt_file.texts is None:
            return None
        sounds_dir = (base / sounds).resolve()
        self.audio = playable_ids(sounds_dir, language)
        if self.require_audio:
            for message in missing_audio(sounds_dir, language, self.audio, self.file):
                self.report((*path, "sounds") if "sounds" in data else path, message)
        return Prompts(language, dict(self.prompt_file.texts), sounds_dir,
                       dict(self.prompt_file.hints), self.audio)

    def read_prompt_texts(self, file: Path, path: YamlPath) -> _PromptFile:
        result = _PromptFile(str(file))
        if not file.is_file():
            self.report(path, f"prompt texts file '{file}' not found")
            return result
        doc = load_yaml_file(file)
        self.problems.extend(doc.problems)
        if doc.data is None and doc.problems:
            return result

        def problem(key_path: YamlPath, message: str) -> None:
            self.problems.append(Problem(str(file), doc.line(key_path), dotted(key_path), message))

        if not isinstance(doc.data, dict):
            problem((), f"expected a mapping of prompt id -> text, got {describe(doc.data)}")
            return result
        result.texts = {}
        for prompt_id, text in doc.data.items():
            if isinstance(text, dict):  # {text: ..., voice: ..., speed: ...}
                text, result.hints[prompt_id], hint_problems = read_hints(text)
                for message in hint_problems:
                    problem((prompt_id,), message)
            if not NAME_RE.match(prompt_id):
                problem((prompt_id,), f"prompt id '{prompt_id}' may contain only letters, digits, "
                                      "'_' and '-' (it becomes a sound file name)")
            elif text is None or (isinstance(text, str) and not text.strip()):
                problem((prompt_id,), "empty text")
                result.empty[prompt_id] = doc.line((prompt_id,))
            elif not isinstance(text, str):
                problem((prompt_id,), f"expected text, got {describe(text)}")
                result.empty[prompt_id] = doc.line((prompt_id,))
            else:
                result.texts[prompt_id] = " ".join(text.split())
                for message in text_problems(text):
                    problem((prompt_id,), message)
        return result

    def defaults(self, root: dict[str, Any]) -> _Defaults:
        result = _Defaults()
        path: YamlPath = ("defaults",)
        if "defaults" not in root:
            return result
        data = self.mapping(path, root["defaults"], DEFAULTS_KEYS, DEFAULTS_REQUIRED)
        if data is None:
            return result
        if "keys" in data:
            keys = self.mapping((*path, "keys"), data["keys"], DEFAULT_KEYS)
            for role, value in (keys or {}).items():
                if role in DEFAULT_KEYS:
                    result.keys[role] = (None if value is None else
                                         self.keypad_key((*path, "keys", role), value))
            bound: dict[str, str] = {}
            for role, key in result.keys.items():
                if key is not None and key in bound:
                    self.report((*path, "keys", role),
                                f"key '{key}' is already the {bound[key]} key")
                elif key is not None:
                    bound[key] = role
        timing = self.timing(path, data)
        result.timeout_ms = timing.get("timeout", result.timeout_ms)
        result.inter_digit_timeout_ms = timing.get("inter_digit_timeout",
                                                   result.inter_digit_timeout_ms)
        result.max_failures = timing.get("max_failures", result.max_failures)
        result.invalid_prompt = timing.get("invalid_prompt")
        result.timeout_prompt = timing.get("timeout_prompt")
        if "farewell_prompt" in data:
            result.farewell_prompt = self.prompt((*path, "farewell_prompt"),
                                                 data["farewell_prompt"])
        return result

    def timing(self, path: YamlPath, data: dict[str, Any]) -> dict[str, Any]:
        """Timeouts (as ms), max_failures and the two retry prompts present in ``data``."""
        result: dict[str, Any] = {}
        if "timeout" in data:
            result["timeout"] = self.seconds_ms((*path, "timeout"), data["timeout"], TIMEOUT_RANGE)
        if "inter_digit_timeout" in data:
            result["inter_digit_timeout"] = self.seconds_ms(
                (*path, "inter_digit_timeout"), data["inter_digit_timeout"], INTER_DIGIT_RANGE)
        if "max_failures" in data:
            failures = self.number((*path, "max_failures"), data["max_failures"],
                                   MAX_FAILURES_RANGE, "", integer=True)
            result["max_failures"] = None if failures is None else int(failures)
        for key in ("invalid_prompt", "timeout_prompt"):
            if key in data:
                result[key] = self.prompt((*path, key), data[key])
        return {k: v for k, v in result.items() if v is not None}

    def operator(self, root: dict[str, Any]) -> Operator | None:
        if "operator" not in root:
            return None
        path: YamlPath = ("operator",)
        data = self.mapping(path, root["operator"], OPERATOR_KEYS, OPERATOR_REQUIRED)
        if data is None:
            return None
        queue = None
        if "queue" in data:
            queue = self.text((*path, "queue"), data["queue"], "an Asterisk queue name")
            if queue is not None and not QUEUE_RE.match(queue):
                self.report((*path, "queue"), f"queue name '{queue}' must not contain spaces, "
                                              "commas, quotes, '|' or brackets")
                queue = None
        connecting = self.prompt((*path, "connecting_prompt"), data["connecting_prompt"]) \
            if "connecting_prompt" in data else None
        closed = self.prompt((*path, "closed_prompt"), data["closed_prompt"]) \
            if "closed_prompt" in data else None
        topic = self.topic((*path, "topic"), data["topic"]) if "topic" in data else None
        appeal = self.prompt((*path, "appeal_prompt"), data["appeal_prompt"]) \
            if data.get("appeal_prompt") is not None else None
        if queue is None or connecting is None or closed is None or topic is None:
            return None
        if "appeal_prompt" in data and data["appeal_prompt"] is not None and appeal is None:
            return None
        return Operator(queue, connecting, closed, topic, appeal)

    def redirects(self, root: dict[str, Any]) -> dict[str, Redirect] | None:
        if "redirects" not in root:
            self.redirect_names = set()
            return {}
        path: YamlPath = ("redirects",)
        data = self.mapping(path, root["redirects"], what="a mapping of redirect name -> settings")
        if data is None:
            return None
        self.redirect_names = set(data)
        result: dict[str, Redirect] = {}
        ok = True
        for name, value in data.items():
            redirect = self.redirect((*path, name), name, value)
            if redirect is None:
                ok = False
            else:
                result[name] = redirect
        return result if ok else None

    def redirect(self, path: YamlPath, name: str, value: Any) -> Redirect | None:
        if self.name(path, name, "a redirect name") is None:
            return None
        data = self.mapping(path, value, REDIRECT_KEYS, REDIRECT_REQUIRED)
        if data is None:
            return None
        company = self.text((*path, "company"), data["company"], "the company name") \
            if "company" in data else None
        number = self.phone((*path, "number"), data["number"]) if "number" in data else None
        prompts = self.prompt_list((*path, "prompts"), data["prompts"]) \
            if "prompts" in data else None
        offer = self.prompt((*path, "offer_prompt"), data["offer_prompt"]) \
            if "offer_prompt" in data else None
        key: str | None = "1"
        if "transfer_key" in data:
            key = self.keypad_key((*path, "transfer_key"), data["transfer_key"])
        if None in (company, number, prompts, offer, key):
            return None
        assert company and number and prompts is not None and offer and key
        return Redirect(name, company, number, prompts, offer, key)

    def database(self, root: dict[str, Any]) -> tuple[str | None, Path, int]:
        """``database: {url, journal, server_id}``; the journal resolves against this file."""
        journal = self.path.parent / DEFAULT_JOURNAL
        if "database" not in root:
            return DEFAULT_DATABASE_URL, journal, 1
        data = self.mapping(("database",), root["database"], ("url", "journal", "server_id"))
        if data is None:
            return None, journal, 1
        url: str | None = DEFAULT_DATABASE_URL
        if "url" in data:
            url = self.text(("database", "url"), data["url"], "a database URL such as "
                                                              "sqlite:///ivr.sqlite3")
        if "journal" in data:
            name = self.text(("database", "journal"), data["journal"], "a file path")
            if name is not None:
                journal = self.path.parent / name
        server_id = 1
        if "server_id" in data:
            value = self.number(("database", "server_id"), data["server_id"], (1, 99), "",
                                integer=True)
            server_id = int(value) if value is not None else 1
        return url, journal, server_id

    # -- menus ---------------------------------------------------------------------------

    def menus(self, root: dict[str, Any], defaults: _Defaults, operator: Operator | None,
              ) -> tuple[str | None, dict[str, Menu] | None]:
        if "menus" not in root:
            return None, None
        path: YamlPath = ("menus",)
        data = self.mapping(path, root["menus"], what="a mapping of menu name -> menu")
        if data is None:
            return None, None
        if not data:
            self.report(path, "define at least one menu")
            return None, None
        entry = self.entry_menu(root, data)
        edges: dict[str, set[str]] = {}
        menus: dict[str, Menu] = {}
        ok = True
        for name, value in data.items():
            menu_path: YamlPath = (*path, name)
            edges[name] = set()
            if self.name(menu_path, name, "a menu name") is None:
                ok = False
                continue
            menu = self.menu(menu_path, name, value, set(data), edges[name], defaults,
                             operator, is_entry=name == entry)
            if menu is None:
                ok = False
            else:
                menus[name] = menu
        if entry is not None and not self.broken_menu_refs:
            self.check_reachable(entry, edges)
        return entry, (menus if ok else None)

    def entry_menu(self, root: dict[str, Any], menus: dict[str, Any]) -> str | None:
        if "entry_menu" not in root:
            if "main" in menus:
                return "main"
            self.report(("entry_menu",), "no menu is called 'main': set 'entry_menu: <menu name>'",
                        line=self.doc.line(("menus",)))
            return None
        entry = self.text(("entry_menu",), root["entry_menu"], "a menu name")
        if entry is not None and entry not in menus:
            self.report(("entry_menu",), f"unknown menu '{entry}'{did_you_mean(entry, menus)}")
            return None
        return entry

    def check_reachable(self, entry: str, edges: dict[str, set[str]]) -> None:
        seen = {entry}
        todo = [entry]
        while todo:
            for target in edges.get(todo.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        for name in edges:
            if name not in seen:
                self.report(("menus", name),
                            f"menu '{name}' is not reachable from the entry menu '{entry}'")

    def menu(self, path: YamlPath, name: str, value: Any, names: set[str], edges: set[str],
             defaults: _Defaults, operator: Operator | None, is_entry: bool) -> Menu | None:
        data = self.mapping(path, value, MENU_KEYS, ("greeting",))
        if data is None:
            return None
        greeting = self.prompt_list((*path, "greeting"), data["greeting"]) \
            if "greeting" in data else None
        short = greeting
        if "short_greeting" in data:
            short = self.prompt_list((*path, "short_greeting"), data["short_greeting"])
        topic = self.topic((*path, "topic"), data["topic"]) if "topic" in data else None
        timing = self.timing(path, data)
        bad_timing = any(key in data and key not in timing for key in TIMING_KEYS)
        options = self.options((*path, "options"), data.get("options"), names, edges) \
            if "options" in data else {}
        if options == {}:
            where = (*path, "options") if "options" in data else path
            self.warn(where, "menu has no options of its own (only the default keys)")
        if (greeting is None or short is None or options is None or bad_timing
                or ("topic" in data and topic is None)):
            return None
        merged = dict(options)
        keys = defaults.keys
        fallback_topic = topic or (operator.topic if operator else None)
        extra = (("operator", Action(ActionKind.OPERATOR, topic=fallback_topic)),
                 ("repeat", Action(ActionKind.REPEAT)),
                 ("back", None if is_entry else Action(ActionKind.BACK)))
        for role, action in extra:
            key = keys.get(role)
            if key is not None and action is not None and key not in merged:
                merged[key] = action
        invalid = timing.get("invalid_prompt", defaults.invalid_prompt)
        timeout_prompt = timing.get("timeout_prompt", defaults.timeout_prompt)
        if invalid is None or timeout_prompt is None:
            return None
        return Menu(
            name=name,
            greeting=greeting,
            short_greeting=short,
            options=merged,
            timeout_ms=timing.get("timeout", defaults.timeout_ms),
            inter_digit_timeout_ms=timing.get("inter_digit_timeout",
                                              defaults.inter_digit_timeout_ms),
            max_failures=timing.get("max_failures", defaults.max_failures),
            invalid_prompt=invalid,
            timeout_prompt=timeout_prompt,
            topic=topic,
        )

    def options(self, path: YamlPath, value: Any, names: set[str], edges: set[str],
                ) -> dict[str, Action] | None:
        data = self.mapping(path, value, what="a mapping of keypad key -> action")
        if data is None:
            return None
        result: dict[str, Action] = {}
        ok = True
        for key, option in data.items():
            option_path: YamlPath = (*path, key)
            if not self.option_key(option_path, key):
                ok = False
                continue
            action = self.option(option_path, option, names, edges)
            if action is None:
                ok = False
            else:
                result[key] = action
        # A multi-key option whose first key is also an option ("1" and "12") is fine: the
        # engine waits inter_digit_timeout for the next key before choosing "1".
        return result if ok else None

    def option_key(self, path: YamlPath, key: str) -> bool:
        if path in self.doc.plain_keys:
            read_as = self.doc.plain_keys[path]
            single_digit = (isinstance(read_as, int) and not isinstance(read_as, bool)
                            and key == str(read_as) and len(key) == 1)
            if not single_digit:
                self.report(path, f"unquoted key {key} is read by YAML as {read_as!r}; "
                                  f"quote it: \"{key}\"")
                return False
        if not KEY_RE.match(key):
            self.report(path, f"'{key}' is not a keypad key: use 1 to 3 of 0-9, * and #")
            return False
        return True

    def option(self, path: YamlPath, value: Any, names: set[str], edges: set[str],
               ) -> Action | None:
        data = self.mapping(path, value, OPTION_KEYS, ("action",),
                            "a mapping such as {action: menu, menu: outages}")
        if data is None:
            return None
        if data.get("menu") in names:  # keep reachability right even if this option is bad
            edges.add(data["menu"])
        if "action" not in data:
            return None
        kinds = [k.value for k in ActionKind]
        raw = self.text((*path, "action"), data["action"], "an action name")
        if raw is None:
            return None
        if raw not in kinds:
            self.report((*path, "action"), f"unknown action '{raw}': use one of "
                                           f"{', '.join(kinds)}{did_you_mean(raw, kinds)}")
            return None
        kind = ActionKind(raw)
        required, optional = ACTION_FIELDS[kind]
        for key in data:
            if key != "action" and key in OPTION_KEYS and key not in required + optional:
                uses = ", ".join(("action", *required, *optional))
                self.warn((*path, key), f"'{key}' is not used by action '{raw}' (it uses {uses})")
        ok = True
        if kind is ActionKind.MENU and "menu" not in data:
            self.broken_menu_refs = True
        for key in required:
            if key not in data:
                self.report(path, f"missing required key '{key}': action '{raw}' needs "
                                  f"{FIELD_HINTS[key]}")
                ok = False
        fields: dict[str, Any] = {}
        if "menu" in data and "menu" in required:
            target = self.text((*path, "menu"), data["menu"], "a menu name")
            if target is not None and target not in names:
                self.report((*path, "menu"),
                            f"unknown menu '{target}'{did_you_mean(target, names)}")
                target = None
            if target is not None:
                edges.add(target)
            else:
                self.broken_menu_refs = True
            fields["menu"] = target
        if "prompts" in data and "prompts" in required + optional:
            fields["prompts"] = self.prompt_list((*path, "prompts"), data["prompts"],
                                                 allow_empty=kind is ActionKind.HANGUP)
        if "number" in data and "number" in required:
            fields["number"] = self.phone((*path, "number"), data["number"])
        if "to" in data and "to" in required:
            fields["redirect"] = self.redirect_ref((*path, "to"), data["to"])
        if "topic" in data and "topic" in required + optional:
            fields["topic"] = self.topic((*path, "topic"), data["topic"])
        if "then" in data and "then" in optional:
            then = self.text((*path, "then"), data["then"], "'menu' or 'hangup'")
            if then is not None and then not in THEN_VALUES:
                self.report((*path, "then"), f"unknown value '{then}': use 'menu' (back to the "
                                             f"menu) or 'hangup'{did_you_mean(then, THEN_VALUES)}")
                then = None
            fields["then"] = then
        if not ok or None in fields.values():
            return None
        assert kind not in TOPIC_REQUIRED or fields.get("topic")
        return Action(kind, **fields)

    def redirect_ref(self, path: YamlPath, value: Any) -> str | None:
        name = self.text(path, value, "a redirect name")
        if name is None or self.redirect_names is None:
            return name
        self.used_redirects.add(name)
        if name not in self.redirect_names:
            if self.redirect_names:
                hint = did_you_mean(name, self.redirect_names)
                self.report(path, f"unknown redirect '{name}'{hint}")
            else:
                self.report(path, f"unknown redirect '{name}': no redirects are defined")
            return None
        return name
