"""A real ``python -m ivr serve`` on a free port, its log collected line by line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


class ServeProcess:
    """``python -m ivr serve`` on a free port; stderr collected line by line.

    One process (``--workers 1``) unless ``args`` name ``--workers``: the tests that signal
    or kill ``proc`` mean the server itself, not a supervisor."""

    def __init__(self, config_path: Path, *args: str, wait: bool = True) -> None:
        if "--workers" not in args:
            args = ("--workers", "1", *args)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ivr",
                "serve",
                "--config",
                str(config_path),
                "--listen",
                "127.0.0.1:0",
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
            cwd=config_path.parent,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if wait:
            self.ready()

    def ready(self) -> None:
        """Wait until the server (its first worker) listens; note its address."""
        match = self.wait_for(r"listening on 127\.0\.0\.1:(\d+)")
        self.address = ("127.0.0.1", int(match.group(1)))

    @property
    def url(self) -> str:
        return f"agi://{self.address[0]}:{self.address[1]}/ivr"

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 15.0, start: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[start:]:
                match = re.search(pattern, line)
                if match:
                    return match
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no log line {pattern!r}:\n{''.join(self.lines)}")

    def wait_for_all(
        self, pattern: str, count: int, timeout: float = 20.0, start: int = 0
    ) -> list[re.Match[str]]:
        """``count`` lines matching ``pattern`` (one per worker of ``--workers N``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for line in self.lines[start:] if (m := re.search(pattern, line))]
            if len(found) >= count:
                return found
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"not {count} log lines {pattern!r}:\n{''.join(self.lines)}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
