"""Run scenarios: each a whole simulated call over the AGI byte protocol (the simulator's
fake Asterisk against the real call runner), on a SQLite file of its own, in parallel.

A scenario's database is a copy of one migrated template (so 60 scenarios cost one
migration), seeded with the fictional sample when the scenario asks; the call is recorded
there by the real recorder, and the expectations about the record (topic, outcome, appeals,
company) are checked against what the database holds, not against the engine's memory.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr import handback
from ivr.config.model import Config
from ivr.scenarios.spec import Scenario
from ivr.simulator import (
    KeyScript,
    Transcript,
    asterisk_env,
    call_clock,
    parse_keys,
    simulate_builtin,
)
from ivr.store.records import CallRecord
from ivr.transcript import merged_events

#: a prompt or fragment id (``welcome_dso``, ``digits/5``), not a piece of Ukrainian text
ID_RE = re.compile(r"^[A-Za-z0-9_/-]+$")


@dataclass(frozen=True)
class Heard:
    """One thing the caller heard: a prompt (one id) or a spoken number, time... (its
    fragments' ids) and its Ukrainian text."""

    ids: tuple[str, ...]
    text: str
    interrupted: bool = False

    def matches(self, wanted: str) -> bool:
        return wanted in self.ids or wanted.casefold() in self.text.casefold()

    def __str__(self) -> str:
        name = self.ids[0] if len(self.ids) == 1 else "say"
        cut = " [interrupted]" if self.interrupted else ""
        return f"{name}: «{short(self.text)}»{cut}"


def short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@dataclass
class ScenarioResult:
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    heard: list[Heard] = field(default_factory=list)
    record: CallRecord | None = None  # as the database holds it
    variables: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    #: the configuration that answered the call (the dialled number's company)
    config: Config | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def heard_of(transcript: Transcript) -> list[Heard]:
    heard = []
    for event in merged_events(transcript.events):
        interrupted = bool(event.get("interrupted_by"))
        if event["type"] == "prompt":
            heard.append(Heard((str(event["id"]),), str(event["text"]), interrupted))
        elif event["type"] == "say":
            fragments = event["fragments"]
            assert isinstance(fragments, list)
            heard.append(Heard(tuple(str(f) for f in fragments), str(event["text"]), interrupted))
    return heard


def check_heard(wanted: tuple[str, ...], heard: list[Heard]) -> list[str]:
    """The expected prompts (ids, or pieces of their Ukrainian text) as a subsequence of
    what was heard; the readable difference when they are not. A piece of text may be
    found in the prompt the previous expectation matched (its id, then words of it)."""
    last = -1  # what the previous expectation matched
    for i, item in enumerate(wanted):
        start = last + 1 if ID_RE.match(item) or last < 0 else last
        found = next((j for j in range(start, len(heard)) if heard[j].matches(item)), None)
        if found is None:
            after = f" after {heard[last]}" if last >= 0 else ""
            lines = [f"heard: expected «{item}»{after}, in this order:"]
            lines += [f"    {'✓' if k < i else '✗'} {w}" for k, w in enumerate(wanted) if k <= i]
            lines.append("  what the caller heard:")
            lines += [f"    {'→' if k == start else ' '} {h}" for k, h in enumerate(heard)]
            return lines
        last = found
    return []


def check(scenario: Scenario, transcript: Transcript, record: CallRecord | None) -> list[str]:
    expect = scenario.expect
    failures: list[str] = []
    heard = heard_of(transcript)
    failures += check_heard(expect.heard, heard)
    for item in expect.not_heard:
        hits = [h for h in heard if h.matches(item)]
        if hits:
            failures.append(f"not_heard: «{item}» was heard: {hits[0]}")
    variables = handback.dialplan_variables(transcript.variables)
    for name, want, got in (
        ("result", expect.result, variables.get("IVR_RESULT")),
        ("target", expect.target, variables.get("IVR_TRANSFER_TO")),
    ):
        if want is not None and want != got:
            failures.append(f"{name}: expected {want}, the dialplan got {got or '(nothing)'}")
    if record is None:
        failures.append(f"record: no call record in the database ({transcript.record_problem})")
        return failures
    for name, want, got in (
        ("topic", expect.topic, record.topic_code),
        ("outcome", expect.outcome, record.outcome.value),
        ("company", expect.company, record.company),
    ):
        if want is not None and want != got:
            failures.append(f"{name}: expected {want}, recorded {got or '(none)'}")
    if expect.appeals is not None:
        kinds = tuple(a.kind for a in record.appeals)
        if kinds != expect.appeals:
            failures.append(
                f"appeals: expected [{', '.join(expect.appeals)}], created [{', '.join(kinds)}]"
            )
    return failures


#: A database of the store, opened by URL (``CallRepository``: only the commands open it).
Repository = Any


class Runner:
    """Runs scenarios on their configurations, each call on its own database copy.

    ``open_repository`` opens a database by URL and ``seed`` loads the sample into one:
    the command gives them (only the commands open the store)."""

    def __init__(
        self,
        configs: dict[Path, Config],
        open_repository: Callable[[str], Repository],
        seed: Callable[[Repository], object],
        workers: int = 2,
    ) -> None:
        self.configs = configs
        self.open_repository = open_repository
        self.seed = seed
        self.workers = max(1, workers)

    def run(
        self, scenarios: list[Scenario], done: Callable[[ScenarioResult], None] | None = None
    ) -> list[ScenarioResult]:
        with template_database(self.open_repository) as (directory, template):
            jobs = list(enumerate(scenarios))

            def one(job: tuple[int, Scenario]) -> ScenarioResult:
                number, scenario = job
                result = self.run_one(scenario, directory / f"s{number}", template)
                if done is not None:
                    done(result)
                return result

            with ThreadPoolExecutor(self.workers, thread_name_prefix="ivr-scenario") as pool:
                return list(pool.map(one, jobs))

    def run_one(self, scenario: Scenario, work: Path, template: Path) -> ScenarioResult:
        from ivr.store.recorder import CallRecorder

        began = time.perf_counter()
        work.mkdir(parents=True)
        database = work / "ivr.sqlite3"
        shutil.copy(template, database)
        main = dataclasses.replace(
            self.configs[scenario.config],
            database_url=f"sqlite:///{database}",
            journal_path=work / "ivr-journal.jsonl",
        )
        dialled = scenario.dialled or main.company.dialled_numbers[0]
        answering = main.for_dialled(dialled) or main
        clock = call_clock(scenario.at, main.company.timezone)
        repository = self.open_repository(main.database_url)
        result = ScenarioResult(scenario, config=answering)
        try:
            if scenario.sample:
                self.seed(repository)  # as of its own moment (SAMPLE_NOW): "at" is free
            transcript = simulate_builtin(
                main,
                CallRecorder(repository),
                asterisk_env(scenario.caller, dialled),
                KeyScript(parse_keys(scenario.keys)),
                clock=clock,
                queue_waiting=scenario.queue_waiting,
            )
            record = (
                repository.get_call(transcript.record.call_uid)
                if transcript.record is not None
                else None
            )
            result.heard = heard_of(transcript)
            result.record = record
            result.variables = dict(transcript.variables)
            result.failures = check(scenario, transcript, record)
        except Exception as exc:  # a scenario that breaks the run is a failure, named
            result.failures = [f"the call could not be run: {type(exc).__name__}: {exc}"]
        finally:
            repository.dispose()
            result.seconds = time.perf_counter() - began
        return result


@contextmanager
def template_database(
    open_repository: Callable[[str], Repository],
) -> Iterator[tuple[Path, Path]]:
    """A temporary directory holding one migrated empty database to copy."""
    directory = Path(tempfile.mkdtemp(prefix="ivr-test-"))
    template = directory / "template.sqlite3"
    repository = open_repository(f"sqlite:///{template}")
    try:
        repository.ensure_schema()
    finally:
        repository.dispose()
    try:
        yield directory, template
    finally:
        shutil.rmtree(directory, ignore_errors=True)
