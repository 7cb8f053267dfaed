"""The dispatcher's journey of issue 15: sign in, give an outage a new restoration time on
/outages, and the next simulated call hears the new time. The console and the call are real
``python -m ivr`` processes on one SQLite database; the times are relative to now, so the
test passes at any hour (the new time may fall tomorrow: the call then says "завтра")."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from browser.pages import By, body_text, outage_card, path_of, sign_in, submitting
from browser.site import (
    CALLER,
    OUTAGE_ID,
    SOURCE,
    Site,
    add_registry_and_outage,
)
from ivr.config import load_config
from ivr.outages.say import when
from ivr.store.outages import OutageStore
from ivr.store.repository import CallRepository

SHOWN = "%d.%m.%Y %H:%M"  # how the page writes a moment (``local`` filter)


def heard_after(site: Site, prompt: str) -> tuple[list[str], list[str]]:
    """A simulated call of ``CALLER`` asking for the outage at their address (1, 2): every
    prompt id it played, and those after ``prompt``."""
    output = site.ivr("simulate", "--caller", CALLER, "--keys", "1 2 h", "--json")
    played = [e["id"] for e in json.loads(output)["events"] if e["type"] == "prompt"]
    assert prompt in played, played
    return played, played[played.index(prompt) + 1 :]


def spoken(moment: datetime, tz, today) -> list[str]:
    """The fragment ids the IVR says ``moment`` with (``ivr.outages.say.when``)."""
    return [fragment for plan in when(moment, tz, today) for fragment in plan]


def says(items: list[str], moment: datetime, tz, today) -> bool:
    """``items`` begin with ``moment`` as said on ``today`` or, should the call have begun
    across midnight, on the next day."""
    return any(
        items[: len(spoken(moment, tz, day))] == spoken(moment, tz, day)
        for day in (today, today + timedelta(days=1))
    )


def stored_restoration(site: Site) -> datetime | None:
    repository = CallRepository(site.database_url)
    try:
        return OutageStore(repository).get(SOURCE, OUTAGE_ID).restoration
    finally:
        repository.dispose()


def test_a_new_restoration_time_given_in_the_browser_is_heard_by_the_next_caller(
    browser, site, console
):
    tz = load_config(site.config).company.tz
    hour = datetime.now(tz).replace(minute=0, second=0, microsecond=0)
    old = hour + timedelta(hours=1, minutes=10)  # 10 to 70 minutes ahead
    new = hour + timedelta(hours=3, minutes=25)  # another hour, 2 h 25 min to 3 h 25 min ahead
    add_registry_and_outage(site, old)

    today = datetime.now(tz).date()
    _, before = heard_after(site, "outage_restore_at")
    assert says(before, old, tz, today), before

    sign_in(browser, console.url, "dispatcher")
    card = outage_card(browser, SOURCE, OUTAGE_ID)
    assert card.find_element(By.CSS_SELECTOR, ".restoration").text == old.strftime(SHOWN)
    field = card.find_element(By.CSS_SELECTOR, "form.inline input[name=restoration]")
    assert field.get_attribute("type") == "datetime-local"
    assert field.get_attribute("value") == old.strftime("%Y-%m-%dT%H:%M")
    # typing into a datetime-local field depends on the browser's locale: set its value
    browser.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        field,
        new.strftime("%Y-%m-%dT%H:%M"),
    )
    save = card.find_element(By.CSS_SELECTOR, "form.inline button[type=submit]")
    assert save.text == "Зберегти"
    submitting(browser, save.click)

    assert path_of(browser) == "/outages"
    flash = browser.find_element(By.CSS_SELECTOR, ".flash[role=status]")
    assert flash.text == f"Відключення {OUTAGE_ID}: зміни збережено."
    card = outage_card(browser, SOURCE, OUTAGE_ID)
    assert card.find_element(By.CSS_SELECTOR, ".restoration").text == new.strftime(SHOWN)
    assert "Прогноз змінено" in card.text
    assert stored_restoration(site) == new

    today = datetime.now(tz).date()
    played, after = heard_after(site, "outage_restore_at")
    assert says(after, new, tz, today), after
    assert f"time/at_{new.hour}" in after[:3] and f"time/at_{old.hour}" not in after[:3]
    assert "outage_revised" in played  # "the estimate was revised today at ..."
    assert "Вхід до консолі" not in body_text(browser)
