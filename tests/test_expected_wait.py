"""The expected wait said on the way to the operator queue (``operator.expected_wait``,
``ivr.flow.waiting``): through the simulator over the AGI byte protocol (its Asterisk
answers QUEUE_VARIABLES' QUEUEHOLDTIME with ``--queue-holdtime``), with a scripted Asterisk
to see the one command asked, and the config's validation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import SUPPLIER_CONFIG, built_only, prompts_played
from scripted import Everything, ScriptedAsterisk
from test_cli import ivr
from test_config import errors, line_of, make_config
from test_flow import NIGHT
from test_identify import NOON

from ivr.agi.types import Command, Reply
from ivr.config import load_config
from ivr.config.model import Config, ExpectedWait
from ivr.flow.call import CallContext
from ivr.flow.drive import drive_sync
from ivr.flow.effects import AllocateAppealNumber, EffectRunner
from ivr.flow.engine import CallFlow
from ivr.flow.waiting import wait_parts
from ivr.simulator import asterisk_env
from ivr.speech.fragments import catalogue
from ivr.store.appeals import AppealNumberAllocator

CALLBACK = "    offer_when_waiting: 10\n"
DEFAULT = "${QUEUE_VARIABLES(dso-callcentre):0:0}${QUEUEHOLDTIME}"
COUNT = "${QUEUE_WAITING_COUNT(dso-callcentre)}"


def with_wait(tmp_path: Path, block: str = "  expected_wait: {}\n", callback: bool = True) -> Path:
    edit = (CALLBACK, CALLBACK + block) if callback else ("  callback:\n" + CALLBACK, block)
    tmp_path.mkdir(parents=True, exist_ok=True)
    return make_config(tmp_path, edit)


@pytest.fixture
def waiting_config(tmp_path: Path) -> Config:
    """The shipped config with ``expected_wait: {}`` (the defaults), on its own database."""
    return dataclasses.replace(
        load_config(with_wait(tmp_path / "site")),
        database_url=f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
        journal_path=tmp_path / "ivr-journal.jsonl",
    )


def heard_after_connecting(transcript, config: Config) -> str:
    """What the caller heard after the connecting prompt, in words ([id] for a prompt)."""
    played = prompts_played(transcript)
    after = played[played.index(config.operator.connecting_prompt) + 1 :]
    fragments = catalogue()
    return " ".join(fragments[i].text if i in fragments else f"[{i}]" for i in after)


# -- over the byte protocol: the simulator's Asterisk -------------------------------------


@pytest.mark.parametrize(
    ("holdtime", "heard"),
    [
        (150, "[expected_wait] три хвилини"),  # rounded up
        (60, "[expected_wait] одна хвилина"),
        (61, "[expected_wait] дві хвилини"),
        (300, "[expected_wait] п'ять хвилин"),
        (1260, "[expected_wait] двадцять одна хвилина"),
        (1800, "[expected_wait] тридцять хвилин"),
        (1801, "[expected_wait_over] тридцять хвилин"),  # понад тридцять хвилин
        (59, ""),  # below min_seconds: never "less than a minute"
        (0, ""),  # unknown: no answered call yet
    ],
)
def test_the_expected_wait_follows_the_connecting_prompt(waiting_config, simulate, holdtime, heard):
    transcript = simulate("0", cfg=waiting_config, queue_holdtime=holdtime)
    assert heard_after_connecting(transcript, waiting_config) == heard
    assert transcript.variables["IVR_RESULT"] == "operator"
    noted = [step for step in transcript.record.path if step.get("event") == "expected_wait"]
    assert len(noted) == (1 if heard else 0)


def test_the_path_notes_the_minutes_said(waiting_config, simulate):
    three = simulate("0", cfg=waiting_config, queue_holdtime=150).record
    over = simulate("0", cfg=waiting_config, queue_holdtime=4000).record
    assert [s["minutes"] for s in three.path if s.get("event") == "expected_wait"] == ["3"]
    assert [s["minutes"] for s in over.path if s.get("event") == "expected_wait"] == ["30+"]


def test_a_caller_who_takes_the_callback_hears_no_wait(waiting_config, simulate):
    transcript = simulate("0 1", cfg=waiting_config, queue_waiting=15, queue_holdtime=600)
    assert transcript.record.outcome.value == "callback"
    assert "expected_wait" not in prompts_played(transcript)


def test_a_caller_who_stays_hears_the_wait(waiting_config, simulate):
    transcript = simulate("0 3", cfg=waiting_config, queue_waiting=15, queue_holdtime=600)
    assert heard_after_connecting(transcript, waiting_config) == "[expected_wait] десять хвилин"


def test_more_than_max_minutes_in_the_accusative(tmp_path, simulate):
    block = "  expected_wait:\n    max_minutes: 21\n"
    config = dataclasses.replace(
        load_config(with_wait(tmp_path / "site", block)),
        database_url=f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
    )
    transcript = simulate("0", cfg=config, queue_holdtime=3000)
    assert (
        heard_after_connecting(transcript, config) == "[expected_wait_over] двадцять одну хвилину"
    )


def test_no_half_sentence_without_audio(waiting_config, simulate):
    ids = set(waiting_config.prompts.texts) | set(catalogue())
    audio = built_only(waiting_config, frozenset(ids - {"units/minute_2"}))
    transcript = simulate("0", cfg=waiting_config, queue_holdtime=150, audio=audio)
    assert heard_after_connecting(transcript, waiting_config) == ""
    assert transcript.variables["IVR_RESULT"] == "operator"
    # the lead-in alone is not said either
    audio = built_only(waiting_config, frozenset(ids - {"expected_wait"}))
    transcript = simulate("0", cfg=waiting_config, queue_holdtime=150, audio=audio)
    assert heard_after_connecting(transcript, waiting_config) == ""


def test_out_of_hours_no_wait_is_said(simulate, tmp_path):
    (tmp_path / "site").mkdir()
    path = make_config(
        tmp_path / "site",
        ("  closed_prompt:", "  expected_wait: {}\n  closed_prompt:"),
        source=SUPPLIER_CONFIG,
    )
    config = dataclasses.replace(
        load_config(path), database_url=f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    )
    transcript = simulate("0 h", cfg=config, clock=lambda: NIGHT, queue_holdtime=600)
    assert "expected_wait" not in prompts_played(transcript)
    assert transcript.record.outcome.value == "after_hours"


# -- the one command: a scripted Asterisk ---------------------------------------------------


class Queue(ScriptedAsterisk):
    """Asterisk answering GET FULL VARIABLE with ``answer`` (None: ``200 result=0``)."""

    def __init__(self, keys: str, answer: str | None) -> None:
        super().__init__(keys, patient=True)
        self.answer = answer
        self.asked: list[str] = []

    def send(self, command: Command) -> Reply:
        if command.name == "GET FULL VARIABLE":
            self.commands.append(command)
            self.asked.append(command.args[0])
            return Reply(200, "0") if self.answer is None else Reply(200, "1", data=self.answer)
        return super().send(command)


def call(config: Config, keys: str, answer: str | None, tmp_path: Path):
    allocator = AppealNumberAllocator(tmp_path, 1, config.company.tz)
    effects = EffectRunner({AllocateAppealNumber: lambda e: allocator.next(e.moment)})
    context = CallContext.from_env(asterisk_env("0441110001", "0800000373"), "simulator")
    flow = CallFlow(config, context, lambda: NOON, audio=Everything())
    asterisk = Queue(keys, answer)
    return drive_sync(flow.run(), asterisk.send, effects), asterisk


def after_connecting(asterisk: Queue) -> list[str]:
    said = asterisk.prompts
    return said[said.index("operator_connecting") + 1 :]


def test_one_command_asks_for_the_count_and_the_hold_time(tmp_path):
    config = load_config(with_wait(tmp_path))
    record, asterisk = call(config, "0", "3,240", tmp_path)
    assert asterisk.asked == [f"{COUNT},{DEFAULT}"]
    assert after_connecting(asterisk) == ["expected_wait", "digits/4", "units/minute_2"]
    assert [a.kind for a in record.appeals] == ["operator"]


def test_the_hold_time_alone_without_the_callback(tmp_path):
    config = load_config(with_wait(tmp_path, callback=False))
    assert config.operator.callback is None
    _, asterisk = call(config, "0", "240", tmp_path)
    assert asterisk.asked == [DEFAULT]
    assert after_connecting(asterisk) == ["expected_wait", "digits/4", "units/minute_2"]


def test_a_configured_expression_is_asked_for(tmp_path):
    block = "  expected_wait:\n    hold_time: '${IVR_HOLD}'\n    min_seconds: 0\n"
    config = load_config(with_wait(tmp_path, block))
    assert config.operator.expected_wait == ExpectedWait(0, 30, "${IVR_HOLD}")
    _, asterisk = call(config, "0", "0,30.5", tmp_path)
    assert asterisk.asked == [f"{COUNT},${{IVR_HOLD}}"]
    assert after_connecting(asterisk) == ["expected_wait", "digits/1f", "units/minute_1"]


@pytest.mark.parametrize(
    ("answer", "offered", "said"),
    [
        (None, False, False),  # no value at all (result=0)
        ("12,", True, False),  # empty hold time (no setqueuevar): the count still counts
        ("12,-5", True, False),
        ("12,soon", True, False),
        ("12,0", True, False),
        ("12", False, False),  # not two values: neither is trusted
        ("x,240", False, True),  # each figure on its own
    ],
)
def test_each_unknown_figure_is_left_out(tmp_path, answer, offered, said):
    config = load_config(with_wait(tmp_path))
    record, asterisk = call(config, "0 3", answer, tmp_path)
    assert ("expected_wait" in asterisk.prompts) == said
    assert ("callback_offer" in asterisk.prompts) == offered
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert record.outcome.value == "operator"


def test_without_the_block_only_the_count_is_asked(shipped_config, tmp_path):
    _, asterisk = call(shipped_config, "0", "3", tmp_path)
    assert asterisk.asked == [COUNT]
    assert "expected_wait" not in asterisk.prompts


def test_the_estimate_rounds_up_to_whole_minutes():
    wait = ExpectedWait(min_seconds=0, max_minutes=10)
    assert wait_parts(1, wait)[1] == "1"
    assert wait_parts(120, wait)[1] == "2"
    assert wait_parts(121, wait)[1] == "3"
    assert wait_parts(600, wait)[1] == "10"
    assert wait_parts(601, wait)[:2] == ("expected_wait_over", "10+")
    assert wait_parts(59, ExpectedWait()) is None


# -- the simulator and its command line -----------------------------------------------------


def test_the_simulated_asterisk_substitutes_left_to_right():
    from ivr.simulator import FakeAsterisk

    fake = FakeAsterisk.__new__(FakeAsterisk)
    fake.queue_waiting, fake.queue_holdtime = 4, 90
    fake.transcript = type("T", (), {"variables": {"IVR_X": "7"}})()
    assert fake._evaluate(f"{COUNT},{DEFAULT}") == "4,90"
    assert fake._evaluate("${QUEUEHOLDTIME}") is None  # not set before QUEUE_VARIABLES
    assert fake._evaluate("${QUEUE_VARIABLES(q)}|${IVR_X}") == "0|7"
    assert fake._evaluate("${IF($[1]?2)}") is None


def test_simulate_takes_the_queue_hold_time(config_copy: Path):
    text = config_copy.read_text(encoding="utf-8")
    config_copy.write_text(text.replace(CALLBACK, CALLBACK + "  expected_wait: {}\n"))
    result = ivr(
        "simulate",
        "--config",
        str(config_copy),
        "--keys",
        "0",
        "--queue-holdtime",
        "200",
        cwd=config_copy.parent,
    )
    assert result.returncode == 0, result.stderr
    assert "play expected_wait: «Орієнтовний час очікування —»" in result.stdout
    assert "чотири хвилини" in result.stdout


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "needle", "message"),
    [
        (
            "  expected_wait: 5\n",
            "expected_wait: 5",
            "operator.expected_wait: expected a mapping, e.g. {min_seconds: 60}, got the number 5",
        ),
        (
            "  expected_wait:\n    min_seconds: -1\n",
            "min_seconds: -1",
            "operator.expected_wait.min_seconds: -1 is out of range: use 0 to 3600 seconds",
        ),
        (
            "  expected_wait:\n    min_seconds: 1.5\n",
            "min_seconds: 1.5",
            "operator.expected_wait.min_seconds: expected a whole number of seconds, "
            "got the number 1.5",
        ),
        (
            "  expected_wait:\n    max_minutes: 0\n",
            "max_minutes: 0",
            "operator.expected_wait.max_minutes: 0 is out of range: use 1 to 180 minutes",
        ),
        (
            "  expected_wait:\n    max_minutes: ten\n",
            "max_minutes: ten",
            "operator.expected_wait.max_minutes: expected a whole number of minutes, "
            "got text 'ten'",
        ),
        (
            "  expected_wait:\n    min_seconds: 600\n    max_minutes: 5\n",
            "min_seconds: 600",
            "operator.expected_wait.min_seconds: 600 seconds is more than max_minutes "
            "(5 minutes): nothing but 'more than' would ever be said",
        ),
        (
            "  expected_wait:\n    hold_time: QUEUEHOLDTIME\n",
            "hold_time: QUEUEHOLDTIME",
            "operator.expected_wait.hold_time: expected a dialplan expression such as "
            f"'{DEFAULT}', got 'QUEUEHOLDTIME'",
        ),
        (
            "  expected_wait:\n    max: 5\n",
            "max: 5",
            "operator.expected_wait.max: unknown key 'max'",
        ),
    ],
)
def test_a_bad_expected_wait_is_reported_with_its_line(tmp_path, block, needle, message):
    path = with_wait(tmp_path, block)
    found = errors(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:{line_of(path, needle)}: {message}"), (
        found
    )


def test_the_prompts_must_have_texts(tmp_path):
    path = with_wait(tmp_path)
    prompts = path.parent / "prompts" / "uk.yaml"
    text = prompts.read_text(encoding="utf-8")
    prompts.write_text(text.replace("expected_wait_over:", "expected_wait_later:"))
    found = errors(path)
    assert (
        len(found) == 1
        and "operator.expected_wait: unknown prompt 'expected_wait_over'" in (found[0])
    ), found


def test_validate_names_setqueuevar_for_the_default_figure(tmp_path):
    from ivr.config.dialplan import asterisk_requirements

    default = load_config(with_wait(tmp_path / "a"))
    (line,) = [x for x in asterisk_requirements(default, None, None) if "queues.conf" in x]
    assert line.endswith(
        "with members and music on hold and setqueuevar = yes "
        "(operator.expected_wait reads QUEUEHOLDTIME)"
    )
    custom = load_config(with_wait(tmp_path / "b", "  expected_wait:\n    hold_time: '${X}'\n"))
    (line,) = [x for x in asterisk_requirements(custom, None, None) if "queues.conf" in x]
    assert line.endswith("with members and music on hold")
