"""Shared fixtures: the shipped configuration on a real SQLite file, and the simulator."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ivr.config import Config, load_config
from ivr.recorder import CallRecorder
from ivr.simulator import KeyScript, asterisk_env, parse_keys, simulate_builtin
from ivr.storage import CallRepository

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG = ROOT / "config.yaml"
SUPPLIER_CONFIG = ROOT / "examples" / "supplier.yaml"


@pytest.fixture(scope="session")
def shipped_config() -> Config:
    return load_config(SHIPPED_CONFIG)


@pytest.fixture
def config(shipped_config: Config, tmp_path: Path) -> Config:
    """The shipped config, writing to a SQLite file of its own."""
    return dataclasses.replace(
        shipped_config,
        database_url=f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
        journal_path=tmp_path / "ivr-journal.jsonl",
    )


@pytest.fixture
def repository(config: Config) -> CallRepository:
    repo = CallRepository(config.database_url)
    repo.ensure_schema()
    yield repo
    repo.dispose()


@pytest.fixture
def simulate(config: Config, repository: CallRepository):
    """Run one simulated call through the process-AGI transport; returns the transcript."""

    def run(keys: str = "", caller: str = "0441234567", cfg: Config | None = None, **options):
        cfg = cfg or config
        env = options.pop("env", None) or asterisk_env(caller, cfg.company.dialled_numbers[0])
        return simulate_builtin(
            cfg, CallRecorder(repository), env, KeyScript(parse_keys(keys)), **options
        )

    return run


def prompts_played(transcript) -> list[str]:
    return [e["id"] for e in transcript.events if e["type"] == "prompt"]
