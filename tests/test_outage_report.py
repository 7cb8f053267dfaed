"""Outage reports by keypad (action ``outage_report``): the engine with a scripted Asterisk,
the look-ups answered in memory, appeal numbers from a real allocator; and the linking
query on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from appeal_support import appeal
from conftest import SHIPPED_CONFIG
from scripted import Everything, ScriptedAsterisk
from test_config import errors, line_of, make_config
from test_identify import ALONE, NOON, Registry, emergency_report
from test_storage import make_record

from ivr.config import load_config
from ivr.config.model import Config
from ivr.flow.call import CallContext
from ivr.flow.drive import drive_sync
from ivr.flow.effects import AllocateAppealNumber, FindOpenReport, LookUpOutages
from ivr.flow.engine import CallFlow
from ivr.outages.model import DayStatus, OffInterval, ScheduleDay
from ivr.outages.report import OutageReport
from ivr.simulator import asterisk_env
from ivr.speech import plan_appeal_number, plan_digits
from ivr.store.appeals import AppealNumberAllocator, is_valid_appeal_number
from ivr.store.reports import first_open_report
from ivr.store.repository import CallRepository

NOTHING = OutageReport((), (), NOON)
FIRST_REPORT = "26120101000012"
REPORT = "1 4"  # the outages menu, "no power at home"


@pytest.fixture(scope="module")
def shipped() -> Config:
    return load_config(SHIPPED_CONFIG)


def report_call(
    config: Config,
    keys: str,
    tmp_path,
    caller: str = "0441110001",
    outages: Any = NOTHING,
    open_report: Any = None,
    registry: Registry | None = None,
):
    """One call through the shipped menus; returns the record, the Asterisk and the effects
    the call asked for."""
    asked: list[Any] = []
    allocator = AppealNumberAllocator(tmp_path, 1, config.company.tz)

    def answer(value: Any):
        def handler(effect: Any) -> Any:
            asked.append(effect)
            if isinstance(value, Exception):
                raise value
            return value

        return handler

    effects = (registry or Registry()).runner()
    effects.handlers[LookUpOutages] = answer(outages)
    effects.handlers[FindOpenReport] = answer(open_report)
    effects.handlers[AllocateAppealNumber] = lambda e: allocator.next(e.moment)
    call = CallContext.from_env(asterisk_env(caller, "0800300373"), "simulator")
    flow = CallFlow(config, call, lambda: NOON, audio=Everything())
    asterisk = ScriptedAsterisk(keys, patient=True)
    record = drive_sync(flow.run(), asterisk.send, effects)
    return record, asterisk, asked


def test_a_report_from_a_known_caller_gets_a_new_appeal_read_back(shipped, tmp_path):
    record, asterisk, asked = report_call(shipped, f"{REPORT} 1 1", tmp_path)
    (appeal,) = record.appeals
    assert appeal.kind == "outage_report" and appeal.topic_code == "D1"
    assert is_valid_appeal_number(appeal.appeal_number)
    assert appeal.account_number == ALONE.number
    assert appeal.address == "Демосело, вул. Вигадана, 12-А"
    assert appeal.address_key == "демосело|вигадана|12А"
    assert appeal.details == {"answer": "no_power"}
    said = asterisk.prompts
    # the account the address is taken from, by its last digits, then the question
    start = said.index("report_address")
    assert said[start + 1 : said.index("report_address_confirm")] == list(plan_digits("0001"))
    assert said.index("report_address_confirm") < said.index("report_question")
    number_at = said.index("report_appeal_number")
    assert said[number_at + 1 : said.index("goodbye")] == list(
        plan_appeal_number(appeal.appeal_number)
    )
    assert asterisk.variables["IVR_RESULT"] == "hangup"
    assert asterisk.variables["IVR_APPEAL_ID"] == appeal.appeal_number
    assert record.outcome.value == "self_served" and record.links == []
    (looked,) = [e for e in asked if isinstance(e, FindOpenReport)]
    assert looked.address_key == appeal.address_key
    assert looked.since == NOON - timedelta(minutes=shipped.outages.report_window_minutes)


def test_a_repeated_report_from_the_house_joins_the_first(shipped, tmp_path):
    record, asterisk, _ = report_call(shipped, f"{REPORT} 1 2", tmp_path, open_report=FIRST_REPORT)
    assert record.appeals == []  # not duplicated
    (link,) = record.links
    assert link.appeal_number == FIRST_REPORT and link.details == {"answer": "low_voltage"}
    assert link.call_uid == record.call_uid and link.caller_number == "+380441110001"
    said = asterisk.prompts
    assert said.index("report_already") < said.index("report_appeal_number")
    assert "report_registered" not in said
    assert asterisk.variables["IVR_APPEAL_ID"] == FIRST_REPORT


def test_a_known_outage_is_said_and_no_report_is_asked_for(shipped, tmp_path):
    record, asterisk, asked = report_call(
        shipped, f"{REPORT} h", tmp_path, outages=emergency_report()
    )
    said = asterisk.prompts
    assert said.index("report_known_outage") < said.index("outage_emergency_here")
    assert "report_address" not in said and record.appeals == [] and record.links == []
    assert not any(isinstance(e, FindOpenReport) for e in asked)


def test_the_group_off_by_schedule_now_is_said_instead_of_a_report(shipped, tmp_path):
    tz = shipped.company.tz
    today = NOON.astimezone(tz).date()
    local = NOON.astimezone(tz)
    minute = local.hour * 60 + local.minute
    day = ScheduleDay(
        "3.1", today, DayStatus.IN_FORCE, (OffInterval(minute - 60, minute + 60),), "y", NOON
    )
    record, asterisk, _ = report_call(
        shipped, f"{REPORT} h", tmp_path, outages=OutageReport((), (day,), NOON)
    )
    assert "report_known_outage" in asterisk.prompts and "schedule_now" in asterisk.prompts
    assert record.appeals == []


def test_danger_goes_straight_to_the_operator(shipped, tmp_path):
    record, asterisk, _ = report_call(shipped, f"{REPORT} 1 3", tmp_path)
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert record.topic_code == "D10"
    assert [a.kind for a in record.appeals] == ["operator"]
    assert record.appeals[0].topic_code == "D10"


def test_another_address_is_taken_by_the_operator(shipped, tmp_path):
    record, asterisk, _ = report_call(shipped, f"{REPORT} 2", tmp_path)
    assert "report_other_address" in asterisk.prompts
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert [a.kind for a in record.appeals] == ["operator"]


def test_no_address_known_and_identification_refused_goes_to_the_operator(shipped, tmp_path):
    # not on record by number; the caller keys nothing at every attempt
    keys = f"{REPORT} " + "t t " * shipped.identification.attempts * 3
    record, asterisk, _ = report_call(shipped, keys, tmp_path, caller="0445550000")
    said = asterisk.prompts
    assert said.index("report_needs_account") < said.index("identify_ask")
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert record.account_number is None
    assert not any(a.kind == "outage_report" for a in record.appeals)


def test_a_failed_outage_look_up_still_takes_the_report(shipped, tmp_path):
    record, _, _ = report_call(
        shipped, f"{REPORT} 1 1", tmp_path, outages=OSError("database unavailable")
    )
    assert [a.kind for a in record.appeals] == ["outage_report"]
    assert "outage look-up" in (record.error or "")


def test_a_failed_link_look_up_makes_a_new_appeal(shipped, tmp_path):
    record, _, _ = report_call(
        shipped, f"{REPORT} 1 1", tmp_path, open_report=OSError("database unavailable")
    )
    assert [a.kind for a in record.appeals] == ["outage_report"] and record.links == []


def test_a_silent_question_registers_the_report_without_an_answer(shipped, tmp_path):
    record, asterisk, _ = report_call(shipped, f"{REPORT} 1 t t", tmp_path)
    assert asterisk.prompts.count("report_question") == 2
    (appeal,) = record.appeals
    assert appeal.details == {}


def test_a_hang_up_during_the_question_saves_no_report(shipped, tmp_path):
    record, _, _ = report_call(shipped, f"{REPORT} 1 h", tmp_path)
    assert record.appeals == [] and record.links == []
    assert record.outcome.value == "abandoned"
    assert record.account_number == ALONE.number  # what was known is kept


# -- the linking query, on SQLite and PostgreSQL ---------------------------------------------


def test_the_first_open_report_of_the_house_in_the_window(db_url):
    repository = CallRepository(db_url)
    repository.ensure_schema()
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def stored(uid: str, number: str, minutes: int, key: str, **changes: Any) -> None:
        record = make_record(uid * 32, test=changes.pop("test", False))
        kind = changes.pop("kind", "outage_report")
        registered = at + timedelta(minutes=minutes)
        record.appeals = [appeal(record, number, kind, registered, address_key=key, **changes)]
        assert repository.save_call(record)

    house = "демосело|вигадана|12А"
    stored("a", "26120101000012", 0, house)
    stored("b", "26120101000020", 10, house)
    stored("c", "26120101000038", -5, "демосело|вигадана|14")
    stored("d", "26120101000046", -3, house, status="closed")
    stored("e", "26120101000053", -2, house, kind="operator")
    stored("f", "26120101000061", -1, house, test=True)
    engine = repository.engine
    assert first_open_report(engine, house, at - timedelta(minutes=30), False) == "26120101000012"
    assert first_open_report(engine, house, at + timedelta(minutes=5), False) == "26120101000020"
    assert first_open_report(engine, house, at + timedelta(minutes=11), False) is None
    assert first_open_report(engine, house, at - timedelta(minutes=30), True) == "26120101000061"
    assert first_open_report(engine, "інше|село|1", at - timedelta(days=1), False) is None
    repository.dispose()


# -- the option in config.yaml -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "needle", "message"),
    [
        (
            ('            "2": low_voltage\n', '            "22": low_voltage\n'),
            '"22": low_voltage',
            "menus.outages.options.4.question.answers.22: an answer's key is one digit",
        ),
        (
            ("{code: danger, operator: D10}", "{code: danger, operator: S3}"),
            "operator: S3",
            "menus.outages.options.4.question.answers.3.operator: topic 'S3' is from the "
            "supplier catalogue",
        ),
        (
            ("{code: danger, operator: D10}", "{code: danger, to: D10}"),
            "to: D10",
            "menus.outages.options.4.question.answers.3.to: unknown key 'to'",
        ),
        (
            ("          prompt: report_question\n", "          prompt: report_questoin\n"),
            "prompt: report_questoin",
            "menus.outages.options.4.question.prompt: unknown prompt 'report_questoin'",
        ),
    ],
)
def test_a_bad_question_is_reported_with_its_line(tmp_path, edit, needle, message):
    path = make_config(tmp_path, edit)
    found = errors(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:{line_of(path, needle)}: {message}"), (
        found
    )


def test_the_status_with_nothing_known_offers_the_report_key(shipped, tmp_path):
    record, asterisk, _ = report_call(shipped, "1 2 4 1 1", tmp_path)
    said = asterisk.prompts
    offer = said.index("outage_offer_report")
    assert said.index("outage_none") < offer and said[offer + 1] == "digits/4"
    assert [a.kind for a in record.appeals] == ["outage_report"]


def test_the_status_with_a_known_outage_offers_no_report(shipped, tmp_path):
    _, asterisk, _ = report_call(shipped, "1 2 h", tmp_path, outages=emergency_report())
    assert "outage_offer_report" not in asterisk.prompts


# -- the database down when the report is made -------------------------------------------------


def test_a_report_made_while_the_call_log_is_down_reaches_it_from_the_journal(
    config_copy, tmp_path
):
    """The registry answers (its SQLite file), the call log does not: the caller still
    hears a valid appeal number (it comes from the allocator's file), the record with its
    appeal waits in the journal, and the replay stores it whole."""
    import dataclasses

    from ivr.cli.sample import seed_sample
    from ivr.simulator import KeyScript, parse_keys, simulate_builtin
    from ivr.store.journal import Journal
    from ivr.store.recorder import JOURNAL, CallRecorder

    config = load_config(config_copy)  # its own database, not the working directory's
    config = dataclasses.replace(config, database_url=f"sqlite:///{tmp_path / 'ivr.sqlite3'}")
    registry = CallRepository(config.database_url)
    registry.ensure_schema()
    seed_sample(registry)
    down = CallRepository("postgresql+psycopg://ivr@127.0.0.1:9/ivr")  # nothing listens
    journal = Journal(tmp_path / "journal.jsonl")
    recorder = CallRecorder(down, journal)
    env = asterisk_env("0440000005", "0800000373")
    # at the sample's own moment (NOON is SAMPLE_NOW): on the sample's day (2026-12-01) the
    # real clock met the sample's outages and hourly schedules at whatever hour the test ran,
    # and at some hours the caller's outage was already known (no report offered)
    transcript = simulate_builtin(
        config, recorder, env, KeyScript(parse_keys("1 4 1 1")), clock=lambda: NOON
    )
    record = transcript.record
    assert record is not None and not transcript.record_saved
    (appeal,) = record.appeals
    assert appeal.kind == "outage_report" and is_valid_appeal_number(appeal.appeal_number)
    said = [e["id"] for e in transcript.events if e["type"] == "prompt"]
    assert "report_appeal_number" in said
    assert recorder.counts[JOURNAL] == 1 and journal.pending()
    journal.replay(registry.save_call)
    stored = registry.get_call(record.call_uid)
    assert stored is not None and stored.appeals == record.appeals
    registry.dispose()
