"""The console's live page on SQLite and PostgreSQL: the calls running now (the server's
journal, read without changing it), the last hour's calls per minute and by topic, the share
that ended in the IVR, the queue's waiting callers and today's indicators (queue_log), and
the overdue appeals."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from console_support import ConsoleClient
from test_appeals_db import appeal_for
from test_reports import call_at

from ivr.console.web import Console
from ivr.store.journal import Journal, encode
from ivr.store.live import recent_calls
from ivr.store.recorder import CallRecorder
from ivr.store.records import CallRecord, Outcome

NOW = datetime(2026, 1, 15, 9, 30, 20, tzinfo=UTC)  # 11:30:20 in Kyiv
DSO, SUPPLIER = "demooblenergo", "demoenergozbut"


def call(n: int, minutes_ago: float, topic: str | None, outcome: Outcome, **changes) -> CallRecord:
    record = call_at(n, NOW - timedelta(minutes=minutes_ago), 20, topic, outcome)
    record.company = DSO
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def dead_pid() -> int:
    """The pid of a process that has ended."""
    done = subprocess.run(["true"], check=True)
    assert done.returncode == 0
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def section(text: str, company: str) -> str:
    start = text.index(f'id="company-{company}"')
    return text[start : text.index("</section>", start)]


def figure(text: str, css: str) -> str:
    found = re.search(rf'class="{css}[^"]*">([^<]*)<', text)
    assert found, f"no {css} on the page"
    return found.group(1).strip()


# -- the journal's calls in progress ------------------------------------------------------


def test_in_progress_keeps_the_running_calls_of_live_processes(console_state: Console):
    journal = Journal(console_state.config.journal_path)
    repository = console_state.repository
    recorder = CallRecorder(repository, journal)
    assert journal.in_progress(stored=repository.stored_call_uids) == []  # no file yet

    running = call(1, 1, None, Outcome.INTERRUPTED)
    recorder.started(running)  # this process: alive
    orphan = call(2, 2, None, Outcome.INTERRUPTED)
    journal.append_start(orphan, {"pid": dead_pid(), "since": 1})
    ended = call(3, 3, None, Outcome.INTERRUPTED)
    recorder.started(ended)
    journal.append(call(3, 3, "D1", Outcome.SELF_SERVED))  # its end (the database was down)
    with open(journal.path, "ab") as stream:  # a damaged line and a write cut off
        stream.write(b'00000000 {"v": 2}\n' + encode(call(4, 1, None, Outcome.FAILED))[:40])
    before = journal.path.read_bytes()

    found = journal.in_progress(stored=repository.stored_call_uids)
    assert [r.call_uid for r in found] == [running.call_uid]
    assert found[0].company == DSO and found[0].started_at == running.started_at
    assert journal.path.read_bytes() == before  # read only

    recorder.record(call(1, 1, "D2", Outcome.OPERATOR))  # the call ends and is stored
    assert journal.in_progress(stored=repository.stored_call_uids) == []
    # the start stays in the journal until a replay: only the database tells it ended
    assert [r.call_uid for r in journal.in_progress()] == [running.call_uid]


def test_in_progress_without_a_database_check_and_with_a_dead_owner(tmp_path: Path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append_start(call(1, 1, None, Outcome.INTERRUPTED))
    assert len(journal.in_progress()) == 1
    assert journal.in_progress(alive=lambda owner: False) == []


# -- the figures of the last hour -----------------------------------------------------------


@pytest.fixture
def live(console_state: Console) -> Console:
    """Calls of the last hour, older ones, a test call, a call running now, an overdue
    appeal; the console's clock at ``NOW``."""
    state = console_state
    state.clock = lambda: NOW
    recorder = CallRecorder(state.repository, Journal(state.config.journal_path))
    late = call(1, 40, "D2", Outcome.OPERATOR)
    late.appeals = [appeal_for(late, "2601150100001" + "7", "D2")]
    late.appeals[0].company = DSO
    late.appeals[0].due_at = NOW - timedelta(hours=1)  # past its deadline, still open
    for record in (
        call(0, 0.2, "D1", Outcome.SELF_SERVED),  # this minute
        call(2, 5, "D1", Outcome.SELF_SERVED),
        call(3, 5, None, Outcome.ABANDONED),
        late,
        call(4, 59, "D5", Outcome.CALLBACK),  # the hour's first minute
        call(5, 61, "D1", Outcome.SELF_SERVED),  # before the hour
        call(6, 3, "D1", Outcome.SELF_SERVED, test=True),  # the simulator's
        call(7, 10, "S1", Outcome.TRANSFERRED, company=SUPPLIER, role="supplier"),
    ):
        assert recorder.record(record) == "database"
    recorder.started(call(8, 0.1, None, Outcome.INTERRUPTED))  # running now
    recorder.started(call(9, 0.1, None, Outcome.INTERRUPTED, test=True))  # a test call
    return state


def test_recent_calls_per_minute_topic_and_outcome(live: Console):
    recent = recent_calls(live.repository.engine, NOW, 60, DSO)
    assert recent.since == datetime(2026, 1, 15, 8, 31, tzinfo=UTC)
    assert len(recent.per_minute) == 60
    assert (recent.per_minute[59], recent.per_minute[54], recent.per_minute[0]) == (1, 2, 1)
    assert recent.per_minute[19] == 1 and sum(recent.per_minute) == 5
    assert recent.topics == {"D1": 2, None: 1, "D2": 1, "D5": 1}
    assert (recent.total, recent.to_person, recent.in_ivr, recent.not_served) == (5, 1, 4, 1)
    assert recent.in_ivr_share == pytest.approx(0.8)
    assert recent_calls(live.repository.engine, NOW, 60, DSO, include_test=True).total == 6
    assert recent_calls(live.repository.engine, NOW, 60).total == 6  # both companies


def test_the_live_page_shows_each_company_and_refreshes_itself(
    live: Console, console_client: ConsoleClient
):
    console_client.login("dispatcher")
    page = console_client.get("/")
    assert page.status == 200
    assert '<meta http-equiv="refresh" content="15">' in page.text
    dso = section(page.text, DSO)
    assert figure(dso, "in-progress") == "1"  # the test call's start left out
    assert figure(dso, "last-hour") == "5"
    assert figure(dso, "in-ivr") == "80,0 %"
    assert "4 з 5; передано людині: 1" in dso
    assert figure(dso, "waiting") == "невідомо" and "без --queue-log" in dso
    assert "Відсутність електропостачання" in dso  # D1's label
    assert "без теми (завершили до вибору)" in dso
    assert dso.count('<rect class="bar"') == 4  # four minutes with calls
    assert "<title>11:25 — 2 дзвінки</title>" in dso and "<title>11:30 — 1 дзвінок</title>" in dso
    supplier = section(page.text, SUPPLIER)
    assert figure(supplier, "in-progress") == "0" and figure(supplier, "last-hour") == "1"
    assert figure(supplier, "in-ivr") == "0,0 %"
    assert figure(page.text, "overdue-count") == "1"
    assert 'href="/appeals?overdue=1"' in page.text
    assert figure(dso, "overdue-company") == "1" and figure(supplier, "overdue-company") == "0"
    assert "<script" not in page.text


def test_an_empty_hour_and_no_journal(console_state: Console, console_client: ConsoleClient):
    console_state.clock = lambda: NOW
    console_client.login("super")
    page = console_client.get("/")
    assert page.status == 200
    dso = section(page.text, DSO)
    assert figure(dso, "in-progress") == "0" and figure(dso, "last-hour") == "0"
    assert figure(dso, "in-ivr") == "—"
    assert "За останню годину дзвінків не було." in dso
    assert figure(page.text, "overdue-count") == "0"


def test_the_queue_log_tells_the_waiting_callers_and_today_s_indicators(
    live: Console, console_client: ConsoleClient, tmp_path: Path
):
    at = int(NOW.timestamp())
    queue_log = tmp_path / "queue_log"
    queue_log.write_text(
        "\n".join(
            [
                f"{at - 900}|1.1|dso-callcentre|NONE|ENTERQUEUE||0501234567|1",
                f"{at - 890}|1.1|dso-callcentre|PJSIP/op1|CONNECT|10|1.2|3",
                f"{at - 600}|2.1|dso-emergency|NONE|ENTERQUEUE||0501234568|1",
                f"{at - 500}|2.1|dso-emergency|NONE|ABANDON|1|1|100",
                f"{at - 120}|3.1|dso-callcentre|NONE|ENTERQUEUE||0501234569|1",  # waits now
                f"{at - 3 * 3600}|4.1|dso-callcentre|NONE|ENTERQUEUE||0501234560|1",  # stale
                f"{at - 60}|5.1|supplier-callcentre|NONE|ENTERQUEUE||0501234561|1",
                f"{at - 50}|5.1|supplier-callcentre|PJSIP/op9|CONNECT|10|5.2|3",
                "",
            ]
        ),
        encoding="utf-8",
    )
    live.queue_log = queue_log
    console_client.login("dispatcher")
    page = console_client.get("/")
    dso = section(page.text, DSO)
    assert figure(dso, "waiting") == "1"
    assert figure(dso, "service-level missed") == "50,0 %"
    assert figure(dso, "lost missed") == "50,0 %"
    supplier = section(page.text, SUPPLIER)
    assert figure(supplier, "waiting") == "0"
    assert figure(supplier, "service-level met") == "100,0 %"
    assert figure(supplier, "lost met") == "0,0 %"

    queue_log.unlink()  # rotated away: said, not a failure
    page = console_client.get("/")
    assert page.status == 200 and "Не вдалося прочитати queue_log" in page.text
    assert figure(section(page.text, DSO), "waiting") == "невідомо"


def test_a_visitor_is_sent_to_sign_in(console_client: ConsoleClient):
    reply = console_client.get("/")
    assert reply.url.endswith("/login")
