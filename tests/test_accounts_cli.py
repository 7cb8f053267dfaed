"""``ivr accounts`` as an admin runs it: a real process, a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHIPPED_CONFIG
from shipped import single_company

from ivr.store.accounts import AccountStore
from ivr.store.repository import CallRepository

SAMPLE = ROOT / "examples" / "sample" / "accounts.csv"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The shipped config in a directory of its own (its SQLite database lands there)."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    text = text.replace("prompts/uk.yaml", str(ROOT / "prompts" / "uk.yaml"))
    text = single_company(text)
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def ivr(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ivr", "accounts", *args, "--config", "config.yaml"],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def stored(workdir: Path) -> AccountStore:
    return AccountStore(CallRepository(f"sqlite:///{workdir / 'ivr.sqlite3'}"))


def test_import_stores_the_sample_and_count_tells(workdir: Path):
    result = ivr(workdir, "import", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    assert "stored 7 account(s); the registry holds 7" in result.stdout
    assert ivr(workdir, "count").stdout.strip() == "7"
    assert [a.number for a in stored(workdir).by_phone("+380500000001")] == [
        "2010000001",
        "2010000002",
    ]


def test_a_file_with_a_problem_stores_nothing(workdir: Path):
    assert ivr(workdir, "import", str(SAMPLE)).returncode == 0
    bad = workdir / "bad.csv"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([*lines, "2010000099,,0500000099,Київ,,1,9,,1"]) + "\n")
    result = ivr(workdir, "import", str(bad), "--replace")
    assert result.returncode == 1
    assert f"{bad}:9: groups: item 1 ('9') is not a group N.M such as 3.1" in result.stderr
    assert "1 problem(s); nothing stored" in result.stderr
    assert stored(workdir).count() == 7


def test_replace_and_check_and_the_account_length(workdir: Path):
    short = workdir / "short.csv"
    short.write_text(
        SAMPLE.read_text(encoding="utf-8").splitlines()[0] + "\n20200001,,,Київ,,1,,,\n"
    )
    assert "8 digits, expected 10" in ivr(workdir, "import", str(short)).stderr
    checked = ivr(workdir, "import", str(short), "--account-length", "8", "--check")
    assert checked.returncode == 0 and "OK, 1 account(s); nothing stored" in checked.stdout
    assert not (workdir / "ivr.sqlite3").exists()
    assert ivr(workdir, "import", str(SAMPLE)).returncode == 0
    result = ivr(workdir, "import", str(short), "--account-length", "8", "--replace")
    assert "replaced the registry with 1 account(s); the registry holds 1" in result.stdout


def test_a_taken_eic_is_refused_masked(workdir: Path):
    assert ivr(workdir, "import", str(SAMPLE)).returncode == 0
    other = workdir / "other.csv"
    header = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    other.write_text(f"{header}\n2020000001,62Z0000000001017,,Київ,,1,,,\n")
    result = ivr(workdir, "import", str(other))
    assert result.returncode == 1
    assert "62Z0000000001017" not in result.stderr and "************1017" in result.stderr
    assert "nothing stored" in result.stderr
