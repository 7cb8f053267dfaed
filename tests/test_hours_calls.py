"""Working hours in a call (the supplier example with a scripted Asterisk): out of hours the
operator key says when operators are back, after a holiday and on a shortened day, and a
``when_open`` option takes its open or closed branch."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import SUPPLIER_CONFIG
from scripted import Everything, ScriptedAsterisk
from test_config import errors, line_of, make_config

from ivr.config import load_config
from ivr.config.model import Config
from ivr.flow.call import CallContext
from ivr.flow.drive import drive_sync
from ivr.flow.effects import EffectRunner
from ivr.flow.engine import CallFlow
from ivr.simulator import asterisk_env
from ivr.speech.fragments import catalogue
from ivr.store.records import CallRecord

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture(scope="module")
def supplier() -> Config:
    return load_config(SUPPLIER_CONFIG)


def call(
    config: Config, keys: str, at: datetime, audio: Everything | None = None
) -> tuple[CallRecord, ScriptedAsterisk]:
    context = CallContext.from_env(asterisk_env("0441110001", "0800000312"), "simulator")
    flow = CallFlow(
        config, context, lambda: at, audio=audio or Everything(), register_appeals=False
    )
    asterisk = ScriptedAsterisk(keys, patient=True)
    return drive_sync(flow.run(), asterisk.send, EffectRunner({})), asterisk


def after(prompts: list[str], first: str, count: int) -> list[str]:
    start = prompts.index(first) + 1
    return prompts[start : start + count]


def words(ids: list[str]) -> str:
    fragments = catalogue()
    return " ".join(fragments[i].text if i in fragments else f"[{i}]" for i in ids)


@pytest.mark.parametrize(
    ("at", "heard"),
    [
        # Tuesday night: tomorrow
        (datetime(2026, 12, 1, 22, 0, tzinfo=KYIV), "[hours_next] завтра з восьмої до двадцятої"),
        # before opening: today's hours
        (datetime(2026, 12, 2, 6, 30, tzinfo=KYIV), "[hours_today] з восьмої до двадцятої"),
        # Saturday after 15:00: Sunday is closed, Monday
        (
            datetime(2026, 12, 5, 16, 0, tzinfo=KYIV),
            "[hours_next] у понеділок з восьмої до двадцятої",
        ),
        # the eve of the shortened day: its hours
        (
            datetime(2026, 12, 30, 21, 0, tzinfo=KYIV),
            "[hours_next] завтра з восьмої до сімнадцятої",
        ),
        # after the shortened day closed: 1 January is a holiday, so Saturday
        (
            datetime(2026, 12, 31, 17, 30, tzinfo=KYIV),
            "[hours_next] у суботу з дев'ятої до п'ятнадцятої",
        ),
    ],
)
def test_out_of_hours_the_operator_key_says_when_operators_are_back(supplier, at, heard):
    record, asterisk = call(supplier, "0 h", at)
    prompts = asterisk.prompts
    closed = supplier.operator.closed_prompt
    assert prompts[-1] == supplier.menus["main"].short_greeting[-1]  # the menu goes on
    assert words(prompts[prompts.index(closed) + 1 : -1]) == heard
    assert record.outcome.value == "after_hours"
    assert not record.appeals


def test_in_the_shortened_hours_the_operator_answers(supplier):
    record, asterisk = call(supplier, "0", datetime(2026, 12, 31, 16, 59, tzinfo=KYIV))
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert supplier.operator.closed_prompt not in asterisk.prompts


def test_hours_without_audio_are_not_half_said(supplier):
    audio = Everything(frozenset({"time/until_20"}))
    _, asterisk = call(supplier, "0 h", datetime(2026, 12, 1, 22, 0, tzinfo=KYIV), audio)
    prompts = asterisk.prompts
    assert supplier.operator.closed_prompt in prompts  # the caller still hears it is closed
    assert "hours_next" not in prompts and "date/tomorrow" not in prompts


def test_when_open_takes_the_operator_in_hours(supplier):
    record, asterisk = call(supplier, "3 3", datetime(2026, 12, 1, 12, 0, tzinfo=KYIV))
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert record.topic_code == "S1"
    assert {"menu": "contract", "action": "operator", "event": "open"} in record.path


def test_when_open_announces_out_of_hours_and_stays_in_the_menu(supplier):
    record, asterisk = call(supplier, "3 3 h", datetime(2026, 12, 1, 22, 0, tzinfo=KYIV))
    prompts = asterisk.prompts
    assert after(prompts, "supplier_contract_closed", 1) == ["menu_supplier_contract"]
    assert supplier.operator.closed_prompt not in prompts  # no operator was asked for
    assert record.topic_code == "S1"
    assert record.outcome.value == "self_served"
    assert {"menu": "contract", "action": "announce", "event": "closed"} in record.path


def test_when_open_on_a_holiday_is_closed(supplier):
    _, asterisk = call(supplier, "3 3 h", datetime(2027, 1, 1, 12, 0, tzinfo=KYIV))
    assert "supplier_contract_closed" in asterisk.prompts


WHEN_OPEN = "        closed: {action: announce, prompts: [supplier_contract_closed], topic: S1}"


def test_a_when_open_branch_is_checked_like_an_option(tmp_path):
    edit = (WHEN_OPEN, "        closed: {action: announce, topic: S1}")
    path = make_config(tmp_path, edit, source=SUPPLIER_CONFIG)
    assert errors(path) == [
        f"{path}:{line_of(path, 'closed: {action: announce, topic')}: "
        "menus.contract.options.3.closed: missing required key 'prompts': action 'announce' "
        "needs 'prompts: [<prompt id>, ...]'"
    ]


def test_a_when_open_needs_both_branches_and_no_nesting(tmp_path):
    path = make_config(tmp_path, (WHEN_OPEN, ""), source=SUPPLIER_CONFIG)
    assert errors(path) == [
        f"{path}:{line_of(path, 'action: when_open') - 1}: menus.contract.options.3: missing "
        "required key 'closed': action 'when_open' needs 'closed: {action: ...}' (the option "
        "outside them)"
    ]
    nested = "        closed: {action: when_open, open: {action: back}, closed: {action: back}}"
    path = make_config(tmp_path, (WHEN_OPEN, nested), source=SUPPLIER_CONFIG)
    assert errors(path) == [
        f"{path}:{line_of(path, 'closed: {action: when_open')}: "
        "menus.contract.options.3.closed.action: a when_open branch cannot be another when_open"
    ]
