"""Scenario files for testers: what a simulated caller does and what must come of it.

A scenario file is YAML::

    config: ../config.yaml            # relative to this file; default: ivr test --config
    defaults:                         # merged into every scenario (each may override)
      caller: "0441234567"
      at: "2026-12-01T12:00"          # company time, or with an offset
      sample: true                    # the fictional sample data first (as of 2026-12-01 12:00)
    scenarios:
      - name: a known caller hears the emergency at their address
        caller: "0500000004"
        dialled: "0800000373"         # default: the company's first number
        keys: "1 2 w h"               # the simulator's keys: t waits, w listens, h hangs up
        queue_waiting: 0              # callers in the operator queue (operator.callback)
        expect:
          heard: [outage_emergency_here, "орієнтовний час"]   # ids or Ukrainian text, in order
          not_heard: [outage_none]
          result: hangup              # what the dialplan got (IVR_RESULT)
          target: ...                 # IVR_TRANSFER_TO (a queue or a number)
          topic: D1                   # the call's recorded topic
          outcome: self_served        # the call's recorded outcome
          appeals: []                 # the kinds of the appeals created, in order
          company: demooblenergo      # the company that answered (profiles)

Every problem is a :class:`~ivr.config.problems.Problem` (``FILE:LINE: path: message``), found
before anything runs; expectations must refer to something that exists (a prompt id or a
fragment of some prompt's text, a topic of the catalogue, an outcome, an appeal kind).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.config.checks import Checks
from ivr.config.model import Config
from ivr.config.problems import Problem
from ivr.config.schema import describe, did_you_mean
from ivr.config.yamlmap import YamlDoc, YamlPath, load_yaml_file
from ivr.outages.moments import parse_moment
from ivr.simulator import KeyScriptError, parse_keys
from ivr.store.records import Outcome, Result

FILE_KEYS = ("config", "defaults", "scenarios")
SCENARIO_KEYS = ("name", "caller", "dialled", "at", "sample", "keys", "queue_waiting", "expect")
DEFAULT_KEYS = tuple(k for k in SCENARIO_KEYS if k not in ("name", "keys", "expect"))
EXPECT_KEYS = (
    "heard",
    "not_heard",
    "result",
    "target",
    "topic",
    "outcome",
    "appeals",
    "company",
)
APPEAL_KINDS = ("operator", "outage_report", "meter_reading", "callback", "complaint")
DEFAULT_CALLER = "0441234567"


@dataclass(frozen=True)
class Expect:
    """What must come of a scenario; None: not checked."""

    heard: tuple[str, ...] = ()
    not_heard: tuple[str, ...] = ()
    result: str | None = None
    target: str | None = None
    topic: str | None = None
    outcome: str | None = None
    appeals: tuple[str, ...] | None = None
    company: str | None = None


@dataclass(frozen=True)
class Scenario:
    """One simulated call and its expectations."""

    file: Path
    line: int | None
    name: str
    keys: str
    config: Path
    caller: str = DEFAULT_CALLER
    dialled: str | None = None
    at: str | None = None  # company time unless it has an offset (parse_moment)
    sample: bool = False
    queue_waiting: int = 0
    expect: Expect = field(default_factory=Expect)

    @property
    def id(self) -> str:
        """``FILE::NAME``, as the summary and JUnit name it."""
        return f"{self.file}::{self.name}"


class ScenarioFile(Checks):
    """The validation of one scenario file: its scenarios and its problems (reported and
    typed by the config loader's getters)."""

    def __init__(self, path: Path, default_config: Path | None) -> None:
        self.path = path
        self.file = str(path)
        self.default_config = default_config
        self.problems: list[Problem] = []
        self.doc = YamlDoc(str(path))
        self.scenarios: list[Scenario] = []

    def read(self) -> ScenarioFile:
        self.doc = load_yaml_file(self.path)
        self.problems.extend(self.doc.problems)
        data = self.doc.data
        if self.doc.problems:
            return self
        data = self.mapping((), data, FILE_KEYS, what="a mapping with 'scenarios'")
        if data is None:
            return self
        config = self.default_config
        if "config" in data:
            name = self.text(("config",), data["config"], "a file path")
            if name is None:
                return self
            config = (self.path.parent / name).resolve()
            if not config.is_file():
                self.report(("config",), f"configuration '{config}' not found")
                return self
        if config is None:
            self.report((), "no configuration: add 'config: PATH' or run ivr test --config")
            return self
        defaults = self.mapping(("defaults",), data.get("defaults") or {}, DEFAULT_KEYS) or {}
        items = data.get("scenarios")
        if not isinstance(items, list) or not items:
            self.report(("scenarios",), "expected a list of scenarios, each with name and keys")
            return self
        names: dict[str, int] = {}
        for i, item in enumerate(items):
            path: YamlPath = ("scenarios", i)
            item = self.mapping(path, item, SCENARIO_KEYS, what="a mapping with name and keys")
            if item is None:
                continue
            scenario = self.scenario(path, {**defaults, **item}, config)
            if scenario is None:
                continue
            if scenario.name in names:
                self.report(
                    (*path, "name"),
                    f"a second scenario '{scenario.name}' (first #{names[scenario.name]})",
                )
                continue
            names[scenario.name] = i
            self.scenarios.append(scenario)
        return self

    def scenario(self, path: YamlPath, data: dict[str, Any], config: Path) -> Scenario | None:
        ok = True
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.report((*path, "name"), "every scenario needs a name (text)")
            ok = False
        keys = data.get("keys", "")
        if not isinstance(keys, str):
            self.report(
                (*path, "keys"), f'expected keys in quotes, e.g. "1 2 h", got {describe(keys)}'
            )
            ok = False
        else:
            try:
                parse_keys(keys)
            except KeyScriptError as exc:
                self.report((*path, "keys"), str(exc))
                ok = False
        values: dict[str, Any] = {}
        for key in ("caller", "dialled"):
            if key in data:
                number = self.text((*path, key), data[key], "a phone number in quotes")
                if number is None:
                    ok = False
                else:
                    values[key] = number
        if "at" in data:
            moment = data["at"]
            try:
                parse_moment(str(moment), "Europe/Kyiv")  # the form; the company's zone later
                values["at"] = str(moment)
            except ValueError:
                self.report((*path, "at"), f"'{moment}' is not a moment such as 2026-12-01T12:00")
                ok = False
        if "sample" in data:
            if isinstance(data["sample"], bool):
                values["sample"] = data["sample"]
            else:
                self.report(
                    (*path, "sample"), f"expected true or false, got {describe(data['sample'])}"
                )
                ok = False
        if "queue_waiting" in data:
            waiting = data["queue_waiting"]
            if isinstance(waiting, int) and not isinstance(waiting, bool) and waiting >= 0:
                values["queue_waiting"] = waiting
            else:
                self.report(
                    (*path, "queue_waiting"),
                    f"expected a count of callers, got {describe(waiting)}",
                )
                ok = False
        expect = self.expect((*path, "expect"), data.get("expect", {}))
        if not ok or expect is None:
            return None
        assert isinstance(name, str) and isinstance(keys, str)
        return Scenario(
            self.path, self.doc.line(path), name.strip(), keys, config, expect=expect, **values
        )

    def expect(self, path: YamlPath, data: Any) -> Expect | None:
        data = self.mapping(path, data, EXPECT_KEYS, what="a mapping of expectations")
        if data is None:
            return None
        ok = True
        values: dict[str, Any] = {}
        for key in ("heard", "not_heard", "appeals"):
            if key not in data:
                continue
            items = data[key]
            if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
                self.report((*path, key), f"expected a list of texts, got {describe(items)}")
                ok = False
                continue
            values[key] = tuple(items)
        for key in ("result", "target", "topic", "outcome", "company"):
            if key in data:
                if isinstance(data[key], str | int) and not isinstance(data[key], bool):
                    values[key] = str(data[key])
                else:
                    self.report((*path, key), f"expected a text, got {describe(data[key])}")
                    ok = False
        checks = (
            ("result", [r.value for r in Result]),
            ("outcome", [o.value for o in Outcome]),
        )
        for key, known in checks:
            if key in values and values[key] not in known:
                self.report(
                    (*path, key),
                    f"unknown {key} '{values[key]}' (one of {', '.join(known)})"
                    f"{did_you_mean(values[key], known)}",
                )
                ok = False
        for i, kind in enumerate(values.get("appeals", ())):
            if kind not in APPEAL_KINDS:
                self.report(
                    (*path, "appeals", i),
                    f"unknown appeal kind '{kind}' (one of {', '.join(APPEAL_KINDS)})",
                )
                ok = False
        return Expect(**values) if ok else None

    def check_against(self, configs: dict[Path, Config]) -> None:
        """Expectations that must name something of the scenario's configuration."""
        kept = []
        spoken_by: dict[Path, tuple[set[str], set[str]]] = {}
        for index, scenario in enumerate(self.scenarios):
            config = configs.get(scenario.config)
            if config is None:
                continue
            path: YamlPath = ("scenarios", self._index(scenario, index), "expect")
            problems_before = len(self.problems)
            texts = {
                pid: text.casefold()
                for c in config.companies
                for pid, text in c.prompts.texts.items()
            }
            if scenario.config not in spoken_by:
                spoken_by[scenario.config] = said_words(config)
            fragments, spoken = spoken_by[scenario.config]
            for key in ("heard", "not_heard"):
                for i, item in enumerate(getattr(scenario.expect, key)):
                    if item in texts or item in fragments:
                        continue  # a prompt id, or a speech fragment's (digits/5)
                    if any(item.casefold() in text for text in texts.values()):
                        continue  # a fragment of a prompt's text
                    words = item.casefold().replace(",", " ").split()
                    if not all(w in spoken for w in words):  # spoken numbers, dates
                        self.report(
                            (*path, key, i),
                            f"no prompt '{item}': neither a prompt id nor a fragment of any "
                            f"prompt's text{did_you_mean(item, list(texts))}",
                        )
            topics = {code for c in config.companies for code in c.topics}
            if scenario.expect.topic is not None and scenario.expect.topic not in topics:
                self.report(
                    (*path, "topic"),
                    f"topic '{scenario.expect.topic}' is not in the configuration's catalogues"
                    f"{did_you_mean(scenario.expect.topic, sorted(topics))}",
                )
            ids = [c.company.id for c in config.companies]
            if scenario.expect.company is not None and scenario.expect.company not in ids:
                self.report(
                    (*path, "company"), f"no company '{scenario.expect.company}' ({', '.join(ids)})"
                )
            if len(self.problems) == problems_before:
                kept.append(scenario)
        self.scenarios = kept

    def _index(self, scenario: Scenario, fallback: int) -> int:
        items = self.doc.data.get("scenarios", []) if isinstance(self.doc.data, dict) else []
        for i, item in enumerate(items):
            if isinstance(item, dict) and str(item.get("name", "")).strip() == scenario.name:
                return i
        return fallback


def said_words(config: Config) -> tuple[set[str], set[str]]:
    """The speech fragments' ids, and every word they say (a spoken date, time or number:
    "тридцятого грудня")."""
    from ivr.simulator import fragment_files

    ids: set[str] = set()
    words: set[str] = set()
    for fragment_id, text in fragment_files(config).values():
        ids.add(fragment_id)
        words.update(text.casefold().replace(",", " ").split())
    return ids, words


def scenario_files(paths: list[Path]) -> list[Path]:
    """The ``*.yaml`` files of the given files and directories (recursively), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.yaml") if p.is_file())
        else:
            found.append(path)
    return found
