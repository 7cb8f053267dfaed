"""Driving the console's pages in the browser: explicit waits only (no sleeps)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from browser.site import INSTALL_HINT, PASSWORD, TIMEOUT

try:
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the test modules import selenium's names from here
    if os.environ.get("CI"):
        raise
    pytest.skip(f"selenium is not installed: {INSTALL_HINT}", allow_module_level=True)

__all__ = ["By"]

#: (name, width, height, mobile): a laptop and a phone (an iPhone 12-14's CSS pixels).
VIEWPORTS = (("laptop", 1366, 768, False), ("phone", 390, 844, True))


def waiting(driver: WebDriver) -> WebDriverWait:
    return WebDriverWait(driver, TIMEOUT)


def path_of(driver: WebDriver) -> str:
    return urlsplit(driver.current_url).path


def body_text(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def loaded(driver: WebDriver) -> None:
    waiting(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _replaced(element: WebElement) -> Callable[[WebDriver], bool]:
    """``element``'s page is gone. Like ``EC.staleness_of``, but also for the error
    chromedriver gives when it asks about the node while the next page is replacing it
    ("Node with given id does not belong to the document", seen in CI)."""

    def check(_driver: WebDriver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    return check


def submitting(driver: WebDriver, action: Callable[[], object]) -> None:
    """Run ``action`` (a click that submits a form) and wait for the next page to load."""
    old = driver.find_element(By.TAG_NAME, "html")
    action()
    waiting(driver).until(_replaced(old))
    loaded(driver)


def open_page(driver: WebDriver, url: str) -> None:
    driver.get(url)
    loaded(driver)


def sign_in_form(driver: WebDriver, name: str, password: str) -> None:
    """Fill and send the sign-in form of the page shown."""
    field = waiting(driver).until(EC.visibility_of_element_located((By.NAME, "name")))
    field.clear()
    field.send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    button = driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]")
    submitting(driver, button.click)


def sign_in(driver: WebDriver, base: str, name: str, page: str = "/outages") -> None:
    """Open ``page``, be sent to the sign-in form, sign in as ``name``, land on ``page``."""
    open_page(driver, base + page)
    assert path_of(driver) == "/login", driver.current_url
    sign_in_form(driver, name, PASSWORD)
    assert path_of(driver) == page, f"{driver.current_url}: {body_text(driver)}"


def sign_out(driver: WebDriver) -> None:
    button = driver.find_element(By.CSS_SELECTOR, "form.who button[type=submit]")
    submitting(driver, button.click)


def outage_card(driver: WebDriver, source: str, outage_id: str) -> WebElement:
    return driver.find_element(By.ID, f"outage-{source}-{outage_id}")


def set_viewport(driver: WebDriver, width: int, height: int, mobile: bool) -> None:
    """The page laid out as on a screen ``width`` x ``height`` CSS pixels (a phone: with
    its viewport meta tag honoured and touch-sized)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": mobile})


def full_page_png(driver: WebDriver, path: Path) -> None:
    """The whole page, not only what fits the window, as PNG."""
    import base64

    width, height = driver.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollHeight]"
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))


#: What a reader could not use on the page shown: a horizontal scroll of the whole page,
#: a button or field out of the window or sticking out of its card (another card may cover
#: it), a button too small to hit, text too small to read, a header taking over a quarter of
#: the screen.
LAYOUT_PROBLEMS = """
const problems = [];
const width = window.innerWidth;
if (document.documentElement.scrollWidth > width) {
  problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
}
for (const el of document.querySelectorAll("button, input:not([type=hidden]), select, a")) {
  const style = getComputedStyle(el);
  if (style.display === "none" || style.visibility === "hidden") continue;
  const box = el.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;
  const label = (el.innerText || el.name || el.getAttribute("href") || el.tagName).trim();
  if (el.closest(".scroll")) continue;  // inside a box that scrolls on its own
  if (box.left < -1 || box.right > width + 1) {
    problems.push(`${el.tagName} "${label}" is out of the window: ${box.left}..${box.right}`);
  }
  const card = el.closest(".card");
  if (card) {
    const outer = card.getBoundingClientRect();
    if (box.left < outer.left - 1 || box.right > outer.right + 1) {
      problems.push(`${el.tagName} "${label}" sticks out of its card: ${box.left}..${box.right}`
        + ` of ${outer.left}..${outer.right}`);
    }
  }
  if (el.tagName === "BUTTON" && (box.height < 24 || box.width < 24)) {
    problems.push(`button "${label}" is too small: ${box.width}x${box.height}`);
  }
}
const top = document.querySelector("header.top");
const header = top ? top.getBoundingClientRect().height : 0;
if (header > window.innerHeight / 4) {
  problems.push(`the page header takes ${header} px of ${window.innerHeight}`);
}
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode;
  if (!node.textContent.trim()) continue;
  const el = node.parentElement;
  const style = getComputedStyle(el);
  if (style.display === "none" || el.getClientRects().length === 0) continue;
  if (parseFloat(style.fontSize) < 12) {
    problems.push(`text "${node.textContent.trim().slice(0, 40)}" is ${style.fontSize}`);
  }
}
return problems;
"""


def layout_problems(driver: WebDriver) -> list[str]:
    return list(driver.execute_script(LAYOUT_PROBLEMS))
