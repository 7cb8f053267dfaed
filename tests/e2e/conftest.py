"""End-to-end fixtures: one real Asterisk for the session, IVR sites and servers beside it.

Asterisk is found by ``IVR_TEST_ASTERISK``, then ``asterisk`` on PATH, then the shared build
(/opt/astlab/install). Without any, the tests skip with the way to get one, except in CI
(``CI`` set), where a missing Asterisk fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from serve_process import ENV, ServeProcess

from e2e.real_asterisk import INSTALL_HINT, Asterisk, Queue, find_asterisk
from ivr.store.repository import CallRepository

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CONFIG = ROOT / "config.yaml"
#: The caller to whom the main site's operator queue looks long (a callback is offered).
LONG_QUEUE_CALLER = "0440000095"
#: The caller to whom the main site's queue has an average hold time of HOLD_SECONDS.
SLOW_QUEUE_CALLER = "0440000096"
HOLD_SECONDS = 200
#: operator.expected_wait's default expression for the main site's queue
DEFAULT_HOLD_TIME = "${QUEUE_VARIABLES(dso-callcentre):0:0}${QUEUEHOLDTIME}"
DIALPLAN = ROOT / "dialplan" / "extensions_ivr.conf"
IVR_AGI_SCRIPT = Path(sys.executable).with_name("ivr-agi")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def asterisk_log_is_clean(request, asterisk):
    """No WARNING or ERROR in Asterisk's log during a test, except those the test expects
    (``@pytest.mark.asterisk_warnings("fragment", ...)``)."""
    start = len(asterisk.full_log())
    yield
    marker = request.node.get_closest_marker("asterisk_warnings")
    allowed = marker.args if marker else ()
    new = asterisk.full_log()[start:].splitlines()
    bad = [
        line
        for line in new
        if re.search(r"\] (WARNING|ERROR)\[", line)
        and not any(fragment in line for fragment in allowed)
    ]
    assert not bad, "Asterisk logged warnings or errors:\n" + "\n".join(bad)


@pytest.fixture(scope="session")
def asterisk_binary() -> Path:
    binary = find_asterisk()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(f"end-to-end tests need Asterisk in CI: {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    return binary


class Site:
    """An IVR installation in a directory: config.yaml, built audio, its SQLite database."""

    def __init__(
        self,
        directory: Path,
        built_prompts: Path,
        source: Path = SHIPPED_CONFIG,
        edit: Callable[[str], str] | None = None,
    ) -> None:
        self.dir = directory
        directory.mkdir(parents=True, exist_ok=True)
        text = self.placed(source)
        self.db_path = directory / "ivr.sqlite3"
        text = text.replace("url: sqlite:///ivr.sqlite3", f"url: sqlite:///{self.db_path}")
        if edit is not None:
            text = edit(text)
        self.config = directory / "config.yaml"
        self.config.write_text(text, encoding="utf-8")
        shutil.copytree(built_prompts, directory / "prompts", dirs_exist_ok=True)

    def placed(self, source: Path) -> str:
        """``source``'s text for this site's folder: the prompt texts and the directory of
        companies named by absolute path, the audio the site's own (built) prompts, and
        each profile file placed here the same way."""
        text = source.read_text(encoding="utf-8")

        def absolute(key: str) -> Callable[[re.Match[str]], str]:
            return lambda m: f"{m.group(1)}{key}: {(source.parent / m.group(2).strip()).resolve()}"

        for key in ("texts", "directory"):
            text = re.sub(rf"^(\s*){key}: (\S+)", absolute(key), text, flags=re.MULTILINE)
        text = re.sub(r"^(\s*)sounds: \S+", r"\1sounds: prompts", text, flags=re.MULTILINE)
        block = re.search(r"^profiles:\n((?:  .*\n)*)", text, flags=re.MULTILINE)
        if block is not None:
            for name in re.findall(r"^  - (\S+)", block.group(1), flags=re.MULTILINE):
                profile = (source.parent / name).resolve()
                placed = self.dir / profile.name
                placed.write_text(self.placed(profile), encoding="utf-8")
                text = text.replace(f"  - {name}", f"  - {placed}", 1)
        return text

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db_path}"

    @property
    def process_agi(self) -> str:
        """The IVR_AGI value for process AGI on this site."""
        return f"{IVR_AGI_SCRIPT},{self.config}"

    def serve(self, *args: str) -> ServeProcess:
        return ServeProcess(self.config, *args)

    def flush(self) -> str:
        """``ivr db flush``: move journalled records (process AGI) into the database."""
        result = subprocess.run(
            [sys.executable, "-m", "ivr", "db", "flush", "--config", str(self.config)],
            capture_output=True,
            text=True,
            env=ENV,
            cwd=self.dir,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout + result.stderr

    def repository(self) -> CallRepository:
        return CallRepository(self.url)


@pytest.fixture(scope="session")
def site_factory(tmp_path_factory, built_prompts: Path) -> Callable[..., Site]:
    def make(name: str, **options) -> Site:
        return Site(tmp_path_factory.mktemp(name), built_prompts, **options)

    return make


def readings_every_day(text: str) -> str:
    """The config with its meter-reading window open every day: the tests run on any date,
    and the window's days are the engine tests' business (tests/test_meter_reading.py)."""
    window = re.search(r"^  window:.*\n(?:    .*\n)*", text, flags=re.MULTILINE)
    assert window, "config.yaml has no readings.window"
    return text.replace(window.group(0), "  window: always\n")


@pytest.fixture(scope="session")
def main_site(site_factory) -> Site:
    """The shipped config.yaml, served by FastAGI and run by process AGI, with two edits:
    its reading window open every day, the operator queue looking long (99 waiting, by a
    dialplan expression Asterisk evaluates) to one caller, ``LONG_QUEUE_CALLER``, whom the IVR
    then offers a callback, and the expected wait said (``operator.expected_wait``): from a
    hold time of ``HOLD_SECONDS`` to ``SLOW_QUEUE_CALLER``, from the queue's own figure
    (QUEUE_VARIABLES' QUEUEHOLDTIME: 0, no call answered late enough) to everyone else."""
    expression = (
        f'${{IF($["${{CALLERID(num)}}" = "{LONG_QUEUE_CALLER}"]?99:'
        "${QUEUE_WAITING_COUNT(dso-callcentre)})}"
    )
    hold_time = (
        f'${{IF($["${{CALLERID(num)}}" = "{SLOW_QUEUE_CALLER}"]?{HOLD_SECONDS}:'
        f"{DEFAULT_HOLD_TIME})}}"
    )

    def edited(text: str) -> str:
        old = "    offer_when_waiting: 10\n"
        assert text.count(old) == 1
        wait = f"  expected_wait:\n    hold_time: '{hold_time}'\n"
        return readings_every_day(text.replace(old, f"{old}    waiting: '{expression}'\n{wait}"))

    return site_factory("site", edit=edited)


@pytest.fixture(scope="session")
def main_server(main_site: Site) -> Iterator[ServeProcess]:
    server = main_site.serve()
    yield server
    server.proc.terminate()
    server.proc.wait(40)


def free_port() -> int:
    """A port nothing listens on (for the 'server unreachable' case)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def asterisk(
    asterisk_binary: Path, tmp_path_factory, main_server: ServeProcess
) -> Iterator[Asterisk]:
    """One Asterisk for every end-to-end test: the shipped dialplan, Local callers and
    operators, the FastAGI server of ``main_site`` as the default IVR_AGI."""
    instance = Asterisk(
        binary=asterisk_binary,
        workdir=tmp_path_factory.mktemp("asterisk"),
        dialplan=DIALPLAN,
        queues=[Queue("dso-callcentre"), Queue("dso-emergency")],
        globals_={
            "IVR_AGI": main_server.url,
            "IVR_TRUNK_PREFIX": "Local/",
            "IVR_TRUNK_SUFFIX": "@e2e-company",
        },
    )
    instance.start()
    yield instance
    instance.stop()
