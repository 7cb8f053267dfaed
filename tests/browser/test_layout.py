"""Every page on a laptop's and a phone's screen: screenshots to look at (``IVR_SCREENSHOTS``,
default the test's directory) and the checks a script can make of legibility: no sideways
scroll of the whole page, every button and field inside the window and big enough to hit,
no text under 12 px.

The pages are the sign-in page (empty and with its error), the outages page with outages
and hourly schedules (the sample data moved to now), every page the navigation offers an
admin, the refused form and the unknown address."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from browser.pages import (
    VIEWPORTS,
    By,
    body_text,
    full_page_png,
    layout_problems,
    open_page,
    path_of,
    set_viewport,
    sign_in,
    sign_in_form,
    sign_out,
    submitting,
)
from browser.site import PASSWORD, Site
from ivr.cli.sample import seed_sample
from ivr.store.repository import CallRepository


def sample_now(site: Site) -> None:
    repository = CallRepository(site.database_url)
    try:
        seed_sample(repository, now=datetime.now().astimezone())
    finally:
        repository.dispose()


class Album:
    """Screenshots of one window size and the layout problems found on them."""

    def __init__(self, browser, directory: Path, size: str) -> None:
        self.browser, self.directory, self.size = browser, directory, size
        self.problems: list[str] = []
        self.taken: list[Path] = []

    def take(self, name: str) -> None:
        path = self.directory / f"{self.size}-{name}.png"
        full_page_png(self.browser, path)
        self.taken.append(path)
        self.problems += [f"{name}: {p}" for p in layout_problems(self.browser)]


@pytest.mark.parametrize("size", [v[0] for v in VIEWPORTS])
def test_every_page_is_legible_on_a_laptop_and_a_phone(browser, site, console, screenshots, size):
    _, width, height, mobile = next(v for v in VIEWPORTS if v[0] == size)
    sample_now(site)
    site.add_user("admin", "admin")
    set_viewport(browser, width, height, mobile)
    album = Album(browser, screenshots, size)

    open_page(browser, console.url + "/outages")
    assert path_of(browser) == "/login"
    assert browser.execute_script("return window.innerWidth") == width
    album.take("login")
    sign_in_form(browser, "admin", PASSWORD + "x")
    assert browser.find_elements(By.CSS_SELECTOR, "[role=alert]")
    album.take("login-error")

    sign_in_form(browser, "admin", PASSWORD)
    nav = browser.find_elements(By.CSS_SELECTOR, "header.top nav a")
    paths = [urlsplit(a.get_attribute("href")).path for a in nav]
    assert "/outages" in paths
    missing = []
    for path in paths:
        open_page(browser, console.url + path)
        if browser.find_element(By.TAG_NAME, "h1").text == "Сторінку не знайдено":
            missing.append(path)  # a page of another branch, not in this tree
            continue
        album.take(path.strip("/").replace("/", "-") or "live")

    open_page(browser, console.url + "/outages")
    assert browser.find_elements(By.CSS_SELECTOR, "article.outage"), "no outage shown"
    assert browser.find_elements(By.CSS_SELECTOR, "table.schedule td .off"), "no schedule"
    for button in browser.find_elements(By.CSS_SELECTOR, "article.outage button"):
        assert button.is_displayed() and button.text in ("Зберегти", "Відновлено", "Скасувати")

    form = browser.find_element(By.CSS_SELECTOR, "article.outage form.inline")
    browser.execute_script("arguments[0].remove()", form.find_element(By.NAME, "csrf"))
    submitting(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]").click)
    assert "Форму відхилено" in body_text(browser)
    album.take("refused-form")

    open_page(browser, console.url + "/nowhere")
    assert path_of(browser) == "/nowhere"
    album.take("not-found")

    open_page(browser, console.url + "/outages")
    sign_out(browser)
    sign_in(browser, console.url, "dispatcher")  # the dispatcher's own outages page
    album.take("outages-dispatcher")

    assert not album.problems, "\n".join(album.problems)
    assert all(p.stat().st_size > 1000 for p in album.taken)
