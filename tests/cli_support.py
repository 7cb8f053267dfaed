"""What the tests of the ``ivr`` commands as real processes share: a directory with the
shipped config (its SQLite database lands there), the environment, a free port."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from conftest import ROOT, SHIPPED_CONFIG
from shipped import single_company


def shipped_config_in(tmp_path: Path) -> Path:
    """The shipped config in a directory of its own (its SQLite database lands there)."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    text = text.replace("prompts/uk.yaml", str(ROOT / "prompts" / "uk.yaml"))
    text = single_company(text)
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def process_env(**more: str) -> dict[str, str]:
    """This environment with the tree under test on the import path."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **more}


def workdir_database(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'ivr.sqlite3'}"


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
