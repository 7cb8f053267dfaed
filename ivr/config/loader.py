"""Validate ``config.yaml`` and turn it into the typed :class:`~ivr.config.model.Config`.

Every finding is a :class:`Problem` (``FILE:LINE: dotted.path: message``). Validation never
stops at the first error: the admin gets the whole list in one run. ``load_config`` refuses
(``ConfigError``) when any finding is an error; warnings are logged.

Relative paths inside the config (prompt texts file, sounds directory) resolve against the
directory of the config file. See ``config.yaml`` for the schema with comments.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.accounts.eic import KEYED_DIGITS as EIC_DIGITS
from ivr.audio.catalogue import read_hints
from ivr.audio.playable import AudioCatalogue
from ivr.audio.text import text_problems
from ivr.config.appeals_section import AppealsSection
from ivr.config.company_section import CompanySection
from ivr.config.directory_section import DirectorySection
from ivr.config.hours import PROMPTS as HOURS_PROMPTS
from ivr.config.menu_section import MenuSection
from ivr.config.model import (
    Callback,
    Config,
    ExpectedWait,
    Identification,
    Operator,
    OutageData,
    Prompts,
    Redirect,
    Role,
    Topic,
)
from ivr.config.problems import ConfigError, Problem, dotted
from ivr.config.profiles_section import ProfilesSection
from ivr.config.readings_section import ReadingsSection
from ivr.config.schema import (
    CALLBACK,
    CALLBACK_KEYS,
    CODE_RE,
    COMMENT_KEY_RE,
    DATABASE,
    DATABASE_KEYS,
    DEFAULT_DATABASE_URL,
    DEFAULT_JOURNAL,
    DEFAULT_KEYS,
    DEFAULT_LANGUAGE,
    DEFAULT_SOUNDS,
    DEFAULTS_KEYS,
    DEFAULTS_REQUIRED,
    DIALPLAN_EXPRESSION_RE,
    EXPECTED_WAIT,
    EXPECTED_WAIT_KEYS,
    IDENTIFICATION,
    IDENTIFICATION_KEYS,
    LANGUAGE_RE,
    NAME_RE,
    OPERATOR_KEYS,
    OPERATOR_REQUIRED,
    OUTAGES,
    OUTAGES_KEYS,
    PROMPTS_KEYS,
    QUEUE_RE,
    REDIRECT_KEYS,
    REDIRECT_REQUIRED,
    ROOT_KEYS,
    ROOT_REQUIRED,
    TOPIC_KEYS,
    TOPIC_REQUIRED,
    MenuDefaults,
    describe,
    did_you_mean,
)
from ivr.config.yamlmap import YamlDoc, YamlPath, load_yaml, load_yaml_file
from ivr.store.deadlines import DEFAULT_DEADLINE

log = logging.getLogger(__name__)

#: Dialects the IVR supports -> {driver: module to import}; None is the dialect's default.
DATABASE_DRIVERS = {
    "sqlite": {None: "sqlite3", "pysqlite": "sqlite3"},
    "postgresql": {None: "psycopg2", "psycopg": "psycopg", "psycopg2": "psycopg2"},
}


def database_url_problem(url: str) -> str | None:
    """Why ``ivr serve`` could not use this URL, found without connecting (or None)."""
    import importlib.util

    scheme, sep, _rest = url.partition("://")
    if not sep:
        return f"'{url}' is not a database URL; write e.g. sqlite:///ivr.sqlite3"
    dialect, _, driver = scheme.partition("+")
    if dialect == "postgres":
        return (
            "'postgres://' is not understood (SQLAlchemy removed that name); write "
            "postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"
        )
    drivers = DATABASE_DRIVERS.get(dialect)
    if drivers is None:
        return (
            f"database '{dialect}' is not supported; use sqlite:///FILE or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"
        )
    module = drivers.get(driver or None)
    if module is None:
        return (
            f"driver '{driver}' is not supported for {dialect}; use {dialect}+psycopg://"
            if dialect == "postgresql"
            else f"driver '{driver}' is not supported for {dialect}"
        )
    if importlib.util.find_spec(module) is None:
        default = " (the default of postgresql://)" if not driver else ""
        return (
            f"the driver {module}{default} is not installed; write "
            "postgresql+psycopg://... (psycopg 3 is installed with ivr)"
        )
    return None


def check_file(
    path: str | Path, require_audio: bool = False, allow_unreachable: bool = False
) -> tuple[list[Problem], Config | None]:
    """All problems of a config file and of the files it refers to, sorted by file and line,
    and the configuration when there is no error (one validation run for both).

    ``require_audio``: a referenced prompt (or a speech fragment) without built audio is an error.
    ``allow_unreachable``: a menu no caller can reach is a warning only (for ``ivr graph``,
    which draws it; never for calls).
    """
    loader = _Loader(path, require_audio)
    loader.allow_unreachable = allow_unreachable
    problems, config = loader.run()
    if any(p.is_error for p in problems):
        config = None
    return problems, config


def validate_file(path: str | Path, require_audio: bool = False) -> list[Problem]:
    """All problems of a config file (``check_file`` without the configuration)."""
    return check_file(path, require_audio)[0]


def load_config(path: str | Path, require_audio: bool = False) -> Config:
    """Validated :class:`Config`; raises :class:`ConfigError` listing every problem."""
    problems, config = _Loader(path, require_audio).run()
    if config is None or any(p.is_error for p in problems):
        raise ConfigError(problems)
    for problem in problems:
        log.warning("%s", problem)
    return config


@dataclass
class _PromptFile:
    display: str  # file name used in problems
    texts: dict[str, str] | None = None  # None: unreadable, references are not checked
    empty: dict[str, int | None] = field(default_factory=dict)  # blank id -> line in the file
    hints: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> voice/speed hints


class _Loader(
    CompanySection,
    DirectorySection,
    MenuSection,
    AppealsSection,
    ReadingsSection,
    ProfilesSection,
):
    """One validation run over one config file (and the profile files it lists)."""

    def __init__(self, path: str | Path, require_audio: bool = False) -> None:
        self.path = Path(path)
        self.require_audio = require_audio
        self.profile_of: Path | None = None
        #: What the audio build left on disk; read only when the audio is required.
        self.built_audio: AudioCatalogue | None = None
        self.file = str(path)
        self.problems: list[Problem] = []
        self.doc = YamlDoc(self.file)
        self.role: Role | None = None
        self.catalogues: dict[Role, tuple[Topic, ...]] = {}
        self.catalogues_ok = False
        self.prompt_file = _PromptFile("")
        self.redirect_names: set[str] | None = None
        self.used_redirects: set[str] = set()
        self.has_misrouted = False
        self.broken_menu_refs = False  # reachability is unknown when a menu reference is bad
        self.allow_unreachable = False
        self.menu_names: set[str] = set()
        self.menu_edges: set[str] = set()

    # -- the run -------------------------------------------------------------------------

    def run(self) -> tuple[list[Problem], Config | None]:
        config = self.load()
        order = {self.file: 0}
        # a file shared by several profiles (the prompt texts, the directory) is said once
        self.problems = list(dict.fromkeys(self.problems))
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
                self.report(
                    (),
                    "this line is a YAML comment, so its '#' option is ignored; "
                    'quote the key: "#":',
                    "warning",
                    line=number,
                )
        root = self.mapping(
            (),
            self.doc.data,
            ROOT_KEYS,
            ROOT_REQUIRED,
            "a mapping with company, operator, defaults, topics and menus",
        )
        if root is None:
            return None
        self.refuse_server_keys(root)
        company = self.company(root)
        self.load_catalogues(root)
        prompts = self.load_prompts(root)
        defaults = self.defaults(root)
        operator = self.operator(root)
        if company is not None and not company.working_hours.always:
            self.prompts_exist(("company", "working_hours"), HOURS_PROMPTS, "operator")
        redirects = self.redirects(root)
        database_url, journal_path, server_id = self.database(root)
        log_file = None
        if "log_file" in root:
            name = self.text(("log_file",), root["log_file"], "a file path")
            log_file = self.path.parent / name if name else None
        identification = self.identification(root)
        outages = self.outage_data(root)
        appeals = self.appeal_settings(root)
        readings = self.readings(root)
        directory = self.directory(root)
        misrouted = self.misrouted(root, directory)
        self.has_misrouted = "misrouted" in root  # when broken, its own errors say why
        entry, menus = self.menus(root, defaults, operator)
        unused = set(redirects or {}) - self.used_redirects if menus is not None else set()
        for name in sorted(unused):
            self.warn(("redirects", name), f"redirect '{name}' is not used by any menu option")
        profiles = self.load_profiles(root)
        if any(p.is_error for p in self.problems) or profiles is None:
            return None
        farewell = defaults.farewell_prompt
        # every None comes with an error; be safe
        parts = (company, prompts, operator, entry, menus, redirects, database_url, farewell)
        if any(part is None for part in (*parts, directory)):
            self.problems.append(Problem(self.file, None, "", "incomplete configuration"))
            return None
        assert company and prompts and operator and entry and menus is not None
        assert redirects is not None and database_url and farewell and directory is not None
        config = Config(
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
            log_file=log_file,
            identification=identification,
            outages=outages,
            appeals=appeals,
            readings=readings,
            directory=directory,
            misrouted=misrouted,
        )
        return self.with_profiles(config, profiles) if profiles else config

    # -- sections ------------------------------------------------------------------------

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
            topics = self.catalogue((*path, role.value), data[role.value], role)
            if topics is None:
                ok = False
            else:
                self.catalogues[role] = topics
        if self.role is not None and self.role.value not in data:
            self.report(path, f"missing the catalogue of the company's role: '{self.role.value}'")
            ok = False
        self.catalogues_ok = ok

    def catalogue(self, path: YamlPath, value: Any, role: Role) -> tuple[Topic, ...] | None:
        if not isinstance(value, list):
            self.report(
                path,
                f"expected a list of {{code, label[, deadline]}} topics, got {describe(value)}",
            )
            return None
        if not value:
            self.report(path, "the topic catalogue is empty")
            return None
        topics: list[Topic] = []
        first_line: dict[str, int | None] = {}
        ok = True
        for i, item in enumerate(value):
            entry = self.mapping((*path, i), item, TOPIC_KEYS, TOPIC_REQUIRED)
            if entry is None or "code" not in entry or "label" not in entry:
                ok = False
                continue
            code = self.text((*path, i, "code"), entry["code"], "a topic code")
            label = self.text((*path, i, "label"), entry["label"], "a topic label")
            deadline = (
                self.deadline((*path, i, "deadline"), entry["deadline"])
                if "deadline" in entry
                else DEFAULT_DEADLINE
            )
            handled_by = (
                self.handled_by((*path, i, "handled_by"), entry["handled_by"])
                if "handled_by" in entry
                else role
            )
            if code is not None and not CODE_RE.match(code):
                self.report(
                    (*path, i, "code"),
                    f"topic code '{code}' may contain only letters, "
                    "digits, '_' and '-' (at most 16)",
                )
                code = None
            if code is not None and code in first_line:
                self.report(
                    (*path, i, "code"),
                    f"duplicate topic code '{code}' (first at line {first_line[code]})",
                )
                code = None
            if code is None or label is None or deadline is None or handled_by is None:
                ok = False
                continue
            first_line[code] = self.doc.line((*path, i, "code"))
            topics.append(Topic(code, label, deadline, handled_by))
        return tuple(topics) if ok else None

    def handled_by(self, path: YamlPath, value: Any) -> Role | None:
        """The role whose business a topic is: ``dso`` or ``supplier``."""
        roles = [r.value for r in Role]
        raw = self.text(path, value, "'dso' or 'supplier'")
        if raw is not None and raw not in roles:
            self.report(
                path, f"unknown role '{raw}': use 'dso' or 'supplier'{did_you_mean(raw, roles)}"
            )
            return None
        return None if raw is None else Role(raw)

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
            texts = (
                self.text((*path, "texts"), data["texts"], "the path of the prompt texts file")
                or ""
            )
        sounds = DEFAULT_SOUNDS
        if "sounds" in data:
            sounds = self.text((*path, "sounds"), data["sounds"], "a directory path") or ""
        base = self.path.parent
        if texts:  # normalised: the profiles sharing the file name it alike
            file = Path(os.path.normpath(base / texts))
            self.prompt_file = self.read_prompt_texts(file, (*path, "texts"))
        if not language or not texts or not sounds or self.prompt_file.texts is None:
            return None
        sounds_dir = (base / sounds).resolve()
        if self.require_audio:
            self.built_audio = AudioCatalogue.read(sounds_dir, language)
            for message in self.built_audio.build_problems(self.file):
                self.report((*path, "sounds") if "sounds" in data else path, message)
        return Prompts(
            language, dict(self.prompt_file.texts), sounds_dir, dict(self.prompt_file.hints)
        )

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
                problem(
                    (prompt_id,),
                    f"prompt id '{prompt_id}' may contain only letters, digits, "
                    "'_' and '-' (it becomes a sound file name)",
                )
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

    def defaults(self, root: dict[str, Any]) -> MenuDefaults:
        result = MenuDefaults()
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
                    result.keys[role] = (
                        None if value is None else self.keypad_key((*path, "keys", role), value)
                    )
            bound: dict[str, str] = {}
            for role, key in result.keys.items():
                if key is not None and key in bound:
                    self.report(
                        (*path, "keys", role), f"key '{key}' is already the {bound[key]} key"
                    )
                elif key is not None:
                    bound[key] = role
        timing = self.timing(path, data)
        result.timeout_ms = timing.get("timeout", result.timeout_ms)
        result.inter_digit_timeout_ms = timing.get(
            "inter_digit_timeout", result.inter_digit_timeout_ms
        )
        result.max_failures = timing.get("max_failures", result.max_failures)
        result.invalid_prompt = timing.get("invalid_prompt")
        result.timeout_prompt = timing.get("timeout_prompt")
        if "farewell_prompt" in data:
            result.farewell_prompt = self.prompt(
                (*path, "farewell_prompt"), data["farewell_prompt"]
            )
        return result

    def operator(self, root: dict[str, Any]) -> Operator | None:
        if "operator" not in root:
            return None
        path: YamlPath = ("operator",)
        data = self.mapping(path, root["operator"], OPERATOR_KEYS, OPERATOR_REQUIRED)
        if data is None:
            return None
        queue = self.queue_name((*path, "queue"), data["queue"]) if "queue" in data else None
        connecting = (
            self.prompt((*path, "connecting_prompt"), data["connecting_prompt"])
            if "connecting_prompt" in data
            else None
        )
        closed = (
            self.prompt((*path, "closed_prompt"), data["closed_prompt"])
            if "closed_prompt" in data
            else None
        )
        topic = self.topic((*path, "topic"), data["topic"]) if "topic" in data else None
        appeal = (
            self.prompt((*path, "appeal_prompt"), data["appeal_prompt"])
            if data.get("appeal_prompt") is not None
            else None
        )
        if queue is None or connecting is None or closed is None or topic is None:
            return None
        if "appeal_prompt" in data and data["appeal_prompt"] is not None and appeal is None:
            return None
        callback = None
        if "callback" in data:
            callback = self.callback((*path, "callback"), data["callback"], queue)
            if callback is None:
                return None
        topic_queues: dict[str, str] = {}
        if "queues" in data:
            found = self.topic_queues((*path, "queues"), data["queues"])
            if found is None:
                return None
            topic_queues = found
        expected_wait = None
        if "expected_wait" in data:
            expected_wait = self.expected_wait(
                (*path, "expected_wait"), data["expected_wait"], queue
            )
            if expected_wait is None:
                return None
        return Operator(
            queue, connecting, closed, topic, appeal, callback, topic_queues, expected_wait
        )

    def queue_name(self, path: YamlPath, value: Any) -> str | None:
        queue = self.text(path, value, "an Asterisk queue name")
        if queue is not None and not QUEUE_RE.match(queue):
            self.report(
                path,
                f"queue name '{queue}' must not contain spaces, commas, quotes, '|' or brackets",
            )
            return None
        return queue

    def topic_queues(self, path: YamlPath, value: Any) -> dict[str, str] | None:
        """``operator.queues: {QUEUE: [TOPIC, ...]}``: topic code -> its queue."""
        data = self.mapping(path, value, what="a mapping of queue names to lists of topic codes")
        if data is None:
            return None
        found: dict[str, str] = {}
        ok = True
        for name, topics in data.items():
            queue = self.queue_name((*path, name), name)
            if not isinstance(topics, list) or not topics:
                self.report((*path, name), "expected a list of topic codes, e.g. [D10]")
                ok = False
                continue
            for i, item in enumerate(topics):
                code = self.topic((*path, name, i), item)
                if code is None or queue is None:
                    ok = False
                elif code in found:
                    self.report(
                        (*path, name, i),
                        f"topic '{code}' already goes to queue '{found[code]}'",
                    )
                    ok = False
                else:
                    found[code] = queue
        return found if ok else None

    def dialplan_expression(self, path: YamlPath, value: Any, example: str) -> str | None:
        """A ``${...}`` expression the IVR asks Asterisk to evaluate (GET FULL VARIABLE)."""
        text = self.text(path, value, "a dialplan expression")
        if text is not None and not DIALPLAN_EXPRESSION_RE.match(text):
            self.report(path, f"expected a dialplan expression such as '{example}', got '{text}'")
            return None
        return text

    def expected_wait(self, path: YamlPath, value: Any, queue: str) -> ExpectedWait | None:
        """``operator.expected_wait: {min_seconds: N, max_minutes: M, hold_time: "${...}"}``,
        every key optional (``{}``: the defaults)."""
        from ivr.flow.waiting import PROMPTS

        data = self.mapping(
            path, value, EXPECTED_WAIT_KEYS, what="a mapping, e.g. {min_seconds: 60}"
        )
        if data is None:
            return None
        ok = True
        default = ExpectedWait()
        found = {"min_seconds": default.min_seconds, "max_minutes": default.max_minutes}
        for key in ("min_seconds", "max_minutes"):
            if key in data:
                number = self.number_of((*path, key), data[key], EXPECTED_WAIT.number(key))
                ok = ok and number is not None
                found[key] = int(number or 0)
        shortest, longest = found["min_seconds"], found["max_minutes"]
        if ok and shortest > longest * 60:
            self.report(
                (*path, "min_seconds"),
                f"{shortest} seconds is more than max_minutes ({longest} minutes): "
                "nothing but 'more than' would ever be said",
            )
            ok = False
        hold_time = None
        if "hold_time" in data:
            hold_time = self.dialplan_expression(
                (*path, "hold_time"),
                data["hold_time"],
                default.expression(queue),
            )
            ok = ok and hold_time is not None
        prompts_ok = all(self.prompt(path, prompt_id) is not None for prompt_id in PROMPTS)
        if not ok or not prompts_ok:
            return None
        return ExpectedWait(shortest, longest, hold_time)

    def callback(self, path: YamlPath, value: Any, queue: str) -> Callback | None:
        """``operator.callback: {offer_when_waiting: N, waiting: "${EXPRESSION}"}``; the
        waiting count defaults to ``${QUEUE_WAITING_COUNT(<the call's queue>)}``."""
        from ivr.flow.callback import PROMPTS

        data = self.mapping(path, value, CALLBACK_KEYS, CALLBACK.required)
        if data is None or "offer_when_waiting" not in data:
            return None
        limit = self.number_of(
            (*path, "offer_when_waiting"),
            data["offer_when_waiting"],
            CALLBACK.number("offer_when_waiting"),
        )
        waiting = None
        if "waiting" in data:
            waiting = self.dialplan_expression(
                (*path, "waiting"), data["waiting"], f"${{QUEUE_WAITING_COUNT({queue})}}"
            )
            if waiting is None:
                return None
        prompts_ok = all(self.prompt(path, prompt_id) is not None for prompt_id in PROMPTS)
        if limit is None or not prompts_ok:
            return None
        return Callback(int(limit), waiting)

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
        company = (
            self.text((*path, "company"), data["company"], "the company name")
            if "company" in data
            else None
        )
        number = self.phone((*path, "number"), data["number"]) if "number" in data else None
        prompts = (
            self.prompt_list((*path, "prompts"), data["prompts"]) if "prompts" in data else None
        )
        offer = (
            self.prompt((*path, "offer_prompt"), data["offer_prompt"])
            if "offer_prompt" in data
            else None
        )
        key: str | None = "1"
        if "transfer_key" in data:
            key = self.keypad_key((*path, "transfer_key"), data["transfer_key"])
        if None in (company, number, prompts, offer, key):
            return None
        assert company and number and prompts is not None and offer and key
        return Redirect(name, company, number, prompts, offer, key)

    def identification(self, root: dict[str, Any]) -> Identification:
        """``identification: {account_length, eic, attempts}``; defaults for what is left out."""
        default = Identification()
        if "identification" not in root:
            return default
        path: YamlPath = ("identification",)
        data = self.mapping(path, root["identification"], IDENTIFICATION_KEYS)
        if data is None:
            return default
        values: dict[str, Any] = {}
        for key in ("account_length", "attempts"):
            if key in data:
                number = self.number_of((*path, key), data[key], IDENTIFICATION.number(key))
                if number is not None:
                    values[key] = int(number)
        if "eic" in data:
            if isinstance(data["eic"], bool):
                values["eic"] = data["eic"]
            else:
                self.report((*path, "eic"), f"expected true or false, got {describe(data['eic'])}")
        result = dataclasses.replace(default, **values)
        if result.eic and result.account_length == EIC_DIGITS:
            self.report(
                (*path, "account_length"),
                f"an account number of {EIC_DIGITS} digits cannot be told from the "
                f"{EIC_DIGITS} digits of an EIC code: set 'eic: false'",
            )
        return result

    def outage_data(self, root: dict[str, Any]) -> OutageData:
        """``outages: {max_age: MINUTES, report_window: MINUTES}``."""
        if "outages" not in root:
            return OutageData()
        data = self.mapping(("outages",), root["outages"], OUTAGES_KEYS)
        values: dict[str, int] = {}
        for key, name in (
            ("max_age", "max_age_minutes"),
            ("report_window", "report_window_minutes"),
        ):
            if data is not None and key in data:
                minutes = self.number_of(("outages", key), data[key], OUTAGES.number(key))
                if minutes is not None:
                    values[name] = int(minutes)
        return OutageData(**values)

    def database(self, root: dict[str, Any]) -> tuple[str | None, Path, int]:
        """``database: {url, journal, server_id}``; the journal resolves against this file."""
        journal = self.path.parent / DEFAULT_JOURNAL
        if "database" not in root:
            return DEFAULT_DATABASE_URL, journal, 1
        data = self.mapping(("database",), root["database"], DATABASE_KEYS)
        if data is None:
            return None, journal, 1
        url: str | None = DEFAULT_DATABASE_URL
        if "url" in data:
            url = self.text(
                ("database", "url"), data["url"], "a database URL such as sqlite:///ivr.sqlite3"
            )
            problem = database_url_problem(url) if url else None
            if problem is not None:
                self.report(("database", "url"), problem)
                url = None
        if "journal" in data:
            name = self.text(("database", "journal"), data["journal"], "a file path")
            if name is not None:
                journal = self.path.parent / name
        server_id = 1
        if "server_id" in data:
            value = self.number_of(
                ("database", "server_id"), data["server_id"], DATABASE.number("server_id")
            )
            server_id = int(value) if value is not None else 1
        return url, journal, server_id
