"""Signing in and out in a real browser."""

from __future__ import annotations

from browser.pages import (
    By,
    body_text,
    open_page,
    path_of,
    sign_in,
    sign_in_form,
    sign_out,
)
from browser.site import PASSWORD


def test_a_wrong_password_is_refused_in_ukrainian_and_the_right_one_signs_in(browser, console):
    open_page(browser, console.url + "/outages")
    assert path_of(browser) == "/login"
    assert browser.title == "Вхід · IVR"

    sign_in_form(browser, "dispatcher", PASSWORD + "x")
    assert path_of(browser) == "/login"
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert alert.text == "Невірне ім’я користувача або пароль."
    assert browser.find_element(By.NAME, "name").get_attribute("value") == "dispatcher"
    assert "Вийти" not in body_text(browser)

    sign_in_form(browser, "dispatcher", PASSWORD)
    assert path_of(browser) == "/outages"  # where the dispatcher was going
    assert browser.find_element(By.TAG_NAME, "h1").text == "Відключення"
    who = browser.find_element(By.CSS_SELECTOR, "form.who").text
    assert "Вийти" in who
    assert not browser.find_elements(By.CSS_SELECTOR, "[role=alert]")


def test_signing_out_ends_the_session(browser, console):
    sign_in(browser, console.url, "dispatcher")
    sign_out(browser)
    assert path_of(browser) == "/login"
    open_page(browser, console.url + "/outages")
    assert path_of(browser) == "/login"  # the session is gone, not only the page
    assert "Вхід до консолі" in body_text(browser)


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(browser, console):
    open_page(browser, console.url + "/login")
    sign_in_form(browser, "nobody", PASSWORD)
    assert path_of(browser) == "/login"
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert alert.text == "Невірне ім’я користувача або пароль."
