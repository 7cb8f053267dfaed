"""Supervisors' reports on SQLite and PostgreSQL, and the Resolution 375 indicators."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT, SHIPPED_CONFIG
from shipped import single_company
from test_storage import make_record

from ivr.config import load_config
from ivr.reports.calls import build_call_report
from ivr.reports.periods import Granularity, PeriodError, ReportRange
from ivr.reports.queue_log import compute_indicators, read_queue_log
from ivr.reports.render import as_csv, as_json, as_table
from ivr.store.records import Outcome
from ivr.store.repository import CallRepository

KYIV = ZoneInfo("Europe/Kyiv")
SAMPLE = ROOT / "tests" / "data" / "queue_log.sample"
ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}


def call_at(n: int, start: datetime, seconds: int, topic: str | None, outcome: Outcome):
    return make_record(
        f"{n:032d}",
        started_at=start,
        ended_at=start + timedelta(seconds=seconds),
        topic_code=topic,
        outcome=outcome,
        unique_id=f"u{n}",
    )


@pytest.fixture
def populated(db_url):
    """Eleven calls over two local days (winter, UTC+2), three with appeals."""
    repo = CallRepository(db_url)
    repo.ensure_schema()
    base = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv
    rows = [
        (0, 10, "D1", Outcome.SELF_SERVED),
        (5, 20, "D1", Outcome.SELF_SERVED),
        (10, 30, "D1", Outcome.OPERATOR),
        (20, 40, "D2", Outcome.OPERATOR),
        (25, 50, "D11", Outcome.REDIRECTED),
        (30, 60, None, Outcome.ABANDONED),
        (65, 70, "D99", Outcome.TRANSFERRED),
        (70, 80, "D5", Outcome.SELF_SERVED),
        (75, 90, "D5", Outcome.FAILED),
        (80, 100, "D1", Outcome.SELF_SERVED),
    ]
    for i, (minute, seconds, topic, outcome) in enumerate(rows):
        record = call_at(i, base + timedelta(minutes=minute), seconds, topic, outcome)
        if outcome is Outcome.OPERATOR:
            from test_appeals_db import appeal_for

            record.appeals = [appeal_for(record, f"2601150100{i:03d}0", topic)]
        repo.save_call(record)
    # 21:30 UTC on 15 Jan is 23:30 in Kyiv: still the 15th; 22:30 UTC is already the 16th
    repo.save_call(
        call_at(20, datetime(2026, 1, 15, 21, 30, tzinfo=UTC), 5, "D1", Outcome.SELF_SERVED)
    )
    repo.save_call(
        call_at(21, datetime(2026, 1, 15, 22, 30, tzinfo=UTC), 5, "D1", Outcome.SELF_SERVED)
    )
    # outside the range
    repo.save_call(
        call_at(22, datetime(2026, 1, 13, 12, 0, tzinfo=UTC), 5, "D1", Outcome.SELF_SERVED)
    )
    return repo


def dso_catalogue():
    config = load_config(SHIPPED_CONFIG)
    return config.catalogues[config.company.role]


def test_call_report_figures(populated):
    rng = ReportRange(date(2026, 1, 15), date(2026, 1, 16), KYIV)
    report = build_call_report(populated.engine, rng, Granularity.DAY, dso_catalogue(), "dso")
    assert report.total_calls == 12
    assert report.total_appeals == 2
    by_code = {t.code: t for t in report.topics}
    assert by_code["D1"].calls == 6 and by_code["D1"].appeals == 1
    assert by_code["D2"].appeals == 1
    assert by_code["-"].calls == 1  # hung up before choosing
    assert by_code["D1"].label.startswith("Відсутність")
    assert report.calls_by_period["2026-01-15"]["D1"] == 5
    assert report.calls_by_period["2026-01-16"] == {"D1": 1}
    assert report.outcome_summary() == {
        "self_served": 6,
        "transferred": 3,
        "redirected": 1,
        "callback": 0,
        "abandoned": 1,
        "after_hours": 0,
        "failed": 1,
        "interrupted": 0,
    }
    # durations in seconds: 5 5 10 20 30 40 50 60 70 80 90 100
    assert report.duration.median_s == pytest.approx(45.0)
    assert report.duration.p90_s == pytest.approx(89.0)
    assert report.busiest_hours(2) == [(10, 6), (11, 4)]
    assert report.peak_hour == ("2026-01-15", 10, 6)


def test_summer_time_buckets(db_url):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    # Kyiv is UTC+3 in July: 21:30 UTC is 00:30 on the next day
    repo.save_call(
        call_at(1, datetime(2026, 7, 15, 20, 30, tzinfo=UTC), 5, "D1", Outcome.SELF_SERVED)
    )
    repo.save_call(
        call_at(2, datetime(2026, 7, 15, 21, 30, tzinfo=UTC), 5, "D1", Outcome.SELF_SERVED)
    )
    # 23:30 UTC on 15 July is 02:30 on the 16th
    repo.save_call(
        call_at(3, datetime(2026, 7, 15, 23, 30, tzinfo=UTC), 5, "D1", Outcome.SELF_SERVED)
    )
    rng = ReportRange(date(2026, 7, 15), date(2026, 7, 16), KYIV)
    report = build_call_report(repo.engine, rng, Granularity.DAY, dso_catalogue(), "dso")
    assert report.period_total("2026-07-15") == 1
    assert report.period_total("2026-07-16") == 2
    assert report.hours[23] == 1 and report.hours[0] == 1 and report.hours[2] == 1
    weekly = build_call_report(repo.engine, rng, Granularity.WEEK, dso_catalogue(), "dso")
    assert weekly.periods == ["2026-W29"]
    assert weekly.period_total("2026-W29") == 3
    only_15th = ReportRange(date(2026, 7, 15), date(2026, 7, 15), KYIV)
    assert (
        build_call_report(
            repo.engine, only_15th, Granularity.DAY, dso_catalogue(), "dso"
        ).total_calls
        == 1
    )


def test_day_of_the_spring_clock_change(db_url):
    """29 March 2026: Kyiv goes from UTC+2 to UTC+3 at 03:00, so the day has 23 hours:
    from 28 March 22:00 UTC to 29 March 21:00 UTC."""
    repo = CallRepository(db_url)
    repo.ensure_schema()
    for n, moment in enumerate(
        [
            datetime(2026, 3, 28, 21, 59, tzinfo=UTC),  # 23:59 on the 28th
            datetime(2026, 3, 28, 22, 0, tzinfo=UTC),  # 00:00 on the 29th
            datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 02:30, winter time
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 04:30, summer time (03:xx never exists)
            datetime(2026, 3, 29, 20, 59, tzinfo=UTC),  # 23:59 on the 29th
            datetime(2026, 3, 29, 21, 0, tzinfo=UTC),  # 00:00 on the 30th
        ]
    ):
        repo.save_call(call_at(n, moment, 5, "D1", Outcome.SELF_SERVED))
    rng = ReportRange(date(2026, 3, 29), date(2026, 3, 29), KYIV)
    report = build_call_report(repo.engine, rng, Granularity.DAY, dso_catalogue(), "dso")
    assert report.total_calls == 4
    assert [h for h in range(24) if report.hours[h]] == [0, 2, 4, 23]
    monthly = build_call_report(
        repo.engine,
        ReportRange(date(2026, 3, 1), date(2026, 4, 30), KYIV),
        Granularity.MONTH,
        dso_catalogue(),
        "dso",
    )
    assert monthly.periods == ["2026-03", "2026-04"]
    assert monthly.calls_by_period == {"2026-03": {"D1": 6}, "2026-04": {}}


def percentile_cont(values: list[int], p: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@pytest.mark.parametrize("count", [1, 2, 7, 240])
def test_duration_percentiles_match_the_definition(db_url, count):
    """Median and p90 as percentile_cont: interpolated between the order statistics, also when
    they sit in different one-second buckets or the same duration repeats."""
    import random

    generator = random.Random(count)
    repo = CallRepository(db_url)
    repo.ensure_schema()
    start = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
    durations = [
        generator.choice([999, 1000, 1001, 5000, 5000])
        if i % 3 == 0
        else generator.randrange(0, 600_000)
        for i in range(count)
    ]
    for n, ms in enumerate(durations):
        moment = start + timedelta(minutes=n)
        repo.save_call(
            make_record(
                f"{n:032d}", started_at=moment, ended_at=moment + timedelta(milliseconds=ms)
            )
        )
    rng = ReportRange(date(2026, 2, 10), date(2026, 2, 10), KYIV)
    report = build_call_report(repo.engine, rng, Granularity.DAY, dso_catalogue(), "dso")
    assert report.duration.calls == count
    assert report.duration.median_s == pytest.approx(percentile_cont(durations, 0.5) / 1000)
    assert report.duration.p90_s == pytest.approx(percentile_cont(durations, 0.9) / 1000)


def test_renderings(populated):
    rng = ReportRange(date(2026, 1, 15), date(2026, 1, 16), KYIV)
    report = build_call_report(populated.engine, rng, Granularity.DAY, dso_catalogue(), "dso")
    queue = read_queue_log(SAMPLE)
    table = as_table(report, queue, "Demo")
    assert "Calls: 12    Appeals: 2" in table
    assert "median 45.0 s, 90th percentile 89.0 s" in table
    data = json.loads(as_json(report, queue, "Demo"))
    assert data["outcome_summary"]["transferred"] == 3
    assert data["queue"]["offered"] == queue.offered
    rows = as_csv(report, None, "Demo").splitlines()
    assert rows[0] == "section,period,item,label,value"
    assert "calls_by_topic,2026-01-16,D1,Відсутність електропостачання, перерви" not in rows
    assert any(r.startswith("calls_by_topic,2026-01-16,D1,") and r.endswith(",1") for r in rows)
    by_day = read_queue_log(SAMPLE, SAMPLE_RANGE, "dso-callcentre")
    rows = as_csv(report, by_day, "Demo").splitlines()
    assert "queue,total,service_level,,0.75" in rows
    assert "queue,2025-11-25,lost,,3" in rows
    assert "queue_log,total,malformed_lines,,3" in rows


SAMPLE_RANGE = ReportRange(date(2025, 11, 24), date(2025, 11, 26), KYIV)


def test_queue_log_sample_indicators():
    """The sample: Mon 24 .. Wed 26 Nov 2025 (Kyiv, UTC+2), queue dso-callcentre.

    24th, 12 offered: 9 answered within 30 s (waits 3 8 12 30 5 20 15 7 25; 30 s counts),
      1 later (41 s), 1 ABANDON, 1 EXITWITHKEY -> 9/12 = 75.0 % PASS, lost 1/12 = 8.3 % PASS.
    25th, 12 offered: 7 within 30 s (10 22 28 4 16 9 11), 2 later (95 s; .555 timed out after
      60 s, re-entered and was answered with holdtime 8 -> one offered call, final fate
      answered, waited 70 s since its first entry), ABANDON, EXITWITHTIMEOUT, EXITEMPTY
      -> 7/12 = 58.3 % FAIL, lost 3/12 = 25 % FAIL. Call .125 has no fate (Asterisk restarted,
      QUEUESTART) and is left out.
    26th, 12 offered: 11 within 30 s (2 6 14 19 27 3 9 12 21 5, and .137 queued 23:59:50 and
      answered after midnight with 25 s: it belongs to the 26th), 1 EXITWITHKEY
      -> 11/12 = 91.7 % PASS, lost 0 PASS.
    Total: offered 36, answered 30 (27 within 30 s, 3 later), lost 4 (2 abandoned, 1 timeout,
      1 empty), by key 2. Service level 27/36 = 75.0 % PASS (exactly the target), lost
      4/36 = 11.1 % FAIL. Average wait of the answered: (166 + 265 + 143) / 30 = 19.13 s.
    Left out: .101 (queued 23:59:40 on the 23rd) and .139 (the 27th) outside the dates; the
      orphan CONNECT of .7 (queued before the file starts); the dso-connections call .126
      (ENTERQUEUE and CONNECT: 2 events of other queues).
    Skipped: line 37 (time '1764X0'), line 38 (3 fields, a half-written line), line 128 (13
      fields): 3 malformed; line 77 CALLBACKREQUEST (custom QueueLog event): 1 unknown.
    """
    stats = read_queue_log(SAMPLE, SAMPLE_RANGE, "dso-callcentre")
    assert (stats.offered, stats.answered, stats.answered_within) == (36, 30, 27)
    assert (stats.lost, stats.abandoned, stats.timed_out, stats.no_agents) == (4, 2, 1, 1)
    assert stats.left_by_key == 2
    assert stats.service_level == pytest.approx(0.75) and stats.service_level_met is True
    assert stats.lost_share == pytest.approx(4 / 36) and stats.lost_met is False
    assert stats.average_wait_answered_s == pytest.approx(574 / 30)
    assert (stats.waiting, stats.outside_range, stats.other_queue_events) == (1, 2, 2)
    assert stats.lines == 144
    days = {
        p: (f.offered, f.answered_within, f.answered, f.lost, f.left_by_key)
        for p, f in stats.by_period.items()
    }
    assert days == {
        "2025-11-24": (12, 9, 10, 1, 1),
        "2025-11-25": (12, 7, 9, 3, 0),
        "2025-11-26": (12, 11, 11, 0, 1),
    }
    verdicts = {p: (f.service_level_met, f.lost_met) for p, f in stats.by_period.items()}
    assert verdicts == {
        "2025-11-24": (True, True),
        "2025-11-25": (False, False),
        "2025-11-26": (True, True),
    }
    assert (stats.malformed, stats.unknown_events) == (3, 1)
    assert stats.unknown_names == {"CALLBACKREQUEST": 1}
    assert stats.examples == [
        "line 37: time '1764X0' is not a Unix time",
        "line 38: 3 fields, expected 5 to 10",
        "line 128: 13 fields, expected 5 to 10",
        "line 77: unknown event 'CALLBACKREQUEST'",
    ]


def test_queue_log_sample_every_queue_and_by_week():
    """--queue '*' adds the dso-connections call (answered in 6 s): 28/37 = 75.7 % PASS, lost
    4/37 = 10.8 % FAIL. By ISO week the three days are one period, 2025-W48."""
    stats = read_queue_log(SAMPLE, SAMPLE_RANGE, None, Granularity.WEEK)
    assert (stats.offered, stats.answered_within, stats.lost) == (37, 28, 4)
    assert stats.service_level == pytest.approx(28 / 37) and stats.service_level_met
    assert stats.lost_share == pytest.approx(4 / 37) and not stats.lost_met
    assert list(stats.by_period) == ["2025-W48"]
    assert stats.by_period["2025-W48"].offered == 37


def test_one_call_counts_once_and_its_final_fate_decides():
    lines = [
        "100|c1|q|NONE|ENTERQUEUE||044|1",
        "160|c1|q|NONE|EXITWITHTIMEOUT|1|1|60",  # not lost: it comes back
        "162|c1|q|NONE|ENTERQUEUE||044|1",
        "170|c1|q|op|CONNECT|8|x|2",  # waited 70 s since it first queued
        "200|c2|q|NONE|ENTERQUEUE||050|1",
        "205|c2|q|op|CONNECT|5",  # old format: holdtime only
        "300|c2|q|op|TRANSFER|100|ctx|5|95|1",
        "310|c2|q|NONE|ENTERQUEUE||050|1",  # transferred back to the queue, then hung up
        "340|c2|q|NONE|ABANDON|1|1|30",
        "400|c3|q|NONE|ENTERQUEUE||093|1",  # still waiting when the file ends
    ]
    stats = compute_indicators(lines)
    assert (stats.offered, stats.answered, stats.answered_within) == (2, 1, 0)
    assert (stats.lost, stats.abandoned, stats.timed_out, stats.waiting) == (1, 1, 0, 1)
    assert stats.average_wait_answered_s == 70


def test_queue_log_garbage_is_never_fatal():
    lines = [
        "",
        "|||",
        "\x00\xff|x",
        "1|a|q|NONE|ENTERQUEUE",
        "2|a|q|NONE|CONNECT|soon",
        "3|a|q|NONE|CONNECT|3|x|1",
        "9" * 400 + "|a|q|NONE|ENTERQUEUE",
    ]
    stats = compute_indicators(lines)
    assert stats.offered == 1 and stats.answered == 1 and stats.answered_within == 1
    assert stats.malformed == 4
    eleven = "5|b|q|NONE|ENTERQUEUE|" + "|".join("x" * 6)  # 11 fields
    assert compute_indicators([eleven]).malformed == 1


def test_good_service_passes():
    lines = [f"{i}|c{i}|q|NONE|ENTERQUEUE" for i in range(10)]
    lines += [f"{i + 100}|c{i}|q|op|CONNECT|{5 if i < 8 else 40}|x|1" for i in range(9)]
    lines += ["200|c9|q|NONE|ABANDON|1|1|50"]
    stats = compute_indicators(lines)
    assert stats.service_level == 0.8 and stats.service_level_met
    assert stats.lost_share == 0.1 and stats.lost_met


def test_dates_in_the_wrong_order():
    with pytest.raises(PeriodError, match="is after"):
        ReportRange(date(2026, 2, 1), date(2026, 1, 1), KYIV)


def ivr(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "ivr", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=120,
    )


@pytest.fixture
def report_dir(tmp_path, populated):
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    text = text.replace("prompts/uk.yaml", str(ROOT / "prompts" / "uk.yaml"))
    text = single_company(text)
    text = text.replace("url: sqlite:///ivr.sqlite3", f"url: '{populated.url}'")
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_report_command_prints_indicators_and_writes_a_chart(report_dir):
    """The shipped sample over its three days, queue from the config (dso-callcentre)."""
    chart = report_dir / "report.png"
    result = ivr(
        "report",
        "--from",
        "2025-11-24",
        "--to",
        "2025-11-26",
        "--queue-log",
        str(SAMPLE),
        "--chart",
        str(chart),
        cwd=report_dir,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "offered to the queue            36" in out
    assert "service level (<= 30 s)       75.0 %  target >= 75 %  PASS" in out
    assert "lost in queue                 11.1 %  target <= 10 %  FAIL" in out
    assert "never reach the queue" in out
    assert "2025-11-25       12         9        7     3       0    58.3 % FAIL  25.0 % FAIL" in out
    assert "queue_log: 3 malformed line(s), 1 unknown event(s) skipped:" in out
    assert "line 77: unknown event 'CALLBACKREQUEST'" in out
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 20_000
    assert f"chart written to {chart}" in result.stderr


def test_report_command_calls_and_every_queue(report_dir):
    result = ivr(
        "report",
        "--from",
        "2026-01-15",
        "--to",
        "2026-01-16",
        "--queue-log",
        str(SAMPLE),
        "--queue",
        "*",
        "--format",
        "json",
        cwd=report_dir,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["calls"] == 12 and data["appeals"] == 2
    assert data["queue"]["queue"] == "*"
    assert data["queue"]["offered"] == 0  # the sample is from November 2025
    assert data["queue"]["calls_outside_range"] == 40  # 36 + 1 without fate + 1 + 2


def test_report_command_json(report_dir):
    result = ivr(
        "report", "--from", "2026-01-15", "--to", "2026-01-15", "--format", "json", cwd=report_dir
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["calls"] == 11


@pytest.mark.parametrize(
    "first, last, message",
    [
        ("2026-02-01", "2026-01-01", "is after"),
        ("2026-13-01", "2026-12-31", "is not a date"),
    ],
)
def test_report_command_bad_dates(report_dir, first, last, message):
    result = ivr("report", "--from", first, "--to", last, cwd=report_dir)
    assert result.returncode == 2
    assert message in result.stderr


def test_report_command_with_a_bad_queue_log_line(report_dir, tmp_path):
    log = tmp_path / "queue_log"
    log.write_bytes(SAMPLE.read_bytes() + b"\xff\xfe garbage\n")
    result = ivr(
        "report",
        "--from",
        "2025-11-24",
        "--to",
        "2025-11-26",
        "--queue-log",
        str(log),
        cwd=report_dir,
    )
    assert result.returncode == 0, result.stderr
    assert "4 malformed line(s), 1 unknown event(s) skipped" in result.stdout
    assert "line 145: 1 fields, expected 5 to 10" in result.stdout


def test_report_on_a_database_without_the_schema(tmp_path):
    """A clear sentence instead of "no such table: calls"; with --queue-log the queue
    indicators are still computed (and no database file is created)."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    text = text.replace("prompts/uk.yaml", str(ROOT / "prompts" / "uk.yaml"))
    text = single_company(text)
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    result = ivr("report", "--from", "2025-11-24", "--to", "2025-11-26", cwd=tmp_path)
    assert result.returncode == 2
    assert "has no IVR tables" in result.stderr and "no such table" not in result.stderr
    assert not (tmp_path / "ivr.sqlite3").exists()
    result = ivr(
        "report",
        "--from",
        "2025-11-24",
        "--to",
        "2025-11-26",
        "--queue-log",
        str(SAMPLE),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "queue_log indicators only" in result.stderr
    assert "service level (<= 30 s)       75.0 %  target >= 75 %  PASS" in result.stdout


def test_test_calls_are_left_out_of_reports_unless_asked(db_url, shipped_config):
    """Simulated and test calls (account code ivr-test) are kept in the database but not
    counted as the call centre's calls, in the report for the regulator above all."""
    from ivr.flow.call import CallContext
    from ivr.simulator import asterisk_env

    assert CallContext.from_env(asterisk_env("0441234567", "0800000373"), "fastagi").test
    assert not CallContext.from_env(
        asterisk_env("0441234567", "0800000373", test=False), "fastagi"
    ).test
    assert CallContext.from_env(
        asterisk_env("0441234567", "0800000373", test=False), "simulator"
    ).test
    repo = CallRepository(db_url)
    repo.ensure_schema()
    real = make_record("r" * 32)
    test = make_record("t" * 32, test=True, outcome=Outcome.SELF_SERVED)
    repo.save_call(real)
    repo.save_call(test)
    assert repo.get_call("t" * 32).test and not repo.get_call("r" * 32).test
    rng = ReportRange(date(2026, 11, 27), date(2026, 11, 27), KYIV)
    catalogue = shipped_config.catalogues[shipped_config.company.role]
    report = build_call_report(repo.engine, rng, Granularity.DAY, catalogue, "dso")
    assert report.total_calls == 1 and report.test_calls_left_out == 1
    assert report.outcomes["operator"] == 1 and report.outcomes["self_served"] == 0
    everything = build_call_report(
        repo.engine, rng, Granularity.DAY, catalogue, "dso", include_test=True
    )
    assert everything.total_calls == 2 and everything.test_calls_left_out == 0
    repo.dispose()
