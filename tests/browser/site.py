"""What the browser tests drive: a real ``python -m ivr console`` process on a config of its
own (a SQLite file beside it), the ``ivr`` commands that set its data up, and Chromium.

Chromium and its driver are Debian's (``apt-get install chromium chromium-driver``); Selenium
is told both paths and ``SE_OFFLINE``, so Selenium Manager never downloads a browser build.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("IVR_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("IVR_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
INSTALL_HINT = (
    "the browser tests need Debian's Chromium and its driver: "
    "apt-get install -y chromium chromium-driver, and selenium (pip install -e '.[test]')"
)
#: Without network access Chromium must not try its own services (it waits on them).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
PASSWORD = "пароль-для-тестів-42"
#: Generous: two cores are shared with other test runs.
TIMEOUT = 30.0


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "SE_OFFLINE": "true"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"{path} is missing: {INSTALL_HINT}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return f"selenium is not installed: {INSTALL_HINT}"
    return None


@dataclass
class Site:
    """An IVR installation in a directory: config.yaml and its SQLite database."""

    config: Path

    @property
    def dir(self) -> Path:
        return self.config.parent

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.dir / 'ivr.sqlite3'}"

    def ivr(self, *args: str, stdin: str | None = None) -> str:
        """``python -m ivr ARGS --config ...``; its output (it must succeed)."""
        command = [sys.executable, "-m", "ivr", *args, "--config", str(self.config)]
        result = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            text=True,
            env=environment(),
            cwd=self.dir,
            timeout=120,
        )
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result.stdout

    def add_user(self, name: str, role: str) -> None:
        self.ivr("users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")


def placed_config(source: Path, directory: Path) -> Path:
    """``source`` (a config made by ``config_copy``) with its database named by absolute path
    in ``directory``, so every process finds the same file whatever its working directory."""
    text = source.read_text(encoding="utf-8")
    old = "url: sqlite:///ivr.sqlite3"
    assert text.count(old) == 1, "the shipped config's database URL changed"
    text = text.replace(old, f"url: sqlite:///{directory / 'ivr.sqlite3'}")
    path = directory / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class ConsoleProcess:
    """``python -m ivr console`` on a free port of 127.0.0.1, its log collected."""

    def __init__(self, site: Site) -> None:
        self.lines: list[str] = []
        for _attempt in range(3):  # the free port may be taken before the console binds it
            self.port = free_port()
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ivr",
                    "console",
                    "--config",
                    str(site.config),
                    "--listen",
                    f"127.0.0.1:{self.port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env=environment(),
                cwd=site.dir,
            )
            reader = threading.Thread(target=self._read, daemon=True)
            reader.start()
            if self._wait_listening():
                return
            self.stop()
        raise AssertionError("ivr console did not start:\n" + self.log())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def log(self) -> str:
        return "".join(self.lines)

    def _wait_listening(self) -> bool:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_chromium(user_data_dir: Path):
    """A headless Chromium of Debian's, with a profile of its own."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    service = Service(executable_path=str(CHROMEDRIVER), env=environment())
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(TIMEOUT)
    driver.set_script_timeout(TIMEOUT)
    return driver


def fresh_profile(parent: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix="chromium-", dir=parent))


# -- the data a test sets up --------------------------------------------------------------------

#: A sample registry account's caller (examples/sample/accounts.csv: 2010000004, Бровари,
#: просп. Умовний 7/2) and the street an outage must cover for them to hear it.
CALLER = "0500000004"
SETTLEMENT = "Бровари"
STREET = "просп. Умовний"
OUTAGE_ID = "AV-BROWSER-1"
#: ``ivr outages add`` stores a dispatcher's outage with this source.
SOURCE = "dispatcher"


def local_minute(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz).replace(second=0, microsecond=0)


def add_registry_and_outage(site: Site, restoration: datetime) -> None:
    """The sample registry and an emergency outage on ``CALLER``'s street since now."""
    site.ivr("accounts", "import", str(ROOT / "examples" / "sample" / "accounts.csv"))
    site.ivr(
        "outages",
        "add",
        OUTAGE_ID,
        "--kind",
        "emergency",
        "--settlement",
        SETTLEMENT,
        "--street",
        STREET,
        "--restoration",
        restoration.strftime("%Y-%m-%d %H:%M"),  # local time of the company
        "--note",
        "Пошкодження кабелю (тест)",
    )
