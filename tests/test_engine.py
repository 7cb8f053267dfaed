"""The engine and its primitives driven by a scripted ``send``: no thread, socket or database.

``ScriptedAsterisk`` answers each command the way Asterisk does (a ``Reply`` with the key's
ASCII code, ``0`` for a timeout, a hang-up as ``AgiHangup``), pressing keys from a script with
the simulator's rules: a key cuts a prompt only if it is one of the prompt's escape digits.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import SHIPPED_CONFIG
from scripted import Everything, ScriptedAsterisk

import ivr.actions
from ivr.actions.base import Action
from ivr.actions.registry import OPTION_KEYS, SPECS
from ivr.agi.types import AgiError, AgiHangup, Command, Reply
from ivr.config import load_config
from ivr.config.model import Config
from ivr.flow.call import CallContext
from ivr.flow.context import FlowContext
from ivr.flow.drive import drive_sync
from ivr.flow.effects import AllocateAppealNumber, EffectResult, EffectRunner
from ivr.flow.engine import CallFlow
from ivr.flow.input import (
    Collected,
    Confirmation,
    ConfirmRequest,
    DigitsRequest,
    NoInput,
    TooShort,
    collect_digits,
    confirm,
)
from ivr.simulator import asterisk_env
from ivr.speech import plan_digits
from ivr.store.records import Outcome, Result

NOON = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def shipped() -> Config:
    return load_config(SHIPPED_CONFIG)


def context(config: Config, audio: Everything | None = None) -> FlowContext:
    call = CallContext.from_env(asterisk_env("0441234567", "0800300373"), "simulator")
    return FlowContext(config, call, lambda: NOON, audio or Everything())


def run(step: Generator[Any, Any, Any], asterisk: ScriptedAsterisk) -> Any:
    return drive_sync(step, asterisk.send)


# -- the registry: one module per action, registered once ---------------------------------


def test_every_action_module_is_registered_once_under_its_own_kind():
    modules = {
        info.name
        for info in pkgutil.iter_modules(ivr.actions.__path__)
        if info.name not in ("base", "registry")
    }
    assert modules == set(SPECS)
    for kind, spec in SPECS.items():
        module = importlib.import_module(f"ivr.actions.{kind}")
        assert module.SPEC is spec
        assert spec.type.kind == kind and issubclass(spec.type, Action)
        assert set(spec.required + spec.optional) <= set(OPTION_KEYS)


# -- collect digits ------------------------------------------------------------------------

ACCOUNT = DigitsRequest(prompts=("ask_account",), min_length=3, max_length=6)


@pytest.mark.parametrize(
    "keys, expected",
    [
        ("1 2 3 #", Collected("123")),  # the finish key
        ("1 2 3 4 5 6", Collected("123456")),  # max_length finishes at once
        ("1 2 3 t", Collected("123")),  # silence after enough digits finishes
        ("1 2 t", TooShort("12")),  # silence after too few
        ("1 2 #", TooShort("12")),
        ("1 2 * 4 5 6 #", Collected("456")),  # * starts again
        ("t", NoInput()),
        ("#", NoInput()),
        ("* * * *", NoInput()),  # more restarts than allowed
        ("1 A 2 3 #", Collected("123")),  # keys that are not digits are ignored
    ],
)
def test_collect_digits(shipped, keys, expected):
    asterisk = ScriptedAsterisk(keys)
    assert run(collect_digits(context(shipped), ACCOUNT), asterisk) == expected


def test_collect_digits_waits_with_the_first_and_then_the_inter_digit_timeout(shipped):
    asterisk = ScriptedAsterisk("t", patient=True)
    request = DigitsRequest(prompts=("p",), timeout_ms=7000, inter_digit_timeout_ms=2000)
    run(collect_digits(context(shipped), request), asterisk)
    assert asterisk.commands[-1] == Command("WAIT FOR DIGIT", ("7000",))
    asterisk = ScriptedAsterisk("5 t", patient=True)
    run(collect_digits(context(shipped), request), asterisk)
    waits = [c.args[0] for c in asterisk.commands if c.name == "WAIT FOR DIGIT"]
    assert waits == ["7000", "2000"]


def test_collect_digits_max_length_stops_without_another_wait(shipped):
    asterisk = ScriptedAsterisk("1 2 3 4 5 6 7", patient=True)
    assert run(collect_digits(context(shipped), ACCOUNT), asterisk) == Collected("123456")
    assert sum(c.name == "WAIT FOR DIGIT" for c in asterisk.commands) == 6


def test_a_digit_pressed_during_the_prompt_is_the_first_digit(shipped):
    asterisk = ScriptedAsterisk("4 5 6 #")
    assert run(collect_digits(context(shipped), ACCOUNT), asterisk) == Collected("456")
    assert asterisk.played == [("ask_account", "4")]
    escape = asterisk.commands[0].args[1]
    assert set(escape) == set("0123456789#*")


def test_a_hang_up_while_collecting_ends_the_call(shipped):
    with pytest.raises(AgiHangup):
        run(collect_digits(context(shipped), ACCOUNT), ScriptedAsterisk("1 2 h"))


@pytest.mark.parametrize(
    "options",
    [
        {"min_length": 0},
        {"min_length": 5, "max_length": 4},
        {"finish_key": "1"},
        {"finish_key": "#", "restart_key": "#"},
    ],
)
def test_a_digits_request_that_cannot_work_is_refused(options):
    with pytest.raises(ValueError):
        DigitsRequest(prompts=(), **options)


# -- read back and confirm -----------------------------------------------------------------

QUESTION = ConfirmRequest(question_prompt="confirm_q", intro_prompt="you_entered")


@pytest.mark.parametrize(
    "keys, expected, questions",
    [
        ("1", Confirmation.YES, 1),
        ("2", Confirmation.NO, 1),
        ("t t", Confirmation.NO_ANSWER, 2),  # both attempts silent
        ("9 1", Confirmation.YES, 2),  # a wrong key: asked again
    ],
)
def test_confirm_reads_the_value_back_and_asks(shipped, keys, expected, questions):
    asterisk = ScriptedAsterisk(keys, patient=True)
    plan = plan_digits("123456")
    assert run(confirm(context(shipped), plan, QUESTION), asterisk) == expected
    assert asterisk.prompts.count("confirm_q") == questions
    first = asterisk.prompts[: 2 + len(plan)]
    assert first == ["you_entered", *plan, "confirm_q"]


def test_confirm_can_be_answered_during_the_read_back(shipped):
    asterisk = ScriptedAsterisk("")
    asterisk.keys.tokens = ["1"]  # pressed at once: it cuts the intro
    assert run(confirm(context(shipped), plan_digits("42"), QUESTION), asterisk) is (
        Confirmation.YES
    )
    assert asterisk.prompts == ["you_entered"]


def test_a_value_that_cannot_be_said_is_not_half_read(shipped):
    plan = plan_digits("123")
    audio = Everything(missing=frozenset({next(iter(plan))}))
    asterisk = ScriptedAsterisk("1")
    assert run(confirm(context(shipped, audio), plan, QUESTION), asterisk) is (
        Confirmation.UNSAYABLE
    )
    assert asterisk.commands == []


# -- effects: a failed one is a result the flow handles -----------------------------------


def operator_call(config: Config, effects: EffectRunner) -> tuple[Any, ScriptedAsterisk]:
    call = CallContext.from_env(asterisk_env("0441234567", "0800300373"), "simulator")
    flow = CallFlow(config, call, lambda: NOON, audio=Everything())
    asterisk = ScriptedAsterisk("0")  # the operator key of the entry menu
    return drive_sync(flow.run(), asterisk.send, effects), asterisk


def test_an_appeal_number_that_fails_still_reaches_the_operator(shipped):
    record, asterisk = operator_call(shipped, EffectRunner())  # no handler: every effect fails
    assert record.outcome is Outcome.FAILED and record.result is Result.OPERATOR
    assert record.appeals == [] and "appeal number" in record.error
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert asterisk.variables["IVR_APPEAL_ID"] == ""


def test_an_appeal_number_from_the_effect_is_recorded_and_handed_over(shipped):
    asked: list[AllocateAppealNumber] = []

    def allocate(effect: AllocateAppealNumber) -> str:
        asked.append(effect)
        return "26112501000012"

    record, asterisk = operator_call(shipped, EffectRunner({AllocateAppealNumber: allocate}))
    assert asked == [AllocateAppealNumber(NOON)]
    assert [a.appeal_number for a in record.appeals] == ["26112501000012"]
    assert record.outcome is Outcome.OPERATOR
    assert asterisk.variables["IVR_APPEAL_ID"] == "26112501000012"


def test_an_effect_result_with_an_error_never_raises():
    def broken(effect: Any) -> Any:
        raise OSError("disk full")

    result = EffectRunner({AllocateAppealNumber: broken}).run(AllocateAppealNumber(NOON))
    assert result == EffectResult(error="OSError: disk full")


# -- nothing a handler does blocks: no I/O between two replies -----------------------------

#: Audit events that mean blocking work (files, sockets, databases, sleeps, locks, processes).
BLOCKING_EVENTS = (
    "open",
    "socket.",
    "sqlite3.",
    "time.sleep",
    "fcntl.",
    "subprocess.",
    "os.system",
    "os.listdir",
    "os.scandir",
)
_watch: dict[str, Any] = {"on": False, "seen": []}


def _audit(event: str, args: tuple) -> None:
    if _watch["on"] and event.startswith(BLOCKING_EVENTS):
        _watch["seen"].append((event, args[:1]))


sys.addaudithook(_audit)


def every_option_call_keys(config: Config) -> list[str]:
    """A key script per option of every menu: walk there, choose it, then hang up."""
    paths: dict[str, list[str]] = {config.entry_menu: []}
    queue = [config.entry_menu]
    while queue:
        name = queue.pop(0)
        for key, action in sorted(config.menus[name].options.items()):
            target = getattr(action, "menu", None)
            if target and target not in paths:
                paths[target] = paths[name] + list(key)
                queue.append(target)
    return [
        " ".join([*keys, *key, "1", "h"])
        for menu, keys in paths.items()
        for key in sorted(config.menus[menu].options)
    ]


def timed_drive(flow: Any, send: Callable[[Command], Reply], effects: EffectRunner) -> float:
    """``drive_sync`` that watches every step of the flow (the code between two replies, all
    that ever runs on the FastAGI event loop); returns the longest step in seconds."""
    longest = 0.0
    response: Any = None
    error: AgiError | None = None
    while True:
        _watch["on"] = True
        started = time.perf_counter()
        try:
            request = flow.throw(error) if error else flow.send(response)
        except StopIteration:
            return longest
        finally:
            longest = max(longest, time.perf_counter() - started)
            _watch["on"] = False
        response, error = None, None
        if not isinstance(request, Command):
            response = effects.run(request)
            continue
        try:
            response = send(request)
        except AgiError as exc:
            error = exc


def test_no_handler_blocks_between_replies(shipped):
    """Every option of the shipped menus, run with a scripted Asterisk: no step of the flow
    opens a file or socket, sleeps, locks or queries (effects do that, off the event loop), and
    none takes more than a few milliseconds (the best of three runs, against machine noise)."""
    effects = EffectRunner({AllocateAppealNumber: lambda effect: "26112501000012"})
    _watch["seen"] = []
    slowest: dict[str, float] = {}
    for keys in every_option_call_keys(shipped):
        runs = []
        for _ in range(3):
            call = CallContext.from_env(asterisk_env("0441234567", "0800300373"), "simulator")
            flow = CallFlow(shipped, call, lambda: NOON, audio=Everything()).run()
            runs.append(timed_drive(flow, ScriptedAsterisk(keys).send, effects))
        slowest[keys] = min(runs)
    assert _watch["seen"] == []
    worst = max(slowest, key=slowest.__getitem__)
    assert slowest[worst] < 0.005, f"{worst!r}: a step took {slowest[worst] * 1000:.1f} ms"


def test_the_start_record_keeps_only_what_was_known_at_the_start(shipped):
    """The journal writes it later, from its own thread: what the call does meanwhile must
    not show in it."""
    call = CallContext.from_env(asterisk_env("0441234567", "0800000373"), "simulator")
    flow = CallFlow(shipped, call, lambda: datetime(2026, 12, 1, 10, tzinfo=UTC))
    start = flow.start_record()
    state = flow.ctx.state
    state.path.append({"menu": "main", "key": "0"})
    state.links.append(object())  # type: ignore[arg-type]
    assert start.path == [] and start.appeals == [] and start.links == [] == start.readings
    assert start.outcome is Outcome.INTERRUPTED
