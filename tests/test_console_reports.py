"""The console's reports page on SQLite and PostgreSQL: ``ivr report``'s figures per company
and period, its chart in the page, the Resolution 375 indicators against their targets from
the queue_log sample, the CSV, the form's bad values, and who may see it."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
from console_support import ConsoleClient
from test_appeals_db import appeal_for
from test_reports import SAMPLE, call_at

from ivr.console.web import Console
from ivr.store.journal import Journal
from ivr.store.recorder import CallRecorder
from ivr.store.records import Outcome

DSO, SUPPLIER = "demooblenergo", "demoenergozbut"
RANGE = "from=2026-01-15&to=2026-01-16"


def section(text: str, company: str) -> str:
    start = text.index(f'id="report-{company}"')
    end = text.find('<section class="report"', start + 1)
    return text[start : end if end > 0 else len(text)]


def figure(text: str, css: str) -> str:
    found = re.search(rf'class="{css}[^"]*">([^<]*)<', text)
    assert found, f"no {css} on the page"
    return found.group(1).strip()


@pytest.fixture
def reports(console_state: Console) -> Console:
    """Six calls of the DSO over two local days (winter, UTC+2), one with an appeal, a test
    call, a supplier's call; the clock on the second day."""
    state = console_state
    state.clock = lambda: datetime(2026, 1, 16, 12, 0, tzinfo=UTC)
    recorder = CallRecorder(state.repository, Journal(state.config.journal_path))
    base = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv
    rows = [
        (0, 10, "D1", Outcome.SELF_SERVED, DSO),
        (5, 20, "D1", Outcome.SELF_SERVED, DSO),
        (10, 30, "D2", Outcome.OPERATOR, DSO),
        (70, 40, None, Outcome.ABANDONED, DSO),
        (75, 50, "D5", Outcome.CALLBACK, DSO),
        (24 * 60, 60, "D1", Outcome.SELF_SERVED, DSO),  # the 16th
        (30, 5, "S1", Outcome.SELF_SERVED, SUPPLIER),
    ]
    for i, (minute, seconds, topic, outcome, company) in enumerate(rows):
        record = call_at(i, base + timedelta(minutes=minute), seconds, topic, outcome)
        record.company = company
        if outcome is Outcome.OPERATOR:
            record.appeals = [appeal_for(record, "26011501000" + "017", topic)]
            record.appeals[0].company = company
        assert recorder.record(record) == "database"
    test = call_at(9, base, 5, "D1", Outcome.SELF_SERVED)
    test.company, test.test = DSO, True
    recorder.record(test)
    return state


def test_the_report_of_one_company_with_its_chart(reports: Console, console_client):
    console_client.login("super")
    page = console_client.get(f"/reports?{RANGE}&company={DSO}")
    assert page.status == 200
    assert 'id="report-demoenergozbut"' not in page.text
    dso = section(page.text, DSO)
    assert figure(dso, "calls") == "6" and figure(dso, "appeals") == "1"
    assert figure(dso, "self-served") == "50,0 %"  # 3 of 6
    assert figure(dso, "median") == "35 с"  # 10 20 30 40 50 60
    assert figure(dso, "peak") == "10:00"
    assert "Не враховано тестових дзвінків: 1" in dso
    assert "без теми (завершили до вибору)" in dso and "Відсутність електропостачання" in dso
    assert re.search(r'outcome-callback"><td>[^<]+</td><td>1</td>', dso)
    assert "15.01.2026" in dso and "16.01.2026" in dso
    assert "Немає даних queue_log" in dso
    found = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="Діаграма звіту', dso)
    assert found and base64.b64decode(found.group(1)).startswith(b"\x89PNG\r\n\x1a\n")
    assert "англійською" not in dso  # the chart's texts are Ukrainian (``test_chart_texts``)
    link = f"/reports.csv?{RANGE}&by=day&company={DSO}".replace("&", "&amp;")
    assert f'href="{link}"' in page.text

    counted = console_client.get(f"/reports?{RANGE}&company={DSO}&test=1")
    assert figure(section(counted.text, DSO), "calls") == "7"


def test_every_company_in_turn_by_week(reports: Console, console_client):
    console_client.login("admin")
    page = console_client.get(f"/reports?{RANGE}&by=week")
    assert page.status == 200
    assert figure(section(page.text, DSO), "calls") == "6"
    supplier = section(page.text, SUPPLIER)
    assert figure(supplier, "calls") == "1" and figure(supplier, "self-served") == "100,0 %"
    assert "тиждень 3, 2026" in page.text


def test_the_resolution_375_indicators_against_their_targets(reports: Console, console_client):
    """The sample's dso-callcentre days (``test_reports``): 27/36 answered within 30 s, 75 %
    (the target, met); 4/36 lost, 11.1 % (missed)."""
    reports.queue_log = SAMPLE
    console_client.login("super")
    page = console_client.get(f"/reports?from=2025-11-24&to=2025-11-26&company={DSO}")
    assert page.status == 200
    dso = section(page.text, DSO)
    met = r'class="met">75,0 %</td>\s*<td>≥ 75,0 %</td><td><span class="badge met">'
    assert re.search(met, dso)
    assert re.search(r'class="missed">11,1 %</td>\s*<td>≤ 10,0 %</td>', dso)
    assert "надійшло 36, відповіли 30" in dso
    periods = dso[dso.index('class="r375-periods"') :]
    assert re.search(r"25\.11\.2025</td><td>12</td>\s*<td class=\"missed\">58,3 %", periods)
    assert "пошкоджених 3, з невідомими подіями 1" in dso


def test_the_csv_of_the_report(reports: Console, console_client):
    console_client.login("super")
    reply = console_client.get(f"/reports.csv?{RANGE}")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert "ivr-report-2026-01-15-2026-01-16.csv" in reply.headers["Content-Disposition"]
    lines = reply.text.splitlines()
    assert lines[0] == "company,section,period,item,label,value"
    assert f"{DSO},outcomes,total,self_served,,3" in lines
    assert f"{SUPPLIER},outcomes,total,self_served,,1" in lines


def test_today_by_default(reports: Console, console_client):
    console_client.login("super")
    page = console_client.get("/reports")
    assert page.status == 200
    assert 'name="from" value="2026-01-16"' in page.text
    assert figure(section(page.text, DSO), "calls") == "1"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=15.01.2026&to=2026-01-16", "не є датою у вигляді РРРР-ММ-ДД"),
        ("from=2026-02-30&to=2026-03-01", "дати «2026-02-30» не існує"),
        ("from=2026-01-16&to=2026-01-15", "пізніша за кінцеву"),
        ("from=2024-01-01&to=2026-01-15", "щонайбільше за 366 днів"),
        (f"{RANGE}&by=year", "Невідоме групування"),
        (f"{RANGE}&company=nobody", "Невідома компанія «nobody»"),
    ],
)
def test_bad_values_are_refused_in_ukrainian(reports, console_client, query, message):
    console_client.login("super")
    for path in ("/reports", "/reports.csv"):
        reply = console_client.get(f"{path}?{query}")
        assert reply.status == 400 and message in reply.text
        assert 'class="flash error"' in reply.text and "<img" not in reply.text


def test_a_dispatcher_may_not_see_the_reports(console_client: ConsoleClient):
    console_client.login("dispatcher")
    for path in ("/reports", "/reports.csv"):
        reply = console_client.get(path)
        assert reply.status == 403 and "недоступна для вашої ролі" in reply.text
    assert 'href="/reports"' not in console_client.get("/").text
