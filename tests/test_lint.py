"""The code stays ruff- and mypy-clean: CI runs both through this test."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_ruff_finds_nothing():
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_ivr():
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
