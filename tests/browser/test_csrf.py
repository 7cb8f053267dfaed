"""Forms the console did not serve change nothing: a page of another site posting to the
console while the dispatcher is signed in (the SameSite=Lax cookie is not sent with a
cross-site POST: the console asks to sign in), a page of the same site on another port (the
cookie is sent, the CSRF token is missing: 403), and the console's own form with its token
removed or altered (403)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from browser.pages import By, body_text, open_page, outage_card, path_of, sign_in, submitting
from browser.site import OUTAGE_ID, SOURCE, Site, add_registry_and_outage
from ivr.config import load_config
from ivr.outages.model import Outage
from ivr.store.outages import OutageStore
from ivr.store.repository import CallRepository


def stored(site: Site) -> Outage:
    repository = CallRepository(site.database_url)
    try:
        return OutageStore(repository).get(SOURCE, OUTAGE_ID)
    finally:
        repository.dispose()


@pytest.fixture
def outage(site: Site) -> Outage:
    tz = load_config(site.config).company.tz
    hour = datetime.now(tz).replace(minute=0, second=0, microsecond=0)
    add_registry_and_outage(site, hour + timedelta(hours=2))
    return stored(site)


class ForgedPage:
    """An HTML page on 127.0.0.1:PORT of its own with a form posting to ``action``."""

    def __init__(self, action: str, fields: dict[str, str]) -> None:
        inputs = "".join(
            f'<input name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
        )
        page = (
            '<!doctype html><html><head><meta charset="utf-8"><title>Приз</title></head><body>'
            f'<form method="post" action="{escape(action)}">{inputs}'
            '<button type="submit" id="go">Отримати приз</button></form></body></html>'
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def forged_fields(browser) -> dict[str, str]:
    """The strongest forgery: every field right (even the outage's ``changed``, read off the
    dispatcher's page) but the CSRF token, which another site's page cannot read."""
    form = outage_card(browser, SOURCE, OUTAGE_ID).find_element(By.CSS_SELECTOR, "form.inline")
    changed = form.find_element(By.NAME, "changed").get_attribute("value")
    return {
        "source": SOURCE,
        "outage_id": OUTAGE_ID,
        "changed": changed,
        "restoration": "2099-01-01T12:00",
        "note": "підроблено",
    }


def unchanged(site: Site, before: Outage) -> None:
    after = stored(site)
    assert after.restoration == before.restoration
    assert after.note == before.note
    assert after.changed_at == before.changed_at


def test_a_page_of_another_site_cannot_post_for_the_signed_in_dispatcher(
    browser, console, outage, site
):
    sign_in(browser, console.url, "dispatcher")
    page = ForgedPage(console.url + "/outages/update", forged_fields(browser))
    try:
        # "localhost" and "127.0.0.1" are different sites: the Lax cookie stays home on a POST
        open_page(browser, f"http://localhost:{page.port}/")
        assert browser.title == "Приз"
        submitting(browser, browser.find_element(By.ID, "go").click)
    finally:
        page.close()
    assert browser.current_url.startswith(console.url)
    # no session came with the POST: it was sent to sign in (and the redirect's GET, which
    # does carry the cookie, found the dispatcher signed in and went on to the live page)
    assert path_of(browser) in ("/login", "/"), browser.current_url
    unchanged(site, outage)
    # and the foreign page did not sign the dispatcher out
    open_page(browser, console.url + "/outages")
    assert path_of(browser) == "/outages", browser.current_url


def test_a_page_of_the_same_site_on_another_port_is_refused_without_the_token(
    browser, console, outage, site
):
    sign_in(browser, console.url, "dispatcher")
    page = ForgedPage(console.url + "/outages/update", forged_fields(browser))
    try:
        # another port of 127.0.0.1 is the same site: the cookie is sent, the token is not
        open_page(browser, f"http://127.0.0.1:{page.port}/")
        assert browser.title == "Приз"
        submitting(browser, browser.find_element(By.ID, "go").click)
    finally:
        page.close()
    assert path_of(browser) == "/outages/update"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Форму відхилено"
    assert "надіслана не з консолі" in body_text(browser)
    unchanged(site, outage)


TAMPERING = {
    "removed": "arguments[0].remove()",
    "altered": "arguments[0].value = arguments[0].value.slice(1) + 'x'",
    "emptied": "arguments[0].value = ''",
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_the_console_form_without_its_csrf_token_is_refused(browser, console, outage, site, how):
    sign_in(browser, console.url, "dispatcher")
    form = outage_card(browser, SOURCE, OUTAGE_ID).find_element(By.CSS_SELECTOR, "form.inline")
    token = form.find_element(By.CSS_SELECTOR, "input[name=csrf]")
    browser.execute_script(TAMPERING[how], token)
    browser.execute_script(
        "arguments[0].value = '2099-01-01T12:00'", form.find_element(By.NAME, "restoration")
    )
    submitting(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]").click)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Форму відхилено"
    assert browser.title == "Форму відхилено · IVR"
    unchanged(site, outage)
    # the session survives a refused form: the page opens again, signed in
    open_page(browser, console.url + "/outages")
    assert path_of(browser) == "/outages"
