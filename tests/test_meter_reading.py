"""Passing meter readings on the keypad (action ``meter_reading`` in the shipped meters menu,
key 5), whole calls through the engine with a scripted Asterisk; the look-ups and appeal
numbers are answered by the small in-memory ``Services`` below (effects, as the design
allows)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import SHIPPED_CONFIG
from scripted import Everything, ScriptedAsterisk

from ivr.accounts.model import Account, Address
from ivr.config import load_config
from ivr.config.model import Config, Readings
from ivr.flow.call import CallContext
from ivr.flow.drive import drive_sync
from ivr.flow.effects import (
    AllocateAppealNumber,
    EffectRunner,
    FindAccount,
    FindAccountsByPhone,
    LastReading,
)
from ivr.flow.engine import CallFlow
from ivr.flow.readings import Previous, Refusal, verdict
from ivr.simulator import asterisk_env
from ivr.speech import plan_appeal_number, plan_count, plan_date
from ivr.store.records import CallRecord, MeterReadingRecord

KYIV = ZoneInfo("Europe/Kyiv")
IN_WINDOW = datetime(2026, 12, 1, 12, 0, tzinfo=KYIV)  # the first days of a month
OUTSIDE = datetime(2026, 12, 10, 12, 0, tzinfo=KYIV)
BEFORE = datetime(2026, 11, 1, 10, 0, tzinfo=KYIV)  # the previous readings: 30 days back
MENU = "3 5 "  # the meters menu, then "pass the readings on the keypad"


def account(number: str, zones: int, phone: str | None = None) -> Account:
    return Account(
        number=number,
        eic=None,
        phones=(phone,) if phone else (),
        address=Address("Демосело", "вул. Вигадана", "12-А"),
        groups=("3.1",),
        zones=zones,
    )


ONE = account("2000000001", 1, "+380441110001")
TWO = account("2000000002", 2, "+380441110002")
THREE = account("2000000003", 3, "+380441110003")
NO_ZONES = account("2000000004", 0, "+380441110004")  # the registry holds no meter type
FRESH = account("2000000005", 1)  # no phone, no previous reading
REGISTRY = (ONE, TWO, THREE, NO_ZONES, FRESH)


def reading(acc: Account, *values: int) -> MeterReadingRecord:
    return MeterReadingRecord(acc.number, BEFORE, list(values), "billing")


PREVIOUS = {
    ONE.number: reading(ONE, 35000),
    TWO.number: reading(TWO, 4210, 1870),
    THREE.number: reading(THREE, 1520, 3010, 2270),
}


class Services:
    """Answers the call's effects from ``REGISTRY`` and ``previous``; remembers what was
    asked. ``fail``: the previous-reading look-up raises (the database is down)."""

    def __init__(
        self,
        previous: dict[str, MeterReadingRecord] | None = None,
        fail: bool = False,
        numbers: bool = True,
    ) -> None:
        self.previous = PREVIOUS if previous is None else previous
        self.fail = fail
        self.numbers = numbers
        self.asked: list[Any] = []
        self.issued = 0

    def by_phone(self, effect: FindAccountsByPhone) -> list[Account]:
        return [a for a in REGISTRY if effect.phone in a.phones]

    def find(self, effect: FindAccount) -> Account | None:
        return next((a for a in REGISTRY if a.number == effect.number), None)

    def last(self, effect: LastReading) -> MeterReadingRecord | None:
        self.asked.append(effect)
        if self.fail:
            raise OSError("database unavailable")
        return self.previous.get(effect.account_number)

    def allocate(self, effect: AllocateAppealNumber) -> str:
        if not self.numbers:
            raise OSError("appeal sequence file is locked")
        self.issued += 1
        return f"2612010100{self.issued:03d}0"

    def runner(self) -> EffectRunner:
        return EffectRunner(
            {
                FindAccountsByPhone: self.by_phone,
                FindAccount: self.find,
                LastReading: self.last,
                AllocateAppealNumber: self.allocate,
            }
        )


@pytest.fixture(scope="module")
def shipped() -> Config:
    return load_config(SHIPPED_CONFIG)


def call(
    config: Config,
    keys: str,
    caller: str = "0441110002",
    at: datetime = IN_WINDOW,
    services: Services | None = None,
    transport: str = "simulator",
) -> tuple[CallRecord, list[str], Services]:
    services = services or Services()
    env = asterisk_env(caller, "0800000373")
    if transport != "simulator":  # a real caller's channel: no test account code
        env["agi_accountcode"] = ""
    flow = CallFlow(config, CallContext.from_env(env, transport), lambda: at, audio=Everything())
    asterisk = ScriptedAsterisk(keys, patient=True)
    record = drive_sync(flow.run(), asterisk.send, services.runner())
    return record, asterisk.prompts, services


def kwh(value: int) -> list[str]:
    return list(plan_count(value, "kwh"))


def events(record: CallRecord) -> list[str]:
    return [step["event"] for step in record.path if "event" in step]


def keyed(value: int) -> str:
    return " ".join(str(value)) + " # "


# -- accepted ---------------------------------------------------------------------------------


def test_a_two_zone_reading_is_read_back_confirmed_and_accepted(shipped):
    keys = MENU + keyed(4390) + "1 " + keyed(1950) + "1 h"
    record, said, services = call(shipped, keys)
    assert said.index("identify_by_phone") < said.index("readings_ask_2")
    # each zone is named, then read back in whole kWh after its name, then confirmed
    day = said.index("readings_zone_day")
    assert said[day + 1 : day + 2 + len(kwh(4390))] == ["readings_zone_day", *kwh(4390)]
    night = said.index("readings_zone_night")
    assert said[night + 1 : night + 2 + len(kwh(1950))] == ["readings_zone_night", *kwh(1950)]
    (appeal,) = record.appeals
    assert appeal.kind == "meter_reading" and appeal.topic_code == "D5"
    assert appeal.account_number == TWO.number
    assert appeal.details == {
        "zones": ["day", "night"],
        "values": [4390, 1950],
        "previous": {"values": [4210, 1870], "read_at": BEFORE.isoformat()},
        "check": "checked",
    }
    assert record.readings == [
        MeterReadingRecord(TWO.number, IN_WINDOW, [4390, 1950], "ivr", appeal.appeal_number)
    ]
    # the number is read after "accepted", and then the menu again
    accepted = said.index("readings_accepted")
    number = list(plan_appeal_number(appeal.appeal_number))
    assert said[accepted + 1 : accepted + 2 + len(number)] == ["appeal_number_is", *number]
    assert said[-1] == "menu_meters"
    assert record.outcome.value == "self_served" and record.topic_code == "D5"
    assert events(record)[-1] == "reading_accepted"
    assert services.asked == [LastReading(TWO.number, include_test=True)]  # a test call


def test_a_three_zone_meter_asks_night_peak_and_half_peak_in_order(shipped):
    keys = MENU + keyed(1600) + "1 " + keyed(3100) + "1 " + keyed(2300) + "1 h"
    record, said, _ = call(shipped, keys, caller="0441110003")
    zones = [p for p in said if p.startswith("readings_zone_")]
    assert zones == [
        *["readings_zone_night"] * 2,
        *["readings_zone_peak"] * 2,
        *["readings_zone_half_peak"] * 2,
    ]
    assert record.readings[0].values == [1600, 3100, 2300]
    assert record.appeals[0].details["zones"] == ["night", "peak", "half_peak"]


def test_a_real_call_compares_with_readings_of_real_calls_only(shipped):
    _, _, services = call(shipped, MENU + "h", transport="fastagi")
    assert services.asked == [LastReading(TWO.number, include_test=False)]


def test_an_unknown_caller_keys_the_account_and_a_first_reading_is_accepted(shipped):
    keys = MENU + keyed(int(FRESH.number)) + "1 " + keyed(120) + "1 h"
    record, said, _ = call(shipped, keys, caller="0445550000")
    assert said.index("identify_found") < said.index("readings_ask_1")
    assert said.index("identify_entered", said.index("readings_ask_1")) > 0  # "Ви ввели:"
    assert record.readings[0].values == [120] and record.account_number == FRESH.number
    details = record.appeals[0].details
    assert details["previous"] is None and details["check"] == "no previous reading"


# -- bad input --------------------------------------------------------------------------------


def test_too_many_digits_are_said_and_entered_again(shipped):
    digits = shipped.readings.max_digits + 1  # the decimals keyed too
    keys = MENU + " ".join("3" * digits) + " " + keyed(35400) + "1 h"
    record, said, _ = call(shipped, keys, caller="0441110001")
    assert said.index("readings_too_long") < said.index("readings_again")
    assert "identify_entered" not in said[: said.index("readings_too_long")]  # not read back
    assert record.readings[0].values == [35400]


def test_star_starts_the_zone_again_not_the_reading(shipped):
    keys = MENU + "4 3 * " + keyed(4390) + "1 " + "1 9 * " + keyed(1950) + "1 h"
    record, _, _ = call(shipped, keys)
    assert record.readings[0].values == [4390, 1950]


def test_no_at_the_read_back_enters_the_zone_again(shipped):
    keys = MENU + keyed(4390) + "2 " + keyed(4391) + "1 " + keyed(1950) + "1 h"
    record, said, _ = call(shipped, keys)
    assert said.count("readings_again") == 1
    assert record.readings[0].values == [4391, 1950]


def test_silence_on_every_attempt_goes_to_the_operator(shipped):
    attempts = shipped.readings.attempts
    record, said, _ = call(shipped, MENU + "t " * attempts)
    assert said.count("readings_not_entered") == attempts
    assert record.result.value == "operator" and record.readings == []
    assert record.appeals[0].kind == "operator"
    assert record.appeals[0].details["reason"] == "attempts"


# -- checked against the previous reading ---------------------------------------------------------


def test_a_lower_reading_is_explained_and_handed_to_the_operator(shipped):
    keys = MENU + keyed(1600) + "1 " + keyed(2900) + "1 "
    record, said, _ = call(shipped, keys, caller="0441110003")
    lower = said.index("readings_lower")
    assert said[lower + 1 : lower + 2 + len(kwh(3010))] == [*kwh(3010), "readings_lower_why"]
    assert said.index("readings_lower_why") < said.index("operator_connecting")
    assert record.result.value == "operator" and record.outcome.value == "operator"
    assert record.readings == []  # nothing stored as a reading
    (appeal,) = record.appeals
    assert appeal.kind == "operator" and appeal.topic_code == "D5"
    assert appeal.details["reason"] == "lower"
    assert appeal.details["values"] == [1600, 2900]  # what the operator must look at
    assert appeal.details["previous"]["values"] == [1520, 3010, 2270]
    assert "reading_refused_lower" in events(record)


def test_an_absurd_jump_is_said_and_entered_again(shipped):
    keys = MENU + keyed(95000) + "1 " + keyed(35400) + "1 h"
    record, said, _ = call(shipped, keys, caller="0441110001")
    assert said.index("readings_jump") < said.index("readings_again")
    assert record.readings[0].values == [35400]


def test_a_jump_on_every_attempt_goes_to_the_operator(shipped):
    keys = MENU + (keyed(95000) + "1 ") * shipped.readings.attempts
    record, said, _ = call(shipped, keys, caller="0441110001")
    assert said.count("readings_jump") == shipped.readings.attempts
    assert record.result.value == "operator" and record.readings == []
    assert record.appeals[0].details["reason"] == "jump"
    assert record.appeals[0].details["values"] == [95000]


def test_a_previous_reading_of_another_meter_is_not_compared(shipped):
    services = Services(previous={TWO.number: reading(TWO, 9000)})  # a one-zone meter then
    keys = MENU + keyed(10) + "1 " + keyed(20) + "1 h"
    record, _, _ = call(shipped, keys, services=services)
    assert record.readings[0].values == [10, 20]
    details = record.appeals[0].details
    assert details["check"] == "not checked: the previous reading has 1 zones"
    assert details["previous"]["values"] == [9000]


def test_a_failed_look_up_takes_the_reading_unchecked_and_says_so(shipped):
    keys = MENU + keyed(10) + "1 " + keyed(20) + "1 h"
    record, said, _ = call(shipped, keys, services=Services(fail=True))
    assert record.readings[0].values == [10, 20]
    details = record.appeals[0].details
    assert details["previous"] is None
    assert details["check"].startswith("not checked: look-up failed (OSError: database")
    assert "readings_accepted" in said


@pytest.mark.parametrize(
    "value, since, expected",
    [
        (35000, timedelta(days=30), None),  # the same value
        (34999, timedelta(days=30), Refusal.LOWER),
        (35000 + 150 * 30, timedelta(days=30), None),  # the most a day, every day
        (35000 + 150 * 30 + 1, timedelta(days=30), Refusal.JUMP),
        (35150, timedelta(hours=2), None),  # less than a day counts as a day
        (35151, timedelta(hours=2), Refusal.JUMP),
    ],
)
def test_verdict(value, since, expected):
    previous = Previous((35000,), IN_WINDOW - since)
    settings = Readings(max_kwh_per_day=150)
    assert verdict(value, 0, previous, IN_WINDOW, settings) is expected
    assert verdict(value, 0, None, IN_WINDOW, settings) is None


# -- who may pass readings, and when ----------------------------------------------------------


def test_outside_the_window_the_caller_hears_when_it_opens_and_the_menu(shipped):
    record, said, services = call(shipped, MENU + "h", at=OUTSIDE)
    assert said[said.index("readings_closed") :] == [
        "readings_closed",
        "readings_window_from",
        *plan_date(datetime(2026, 12, 30).date(), with_year=False),
        "readings_window_until",
        *plan_date(datetime(2027, 1, 3).date(), with_year=False),
        "readings_window_end",
        "menu_meters",
    ]
    assert "identify_by_phone" not in said and services.asked == []
    assert record.appeals == [] and record.readings == []
    assert record.outcome.value == "self_served"  # the caller was told what they asked
    assert "reading_outside_window" in events(record)


def test_without_the_dates_audio_the_window_is_not_half_said(shipped):
    services = Services()
    env = asterisk_env("0441110002", "0800000373")
    flow = CallFlow(
        shipped,
        CallContext.from_env(env, "simulator"),
        lambda: OUTSIDE,
        audio=Everything(frozenset({"date/month_1"})),
    )
    asterisk = ScriptedAsterisk(MENU + "h", patient=True)
    drive_sync(flow.run(), asterisk.send, services.runner())
    said = asterisk.prompts
    assert said[said.index("readings_closed") + 1] == "menu_meters"


def test_a_meter_without_zones_on_record_goes_to_the_operator(shipped):
    record, said, services = call(shipped, MENU, caller="0441110004")
    assert said.index("readings_meter_unknown") < said.index("operator_connecting")
    assert "readings_ask_1" not in said and services.asked == []
    assert record.result.value == "operator" and record.readings == []
    assert record.appeals[0].details["reason"] == "the meter's zones are not on record"


def test_a_caller_not_identified_goes_to_the_operator(shipped):
    unknown = keyed(1111111111) + "1 "
    keys = MENU + unknown * shipped.identification.attempts
    record, said, services = call(shipped, keys, caller="0445550000")
    assert said.count("identify_not_found") == shipped.identification.attempts
    assert record.result.value == "operator" and services.asked == []
    assert record.readings == [] and record.account_number is None


# -- nothing half done ----------------------------------------------------------------------------


def test_a_hang_up_mid_reading_stores_nothing_but_what_was_known(shipped):
    keys = MENU + keyed(4390) + "1 1 9 h"  # the night zone half keyed
    record, _, _ = call(shipped, keys)
    assert record.outcome.value == "abandoned"
    assert record.appeals == [] and record.readings == []
    assert record.account_number == TWO.number and record.topic_code == "D5"


def test_without_an_appeal_number_the_reading_is_still_kept(shipped):
    keys = MENU + keyed(4390) + "1 " + keyed(1950) + "1 h"
    record, said, _ = call(shipped, keys, services=Services(numbers=False))
    assert record.appeals == []
    assert record.readings == [MeterReadingRecord(TWO.number, IN_WINDOW, [4390, 1950], "ivr", None)]
    assert "readings_accepted" in said and "appeal_number_is" not in said
    assert "appeal number" in (record.error or "")


def test_the_window_counts_the_company_s_local_days(shipped):
    # 22:30 UTC on 28 November is half past midnight on the 29th in Kyiv: the window is open
    late = datetime(2026, 11, 28, 22, 30, tzinfo=ZoneInfo("UTC"))
    _, said, _ = call(shipped, MENU + "h", at=late)
    assert "readings_ask_2" in said and "readings_closed" not in said
    _, said, _ = call(shipped, MENU + "h", at=late - timedelta(hours=1))  # 23:30 on the 28th
    assert "readings_closed" in said
