"""A callback instead of a long queue (``operator.callback``, ``ivr.flow.callback``): the
engine with a scripted Asterisk that answers ``GET FULL VARIABLE`` with the queue's length."""

from __future__ import annotations

import pytest
from conftest import SHIPPED_CONFIG
from scripted import Everything, ScriptedAsterisk
from test_config import errors, line_of, make_config
from test_identify import NOON

from ivr.agi.types import Command, Reply
from ivr.config import load_config
from ivr.config.model import Config
from ivr.flow.call import CallContext
from ivr.flow.drive import drive_sync
from ivr.flow.effects import AllocateAppealNumber, EffectRunner
from ivr.flow.engine import CallFlow
from ivr.simulator import asterisk_env
from ivr.speech import plan_appeal_number, plan_phone
from ivr.store.appeals import AppealNumberAllocator


class Queue(ScriptedAsterisk):
    """Asterisk with ``waiting`` callers in the queue (None: the expression has no value)."""

    def __init__(self, keys: str, waiting: int | None) -> None:
        super().__init__(keys, patient=True)
        self.waiting = waiting
        self.asked: list[str] = []

    def send(self, command: Command) -> Reply:
        if command.name == "GET FULL VARIABLE":
            self.commands.append(command)
            self.asked.append(command.args[0])
            if self.waiting is None:
                return Reply(200, "0")
            return Reply(200, "1", data=str(self.waiting))
        return super().send(command)


@pytest.fixture(scope="module")
def shipped() -> Config:
    return load_config(SHIPPED_CONFIG)


def call(config: Config, keys: str, waiting: int | None, tmp_path, caller: str = "0441110001"):
    allocator = AppealNumberAllocator(tmp_path, 1, config.company.tz)
    effects = EffectRunner({AllocateAppealNumber: lambda e: allocator.next(e.moment)})
    context = CallContext.from_env(asterisk_env(caller, "0800000373"), "simulator")
    flow = CallFlow(config, context, lambda: NOON, audio=Everything())
    asterisk = Queue(keys, waiting)
    return drive_sync(flow.run(), asterisk.send, effects), asterisk


def test_a_long_queue_offers_a_callback_to_the_callers_own_number(shipped, tmp_path):
    record, asterisk = call(shipped, "0 1", 12, tmp_path)
    assert asterisk.asked == ["${QUEUE_WAITING_COUNT(dso-callcentre)}"]
    (appeal,) = record.appeals
    assert appeal.kind == "callback" and appeal.topic_code == "D99"
    assert appeal.details == {"number": "+380441110001", "waiting": 12, "keyed": False}
    said = asterisk.prompts
    assert said.index("callback_offer") < said.index("callback_registered")
    start = said.index("callback_appeal_number") + 1
    assert said[start : said.index("goodbye")] == list(plan_appeal_number(appeal.appeal_number))
    assert record.outcome.value == "callback"
    assert asterisk.variables["IVR_RESULT"] == "hangup"
    assert asterisk.variables["IVR_APPEAL_ID"] == appeal.appeal_number


def test_another_number_is_keyed_read_back_and_confirmed(shipped, tmp_path):
    record, asterisk = call(shipped, "0 2 0 5 0 1 2 3 4 5 6 7 1", 12, tmp_path)
    (appeal,) = record.appeals
    assert appeal.details == {"number": "+380501234567", "waiting": 12, "keyed": True}
    said = asterisk.prompts
    start = said.index("callback_number_is") + 1
    assert said[start : said.index("callback_confirm")] == list(plan_phone("+380501234567"))


def test_a_wrong_number_is_said_and_keyed_again(shipped, tmp_path):
    keys = "0 2 0 0 0 1 2 3 4 5 6 7 " + "0 6 7 1 2 3 4 5 6 7 1"  # 00..., then a mobile number
    record, asterisk = call(shipped, keys, 12, tmp_path)
    assert asterisk.prompts.count("callback_invalid") == 1
    assert record.appeals[0].details["number"] == "+380671234567"


def test_two_wrong_numbers_leave_the_caller_in_the_queue(shipped, tmp_path):
    wrong = "1 1 1 1 1 1 1 1 1 1 "
    record, asterisk = call(shipped, "0 2 " + wrong + wrong, 12, tmp_path)
    assert asterisk.prompts.count("callback_invalid") == 2
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert [a.kind for a in record.appeals] == ["operator"]


@pytest.mark.parametrize(
    ("keys", "waiting"),
    [
        ("0", 9),  # below the threshold: no offer
        ("0 3", 12),  # stays in the queue
        ("0 t", 12),  # silence: stays
        ("0", None),  # Asterisk has no count
    ],
)
def test_the_queue_as_before_otherwise(shipped, tmp_path, keys, waiting):
    record, asterisk = call(shipped, keys, waiting, tmp_path)
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert [a.kind for a in record.appeals] == ["operator"]
    assert record.outcome.value == "operator"
    assert ("callback_offer" in asterisk.prompts) == (waiting is not None and waiting >= 10)


def test_a_withheld_number_is_offered_only_a_keyed_one(shipped, tmp_path):
    record, asterisk = call(shipped, "0 1", 12, tmp_path, caller="unknown")
    assert "callback_offer_other" in asterisk.prompts
    assert asterisk.variables["IVR_RESULT"] == "operator"  # 1 is not offered: the queue


def test_a_hang_up_while_keying_the_number_registers_nothing(shipped, tmp_path):
    record, _ = call(shipped, "0 2 0 5 0 h", 12, tmp_path)
    assert record.appeals == [] and record.outcome.value == "abandoned"


def test_without_the_block_no_count_is_asked(tmp_path):
    path = make_config(tmp_path, ("  callback:\n    offer_when_waiting: 10\n", ""))
    config = load_config(path)
    record, asterisk = call(config, "0", 12, tmp_path)
    assert asterisk.asked == [] and [a.kind for a in record.appeals] == ["operator"]


@pytest.mark.parametrize(
    ("edit", "needle", "message"),
    [
        (
            ("    offer_when_waiting: 10\n", "    offer_when_waiting: -1\n"),
            "offer_when_waiting: -1",
            "operator.callback.offer_when_waiting: -1 is out of range: "
            "use 0 to 1000 waiting callers",
        ),
        (
            ("    offer_when_waiting: 10\n", "    offer_when_waiting: 10\n    waiting: QUEUE\n"),
            "waiting: QUEUE",
            "operator.callback.waiting: expected a dialplan expression such as "
            "'${QUEUE_WAITING_COUNT(dso-callcentre)}', got 'QUEUE'",
        ),
        (
            ("    offer_when_waiting: 10\n", "    offer_when_waiting: 10\n    wait: 5\n"),
            "wait: 5",
            "operator.callback.wait: unknown key 'wait'",
        ),
    ],
)
def test_a_bad_callback_block_is_reported_with_its_line(tmp_path, edit, needle, message):
    path = make_config(tmp_path, edit)
    found = errors(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:{line_of(path, needle)}: {message}"), (
        found
    )


def test_a_custom_expression_is_asked_for(tmp_path):
    edit = ("    offer_when_waiting: 10\n", '    offer_when_waiting: 1\n    waiting: "${IVR_QW}"\n')
    config = load_config(make_config(tmp_path, edit))
    _, asterisk = call(config, "0 3", 1, tmp_path)
    assert asterisk.asked == ["${IVR_QW}"]
