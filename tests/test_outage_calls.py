"""Whole calls through the outages menu against the fictional sample data in a real SQLite
database: the simulator plays Asterisk's side of the AGI byte protocol, the look-ups run in
the store (``ivr.store.lookups``), as in production."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import prompts_played

from ivr.cli.sample import seed_sample

KYIV = ZoneInfo("Europe/Kyiv")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=KYIV)
EVENING = datetime(2026, 12, 1, 18, 0, tzinfo=KYIV)


@pytest.fixture
def seeded(repository):
    seed_sample(repository)
    return repository


def call(simulate, keys: str, caller: str, at: datetime):
    transcript = simulate(keys, caller=caller, clock=lambda: at)
    assert transcript.record_saved, transcript.record_problem
    return transcript, prompts_played(transcript)


def after(played: list[str], prompt: str, count: int) -> list[str]:
    start = played.index(prompt) + 1
    return played[start : start + count]


def test_a_caller_known_by_number_hears_the_emergency_and_its_restoration(simulate, seeded):
    transcript, played = call(simulate, "1 2 h", "0500000004", NOON)
    assert played.index("identify_by_phone") < played.index("outage_emergency_here")
    assert after(played, "outage_restore_at", 3) == ["date/today", "time/at_15", "digits/30"]
    assert after(played, "outage_revised", 2) == ["date/today", "time/at_11"]
    stored = seeded.get_call(transcript.record.call_uid)
    assert stored.account_number == "2010000004"
    assert stored.outcome.value == "self_served" and stored.topic_code == "D1"


def test_a_caller_hears_the_group_schedule_across_midnight(simulate, seeded):
    _, played = call(simulate, "1 2 h", "0500000002", NOON)
    assert after(played, "schedule_group", 3) == ["digits/4", "schedule_point", "digits/2"]
    today = after(played, "schedule_today", 9)
    # 14:00-18:00, and 23:30 today to 03:30 tomorrow as one period
    assert today == [
        "time/from_14", "units/hour_2", "time/until_18", "units/hour_2", "schedule_and",
        "time/from_23", "digits/30", "time/until_3", "digits/30",
    ]  # fmt: skip
    tomorrow = after(played, "schedule_tomorrow_provisional", 4)
    assert tomorrow == ["time/from_18", "units/hour_2", "time/until_21", "digits/30"]


def test_several_accounts_on_one_number_are_told_apart_by_the_caller(simulate, seeded):
    transcript, played = call(simulate, "1 2 2 h", "0500000001", NOON)
    assert "identify_several" in played
    assert seeded.get_call(transcript.record.call_uid).account_number == "2010000002"


def test_an_unknown_caller_keys_the_account_and_confirms_it(simulate, seeded):
    keys = "1 2 5 " + " ".join("2010000003") + " # 1 h"
    transcript, played = call(simulate, keys, "0441234567", NOON)
    assert played.index("outage_not_identified") < played.index("identify_ask")
    assert played.index("identify_found") < played.index("schedule_group")
    assert seeded.get_call(transcript.record.call_uid).account_number == "2010000003"


def test_old_data_is_said_to_be_old(simulate, seeded):
    _, played = call(simulate, "1 2 h", "0500000002", EVENING)
    assert after(played, "outage_data_age", 2) == ["date/today", "time/at_11"]
    assert played.index("outage_data_stale") < played.index("schedule_group")


def test_an_unknown_account_keyed_three_times_goes_to_the_operator(simulate, seeded):
    wrong = " ".join("2999999999") + " # 1 "
    transcript, played = call(simulate, "1 2 5 " + wrong * 3, "0441234567", NOON)
    assert played.count("identify_not_found") == 3
    assert transcript.variables["IVR_RESULT"] == "operator"
    assert transcript.record.account_number is None


def test_without_outage_data_the_caller_hears_that_none_is_known(simulate, repository):
    from ivr.accounts.csv_import import read_accounts
    from ivr.cli.sample import SAMPLE_DIR
    from ivr.store.accounts import AccountStore

    AccountStore(repository).upsert(read_accounts(SAMPLE_DIR / "accounts.csv"))
    _, played = call(simulate, "1 2 h", "0500000002", NOON + timedelta(minutes=1))
    assert "outage_none" in played


def test_a_hang_up_while_keying_the_account_leaves_nothing_half_done(simulate, seeded):
    transcript, played = call(simulate, "1 2 5 2 0 1 h", "0441234567", NOON)
    record = seeded.get_call(transcript.record.call_uid)
    assert record is not None  # recorded, with what was known
    assert record.account_number is None and record.appeals == []
    assert record.path[-2:] == [
        {"menu": "outages", "key": "2", "action": "outage_status"},
        {"menu": "outages", "event": "outage_not_identified"},
    ]
    # the area-wide text was heard to its end before the caller chose to key in: served
    assert record.outcome.value == "self_served"
    assert "identify_entered" not in played
