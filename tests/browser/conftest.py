"""Browser fixtures: the console as a real process on a config of the test's own, users of
each role made by ``ivr users add``, and a headless Chromium with a fresh profile.

Without Chromium, chromedriver or selenium the tests skip with how to get them, except in CI
(``CI`` set), where they fail the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser.site import (
    ConsoleProcess,
    Site,
    fresh_profile,
    missing_tools,
    placed_config,
    start_chromium,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_tools() -> None:
    problem = missing_tools()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests are required in CI: {problem}")
        pytest.skip(problem)


@pytest.fixture
def site(browser_tools, config_copy: Path) -> Site:
    """The shipped config in the test's directory, its SQLite database there, and a user
    ``dispatcher`` (password ``PASSWORD``; a test adds the others it needs)."""
    placed = Site(placed_config(config_copy, config_copy.parent))
    placed.add_user("dispatcher", "dispatcher")
    return placed


@pytest.fixture
def console(site: Site) -> Iterator[ConsoleProcess]:
    process = ConsoleProcess(site)
    yield process
    process.stop()


@pytest.fixture
def browser(browser_tools, tmp_path: Path):
    """A headless Chromium with a profile of its own (no cookies from another test)."""
    driver = start_chromium(fresh_profile(tmp_path))
    yield driver
    driver.quit()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the screenshots go: ``IVR_SCREENSHOTS``, or the test's directory."""
    directory = Path(os.environ.get("IVR_SCREENSHOTS") or tmp_path / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
