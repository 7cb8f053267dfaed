"""The supplier example under a real Asterisk at a closed moment: the wall clock of the
server is the IVR's clock, so the schedule gets an exception that closes today. The operator
key then says when operators are back (from the schedule, both transports) and the menu goes
on; the call is recorded as after hours."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from e2e.real_asterisk import Asterisk, report
from ivr.config import load_config
from ivr.flow.hours import opening_parts
from ivr.speech.plan import Plan
from ivr.store.records import Outcome

SUPPLIER = Path(__file__).resolve().parents[2] / "examples" / "supplier.yaml"
DNID = "0800000312"
TZ = ZoneInfo("Europe/Kyiv")


def closed_today(text: str) -> str:
    """The supplier example with its exceptions replaced by today (company time), closed."""
    text = text.replace("..//", "/").replace("sounds: ../prompts", "sounds: prompts")
    start = text.index("    exceptions:")
    end = text.index("\n\n", start)
    today = datetime.now(TZ).date().isoformat()
    return f"{text[:start]}    exceptions:\n      {today}: closed{text[end:]}"


def test_a_caller_out_of_hours_hears_when_operators_are_back(asterisk: Asterisk, site_factory):
    site = site_factory("hours", source=SUPPLIER, edit=closed_today)
    with site.config.open("a", encoding="utf-8") as config_file:
        config_file.write(f"\ndatabase:\n  url: sqlite:///{site.db_path}\n")
    config = load_config(site.config)
    hours = config.company.working_hours
    now = datetime.now(TZ)
    assert not hours.is_open(now, TZ)
    opening = hours.next_opening(now, TZ)
    assert opening is not None
    expected = [
        fragment
        for part in opening_parts(opening, now.date())
        for fragment in (part if isinstance(part, Plan) else (part,))
    ]
    server = site.serve()
    try:
        # 0 (the operator) during the welcome; then listen, and hang up in the menu
        calls = [
            asterisk.place("w2500 d0 w22000 h", dnid=DNID, agi=agi)
            for agi in (server.url, site.process_agi)
        ]
        asterisk.wait_gone(calls, timeout=90)
    finally:
        server.stop()
    site.flush()  # process AGI journals its record
    repository = site.repository()
    try:
        for call in calls:
            rep = report(asterisk, call)
            streamed = rep.streamed()
            start = streamed.index(config.operator.closed_prompt) + 1
            assert streamed[start : start + len(expected)] == expected
            assert streamed[start + len(expected)] == config.menus["main"].short_greeting[0]
            assert "operator" not in rep.branches
            record = repository.find_by_unique_id(rep.unique_id)
            assert record.outcome is Outcome.AFTER_HOURS and not record.appeals
    finally:
        repository.dispose()
