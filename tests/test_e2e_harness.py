"""The end-to-end harness itself: how it finds Asterisk, and what it says without one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from e2e.real_asterisk import INSTALL_HINT, SHARED_BUILD, find_asterisk


def test_explicit_binary_first_then_path_then_the_shared_build(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "asterisk"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("IVR_TEST_ASTERISK", str(fake))
    assert find_asterisk() == fake
    monkeypatch.setenv("IVR_TEST_ASTERISK", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="is not an executable"):
        find_asterisk()
    monkeypatch.delenv("IVR_TEST_ASTERISK")
    monkeypatch.setenv("PATH", str(fake.parent))
    assert find_asterisk() == fake
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_asterisk() == (SHARED_BUILD if SHARED_BUILD.exists() else None)
    monkeypatch.setenv("IVR_TEST_ASTERISK_SHARED", str(tmp_path / "none"))
    assert find_asterisk() is None


def test_without_any_asterisk_the_e2e_tests_skip_and_say_how_to_get_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "IVR_TEST_ASTERISK")}
    env["PATH"] = str(Path(sys.executable).parent)  # no asterisk there
    env["IVR_TEST_ASTERISK_SHARED"] = str(tmp_path / "no-shared-build")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/e2e"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout
    assert " passed" not in result.stdout and "skipped" in result.stdout
    assert INSTALL_HINT[:60] in " ".join(result.stdout.split())
    env["CI"] = "true"  # in CI a missing Asterisk fails the run instead
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/e2e/test_calls.py::test_no_channel_left_after_the_batch",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode != 0
    assert "end-to-end tests need Asterisk in CI" in result.stdout
