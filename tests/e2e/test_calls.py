"""The shipped dialplan and config under a real Asterisk, for FastAGI and process AGI.

Every scenario is placed at once (both transports) by one module fixture, so the whole batch
lasts as long as its longest call; each test then checks one scenario: the IVR's records in
the database, the dialplan branch taken, the AGI exchange as Asterisk logged it, the
queue_log, the CDR, and the Asterisk log.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import wave
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from e2e.conftest import DEFAULT_HOLD_TIME, HOLD_SECONDS, LONG_QUEUE_CALLER, SLOW_QUEUE_CALLER
from e2e.real_asterisk import Asterisk, CallReport, report
from ivr.accounts.addresses import address_keys
from ivr.accounts.model import Account, Address
from ivr.cli.sample import seed_sample
from ivr.speech import plan_appeal_number, plan_count
from ivr.store.accounts import AccountStore
from ivr.store.records import AppealRecord, CallRecord, Outcome

TRANSPORTS = ("fastagi", "agi")
#: Seconds between two process-AGI calls of the batch (each starts its own interpreter).
PROCESS_AGI_SPACING = 0.3
CALLER = "0441234567"
DNID = "0800000373"
#: The number of the shipped config's profile, the supplier «Демоенергозбут».
SUPPLIER_DNID = "0800000312"
UNKNOWN_DNID = "0800000999"


def seconds(site, prompt: str) -> float:
    with wave.open(str(site.dir / "prompts" / "uk" / f"{prompt}.wav"), "rb") as data:
        return data.getnframes() / data.getframerate()


def ms(value: float) -> str:
    return f"w{round(value * 1000)}"


#: What the "reading" caller keys for the day and the night zone (the sample's previous
#: reading of 2010000003, a month back, is 4210 and 1870).
READING = ("d4390", "d1950")


def scenarios(site) -> dict[str, dict[str, object]]:
    """Caller scripts, timed from the built audio (the AGI starts ~0.5 s after the answer)."""
    return {
        # 1 outages, 2 the current-outage announcement, heard to its end, then hang up.
        "info": {"steps": f"w2000 d1 w3000 d2 {ms(seconds(site, 'outage_current') + 3)} h"},
        "operator": {"steps": "w2000 d0", "talk": 3},
        # outages (1), danger to life (1): D10 has a queue of its own (operator.queues).
        "danger": {"steps": "w2000 d1 w3000 d1", "talk": 2},
        "hangup_prompt": {"steps": "w3000 h"},
        # quality menu (2): its greeting, then hang up while the IVR waits for a key.
        "hangup_wait": {"steps": f"w2000 d2 {ms(seconds(site, 'menu_quality') + 2.5)} h"},
        # operator: hang up while the appeal number is read back.
        "hangup_readback": {"steps": f"w2000 d0 {ms(seconds(site, 'appeal_number_is') + 0.9)} h"},
        # 7, a bill: the supplier's business. Known by caller ID (sample data: «Тестпостач»
        # in examples/directory.yaml); 1 while its name is being said: transfer there.
        "redirect": {"steps": redirect_steps(site), "talk": 2, "caller": BILL_CALLER},
        # the same, but the supplier's number does not answer: a person takes the call.
        "redirect_fails": {"steps": redirect_steps(site), "company": "busy", "caller": BILL_CALLER},
        # connection menu (4), then only wrong keys: the operator after max_failures.
        "invalid": {"steps": "w2000 d4 k9/1000/70"},  # a wrong key every second
        # connection menu (4), then silence: the operator after max_failures.
        "silence": {"steps": "w2000 d4"},
        # an operator conversation far longer than the IVR's own call limit.
        "long_talk": {"steps": "w2000 d0", "talk": 25, "max_call": "20"},
        # outages (1), my address (2): known by caller ID (sample data), its emergency outage.
        "outage_by_phone": {"steps": "w2000 d1 w3000 d2 w22000 h", "caller": "0500000004"},
        # the same for an unknown caller: the area-wide text, then 5 and the account number,
        # confirmed with 1, then their group's schedule.
        "outage_keypad": {
            "steps": f"w2000 d1 w3000 d2 {ms(seconds(site, 'outage_current') + 1.5)} d5 "
            "w1500 d2010000003# w2500 d1 w25000 h",
        },
        # outages (1), no power at home (4): known by caller ID, nothing known at the house:
        # 1 confirms the account's address, 1 answers "no power in the whole house"; the IVR
        # reads the new appeal's number and hangs up.
        "report_new": {"steps": report_steps(site), "caller": REPORTER.phones[0]},
        # the same from a house that reported ten minutes ago: joined to that report.
        "report_linked": {"steps": report_steps(site), "caller": NEIGHBOUR.phones[0]},
        # 0, the operator: the queue looks long to this caller; 1: call me back.
        "callback": {"steps": "w2000 d0 w2500 d1 w25000 h", "caller": LONG_QUEUE_CALLER},
        # 0, the operator: the queue's hold time is HOLD_SECONDS to this caller.
        "expected_wait": {"steps": "w2000 d0", "talk": 2, "caller": SLOW_QUEUE_CALLER},
        # meters (3), readings on the keypad (5): known by caller ID, a two-zone meter (sample
        # data); each zone keyed, read back in kWh and confirmed with 1; the appeal number.
        "reading": {"steps": reading_steps(site), "caller": "0500000002"},
        # the same for 2010000004's three-zone meter: its night value lower than the last
        # one (1520): explained, and an operator takes it (the sample's agent answers).
        "reading_lower": {"steps": lower_reading_steps(site), "caller": "0500000004"},
        # the supplier's number (the shipped config's profile): its own menus; 1 billing, 1
        # how to read a bill, then hang up while it plays.
        "supplier": {"steps": "w2000 d1 w2500 d1 w3000 h", "dnid": SUPPLIER_DNID},
        # a number no company lists: the main config's company answers (and the log says so).
        "unknown_number": {"steps": "w2000 d1 w2500 h", "dnid": UNKNOWN_DNID},
    }


#: A sample account (examples/sample/accounts.csv) alone on its number, supplied by «Тестпостач».
BILL_CALLER = "0440000005"
#: «Тестпостач»'s number in examples/directory.yaml
BILL_SUPPLIER = "0800000315"


def redirect_steps(site) -> str:
    """7 well inside the greeting (a process AGI may take seconds to start under load), then
    1 once the caller was recognised and the supplier is being named."""
    return f"w4000 d7 {ms(seconds(site, 'identify_by_phone') + 1.5)} d1"


def report_steps(site) -> str:
    """1, 4, then 1 as soon as the address is being named, 1 during the question."""
    return f"w2000 d1 w3000 d4 {ms(seconds(site, 'identify_by_phone') + 1.5)} d1 w1500 d1 w30000 h"


#: Accounts of the report calls, on no ГПВ group (a schedule never explains their blackout).
REPORTER = Account(
    "1010000091", None, ("+380440000091",), Address("Калинове", "вул. Тестова", "3"), ()
)
NEIGHBOUR = Account(
    "1010000092", None, ("+380440000092",), Address("Калинове", "вул. Тестова", "5-Б"), ()
)
#: Server 99's number: the site's own server (1) never allocates it.
EARLIER_REPORT = "26120199000015"


def seed_earlier_report(repository, now: datetime) -> None:
    """An open outage report from NEIGHBOUR's house ten minutes ago (a test call's)."""
    registered = now - timedelta(minutes=10)
    house, street = address_keys(NEIGHBOUR.address)
    record = CallRecord(
        company="demooblenergo",
        call_uid="e2e-earlier-report",
        started_at=registered - timedelta(minutes=1),
        ended_at=registered,
        caller_raw="0440000093",
        caller_number="+380440000093",
        caller_name="",
        dialled_number=DNID,
        unique_id="e2e.earlier",
        channel="PJSIP/e2e",
        transport="fastagi",
        role="dso",
        outcome=Outcome.SELF_SERVED,
        test=True,
    )
    record.appeals = [
        AppealRecord(
            appeal_number=EARLIER_REPORT,
            call_uid=record.call_uid,
            kind="outage_report",
            channel="phone",
            role="dso",
            topic_code="D1",
            topic_label=None,
            caller_number=record.caller_number,
            caller_raw=record.caller_raw,
            registered_at=registered,
            due_at=registered + timedelta(days=30),
            address_key=house,
            street_key=street,
        )
    ]
    repository.save_call(record)


def lower_reading_steps(site) -> str:
    """Key 1400 for the night zone once its prompt plays, confirm it after the read-back."""
    read_back = sum(seconds(site, i) for i in ("readings_zone_night", *plan_count(1400, "kwh")))
    return (
        f"w2000 d3 w3000 d5 {ms(seconds(site, 'identify_by_phone') + 1.0)} d1400# "
        f"{ms(read_back + 1.0)} d1"
    )


def reading_steps(site) -> str:
    """Key both zones of 2010000003 after their prompts, confirm each after its read-back,
    hang up once the appeal number has been read."""

    def said(*ids: str) -> float:
        return sum(seconds(site, i) for i in ids)

    def read_back(zone: str, value: int) -> float:
        return said(f"readings_zone_{zone}", *plan_count(value, "kwh")) + 1.0

    number = 14 * max(seconds(site, f"digits/{d}") for d in range(10)) + 4 * 0.3
    tail = said("readings_accepted", "appeal_number_is") + number + 2.0
    return (
        f"w2000 d3 w3000 d5 {ms(said('identify_by_phone') + 1.0)} {READING[0]}# "
        f"{ms(read_back('day', 4390))} d1 w1000 {READING[1]}# "
        f"{ms(read_back('night', 1950))} d1 {ms(tail)} h"
    )


@dataclass
class Placed:
    report: CallReport
    record: CallRecord | None


@pytest.fixture(scope="module")
def batch(asterisk: Asterisk, main_site, main_server) -> dict[tuple[str, str], Placed]:
    repository = main_site.repository()
    try:
        # the fictional accounts and outages the outage calls use, moved to this moment
        seed_sample(repository, now=datetime.now(UTC))
        AccountStore(repository).upsert([REPORTER, NEIGHBOUR])
        seed_earlier_report(repository, datetime.now(UTC))
    finally:
        repository.dispose()
    placed = {}
    for name, script in scenarios(main_site).items():
        for transport in TRANSPORTS:
            agi = main_site.process_agi if transport == "agi" else ""
            if agi:
                # a Python process per call: dozens started in the same instant would share
                # two cores for seconds and miss the scripts' first keys
                time.sleep(PROCESS_AGI_SPACING)
            placed[name, transport] = asterisk.place(
                str(script["steps"]),
                caller=str(script.get("caller", CALLER)),
                dnid=str(script.get("dnid", DNID)),
                agi=agi,
                talk=float(script.get("talk", 2)),
                max_call=str(script.get("max_call", "")),
                company=str(script.get("company", "answer")),
            )
    asterisk.wait_gone(placed.values(), timeout=240)
    main_site.flush()  # process AGI journals its records; move them into the database
    repository = main_site.repository()
    try:
        outcomes = {}
        for key, call in placed.items():
            rep = report(asterisk, call)
            outcomes[key] = Placed(rep, repository.find_by_unique_id(rep.unique_id))
    finally:
        repository.dispose()
    return outcomes


def outcome(batch, name: str, transport: str) -> Placed:
    result = batch[name, transport]
    assert result.record is not None, "no call record:\n" + "\n".join(result.report.lines[-40:])
    return result


def ended_within_a_second_of_hangup(rep: CallReport) -> float:
    hangup = rep.time_of(f"E2E caller {rep.call.id} hangs up")
    finished = rep.time_of("AGI Script")  # "AGI Script ... completed, returning N"
    return finished - hangup


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_information_option_heard_to_its_end(batch, transport, main_site):
    result = outcome(batch, "info", transport)
    rep, record = result.report, result.record
    played = [(cmd, reply) for cmd, reply in rep.exchanges() if "outage_current" in cmd]
    assert len(played) == 1, rep.exchanges()
    frames = round(seconds(main_site, "outage_current") * 8000)
    match = re.match(r"200 result=0 endpos=(\d+)", played[0][1])
    assert match, played  # not interrupted, not failed
    assert abs(int(match.group(1)) - frames) < 400  # the whole file, to its last 50 ms
    assert not [line for line in rep.lines if "does not exist" in line]
    assert all("(language 'uk')" in line for line in rep.lines if "Playing '" in line)
    assert all("/prompts/uk/" in line for line in rep.lines if "Playing '" in line)
    assert record.outcome.value == "self_served"
    assert record.topic_code == "D1"
    assert record.caller_number == "+380441234567" and record.dialled_number == DNID
    assert record.transport == transport
    assert record.test  # the test trunk's account code: left out of reports
    assert rep.branches == []  # hung up in the IVR: no dialplan branch after it
    assert rep.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_operator_gets_topic_and_appeal_number(batch, transport):
    result = outcome(batch, "operator", transport)
    rep, record = result.report, result.record
    assert record.outcome.value == "operator" and record.result.value == "operator"
    assert len(record.appeals) == 1
    appeal = record.appeals[0].appeal_number
    assert rep.branches == ["operator"]
    assert rep.agent() == {"topic": record.topic_code, "appeal": appeal}
    events = [row[4] for row in rep.queue_events]
    assert events[:2] == ["ENTERQUEUE", "CONNECT"] and events[-1] in (
        "COMPLETEAGENT",
        "COMPLETECALLER",
    )
    assert {row[2] for row in rep.queue_events} == {"dso-callcentre"}
    assert rep.ivr_cdr["userfield"] == f"{record.topic_code};{appeal}"
    # one hand-back command; the dialplan split it (the queue, the agent's topic and appeal)
    handed = [cmd for cmd, _ in rep.exchanges() if cmd.startswith("SET VARIABLE")]
    fields = f"operator|{record.transfer_to}|{record.topic_code}|{record.call_uid}|{appeal}"
    assert handed == [f'SET VARIABLE "IVR" "{fields}"'], handed
    assert rep.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("name", ["hangup_prompt", "hangup_wait", "hangup_readback"])
def test_hangup_ends_the_agi_at_once_and_is_recorded_abandoned(batch, name, transport):
    result = outcome(batch, name, transport)
    rep, record = result.report, result.record
    assert ended_within_a_second_of_hangup(rep) < 1.0
    assert record.outcome.value == "abandoned"
    assert rep.branches == [] and rep.queue_events == []
    flow = [cmd for cmd, _ in rep.exchanges() if not cmd.startswith("SET VARIABLE")]
    if transport == "fastagi":  # the HANGUP line after the -1 told the IVR: nothing asked
        assert not [cmd for cmd in flow if cmd.startswith("CHANNEL STATUS")], flow
    handed = [cmd for cmd, _ in rep.exchanges() if cmd.startswith("SET VARIABLE")]
    assert len(handed) == 1 and handed[0].startswith('SET VARIABLE "IVR" "hangup|'), handed
    if name == "hangup_wait":
        assert flow[-1].startswith("WAIT FOR DIGIT"), flow
    if name == "hangup_readback":
        last_prompt = [cmd for cmd in flow if cmd.startswith("STREAM FILE")][-1]
        assert "/digits/" in last_prompt or "/pause/" in last_prompt, flow
    assert rep.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_misrouted_caller_is_dialled_through_to_the_other_company(batch, transport):
    result = outcome(batch, "redirect", transport)
    rep, record = result.report, result.record
    assert record.outcome.value == "redirected" and record.result.value == "redirect"
    assert record.transfer_to == BILL_SUPPLIER and record.redirect_company == "testpostach"
    assert record.topic_code == "D11" and record.account_number == "1010000005"
    assert rep.branches == ["redirect"]
    assert rep.company_answered() == BILL_SUPPLIER
    assert rep.queue_events == []
    assert rep.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_failed_redirect_reaches_a_person(batch, transport):
    result = outcome(batch, "redirect_fails", transport)
    rep = result.report
    assert rep.branches == ["redirect", "fallback"]
    assert rep.agent() is not None
    assert rep.company_answered() is None


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("name", ["invalid", "silence"])
def test_wrong_keys_and_silence_end_at_the_operator(batch, name, transport):
    result = outcome(batch, name, transport)
    rep, record = result.report, result.record
    events = [step.get("event") for step in record.path]
    assert "max_failures" in events
    assert ("invalid" if name == "invalid" else "timeout") in events
    assert record.result.value == "operator"
    assert rep.branches == ["operator"]
    assert rep.agent() is not None
    assert rep.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_operator_conversation_longer_than_the_ivr_limit_is_not_cut(batch, transport):
    result = outcome(batch, "long_talk", transport)
    rep = result.report
    assert rep.branches == ["operator"], "\n".join(rep.lines[-60:])
    complete = [row for row in rep.queue_events if row[4].startswith("COMPLETE")]
    assert complete and complete[0][4] == "COMPLETEAGENT"  # the operator ended it
    assert int(complete[0][6]) >= 24  # talk time: the whole conversation
    assert not [line for line in rep.lines if "absolute timeout" in line.lower()]


def test_no_channel_left_after_the_batch(batch, asterisk: Asterisk):
    left = [name for name in asterisk.channels() if name.startswith("Local/")]
    calls = {o.report.call.id for o in batch.values()}
    assert not [name for name in left if any(f"Local/{cid}@" in name for cid in calls)]


def established(port: int) -> int:
    """TCP connections on this local port (from /proc/net/tcp, no tools needed)."""
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                count += 1
    return count


def test_no_socket_left_after_the_batch(batch, main_server):
    assert established(main_server.address[1]) == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_caller_known_by_number_hears_the_outage_at_their_address(batch, transport):
    result = outcome(batch, "outage_by_phone", transport)
    said = result.report.streamed()
    assert said.index("identify_by_phone") < said.index("outage_emergency_here")
    start = said.index("outage_restore_at")  # the sample's 15:30, 3.5 hours from now
    assert said[start + 1] in ("date/today", "date/tomorrow")
    assert said[start + 2].startswith("time/at_")
    assert result.record.account_number == "2010000004"
    assert result.record.outcome.value == "self_served"
    assert result.report.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_unknown_caller_keys_the_account_and_hears_their_schedule(batch, transport):
    result = outcome(batch, "outage_keypad", transport)
    said = result.report.streamed()
    assert said.index("outage_not_identified") < said.index("identify_ask")
    assert said.index("identify_found") < said.index("schedule_group")
    assert said[said.index("schedule_group") + 1 : said.index("schedule_group") + 4] == [
        "digits/4",
        "schedule_point",
        "digits/2",
    ]
    # tomorrow's provisional 18:00-21:30 is always ahead, whatever the time of the run
    start = said.index("schedule_tomorrow_provisional")
    assert said[start + 1 : start + 5] == [
        "time/from_18",
        "units/hour_2",
        "time/until_21",
        "digits/30",
    ]
    assert result.record.account_number == "2010000003"
    assert result.report.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_caller_with_no_power_reports_it_and_hears_the_appeal_number(batch, transport):
    result = outcome(batch, "report_new", transport)
    record, said = result.record, result.report.streamed()
    (appeal,) = record.appeals
    assert appeal.kind == "outage_report" and appeal.topic_code == "D1"
    assert appeal.account_number == REPORTER.number
    assert appeal.address == "Калинове, вул. Тестова, 3"
    assert appeal.details == {"answer": "no_power"}
    assert said.index("report_address") < said.index("report_question")
    start = said.index("report_appeal_number") + 1
    assert said[start : said.index("goodbye")] == list(plan_appeal_number(appeal.appeal_number))
    assert record.result is not None and record.result.value == "hangup"
    assert record.outcome.value == "self_served" and record.links == []
    assert result.report.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_second_report_from_the_house_joins_the_first(batch, transport):
    result = outcome(batch, "report_linked", transport)
    record, said = result.record, result.report.streamed()
    assert record.appeals == []
    assert [link.appeal_number for link in record.links] == [EARLIER_REPORT]
    assert said.index("report_already") < said.index("report_appeal_number")
    start = said.index("report_appeal_number") + 1
    assert said[start : said.index("goodbye")] == list(plan_appeal_number(EARLIER_REPORT))
    assert result.report.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_long_queue_offers_a_callback_and_registers_it(batch, transport):
    result = outcome(batch, "callback", transport)
    record, said = result.record, result.report.streamed()
    (appeal,) = record.appeals
    assert appeal.kind == "callback"
    assert appeal.details == {"number": "+380440000095", "waiting": 99, "keyed": False}
    assert said.index("callback_offer") < said.index("callback_registered")
    start = said.index("callback_appeal_number") + 1
    assert said[start : said.index("goodbye")] == list(plan_appeal_number(appeal.appeal_number))
    assert record.outcome.value == "callback" and result.report.branches == ["hangup"]
    assert result.report.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_short_queue_asks_asterisk_and_connects(batch, transport):
    """Every operator call asks Asterisk, in one command, for the queue's length and its
    average hold time (QUEUE_VARIABLES' QUEUEHOLDTIME, set before it is read): 0 and 0 here,
    so no callback is offered and no wait is said."""
    result = outcome(batch, "operator", transport)
    asked = [(cmd, reply) for cmd, reply in result.report.exchanges() if "GET FULL" in cmd]
    assert len(asked) == 1, result.report.exchanges()
    assert DEFAULT_HOLD_TIME in asked[0][0] and "QUEUE_WAITING_COUNT" in asked[0][0]
    assert asked[0][1] == "200 result=1 (0,0)"
    said = result.report.streamed()
    assert "callback_offer" not in said and "expected_wait" not in said


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_expected_wait_is_said_before_the_queue(batch, transport):
    result = outcome(batch, "expected_wait", transport)
    record, rep = result.record, result.report
    asked = [reply for cmd, reply in rep.exchanges() if "GET FULL VARIABLE" in cmd]
    assert asked == [f"200 result=1 (0,{HOLD_SECONDS})"], rep.exchanges()
    said = rep.streamed()
    start = said.index("operator_connecting") + 1
    # 200 s, rounded up: "Орієнтовний час очікування — чотири хвилини"
    assert said[start:] == ["expected_wait", "digits/4", "units/minute_2"]
    assert [s["minutes"] for s in record.path if s.get("event") == "expected_wait"] == ["4"]
    assert record.outcome.value == "operator" and rep.branches == ["operator"]
    assert rep.agent() is not None
    assert [row[4] for row in rep.queue_events][:2] == ["ENTERQUEUE", "CONNECT"]
    assert rep.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_two_zone_reading_is_accepted_with_its_appeal_number_and_stored(batch, transport):
    result = outcome(batch, "reading", transport)
    rep, record = result.report, result.record
    said = rep.streamed()
    assert said.index("identify_by_phone") < said.index("readings_ask_2")
    assert said.index("readings_zone_day") < said.index("readings_zone_night")
    (appeal,) = record.appeals
    assert appeal.kind == "meter_reading" and appeal.topic_code == "D5"
    assert appeal.account_number == "2010000003"
    assert appeal.details["values"] == [4390, 1950]
    assert appeal.details["previous"]["values"] == [4210, 1870]
    assert appeal.details["check"] == "checked"
    # the reading as the database holds it (table meter_readings, with the call)
    (stored,) = record.readings
    assert (stored.account_number, stored.values) == ("2010000003", [4390, 1950])
    assert stored.source == "ivr" and stored.appeal_number == appeal.appeal_number
    # the caller heard the appeal number in full
    start = said.index("appeal_number_is") + 1
    number = list(plan_appeal_number(appeal.appeal_number))
    assert said[start : start + len(number)] == number
    assert record.outcome.value == "self_served" and record.account_number == "2010000003"
    assert rep.branches == [] and rep.queue_events == []
    assert rep.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_reading_lower_than_the_last_is_handed_to_the_operator(batch, transport):
    result = outcome(batch, "reading_lower", transport)
    record, said = result.record, result.report.streamed()
    assert "readings_lower" in said[said.index("readings_zone_night") :]
    assert record.readings == []  # not taken: a person checks it
    (appeal,) = record.appeals
    assert appeal.kind == "operator" and appeal.topic_code == "D5"
    assert appeal.details["values"] == [1400] and appeal.details["reason"] == "lower"
    assert record.outcome.value == "operator" and result.report.branches == ["operator"]
    assert result.report.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_topic_with_its_own_queue_is_answered_there(batch, transport):
    result = outcome(batch, "danger", transport)
    record, rep = result.record, result.report
    assert record.topic_code == "D10" and record.transfer_to == "dso-emergency"
    assert rep.branches == ["operator"]
    assert {row[2] for row in rep.queue_events} == {"dso-emergency"}
    assert [row[4] for row in rep.queue_events][:2] == ["ENTERQUEUE", "CONNECT"]
    assert rep.problems() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_each_dialled_number_reaches_its_own_company(batch, transport):
    supplier = outcome(batch, "supplier", transport)
    streamed = supplier.report.streamed()
    assert streamed[:3] == ["welcome_supplier", "menu_billing", "bill_info"]
    assert supplier.record.company == "demoenergozbut" and supplier.record.role == "supplier"
    assert supplier.record.topic_code == "S3" and supplier.record.dialled_number == SUPPLIER_DNID
    dso = outcome(batch, "info", transport).record
    assert dso.company == "demooblenergo" and dso.role == "dso"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_number_no_company_lists_is_answered_by_the_main_company(
    batch, transport, main_site, main_server
):
    result = outcome(batch, "unknown_number", transport)
    assert result.report.streamed()[:2] == ["welcome_dso", "menu_outages"]
    assert result.record.company == "demooblenergo"
    assert result.record.dialled_number == UNKNOWN_DNID
    agi_log = main_site.dir / "ivr-agi.log"
    log = main_server.text() if transport == "fastagi" else agi_log.read_text(encoding="utf-8")
    assert f"a call to {UNKNOWN_DNID}, a number no company of config.yaml lists" in log


def test_the_report_is_split_by_company(batch, main_site):
    # From yesterday: the batch may have started before midnight in Kyiv; the site's database
    # holds only this run's calls, so the count below stays exact.
    today = datetime.now(ZoneInfo("Europe/Kyiv")).date()
    since = (today - timedelta(days=1)).isoformat()
    result = subprocess.run(
        [sys.executable, "-m", "ivr", "report", "--config", str(main_site.config)]
        + ["--from", since, "--to", today.isoformat(), "--format", "json", "--include-test"],
        capture_output=True,
        text=True,
        cwd=main_site.dir,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    dso, supplier = json.loads(result.stdout)
    assert (dso["company_id"], supplier["company_id"]) == ("demooblenergo", "demoenergozbut")
    supplier_topics = {t["code"]: t["calls"] for t in supplier["topics"]}
    assert supplier["calls"] == 2 and supplier_topics["S3"] == 2  # one per transport
    assert "S3" not in {t["code"] for t in dso["topics"]}
    repository = main_site.repository()
    try:  # every call of the run is one company's or the other's
        assert dso["calls"] + supplier["calls"] == repository.count_calls()
    finally:
        repository.dispose()
